"""Scenarios, the fewest extra volunteers, admission, and executors giving the same rows."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.reading.reader import read_instance
from afterschool.scheduler.planning.scenarios import Scenario, admit, combine, need, sweep
from school_files import short_staffed_applicants, students_rows, write_instance


def vol(tid, manage="no"):
    return f"{tid},N{tid},yes,{manage},staff,,,,no\n"


@pytest.fixture
def lower135(tmp_path):
    # 135 first-graders on Tue: 3 groups, 3 at once -> M(3) = 0 managers.
    teachers = "".join(vol(f"T{i}") for i in range(1, 5)) + vol("M1", "yes")
    av = "".join(f"T{i},Tue,afternoon,available\n" for i in range(1, 5)) + \
        "M1,Tue,afternoon,available\n"
    return write_instance(tmp_path / "i", students=students_rows(135, grade=1),
                          teachers=teachers, availability=av)


def test_one_more_student_forces_a_group_and_a_manager(lower135):
    inst = read_instance(lower135)
    rows = sweep([(inst, sc, 2) for sc in [Scenario(), Scenario("one more", students=1 / 135)]])
    base, more = rows
    assert (base["students"], base["groups"], base["managers"]) == (135, 3, 0)
    # 136 > 3 x 45 -> 4 groups at once -> M(4) = 1 manager for the afternoon window
    assert (more["students"], more["groups"], more["managers"]) == (136, 4, 1)
    assert base["shortages"] == more["shortages"] == 0


def test_need_one_volunteer_for_thursday(tmp_path):
    # 60 third-graders on Thu: 2 groups; one volunteer -> exactly one more, Thu 16:20-17:20
    f = write_instance(tmp_path / "i", students=students_rows(60, afternoon="Thu"),
                       teachers=vol("T1"), availability="T1,Thu,after-upper,available\n")
    advice, plan = need(read_instance(f), time_limit=2)
    assert not plan.shortages
    assert [a["windows"] for a in advice] == [["Thu 16:20-17:20"]]
    r = CliRunner().invoke(main, ["need", str(f), "--time-limit", "2"])
    assert "1 more volunteer(s)" in r.stdout and "Thu 16:20-17:20" in r.stdout
    # what a clerk recruits for: per weekday and session
    assert "Thu afternoon care (upper grades): recruit 1 more" in r.stdout
    toml = f / "school.toml"
    toml.write_text(toml.read_text().replace('language = "en"', 'language = "zh"'))
    r = CliRunner().invoke(main, ["need", str(f), "--time-limit", "2"])
    assert "再招 1 名志愿者即可排满" in r.stdout and "周四晚托(中高年级)：再招 1 人" in r.stdout


def test_admit_priority_before_earlier_application(tmp_path):
    # 44 enrolled + 1 teacher -> one free place in the one group (cap 45)
    rows = students_rows(44) + \
        "A1,Early,3,3-1,,Tue,,normal,,,applied,2026-08-01\n" \
        "A2,Needs,3,3-1,,Tue,disabled,normal,,,applied,2026-08-10\n" \
        "A3,Middle,3,3-1,,Tue,,normal,,,applied,2026-08-05\n"
    f = write_instance(tmp_path / "i", students=rows, teachers=vol("T1"),
                       availability="T1,Tue,after-upper,available\n")
    out = {r["student"]: r for r in admit(read_instance(f), time_limit=2)}
    assert out["A2"]["decision"] == "admitted" and "disabled" in out["A2"]["reason"]
    assert out["A1"]["decision"] == out["A3"]["decision"] == "waiting"
    assert out["A1"]["order"] < out["A3"]["order"]  # earlier application waits first in line
    r = CliRunner().invoke(main, ["admit", str(f), "--time-limit", "2", "--json"])
    assert [x["student"] for x in json.loads(r.stdout) if x["decision"] == "admitted"] == ["A2"]


def _stable(rows):
    return [{k: v for k, v in r.items() if k != "solve_s"} for r in rows]


def test_executors_give_identical_rows(lower135):
    inst = read_instance(lower135)
    scenarios = combine(Scenario(seed=1), students=["+5%"], cap=[40, 45])
    tasks = [(inst, sc, 1.5) for sc in scenarios]
    here = sweep(tasks, jobs=1)
    pool = sweep(tasks, jobs=2)
    assert _stable(here) == _stable(pool) and len(here) == 3
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        dask_rows = sweep(tasks, scheduler=cluster.scheduler_address)
    assert _stable(dask_rows) == _stable(here)


def test_scenario_command_table_file_and_chart(lower135, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[[scenario]]\nname = "small groups"\ncap = 30\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["scenario", str(lower135), "--teachers", "-1",
                                  "--file", str(spec), "--time-limit", "1.5",
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "o" / "scenarios.csv").read_text(encoding="utf-8-sig")
    assert "baseline" in text and "teachers -1" in text and "small groups" in text
    assert (tmp_path / "o" / "scenarios.png").exists()
    data = json.loads(CliRunner().invoke(main, ["scenario", str(lower135), "--cap", "30",
                                                "--time-limit", "1.5", "--json"]).stdout)
    assert [d["groups"] for d in data] == [3, 5]  # 135 / 30 -> 5 groups


def test_baseline_row_is_plan_at_the_same_settings(lower135, tmp_path):
    # the office compares the scenario table with 'plan': at the same time limit and seed
    # the baseline row must show plan's own figures, and the table says which limit it used
    data = json.loads(CliRunner().invoke(main, ["scenario", str(lower135), "--time-limit", "2",
                                                "--json"]).stdout)
    r = CliRunner().invoke(main, ["plan", str(lower135), "--out", str(tmp_path / "p"),
                                  "--time-limit", "2", "--skip", "all"])
    assert r.exit_code == 0, r.output
    plan = json.loads((tmp_path / "p" / "plan.json").read_text(encoding="utf-8"))
    total = plan["budget"][-1]
    base = data[0]
    assert base["scenario"] == "baseline" and base["time_limit"] == 2
    assert (base["fee_income"], base["pay"], base["balance"]) == (
        total["income"], total["pay"], total["balance"])
    assert base["groups"] == len(plan["groups"])


def test_admit_on_a_short_staffed_school_takes_pupils_who_fit_staffed_seats(tmp_path):
    # Today: 20 of 3-1 on Tue afternoons with T1 (seats to spare); 10 of 2-1 at noon on
    # Tue, where nobody volunteers: 4 noon posts unfilled whatever is admitted. Applicants
    # in line: A1 (3-1, Tue afternoon: a seat in T1's group, no new post) and A2 (3-1, Wed
    # afternoon: a new group-day nobody can staff, one more 16:20-17:20 post unfilled),
    # A3 (Tue afternoon, but behind A2 in the line). A1 is admitted; A2 waits, told which
    # post; A3 waits behind A2 (priority order: nobody jumps the line).
    f = short_staffed_applicants(tmp_path / "i")
    out = {r["student"]: r for r in admit(read_instance(f), time_limit=2)}
    assert [out[x]["decision"] for x in ("A1", "A2", "A3")] == ["admitted", "waiting",
                                                                "waiting"]
    assert "Wed 16:20-17:20: 1 teacher(s)" in out["A2"]["reason"]
    assert "waits behind A2" in out["A3"]["reason"]
