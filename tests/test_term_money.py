"""Money over plan versions and exceptions (SPEC §9), worked by hand.

The school: a three-week term, Mon 2026-09-07 to Fri 2026-09-25, no holidays; afternoon care
for grade 3 (after-upper, 16:20-17:20, 60 billable minutes) at 2 yuan an hour, pay 60 yuan an
hour. Version 1 runs 09-07..09-13 (week 1), version 2 from 09-14 (weeks 2 and 3).
"""
from __future__ import annotations

import pytest

from afterschool.models.plan import Duty, Group, Plan, version_json
from afterschool.scheduler.money.accounts import student_fees, term_money
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.reading.reader import read_instance
from school_files import school_until, write_instance

@pytest.fixture(scope="module")
def haijiang_plan():
    inst = read_instance("haijiang")
    return inst, solve(inst, time_limit=2, seed=0, workers=1)


THREE_WEEKS = school_until("2026-09-25")


def _teacher(staff: str, day: str) -> Duty:
    return Duty(day=day, start="16:20", end="17:20", staff=staff, role="teacher",
                session="after-upper", group="g1", slot="s1")


def _school(tmp_path):
    # S1 leaves after week 1 (withdrawn now), S2 joins from week 2, S3 stays all term
    students = ("S1,Kid1,3,3-1,,Tue Thu,,normal,,,withdrawn,\n"
                "S2,Kid2,3,3-1,,Tue Thu,,normal,,,enrolled,\n"
                "S3,Kid3,3,3-1,,Tue,,reduced,50%,,enrolled,\n")
    teachers = "".join(f"T{i},Li{i},yes,no,staff,,,,no\n" for i in (1, 2, 3))
    avail = "".join(f"T{i},{d},after-upper,available\n" for i in (1, 2, 3) for d in ("Tue", "Thu"))
    folder = write_instance(tmp_path / "s", students=students, teachers=teachers,
                            availability=avail, school=THREE_WEEKS)
    return read_instance(folder)


def _versioned_plan(exceptions=()) -> Plan:
    v1_groups = [Group("g1", "after-upper", ("S1", "S3"))]
    v1_duties = [_teacher("T1", "Tue"), _teacher("T1", "Thu")]
    plan = Plan(status="FEASIBLE", groups=[Group("g1", "after-upper", ("S2", "S3"))],
                duties=[_teacher("T2", "Tue"), _teacher("T2", "Thu")],
                valid_from="2026-09-14", exceptions=list(exceptions),
                history=[version_json("2026-09-07", "2026-09-13", v1_groups, v1_duties, [])])
    return plan


def test_fees_follow_the_versions(tmp_path):
    inst = _school(tmp_path)
    plan = _versioned_plan()
    term_money(inst, plan)
    fees = {r["student"]: r["service_fee"] for r in plan.fees}
    # S1: week 1 only, Tue 09-08 and Thu 09-10: 2 h x 2 yuan = 4.00
    # S2: weeks 2-3, Tue and Thu: 4 h x 2 = 8.00
    # S3: Tue of all three weeks: 3 h x 2 = 6.00, reduced 50 % -> 3.00
    assert fees == {"S1": "4.00", "S2": "8.00", "S3": "3.00"}
    total = next(r for r in plan.extra["budget"] if r["part"] == "total")
    assert total["income"] == "15.00" and total["exemptions"] == "3.00"


def test_pay_and_ledger_follow_versions_and_exceptions(tmp_path):
    inst = _school(tmp_path)
    # T3 covers T2 on Tue 09-22 (week 3)
    cover = {"date": "2026-09-22", "day": "Tue", "session": "after-upper", "window": None,
             "slot": "s1", "group": "g1", "start": "16:20", "end": "17:20", "role": "teacher",
             "staff": "T3", "replaces": "T2"}
    plan = _versioned_plan([cover])
    term_money(inst, plan)
    pay = {r["staff"]: (r["minutes"], r["amount"]) for r in plan.pay}
    # T1: Tue+Thu of week 1 = 120 min = 120.00; T2: weeks 2-3 = 4 x 60 = 240 less the
    # covered hour = 180 min; T3: the one covered hour = 60 min
    assert pay == {"T1": (120, "120.00"), "T2": (180, "180.00"), "T3": (60, "60.00")}
    ledger = {(r["staff"], r["week"]): r["minutes_earned"] for r in plan.extra["flex_ledger"]}
    assert ledger == {("T1", "2026-09-07"): 120, ("T2", "2026-09-14"): 120,
                      ("T2", "2026-09-21"): 60, ("T3", "2026-09-21"): 60}
    total = next(r for r in plan.extra["budget"] if r["part"] == "total")
    assert total["pay"] == "360.00" and total["balance"] == "-345.00"  # 15.00 - 360.00


def test_an_exception_nobody_covers_only_takes_the_pay_away(tmp_path):
    inst = _school(tmp_path)
    gap = {"date": "2026-09-17", "day": "Thu", "session": "after-upper", "window": None,
           "slot": "s1", "group": "g1", "start": "16:20", "end": "17:20", "role": "teacher",
           "staff": None, "replaces": "T2"}
    plan = _versioned_plan([gap])
    term_money(inst, plan)
    assert {r["staff"]: r["minutes"] for r in plan.pay} == {"T1": 120, "T2": 180}


def test_one_version_bills_what_the_sign_ups_say(haijiang_plan):
    """A first plan's fees (placements over the term's dates) equal the fees the sign-ups
    alone give (the ``fees`` command before any plan): two ways of counting the same dates."""
    inst, plan = haijiang_plan
    assert plan.fees == student_fees(inst)


def test_an_earlier_versions_sign_ups_bill_its_dates(tmp_path):
    # today S3 takes Tue (reduced 50 %); in version 1 (week 1) S3 signed up Tue and Thu.
    # S3: week 1 Tue 09-08 + Thu 09-10, weeks 2-3 Tue 09-15, 09-22 = 4 h x 2 = 8.00 -> 4.00
    # (today's sheet alone: 3 Tuesdays = 6.00 -> 3.00); the checker agrees
    inst = _school(tmp_path)
    plan = _versioned_plan()
    plan.history[0]["signups"] = {"S1": {"noon": [], "afternoon": ["Tue", "Thu"],
                                         "lunch": False},
                                  "S3": {"noon": [], "afternoon": ["Tue", "Thu"],
                                         "lunch": False}}
    term_money(inst, plan)
    fees = {r["student"]: r["service_fee"] for r in plan.fees}
    assert fees == {"S1": "4.00", "S2": "8.00", "S3": "4.00"}
    from afterschool.scheduler.checker import check_plan
    assert [v for v in check_plan(inst, plan) if v.rule in ("fees", "budget")] == []
