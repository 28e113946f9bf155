"""A plan file is hostile input (issue #22): the plan schema and the reader, by hand and by
property.

The rich plan: a three-week term, ten third-graders on Tuesday and Thursday afternoons, three
volunteers; planned, T1 covered on 2026-09-08, re-planned from 2026-09-15 and T1 covered
again on 2026-09-22, so it has a history version, two substitutions and every section. Each
case breaks it in one way and states what the office must see: exit 2 and the JSON path,
never a traceback or an "internal error", nothing written.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterschool.cli import main
from afterschool.models.plan import Plan
from afterschool.scheduler.reading.plan_file import read_plan, text_depth
from afterschool.scheduler.reading.plan_schema import MAX_PLAN_BYTES, validate_plan_dict
from school_files import avail, school_until, students_rows, vol, write_instance


def _ok(r, *codes):
    text = r.output + (r.stderr if r.stderr_bytes is not None else "")
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert r.exit_code in codes, (r.exit_code, text[-3000:])
    return text


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """(school folder, the rich plan.json) — see the module doc."""
    root = tmp_path_factory.mktemp("rich")
    school = write_instance(
        root / "school", students=students_rows(10, afternoon="Tue Thu"),
        teachers=vol("T1", manage="yes") + vol("T2", manage="yes") + vol("T3"),
        availability="".join(avail(t, "Tue Thu", "after-upper") for t in ("T1", "T2", "T3")),
        school=school_until("2026-09-25"))
    run = CliRunner().invoke
    steps = [["plan", school, "--out", root / "p1", "--time-limit", "1"],
             ["substitute", school, root / "p1", "--teacher", "T1", "--dates", "2026-09-08",
              "--out", root / "p2"],
             ["replan", school, "--previous", root / "p2", "--from", "2026-09-15", "--out",
              root / "p3"],
             ["substitute", school, root / "p3", "--teacher", "T1", "--dates", "2026-09-22",
              "--out", root / "p4"]]
    for args in steps:
        _ok(run(main, [*map(str, args), "--skip", "all"]), 0)
    plan = root / "p4" / "plan.json"
    _ok(run(main, ["check", str(school), str(plan)]), 0)
    return school, plan


def test_the_rich_plan_has_every_part(rich):
    _, path = rich
    data = json.loads(path.read_text(encoding="utf-8"))
    assert len(data["history"]) == 1 and len(data["exceptions"]) == 2
    assert data["history"][0]["valid_to"] == "2026-09-14" and data["valid_from"] == "2026-09-15"
    assert validate_plan_dict(data, "p") == []
    # {plan} > history [ > {version} > signups { > S0001 { > afternoon [
    assert text_depth(path.read_bytes()) == 6


def test_a_valid_plan_reads_back_byte_for_byte(rich):
    _, path = rich
    text = path.read_text(encoding="utf-8")
    plan = read_plan(path)
    assert json.dumps(plan.to_dict(), ensure_ascii=False, indent=1) == \
        json.dumps(json.loads(text), ensure_ascii=False, indent=1)
    assert plan.to_dict() == Plan.from_dict(json.loads(text)).to_dict()


def test_text_depth_skips_brackets_in_strings():
    assert text_depth(b'{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert text_depth(b'"\\"[[["') == 0
    assert text_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000


def _set(path: str, value):
    """An edit that sets the value at a dotted path (list indexes as numbers)."""
    def go(data):
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        at = data
        for k in keys[:-1]:
            at = at[k]
        at[keys[-1]] = value
    return go


def _drop(path: str):
    def go(data):
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        at = data
        for k in keys[:-1]:
            at = at[k]
        del at[keys[-1]]
    return go


def _dup_group(data):
    data["groups"].append(dict(data["groups"][0]))


def _overlap(data):
    data["history"][0]["valid_to"] = "2026-09-18"  # the current version starts 09-15


# (name, edit of the decoded plan, texts stderr must hold)
CASES = [
    ("the plan is an array", lambda d: d.clear() or d.update(_ARRAY=True),
     ["(the whole plan): wrong type"]),
    ("people is an array", _set("people", []), ["people: wrong type"]),
    ("calendar is a string", _set("calendar", "x"), ["calendar: wrong type"]),
    ("a fee of abc", _set("fees.0.service_fee", "abc"),
     ["fees[0].service_fee: not an amount of money (found 'abc'; expected an amount in yuan "
      "as a string with two decimals"]),
    ("a fee as a number", _set("fees.0.service_fee", 2.0), ["fees[0].service_fee: wrong type"]),
    ("a staffing count of 1e400", _set("staffing.0.students", "<1e400>"),
     ["staffing[0].students: wrong type"]),
    ("a staffing count of 10^30", _set("staffing.0.groups", 10 ** 30),
     ["staffing[0].groups: out of range"]),
    ("a duty starting 25:99", _set("duties.0.start", "25:99"),
     ["duties[0].start: not a time (found '25:99'; expected a time HH:MM from 00:00 to 23:59)"]),
    ("a duty ending before it starts", _set("duties.0.end", "16:00"),
     ["duties[0].end: not after the start"]),
    ("a row that is not an object", _set("duties.1", "T1 Tue"), ["duties[1]: wrong type"]),
    ("a shortage count as text", _set("shortages", [{"day": "Tue", "start": "16:20",
                                                     "end": "17:20", "role": "teacher",
                                                     "count": "1"}]),
     ["shortages[0].count: wrong type"]),
    ("a shortage count of 10^30", _set("shortages", [{"day": "Tue", "start": "16:20",
                                                      "end": "17:20", "role": "teacher",
                                                      "count": 10 ** 30}]),
     ["shortages[0].count: out of range"]),
    ("an id given as a list", _set("duties.0.staff", ["T1"]), ["duties[0].staff: wrong type"]),
    ("a staff id with a slash", _set("duties.0.staff", "../../T1"),
     ["duties[0].staff: an id must not start with '.'"]),
    ("an exception for unknown T999", _set("exceptions.0.staff", "T999"),
     ["exceptions[0].staff: unknown person (found 'T999'; expected a key of people.staff)"]),
    ("an exception without replaces", _drop("exceptions.1.replaces"),
     ["exceptions[1].replaces: missing"]),
    ("an exception outside the term", _set("exceptions.1.date", "2026-10-22"),
     ["exceptions[1].date: outside the plan's term (found '2026-10-22'; expected a date from "
      "2026-09-07 to 2026-09-25)"]),
    ("an exception on another weekday", _set("exceptions.0.date", "2026-09-09"),
     ["exceptions[0].date: not a service date on that weekday (found '2026-09-09'; expected "
      "a date of calendar.Tue)"]),
    ("an exception of a duty nobody holds", _set("exceptions.1.start", "16:00"),
     ["exceptions[1].replaces: no such duty of T1 on 2026-09-22 16:00-17:20 (teacher, "
      "after-upper-01)"]),
    ("an exception of a teacher without its group", _set("exceptions.0.group", None),
     ["exceptions[0].group: missing for a teacher's duty"]),
    ("the same duty covered twice", lambda d: d["exceptions"].append(dict(d["exceptions"][1])),
     ["exceptions[2].replaces: no such duty of T1 on 2026-09-22"]),
    ("valid_from yesterday", _set("valid_from", "yesterday"),
     ["valid_from: not a date (found 'yesterday'"]),
    ("history valid_from yesterday", _set("history.0.valid_from", "yesterday"),
     ["history[0].valid_from: not a date"]),
    ("overlapping versions", _overlap,
     ["valid_from: versions overlap or leave a gap (found '2026-09-15'; expected 2026-09-19"]),
    ("history not from the term start", _set("history.0.valid_from", "2026-09-08"),
     ["history[0].valid_from: the first version does not start on the term's start"]),
    ("duplicate group ids", _dup_group, ["groups[1].id: duplicate group id",
                                          "groups[1].students[0]: a student placed twice in "
                                          "one session (found 'S0001'; expected one place "
                                          "only (also at groups[0].students[0]))"]),
    ("a student twice in a group of an earlier version",
     lambda d: d["history"][0]["groups"][0]["students"].append("S0003"),
     ["history[0].groups[0].students[10]: a student placed twice in one session"]),
    ("a duty of a group not in its version", _set("duties.0.group", "after-upper-99"),
     ["duties[0].group: no group of this version"]),
    ("a weekday twice in a sign-up",
     lambda d: d["history"][0]["signups"]["S0003"]["afternoon"].append("Tue"),
     ["history[0].signups.S0003.afternoon: a value listed twice (found 'Tue'; expected an "
      "array of weekdays Mon..Fri, each once)"]),
    ("a service date twice", lambda d: d["calendar"]["Tue"].append(d["calendar"]["Tue"][0]),
     ["calendar.Tue: a value listed twice"]),
    ("a group of an unknown session", _set("groups.0.session", "chess"),
     ["groups[0].session: unknown session"]),
    ("a student no one knows", _set("groups.0.students.0", "S9999"),
     ["groups[0].students[0]: unknown student"]),
    ("a control character in a name", _set("people.staff.T1.name", "Li\nWang"),
     ["people.staff.T1.name: control character in a value"]),
    ("another schema", _set("schema", "afterschool-plan/2"),
     ["schema: not a plan of this schema (found 'afterschool-plan/2'; expected "
      "afterschool-plan/1)"]),
    ("no term", _drop("term"), ["term: missing"]),
    ("a weekday Sat", _set("duties.0.day", "Sat"), ["duties[0].day: not an allowed value"]),
    ("a boolean count", _set("group_cap", True), ["group_cap: wrong type"]),
    ("a language of xx", _set("language", "xx"), ["language: not an allowed value"]),
]


@pytest.mark.parametrize("name, edit, expected", CASES, ids=[c[0] for c in CASES])
def test_a_broken_plan_is_exit_2_naming_the_path(rich, tmp_path, name, edit, expected):
    school, good = rich
    data = json.loads(good.read_text(encoding="utf-8"))
    edit(data)
    if data.get("_ARRAY"):
        data = []
    path = tmp_path / "plan.json"
    text = json.dumps(data, ensure_ascii=False).replace('"<1e400>"', "1e400")
    path.write_text(text, encoding="utf-8")
    for args in (["check", str(school), str(path)], ["report", str(path), "--out",
                                                     str(tmp_path / "r.html")],
                 ["replan", str(school), "--previous", str(path), "--from", "2026-09-22",
                  "--out", str(tmp_path / "o")]):
        r = CliRunner().invoke(main, args)
        text = _ok(r, 2)
        for e in expected:
            assert e in r.stderr, (name, args[0], e, r.stderr)
        assert len(text) < 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def _raw(tmp_path, data: bytes) -> Path:
    path = tmp_path / "plan.json"
    path.write_bytes(data)
    return path


def test_100000_nested_arrays_are_refused_before_decoding(tmp_path):
    path = _raw(tmp_path, b"[" * 100_000 + b"]" * 100_000)
    for cmd in (["check", "ignored"], ["report"], ["roster", "--all"]):
        args = [cmd[0], *cmd[1:], str(path)] if cmd[0] != "check" else ["check", str(path),
                                                                          str(path)]
        r = CliRunner().invoke(main, args)
        _ok(r, 2)
    r = CliRunner().invoke(main, ["pay", str(path)])
    _ok(r, 2)
    assert "nested 100,000 levels deep, at most 16" in r.stderr


def test_a_file_over_the_cap_is_refused_unread(tmp_path):
    path = tmp_path / "plan.json"
    with open(path, "wb") as fh:
        fh.truncate(MAX_PLAN_BYTES + 1)  # sparse: not one byte is read
    r = CliRunner().invoke(main, ["pay", str(path)])
    _ok(r, 2)
    assert "file too large (50,000,001 bytes; at most 50,000,000)" in r.stderr


def test_a_symlink_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "plan.json"
    os.symlink("/dev/zero", link)
    r = CliRunner().invoke(main, ["budget", str(link)])
    _ok(r, 2)
    assert "not a regular file" in r.stderr


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    r = CliRunner().invoke(main, ["pay", str(tmp_path)])  # the folder holding it
    _ok(r, 2)
    assert "not a regular file" in r.stderr


@pytest.mark.parametrize("data, expected", [
    (b"", "not JSON"),
    (b"[]", "(the whole plan): wrong type"),
    (b'{"schema": "afterschool-plan/1", "x": NaN}', "NaN is not a number in JSON"),
    ('{"schema": "afterschool-plan/1"}'.encode("utf-16"), "not JSON"),
    (b"\xff\xfe\x00", "not JSON"),
    (b'{"schema": "afterschool-plan/1", "status": "OPTIMAL"}', "groups: missing"),
])
def test_bytes_that_are_no_plan(tmp_path, data, expected):
    r = CliRunner().invoke(main, ["pay", str(_raw(tmp_path, data))])
    _ok(r, 2)
    assert expected in r.stderr


def test_a_bom_is_allowed(rich, tmp_path):
    _, good = rich
    path = _raw(tmp_path, b"\xef\xbb\xbf" + good.read_bytes())
    assert read_plan(path).to_dict() == read_plan(good).to_dict()


def test_problems_are_capped(rich, tmp_path):
    _, good = rich
    data = json.loads(good.read_text(encoding="utf-8"))
    for f in data["fees"]:
        f["service_fee"] = f["lunch_fee"] = f["gross_fee"] = "x"
    problems = validate_plan_dict(data, "p")
    assert len(problems) == 21 and "more problems not listed" in problems[-1].message


def test_a_dict_from_elsewhere_is_validated_the_same(rich):
    # a database record holds the plan as a dict: the same schema, its own name in messages
    _, good = rich
    data = json.loads(good.read_text(encoding="utf-8"))
    data["history"][0]["valid_from"] = "2026-13-01"
    (p,) = validate_plan_dict(data, "term record 7")
    assert str(p) == ("term record 7: history[0].valid_from: not a date (found '2026-13-01'; "
                      "expected a date YYYY-MM-DD)")
    deep: list = []
    for _ in range(10_000):  # built in memory: no recursion walks it
        deep = [deep]
    data["history"][0]["valid_from"] = "2026-09-07"
    data["x"] = deep
    (p,) = validate_plan_dict(data, "r")
    assert p.message == "x" + "[0]" * 12 + ": nested too deep (more than 16 levels in all)"


# -- property: a mutated plan through every command that reads plans

SCHOOL_CMDS = {"check", "replan", "substitute"}
COMMANDS = {
    "check": lambda s, p, o: ["check", s, p],
    "report": lambda s, p, o: ["report", p, "--out", f"{o}/report.html"],
    "roster": lambda s, p, o: ["roster", p, "--all", "--format", "ics", "--out", f"{o}/r"],
    "roster-one": lambda s, p, o: ["roster", p, "--teacher", "t3", "--format", "csv", "--out",
                                   f"{o}/r"],
    "notice": lambda s, p, o: ["notice", p, "--kind", "duties", "--out", f"{o}/n"],
    "chart": lambda s, p, o: ["chart", p, "--kind", "gantt", "--out", f"{o}/c.svg"],
    "pay": lambda s, p, o: ["pay", p, "--out", f"{o}/pay"],
    "budget": lambda s, p, o: ["budget", p, "--out", f"{o}/budget"],
    "replan": lambda s, p, o: ["replan", s, "--previous", p, "--from", "2026-09-22", "--out",
                               f"{o}/x", "--skip", "all", "--time-limit", "0.2"],
    "substitute": lambda s, p, o: ["substitute", s, p, "--teacher", "T3", "--dates",
                                   "2026-09-24", "--out", f"{o}/x", "--skip", "all",
                                   "--time-limit", "0.2"],
}
HOSTILE = [None, True, 0, -1, 1.5, 10 ** 30, 1e300, "", "abc", "25:99", "23:59", "2026-02-30",
           "2026-09-09", "2026-09-14", "T999", "T2", "S0001", "after-upper-01", "noon",
           "manager", "Sat", "$\\undefinedcmd$", "../../x", "x" * 300, [], {}, [[[[[]]]]],
           {"x": 1}, ["T1"]]


def _paths(data, at=()):
    out = [at]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, at + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data[:3]):  # the first rows stand for all
            out += _paths(v, at + (i,))
    return out


def _mutate(data, path, how, value):
    if not path:
        return value if how == "set" else data
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    if how == "set":
        parent[key] = value
    elif how == "drop":
        del parent[key]
    elif how == "dup" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    elif how == "swap" and isinstance(parent[key], str):
        parent[key] = parent[key][::-1]
    return data


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _run_mutated(rich, root: Path, data, command: str) -> None:
    school, _ = rich
    (root / "in").mkdir()
    plan = root / "in" / "plan.json"
    plan.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = plan.read_bytes()
    (root / "out").mkdir()
    old = os.getcwd()
    os.chdir(root)  # a file written by a relative path would land here
    try:
        r = CliRunner().invoke(main, COMMANDS[command](str(school), str(plan),
                                                       str(root / "out")))
    finally:
        os.chdir(old)
    _ok(r, 0, 1, 2, 3)
    if r.exit_code == 1:
        assert command == "check", r.output[-2000:]
    assert {f for f in _files(root) if not f.startswith(("out", "in"))} == set()
    assert _files(root / "in") == {"plan.json"} and plan.read_bytes() == before


MUTATION = dict(path=st.integers(0, 10 ** 6), how=st.sampled_from(["set", "drop", "dup",
                                                                   "swap"]),
                value=st.sampled_from(HOSTILE))


def _mutated(rich, path, how, value):
    data = json.loads(rich[1].read_text(encoding="utf-8"))
    paths = _paths(data)
    return _mutate(data, paths[path % len(paths)], how, copy.deepcopy(value))


QUICK = ["check", "report", "roster", "roster-one", "notice", "pay", "budget"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from(QUICK), **MUTATION)
def test_a_mutated_plan_in_a_reading_command(rich, tmp_path_factory, command, path, how, value):
    _run_mutated(rich, tmp_path_factory.mktemp("m"), _mutated(rich, path, how, value), command)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(**MUTATION)
def test_a_mutated_plan_in_chart(rich, tmp_path_factory, path, how, value):
    _run_mutated(rich, tmp_path_factory.mktemp("m"), _mutated(rich, path, how, value), "chart")


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from(["replan", "substitute"]), **MUTATION)
def test_a_mutated_plan_in_replan_and_substitute(rich, tmp_path_factory, monkeypatch, command,
                                                 path, how, value):
    # a mutation the schema lets through but check rejects (a staffing row dropped) is
    # carried on: the written plan may keep that violation, and must add none
    from conftest import _check_written_plans, _no_bad
    with monkeypatch.context() as m:
        checked = _check_written_plans(m, inherited_allowed=True)
        _run_mutated(rich, tmp_path_factory.mktemp("m"), _mutated(rich, path, how, value),
                     command)
    _no_bad(checked)


@pytest.mark.usefixtures("written_plans_pass_check")
def test_replan_and_substitute_of_the_rich_plan_pass_check(rich, tmp_path):
    school, plan = rich
    for args in (["replan", str(school), "--previous", str(plan), "--from", "2026-09-22",
                  "--out", str(tmp_path / "a"), "--skip", "all"],
                 ["substitute", str(school), str(plan), "--teacher", "T3", "--dates",
                  "2026-09-24", "--out", str(tmp_path / "b"), "--skip", "all"]):
        _ok(CliRunner().invoke(main, args), 0, 3)
