"""``afterschool init`` writes an input workbook a clerk fills in without help: the reader's
four sheets with a dropdown on every closed list, hints with units, the session table; the
workbook as written is a valid school, the same school as the template's four files."""
from __future__ import annotations

import re

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import range_boundaries

from afterschool.cli import main
from afterschool.scheduler.handouts.labels import has_cjk
from afterschool.scheduler.reading.reader import read_instance


def init(tmp_path, lang):
    r = CliRunner().invoke(main, ["init", str(tmp_path / "s"), "--lang", lang])
    assert r.exit_code == 0, r.output
    return tmp_path / "s"


def validations(wb, sheet: str) -> dict[str, tuple[list[str] | None, bool, str]]:
    """Header of each validated column -> (its dropdown's values, refusing others, the
    hint), reading list ranges from the sheet they point to."""
    ws = wb[sheet]
    heads = [c.value for c in ws[1]]
    out = {}
    for dv in ws.data_validations.dataValidation:
        lo_col, lo_row, hi_col, hi_row = range_boundaries(str(dv.sqref))
        assert lo_col == hi_col and lo_row == 2 and hi_row >= 500, dv.sqref
        values = None
        if dv.type == "list":
            m = re.fullmatch(r"'(.+)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", dv.formula1)
            src = wb[m.group(1)]
            values = [src[f"{m.group(2)}{r}"].value
                      for r in range(int(m.group(3)), int(m.group(5)) + 1)]
        out[heads[lo_col - 1]] = (values, bool(dv.showErrorMessage), dv.prompt or "")
    return out


def test_zh_workbook_has_dropdowns_hints_and_the_session_table(tmp_path):
    folder = init(tmp_path, "zh")
    wb = openpyxl.load_workbook(folder / "学校数据.xlsx")
    assert wb.sheetnames[:5] == ["学校", "学生", "教师", "可用时间", "时段表"]
    assert wb[wb.sheetnames[5]].sheet_state == "hidden"
    students = validations(wb, "学生")
    assert students["优先类别"][:2] == (["残疾儿童", "留守儿童", "随迁子女", "职工子女"], False)
    assert students["收费类别"][:2] == (["正常", "减免", "免收"], True)
    assert students["状态"][:2] == (["已录取", "已申请", "已退出"], True)
    assert students["午餐"][:2] == (["是", "否"], True)
    assert students["年级"][:2] == (["1", "2", "3", "4", "5", "6"], True)
    assert students["午托"][0][0] == "周一至周五" and students["晚托"][0][0] == "周二至周五"
    assert "50%" in students["减免"][2]
    teachers = validations(wb, "教师")
    for head in ("自愿", "可任管理", "允许同日两段"):
        assert teachers[head][:2] == (["是", "否"], True)
    assert teachers["类型"][:2] == (["本校", "外聘"], True)
    assert "分钟" in teachers["每周上限（分钟）"][2] and "300" in teachers["每周上限（分钟）"][2]
    assert "元/小时" in teachers["课时费（元/小时）"][2]
    avail = validations(wb, "可用时间")
    assert avail["时段"][:2] == (["午托", "晚托(低年级)", "晚托(中高年级)", "下午"], True)
    assert avail["星期"][0][:5] == ["周一", "周二", "周三", "周四", "周五"]
    assert avail["状态"][:2] == (["可以", "优先", "不可"], True)
    school = {r[0]: r[1] for r in wb["学校"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert school["每周上限（分钟）"] == 300 and school["服务费"] == "2.00"
    assert validations_of_school(wb)["语言"] == ["中文", "英文"]
    table = [r for r in wb["时段表"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert table[:4] == [
        ("午托", "1 2 3 4 5 6", "周一至周五", "11:20", "13:30", 130,
         "11:20-11:40 准备；11:40-12:20 午餐；12:20-13:00 作业辅导、阅读；13:00-13:30 午休"),
        ("晚托(低年级)", "1 2", "周二至周五", "15:35", "16:35", 60,
         "15:35-16:35 作业辅导、体育锻炼、社团活动"),
        ("晚托(中高年级)", "3 4 5 6", "周二至周五", "16:20", "17:20", 60,
         "16:20-17:20 作业辅导、体育锻炼、社团活动"),
        ("下午", None, None, "15:35", "17:20", None,
         "下午：整个下午时段（含管理或辅导；可任管理人员请填此项）")]


def validations_of_school(wb) -> dict[str, list[str] | None]:
    ws = wb["学校"]
    keys = {r: ws.cell(r, 1).value for r in range(1, ws.max_row + 1)}
    out = {}
    for dv in ws.data_validations.dataValidation:
        _, row, _, _ = range_boundaries(str(dv.sqref))
        out[keys[row]] = dv.formula1.strip('"').split(",") if dv.type == "list" else None
    return out


@pytest.mark.parametrize("lang, book", [("zh", "学校数据.xlsx"), ("en", "school-data.xlsx")])
def test_the_workbook_as_written_is_the_template_school(tmp_path, lang, book):
    folder = init(tmp_path, lang)
    r = CliRunner().invoke(main, ["validate", str(folder / book)])
    verdict = "检查通过" if lang == "zh" else "OK"  # validate speaks the school's language
    assert r.exit_code == 0 and verdict in r.output, r.output
    from_book, from_files = read_instance(folder / book), read_instance(folder)
    assert from_book.school == from_files.school
    assert from_book.students == from_files.students
    assert from_book.teachers == from_files.teachers
    assert from_book.availability == from_files.availability
    assert [(a.day, a.session, a.status) for a in from_book.availability] == [
        ("Tue", "after-upper", "available"), ("Mon", "noon", "preferred")]
    (s,) = from_book.students
    assert s.noon == ("Mon", "Tue", "Wed", "Thu", "Fri") and s.afternoon == (
        "Tue", "Wed", "Thu", "Fri")


def _texts(wb):
    for ws in wb:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows(values_only=True):
            yield from (v for v in row if isinstance(v, str))
        for dv in ws.data_validations.dataValidation:
            yield from (dv.prompt or "", dv.promptTitle or "", dv.error or "")
    for name in wb.sheetnames:
        yield name


def test_each_workbook_speaks_its_language(tmp_path):
    zh = openpyxl.load_workbook(init(tmp_path / "zh", "zh") / "学校数据.xlsx")
    english = [t for t in _texts(zh) if re.search(r"[A-Za-z]{2,}", t)]
    assert english == [], english  # ids (S0001, T001) have one letter
    en = openpyxl.load_workbook(init(tmp_path / "en", "en") / "school-data.xlsx")
    assert [t for t in _texts(en) if has_cjk(t)] == []


def test_a_clerk_edits_the_workbook(tmp_path):
    """What a clerk types into the workbook: Chinese keys, 是, a holiday run, an empty value
    (the default), a range of days, a session name."""
    folder = init(tmp_path, "zh")
    wb = openpyxl.load_workbook(folder / "学校数据.xlsx")
    ws = wb["学校"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "假日":
            row[1].value = "2026-10-01至2026-10-07，2027-01-01"
        elif row[0].value == "假日已核对":
            row[1].value = "是"
        elif row[0].value == "每组人数上限":
            row[1].value = None
    wb["可用时间"].append(["T001", "周三至周五", "晚托(中高年级)", "可以"])
    wb.save(folder / "edited.xlsx")
    inst = read_instance(folder / "edited.xlsx")
    assert inst.warnings == ()  # confirmed: no warning about 2027
    term = inst.school.term
    assert term.holidays_confirmed and len(term.holidays) == 8
    assert inst.school.rules.group_cap == 45
    assert [a.day for a in inst.availability if a.session == "after-upper"] == [
        "Tue", "Wed", "Thu", "Fri"]


def test_hostile_school_text_is_neutralised(tmp_path):
    """A school's own names reach the workbook as text, never as a formula."""
    from dataclasses import replace

    from afterschool.scheduler.reading.input_workbook import write_input_workbook
    from afterschool.scheduler.reading.school_config import parse_school
    from afterschool.scheduler.reading.template import EXAMPLES, SCHOOL
    school, _ = parse_school(SCHOOL["zh"])
    evil = "=cmd|' /C calc'!A0"
    school = replace(school, name=evil, sessions=(
        replace(school.sessions[0], name="@SUM(1+1)*cmd|' /C calc'!A0"), *school.sessions[1:]))
    path = write_input_workbook(tmp_path / "b.xlsx", school, "zh", EXAMPLES["zh"])
    wb = openpyxl.load_workbook(path)
    texts = [v for ws in wb for row in ws.iter_rows(values_only=True) for v in row
             if isinstance(v, str)]
    assert "'" + evil in texts and not [t for t in texts if t.startswith(("=", "@", "+"))]
    from zipfile import ZipFile
    with ZipFile(path) as z:
        assert not [n for n in z.namelist() if b"<f>" in z.read(n)]  # no formula cell


def test_one_holiday_typed_as_a_date(tmp_path):
    from datetime import datetime
    folder = init(tmp_path, "zh")
    wb = openpyxl.load_workbook(folder / "学校数据.xlsx")
    for row in wb["学校"].iter_rows(min_row=2):
        if row[0].value == "假日":
            row[1].value = datetime(2026, 10, 8)
    wb.save(folder / "edited.xlsx")
    assert read_instance(folder / "edited.xlsx").school.term.holidays == {
        datetime(2026, 10, 8).date()}


def test_the_workbook_saved_again_by_libreoffice_still_validates(tmp_path):
    """An office that opens the workbook in LibreOffice and saves it keeps a valid school
    (its dropdowns too)."""
    import shutil
    import subprocess
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = init(tmp_path, "zh")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir",
                    str(tmp_path / "saved"), str(folder / "学校数据.xlsx")],
                   check=True, capture_output=True, timeout=300)
    saved = tmp_path / "saved" / "学校数据.xlsx"
    r = CliRunner().invoke(main, ["validate", str(saved)])
    assert r.exit_code == 0 and "检查通过" in r.output, r.output  # a Chinese school
    assert read_instance(saved).availability == read_instance(folder).availability
    wb = openpyxl.load_workbook(saved)
    assert any(dv.type == "list" for dv in wb["可用时间"].data_validations.dataValidation)
