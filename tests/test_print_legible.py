"""Every printed page is legible: no text under 9 points, measured on the PDF LibreOffice
prints from the hand-outs (not from the workbook's settings), and the layout rules that
keep it so, with widths and scales worked out by hand."""
from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict

import openpyxl
import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.handouts.sheets import sheet_layout

SMALLEST = 9.0  # points


def test_a_wide_table_wraps_its_widest_columns_instead_of_shrinking():
    # ten columns of 20-unit text: widths 22 each, 220 in all; landscape holds 138 units:
    # capped at 13 the ten take 130, and print at full size
    rows = [{f"c{i}": "x" * 20 for i in range(10)}]
    lay = sheet_layout("t", rows, [f"c{i}" for i in range(10)], [])
    assert lay.landscape and lay.widths == [13] * 10 and lay.wrap == list(range(10))
    assert lay.scale is None  # fitted to the width, which it does not exceed


def test_a_table_too_wide_even_wrapped_prints_at_83_percent():
    # thirteen 22-unit columns kept at 12 each: 156 units, 138 / 156 = 88 %: fitted;
    # sixteen take 192, 72 %: printed at 83 % over two pages across
    for n, scale in ((13, None), (16, 83)):
        rows = [{f"c{i}": "x" * 20 for i in range(n)}]
        lay = sheet_layout("t", rows, [f"c{i}" for i in range(n)], [])
        assert lay.widths == [12] * n and lay.scale == scale


def test_a_narrow_table_is_left_alone():
    lay = sheet_layout("t", [{"a": "x" * 30, "b": "y"}], ["a", "b"], [])
    assert (lay.widths, lay.wrap, lay.scale, lay.landscape) == ([32, 6], [], None, False)


def test_a_long_group_runs_on_rather_than_shrinking_below_9_points():
    # 60 pupils of one group and the header: 46 lines fit a portrait page at 100 %; one
    # page would need 45 / 61 = 74 %, below 83 %: printed at 83 %, over two pages
    rows = [{"group": "午托1组", "name": f"N{i}"} for i in range(60)]
    lay = sheet_layout("t", rows, ["group", "name"], [], layout={"break_on": "group"})
    assert lay.scale == 83


def test_both_writers_wrap_the_narrowed_columns(tmp_path):
    from afterschool.scheduler.handouts.sheets import save_workbook, workbook
    sheets = [("t", [{f"c{i}": "名" * 10 for i in range(10)}], [f"c{i}" for i in range(10)],
               [])]
    save_workbook(sheets, tmp_path / "fast.xlsx")
    workbook(sheets).save(tmp_path / "slow.xlsx")
    for name in ("fast.xlsx", "slow.xlsx"):
        ws = openpyxl.load_workbook(tmp_path / name).active
        assert all(c.alignment.wrap_text for row in ws.iter_rows() for c in row), name
        assert ws.column_dimensions["A"].width == 13


def _name(g: int) -> str:
    return "王晓" + "一二三四五六七八九十"[g - 1]


def _plan(groups: int):
    """``groups`` upper-grade groups on Tue and Thu, one teacher each (T<n>, 王晓一 …)."""
    from afterschool.models.plan import Group, Plan
    from afterschool.models.plan import _duties_from
    duties = [{"day": d, "session": "after-upper", "group": f"after-upper-{g:02d}",
               "slot": "作业辅导、体育锻炼、社团活动", "start": "16:20", "end": "17:20",
               "staff": f"T{g}", "role": "teacher"} for g in range(1, groups + 1)
              for d in ("Tue", "Thu")]
    return Plan("OPTIMAL", [Group(f"after-upper-{g:02d}", "after-upper", ())
                            for g in range(1, groups + 1)], _duties_from(duties), extra={
        "sessions": {"after-upper": {"name": "晚托(中高年级)", "start": "16:20", "end": "17:20",
                                     "days": ["Tue", "Wed", "Thu", "Fri"]}},
        "people": {"staff": {f"T{g}": {"name": _name(g)} for g in range(1, groups + 1)},
                   "students": {}}})


def test_a_grid_turns_when_its_groups_do_not_fit_a_portrait_page():
    from afterschool.scheduler.handouts.publish import duty_sheet
    # days down: 星期 6 + 环节 "16:20-17:20" 13 + a column of 8 per group (王晓一: three
    # CJK characters, 6 units, and 2): 19 + 8 x 9 = 91 units fit the 95 of a portrait
    # page; ten groups take 99
    rows, cols, layout = duty_sheet(_plan(9), "after-upper")
    assert cols == ["day", "slot", *(f"{g}组" for g in range(1, 10))]
    assert rows[0] == {"day": "周二", "slot": "16:20-17:20",
                       **{f"{g}组": _name(g) for g in range(1, 10)}}
    assert layout["break_on"] == "day"
    rows, cols, layout = duty_sheet(_plan(10), "after-upper")
    assert cols == ["group", "slot", "周二", "周三", "周四", "周五"]
    assert rows[9] == {"group": "10组", "slot": "16:20-17:20", "周二": "王晓十", "周四": "王晓十"}
    assert layout["break_on"] == "group" and len(rows) == 10


def _calibri_metrics() -> bool:
    """LibreOffice lays column widths out in the body font's digits: Calibri, or Carlito
    (the same metrics); any other substitute widens every column."""
    if not shutil.which("fc-match"):
        return False
    found = subprocess.run(["fc-match", "Calibri"], capture_output=True, text=True).stdout
    return "Carlito" in found or "Calibri" in found


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed: the printed pages cannot be "
                    "measured")
    if not _calibri_metrics():
        pytest.skip("no Calibri-metric font (fonts-crosextra-carlito) for LibreOffice: "
                    "its column widths would not be Excel's")
    pdfplumber = pytest.importorskip("pdfplumber")
    tmp = tmp_path_factory.mktemp("print")
    out = tmp / "term"
    r = CliRunner().invoke(main, ["plan", "haijiang", "--out", str(out), "--time-limit", "3",
                                  "--skip", "rosters", "--skip", "charts", "--skip",
                                  "report"])
    assert r.exit_code in (0, 3), r.output
    books = ["timetable", "notice-students", "notice-parents", "notice-duties"]
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp / "pdf"),
                    *(str(out / f"{b}.xlsx") for b in books)],
                   check=True, capture_output=True, timeout=300)
    pages = {}
    for b in books:
        with pdfplumber.open(tmp / "pdf" / f"{b}.pdf") as pdf:
            # (the page's header text, its smallest character) for every page
            pages[b] = [("".join(c["text"] for c in p.chars[:40]),
                         min(c["size"] for c in p.chars)) for p in pdf.pages if p.chars]
    return out, pages


def test_no_printed_text_under_9_points(printed):
    _, pages = printed
    small = [(b, n + 1, head[:20], round(size, 2)) for b, ps in pages.items()
             for n, (head, size) in enumerate(ps) if size < SMALLEST - 0.05]
    assert small == []


def test_the_afternoon_grids_print_at_a_readable_size(printed):
    out, pages = printed
    grids = defaultdict(list)
    for head, size in pages["timetable"]:
        if "值班表" in head:
            grids[head.split("值班表 ")[1].split("第")[0]].append(size)
    assert set(grids) == {"午托", "晚托(低年级)", "晚托(中高年级)"}
    assert min(min(v) for v in grids.values()) >= SMALLEST
    # 450 upper-grade pupils make ten groups or more (the cap of 45): too many to print
    # across a portrait page, so that grid is turned, groups down and days across
    import json
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert len([g for g in plan["groups"] if g["session"] == "after-upper"]) >= 10
    ws = openpyxl.load_workbook(out / "timetable.xlsx")["值班表 晚托(中高年级)"]
    assert [c.value for c in ws[1]] == ["组别", "环节", "周二", "周三", "周四", "周五"]
    assert min(grids["晚托(中高年级)"]) == pytest.approx(11.0, abs=0.1)  # 100 %
