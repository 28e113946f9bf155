"""CLI: init, generate, validate, staffing — run as a school office would."""
import json

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.reading.reader import read_instance


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("lang, header", [("en", "id,name,grade"), ("zh", "学号,姓名,年级")])
def test_init_writes_a_valid_template(tmp_path, lang, header):
    r = run("init", tmp_path / "s", "--lang", lang)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s" / "students.csv").read_text(encoding="utf-8").startswith(header)
    assert run("validate", tmp_path / "s").exit_code == 0
    again = run("init", tmp_path / "s")
    assert again.exit_code == 2 and "already has" in again.stderr


def test_generate_same_seed_same_bytes(tmp_path):
    for name in ("a", "b"):
        assert run("generate", tmp_path / name, "--students", 400, "--seed", 5).exit_code == 0
    assert run("generate", tmp_path / "c", "--students", 400, "--seed", 6).exit_code == 0
    for f in ("school.toml", "students.csv", "teachers.csv", "availability.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert (tmp_path / "a" / "students.csv").read_bytes() != (
        tmp_path / "c" / "students.csv").read_bytes()


def test_generated_school_is_realistic(tmp_path):
    run("generate", tmp_path / "g", "--students", 3000, "--teachers", 150, "--seed", 3)
    inst = read_instance(tmp_path / "g")
    n = len(inst.students)
    assert n == 3000 and len(inst.teachers) == 150
    share = lambda pred: sum(map(pred, inst.students)) / n  # noqa: E731
    assert 0.05 < share(lambda s: bool(s.priority)) < 0.11
    assert 0.015 < share(lambda s: s.fee_category == "exempt") < 0.045
    assert 0.03 < share(lambda s: s.fee_category == "reduced") < 0.07
    assert 0 < share(lambda s: s.status == "applied") < 0.05
    assert 0 < share(lambda s: s.status == "withdrawn") < 0.05
    full = share(lambda s: len(s.afternoon) == 4) / share(lambda s: bool(s.afternoon))
    assert 0.5 < full < 0.9  # many take all days, some pick fewer
    low = share(lambda s: s.grade <= 2 and bool(s.afternoon)) / share(lambda s: s.grade <= 2)
    high = share(lambda s: s.grade >= 5 and bool(s.afternoon)) / share(lambda s: s.grade >= 5)
    assert low > high  # sign-up rates differ by grade
    vol = sum(t.volunteer for t in inst.teachers) / 150
    assert 0.6 < vol < 0.85
    assert 1 <= sum(t.kind == "external" for t in inst.teachers) <= 2
    assert 5 <= sum(t.can_manage for t in inst.teachers) <= 40
    sizes = {}
    for s in inst.students:
        sizes[s.klass] = sizes.get(s.klass, 0) + 1
    assert max(sizes.values()) <= 50 and {int(k[0]) for k in sizes} == {1, 2, 3, 4, 5, 6}


def test_validate_bundled_school_summary():
    r = run("validate", "instances/haijiang")
    assert r.exit_code == 0, r.output
    assert "海江村小学" in r.stdout and "标准教师数" in r.stdout and "检查通过" in r.stdout  # zh school
    data = json.loads(run("validate", "haijiang", "--json").stdout)
    rows = {(x["session"], x["day"]): x for x in data["sessions"]}
    assert set(rows) >= {("noon", "Mon"), ("after-lower", "Tue"), ("after-upper", "Fri")}
    assert ("after-lower", "Mon") not in rows


def test_bundled_school_size():
    inst = read_instance("instances/haijiang")
    assert len({s.klass for s in inst.students}) == 18
    assert 750 <= len(inst.students) <= 850 and 40 <= len(inst.teachers) <= 50
    assert inst.school.term.start.isoformat() == "2026-09-01"


def test_validate_bad_input_exit_2(tmp_path):
    run("init", tmp_path / "s")
    p = tmp_path / "s" / "students.csv"
    p.write_text(p.read_text() + "S0002,Bad,3,3-2,,Mon,,normal,,,enrolled,\n")
    r = run("validate", tmp_path / "s")
    assert r.exit_code == 2
    assert "students.csv, row 3, column 'afternoon'" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize("args, text, data", [
    (("--students", 76), "T(76) = 2", {"students": 76, "standard_teachers": 2}),
    (("--students", 30), "T(30) = 1", {"students": 30, "standard_teachers": 1}),
    (("--groups", 9), "M(9) = 2", {"groups": 9, "managers": 2}),
])
def test_staffing(args, text, data):
    assert text in run("staffing", *args).stdout
    assert json.loads(run("staffing", *args, "--json").stdout) == data


def test_staffing_needs_one_option():
    assert run("staffing").exit_code == 2


def test_help_lists_the_commands_in_workflow_order():
    text = run("--help").stdout
    order = [text.index(f"\n  {c} ") for c in ("init", "validate", "plan", "substitute",
                                                "replan", "attendance", "settle", "bureau",
                                                "check")]
    assert order == sorted(order)
