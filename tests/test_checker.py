"""The checker catches hand-broken plans, one broken rule each, and passes the good one."""
from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from afterschool.models.plan import Duty, Group
from afterschool.scheduler.checker import check_plan
from afterschool.scheduler.reading.reader import read_instance
from afterschool.scheduler.planning.solve import solve
from school_files import students_rows, write_instance


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    # Tue: 100 first-graders (3 groups) + 60 third-graders (2 groups) -> 1 manager through
    # the 16:20-16:35 overlap; T9 volunteers but declared nothing; S9001 withdrew.
    rows = students_rows(100, grade=1) + students_rows(60, grade=3, start=101) + \
        "S9001,Gone,3,3-1,,Tue,,normal,,,withdrawn,\n"
    teachers = "".join(f"T{i},N{i},yes,no,staff,,,,no\n" for i in range(1, 7)) + \
        "M1,Boss,yes,yes,staff,,,,no\nT9,Late,yes,no,staff,,,,no\n"
    av = "".join(f"T{i},Tue,afternoon,available\n" for i in range(1, 7)) + \
        "M1,Tue,afternoon,available\n"
    folder = write_instance(tmp_path_factory.mktemp("c") / "i", students=rows,
                            teachers=teachers, availability=av)
    inst = read_instance(folder)
    plan = solve(inst, time_limit=3, seed=0)
    return inst, plan


def rules_broken(inst, plan):
    return {v.rule for v in check_plan(inst, plan)}


def change_duty(plan, duty, **changes):
    """Replace ``duty`` in ``plan`` (the test's copy) by the same duty with ``changes``."""
    plan.duties = [d for d in plan.duties if d is not duty] + [replace(duty, **changes)]


def test_good_plan_passes(case):
    inst, plan = case
    assert check_plan(inst, plan) == []


def test_over_cap(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    a, b = [g for g in bad.groups if g.session == "after-upper"]
    moved = b.students[:max(1, 46 - len(a.students))]
    bad.groups = [g for g in bad.groups if g.id not in (a.id, b.id)] + [
        Group(a.id, a.session, a.students + moved),
        Group(b.id, b.session, tuple(s for s in b.students if s not in moved))]
    assert "group cap" in rules_broken(inst, bad)


def test_double_booked_teacher(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    upper = [d for d in bad.duties if d.session == "after-upper"]
    lower = [d for d in bad.duties if d.session == "after-lower"]
    # the lower teacher also takes an upper group: both sessions run 16:20-16:35
    change_duty(bad, upper[0], staff=lower[0].staff)
    assert "one place at a time" in rules_broken(inst, bad)


def test_same_slot_two_groups(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    lower = [d for d in bad.duties if d.session == "after-lower"]
    change_duty(bad, lower[1], staff=lower[0].staff)
    assert "one place at a time" in rules_broken(inst, bad)


def test_unavailable_teacher(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    d0 = next(d for d in bad.duties if d.role == "teacher")
    change_duty(bad, d0, staff="T9")
    assert "availability" in rules_broken(inst, bad)


def test_missing_manager_across_overlap(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    bad.duties = [d for d in bad.duties if d.role != "manager"]
    broken = check_plan(inst, bad)
    assert any(v.rule == "managers" and "5 groups at once need 1" in v.message for v in broken)


def test_withdrawn_student_placed(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    g = next(g for g in bad.groups if g.session == "after-upper")
    bad.groups = [x for x in bad.groups if x is not g] + [
        Group(g.id, g.session, g.students + ("S9001",))]
    assert "enrolled only" in rules_broken(inst, bad)


def test_student_left_out(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    g = bad.groups[0]
    bad.groups = [Group(g.id, g.session, g.students[1:])] + bad.groups[1:]
    assert "every student placed" in rules_broken(inst, bad)


def test_uncovered_slot_without_shortage(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    d0 = next(d for d in bad.duties if d.role == "teacher")
    bad.duties = [d for d in bad.duties if d is not d0]
    assert "one teacher per slot" in rules_broken(inst, bad)


def test_manager_partial_window_and_not_able(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    m = next(d for d in bad.duties if d.role == "manager")
    change_duty(bad, m, staff="T6")
    assert "managers" in rules_broken(inst, bad)


def test_wrong_fee_and_pay(case):
    inst, plan = case
    bad = copy.deepcopy(plan)
    bad.fees[0] = dict(bad.fees[0], service_fee="0.01")
    bad.pay[0] = dict(bad.pay[0], amount="1.00")
    assert {"fees", "pay"} <= rules_broken(inst, bad)


def test_weekly_and_daily_limits(tmp_path):
    rows = students_rows(10, afternoon="Tue Wed Thu Fri")
    folder = write_instance(tmp_path / "i", students=rows,
                            teachers="T1,A,yes,no,staff,,120,,no\n",
                            availability="".join(f"T1,{d},after-upper,available\n"
                                                 for d in ("Tue", "Wed", "Thu", "Fri")),
                            rules="max_daily_minutes = 50\n")
    inst = read_instance(folder)
    plan = solve(inst, time_limit=2, seed=0)
    assert check_plan(inst, plan) == [] and len(plan.shortages) == 4  # 60 > 50 a day
    g = plan.groups[0]
    plan.shortages = []
    plan.duties = [Duty(day=d, start="16:20", end="17:20", staff="T1", role="teacher",
                        session="after-upper", group=g.id, slot="作业辅导、体育锻炼、社团活动")
                   for d in ("Tue", "Wed", "Thu", "Fri")]
    from afterschool.scheduler.money.accounts import staff_pay
    plan.pay = staff_pay(inst, plan.duties)
    assert {"weekly limit", "daily limit"} <= rules_broken(inst, plan)
