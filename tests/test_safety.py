"""Output safety, solver faults, fuzzed tables, privacy of what is printed."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterschool.cli import main
from afterschool.models.errors import InputError
from afterschool.scheduler.reading.reader import read_instance
from school_files import AVAIL_HEAD, STUDENT_HEAD, TEACHER_HEAD, students_rows, write_instance

T1 = "T1,Li,yes,yes,staff,,,3-1,no\n"
A1 = "T1,Tue,after-upper,available\n"


@pytest.fixture
def school(tmp_path):
    rows = "S0001,欧阳娜娜,3,3-1,,Tue,left_behind,exempt,,,enrolled,\n" + students_rows(5, start=2)
    return write_instance(tmp_path / "s", students=rows, teachers=T1, availability=A1)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_out_folder_rules(school, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    r = run("plan", school, "--out", foreign)
    assert r.exit_code == 2 and "not empty" in r.output
    assert run("plan", school, "--out", foreign, "--force", "--skip", "all").exit_code == 0
    assert (foreign / "mine.txt").read_text() == "keep me"
    r = run("plan", school, "--out", school / "out")
    assert r.exit_code == 2 and "must not be the instance folder" in r.output
    out = tmp_path / "ours"
    assert run("plan", school, "--out", out).exit_code == 0
    assert run("plan", school, "--out", out).exit_code == 0  # our own folder: reused


def test_failed_run_keeps_previous_outputs(school, tmp_path, monkeypatch):
    out = tmp_path / "o"
    assert run("plan", school, "--out", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def fail(*a, **k):
        raise OSError("disk full")

    from afterschool.scheduler.handouts import bundle
    monkeypatch.setattr(bundle, "write_handouts", fail)
    r = run("plan", school, "--out", out, "--seed", 9)
    assert r.exit_code == 1 and "disk full" in r.stderr
    after = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    record = ("record.sqlite",)  # the record is not the export: the
    assert {k: v for k, v in after.items() if k not in record} == {  # new plan was recorded
        k: v for k, v in before.items() if k not in record} and not list(out.glob(".staging-*"))
    from afterschool.scheduler.record.store import Record
    with Record.open(str(out / "record.sqlite")).read() as rd:
        assert [p["kind"] for p in rd.plan_rows(1)] == ["plan", "plan"]


def test_no_search_time_still_writes_a_plan_not_exit_4(school, tmp_path, monkeypatch):
    # every CP-SAT phase comes back empty-handed (as with no time left): the first-fit
    # groups and the greedy staffing are still a plan, written with exit 0 or 3, never 4
    import afterschool.scheduler.planning.assign as assign
    import afterschool.scheduler.planning.grouping.balance as balance
    import afterschool.scheduler.planning.grouping.model as grouping
    from afterschool.scheduler.planning.cpsat import PhaseResult

    def nothing(model, objective, name, *a, **k):
        return PhaseResult(name, "UNKNOWN", None, None, 0.0)

    monkeypatch.setattr(assign, "solve_phase", nothing)
    monkeypatch.setattr(grouping, "solve_phase", nothing)
    monkeypatch.setattr(balance, "solve_phase", nothing)
    r = run("plan", school, "--out", tmp_path / "o", "--skip", "all")
    assert r.exit_code in (0, 3), r.output
    assert json.loads((tmp_path / "o" / "plan.json").read_text())["duties"]


def test_invalid_model_is_a_clear_internal_error(school, tmp_path, monkeypatch):
    import afterschool.scheduler.planning.cpsat
    monkeypatch.setattr(afterschool.scheduler.planning.cpsat, "STATUS", {k: "MODEL_INVALID" for k in range(5)})
    r = run("plan", school, "--out", tmp_path / "o")
    assert r.exit_code == 1 and "model is invalid" in r.stderr and "Traceback" not in r.output


cell = st.one_of(st.text(max_size=12), st.integers(-5, 100).map(str), st.just(""),
                 st.sampled_from(["Tue", "周二", "3-1", "yes", "enrolled", "50%", "noon"]))


def table(head: str, rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow(r)
    return head + buf.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["students", "teachers", "availability"]),
       rows=st.lists(st.lists(cell, min_size=0, max_size=14), max_size=5))
def test_fuzzed_tables_only_raise_input_error(tmp_path_factory, which, rows):
    folder = write_instance(tmp_path_factory.mktemp("fz"), students=students_rows(2),
                            teachers=T1, availability=A1)
    head = {"students": STUDENT_HEAD, "teachers": TEACHER_HEAD, "availability": AVAIL_HEAD}
    (folder / f"{which}.csv").write_text(table(head[which], rows), encoding="utf-8")
    try:
        read_instance(folder)
    except InputError as err:
        assert err.problems and all(p.file for p in err.problems)


@settings(max_examples=30, deadline=None)
@given(text=st.text(max_size=120))
def test_fuzzed_school_toml_only_raises_input_error(tmp_path_factory, text):
    folder = write_instance(tmp_path_factory.mktemp("ft"), students=students_rows(2),
                            teachers=T1, availability=A1, school=text)
    with pytest.raises(InputError):
        read_instance(folder)


def test_nothing_private_is_printed(school, tmp_path):
    outputs = [run("validate", school), run("plan", school, "--out", tmp_path / "o")]
    bad = write_instance(tmp_path / "b", students="S9,欧阳娜娜,3,3-1,,Tue,孤儿,贫困,,,enrolled,\n",
                         teachers=T1, availability=A1)
    outputs.append(run("validate", bad))
    for r in outputs[:2]:  # a valid school: no name, no student's category anywhere
        text = r.stdout + r.stderr
        for secret in ("欧阳娜娜", "left_behind", "exempt", "Kid2"):
            assert secret not in text, (secret, text)
    text = outputs[2].stdout + outputs[2].stderr  # bad values of private columns: hidden
    assert outputs[2].exit_code == 2 and "value hidden" in text
    for secret in ("欧阳娜娜", "孤儿", "贫困"):
        assert secret not in text
    plan = json.loads((tmp_path / "o" / "plan.json").read_text())
    notice = (tmp_path / "o" / "notice-students.csv").read_text(encoding="utf-8-sig")
    assert "欧*娜" in notice and "欧阳娜娜" not in notice and plan["groups"]


@pytest.mark.parametrize("command", ["fees", "pay", "budget", "notice", "roster"])
def test_an_unwritable_out_is_bad_input_for_every_writer(school, tmp_path, monkeypatch, command):
    # root writes through chmod, so the refusal a normal user meets is simulated at the write
    out = tmp_path / "o"
    assert run("plan", school, "--out", out).exit_code == 0
    from pathlib import Path

    def denied(self, *a, **k):
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(Path, "write_text", denied)
    monkeypatch.setattr(Path, "write_bytes", denied)
    import afterschool.scheduler.handouts.xlsx as xlsx
    monkeypatch.setattr(xlsx, "save_xlsx", lambda path, *a, **k: denied(path))
    target = school if command == "fees" else out / "plan.json"
    extra = ["--all", "--format", "ics"] if command == "roster" else []
    r = run(command, target, "--out", tmp_path / "ro", *extra)
    assert r.exit_code == 2, r.output
    assert "permission denied" in r.stderr and "internal error" not in r.stderr
