"""Options and scenario files are hostile input (issue #22): one validating layer
(``reading.options``), exit 2 naming the option or key before anything is solved.

The school is the tiny one of ``school_files.base`` (ten third-graders on Tuesday afternoons,
one volunteer), so a scenario that does run takes a fraction of a second.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterschool.cli import main
from afterschool.scheduler.reading import options
from school_files import base


def _clean(r):
    text = r.output + r.stderr
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    return text


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    return base(tmp_path_factory.mktemp("o") / "school")


@pytest.fixture
def no_solving(monkeypatch):
    """Fails the test if any scenario (the baseline included) is solved."""
    import afterschool.scheduler.planning.scenarios as scenarios
    monkeypatch.setattr(scenarios, "sweep", lambda *a, **k: pytest.fail("solved"))
    monkeypatch.setattr(scenarios, "run_scenario", lambda *a, **k: pytest.fail("solved"))


OPTION_CASES = [
    (["--students", "abc"], "Invalid value for '--students': 'abc' is not a percentage"),
    (["--students", "+1..+100000%"], "'+1..+100000' is not a plain number"),
    (["--students", "1e400%"], "'1e400' is not a plain number"),
    (["--students", "nan%"], "'nan' is not a plain number"),
    (["--students", "+301%"], "'+301%' is out of range: extra sign-ups from +1% to +300%"),
    (["--students", "-10%"], "'-10%' is out of range"),
    (["--students", "+10"], "'+10' is not a percentage such as +10%"),
    (["--teachers", "-1e400"], "Invalid value for '--teachers': '-1e400' is not a plain number"),
    (["--teachers", "+3"], "'+3' is out of range: from -1 to -100,000 people"),
    (["--teachers", "-2.5"], "'-2.5' is not a whole number of people"),
    (["--teachers", "-100%"], "'-100%' is out of range: a share from -1% to -99%"),
    (["--cap", "-5"], "Invalid value for '--cap': -5 is out of range: 1 to 1,000"),
    (["--cap", "0"], "Invalid value for '--cap': 0 is out of range: 1 to 1,000"),
    (["--cap", "99999999999999999999"], "99999999999999999999 is out of range: 1 to 1,000"),
    (["--cap", "40.5"], "'40.5' is not a whole number"),
    (["--cap", ",".join(str(c) for c in range(20, 41))], "21 values; at most 20"),
    (["--remainder-threshold", "1001"], "'--remainder-threshold': 1001 is out of range"),
    (["--manager-threshold", "x"], "'--manager-threshold': 'x' is not a whole number"),
    (["--days", "Funday"], "Invalid value for '--days': unknown weekday(s) 'Funday'"),
    (["--time-limit", "nan"], "Invalid value for '--time-limit': 'nan' is not a number"),
    (["--time-limit", "1e400"], "'1e400' is not a number of seconds"),
    (["--time-limit", "100000"], "100000 is out of range: 0.1 to 86,400 seconds"),
    (["--seed", "99999999999999999999"], "Invalid value for '--seed'"),
    (["--students", "+1%,+2%,+3%,+4%,+5%", "--cap", "1,2,3,4,5,6,7,8,9,10",
      "--teachers", "-1,-2,-3,-4,-5"], "251 scenarios in one run"),
]


@pytest.mark.usefixtures("no_solving")
@pytest.mark.parametrize("args, expected", OPTION_CASES, ids=[" ".join(c[0])[:40]
                                                               for c in OPTION_CASES])
def test_a_bad_option_is_exit_2_naming_it(school, args, expected):
    r = CliRunner().invoke(main, ["scenario", str(school), *args])
    _clean(r)
    assert r.exit_code == 2 and expected in r.stderr, r.stderr


@pytest.mark.parametrize("command", [["plan", "IN", "--out", "o"], ["need", "IN"],
                                     ["admit", "IN"]])
def test_time_limit_and_seed_of_every_solving_command(school, tmp_path, command):
    args = [str(school) if a == "IN" else str(tmp_path / a) if a == "o" else a
            for a in command]
    for bad, option in (["--time-limit", "inf"], "--time-limit"), (["--seed", "-1"], "--seed"):
        r = CliRunner().invoke(main, [*args, *bad])
        _clean(r)
        assert r.exit_code == 2 and f"Invalid value for '{option}'" in r.stderr
    assert not (tmp_path / "o").exists()


def _file(tmp_path, text, encoding="utf-8") -> Path:
    path = tmp_path / "s.toml"
    path.write_bytes(text.encode(encoding))
    return path


FILE_CASES = [
    ("scenario = 5\n", "s.toml: scenario: not an array of tables (found '5'"),
    ('[[scenario]]\ncap = "abc"\n', "s.toml: scenario[0].cap: 'abc' is not a whole number"),
    ('[[scenario]]\nseed = "x"\n', "scenario[0].seed: 'x' is not a whole number"),
    ("[[scenario]]\ncap = 10.5\n", "scenario[0].cap: 10.5 is not a whole number"),
    ("[[scenario]]\ncap = 40\n[[scenario]]\ncap = -5\n",
     "scenario[1].cap: -5 is out of range: 1 to 1,000"),
    ('[[scenario]]\nstudents = "1e400%"\n', "scenario[0].students: '1e400' is not a plain"),
    ("[[scenario]]\nstudents = nan\n", "scenario[0].students: nan is out of range"),
    ("[[scenario]]\nteachers = -inf\n", "scenario[0].teachers: -inf is out of range"),
    ("[[scenario]]\nteachers = true\n", "scenario[0].teachers: True is not a change"),
    ("[[scenario]]\ndays = 5\n", "scenario[0].days: 5 is not weekdays"),
    ('[[scenario]]\ndays = "Mon Funday"\n', "scenario[0].days: unknown weekday(s) 'Funday'"),
    ("[[scenario]]\ncapp = 40\n", "scenario[0].capp: unknown key (expected one of cap, days"),
    ('[[scenario]]\nname = "a\\nb"\n', "scenario[0].name: 'a\\nb' is not a name"),
    ("[other]\nx = 1\n", "s.toml: other: unknown table or key"),
    ("[[scenario]\n", "s.toml: not TOML"),
    ("a = " + "[" * 1000 + "]" * 1000 + "\n", "nested 1,000 levels deep, at most 8"),
    ("[[scenario]]\ncap = -1\n" * 1000, "1,001 scenarios in one run"),
]


@pytest.mark.usefixtures("no_solving")
@pytest.mark.parametrize("text, expected", FILE_CASES, ids=[c[0][:30] for c in FILE_CASES])
def test_a_bad_scenario_file_is_exit_2_naming_the_key(school, tmp_path, text, expected):
    r = CliRunner().invoke(main, ["scenario", str(school), "--file",
                                  str(_file(tmp_path, text))])
    _clean(r)
    assert r.exit_code == 2 and expected in r.stderr, r.stderr


@pytest.mark.usefixtures("no_solving")
def test_a_utf16_scenario_file_is_named_as_such(school, tmp_path):
    path = _file(tmp_path, "[[scenario]]\ncap = 40\n", "utf-16")
    r = CliRunner().invoke(main, ["scenario", str(school), "--file", str(path)])
    _clean(r)
    assert r.exit_code == 2 and "not UTF-8 text (saved as UTF-16 or GBK?)" in r.stderr


def test_days_as_one_string_is_weekdays_not_letters(school, tmp_path):
    # the tiny school runs Tuesdays only: "Mon" leaves nobody, "Tue" keeps all ten
    path = _file(tmp_path, '[[scenario]]\nname = "mon"\ndays = "Mon"\n'
                           '[[scenario]]\nname = "tue"\ndays = ["Tue"]\n')
    r = CliRunner().invoke(main, ["scenario", str(school), "--file", str(path), "--json",
                                  "--time-limit", "0.5"])
    _clean(r)
    assert r.exit_code == 0, r.output
    rows = {x["scenario"]: x for x in json.loads(r.stdout)}
    assert (rows["mon"]["students"], rows["tue"]["students"]) == (0, 10)
    assert options.days_value("Mon") == ("Mon",)
    assert options.days_value(["周二", "Thu"]) == ("Tue", "Thu")


def test_values_read_the_same_from_option_and_file():
    assert options.students_change("+25%") == options.students_change(0.25) == 0.25
    assert options.teachers_change("-3") == options.teachers_change(-3) == -3
    assert options.teachers_change("-10%") == options.teachers_change(-0.1) == -0.1
    assert options.whole("cap", "40") == options.whole("cap", 40) == 40


def test_scheduler_without_distributed_is_one_line(school, monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    r = CliRunner().invoke(main, ["scenario", str(school), "--scheduler",
                                  "tcp://10.0.0.5:8786"])
    _clean(r)
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert "tcp://10.0.0.5:8786" in line and 'pip install ".[dask]"' in line


# -- --teacher: an id in any case or a unique full name

def test_roster_teacher_by_id_in_any_case_or_by_name(tmp_path):
    from school_files import write_instance, students_rows
    school = write_instance(tmp_path / "s", students=students_rows(10),
                            teachers="T006,徐文,yes,yes,staff,,,3-1,no\n",
                            availability="T006,Tue,after-upper,available\n")
    out = tmp_path / "p"
    assert CliRunner().invoke(main, ["plan", str(school), "--out", str(out), "--skip",
                                     "all"]).exit_code == 0
    for who in ("t006", "T006", "徐文", " 徐文 "):
        r = CliRunner().invoke(main, ["roster", str(out), "--teacher", who, "--format", "csv",
                                      "--out", str(tmp_path / "r")])
        _clean(r)
        assert r.exit_code == 0 and "roster-T006.csv" in r.stdout, (who, r.output)
    r = CliRunner().invoke(main, ["roster", str(out), "--teacher", "T007", "--out",
                                  str(tmp_path / "r")])
    _clean(r)
    assert r.exit_code == 2 and "--teacher: no such person" in r.stderr
    assert "T006 (徐文)" in r.stderr  # the close candidate


def test_an_ambiguous_name_lists_the_candidates():
    people = {"T003": "徐文", "T017": "徐文", "T020": "王芳"}
    found, (p,) = options.resolve_person("徐文", people)
    assert found is None
    assert str(p) == ("--teacher: 2 people are named so; give the id (found '徐文'; expected "
                      "T003 (徐文), T017 (徐文))")
    assert options.resolve_person("王芳", people) == ("T020", [])
    assert options.resolve_person("ｔ０２０", people) == ("T020", [])  # NFKC, case-folded


def test_substitute_teacher_in_lower_case(tmp_path):
    from school_files import avail, school_until, students_rows, vol, write_instance
    school = write_instance(tmp_path / "s", students=students_rows(10),
                            teachers=vol("T1") + vol("T2"),
                            availability=avail("T1", "Tue", "after-upper")
                            + avail("T2", "Tue", "after-upper"),
                            school=school_until("2026-09-18"))
    out = tmp_path / "p"
    assert CliRunner().invoke(main, ["plan", str(school), "--out", str(out), "--skip",
                                     "all"]).exit_code == 0
    on_duty = json.loads((out / "plan.json").read_text())["duties"][0]["staff"]
    r = CliRunner().invoke(main, ["substitute", str(school), str(out), "--teacher",
                                  on_duty.lower(), "--dates", "2026-09-08", "--out",
                                  str(tmp_path / "c"), "--skip", "all"])
    _clean(r)
    assert r.exit_code == 0, r.output
    (x,) = json.loads((tmp_path / "c" / "plan.json").read_text())["exceptions"]
    assert x["replaces"] == on_duty and x["staff"] == ({"T1", "T2"} - {on_duty}).pop()


def test_the_wrote_line_lists_only_what_was_written(school, tmp_path):
    r = CliRunner().invoke(main, ["plan", str(school), "--out", str(tmp_path / "p"),
                                  "--skip", "charts", "--skip", "rosters"])
    _clean(r)
    assert r.exit_code == 0
    line = r.stdout.strip().splitlines()[-1]
    assert line.endswith("hand-out file(s) (timetable.xlsx, notices, report.html)"), line
    assert not any(p.name.startswith("chart-") for p in (tmp_path / "p").iterdir())
    assert not (tmp_path / "p" / "rosters").exists()
    r = CliRunner().invoke(main, ["plan", str(school), "--out", str(tmp_path / "q"),
                                  "--skip", "all"])
    assert r.stdout.strip().splitlines()[-1].endswith("plan.json (no hand-outs)"), r.stdout


# -- property: random option values and scenario files

option_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["+10%", "-3", "-10%", "40", "0", "-5", "1e400%", "nan%", "+1..+5%",
                     "99999999999999999999", "Tue", "Mon Fri", "45,40", "+300%", "-99%"]))
OPTIONS = ["--students", "--teachers", "--cap", "--remainder-threshold", "--manager-threshold",
           "--days", "--seed"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(picks=st.lists(st.tuples(st.sampled_from(OPTIONS), option_text), max_size=2))
def test_random_options_are_exit_0_or_2(school, tmp_path_factory, picks):
    out = tmp_path_factory.mktemp("so") / "out"
    args = [x for opt, text in picks for x in (opt, text)]
    r = CliRunner().invoke(main, ["scenario", str(school), *args, "--time-limit", "0.2",
                                  "--out", str(out)])
    _clean(r)
    assert r.exit_code in (0, 2), (args, r.output[-2000:])
    if r.exit_code == 2:
        assert not out.exists()


toml_value = st.one_of(st.integers(-10 ** 20, 10 ** 20), st.floats(allow_nan=True),
                       st.booleans(), st.text(max_size=10),
                       st.lists(st.sampled_from(["Mon", "Tue", "x"]), max_size=3),
                       st.sampled_from(["+10%", "-10%", "Tue", "40"]))
KEYS = sorted(["name", "students", "teachers", "cap", "students_per_teacher",
               "remainder_threshold", "groups_per_manager", "manager_remainder_threshold",
               "days", "seed", "other"])


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, (int,)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    from afterschool.scheduler.reading.clean import toml_string
    return toml_string(value)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tables=st.lists(st.dictionaries(st.sampled_from(KEYS), toml_value, max_size=3),
                       max_size=3))
def test_random_scenario_files_are_exit_0_or_2(school, tmp_path_factory, tables):
    root = tmp_path_factory.mktemp("sf")
    text = "".join("[[scenario]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in t.items())
                   for t in tables)
    path = _file(root, text)
    r = CliRunner().invoke(main, ["scenario", str(school), "--file", str(path),
                                  "--time-limit", "0.2", "--json"])
    _clean(r)
    assert r.exit_code in (0, 2), (text, r.output[-2000:])
    if r.exit_code == 0:
        assert len(json.loads(r.stdout)) == len(tables) + 1


@pytest.mark.parametrize("args, expected", [
    (["plan", "IN", "--out", "o", "--group-days-tolerance", "nan"],
     "Invalid value for '--group-days-tolerance': 'nan' is not a percentage"),
    (["plan", "IN", "--out", "o", "--group-days-tolerance", "101"], "101 is out of range"),
    (["staffing", "--students", "99999999999999999999"], "Invalid value for '--students'"),
])
def test_other_numeric_options(school, tmp_path, args, expected):
    args = [str(school) if a == "IN" else str(tmp_path / a) if a == "o" else a for a in args]
    r = CliRunner().invoke(main, args)
    _clean(r)
    assert r.exit_code == 2 and expected in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()
