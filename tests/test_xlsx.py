"""The XlsxWriter workbook (``save_workbook``) reads back in openpyxl as the openpyxl-built
one (``workbook``) does, every text arrives neutralised (no formula) and otherwise intact,
and the bulk rows of ``xlsx._Sheet`` write byte for byte what XlsxWriter's own calls write."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from afterschool.scheduler.handouts.sheets import save_workbook, workbook

ROWS = [{"group": "午托1组", "name": "张*明", "amount": "12.50", "n": 3, "note": " a & <b> "},
        {"group": "午托1组", "name": "李*", "amount": "0.05", "n": 4, "note": "tab\there"},
        {"group": "午托2组", "name": "O'Neil", "amount": "100.00", "n": 5, "note": ""}]
SHEETS = [("it's [a]: 名单/表", ROWS, ["group", "name", "amount", "n", "note"],
           ["amount", "n"], {"break_on": "group", "title": "学校"}),
          ("概况", [{"item": "学校", "value": "测试"}], ["item", "value"], [], {"cover": True})]


def cells(wb):
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}


def types(wb):
    return {ws.title: [[c.data_type for c in row if c.value is not None]
                       for row in ws.iter_rows()] for ws in wb}


def widths(ws) -> dict[int, float]:
    """Each column's width; XlsxWriter writes equal neighbours as one <col min max>."""
    return {i: dim.width for dim in ws.column_dimensions.values() if dim.customWidth
            for i in range(dim.min, dim.max + 1)}


def fit_to_width(ws):
    """``fitToWidth`` as Excel reads it: absent means 1 (ECMA-376), and XlsxWriter writes
    only what differs from the default."""
    ps = ws.page_setup
    return (ws.sheet_properties.pageSetUpPr.fitToPage, ps.fitToWidth or 1,
            int(ps.fitToHeight if ps.fitToHeight is not None else 1), ps.scale)


def test_same_cells_and_print_settings_as_openpyxl(tmp_path):
    save_workbook(SHEETS, tmp_path / "fast.xlsx", {"group": "组别"}, "合计")
    workbook(SHEETS, {"group": "组别"}, "合计").save(tmp_path / "slow.xlsx")
    fast = openpyxl.load_workbook(tmp_path / "fast.xlsx")
    slow = openpyxl.load_workbook(tmp_path / "slow.xlsx")
    assert cells(fast) == cells(slow)
    assert types(fast) == types(slow)
    for a, b in zip(fast, slow):
        assert a.title == b.title
        assert a.freeze_panes == b.freeze_panes == "A2"
        assert a.print_title_rows == b.print_title_rows
        assert [x.id for x in a.row_breaks.brk] == [x.id for x in b.row_breaks.brk]
        assert int(a.page_setup.paperSize) == 9
        assert a.page_setup.orientation == b.page_setup.orientation
        assert [c.font.b for c in a[1]] == [True] * a.max_column
        assert widths(a) == widths(b) and len(widths(a)) == a.max_column
        assert fit_to_width(a) == fit_to_width(b)
        assert [c.font.b for c in a[a.max_row]] == [c.font.b for c in b[b.max_row]]
        assert [r[0].font.b for r in a.iter_rows()] == [r[0].font.b for r in b.iter_rows()]
        assert a.oddHeader.center.text == b.oddHeader.center.text
        assert a.oddFooter.center.text == b.oddFooter.center.text
        assert a.print_options.gridLines and a.print_options.horizontalCentered
        assert (a.page_margins.left, a.page_margins.top) == (b.page_margins.left,
                                                             b.page_margins.top)
    last = fast.worksheets[0][fast.worksheets[0].max_row]
    assert last[0].value == "合计" and last[0].font.b and last[2].value == 112.55


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=20))
def test_any_text_round_trips(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    save_workbook([("t", [{"a": text}], ["a"], [])], path)
    got = openpyxl.load_workbook(path).active.cell(2, 1).value
    from afterschool.scheduler.handouts.safe import neutralise
    want = neutralise(text).replace("\ufffe", "").replace("\uffff", "")  # no formula, no controls
    assert (got or "").replace("\r", "\n") == want.replace("\r", "\n")


def test_rich_text_lookalike_is_written_as_text(tmp_path):
    # XlsxWriter copies a string "<r>...</r>" into the file unescaped (its rich-text form):
    # this one would add a formula cell if it reached write_string as it is
    evil = ('<r><t>x</t></r></is></c><c r="B2"><f>1+1</f><v>2</v></c>'
            '<c r="C2" t="inlineStr"><is><r><t>y</t></r>')
    path = tmp_path / "r.xlsx"
    save_workbook([("t", [{"a": evil, "b": ""}, {"a": "<r>", "b": "<r></r>"}], ["a", "b"],
                   [])], path)
    ws = openpyxl.load_workbook(path).active
    assert [[(c.value, c.data_type) for c in row] for row in ws.iter_rows(min_row=2)] == \
        [[(evil, "s"), (None, "n")], [("<r>", "s"), ("<r></r>", "s")]]


def test_page_header_is_kept_whatever_the_title(tmp_path, recwarn):
    # XlsxWriter drops (with a warning) a header over 255 units or holding "&G"
    path = tmp_path / "h.xlsx"
    save_workbook([("A&G 学校", [{"a": 1}], ["a"], [], {"title": "学" * 300})], path)
    ws = openpyxl.load_workbook(path).active
    assert not [w for w in recwarn if "xlsxwriter" in str(w.filename)]
    assert ws.oddHeader.center.text.startswith("学" * 200)
    save_workbook([("A&G 学校", [{"a": 1}], ["a"], [])], path)
    ws = openpyxl.load_workbook(path).active
    assert ws.oddHeader.center.text == "A\uff06G 学校 A\uff06G 学校" and ws.title == "A&G 学校"


def test_titles_fit_excel_in_utf16_units(tmp_path):
    path = tmp_path / "t.xlsx"
    save_workbook([("😀" * 20, [{"a": 1}], ["a"], []), ("😀" * 20, [{"a": 1}], ["a"], []),
                   ("x" * 30 + "'y", [{"a": 1}], ["a"], [])], path)
    titles = openpyxl.load_workbook(path).sheetnames
    assert [len(t.encode("utf-16-le")) // 2 for t in titles] == [30, 30, 30]
    assert titles[1].endswith(" (2)") and titles[2] == "x" * 30


def test_one_page_asks_for_one_page_tall_in_both_writers(tmp_path):
    # the substitution cover list: the page width and one page down (Excel's default 1
    # when absent); an ordinary table: as many pages down as it takes (0)
    sheets = [("cover", ROWS, ["group", "name"], [], {"one_page": True}),
              ("plain", ROWS, ["group", "name"], [])]
    save_workbook(sheets, tmp_path / "fast.xlsx")
    workbook(sheets).save(tmp_path / "slow.xlsx")
    for name in ("fast.xlsx", "slow.xlsx"):
        one, plain = openpyxl.load_workbook(tmp_path / name).worksheets
        assert fit_to_width(one)[:3] == (True, 1, 1)
        assert fit_to_width(plain)[:3] == (True, 1, 0)


def _parts(path) -> dict[str, bytes]:
    """Every part of an xlsx file but docProps/core.xml (which holds the time written)."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def _layout(title, header, body, bold_last=False):
    from afterschool.scheduler.handouts.sheets import Layout
    return Layout(title=title, header=header, body=body, bold_last=bold_last,
                  widths=[10] * max([len(header)] + [len(r) for r in body]), landscape=False,
                  scale=None, breaks=[], head_text=title, foot_text="&P / &N")


ODD_CELLS = ["", None, "plain", "午托1组", " a & <b> ", "<r>", "<r><t>x</t></r>", "<r></r>",
             "tab\there", "cr\rlf\n", "\x01ctl", "non\ufffechar\uffff", "_x0041_", "=1+1",
             "x" * 20000, "学" * 17000, "😀" * 9000, 0, -3, 2 ** 40, 12.5, 1e-300,
             float("nan"), float("inf"), -float("inf"), True, False, Decimal("12.50"),
             Fraction(1, 3), ("a", 1)]


def _cells():
    return st.one_of(st.sampled_from(ODD_CELLS), st.text(max_size=8),
                     st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=True), st.none())


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(_cells(), max_size=7), max_size=40), st.booleans(), st.booleans())
def test_bulk_rows_write_what_xlsxwriters_own_calls_write(tmp_path_factory, body, last,
                                                          cover):
    """``_Sheet`` (rows stored in bulk, <sheetData> in one pass) writes the very bytes that
    XlsxWriter's write_string/number/blank/boolean/rich_string calls write, every odd cell
    included; so do the sheets of a planned school's hand-outs (checked in test_publish)."""
    from afterschool.scheduler.handouts.xlsx import save_xlsx
    folder = tmp_path_factory.mktemp("bulk")
    layouts = [_layout("a", ["组别", "", "name", "<r>x</r>"], body, last),
               _layout("b", ["x"], [list(ODD_CELLS)] * 3 + [["y"]] * 20)]
    for plain in (False, True):
        save_xlsx(folder / f"{plain}.xlsx", layouts, [cover, False], plain=plain)
    assert _parts(folder / "False.xlsx") == _parts(folder / "True.xlsx")


def test_an_xlsxwriter_without_the_cell_records_writes_every_sheet_plainly(tmp_path,
                                                                          monkeypatch):
    # as if the installed XlsxWriter lacked the records _Sheet stores (BULK false): the
    # bulk path is never taken (it would raise here) and the file is written all the same
    from afterschool.scheduler.handouts import xlsx

    def refuse(*_a, **_k):
        raise AssertionError("the bulk path was taken")

    monkeypatch.setattr(xlsx, "BULK", False)
    monkeypatch.setattr(xlsx._Sheet, "put_row", refuse)
    xlsx.save_xlsx(tmp_path / "p.xlsx", [_layout("a", ["组别", "n"], [["午托1组", 3]])])
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx").worksheets[0]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [["组别", "n"], ["午托1组", 3]]
