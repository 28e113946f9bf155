"""Hand-outs: term workbook, rosters with calendars, public notices, charts."""
from __future__ import annotations

import io
import json
import warnings
from datetime import date
from decimal import Decimal

import openpyxl
import matplotlib
import matplotlib.pyplot as plt
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from afterschool.cli import main
from afterschool.models.plan import Plan
from afterschool.scheduler.handouts import charts
from afterschool.scheduler.handouts.publish import mask_name, roster_ics, student_notice, timetable_sheets
from school_files import students_rows, write_instance


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """Two groups on Tue and Wed (holiday on one Tuesday), a manager-free small school."""
    tmp = tmp_path_factory.mktemp("pub")
    school = ('[school]\nname = "Pub School"\nlanguage = "zh"\n[term]\nstart = 2026-09-07\n'
              'end = 2026-09-25\nofficial_holidays = false\nholidays = [2026-09-15]\n'
              'makeup_days = { 2026-09-19 = "Wed" }\n')
    rows = students_rows(60, afternoon="Tue Wed") + \
        "S0900,欧阳娜娜,3,3-1,,Tue,left_behind,exempt,,,enrolled,\n"
    folder = write_instance(tmp / "i", students=rows, school=school,
                            teachers="T1,王老师,yes,no,staff,,,3-1,no\nT2,李老师,yes,no,staff,,,,no\n",
                            availability="T1,Tue,after-upper,available\nT1,Wed,after-upper,available\n"
                            "T2,Tue,after-upper,available\nT2,Wed,after-upper,available\n")
    out = tmp / "out"
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out), "--time-limit", "2"])
    assert r.exit_code == 0, r.output
    return out, Plan.from_dict(json.loads((out / "plan.json").read_text()))


def test_plan_writes_every_hand_out(planned):
    out, _ = planned
    names = {p.name for p in out.iterdir()}
    assert {"timetable.xlsx", "notice-students.csv", "notice-duties.xlsx",
            "notice-parents.xlsx", "report.html", "chart-gantt.png", "chart-sizes.png",
            "rosters"} <= names
    assert not [n for n in names if n.endswith(".tmp")]


def test_workbook_sheets_rows_and_totals(planned):
    out, plan = planned
    wb = openpyxl.load_workbook(out / "timetable.xlsx")
    assert wb.sheetnames == ["概况", "分组名单", "值班表 晚托(中高年级)", "管理人员", "教师值班",
                             "服务费", "劳务费", "经费收支", "师资配备"]
    assert wb["分组名单"].max_row == 1 + sum(len(g.students) for g in plan.groups)
    fees = wb["服务费"]
    assert fees.cell(fees.max_row, 1).value == "合计"
    assert fees.cell(1, 2).value == "姓名"  # beside the id
    total = Decimal(str(fees.cell(fees.max_row, 6).value)).quantize(Decimal("0.01"))
    assert total == sum(Decimal(f["service_fee"]) for f in plan.fees)
    grid = wb["值班表 晚托(中高年级)"]
    assert grid.max_row == 1 + 2 and grid.max_column == 2 + len(plan.groups)  # Tue, Wed
    assert wb["概况"].freeze_panes == "A2"


def test_ics_one_weekly_event_per_duty_over_the_service_dates(planned):
    _, plan = planned
    recurring = pytest.importorskip("recurring_ical_events")
    cal = Calendar.from_ical(roster_ics(plan, "T1"))
    # by hand: Tuesdays 09-08 and 09-22 (09-15 a holiday); Wednesdays 09-09, 09-16, 09-23
    # and the make-up Saturday 09-19 that follows Wednesday's timetable
    dates = {"Tue": 2, "Wed": 4}
    duties = [d for d in plan.duties if d.staff == "T1"]
    assert len(cal.walk("VEVENT")) <= len(duties) + 1  # + the make-up Saturday
    occ = recurring.of(cal).between(date(2026, 9, 1), date(2026, 10, 1))
    assert len(occ) == sum(dates[d.day] for d in duties) > 0
    starts = {e.decoded("dtstart").date().isoformat() for e in occ}
    assert "2026-09-15" not in starts and "2026-09-19" in starts  # holiday out, make-up in
    assert str(occ[0].decoded("dtstart").tzinfo) == "Asia/Shanghai"
    for p in plan.pay:  # every calendar: expanded minutes = the person's paid minutes
        events = recurring.of(Calendar.from_ical(roster_ics(plan, p["staff"]))).between(
            date(2026, 9, 1), date(2026, 10, 1))
        assert sum((e.decoded("dtend") - e.decoded("dtstart")).seconds // 60
                   for e in events) == p["minutes"], p["staff"]


def test_roster_command_formats(planned, tmp_path):
    out, _ = planned
    r = CliRunner().invoke(main, ["roster", str(out), "--all", "--format", "ics", "--out",
                                  str(tmp_path / "r")])
    assert r.exit_code == 0 and len(list((tmp_path / "r").glob("*.ics"))) == 2
    r = CliRunner().invoke(main, ["roster", str(out), "--teacher", "T1", "--format", "csv",
                                  "--out", str(tmp_path / "c")])
    assert r.exit_code == 0 and [p.name for p in (tmp_path / "c").iterdir()] == ["roster-T1.csv"]
    r = CliRunner().invoke(main, ["roster", str(out), "--teacher", "T9", "--out",
                                  str(tmp_path / "r")])
    assert r.exit_code == 2 and "--teacher: no such person among the people on duty in " \
        "this plan (found 'T9'" in r.output


def test_notice_hides_ids_categories_and_full_names(planned):
    _, plan = planned
    rows = student_notice(plan)
    text = json.dumps(rows, ensure_ascii=False)
    assert "欧*娜" in text and "欧阳娜娜" not in text
    for word in ("S0900", "left_behind", "exempt", "留守", "免收"):
        assert word not in text
    assert set(rows[0]) == {"group", "session", "time", "class", "name", "days"}
    assert rows[0]["group"].startswith("晚托") and rows[0]["group"].endswith("组")
    assert "after-upper" not in text


@given(st.text(min_size=2, max_size=6).filter(
    lambda s: s.strip() == s and len(set(s)) > 1 and "*" not in s))
def test_masked_name_never_shows_the_whole_name(name):
    masked = mask_name(name)
    assert masked != name and "*" in masked and masked[0] == name[0]


def drawn_bars(fig) -> int:
    """Bars as patches, or as the paths of one PolyCollection (how big charts draw them)."""
    from matplotlib.collections import PolyCollection
    return sum(len(ax.patches) + sum(len(c.get_paths()) for c in ax.collections
                                     if isinstance(c, PolyCollection)) for ax in fig.axes)


@pytest.mark.parametrize("kind, bars", [("staffing", lambda p: 2 * len(p.staffing)),
                                        ("load", lambda p: len({d.staff for d in p.duties})),
                                        ("gantt", lambda p: len(p.duties) + len(p.shortages))])
def test_chart_bar_counts(planned, kind, bars):
    _, plan = planned
    fig, n, _ = charts.draw(plan, kind, "en")
    assert n == bars(plan)
    assert drawn_bars(fig) >= n
    charts.save(fig, planned[0] / f"t-{kind}.png")


def test_sizes_chart_counts_group_days(planned):
    _, plan = planned
    fig, n, _ = charts.draw(plan, "sizes", "en")
    assert n == 2 * len(plan.groups)  # every group present on its session's two days
    charts.save(fig, planned[0] / "t-sizes.png")


@pytest.mark.skipif(charts.cjk_font() is None, reason="no CJK font installed")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chinese_names_render_without_missing_glyphs(planned, lang):
    # the people's names are Chinese whatever the labels' language: drawn outside
    # ``charts.quiet`` (which keeps matplotlib's glyph warnings off the terminal), a glyph
    # missing from every font in the list is an error here
    _, plan = planned
    assert any(ord(c) > 0x2E7F for p in plan.extra["people"]["staff"].values()
               for c in p["name"])
    with plt.rc_context(), warnings.catch_warnings():
        matplotlib.rcdefaults()  # not the fonts an earlier chart in this process chose
        assert charts.setup_language(lang) == (lang, None)
        warnings.simplefilter("error")
        fig, _ = charts.gantt(plan, lang)
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def test_no_cjk_font_falls_back_to_english(planned, monkeypatch, tmp_path):
    _, plan = planned
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    fig, _, warning = charts.draw(plan, "staffing", "zh")
    assert "English" in warning
    assert all(ord(c) < 128 for ax in fig.axes for c in ax.get_title())
    charts.save(fig, tmp_path / "s.png")


def test_chart_command_svg(planned, tmp_path):
    out, _ = planned
    r = CliRunner().invoke(main, ["chart", str(out), "--kind", "sizes", "--out",
                                  str(tmp_path / "s.svg")])
    assert r.exit_code == 0 and (tmp_path / "s.svg").read_text().startswith("<?xml")


def test_workbook_in_english(planned):
    _, plan = planned
    titles = [t for t, *_ in timetable_sheets(plan, "en")]
    assert titles[:2] == ["summary", "groups"]


def _latin_words(text) -> list[str]:
    import re
    return re.findall(r"[A-Za-z]{2,}", str(text))


def test_workbook_prints_on_a4_with_titles_and_zh_headers_only(planned):
    out, plan = planned
    for name in ("timetable.xlsx", "notice-students.xlsx", "notice-duties.xlsx",
                 "notice-parents.xlsx"):
        wb = openpyxl.load_workbook(out / name)
        for ws in wb:
            assert int(ws.page_setup.paperSize) == 9, (name, ws.title)  # A4
            # fitToWidth absent means 1 (ECMA-376): XlsxWriter writes only what is not default
            assert ws.sheet_properties.pageSetUpPr.fitToPage and \
                (ws.page_setup.fitToWidth or 1) == 1 and int(ws.page_setup.fitToHeight) == 0
            if ws.max_row > 2:
                assert ws.print_title_rows == "$1:$1", (name, ws.title)
            headers = [c.value for c in ws[1]]
            assert not [h for h in headers if _latin_words(h) and h != "标准配备 T(n)"], \
                (name, ws.title, headers)
            assert not _latin_words(ws.title), ws.title
    groups = openpyxl.load_workbook(out / "timetable.xlsx")["分组名单"]
    assert len(groups.row_breaks.brk) == len(plan.groups) - 1  # a page per group


def test_workbook_columns_fit_cjk_text(planned):
    out, _ = planned
    ws = openpyxl.load_workbook(out / "timetable.xlsx")["值班表 晚托(中高年级)"]
    slot = ws.cell(2, 2).value  # "16:20-17:20 作业辅导、体育锻炼、社团活动"
    from afterschool.scheduler.handouts.sheets import text_width
    assert ws.column_dimensions["B"].width >= text_width(slot)


def test_english_hand_outs_have_no_chinese_but_names(planned):
    _, plan = planned
    from afterschool.scheduler.handouts.labels import has_cjk
    names = {v["name"] for v in plan.extra["people"]["staff"].values()}
    names |= {v["name"] for v in plan.extra["people"]["students"].values()}
    for title, rows, columns, *_ in timetable_sheets(plan, "en"):
        assert not has_cjk(title)
        for r in rows:
            for c in columns:
                v = r.get(c, "")
                assert not has_cjk(v) or v in names or str(v) == plan.extra["school"], \
                    (title, c, v)


def test_parents_notice_per_class(planned):
    out, plan = planned
    from afterschool.scheduler.handouts.publish import parents_notice
    notice = parents_notice(plan)
    enrolled = sum(len(g.students) for g in plan.groups)
    assert sum(len(rows) for rows in notice.values()) == enrolled
    text = json.dumps(notice, ensure_ascii=False)
    assert "欧*娜" in text and "欧阳娜娜" not in text and "S0900" not in text
    assert "left_behind" not in text and "exempt" not in text
    wb = openpyxl.load_workbook(out / "notice-parents.xlsx")
    assert wb.sheetnames == [f"{c}班" for c in notice]
    assert [c.value for c in wb.worksheets[0][1]] == ["姓名", "时段", "组别", "星期", "时间"]


def test_bundled_font_found_with_no_system_font(planned, monkeypatch, tmp_path):
    """A fresh machine: matplotlib knows no CJK font; the bundled Noto Sans SC is found and
    the chart draws without a single warning."""
    from matplotlib import font_manager
    if charts.bundled_font() is None:
        pytest.skip("zhplot (the bundled Noto Sans SC) is not installed")
    latin = [f for f in font_manager.fontManager.ttflist
             if f.name not in charts.CJK_FONTS]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    monkeypatch.setattr(charts, "_BUNDLED", [])
    assert charts.cjk_font() == "Noto Sans SC"
    _, plan = planned
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, _, warning = charts.draw(plan, "gantt", "zh")
        charts.save(fig, tmp_path / "g.png")
    assert warning is None


def test_handouts_leave_the_garbage_collector_as_they_found_it(planned, tmp_path):
    """The plan is frozen out of the collector only while hand-outs are written; a caller's
    own freeze stays in place."""
    import gc

    from afterschool.scheduler.handouts.bundle import write_handouts
    _, plan = planned
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    written, _ = write_handouts(plan, tmp_path / "a", "zh", {"charts", "rosters"})
    assert written and gc.get_freeze_count() == 0 and gc.isenabled()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        write_handouts(plan, tmp_path / "b", "zh", {"charts", "rosters"})
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_workbook_is_what_xlsxwriters_own_calls_write(planned, tmp_path, monkeypatch):
    """The timetable workbook and the parents' notice (cover, bold totals, Chinese text,
    money) from the bulk rows of ``xlsx._Sheet``: byte for byte what XlsxWriter's own
    write_* calls make of the same sheets."""
    import functools
    import zipfile

    from afterschool.scheduler.handouts import xlsx
    from afterschool.scheduler.handouts.labels import words
    from afterschool.scheduler.handouts.publish import parents_sheets
    from afterschool.scheduler.handouts.sheets import save_workbook
    _, plan = planned
    w = words("zh")
    for name, sheets in (("timetable", timetable_sheets(plan, "zh")),
                         ("parents", parents_sheets(plan, "zh"))):
        save_workbook(sheets, tmp_path / f"{name}-bulk.xlsx", w, w["total"])
        with monkeypatch.context() as m:
            m.setattr(xlsx, "save_xlsx", functools.partial(xlsx.save_xlsx, plain=True))
            save_workbook(sheets, tmp_path / f"{name}-plain.xlsx", w, w["total"])
        parts = []
        for kind in ("bulk", "plain"):
            with zipfile.ZipFile(tmp_path / f"{name}-{kind}.xlsx") as z:
                parts.append({n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"})
        assert parts[0] == parts[1] and len(parts[0]) > 5, name


@pytest.mark.parametrize("kind", charts.KINDS)
def test_png_holds_what_matplotlibs_own_png_holds(planned, tmp_path, kind):
    """``charts.save`` encodes the PNG itself (``png_bytes``): the same pixels, size, dpi
    and Software text as matplotlib's (Pillow's) PNG of the same figure."""
    import numpy as np
    from PIL import Image
    _, plan = planned
    fig, _, _ = charts.draw(plan, kind, "zh")
    with charts.quiet(), plt.rc_context({"text.hinting": "no_hinting"}):
        fig.savefig(tmp_path / "theirs.png", dpi=charts.dpi_for(fig))
    charts.save(fig, tmp_path / "ours.png")
    theirs, ours = (Image.open(tmp_path / f"{n}.png") for n in ("theirs", "ours"))
    assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
    assert np.array_equal(np.asarray(ours), np.asarray(theirs))
    assert ours.info == theirs.info and "Matplotlib" in ours.info["Software"]
