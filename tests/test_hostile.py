"""Every string from a sheet is hostile (issue #13): the hostile-input corpus, through the CLI.

One family per bullet of the issue. Each case breaks the valid tiny school of
``test_bad_input`` (ten third-graders on Tuesday afternoons, one volunteer T1 who can
manage) in one way and states, worked out by hand, what the office must see: the exit code
(2 for bad input, 0 where the documented answer is a warning), the file, row and column,
never a traceback or an "internal error", never a private value; the inputs stay
byte-identical and nothing is written anywhere (``plan --out`` is refused before solving).
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from school_files import AVAIL_HEAD, SCHOOL, STUDENT_HEAD, TEACHER_HEAD
from school_files import ONE_AVAILABILITY, ONE_VOLUNTEER, append, base, digest, write
from school_files import write_workbook as workbook

T1 = ONE_VOLUNTEER
A1 = ONE_AVAILABILITY


def toml(extra_term="", extra="", school_name=None):
    text = SCHOOL.replace("[term]", "[term]\n" + extra_term) + extra
    if school_name is not None:
        text = text.replace('name = "Test School"', f"name = {school_name}")
    return write("school.toml", text.encode("utf-8"))


def student(sid="S0099", name="Kid", grade="3", klass="3-1", after="Tue", fee="normal",
            red="", applied=""):
    return append("students.csv",
                  f"{sid},{name},{grade},{klass},,{after},,{fee},{red},,enrolled,{applied}\n")


def teacher(tid="T2", name="Wang", rate="", weekly="", kind="staff"):
    return append("teachers.csv", f"{tid},{name},yes,no,{kind},{rate},{weekly},,no\n")


def session(**over):
    keys = {"id": '"after-upper"', "name": '"care"', "grades": "[3]", "days": '["Tue"]',
            "start": '"16:20"', "end": '"17:20"'}
    keys.update(over)
    return toml(extra="[[sessions]]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()))


def folder_in_place_of(name):
    def go(f: Path):
        (f / name).unlink()
        (f / name).mkdir()
        (f / name / "x.csv").write_text("id\n")
    return go


def sparse(name, size):
    def go(f: Path):
        with open(f / name, "r+b") as fh:
            fh.truncate(size)
    return go


def many_rows(n):
    def go(f: Path):
        row = "S{0},K,3,3-1,,Tue,,normal,,,enrolled,\n"
        (f / "students.csv").write_text(STUDENT_HEAD + "".join(row.format(i) for i in range(n)),
                                        encoding="utf-8")
    return go


def both(*steps):
    return lambda f: [s(f) for s in steps]


SECRET = "Secretname"  # never printed when it stands in a private column
# (id, how to break the base school, exit code, texts the office must see on stderr)
CASES = [
    # -- control characters: exit 2, file/row/column, private values hidden
    ("NUL in a name", student(name=f"{SECRET}\x00x"), 2,
     ["students.csv, row 12, column 'name': control character(s) U+0000", "value hidden"]),
    ("VT in a class", student(klass="3\x0b-1"), 2,
     ["row 12, column 'class': control character(s) U+000B"]),
    ("\\x01 in an id", student(sid="S\x0199"), 2, ["row 12, column 'id': control character"]),
    ("newline in a quoted name", append("students.csv",
                                        f'S0099,"{SECRET}\nx",3,3-1,,Tue,,normal,,,enrolled,\n'),
     2, ["students.csv, row 12, column 'name': control character(s) U+000A", "value hidden"]),
    ("line separator in a name", student(name=f"{SECRET}\u2028x"), 2,
     ["column 'name': control character(s) U+2028"]),
    ("tab in a staff name", append("teachers.csv", 'T2,"Wa\tng",yes,no,staff,,,,no\n'), 2,
     ["teachers.csv, row 3, column 'name': control character(s) U+0009"]),
    ("control character in availability", append("availability.csv",
                                                  "T1,Wed,after-upper,avail\x07able\n"), 2,
     ["availability.csv, row 3, column 'status': control character(s) U+0007"]),
    ("newline in the school name", toml(school_name='"Test\\nSchool"'), 2,
     ["school.toml, row 2, column 'school.name': control character(s) U+000A"]),
    ("bell in a session name", session(name='"care\\u0007"'), 2,
     ["column 'sessions.name': control character(s) U+0007"]),
    ("escape in a slot name", session(slots='[{ name = "a\\u001b[31m", start = "16:20", '
                                            'end = "17:20" }]'), 2,
     ["column 'sessions.name': control character(s) U+001B"]),
    ("control character in a TOML key", toml(extra='[rules]\n"cap\\u0007x" = 1\n'), 2,
     ["column 'rules.cap\\x07x': unknown key"]),
    # -- length caps
    ("id of 33 characters", student(sid="S" + "1" * 32), 2,
     ["row 12, column 'id': too long: 33 characters, at most 32"]),
    ("staff id of 300 characters", teacher(tid="T" * 300), 2,
     ["teachers.csv, row 3, column 'id': too long: 300 characters, at most 32"]),
    ("name of 51 characters", student(name=SECRET + "x" * 41), 2,
     ["row 12, column 'name': too long: 51 characters, at most 50", "value hidden"]),
    ("a 10 MB name", student(name="N" * 10_000_000), 2,
     ["row 12, column 'name': too long: 10,000,000 characters, at most 50"]),
    ("class of 101 characters", student(klass="3" * 101), 2,
     ["column 'class': too long: 101 characters, at most 100"]),
    ("school name of 101 characters", toml(school_name='"' + "S" * 101 + '"'), 2,
     ["column 'school.name': too long: 101 characters, at most 100"]),
    ("a 200,000-character school name", toml(school_name='"' + "S" * 200_000 + '"'), 2,
     ["column 'school.name': too long: 200,000 characters, at most 100"]),
    ("session id of 33 characters", session(id='"' + "a" * 33 + '"'), 2,
     ["column 'sessions.id': too long: 33 characters, at most 32"]),
    # -- the id alphabet (file names are built from ids)
    ("student id ../../../x", student(sid="../../../x"), 2,
     ["row 12, column 'id': an id must not start with '.'"]),
    ("staff id /abs/dir/x", teacher(tid="/abs/dir/x"), 2,
     ["teachers.csv, row 3, column 'id': an id may hold letters, digits", "'/'"]),
    ("staff id T/001", teacher(tid="T/001"), 2, ["column 'id': an id may hold letters"]),
    ("hidden-file id", student(sid=".S1"), 2, ["an id must not start with '.'"]),
    ("id with a space", student(sid="S 1"), 2, ["an id may hold letters", "' '"]),
    ("id that is a formula", student(sid="=1+2"), 2, ["an id may hold letters", "'='"]),
    ("session id with a slash", session(id='"after/upper"'), 2,
     ["school.toml", "column 'sessions.id'", "an id may hold letters"]),
    ("letters of any script are an id", student(sid="学生99"), 0, []),
    # -- identity: ids compared after NFKC, format characters removed, case-folded
    ("full-width duplicate id", student(sid="Ｓ０００１"), 2,
     ["row 12, column 'id': duplicate student id (also on row 2, class 3-1)"]),
    ("zero-width space in a duplicate id", student(sid="S\u200b0001"), 2,
     ["duplicate student id (also on row 2"]),
    ("duplicate id in another case", student(sid="s0001"), 2,
     ["duplicate student id (also on row 2"]),
    ("right-to-left override removed", teacher(tid="T\u202e1"), 2,
     ["teachers.csv, row 3, column 'id': duplicate staff id (also on row 2)"]),
    ("full-width staff id", teacher(tid="Ｔ１"), 2, ["duplicate staff id (also on row 2)"]),
    ("student id is a staff id in another case", teacher(tid="s0001"), 2,
     ["id is also a staff id"]),
    ("composed and decomposed ids are one", both(student(sid="Caf\u00e9"),
                                                  student(sid="Cafe\u0301", name="Other")), 2,
     ["row 13, column 'id': duplicate student id (also on row 12"]),
    ("BOM inside a staff id", teacher(tid="T\ufeff1"), 2, ["duplicate staff id (also on row 2)"]),
    ("invisible tag characters in a name are dropped", student(name="Kid\U000E0041x"), 0, []),
    ("same child, class and days written another way",
     student(sid="S0099", name="kid1", klass="3(1)", after="周二"), 0,
     ["row 12, column 'id': same name, class and sign-up as row 2 (id S0001)"]),
    ("same child under two ids", student(sid="S0099", name="Kid1"), 0,
     ["students.csv, row 12, column 'id': same name, class and sign-up as row 2 (id S0001)"]),
    ("availability id in another case", write("availability.csv",
                                              (AVAIL_HEAD + "t1,Tue,after-upper,available\n")
                                              .encode()), 0, []),
    # -- numbers: finite and in range
    ("hourly rate NaN", teacher(rate="NaN", kind="external"), 2,
     ["teachers.csv, row 3, column 'hourly_rate': not an amount of 0 or more"]),
    ("hourly rate 1e309", teacher(rate="1e309", kind="external"), 2,
     ["row 3, column 'hourly_rate'", "at most 10,000 yuan an hour"]),
    ("hourly rate 1e30", teacher(rate="1e30", kind="external"), 2,
     ["row 3, column 'hourly_rate'"]),
    ("hourly rate 10^30", teacher(rate="1" + "0" * 30, kind="external"), 2,
     ["row 3, column 'hourly_rate'"]),
    ("hourly rate 10,000.01", teacher(rate="10000.01", kind="external"), 2,
     ["row 3, column 'hourly_rate'"]),
    ("reduction NaN (private)", student(fee="reduced", red="NaN"), 2,
     ["row 12, column 'fee_reduction': not a reduction (value hidden"]),
    ("trailing control characters are trimmed like spaces",
     append("students.csv", 'S0099,"Kid\x0b\n",3,3-1,,Tue,,normal,,,enrolled,\n'), 0, []),
    ("reduction 1e309 (private)", student(fee="reduced", red="1e309"), 2,
     ["row 12, column 'fee_reduction': reduction out of range", "value hidden"]),
    ("reduction NaN%", student(fee="reduced", red="NaN%"), 2,
     ["column 'fee_reduction': reduction percentage out of range"]),
    ("weekly minutes 10^20", teacher(weekly="99999999999999999999"), 2,
     ["teachers.csv, row 3, column 'max_weekly_minutes': not a whole number from 0 to 10,080"]),
    ("weekly minutes 10,081", teacher(weekly="10081"), 2, ["column 'max_weekly_minutes'"]),
    ("superscript digits are digits after NFKC", teacher(weekly="²⁴⁰"), 0, []),
    ("Arabic-Indic digits are not minutes", teacher(weekly="٣٠٠"), 2,
     ["column 'max_weekly_minutes'"]),
    ("superscript grade", student(grade="³"), 0, []),
    ("school max_weekly_minutes 10^20", toml(extra="[rules]\nmax_weekly_minutes = "
                                              "99999999999999999999\n"), 2,
     ["school.toml, row 10, column 'rules.max_weekly_minutes': out of range"]),
    ("fee_per_hour nan", toml(extra="[rules]\nfee_per_hour = nan\n"), 2,
     ["column 'rules.fee_per_hour': not a finite amount of money"]),
    ("pay_per_hour inf", toml(extra="[rules]\npay_per_hour = inf\n"), 2,
     ["column 'rules.pay_per_hour': not a finite amount of money"]),
    ("pay_per_hour 1e30", toml(extra='[rules]\npay_per_hour = "1e30"\n'), 2,
     ["column 'rules.pay_per_hour': out of range"]),
    ("lunch price above 100,000", toml(extra='[rules]\nlunch_price = "100000.01"\n'), 2,
     ["column 'rules.lunch_price': out of range"]),
    ("fee_per_hour true", toml(extra="[rules]\nfee_per_hour = true\n"), 2,
     ["column 'rules.fee_per_hour': not an amount of money"]),
    ("daily minutes above a day", toml(extra="[rules]\nmax_daily_minutes = 1441\n"), 2,
     ["column 'rules.max_daily_minutes': out of range"]),
    ("billable minutes 100000", session(billable_minutes="100000"), 2,
     ["billable minutes must be 0 to 1440"]),
    # -- dates: ISO or 2026年8月13日
    ("day-first date", student(applied="13.8.2026"), 2,
     ["students.csv, row 12, column 'applied_on': not a date"]),
    ("month-first date", student(applied="8/13/2026"), 2, ["column 'applied_on': not a date"]),
    ("impossible date", student(applied="2026-02-30"), 2, ["column 'applied_on': not a date"]),
    ("Chinese date", student(applied="2026年8月13日"), 0, []),
    ("slashed ISO date", student(applied="2026/08/13"), 0, []),
    # -- the term, grades and the cap
    ("term of holidays only", toml("holidays = [{ from = 2026-09-07, to = 2026-09-11 }]"), 2,
     ["school.toml, column 'term': the term 2026-09-07 .. 2026-09-11 has no service date"]),
    ("session for grade 7", session(grades="[3, 7]"), 2,
     ["column 'sessions.grades'", "grade(s) 7 outside 1–6"]),
    ("session for grade 0", session(grades="[0]"), 2, ["grade(s) 0 outside 1–6"]),
    ("group cap 10000", toml(extra="[rules]\ngroup_cap = 10000\n"), 2,
     ["column 'rules.group_cap': out of range"]),
    ("group cap 46", toml(extra="[rules]\ngroup_cap = 46\n"), 2,
     ["column 'rules.group_cap': a group cap above 45 breaks the national class-size "
      "standard", "allow_above_standard = true"]),
    ("group cap 50 allowed", toml(extra="[rules]\ngroup_cap = 50\nallow_above_standard = "
                                        "true\n"), 0,
     ["warning: school.toml, row 10, column 'rules.group_cap': group_cap = 50 is above the "
      "national class-size standard of 45"]),
    ("allow_above_standard not a boolean", toml(extra='[rules]\nallow_above_standard = "yes"\n'),
     2, ["column 'rules.allow_above_standard': not true or false"]),
    # -- files that are not what they claim, or too large
    ("students.csv is a folder", folder_in_place_of("students.csv"), 2,
     ["students.csv: is a folder, not a file"]),
    ("school.toml is a folder", folder_in_place_of("school.toml"), 2,
     ["school.toml: is a folder, not a file"]),
    ("students.csv over 20 MB", sparse("students.csv", 20_000_001), 2,
     ["students.csv: file too large (20,000,001 bytes; at most 20,000,000)"]),
    ("more than 200,000 rows", many_rows(200_001), 2,
     ["students.csv, row 200002: more than 200,000 rows"]),
    ("header of 300 columns", write("teachers.csv", (TEACHER_HEAD.strip() + ",x" * 291 + "\n"
                                                     + T1).encode()), 2,
     ["teachers.csv, row 1: the header has 300 columns; at most 200"]),
    # -- privacy
    ("reduction without category: warning hides it",
     student(name="Kid1x", red="77.77"), 0,
     ["row 12, column 'fee_reduction': reduction given but fee category is not 'reduced'",
      "value hidden"]),
    ("unknown priority hidden", append("students.csv",
                                       f"S0099,Kid,3,3-1,,Tue,{SECRET},normal,,,enrolled,\n"), 2,
     ["column 'priority': unknown priority category (value hidden"]),
]


def _clean_run(r) -> str:
    text = r.stdout + r.stderr
    assert "Traceback" not in text and "internal error" not in text, text
    return text


@pytest.mark.parametrize("name, breaks, code, expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_case(tmp_path, name, breaks, code, expected):
    folder = base(tmp_path / "school")
    breaks(folder)
    before = digest(folder)
    around = sorted(p.name for p in tmp_path.iterdir())
    r = CliRunner().invoke(main, ["validate", str(folder)])
    text = _clean_run(r)
    assert r.exit_code == code, (name, text[:2000])
    for e in expected:
        assert e in r.stderr, (name, e, r.stderr[:2000])
    assert SECRET not in text
    assert len(text) < 20_000  # a 10 MB value is never echoed
    if code == 2:
        out = tmp_path / "out"
        r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out)])
        _clean_run(r)
        assert r.exit_code == 2 and not out.exists()
    assert digest(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == around


# -- workbooks: the used range of real cells, formulas never printed


def _set(sheet, cell, value):
    def go(wb):
        wb[sheet][cell] = value
    return go


XLSX_CASES = [
    ("stray cell at XFD1048576", _set("students", "XFD1048576", "x"), 0, []),
    ("stray cell at A1048576", _set("students", "A1048576", "S9"), 2,
     ["school.xlsx:students 第 1048576 行"]),
    ("stray cell far right of the school sheet", _set("school", "XFD1048576", "x"), 0, []),
    ("unsaved formula in a name", _set("students", "B3", f'=HYPERLINK("{SECRET}")'), 2,
     ["school.xlsx:students 第 3 行「name」列：公式没有保存的结果"]),
    ("line separator in a name cell", _set("students", "B3", f"{SECRET}\u2028x"), 2,
     ["school.xlsx:students 第 3 行「name」列：内容中有控制字符 U+2028",
      "个人信息，不显示所填内容"]),
    ("full-width duplicate id in a sheet", _set("students", "A3", "Ｓ０００１"), 2,
     ["school.xlsx:students 第 3 行「id」列：学号重复（第 2 行已有"]),
    ("school name too long in the school sheet", _set("school", "B2", "S" * 101), 2,
     ["太长：101 个字符，最多 100 个"]),
]


@pytest.mark.parametrize("name, edit, code, expected", XLSX_CASES,
                         ids=[c[0] for c in XLSX_CASES])
def test_hostile_workbook(tmp_path, name, edit, code, expected):
    path = workbook(tmp_path, edit)
    before = path.read_bytes()
    r = CliRunner().invoke(main, ["validate", str(path)])
    text = _clean_run(r)
    assert r.exit_code == code, (name, text[:2000])
    for e in expected:
        assert e in r.stderr, (name, e, r.stderr[:2000])
    assert SECRET not in text
    assert path.read_bytes() == before


def test_workbook_too_large_is_refused_up_front(tmp_path):
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as fh:
        fh.truncate(20_000_001)
    r = CliRunner().invoke(main, ["validate", str(path)])
    assert r.exit_code == 2 and "file too large (20,000,001 bytes" in r.stderr
    _clean_run(r)


# -- commands that write: generate, init, plan --out

def _gen(folder, *extra):
    return CliRunner().invoke(main, ["generate", str(folder), "--students", "30", *extra])


def case_generate_over_instance(tmp_path):
    folder = base(tmp_path / "school")
    before = digest(folder)
    r = _gen(folder)
    assert r.exit_code == 2 and "not empty" in r.stderr and digest(folder) == before


def case_init_over_instance(tmp_path):
    folder = base(tmp_path / "school")
    before = digest(folder)
    for force in ([], ["--force"]):  # a template never replaces a school's files
        r = CliRunner().invoke(main, ["init", str(folder), *force])
        assert r.exit_code == 2 and "already has school.toml, students.csv, teachers.csv, " \
            "availability.csv" in r.stderr and digest(folder) == before


def case_init_non_empty_folder(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("mine")
    r = CliRunner().invoke(main, ["init", str(folder)])
    assert r.exit_code == 2 and sorted(p.name for p in folder.iterdir()) == ["readme.txt"]
    assert CliRunner().invoke(main, ["init", str(folder), "--force"]).exit_code == 0
    assert (folder / "school.toml").exists() and (folder / "readme.txt").read_text() == "mine"


def case_generate_force(tmp_path):
    folder = base(tmp_path / "school")
    r = _gen(folder, "--force")
    assert r.exit_code == 0 and "S00030" in (folder / "students.csv").read_text()


def case_generate_name_with_quote_and_newline(tmp_path):
    # validate refuses a school name with a line break, so generate refuses to write one
    r = _gen(tmp_path / "g", "--name", 'Say "hi"\\\nnext line')
    _clean_run(r)
    assert r.exit_code == 2 and "--name: control character(s) U+000A" in r.stderr
    assert not (tmp_path / "g").exists()
    r = _gen(tmp_path / "g", "--name", 'Say "hi"\\ and \'bye\'')  # quotes stay fine
    assert r.exit_code == 0
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "g")])
    assert r.exit_code == 0 and 'Say "hi"\\ and \'bye\'' in r.stdout


def case_generate_name_with_quote_plans(tmp_path):
    import tomllib
    r = _gen(tmp_path / "g", "--name", '"] [rules] group_cap = 9000 #')
    assert r.exit_code == 0
    data = tomllib.loads((tmp_path / "g" / "school.toml").read_text(encoding="utf-8"))
    assert set(data) == {"school", "term"}  # the name injected no table


def case_out_read_only_before_solving(tmp_path, monkeypatch):
    import afterschool.scheduler.planning.solve as solve
    folder = base(tmp_path / "school")
    out = tmp_path / "ro"
    out.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **k: False if mode & os.W_OK
                        else real(path, mode, **k))  # as a non-root user sees chmod 555
    monkeypatch.setattr(solve, "solve", lambda *a, **k: pytest.fail("solved before the check"))
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out)])
    _clean_run(r)
    assert r.exit_code == 2 and "--out: " in r.stderr and "is read-only" in r.stderr
    assert list(out.iterdir()) == []


def case_out_cannot_be_created(tmp_path):
    folder = base(tmp_path / "school")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(blocker / "sub")])
    _clean_run(r)
    assert r.exit_code == 2 and "is a file, not a folder" in r.stderr
    assert blocker.read_text() == "x"


def case_out_is_a_file(tmp_path):
    folder = base(tmp_path / "school")
    target = tmp_path / "plan.txt"
    target.write_text("x")
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(target), "--force"])
    assert r.exit_code == 2 and "is a file" in r.stderr and target.read_text() == "x"
    _clean_run(r)


def case_out_holds_the_instance(tmp_path):
    folder = base(tmp_path / "school")
    before = digest(folder)
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(tmp_path), "--force"])
    assert r.exit_code == 2 and "holds the instance" in r.stderr
    assert digest(folder) == before


CLI_CASES = [case_generate_over_instance, case_init_over_instance, case_init_non_empty_folder,
             case_generate_force, case_generate_name_with_quote_and_newline,
             case_generate_name_with_quote_plans, case_out_read_only_before_solving,
             case_out_cannot_be_created, case_out_is_a_file, case_out_holds_the_instance]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.__name__[5:] for c in CLI_CASES])
def test_hostile_command(tmp_path, monkeypatch, case):
    if case.__code__.co_argcount == 2:
        case(tmp_path, monkeypatch)
    else:
        case(tmp_path)


# -- property: random Unicode in any text field is exit 0 or 2, never an internal error

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

STUDENT_FIELDS = ["id", "name", "grade", "class", "noon", "afternoon", "priority",
                  "fee_category", "fee_reduction", "lunch", "status", "applied_on"]
TEACHER_FIELDS = ["id", "name", "volunteer", "can_manage", "kind", "hourly_rate",
                  "max_weekly_minutes", "classes", "allow_double"]
AVAIL_FIELDS = ["teacher", "day", "session", "status"]
TOML_FIELDS = ["school.name", "session.id", "session.name", "slot.name"]
FIELDS = ([("students.csv", f) for f in STUDENT_FIELDS] +
          [("teachers.csv", f) for f in TEACHER_FIELDS] +
          [("availability.csv", f) for f in AVAIL_FIELDS] +
          [("school.toml", f) for f in TOML_FIELDS])
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Nd", "No", "Lo",
                                               "Sm", "Po"]), max_size=12),
    st.sampled_from(["NaN", "1e309", "-0", "²", "Ｓ０００１", "../x", "=1+2", "13.8.2026",
                     "\u202eT1", "9" * 40, "", " "]))


def _csv_field(text: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([text])
    return buf.getvalue()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), text=hostile_text)
def test_random_unicode_in_any_field_is_exit_0_or_2(tmp_path_factory, field, text):
    folder = base(tmp_path_factory.mktemp("u") / "school")
    file, column = field
    if file == "school.toml":
        from afterschool.scheduler.reading.clean import toml_string
        value = toml_string(text)
        school = (SCHOOL + "[[sessions]]\nid = \"after-upper\"\nname = \"care\"\n"
                  "grades = [3]\ndays = [\"Tue\"]\nstart = \"16:20\"\nend = \"17:20\"\n"
                  "slots = [{ name = \"s\", start = \"16:20\", end = \"17:20\" }]\n")
        key = {"school.name": ('name = "Test School"', f"name = {value}"),
               "session.id": ('id = "after-upper"', f"id = {value}"),
               "session.name": ('name = "care"', f"name = {value}"),
               "slot.name": ('name = "s"', f"name = {value}")}[column]
        (folder / file).write_text(school.replace(*key), encoding="utf-8")
    else:
        lines = (folder / file).read_text(encoding="utf-8").split("\n")
        head = lines[0].split(",")
        cells = next(csv.reader([lines[1]]))
        cells[head.index(column)] = text
        lines[1] = ",".join(_csv_field(c) for c in cells)
        (folder / file).write_text("\n".join(lines), encoding="utf-8")
    before = digest(folder)
    r = CliRunner().invoke(main, ["validate", str(folder)])
    _clean_run(r)
    assert r.exit_code in (0, 2), (field, text, r.output[-500:])
    assert digest(folder) == before


def test_out_is_the_current_folder(tmp_path, monkeypatch):
    folder = base(tmp_path / "school")
    here = tmp_path / "here"
    here.mkdir()
    (here / "keep.txt").write_text("x")
    monkeypatch.chdir(here)
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", ".", "--force"])
    _clean_run(r)
    assert r.exit_code == 2 and "is the current folder or holds it" in r.stderr
    for out in (str(tmp_path), "/"):  # these hold the instance too: either reason will do
        r = CliRunner().invoke(main, ["plan", str(folder), "--out", out, "--force"])
        _clean_run(r)
        assert r.exit_code == 2 and ("holds the instance" in r.stderr or
                                     "is the current folder or holds it" in r.stderr), out
    assert (here / "keep.txt").read_text() == "x"


def test_warnings_keep_the_row(tmp_path):
    # two warnings on row 12 (same child as row 2; a reduction without the category):
    # the row is still read, so validate counts 10 + 1 = 11 enrolled students
    folder = base(tmp_path / "school")
    student(sid="S0099", name="Kid1", red="5.00")(folder)
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 0 and "11 students (11 enrolled" in r.stdout
    assert "same name, class and sign-up as row 2" in r.stderr
