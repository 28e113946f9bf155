"""Instance reader (SPEC §8): every validation rule with a bad input and its message."""
from __future__ import annotations

import openpyxl
import pytest

from afterschool.models.errors import InputError
from afterschool.scheduler.reading.reader import read_instance
from school_files import SCHOOL, students_rows, write_instance

T1 = "T1,Li,yes,yes,staff,,,3-1,no\n"
A1 = "T1,Tue,after-upper,available\n"


def problems(folder):
    with pytest.raises(InputError) as exc:
        read_instance(folder)
    return exc.value.problems


def one(folder, **where):
    """The single problem, checked to name file, row and column."""
    (p,) = problems(folder)
    for key, value in where.items():
        assert getattr(p, key) == value, (key, p)
    return p


def test_valid_tiny_instance(tiny):
    inst = read_instance(tiny)
    assert len(inst.enrolled) == 10 and inst.students[0].klass == "3-1"
    assert inst.students[0].afternoon == ("Tue",) and inst.warnings == ()


@pytest.mark.parametrize("row, column, fragment", [
    ("S0001,B,3,3-1,,Tue,,normal,,,enrolled,\n", "id", "duplicate student id (also on row 2, class 3-1)"),
    ("S9,B,7,7-1,,Tue,,normal,,,enrolled,\n", "grade", "unknown grade"),
    ("S9,B,3,class three,,Tue,,normal,,,enrolled,\n", "class", "unknown class format"),
    ("S9,B,3,4-1,,Tue,,normal,,,enrolled,\n", "class", "class is not in grade 3"),
    ("S9,B,3,3-1,,Mon Tue,,normal,,,enrolled,\n", "afternoon", "does not run on Mon"),
    ("S9,B,3,3-1,,Tue Someday,,normal,,,enrolled,\n", "afternoon", "unknown weekday"),
    ("S9,B,3,3-1,,Tue,orphan,normal,,,enrolled,\n", "priority", "unknown priority category"),
    ("S9,B,3,3-1,,Tue,,poor,,,enrolled,\n", "fee_category", "unknown fee category"),
    ("S9,B,3,3-1,,Tue,,reduced,,,enrolled,\n", "fee_reduction", "reduction missing"),
    ("S9,B,3,3-1,,Tue,,reduced,-5.00,,enrolled,\n", "fee_reduction", "must not be negative"),
    ("S9,B,3,3-1,,Tue,,reduced,120%,,enrolled,\n", "fee_reduction", "out of range"),
    ("S9,B,3,3-1,,Tue,,normal,,,maybe,\n", "status", "unknown status"),
    ("S9,,3,3-1,,Tue,,normal,,,enrolled,\n", "name", "name missing"),
    ("S9,B,3,3-1,,Tue,,normal,,,enrolled,someday\n", "applied_on", "not a date"),
])
def test_student_rules(tmp_path, row, column, fragment):
    folder = write_instance(tmp_path / "i", students=students_rows(1) + row, teachers=T1,
                            availability=A1)
    p = one(folder, file="students.csv", row=3, column=column)
    assert fragment in p.message


@pytest.mark.parametrize("row, column, fragment", [
    ("T1,Wang,yes,no,staff,,,,no\n", "id", "duplicate staff id"),
    ("T2,Wang,maybe,no,staff,,,,no\n", "volunteer", "not yes or no"),
    ("T2,Wang,yes,no,contractor,,,,no\n", "kind", "unknown kind"),
    ("T2,Wang,yes,no,external,-80,,,no\n", "hourly_rate", "not an amount of 0 or more"),
    ("T2,Wang,yes,no,staff,,-10,,no\n", "max_weekly_minutes", "not a whole number"),
])
def test_teacher_rules(tmp_path, row, column, fragment):
    folder = write_instance(tmp_path / "i", students=students_rows(1), teachers=T1 + row,
                            availability=A1 + row.split(",")[0] + ",Wed,after-upper,available\n")
    p = one(folder, file="teachers.csv", row=3, column=column)
    assert fragment in p.message


@pytest.mark.parametrize("row, column, fragment", [
    ("T9,Tue,after-upper,available\n", "teacher", "unknown teacher"),
    ("T1,Sunday,noon,available\n", "day", "unknown weekday"),
    ("T1,Wed,evening,available\n", "session", "unknown session or duty window"),
    ("T1,Wed,noon,sometimes\n", "status", "unknown status"),
    ("T1,Tue,after-upper,preferred\n", "session", "repeated (also on row 2)"),
])
def test_availability_rules(tmp_path, row, column, fragment):
    folder = write_instance(tmp_path / "i", students=students_rows(1), teachers=T1,
                            availability=A1 + row)
    p = one(folder, file="availability.csv", row=3, column=column)
    assert fragment in p.message


BAD_SESSION = SCHOOL + """
[[sessions]]
id = "after-upper"
grades = [3, 4, 5, 6]
days = ["Tue"]
start = "{start}"
end = "{end}"
slots = [{slots}]
"""


@pytest.mark.parametrize("school, fragment", [
    (SCHOOL.replace("end = 2026-09-11", "end = 2026-09-01"), "term ends before it starts"),
    (SCHOOL.replace("end = 2026-09-11", "end = 2027-12-01"), "longer than a year"),
    (SCHOOL + "[rules]\npay_per_hour = \"-60.00\"\n", "must not be negative"),
    (SCHOOL + "[rules]\nmax_weekly_minutes = -1\n", "out of range"),
    (SCHOOL + "[rules]\ngroup_capp = 40\n", "did you mean 'group_cap'?"),
    (SCHOOL.replace("[term]", "[term]\nholiday = [2026-09-08]"), "did you mean 'holidays'?"),
    (SCHOOL.replace("[term]", "[term]\nmakeup_days = { 2026-09-08 = \"Fri\" }"),
     "already a school day"),
    (SCHOOL.replace("[term]", "[term]\nholidays = [{ from = 2026-09-08, to = 2026-09-10 }, "
                    "2026-09-09]"), "overlaps"),
    (BAD_SESSION.format(start="4pm", end="17:20", slots=""), "not a time"),
    (BAD_SESSION.format(start="17:20", end="16:20", slots=""), "ends before it starts"),
    (BAD_SESSION.format(start="16:20", end="17:20",
                        slots='{ name = "a", start = "16:20", end = "16:50" }, '
                              '{ name = "b", start = "16:55", end = "17:20" }'),
     "slots do not tile"),
    (BAD_SESSION.format(start="16:20", end="17:20",
                        slots='{ name = "a", start = "16:20", end = "17:00" }'),
     "slots end before the session ends"),
])
def test_school_toml_rules(tmp_path, school, fragment):
    folder = write_instance(tmp_path / "i", students=students_rows(1), teachers=T1,
                            availability=A1, school=school)
    found = problems(folder)
    assert any(fragment in p.message and p.file == "school.toml" for p in found), found


def test_toml_problem_names_line(tmp_path):
    folder = write_instance(tmp_path / "i", students=students_rows(1), teachers=T1,
                            availability=A1, rules="group_capp = 40\n")
    p = one(folder)
    assert p.row == SCHOOL.count("\n") + 3 and p.column == "rules.group_capp"


def test_toml_syntax_error_line(tmp_path):
    folder = write_instance(tmp_path / "i", students=students_rows(1), teachers=T1,
                            availability=A1, school=SCHOOL + "name = \n")
    p = one(folder, file="school.toml")
    assert "syntax" in p.message and p.row == SCHOOL.count("\n") + 1


def test_all_problems_reported_at_once(tmp_path):
    folder = write_instance(
        tmp_path / "i", students=students_rows(1) + "S9,B,7,7-1,,Mon,,poor,,,maybe,\n",
        teachers=T1, availability=A1 + "T9,Tue,after-upper,available\n",
        school=SCHOOL + "[rules]\ngroup_capp = 40\n")
    found = problems(folder)
    assert {p.file for p in found} == {"school.toml"}  # school.toml fatal: stops there
    folder = write_instance(tmp_path / "j", students=students_rows(1) +
                            "S9,B,7,7-1,,Mon,,poor,,,maybe,\n", teachers=T1,
                            availability=A1 + "T9,Tue,after-upper,available\n")
    found = problems(folder)
    assert {(p.file, p.column) for p in found} >= {
        ("students.csv", "grade"), ("students.csv", "fee_category"),
        ("students.csv", "status"), ("availability.csv", "teacher")}


def test_missing_column_and_unknown_extra_column(tmp_path):
    folder = write_instance(tmp_path / "i", students=students_rows(1), teachers=T1,
                            availability=A1)
    text = (folder / "students.csv").read_text().replace("grade,", "grades,", 1)
    (folder / "students.csv").write_text(text)
    found = problems(folder)
    assert any(p.column == "grade" and "required column missing" in p.message for p in found)


def test_volunteer_without_availability_is_a_warning(tmp_path):
    folder = write_instance(tmp_path / "i", students=students_rows(1),
                            teachers=T1 + "T2,Wang,yes,no,staff,,,,no\n", availability=A1)
    inst = read_instance(folder)
    assert any("T2" in str(w) and "no available time" in str(w) for w in inst.warnings)


def test_availability_of_someone_who_stopped_volunteering_is_a_warning_and_unused(tmp_path):
    # SPEC §9: the office sets volunteer = no for a teacher who stops during the term; their
    # declared times stay in availability.csv (rows 3 and 4). One warning names them, the
    # plan never uses them: T1 alone covers the group.
    folder = write_instance(tmp_path / "i", students=students_rows(1),
                            teachers=T1 + "T2,Wang,no,no,staff,,,,no\n",
                            availability=A1 + "T2,Tue,after-upper,available\n"
                            "T2,Thu,after-upper,preferred\n")
    inst = read_instance(folder)
    (warning,) = [w for w in inst.warnings if "does not volunteer" in str(w)]
    assert warning.row == 3 and warning.value == "T2" and "rows 3, 4" in warning.message
    from afterschool.scheduler.planning.solve import solve
    plan = solve(inst, time_limit=2, seed=0)
    assert plan.duties and {d.staff for d in plan.duties} == {"T1"}


CN_STUDENTS = ("学号,姓名,年级,班级,午托,晚托,优先类别,收费类别,减免,午餐,状态\n"
               "S1,张晓䶮,三年级,3年级1班,周一 周三,星期二、星期四,留守儿童,减免,50%,是,已录取\n")
CN_TEACHERS = "工号,姓名,自愿,可任管理,类型,课时费,每周上限,任教班级,允许同日两段\nT1,李华,是,否,外聘,80.00,,3-1,否\n"
CN_AVAIL = "教师,星期,时段,状态\nT1,周二,after-upper,优先\n"


@pytest.mark.parametrize("encoding, sep", [("utf-8", ","), ("utf-8-sig", ","),
                                            ("gb18030", ","), ("utf-16", "\t")])
def test_chinese_headers_and_excel_encodings(tmp_path, encoding, sep):
    folder = write_instance(tmp_path / "i")
    for name, text in (("students.csv", CN_STUDENTS), ("teachers.csv", CN_TEACHERS),
                       ("availability.csv", CN_AVAIL)):
        (folder / name).write_bytes(text.replace(",", sep).encode(encoding))
    inst = read_instance(folder)
    (s,) = inst.students
    assert (s.name, s.grade, s.klass, s.noon, s.afternoon) == (
        "张晓䶮", 3, "3-1", ("Mon", "Wed"), ("Tue", "Thu"))
    assert s.priority == ("left_behind",) and s.fee_reduction.percent == 50
    assert inst.teachers[0].kind == "external" and str(inst.teachers[0].hourly_rate) == "80.00"
    assert inst.availability[0].status == "preferred"


def test_undecodable_csv_names_row(tmp_path):
    folder = write_instance(tmp_path / "i", students=students_rows(2), teachers=T1,
                            availability=A1)
    data = (folder / "students.csv").read_bytes() + b"S3,\xff\xfe\xff,3,3-1,,Tue,,normal,,,enrolled,\n"
    (folder / "students.csv").write_bytes(data)
    p = one(folder, file="students.csv")
    assert p.row == 4 and "UTF-8" in p.message


def test_xlsx_workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "school"
    for row in (("key", "value"), ("school.name", "Book School"), ("term.start", "2026-09-07"),
                ("term.end", "2026-09-11"), ("term.official_holidays", False)):
        ws.append(row)
    for i, (title, text) in enumerate((("学生", CN_STUDENTS), ("教师", CN_TEACHERS),
                                       ("可用时间", CN_AVAIL))):
        sheet = wb.create_sheet(title)
        for n, line in enumerate(text.strip().split("\n")):
            sheet.append(line.split(","))
            if n == 0 and i == 0:
                sheet.append([])  # a blank row keeps its number
    # term dates typed as text are not dates
    wb.save(tmp_path / "bad.xlsx")
    found = problems(tmp_path / "bad.xlsx")
    assert any(p.column == "term.start" for p in found)
    from datetime import date
    ws["B3"], ws["B4"] = date(2026, 9, 7), date(2026, 9, 11)
    wb.save(tmp_path / "good.xlsx")
    inst = read_instance(tmp_path / "good.xlsx")
    assert inst.school.name == "Book School" and inst.students[0].klass == "3-1"
    wb["学生"]["C3"] = "九"
    wb.save(tmp_path / "badrow.xlsx")
    p = one(tmp_path / "badrow.xlsx", row=3, column="grade")
    assert p.file.endswith(":students")


def test_path_that_does_not_exist(tmp_path):
    p = one(tmp_path / "nowhere")
    assert "no such file" in p.message
