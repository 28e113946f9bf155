"""The checker against hand-broken plans: start from a real small plan, break exactly one
thing, and the checker reports exactly that rule; the same plan kept (or the one thing
allowed) passes.

The school of the ``case`` fixture has one Tuesday in its term (2026-09-07..11), so a duty's
term minutes are its minutes that Tuesday, and at 60 yuan/h a person earns 1.00 yuan per
minute: every figure a test adjusts by hand follows from that.
"""
from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal

import pytest

from afterschool.models.plan import Duty, Group, Plan, Shortage
from afterschool.scheduler.checker import (
    Violation,
    check_admission,
    check_plan,
    day_windows,
    managers_for,
    service_dates,
    teachers_standard,
)
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.reading.reader import read_instance
from school_files import school_until, students_rows, write_instance

WEEK = "2026-09-07"  # the Monday of the only week
FIGURES = ("fees", "pay", "staffing", "budget", "flex_ledger")


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    # Tue afternoon: 100 first-graders (3 groups) + 64 third-graders (2 groups) -> 5 groups
    # at once during 16:20-16:35 -> M(5) = 1 manager. Tue noon: 10 second-graders (1 group,
    # 4 slots). S0301 has a 5.00 reduction on a 2.00 fee, S0302 is exempt, S0303 takes noon
    # and afternoon. T9 declared nothing; S9001 withdrew; S9101
    # (disabled) and S9102, S9103 applied. T7 and M2 declared nothing in the files: a test
    # that needs a free person gives them a row (``spare``), so the planner never uses them.
    rows = students_rows(100, grade=1) + students_rows(60, grade=3, start=101) + \
        students_rows(10, grade=2, klass="2-1", noon="Tue", afternoon="", start=201) + \
        "S0301,Kid,3,3-2,,Tue,,reduced,5.00,,enrolled,\n" \
        "S0302,Kid,3,3-2,,Tue,,exempt,,,enrolled,\n" \
        "S0303,Kid,3,3-2,Tue,Tue,,reduced,50%,,enrolled,\n" \
        "S0304,Kid,3,3-2,,Tue,,normal,,,enrolled,\n" \
        "S9001,Gone,3,3-1,,Tue,,normal,,,withdrawn,\n" \
        "S9101,Ann,3,3-2,,Tue,disabled,normal,,,applied,2026-08-01\n" \
        "S9102,Bo,3,3-2,,Tue,,normal,,,applied,2026-08-02\n" \
        "S9103,Cy,3,3-2,,Tue,,normal,,,applied,2026-08-03\n"
    teachers = "".join(f"T{i},N{i},yes,no,staff,,,,no\n" for i in range(1, 8)) + \
        "M1,Boss,yes,yes,staff,,,,no\nM2,Boss2,yes,yes,staff,,,,no\n" \
        "N1,Noon,yes,no,staff,,,,no\nT9,Late,yes,no,staff,,,,no\n"
    av = "".join(f"T{i},Tue,afternoon,available\nT{i},Tue,noon,available\n"
                 for i in range(1, 7)) + \
        "M1,Tue,afternoon,available\nN1,Tue,noon,available\n"
    folder = write_instance(tmp_path_factory.mktemp("c") / "i", students=rows,
                            teachers=teachers, availability=av)
    inst = read_instance(folder)
    plan = solve(inst, time_limit=3, seed=0, workers=1)
    return inst, plan


@pytest.fixture
def fresh(case):
    inst, plan = case
    return inst, copy.deepcopy(plan)


def rules_of(inst, plan) -> set[str]:
    return {v.rule for v in check_plan(inst, plan)}


def one(plan, **match) -> Duty:
    """The first duty whose fields equal ``match``."""
    return next(d for d in plan.duties if all(getattr(d, k) == v for k, v in match.items()))


def pay_more(plan, staff: str, part: str, minutes: int) -> None:
    """Hand arithmetic of the figures when ``staff`` serves ``minutes`` more (or fewer) in
    budget ``part``: one Tuesday in the term, 60 yuan/h = 1.00 yuan per minute."""
    rows = {r["staff"]: r for r in plan.pay}
    row = rows.setdefault(staff, {"staff": staff, "minutes": 0, "amount": "0.00",
                                  "rate": "60.00", "kind": "staff"})
    row["minutes"] += minutes
    row["amount"] = f"{row['minutes']}.00"
    plan.pay = [r for r in rows.values() if r["minutes"]]
    flex = {r["staff"]: r for r in plan.extra["flex_ledger"]}
    f = flex.setdefault(staff, {"staff": staff, "week": WEEK, "minutes_earned": 0})
    f["minutes_earned"] += minutes
    plan.extra["flex_ledger"] = [r for r in flex.values() if r["minutes_earned"]]
    for r in plan.extra["budget"]:
        if r["part"] in (part, "total"):
            r["pay"] = str(Decimal(r["pay"]) + minutes)
            r["balance"] = str(Decimal(r["balance"]) - minutes)


def give(plan, duty: Duty, to: str, **changes) -> Duty:
    """Hand ``duty`` to ``to`` (with ``changes``), moving its minutes in the figures."""
    new = replace(duty, staff=to, **changes)
    plan.duties = [d for d in plan.duties if d is not duty] + [new]
    part = duty.session if duty.role == "teacher" else f"managers ({duty.window})"
    pay_more(plan, duty.staff, part, -duty.minutes)
    pay_more(plan, to, part, new.minutes)
    return new


def add(plan, duty: Duty) -> None:
    plan.duties.append(duty)
    part = duty.session if duty.role == "teacher" else f"managers ({duty.window})"
    pay_more(plan, duty.staff, part, duty.minutes)


def drop(plan, duty: Duty) -> None:
    plan.duties = [d for d in plan.duties if d is not duty]
    part = duty.session if duty.role == "teacher" else f"managers ({duty.window})"
    pay_more(plan, duty.staff, part, -duty.minutes)


def with_teacher(inst, tid, **changes):
    return replace(inst, teachers=tuple(replace(t, **changes) if t.id == tid else t
                                        for t in inst.teachers))


def with_rules(inst, **changes):
    school = inst.school
    return replace(inst, school=replace(school, rules=replace(school.rules, **changes)))


def with_rows(inst, drop_rows=(), add_rows=()):
    from afterschool.models.people import Availability
    rows = tuple(a for a in inst.availability if (a.teacher, a.day, a.session) not in drop_rows)
    return replace(inst, availability=rows + tuple(Availability(*r) for r in add_rows))


def spare(inst):
    """T7 (teacher) and M2 (manager) declare the Tuesday afternoon window."""
    return with_rows(inst, add_rows=[("T7", "Tue", "afternoon", "available"),
                                     ("M2", "Tue", "afternoon", "preferred")])


def upper(plan) -> Duty:
    return one(plan, session="after-upper")


# ---- the real plan, and the independent rule readers ---------------------------------------

def test_real_plan_keeps_every_rule(case):
    inst, plan = case
    assert check_plan(inst, plan) == []
    assert plan.exceptions == [] and plan.history == []


@pytest.mark.parametrize("n, t", [(0, 0), (1, 1), (30, 1), (31, 1), (44, 1), (45, 1), (75, 1),
                                  (76, 2), (90, 2), (120, 2), (121, 3)])
def test_checker_standard_teachers_spec_table(n, t):
    from afterschool.models.school import Rules
    assert teachers_standard(n, Rules()) == t  # SPEC §4's examples


@pytest.mark.parametrize("c, m", [(0, 0), (3, 0), (4, 1), (8, 1), (9, 2), (13, 2), (14, 3),
                                  (18, 3), (19, 4)])
def test_checker_managers_spec_table(c, m):
    from afterschool.models.school import Rules
    assert managers_for(c, Rules()) == m  # SPEC §4's examples


def test_checker_windows_and_calendar(case):
    inst, _ = case
    # afternoon: after-lower 15:35-16:35 and after-upper 16:20-17:20 overlap -> one window
    (noon, aft) = day_windows(inst.school.sessions, "Tue")
    assert (noon.name, noon.start, noon.end) == ("noon", 680, 810)
    assert (aft.name, aft.start, aft.end) == ("afternoon", 935, 1040)
    assert [w.name for w in day_windows(inst.school.sessions, "Mon")] == ["noon"]
    from datetime import date

    from afterschool.models.school import Term
    # National Day 2026-10-01..07 off (official calendar); Sat 10-10 listed as a Friday
    term = Term(date(2026, 9, 28), date(2026, 10, 10),
                makeup_days=((date(2026, 10, 10), "Fri"),))
    got = service_dates(term)
    assert sorted(got) == [date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30),
                           date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
    assert got[date(2026, 10, 10)] == "Fri"
    # a year the package does not know: every weekday counts unless listed
    assert len(service_dates(Term(date(2031, 1, 1), date(2031, 1, 3)))) == 3


# ---- groups and students ------------------------------------------------------------------

def test_group_cap_breaks_at_46_and_keeps_45(fresh):
    inst, plan = fresh
    # every first-grader comes on Tuesday only, so present = group size; 100 of them in 3
    # groups: fill the first to exactly 45 from the second (kept), then one more (broken)
    a, b = [g for g in plan.groups if g.session == "after-lower"][:2]
    assert len(a.students) + len(b.students) > 46

    def with_first(n: int) -> list[Group]:
        pool = a.students + b.students
        return [g for g in plan.groups if g.id not in (a.id, b.id)] + [
            Group(a.id, a.session, pool[:n]), Group(b.id, b.session, pool[n:])]
    plan.groups = with_first(45)
    assert check_plan(inst, plan) == []
    plan.groups = with_first(46)
    assert rules_of(inst, plan) == {"group cap"}


def test_duplicate_group_id_breaks_a_new_id_keeps(fresh):
    inst, plan = fresh
    g = plan.groups[0]
    kept = copy.deepcopy(plan)
    kept.groups.append(Group("spare", g.session, ()))
    assert check_plan(inst, kept) == []
    plan.groups.append(Group(g.id, g.session, ()))
    assert rules_of(inst, plan) == {"group ids"}


def test_group_of_unknown_session(fresh):
    inst, plan = fresh
    plan.groups.append(Group("eve-01", "evening", ()))
    assert rules_of(inst, plan) == {"groups"}


@pytest.mark.parametrize("sid, rule", [("S7777", "students"),     # nobody of that id
                                       ("S0001", "students"),     # grade 1: not after-upper
                                       ("S9001", "enrolled only"),  # withdrawn
                                       ("S9102", "enrolled only")])  # applied, not admitted
def test_wrong_student_in_a_group(fresh, sid, rule):
    inst, plan = fresh
    g = next(g for g in plan.groups if g.session == "after-upper" and len(g.students) < 45)
    plan.groups = [x for x in plan.groups if x is not g] + [
        Group(g.id, g.session, g.students + (sid,))]
    assert rules_of(inst, plan) == {rule}


def test_student_left_out_breaks(fresh):
    inst, plan = fresh
    g = next(g for g in plan.groups if g.session == "after-upper")
    gone = g.students[0]
    plan.groups = [x for x in plan.groups if x is not g] + [
        Group(g.id, g.session, g.students[1:])]
    # the head count, the student's fee and the income follow the placement
    assert rules_of(inst, plan) == {"every student placed", "staffing table", "fees", "budget"}
    assert any(gone in v.message for v in check_plan(inst, plan)
               if v.rule == "every student placed")


def test_student_in_two_groups_breaks(fresh):
    inst, plan = fresh
    a, b = [g for g in plan.groups if g.session == "after-lower"][1:3]
    plan.groups = [x for x in plan.groups if x.id != b.id] + [
        Group(b.id, b.session, b.students + a.students[:1])]
    # one more head in the Tuesday after-lower row of the staffing table
    assert rules_of(inst, plan) == {"every student placed", "staffing table"}


# ---- teacher duties and shortages ----------------------------------------------------------

@pytest.mark.parametrize("changes", [dict(group="nope"), dict(start="16:00", end="16:30"),
                                     dict(start="4pm"), dict(day="Wed"), dict(role="cook"),
                                     dict(session="after-lower")],
                         ids=["unknown group", "not a slot", "not a time", "group absent",
                              "unknown role", "group of another session"])
def test_duty_that_fits_no_slot(fresh, changes):
    inst, plan = fresh
    plan.duties.append(replace(upper(plan), staff="T9", **changes))
    assert rules_of(inst, plan) == {"duties"}


def test_two_teachers_in_one_slot_breaks(fresh):
    inst, plan = fresh
    add(plan, replace(upper(plan), staff="T7"))
    assert rules_of(spare(inst), plan) == {"one teacher per slot"}


def test_uncovered_slot_breaks_unless_declared(fresh):
    inst, plan = fresh
    d = upper(plan)
    drop(plan, d)
    assert rules_of(inst, plan) == {"one teacher per slot"}
    plan.shortages.append(Shortage(day="Tue", start=d.start, end=d.end, role="teacher",
                                   session=d.session, group=d.group))
    assert check_plan(inst, plan) == []


def test_shortage_declared_where_a_duty_exists_breaks(fresh):
    inst, plan = fresh
    d = upper(plan)
    plan.shortages.append(Shortage(day="Tue", start=d.start, end=d.end, role="teacher",
                                   session=d.session, group=d.group))
    assert rules_of(inst, plan) == {"one teacher per slot"}


@pytest.mark.parametrize("shortage", [
    Shortage(day="Tue", start="16:20", end="17:20", role="teacher", session="after-upper",
             group="nope"),
    Shortage(day="Tue", start="18:00", end="19:00", role="manager", window="evening")])
def test_shortage_for_nothing_breaks(fresh, shortage):
    inst, plan = fresh
    plan.shortages.append(shortage)
    assert rules_of(inst, plan) == {"shortages"}


# ---- people ---------------------------------------------------------------------------------

def test_unknown_staff_member(fresh):
    inst, plan = fresh
    d = upper(plan)
    plan.duties = [x for x in plan.duties if x is not d] + [replace(d, staff="ZZ")]
    pay_more(plan, d.staff, d.session, -d.minutes)
    assert rules_of(inst, plan) == {"staff"}


def test_volunteers_only_breaks_for_a_non_volunteer_and_keeps_the_volunteer(case):
    inst, plan = case
    d = upper(plan)
    assert check_plan(inst, plan) == []
    assert rules_of(with_teacher(inst, d.staff, volunteer=False), plan) == {"volunteers only"}


def test_availability_breaks_without_a_row_and_keeps_with_one(fresh):
    inst, plan = fresh
    give(plan, upper(plan), "T7")
    assert rules_of(inst, plan) == {"availability"}  # T7 declared nothing
    # declared "afternoon": the window row holds every session in it
    assert check_plan(spare(inst), plan) == []


def test_own_session_row_wins_over_the_window_row(case):
    inst, plan = case
    d = upper(plan)
    no = with_rows(inst, add_rows=[(d.staff, "Tue", "after-upper", "unavailable")])
    assert rules_of(no, plan) == {"availability"}
    yes = with_rows(inst, drop_rows=[(d.staff, "Tue", "afternoon")],
                    add_rows=[(d.staff, "Tue", "after-upper", "preferred")])
    assert check_plan(yes, plan) == []


def test_one_place_at_a_time_breaks_across_the_overlap(fresh):
    inst, plan = fresh
    lower = one(plan, session="after-lower")
    # the lower teacher (15:35-16:35) also takes an upper group (16:20-17:20): 120 min
    give(plan, upper(plan), lower.staff)
    assert rules_of(inst, plan) == {"one place at a time"}


def test_manager_also_supervising_breaks(fresh):
    inst, plan = fresh
    m = one(plan, role="manager")
    give(plan, upper(plan), m.staff)
    # 105 + 60 = 165 min: lift the daily limit so only the manager rule is at stake
    assert rules_of(with_rules(inst, max_daily_minutes=200), plan) == {
        "manager also supervising"}


def test_daily_limit_breaks_one_minute_below_the_longest_day(case):
    inst, plan = case
    longest = max(r["minutes"] for r in plan.pay)  # one Tuesday: term minutes = that day's
    loose = with_rules(inst, max_daily_minutes=longest, max_weekly_minutes=longest)
    assert check_plan(loose, plan) == []
    tight = with_rules(inst, max_daily_minutes=longest - 1, max_weekly_minutes=longest)
    assert rules_of(tight, plan) == {"daily limit"}


def test_weekly_limit_own_and_school(case):
    inst, plan = case
    d = upper(plan)  # 60 min, the person's only duty of the week
    assert check_plan(with_teacher(inst, d.staff, max_weekly_minutes=60), plan) == []
    assert rules_of(with_teacher(inst, d.staff, max_weekly_minutes=59), plan) == {
        "weekly limit"}
    longest = max(r["minutes"] for r in plan.pay)
    assert rules_of(with_rules(inst, max_weekly_minutes=longest - 1), plan) == {"weekly limit"}


def test_no_noon_and_afternoon_unless_allowed(fresh):
    inst, plan = fresh
    noon = min((d for d in plan.duties if d.session == "noon"), key=lambda d: d.minutes)
    d = upper(plan)
    # the upper teacher also takes a noon slot: at most 60 + 40 = 100 min, within 130
    give(plan, noon, d.staff)
    assert rules_of(inst, plan) == {"no double duty"}
    assert check_plan(with_teacher(inst, d.staff, allow_double=True), plan) == []


# ---- managers -------------------------------------------------------------------------------

def test_manager_of_unknown_window(fresh):
    inst, plan = fresh
    plan.duties.append(replace(one(plan, role="manager"), staff="M2", window="evening"))
    assert rules_of(spare(inst), plan) == {"managers"}


def test_manager_who_cannot_manage_breaks_and_one_who_can_keeps(fresh):
    inst, plan = fresh
    give(plan, one(plan, role="manager"), "T7")  # T7 declared the afternoon window
    assert rules_of(spare(inst), plan) == {"manager can manage"}
    assert check_plan(with_teacher(spare(inst), "T7", can_manage=True), plan) == []


def test_manager_must_hold_the_whole_window(fresh):
    inst, plan = fresh
    m = one(plan, role="manager")
    kept = copy.deepcopy(plan)
    give(kept, one(kept, role="manager"), "M2")  # 15:35-17:20, the whole window
    assert check_plan(spare(inst), kept) == []
    plan.duties = [d for d in plan.duties if d is not m] + [replace(m, end="16:35")]
    pay_more(plan, m.staff, "managers (afternoon)", -45)  # 105 -> 60 min
    assert rules_of(inst, plan) == {"manager whole window"}


def test_manager_availability_window_row_or_every_session(case):
    inst, plan = case
    m = one(plan, role="manager").staff
    gone = with_rows(inst, drop_rows=[(m, "Tue", "afternoon")])
    assert rules_of(gone, plan) == {"availability"}
    both = with_rows(gone, add_rows=[(m, "Tue", "after-lower", "available"),
                                     (m, "Tue", "after-upper", "available")])
    assert check_plan(both, plan) == []
    half = with_rows(gone, add_rows=[(m, "Tue", "after-lower", "available")])
    assert rules_of(half, plan) == {"availability"}


def test_managers_per_window_missing_extra_or_declared(fresh):
    inst, plan = fresh
    m = one(plan, role="manager")
    extra = copy.deepcopy(plan)
    add(extra, replace(m, staff="M2"))  # M(5) = 1, two on duty
    assert rules_of(spare(inst), extra) == {"managers per window"}
    doubly = copy.deepcopy(plan)  # on duty and declared short
    doubly.shortages.append(Shortage(day="Tue", start=m.start, end=m.end, role="manager",
                                     window="afternoon"))
    assert rules_of(inst, doubly) == {"managers per window"}
    drop(plan, m)
    found = check_plan(inst, plan)
    assert {v.rule for v in found} == {"managers per window"}
    assert "5 groups at once need 1" in found[0].message  # 3 lower + 2 upper at 16:20
    plan.shortages.append(Shortage(day="Tue", start=m.start, end=m.end, role="manager",
                                   window="afternoon"))
    assert check_plan(inst, plan) == []


# ---- figures --------------------------------------------------------------------------------

def test_staffing_table_breaks_on_each_figure_and_rows(fresh):
    inst, plan = fresh
    row = next(r for r in plan.staffing if (r["day"], r["session"]) == ("Tue", "after-lower"))
    # 100 first-graders: T(100) = floor(100/45) = 2, remainder 10 <= 30; 3 groups by the cap
    assert (row["students"], row["standard_teachers"], row["groups"]) == (100, 2, 3)
    assert row["extra_pay"] == "60.00"  # 1 group more x 60 min x 1 Tuesday x 1.00/min
    for field, wrong in (("standard_teachers", 3), ("groups", 2), ("students", 99),
                         ("extra_pay", "60.01")):
        bad = copy.deepcopy(plan)
        next(r for r in bad.staffing if r["day"] == "Tue" and r["session"] == "after-lower"
             )[field] = wrong
        assert rules_of(inst, bad) == {"staffing table"}, field
    plan.staffing = plan.staffing[1:] + plan.staffing[-1:]  # one row lost, one twice
    assert rules_of(inst, plan) == {"staffing table"}


def test_fees_hand_values(case):
    inst, plan = case
    fees = {r["student"]: r for r in plan.fees}
    assert fees["S0001"]["service_fee"] == "2.00"    # 60 min x 2 yuan/h, one Tuesday
    assert fees["S0201"]["service_fee"] == "4.33"    # 130 min x 2/60 = 4.333...
    assert fees["S0301"]["service_fee"] == "0.00"    # 2.00 less 5.00, never below 0
    assert fees["S0302"]["service_fee"] == "0.00"    # exempt
    assert fees["S0303"]["service_fee"] == "3.17"    # half of 4.333.. + 2.00 = 3.1666..
    assert "S9001" not in fees and "S9101" not in fees


def test_reduction_below_zero_breaks(fresh):
    inst, plan = fresh
    row = next(r for r in plan.fees if r["student"] == "S0301")
    row["service_fee"] = "-3.00"  # 2.00 less 5.00 taken literally
    assert rules_of(inst, plan) == {"fees"}


@pytest.mark.parametrize("sid, field", [("S0001", "service_fee"), ("S0201", "service_fee"),
                                        ("S0303", "service_fee"), ("S0303", "gross_fee"),
                                        ("S0201", "lunch_fee"), ("S0302", "service_fee")])
def test_a_fee_one_fen_off_breaks(fresh, sid, field):
    inst, plan = fresh
    row = next(r for r in plan.fees if r["student"] == sid)
    row[field] = str(Decimal(row[field]) + Decimal("0.01"))
    assert "fees" in rules_of(inst, plan)


def test_fee_shares_and_rows(fresh):
    inst, plan = fresh
    row = next(r for r in plan.fees if r["student"] == "S0303")
    # net 3.17 over noon 4.333.. and after-upper 2.00: 2.1666.. and 1.0033..
    assert row["by_session"] == {"noon": "2.17", "after-upper": "1.00"}
    for shares in ({"noon": "2.18", "after-upper": "0.99"}, {"noon": "3.17"},
                   {"noon": "2.17", "after-upper": "1.01"}, ["2.17", "1.00"]):
        bad = copy.deepcopy(plan)
        next(r for r in bad.fees if r["student"] == "S0303")["by_session"] = shares
        assert "fees" in rules_of(inst, bad), shares
    for rows in (plan.fees[1:], plan.fees + plan.fees[:1],
                 plan.fees + [{"student": "S9999", "service_fee": "0.00",
                               "lunch_fee": "0.00"}]):
        bad = copy.deepcopy(plan)
        bad.fees = rows
        assert "fees" in rules_of(inst, bad)


@pytest.mark.parametrize("field", ["amount", "minutes", "rate", "kind"])
def test_pay_row_changed_breaks(fresh, field):
    inst, plan = fresh
    row = next(r for r in plan.pay if r["staff"] == one(plan, role="manager").staff)
    # the manager: 15:35-17:20 = 105 min, one Tuesday, 1.00 yuan a minute
    assert (row["minutes"], row["amount"]) == (105, "105.00")
    row[field] = {"amount": "105.01", "minutes": 106, "rate": "60.01", "kind": "external"}[field]
    assert rules_of(inst, plan) == {"pay"}


def test_pay_rows_missing_duplicated_or_for_nobody(fresh):
    inst, plan = fresh
    for rows in (plan.pay[1:], plan.pay + plan.pay[:1],
                 plan.pay + [{"staff": "T9", "minutes": 1, "amount": "1.00"}],
                 plan.pay + [{"staff": "ZZ", "minutes": 0, "amount": "0.00"}]):
        bad = copy.deepcopy(plan)
        bad.pay = rows
        assert "pay" in rules_of(inst, bad)


def test_flex_ledger_hand_values_and_one_minute_off(fresh):
    inst, plan = fresh
    m = one(plan, role="manager").staff
    ledger = {r["staff"]: r for r in plan.extra["flex_ledger"]}
    assert ledger[m] == {"staff": m, "week": WEEK, "minutes_earned": 105}  # every minute
    for change in (dict(minutes_earned=104), dict(week="2026-09-14"),
                   dict(minutes_earned="105")):
        bad = copy.deepcopy(plan)
        row = next(r for r in bad.extra["flex_ledger"] if r["staff"] == m)
        row.update(change)
        assert rules_of(inst, bad) == {"flex ledger"}, change
    plan.extra["flex_ledger"] = plan.extra["flex_ledger"] + plan.extra["flex_ledger"][:1]
    assert "flex ledger" in rules_of(inst, plan)


@pytest.mark.parametrize("part", ["noon", "after-lower", "managers (afternoon)", "total"])
@pytest.mark.parametrize("field", ["income", "exemptions", "pay", "balance"])
def test_a_budget_figure_one_fen_off_breaks(fresh, part, field):
    inst, plan = fresh
    row = next(r for r in plan.extra["budget"] if r["part"] == part)
    row[field] = str(Decimal(row[field]) + Decimal("0.01"))
    assert rules_of(inst, plan) == {"budget"}


def test_budget_hand_values(case):
    _, plan = case
    rows = {r["part"]: r for r in plan.extra["budget"]}
    # managers: 105 min x 1.00; noon pay 130 min; after-upper 2 groups x 60 min
    assert rows["managers (afternoon)"]["pay"] == "105.00"
    assert rows["noon"]["pay"] == "130.00" and rows["after-upper"]["pay"] == "120.00"
    # exemptions: S0302 2.00 + S0301 2.00 + S0303 6.33 - 3.17 = 3.16 -> 7.16
    assert rows["total"]["exemptions"] == "7.16"


def test_budget_rows_malformed(fresh):
    inst, plan = fresh
    for rows in ([r for r in plan.extra["budget"] if r["part"] != "total"],
                 plan.extra["budget"] + [dict(plan.extra["budget"][0], part="extra")],
                 [dict(r, pay="lots") for r in plan.extra["budget"]]):
        bad = copy.deepcopy(plan)
        bad.extra["budget"] = rows
        assert "budget" in rules_of(inst, bad)


@pytest.mark.parametrize("section", ["groups", "duties", "shortages", *FIGURES])
def test_a_section_removed_is_rejected(fresh, section):
    inst, plan = fresh
    d = upper(plan)  # one slot short and declared, so that shortages is not empty either
    drop(plan, d)
    plan.shortages.append(Shortage(day="Tue", start=d.start, end=d.end, role="teacher",
                                   session=d.session, group=d.group))
    assert check_plan(inst, plan) == []
    if section in ("budget", "flex_ledger"):
        del plan.extra[section]
    else:
        setattr(plan, section, [])
    found = rules_of(inst, plan)
    assert found
    if section in FIGURES:
        assert "missing section" in found


def money_figures(plan):
    """(section, row number, field) of every money string in pay, budget and staffing."""
    out = [("pay", i, f) for i, r in enumerate(plan.pay) for f in ("amount", "rate")]
    out += [("budget", i, f) for i, r in enumerate(plan.extra["budget"])
            for f in ("income", "exemptions", "pay", "balance")]
    out += [("staffing", i, "extra_pay") for i, r in enumerate(plan.staffing)]
    return out


def test_every_pay_budget_and_staffing_figure_one_fen_off_breaks(case):
    inst, plan = case
    for section, i, field in money_figures(plan):
        bad = copy.deepcopy(plan)
        rows = bad.extra["budget"] if section == "budget" else getattr(bad, section)
        rows[i][field] = str(Decimal(rows[i][field]) - Decimal("0.01"))
        assert check_plan(inst, bad), (section, i, field)


def test_a_plan_read_back_from_json_is_checked_the_same(case):
    inst, plan = case
    import json
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict(), ensure_ascii=False)))
    assert check_plan(inst, again) == []
    data = plan.to_dict()
    for key in ("fees", "staffing"):
        data.pop(key)
    data.pop("budget")
    assert {"missing section"} <= rules_of(inst, Plan.from_dict(data))


def test_violation_reads_as_rule_and_message():
    assert str(Violation("fees", "S1: wrong")) == "[fees] S1: wrong"


# ---- priority first (admission rows) -------------------------------------------------------

def test_priority_first_breaks_and_keeps(fresh):
    inst, plan = fresh
    ok = [{"student": "S9101", "decision": "admitted"},
          {"student": "S9102", "decision": "admitted"},
          {"student": "S9103", "decision": "waiting"}]
    assert check_admission(inst, ok) == []
    plan.extra["admission"] = ok
    assert check_plan(inst, plan) == []
    # the disabled child waits while a child without priority is admitted
    skipped = [{"student": "S9101", "decision": "waiting"},
               {"student": "S9102", "decision": "admitted"}]
    assert {v.rule for v in check_admission(inst, skipped)} == {"priority first"}
    # equal priority: S9102 applied 08-02, before S9103 (08-03)
    late = [{"student": "S9101", "decision": "admitted"},
            {"student": "S9102", "decision": "waiting"},
            {"student": "S9103", "decision": "admitted"}]
    plan.extra["admission"] = late
    assert rules_of(inst, plan) == {"priority first"}
    assert {v.rule for v in check_admission(inst, [{"student": "S7", "decision": "waiting"}])
            } == {"priority first"}


# ---- versions and exceptions (SPEC §9) -----------------------------------------------------
# A two-week term (2026-09-07..18) has two Tuesdays, 09-08 and 09-15. 50 third-graders take
# Tuesday afternoons (two groups), 10 second-graders Tuesday noon (one group, 130 min). The
# first version holds 09-07..09-14, the current one 09-15..18. Every duty is served once per
# Tuesday of its version: at 1.00 yuan a minute, a person's pay is their minutes.

TWO_WEEKS = school_until("2026-09-18")


@pytest.fixture(scope="module")
def term2(tmp_path_factory):
    rows = students_rows(50) + students_rows(10, grade=2, klass="2-1", noon="Tue",
                                             afternoon="", start=201)
    teachers = "U1,A,yes,no,staff,,,,no\nU2,B,yes,no,staff,,,,no\nN1,C,yes,no,staff,,,,no\n" \
        "C1,D,yes,no,staff,,,,no\n"
    av = "U1,Tue,after-upper,available\nU2,Tue,after-upper,available\nN1,Tue,noon,available\n"
    folder = write_instance(tmp_path_factory.mktemp("v") / "i", students=rows,
                            teachers=teachers, availability=av, school=TWO_WEEKS)
    inst = read_instance(folder)
    plan = solve(inst, time_limit=3, seed=0, workers=1)
    assert check_plan(inst, plan) == []
    return inst, plan


def figures(inst, plan, fees: dict[str, str]) -> None:
    """Write the hand-worked figures of a two-week plan into ``plan``: ``fees`` given by the
    test; pay, ledger and budget parts follow from the dated minutes (1.00 yuan a minute)."""
    tuesdays = {"2026-09-08": "2026-09-07", "2026-09-15": "2026-09-14"}  # date -> its Monday
    served = []  # (date, staff, minutes, part)
    for v in plan.versions():
        lo, hi = v.valid_from or "2026-09-07", v.valid_to or "2026-09-18"
        for day in (d for d in tuesdays if lo <= d <= hi):
            served += [(day, d.staff, d.minutes, d.session) for d in v.duties]
    for ex in plan.exceptions:
        minutes = (int(ex["end"][:2]) - int(ex["start"][:2])) * 60 + \
            int(ex["end"][3:]) - int(ex["start"][3:])
        hit = next(s for s in served if (s[0], s[1], s[2], s[3]) ==
                   (ex["date"], ex["replaces"], minutes, ex["session"]))
        served.remove(hit)
        if ex["staff"]:
            served.append((ex["date"], ex["staff"], minutes, ex["session"]))
    plan.fees = [{"student": k, "service_fee": v, "lunch_fee": "0.00"} for k, v in fees.items()]
    mins: dict[str, int] = {}
    week: dict[tuple[str, str], int] = {}
    part: dict[str, int] = {}
    for day, who, m, p in served:
        mins[who] = mins.get(who, 0) + m
        week[who, tuesdays[day]] = week.get((who, tuesdays[day]), 0) + m
        part[p] = part.get(p, 0) + m
    plan.pay = [{"staff": k, "minutes": m, "amount": f"{m}.00"} for k, m in mins.items()]
    plan.extra["flex_ledger"] = [{"staff": k, "week": w, "minutes_earned": m}
                                 for (k, w), m in week.items()]
    income = {"noon": sum(Decimal(v) for k, v in fees.items() if k >= "S0201"),
              "after-upper": sum(Decimal(v) for k, v in fees.items() if k < "S0201"),
              "after-lower": Decimal("0.00")}
    rows = [{"part": p, "income": str(income[p]), "exemptions": "0.00",
             "pay": f"{part.get(p, 0)}.00", "balance": str(income[p] - part.get(p, 0))}
            for p in income]
    total_in, total_pay = sum(income.values()), sum(mins.values())
    rows.append({"part": "total", "income": str(total_in), "exemptions": "0.00",
                 "pay": f"{total_pay}.00", "balance": str(total_in - total_pay)})
    plan.extra["budget"] = rows  # the staffing table: the current version's, as written


def versioned(term2):
    """S0050's group keeps it until 09-14; S0050 is withdrawn from 09-15; the duties are
    the same in both versions. Fees: 2 Tuesdays x 2.00 = 4.00 each, S0050 one Tuesday 2.00;
    noon 2 x 130 min x 2/60 = 8.666.. -> 8.67."""
    inst, plan = term2
    plan = copy.deepcopy(plan)
    big = max((g for g in plan.groups if g.session == "after-upper"),
              key=lambda g: len(g.students))
    gone = big.students[-1]
    from afterschool.models.plan import version_json
    plan.history = [version_json("2026-09-07", "2026-09-14", plan.groups, plan.duties, [])]
    plan.valid_from = "2026-09-15"
    plan.groups = [Group(g.id, g.session, g.students[:-1]) if g is big else g
                   for g in plan.groups]
    inst = replace(inst, students=tuple(replace(s, status="withdrawn") if s.id == gone else s
                                        for s in inst.students))
    fees = {s.id: ("2.00" if s.id == gone else "4.00") for s in inst.students if s.grade == 3}
    fees.update({s.id: "8.67" for s in inst.students if s.grade == 2})
    next(r for r in plan.staffing if r["day"] == "Tue" and r["session"] == "after-upper"
         )["students"] = 49
    figures(inst, plan, fees)
    return inst, plan, fees, gone


def test_two_versions_keep_every_rule_and_the_hand_figures(term2):
    inst, plan, fees, gone = versioned(term2)
    assert check_plan(inst, plan) == []
    n1 = next(r for r in plan.pay if r["staff"] == "N1")
    assert (n1["minutes"], n1["amount"]) == (260, "260.00")  # 130 min on each Tuesday
    # the withdrawn student pays for the first Tuesday only
    wrong = copy.deepcopy(plan)
    next(r for r in wrong.fees if r["student"] == gone)["service_fee"] = "4.00"
    assert "fees" in rules_of(inst, wrong)


def test_a_version_is_checked_on_its_own(term2):
    inst, plan, _, gone = versioned(term2)
    old = plan.history[0]
    g = next(g for g in old["groups"] if g["session"] == "after-upper")
    g["students"].append("S7777")  # nobody of that id, in the first version only
    found = check_plan(inst, plan)
    assert {v.rule for v in found} == {"students"}
    assert found[0].message.startswith("version 2026-09-07..2026-09-14:")
    # a second-grader in the upper group of the first version: her sign-up may have
    # changed since, so not a rule broken; she is not placed there for the fees
    g["students"][-1] = "S0201"
    assert check_plan(inst, plan) == []
    # the withdrawn student in the current version is not enrolled any more
    inst2, plan2, _, _ = versioned(term2)
    g2 = next(x for x in plan2.groups if x.session == "after-upper")
    plan2.groups = [Group(x.id, x.session, x.students + (gone,)) if x is g2 else x
                    for x in plan2.groups]
    assert rules_of(inst2, plan2) == {"enrolled only"}


@pytest.mark.parametrize("valid_from, valid_to, current_from", [
    ("2026-09-08", "2026-09-14", "2026-09-15"),   # first version after term start
    ("2026-09-07", "2026-09-13", "2026-09-15"),   # a day between the versions
    ("2026-09-07", "2026-09-14", "2026-09-16"),
    ("2026-09-07", "last week", "2026-09-15"),    # not a date
    ("2026-09-07", None, "2026-09-15"),           # an earlier version never ends
    ("2026-09-07", "2026-09-20", "2026-09-15")])  # versions overlap
def test_versions_must_tile_the_term(term2, valid_from, valid_to, current_from):
    inst, plan, _, _ = versioned(term2)
    plan.history[0].update(valid_from=valid_from, valid_to=valid_to)
    plan.valid_from = current_from
    assert "versions" in rules_of(inst, plan)


@pytest.mark.parametrize("entry", [{"valid_from": "2026-09-07", "valid_to": "2026-09-14"},
                                   {"valid_from": "2026-09-07", "valid_to": "2026-09-14",
                                    "groups": [{"id": "g"}], "duties": []}])
def test_a_history_entry_that_cannot_be_read(term2, entry):
    inst, plan, _, _ = versioned(term2)
    plan.history = [entry]
    assert rules_of(inst, plan) == {"versions"}


def substitute(plan, when="2026-09-15", staff="C1", replaces=None, session="after-upper"):
    """One exception: ``staff`` covers ``replaces``'s duty of ``session`` on ``when``."""
    d = next(d for d in plan.duties if d.session == session and
             (replaces is None or d.staff == replaces))
    plan.exceptions.append({"date": when, "day": "Tue", "session": d.session,
                            "window": None, "slot": d.slot, "group": d.group,
                            "start": d.start, "end": d.end, "role": "teacher",
                            "staff": staff, "replaces": d.staff})
    return d


def c1(inst, *rows, **changes):
    """C1 declares ``rows`` for Tuesday (and takes ``changes``)."""
    return with_teacher(with_rows(inst, add_rows=[("C1", "Tue", r, "available") for r in rows]),
                        "C1", **changes)


def test_substitution_moves_the_pay_and_keeps_the_rules(term2):
    inst, plan, fees, _ = versioned(term2)
    d = substitute(plan)
    figures(inst, plan, fees)
    # C1 is paid 60.00 for 09-15; the absent person 60.00 for 09-08 only
    assert {r["staff"]: r["amount"] for r in plan.pay}["C1"] == "60.00"
    assert {r["staff"]: r["minutes"] for r in plan.pay}[d.staff] == 60
    assert check_plan(c1(inst, "afternoon"), plan) == []
    # pay that ignores the exception: the absent person paid for both Tuesdays
    stale = copy.deepcopy(plan)
    for r in stale.pay:
        if r["staff"] == d.staff:
            r.update(minutes=120, amount="120.00")
    assert "pay" in rules_of(c1(inst, "afternoon"), stale)


def test_nobody_covers_then_nobody_is_paid(term2):
    inst, plan, fees, _ = versioned(term2)
    d = substitute(plan, staff=None)
    figures(inst, plan, fees)
    assert {r["staff"]: r["minutes"] for r in plan.pay}[d.staff] == 60  # 09-08 only
    assert check_plan(inst, plan) == []


@pytest.mark.parametrize("who, rule", [
    (lambda inst: inst, "availability"),                                 # C1 declared nothing
    (lambda inst: c1(inst, "afternoon", volunteer=False), "volunteers only"),
    (lambda inst: c1(inst, "afternoon", max_weekly_minutes=59), "weekly limit")])
def test_a_substitute_must_keep_the_rules(term2, who, rule):
    inst, plan, fees, _ = versioned(term2)
    substitute(plan)
    figures(inst, plan, fees)
    assert rules_of(who(inst), plan) == {rule}


def test_a_substitute_in_two_places_at_once(term2):
    inst, plan, fees, _ = versioned(term2)
    first = substitute(plan)
    other = next(d for d in plan.duties if d.session == "after-upper" and d is not first)
    plan.exceptions[0]["staff"] = other.staff  # already with the other group at 16:20
    figures(inst, plan, fees)
    assert rules_of(inst, plan) == {"one place at a time"}


def test_a_substitute_noon_and_afternoon_and_over_the_day(term2):
    inst, plan, fees, _ = versioned(term2)
    substitute(plan)                       # 60 min afternoon
    substitute(plan, session="noon")       # the first noon slot, 20 min: C1 has 80
    figures(inst, plan, fees)
    assert rules_of(c1(inst, "afternoon", "noon"), plan) == {"no double duty"}
    allowed = c1(inst, "afternoon", "noon", allow_double=True)
    assert check_plan(allowed, plan) == []
    # C1 also covers the other noon slots: 60 + 20 + 40 + 40 + 30 = 190 min on 09-15 > 130
    for d in [d for d in plan.duties if d.session == "noon"][1:]:
        plan.exceptions.append(dict(plan.exceptions[1], slot=d.slot, start=d.start, end=d.end,
                                    replaces=d.staff))
    figures(inst, plan, fees)
    found = check_plan(allowed, plan)
    assert {v.rule for v in found} == {"daily limit"}
    assert "C1 on 2026-09-15 serves 190 min" in found[0].message


@pytest.mark.parametrize("change, rule", [
    (dict(date="someday"), "exceptions"),
    (dict(date="2026-09-19"), "exceptions"),      # a Saturday, no make-up day
    (dict(day="Wed"), "exceptions"),              # 09-15 is a Tuesday
    (dict(replaces="N1"), "exceptions"),          # N1 has no such duty
    (dict(staff="ZZ"), "staff")])
def test_an_exception_that_fits_no_duty(term2, change, rule):
    inst, plan, fees, _ = versioned(term2)
    substitute(plan)
    figures(inst, plan, fees)
    plan.exceptions[0].update(change)
    assert rule in rules_of(c1(inst, "afternoon"), plan)


# ---- the command -----------------------------------------------------------------------------

def test_check_command_refuses_a_section_removed_and_rejects_a_fen_changed(tiny, tmp_path):
    import json

    from click.testing import CliRunner

    from afterschool.cli import main
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["plan", str(tiny), "--out", str(out), "--skip", "all"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["check", str(tiny), str(out / "plan.json")])
    assert r.exit_code == 0 and "OK" in r.stdout
    good = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    # ten third-graders, one Tuesday, 60 min at 2 yuan/h: 2.00 each
    assert {f["service_fee"] for f in good["fees"]} == {"2.00"}
    for section in FIGURES:
        data = dict(good)
        del data[section]
        path = tmp_path / f"no-{section}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        r = CliRunner().invoke(main, ["check", str(tiny), str(path), "--json"])
        # a plan file without a section is no plan file (the schema); a Plan without one
        # is the checker's "missing section" (test_a_plan_read_back_from_json_…)
        assert r.exit_code == 2 and f"{section}: missing" in r.stderr, section
    data = json.loads(json.dumps(good))
    data["fees"][0]["service_fee"] = "2.01"
    path = tmp_path / "fen.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(tiny), str(path)])
    assert r.exit_code == 1 and "[fees]" in r.stdout and "1 violation(s)" in r.stdout


def test_checker_imports_no_planner_code():
    import ast
    import inspect

    import afterschool.scheduler.check_venues as check_venues
    import afterschool.scheduler.checker as checker

    def imports(module) -> set[str]:
        tree = ast.parse(inspect.getsource(module))
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    # its one sibling, the venue checks (SPEC §12), is as independent as itself
    names = imports(checker) - {"afterschool.scheduler.check_venues"} | imports(check_venues)
    assert not {m for m in names if m and m.startswith("afterschool.scheduler")}, names


def test_no_versions_gives_the_spec_figures(tmp_path):
    # SPEC §5 and §8 examples: Tue-Fri afternoons over 18 full weeks (2026-03-02..07-03)
    # = 72 dates x 60 min: fee 72 h x 2 = 144.00; the teacher's pay 4320 min x 1.00 = 4320.00
    school = TWO_WEEKS.replace("2026-09-07", "2026-03-02").replace("2026-09-18", "2026-07-03")
    days = ("Tue", "Wed", "Thu", "Fri")
    folder = write_instance(tmp_path / "i", students=students_rows(1, afternoon=" ".join(days)),
                            teachers="T1,A,yes,no,staff,,,,no\n", school=school,
                            availability="".join(f"T1,{d},after-upper,available\n"
                                                 for d in days))
    inst = read_instance(folder)
    plan = solve(inst, time_limit=2, seed=0, workers=1)
    assert plan.fees[0]["service_fee"] == "144.00"
    assert (plan.pay[0]["minutes"], plan.pay[0]["amount"]) == (4320, "4320.00")
    assert check_plan(inst, plan) == []
    plan.fees[0]["service_fee"] = "143.99"
    plan.pay[0]["amount"] = "4320.01"
    assert rules_of(inst, plan) == {"fees", "pay"}  # the budget keeps the true figures


def test_priority_first_on_the_real_admission_when_places_are_short(tmp_path):
    # 44 third-graders fill one group with T1, the only volunteer: one place is left (cap 45).
    # S9201 (no priority) applied on 08-01, S9202 (left-behind) on 08-02: the priority child
    # gets the place though she applied later.
    rows = students_rows(44) + \
        "S9201,Ann,3,3-1,,Tue,,normal,,,applied,2026-08-01\n" \
        "S9202,Bo,3,3-1,,Tue,left_behind,normal,,,applied,2026-08-02\n"
    folder = write_instance(tmp_path / "i", students=rows, teachers="T1,A,yes,no,staff,,,,no\n",
                            availability="T1,Tue,after-upper,available\n")
    inst = read_instance(folder)
    from afterschool.scheduler.planning.scenarios import admit
    rows = admit(inst, time_limit=1)
    assert {r["student"]: r["decision"] for r in rows} == {"S9202": "admitted",
                                                           "S9201": "waiting"}
    assert check_admission(inst, rows) == []
    swapped = [dict(r, decision="admitted" if r["decision"] == "waiting" else "waiting")
               for r in rows]
    assert {v.rule for v in check_admission(inst, swapped)} == {"priority first"}


def test_a_manager_substitute_on_the_one_tuesday(fresh):
    inst, plan = fresh
    m = one(plan, role="manager")
    plan.exceptions = [{"date": "2026-09-08", "day": "Tue", "session": None,
                        "window": "afternoon", "slot": None, "group": None,
                        "start": m.start, "end": m.end, "role": "manager",
                        "staff": "M2", "replaces": m.staff}]
    # the 105 min of 09-08 move from the manager to M2: 105.00 yuan
    pay_more(plan, m.staff, "managers (afternoon)", -105)
    pay_more(plan, "M2", "managers (afternoon)", 105)
    assert check_plan(spare(inst), plan) == []
    assert rules_of(inst, plan) == {"availability"}  # M2 declared nothing in the files
    assert rules_of(with_teacher(spare(inst), "M2", can_manage=False), plan) == {
        "manager can manage"}


def test_a_volunteer_who_withdrew_since_an_earlier_version(term2):
    # U1 served in the first version and stopped volunteering from 09-15: C1 took over.
    # Today's sheets say U1 does not volunteer; that speaks for the current version only.
    inst, plan, fees, _ = versioned(term2)
    d = next(d for d in plan.duties if d.staff == "U1")
    plan.duties = [replace(x, staff="C1") if x is d else x for x in plan.duties]
    figures(inst, plan, fees)
    today = with_teacher(c1(inst, "afternoon"), "U1", volunteer=False)
    today = with_rows(today, drop_rows=[("U1", "Tue", "after-upper")])
    assert check_plan(today, plan) == []
    plan.duties = [replace(x, staff="U1") if x.staff == "C1" else x for x in plan.duties]
    figures(inst, plan, fees)
    assert rules_of(today, plan) == {"volunteers only", "availability"}


def test_a_substitute_of_an_earlier_version_is_not_judged_by_todays_rows(term2):
    # C1 covered U2 on 09-08 (first version) and has stopped volunteering since
    inst, plan, fees, _ = versioned(term2)
    substitute(plan, when="2026-09-08", staff="C1", replaces="U2")
    figures(inst, plan, fees)
    today = with_teacher(inst, "C1", volunteer=False)
    assert check_plan(today, plan) == []
    plan.exceptions[0]["date"] = "2026-09-15"  # the same cover in the current version
    figures(inst, plan, fees)
    assert rules_of(today, plan) == {"volunteers only", "availability"}


# ---- the promises across versions (SPEC §9 settled readings) -------------------------------

def _rename(plan, old: str, new: str) -> None:
    """The current version's group ``old`` called ``new``, its duties and shortages too."""
    plan.groups = [Group(new, g.session, g.students) if g.id == old else g for g in plan.groups]
    plan.duties = [replace(d, group=new) if d.group == old else d for d in plan.duties]
    plan.shortages = [replace(s, group=new) if s.group == old else s for s in plan.shortages]


def test_a_group_renamed_to_a_fresh_id_breaks_group_ids(term2):
    # the first version's largest upper group keeps all but the withdrawn pupil: it must
    # keep its id; under a fresh id it breaks the promise, whatever else stays right
    inst, plan, fees, _ = versioned(term2)
    assert check_plan(inst, plan) == []
    big = max((g for g in plan.groups if g.session == "after-upper"),
              key=lambda g: len(g.students))
    _rename(plan, big.id, "after-upper-99")
    found = check_plan(inst, plan)
    assert {v.rule for v in found} == {"group ids"}
    assert f"group {big.id} keeps {len(big.students)} of its pupils" in found[0].message
    assert "after-upper-99" in found[0].message


def test_an_id_reused_for_another_group_breaks_group_ids(term2):
    # the two upper groups swap ids in the current version: each id now names a group
    # holding none of its pupils (and an id's group has ended)
    inst, plan, fees, _ = versioned(term2)
    a, b = sorted(g.id for g in plan.groups if g.session == "after-upper")
    _rename(plan, a, "swap")
    _rename(plan, b, a)
    _rename(plan, "swap", b)
    found = check_plan(inst, plan)
    assert {v.rule for v in found} == {"group ids"}
    assert any(f"group {a} keeps none of its pupils" in v.message for v in found)


def test_an_earlier_version_s_cap_counts_its_recorded_sign_ups(term2):
    # the withdrawn pupil's row no longer says Tuesday today, but the first version
    # recorded her Tuesday sign-up: the first version's group had n on Tuesday then. With a
    # cap of n - 1 it broke the cap; today's row would count n - 1 and pass
    inst, plan, fees, gone = versioned(term2)
    # one pupil of the other upper group joins the withdrawn pupil's group in both
    # versions, so that group is the largest: 26 then, 25 now, the other 24
    big = next(g["id"] for g in plan.history[0]["groups"] if gone in g["students"])
    other = next(g for g in plan.history[0]["groups"]
                 if g["session"] == "after-upper" and g["id"] != big)
    x = other["students"][0]
    for groups in (plan.history[0]["groups"], None):
        if groups is None:
            plan.groups = [Group(g.id, g.session, tuple(sorted(
                [y for y in g.students if y != x] + ([x] if g.id == big else []))))
                for g in plan.groups]
        else:
            for g in groups:
                g["students"] = sorted([y for y in g["students"] if y != x]
                                       + ([x] if g["id"] == big else []))
    v1 = plan.versions()[0]
    g = next(g for g in v1.groups if gone in g.students)
    plan.history[0]["signups"] = {gone: {"noon": [], "afternoon": ["Tue"], "lunch": False}}
    today = replace(inst, students=tuple(replace(s, afternoon=()) if s.id == gone else s
                                         for s in inst.students))
    tight = with_rules(today, group_cap=len(g.students) - 1)
    found = check_plan(tight, plan)
    assert [v.rule for v in found] == ["group cap"], found
    assert f"group {g.id} has {len(g.students)} students present on Tue" in found[0].message
    assert check_plan(with_rules(today, group_cap=len(g.students)), plan) == []


def test_a_cover_on_an_earlier_version_s_date_is_judged_by_the_sheets_then(term2):
    # C1 covered U2 on 09-08 (first version). The sheets in force then, given per version:
    # C1 declared Tuesday afternoon -> kept; C1 declared nothing -> availability broken.
    # Without them the earlier version's cover is not judged by today's rows.
    inst, plan, fees, _ = versioned(term2)
    substitute(plan, when="2026-09-08", staff="C1", replaces="U2")
    figures(inst, plan, fees)
    assert check_plan(inst, plan) == []
    then = c1(inst, "afternoon")
    assert check_plan(inst, plan, version_instances=[then, None]) == []
    assert rules_of_sheets(inst, plan, [inst, None]) == {"availability"}
    assert rules_of_sheets(inst, plan, [None, None]) == {"availability"}
    # the earlier version's own duties too: U2 had not volunteered then
    stopped = with_teacher(then, "U2", volunteer=False)
    assert "volunteers only" in rules_of_sheets(inst, plan, [stopped, None])
    # a list of the wrong length is itself reported
    assert rules_of_sheets(inst, plan, [then]) == {"versions"}


def rules_of_sheets(inst, plan, sheets) -> set[str]:
    return {v.rule for v in check_plan(inst, plan, version_instances=sheets)}


@pytest.mark.parametrize("count", [-1, 0, 1.5, True, "1"])
def test_a_shortage_count_must_be_a_positive_whole_number(fresh, count):
    # a second teacher in a slot hidden by a shortage of -1: duties + shortages = 1, yet the
    # slot has two teachers; any count that is not a positive whole number is reported
    inst, plan = fresh
    inst = spare(inst)
    d = upper(plan)
    add(plan, replace(d, staff="T7"))
    plan.shortages.append(Shortage(day=d.day, start=d.start, end=d.end, role="teacher",
                                   session=d.session, group=d.group, count=count,
                                   slot=d.slot))
    rules = rules_of(inst, plan)
    assert "shortages" in rules and "one teacher per slot" in rules


def test_a_manager_shortage_count_of_minus_one_is_reported(fresh):
    inst, plan = fresh
    m = one(plan, role="manager")
    plan.shortages.append(Shortage(day=m.day, start=m.start, end=m.end, role="manager",
                                   window=m.window, count=-1))
    assert rules_of(inst, plan) == {"shortages"}
