"""What a school clerk types is read as meant: session names in availability's 时段 column,
weekday ranges, a weekly limit in hours (a warning naming its row), a confirmed holiday list.
Every expectation is worked out by hand from the rows written here."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.models.errors import InputError
from afterschool.scheduler.reading.reader import read_instance
from afterschool.scheduler.reading.tables import parse_days
from school_files import SCHOOL, students_rows, write_instance

T1 = "T1,Li,yes,yes,staff,,,3-1,no\n"


def read(tmp_path, students=None, teachers=T1, availability="T1,Tue,after-upper,available\n",
         school=SCHOOL):
    return read_instance(write_instance(tmp_path / "i", students=students or students_rows(1),
                                        teachers=teachers, availability=availability,
                                        school=school))


def problems(tmp_path, **files):
    with pytest.raises(InputError) as exc:
        read(tmp_path, **files)
    return exc.value.problems


@pytest.mark.parametrize("typed, meant", [
    ("午托", "noon"), ("晚托(低年级)", "after-lower"), ("晚托（中高年级）", "after-upper"),
    ("晚托 (中高年级)", "after-upper"), ("after-upper", "after-upper"),
    ("afternoon care (upper grades)", "after-upper"), ("Noon Care", "noon"),
    ("下午", "afternoon"), ("晚托", "afternoon"), ("午间", "noon"), ("afternoon", "afternoon"),
])
def test_session_display_names_in_availability(tmp_path, typed, meant):
    inst = read(tmp_path, availability=f"T1,周二,{typed},可以\n")
    assert [(a.day, a.session, a.status) for a in inst.availability] == [
        ("Tue", meant, "available")]


def test_names_set_in_school_toml(tmp_path):
    school = SCHOOL + """
[[sessions]]
id = "lunch"
name = "午间看护"
grades = [3]
days = ["Mon", "Tue"]
start = "11:30"
end = "13:00"
signup = "noon"
[[sessions]]
id = "late"
name = "晚托"
grades = [3]
days = ["Tue"]
start = "16:30"
end = "17:30"
"""
    inst = read(tmp_path, school=school, availability="T1,周一,午间看护,可以\nT1,周二,晚托,优先\n")
    assert [(a.day, a.session, a.status) for a in inst.availability] == [
        ("Mon", "lunch", "available"), ("Tue", "late", "preferred")]  # 晚托 names a session


def test_unknown_session_name_lists_the_names(tmp_path):
    (p,) = problems(tmp_path, availability="T1,周二,晚托(高年级),可以\n")
    assert (p.file, p.row, p.column) == ("availability.csv", 2, "session")
    assert p.expected.startswith("午托, 晚托(低年级), 晚托(中高年级), 午间, 下午")


def test_a_name_and_an_id_are_one_session(tmp_path):
    (p,) = problems(tmp_path, availability="T1,Tue,after-upper,available\n"
                    "T1,周二,晚托(中高年级),优先\n")
    assert (p.row, p.column) == (3, "session") and "repeated (also on row 2)" in p.message


@pytest.mark.parametrize("text, days", [
    ("周一至周五", ["Mon", "Tue", "Wed", "Thu", "Fri"]), ("周二到周五", ["Tue", "Wed", "Thu", "Fri"]),
    ("Mon-Fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]), ("Tue – Thu", ["Tue", "Wed", "Thu"]),
    ("星期一至星期三", ["Mon", "Tue", "Wed"]), ("周一至五", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
    ("Tue-Wed, Fri", ["Tue", "Wed", "Fri"]), ("周一、周三", ["Mon", "Wed"]),
])
def test_weekday_ranges(text, days):
    assert parse_days(text) == (days, [])


def test_a_backwards_range_is_refused():
    assert parse_days("周五至周一") == ([], ["周五至周一"])


def test_ranges_in_the_students_sheet(tmp_path):
    rows = ("S1,A,3,3-1,周一至周五,周一至周五,,normal,,,enrolled,\n"  # afternoon runs Tue-Fri
            "S2,B,3,3-1,,周二到周四,,normal,,,enrolled,\n"
            "S3,C,3,3-1,Mon-Wed,Tue-Fri,,normal,,,enrolled,\n")
    inst = read(tmp_path, students=rows)
    assert [(s.noon, s.afternoon) for s in inst.students] == [
        (("Mon", "Tue", "Wed", "Thu", "Fri"), ("Tue", "Wed", "Thu", "Fri")),
        ((), ("Tue", "Wed", "Thu")),
        (("Mon", "Tue", "Wed"), ("Tue", "Wed", "Thu", "Fri"))]


def test_a_day_named_alone_must_still_run(tmp_path):
    (p,) = problems(tmp_path, students="S1,A,3,3-1,,周一 周二,,normal,,,enrolled,\n")
    assert (p.file, p.row, p.column) == ("students.csv", 2, "afternoon")
    assert "does not run on Mon" in p.message


def test_ranges_and_lists_in_the_availability_day_column(tmp_path):
    inst = read(tmp_path, availability="T1,周一至周五,晚托(中高年级),可以\nT1,周一 周三,午托,优先\n")
    assert [(a.day, a.session, a.status) for a in inst.availability] == [
        ("Tue", "after-upper", "available"), ("Wed", "after-upper", "available"),
        ("Thu", "after-upper", "available"), ("Fri", "after-upper", "available"),
        ("Mon", "noon", "preferred"), ("Wed", "noon", "preferred")]


def test_weekly_limit_that_looks_like_hours_is_a_warning(tmp_path):
    inst = read(tmp_path, teachers=T1 + "T2,Wang,yes,no,staff,,4,,no\n"
                "T3,Zhao,yes,no,staff,,11,,no\n",
                availability="T1,Tue,after-upper,available\nT2,Wed,noon,available\n"
                "T3,Wed,noon,available\n")
    (w,) = inst.warnings
    assert (w.file, w.row, w.column, w.severity) == ("teachers.csv", 3,
                                                     "max_weekly_minutes", "warning")
    assert "looks like hours" in w.message and "240" in w.expected
    assert [t.max_weekly_minutes for t in inst.teachers] == [None, 4, 11]  # still minutes


def test_school_limit_that_looks_like_hours_names_its_line(tmp_path):
    inst = read(tmp_path, school=SCHOOL + "[rules]\nmax_weekly_minutes = 5\n")
    (w,) = inst.warnings
    assert (w.file, w.row, w.column) == ("school.toml", 9, "rules.max_weekly_minutes")
    assert "300" in w.expected


SPRING_2027 = SCHOOL.replace("start = 2026-09-07\nend = 2026-09-11\nofficial_holidays = false",
                             "start = 2026-12-28\nend = 2027-01-08\nholidays = [2027-01-01]")


def test_unknown_official_holidays_warn_until_confirmed(tmp_path):
    inst = read(tmp_path / "a", school=SPRING_2027)
    (w,) = inst.warnings
    assert "official holidays are not known for 2027-01-01..2027-01-08" in w.message
    assert "holidays_confirmed = true" in w.message
    confirmed = SPRING_2027.replace("holidays = [2027-01-01]",
                                    "holidays = [2027-01-01]\nholidays_confirmed = true")
    inst = read(tmp_path / "b", school=confirmed)
    assert inst.warnings == () and inst.school.term.holidays_confirmed


def test_holidays_confirmed_is_checked_like_every_key(tmp_path):
    bad = SPRING_2027.replace("holidays = [2027-01-01]",
                              "holidays = [2027-01-01]\nholidays_confirmed = \"yes\"")
    (p,) = problems(tmp_path, school=bad)
    assert (p.file, p.row, p.column) == ("school.toml", 8, "term.holidays_confirmed")
    assert p.message == "not true or false"


def test_bundled_school_does_not_warn():
    result = CliRunner().invoke(main, ["validate", "haijiang"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "official holidays" not in result.output
