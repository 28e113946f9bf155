"""The bad-input corpus: one defect per case, the message a school office sees, exit 2, no
traceback, nothing written. Run through the CLI exactly as a user would.

Each case: (id, how to break the base instance, text expected in the message). The base is a
valid tiny school: ten third-graders on Tuesday afternoons, one volunteer who can manage.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from afterschool.cli import main
from afterschool.models.errors import InputError
from afterschool.scheduler.reading.reader import read_instance
from school_files import SCHOOL, STUDENT_HEAD, TEACHER_HEAD, students_rows
from school_files import ONE_AVAILABILITY, ONE_VOLUNTEER, append, base, digest, write
from school_files import write_workbook as workbook

T1 = ONE_VOLUNTEER
A1 = ONE_AVAILABILITY


def replace(name, old, new, count=1):
    def go(f: Path):
        p = f / name
        text = p.read_text(encoding="utf-8")
        assert old in text, (name, old)
        p.write_text(text.replace(old, new, count), encoding="utf-8")
    return go


def school(extra_term="", extra=""):
    return write("school.toml", (SCHOOL.replace("[term]", "[term]\n" + extra_term) + extra)
                 .encode("utf-8"))


STU = "S0099,Kid,3,3-1,,Tue,,normal,,,enrolled,\n"
CASES = [
    ("unbalanced quote", append("students.csv", 'S0099,"Kid,3,3-1,,Tue,,normal,,,enrolled,\n'),
     "students.csv, row 12: malformed CSV"),
    ("ragged row", append("students.csv", "S0099,Kid,3,3-1,,Tue,,normal,,,enrolled,,extra\n"),
     "row has 13 values but the header has 12"),
    ("empty file", write("students.csv", b""), "students.csv, row 1: the table is empty"),
    ("header only", write("students.csv", STUDENT_HEAD.encode()), "no students listed"),
    ("teachers header only", write("teachers.csv", TEACHER_HEAD.encode()),
     "no staff members listed"),
    ("missing column", replace("students.csv", "grade,", "grades,"),
     "column 'grade': required column missing"),
    ("duplicated column", replace("students.csv", "applied_on", "年级"),
     "two columns mean 'grade'"),
    ("truncated multibyte", write("students.csv", (STUDENT_HEAD + "S1,张晓明,3,3-1,,Tue,,normal,"
                                                    ",,enrolled,\nS2,李").encode()[:-1]),
     "broken or truncated UTF-8 character"),
    ("latin-1 bytes", write("students.csv", (STUDENT_HEAD + "S0099,Jos").encode() + b"\xe9\xff" +
                            b",3,3-1,,Tue,,normal,,,enrolled,\n"),
     "not UTF-8, UTF-16 or GB18030"),
    ("grade not a number", append("students.csv", "S0099,Kid,three,3-1,,Tue,,normal,,,enrolled,\n"),
     "row 12, column 'grade': unknown grade"),
    ("grade out of range", append("students.csv", "S0099,Kid,9,9-1,,Tue,,normal,,,enrolled,\n"),
     "unknown grade"),
    ("unknown weekday", append("students.csv", "S0099,Kid,3,3-1,,Tue Funday,,normal,,,enrolled,\n"),
     "column 'afternoon': unknown weekday"),
    ("afternoon on Monday", append("students.csv", "S0099,Kid,3,3-1,,Mon,,normal,,,enrolled,\n"),
     "does not run on Mon"),
    ("Saturday noon", append("students.csv", "S0099,Kid,3,3-1,周六,,,normal,,,enrolled,\n"),
     "does not run on Sat"),
    ("student in two classes", append("students.csv", "S0001,Kid1,3,3-2,,Tue,,normal,,,enrolled,\n"),
     "duplicate student id (also on row 2, class 3-1)"),
    ("class format", append("students.csv", "S0099,Kid,3,three-one,,Tue,,normal,,,enrolled,\n"),
     "unknown class format"),
    ("class in another grade", append("students.csv", "S0099,Kid,3,4-1,,Tue,,normal,,,enrolled,\n"),
     "class is not in grade 3"),
    ("unknown priority", append("students.csv", "S0099,Kid,3,3-1,,Tue,vip,normal,,,enrolled,\n"),
     "unknown priority category (value hidden"),
    ("unknown fee category", append("students.csv", "S0099,Kid,3,3-1,,Tue,,free,,,enrolled,\n"),
     "unknown fee category"),
    ("reduction missing", append("students.csv", "S0099,Kid,3,3-1,,Tue,,reduced,,,enrolled,\n"),
     "reduction missing"),
    ("reduction over 100%", append("students.csv", "S0099,Kid,3,3-1,,Tue,,reduced,150%,,enrolled,\n"),
     "out of range"),
    ("reduction negative", append("students.csv", "S0099,Kid,3,3-1,,Tue,,reduced,-3,,enrolled,\n"),
     "must not be negative"),
    ("unknown status", append("students.csv", "S0099,Kid,3,3-1,,Tue,,normal,,,signed?,\n"),
     "unknown status"),
    ("date as number", append("students.csv", "S0099,Kid,3,3-1,,Tue,,normal,,,enrolled,46000\n"),
     "Excel's day 46000 is 2025-12-09"),
    ("duplicate staff id", append("teachers.csv", "T1,Wang,yes,no,staff,,,,no\n"),
     "duplicate staff id"),
    ("id shared across files", append("teachers.csv", "S0001,Wang,no,no,staff,,,,no\n"),
     "id is also a staff id"),
    ("volunteer not yes/no", append("teachers.csv", "T2,Wang,maybe,no,staff,,,,no\n"),
     "column 'volunteer': not yes or no"),
    ("negative hourly rate", append("teachers.csv", "T2,Wang,yes,no,external,-1,,,no\n"),
     "column 'hourly_rate'"),
    ("availability unknown teacher", append("availability.csv", "T9,Tue,after-upper,available\n"),
     "availability.csv, row 3, column 'teacher': unknown teacher"),
    ("availability unknown day", append("availability.csv", "T1,Someday,noon,available\n"),
     "column 'day': unknown weekday"),
    ("availability unknown session", append("availability.csv", "T1,Tue,evening,available\n"),
     "unknown session or duty window"),
    ("school.toml missing", lambda f: (f / "school.toml").unlink(), "school.toml: file missing"),
    ("students.csv missing", lambda f: (f / "students.csv").unlink(), "students.csv: file missing"),
    ("toml syntax error", write("school.toml", (SCHOOL + "name = \n").encode()),
     "school.toml, row 8, column 'character 8': TOML syntax error"),
    ("toml typo key", school(extra="[rules]\ngroup_capp = 40\n"), "did you mean 'group_cap'?"),
    ("term over a year", write("school.toml", SCHOOL.replace("2026-09-11", "2027-12-31").encode()),
     "term is longer than a year"),
    ("term backwards", write("school.toml", SCHOOL.replace("2026-09-11", "2026-08-01").encode()),
     "term ends before it starts"),
    ("overlapping holidays", school("holidays = [{ from = 2026-09-07, to = 2026-09-09 }, "
                                    "2026-09-08]"), "overlaps"),
    ("make-up day on a weekday", school('makeup_days = { 2026-09-08 = "Fri" }'),
     "already a school day"),
    ("negative pay rate", school(extra='[rules]\npay_per_hour = "-60"\n'), "must not be negative"),
    ("slots do not tile", school(extra='[[sessions]]\nid = "after-upper"\ngrades = [3]\n'
                                       'days = ["Tue"]\nstart = "16:20"\nend = "17:20"\n'
                                       'slots = [{ name = "a", start = "16:20", end = "16:50" }]\n'),
     "slots end before the session ends"),
]


@pytest.mark.parametrize("name, breaks, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_case(tmp_path, name, breaks, expected):
    folder = base(tmp_path / "school")
    breaks(folder)
    before = digest(folder)
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 2, (name, r.output)
    assert expected in r.stderr, (name, r.stderr)
    assert "Traceback" not in r.output
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out)])
    assert r.exit_code == 2 and not out.exists()
    assert digest(folder) == before


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=200))
def test_fuzzed_bytes_are_named_by_file_and_row(tmp_path_factory, data):
    """Any bytes after the header of students.csv: either a valid instance, or an InputError
    whose every problem names students.csv (the only file changed) and a data row."""
    folder = base(tmp_path_factory.mktemp("fb"))
    (folder / "students.csv").write_bytes(STUDENT_HEAD.encode() + data)
    try:
        inst = read_instance(folder)
    except InputError as err:
        assert err.problems
        for p in err.problems:
            assert Path(p.file).name == "students.csv" and p.message, str(p)
            assert p.row is None or p.row >= 2, str(p)  # the header is row 1
            assert str(p).startswith(p.file)
    else:
        assert all(s.id and s.grade in range(1, 7) for s in inst.students)


def _merge(wb):
    wb["students"].merge_cells("D2:D4")


def _formula(wb):
    wb["students"]["C3"] = "=1+2"


def _blank_then_bad(wb):
    ws = wb["students"]
    ws.insert_rows(3)
    ws["C5"] = "nine"


def _number_date(wb):
    wb["students"]["L2"] = 46000


XLSX_CASES = [
    ("merged cells", _merge, "merged cells D2:D4"),
    ("formula without value", _formula, "公式没有保存的结果"),
    ("blank row keeps numbering", _blank_then_bad, "第 5 行「grade」列：无法识别的年级"),
    ("date as number", _number_date, "Excel 的第 46000 天是 2025-12-09"),
    ("sheet missing", lambda wb: wb.remove(wb["teachers"]), "sheet 'teachers' missing"),
]


@pytest.mark.parametrize("name, edit, expected", XLSX_CASES, ids=[c[0] for c in XLSX_CASES])
def test_bad_workbook(tmp_path, name, edit, expected):
    path = workbook(tmp_path, edit)
    before = path.read_bytes()
    r = CliRunner().invoke(main, ["validate", str(path)])
    assert r.exit_code == 2 and expected in r.stderr, (name, r.stderr)
    assert path.read_bytes() == before and "Traceback" not in r.output


def test_good_workbook_and_unknown_column_warning(tmp_path):
    assert CliRunner().invoke(main, ["validate", str(workbook(tmp_path, lambda wb: None))]
                              ).exit_code == 0
    folder = base(tmp_path / "s")
    replace("students.csv", "applied_on", "applied_on,备注")(folder)
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 0 and "unknown column, ignored" in r.stderr


def test_path_missing_and_permission_denied(tmp_path, monkeypatch):
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "no such file or folder" in r.stderr
    folder = base(tmp_path / "s")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 2 and "permission denied" in r.stderr and "Traceback" not in r.output


def test_verbose_shows_traceback_for_internal_errors(tmp_path, monkeypatch):
    folder = base(tmp_path / "s")
    import afterschool.scheduler.reading.summary

    def boom(inst):
        raise RuntimeError("boom")

    monkeypatch.setattr(afterschool.scheduler.reading.summary, "summary_table", boom)
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 1 and "internal error: RuntimeError: boom" in r.stderr
    assert "Traceback" not in r.stderr
    r = CliRunner().invoke(main, ["-v", "validate", str(folder)])
    assert "Traceback" in r.stderr
