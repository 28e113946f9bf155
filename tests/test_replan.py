"""Re-plan from a date (SPEC §9) on tiny schools whose answers are worked out by hand.

The school of most tests: a three-week term, Mon 2026-09-07 to Fri 2026-09-25, official
holidays off; the re-plan starts on Tue 2026-09-15 (week 2) unless a test says otherwise.
Every plan is checked with ``check_plan`` for the rules of its current version (today's
checker recomputes fees and pay over the whole term without versions, so those two rules are
checked here by hand instead).
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.checker import check_plan
from afterschool.scheduler.planning.replan import replan
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.reading.reader import read_instance
from school_files import school_until, students_rows, write_instance

# every plan.json the commands write here passes the tool's own check (conftest)
pytestmark = pytest.mark.usefixtures("written_plans_pass_check")

LIMIT = dict(time_limit=3, seed=0, workers=1)
THREE_WEEKS = school_until("2026-09-25")
TUE2 = date(2026, 9, 15)


def vol(tid, manage="no", weekly=""):
    return f"{tid},Name{tid},yes,{manage},staff,,{weekly},,no\n"


def avail(tid, days, session):
    return "".join(f"{tid},{d},{session},available\n" for d in days.split())


def first_plan(tmp_path, students, teachers, availability, school=THREE_WEEKS):
    folder = write_instance(tmp_path / "before", students=students, teachers=teachers,
                            availability=availability, school=school)
    inst = read_instance(folder)
    plan = solve(inst, **LIMIT)
    assert [v for v in check_plan(inst, plan)] == []
    return plan


def edited(tmp_path, students, teachers, availability, school=THREE_WEEKS):
    folder = write_instance(tmp_path / "after", students=students, teachers=teachers,
                            availability=availability, school=school)
    return read_instance(folder)


def rules_kept(inst, plan):
    """Every rule and figure of every version, money over the versions included."""
    found = check_plan(inst, plan)
    assert found == [], found


def group_of(plan, student, session="after-upper"):
    return next(g.id for g in plan.groups if g.session == session and student in g.students)


def teacher_duties(plan):
    return {(d.day, d.session, d.slot, d.group, d.staff) for d in plan.duties
            if d.role == "teacher"}


def test_one_withdrawal_frees_a_seat_and_nobody_moves(tmp_path):
    # 40 of 3-1 on Tue in one group with T1. S0001 withdraws: the group keeps its id and
    # its 39 others, T1 keeps the duty; one 'left' row, nothing else changes.
    rows = students_rows(40)
    old = first_plan(tmp_path, rows, vol("T1"), avail("T1", "Tue", "after-upper"))
    inst = edited(tmp_path, rows.replace(",enrolled,", ",withdrawn,", 1), vol("T1"),
                  avail("T1", "Tue", "after-upper"))
    r = replan(inst, old, TUE2, **{k: LIMIT[k] for k in ("time_limit", "seed")})
    rules_kept(inst, r.plan)
    (g,) = r.plan.groups
    assert g.id == old.groups[0].id and len(g.students) == 39 and "S0001" not in g.students
    assert teacher_duties(r.plan) == teacher_duties(old)
    assert r.stats["students_moved"] == 0 and r.stats["students_left"] == 1
    assert r.stats["duties_changed"] == 0
    assert [(x["student"], x["change"]) for x in r.students] == [("S0001", "left")]
    # the history: version 1 from the term start to the Monday before DATE
    assert r.plan.valid_from == "2026-09-15"
    (h,) = r.plan.history
    assert (h["valid_from"], h["valid_to"]) == ("2026-09-07", "2026-09-14")
    assert len(h["groups"][0]["students"]) == 40


def test_new_student_takes_a_free_seat_with_classmates_nobody_moves(tmp_path):
    # 3-1 (40) and 3-2 (40) on Tue: 80 > 45, two whole-class groups with 5 free seats each.
    # A new 3-2 pupil fits either without a new group-day; with 3-2 is no new class pair.
    rows = students_rows(40, klass="3-1") + students_rows(40, klass="3-2", start=41)
    staff = vol("T1") + vol("T2")
    av = avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-upper")
    old = first_plan(tmp_path, rows, staff, av)
    new = "S0100,New,3,3-2,,Tue,,normal,,,enrolled,\n"
    inst = edited(tmp_path, rows + new, staff, av)
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, r.plan)
    assert group_of(r.plan, "S0100") == group_of(old, "S0041")
    assert r.stats["students_moved"] == 0 and r.stats["students_added"] == 1
    assert teacher_duties(r.plan) == teacher_duties(old)
    assert {g.id for g in r.plan.groups} == {g.id for g in old.groups}


def test_new_student_without_a_seat_opens_a_group_and_a_manager_appears(tmp_path):
    # Three full classes of 45 on Tue: 3 groups of 45, M(3) = 0 managers. One more 3-1
    # pupil has no seat (moving anybody frees none): a 4th group with a fresh id, a 4th
    # teacher (T4 joins), and M(4) = 1 manager for the Tue afternoon window (M1, whose
    # availability is new). The three old duties stay: 0 removed, 2 added.
    rows = "".join(students_rows(45, klass=f"3-{c}", start=45 * (c - 1) + 1) for c in (1, 2, 3))
    staff = vol("T1") + vol("T2") + vol("T3") + vol("M1", manage="yes")
    av = "".join(avail(t, "Tue", "after-upper") for t in ("T1", "T2", "T3"))
    old = first_plan(tmp_path, rows, staff, av)
    assert len(old.groups) == 3 and not [d for d in old.duties if d.role == "manager"]
    inst = edited(tmp_path, rows + "S0200,New,3,3-1,,Tue,,normal,,,enrolled,\n",
                  staff + vol("T4"), av + avail("T4", "Tue", "after-upper")
                  + avail("M1", "Tue", "afternoon"))
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, r.plan)
    assert len(r.plan.groups) == 4 and r.stats["students_moved"] == 0
    fresh = group_of(r.plan, "S0200")
    assert fresh not in {g["id"] for h in r.plan.history for g in h["groups"]}
    assert [(d.staff, d.window, d.start, d.end) for d in r.plan.duties if d.role == "manager"
            ] == [("M1", "afternoon", "15:35", "17:20")]
    assert teacher_duties(old) <= teacher_duties(r.plan) and not r.plan.shortages
    assert (r.stats["duties_removed"], r.stats["duties_added"]) == (0, 2)


def _leaver(tmp_path):
    """One group Tue-Fri (4 duties of 60 min); T1, T2, T3 may each serve 120 min a week;
    then T2 leaves (volunteer = no, rows deleted). The first plan and the edited school."""
    rows = students_rows(20, afternoon="Tue Wed Thu Fri")
    days = "Tue Wed Thu Fri"
    staff = vol("T1", weekly="120") + vol("T2", weekly="120") + vol("T3", weekly="120")
    av = "".join(avail(t, days, "after-upper") for t in ("T1", "T2", "T3"))
    old = first_plan(tmp_path, rows, staff, av)
    return old, edited(tmp_path, rows, staff.replace("T2,NameT2,yes", "T2,NameT2,no"),
                       "".join(avail(t, days, "after-upper") for t in ("T1", "T3")))


def test_a_volunteer_who_leaves_is_replaced_duty_by_duty(tmp_path):
    # T2 leaves (``_leaver``): T2's duties go to whoever has room, every other duty stays
    # as it was; nobody moves.
    old, inst = _leaver(tmp_path)
    gone = {d for d in teacher_duties(old) if d[4] == "T2"}
    assert gone, "T2 had duties in the first plan"
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, r.plan)
    now = teacher_duties(r.plan)
    assert teacher_duties(old) - gone <= now
    assert {d[:4] for d in now} == {d[:4] for d in teacher_duties(old)}
    assert all(d[4] != "T2" for d in now) and not r.plan.shortages
    assert r.stats["duties_removed"] == len(gone) and r.stats["students_moved"] == 0
    assert r.stats["available_duties_kept"] == r.stats["available_duties_before"]
    assert {x["old_staff"] for x in r.duties} == {"T2"}


def test_coverage_comes_before_fewer_duty_changes(tmp_path):
    # Tue: a grade-1 group (after-lower 15:35-16:35) and a grade-3 group (after-upper
    # 16:20-17:20); the sessions overlap, so nobody takes both. T1 had after-upper, T2
    # after-lower (T2 may take either). T1 stops volunteering (their availability row stays:
    # a warning, unused); T3 joins for after-lower only. Keeping T2's duty leaves
    # after-upper unfilled; moving T2 to after-upper and T3 to after-lower covers both, for
    # two changed duties. Coverage first: the plan has no shortage.
    rows = students_rows(10, grade=1, klass="1-1") + students_rows(10, klass="3-1", start=11)
    av = avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-lower") + \
        avail("T2", "Tue", "after-upper")
    old = first_plan(tmp_path, rows, vol("T1") + vol("T2"), av)
    assert {(d.session, d.staff) for d in old.duties} == {("after-upper", "T1"),
                                                          ("after-lower", "T2")}
    inst = edited(tmp_path, rows, vol("T1").replace(",yes,", ",no,", 1) + vol("T2") + vol("T3"),
                  av + avail("T3", "Tue", "after-lower"))
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, r.plan)
    assert not r.plan.shortages
    assert {(d.session, d.staff) for d in r.plan.duties} == {("after-upper", "T2"),
                                                             ("after-lower", "T3")}


def _pin_school(tmp_path):
    # 3-1: 44 on Tue Wed + 1 on Wed only (S0045) -> Tue 44, Wed 45.
    # 3-2: 44 on Tue Wed + 1 on Tue only (S0090) -> Tue 45, Wed 44.
    # Two whole-class groups; T1 and T2 are the only volunteers (Tue and Wed).
    rows = (students_rows(44, klass="3-1", afternoon="Tue Wed")
            + students_rows(1, klass="3-1", afternoon="Wed", start=45)
            + students_rows(44, klass="3-2", afternoon="Tue Wed", start=46)
            + students_rows(1, klass="3-2", afternoon="Tue", start=90))
    staff = vol("T1") + vol("T2")
    av = avail("T1", "Tue Wed", "after-upper") + avail("T2", "Tue Wed", "after-upper")
    old = first_plan(tmp_path, rows, staff, av)
    new = "S0100,New,3,3-1,,Tue Wed,,normal,,,enrolled,\n"
    return old, rows + new, staff, av


def test_pin_groups_with_full_groups_costs_shortages(tmp_path):
    # New 3-1 pupil on Tue Wed: no group has a seat on both days. Unpinned, coverage first:
    # one continuing pupil moves (S0045 to 3-2's group, or S0090 to 3-1's), and the new one
    # fits: no new group, no shortage. Pinned: a new group on Tue and Wed that nobody can
    # staff: 2 teacher shortages of 60 min, +2 group-days; the summary says so.
    old, rows, staff, av = _pin_school(tmp_path)
    inst = edited(tmp_path, rows, staff, av)
    free = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, free.plan)
    assert free.stats["students_moved"] == 1 and not free.plan.shortages
    assert len(free.plan.groups) == 2
    pinned = replan(inst, old, TUE2, pin="groups", time_limit=3, seed=0)
    rules_kept(inst, pinned.plan)
    assert pinned.stats["students_moved"] == 0 and len(pinned.plan.groups) == 3
    assert sum(s.count for s in pinned.plan.shortages) == 2
    cost = pinned.stats["pin_cost"]
    assert (cost["shortage_minutes"], cost["group_days"], cost["unpinned_moves"]) == (120, 2, 1)
    from afterschool.scheduler.handouts.changes import replan_summary
    assert "--pin groups costs +120 shortage min/week, +2 group-day(s)" in \
        replan_summary(pinned)


MONEY_SCHOOL = THREE_WEEKS.replace(
    "official_holidays = false",
    "official_holidays = false\nholidays = [2026-09-09]\nmakeup_days = { 2026-09-13 = \"Wed\" }")


def test_fees_and_pay_over_two_versions(tmp_path):
    # Noon care Mon and Wed (130 billable min a day at 2 yuan/h; pay 60 yuan/h = 1 yuan/min).
    # Wed 09-09 is a holiday; Sun 09-13 is a make-up day following Wed's timetable.
    # Re-plan from Mon 09-21: S0001 withdraws, S0003 joins, T1 leaves and T2 takes over.
    # Service dates before 09-21: Mon 09-07, 09-14; Wed 09-13 (make-up), 09-16 -> 4 dates:
    #   S0001 pays 4 x 130 x 2 / 60 = 17.333 -> 17.33.
    # From 09-21: Mon 09-21, Wed 09-23 -> 2 dates: S0003 pays 2 x 130 x 2 / 60 = 8.67.
    # S0002 stays all term: 6 dates -> 26.00.
    # T1 (all four noon slots, 130 min a day) on version 1's 4 dates: 520 min = 520.00;
    # T2 on version 2's 2 dates: 260 min = 260.00.
    rows = students_rows(2, noon="Mon Wed", afternoon="")
    old = first_plan(tmp_path, rows, vol("T1"), avail("T1", "Mon Wed", "noon"),
                     school=MONEY_SCHOOL)
    assert {d.staff for d in old.duties} == {"T1"}
    rows2 = rows.replace(",enrolled,", ",withdrawn,", 1) + \
        "S0003,Kid3,3,3-1,Mon Wed,,,normal,,,enrolled,\n"
    inst = edited(tmp_path, rows2, vol("T1").replace(",yes,", ",no,", 1) + vol("T2"),
                  avail("T2", "Mon Wed", "noon"), school=MONEY_SCHOOL)
    r = replan(inst, old, date(2026, 9, 21), time_limit=3, seed=0)
    rules_kept(inst, r.plan)
    fees = {f["student"]: f["service_fee"] for f in r.plan.fees}
    assert fees == {"S0001": "17.33", "S0002": "26.00", "S0003": "8.67"}
    pay = {p["staff"]: (p["minutes"], p["amount"]) for p in r.plan.pay}
    assert pay == {"T1": (520, "520.00"), "T2": (260, "260.00")}
    assert r.plan.history[0]["valid_to"] == "2026-09-20"
    assert r.plan.extra["people"]["students"]["S0001"]["status"] == "withdrawn"


def _cli_school(tmp_path):
    rows = students_rows(40)
    old = first_plan(tmp_path, rows, vol("T1"), avail("T1", "Tue", "after-upper"))
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "plan.json").write_text(json.dumps(old.to_dict(), ensure_ascii=False),
                                                encoding="utf-8")
    folder = write_instance(tmp_path / "after", rows.replace(",enrolled,", ",withdrawn,", 1),
                            vol("T1"), avail("T1", "Tue", "after-upper"), school=THREE_WEEKS)
    return folder, tmp_path / "old" / "plan.json"


@pytest.mark.parametrize("day, words", [
    ("2026-09-12", "not a service date"),  # a Saturday
    ("2026-09-07", "not after the previous version's start"),  # the term start itself
    ("2026-10-06", "outside the term"),
    ("15/09/2026", "not a date"),
])
def test_bad_dates_are_bad_input(tmp_path, day, words):
    folder, prev = _cli_school(tmp_path)
    res = CliRunner().invoke(main, ["replan", str(folder), "--previous", str(prev), "--from",
                                    day, "--out", str(tmp_path / "out"), "--skip", "all"])
    assert res.exit_code == 2, res.output
    assert words in res.stderr
    assert not (tmp_path / "out" / "plan.json").exists()


def test_a_previous_plan_of_another_school_is_bad_input(tmp_path):
    folder, prev = _cli_school(tmp_path)
    data = json.loads(prev.read_text(encoding="utf-8"))
    data["school"] = "Another School"
    data["groups"][0]["session"] = "chess-club"
    data["sessions"]["chess-club"] = dict(data["sessions"][data["duties"][0]["session"]])
    prev.write_text(json.dumps(data), encoding="utf-8")
    res = CliRunner().invoke(main, ["replan", str(folder), "--previous", str(prev), "--from",
                                    "2026-09-15", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "belongs to another school" in res.stderr and "chess-club" in res.stderr


def test_cli_writes_plan_and_changes_all_or_nothing_and_is_deterministic(tmp_path):
    folder, prev = _cli_school(tmp_path)
    outs = []
    for name in ("a", "b"):
        res = CliRunner().invoke(main, ["replan", str(folder), "--previous", str(prev),
                                        "--from", "2026-09-15", "--out", str(tmp_path / name),
                                        "--skip", "charts", "--seed", "3"])
        assert res.exit_code == 0, res.output
        assert "1 left, 0 others moved" in res.stdout  # the office summary (en school)
        data = json.loads((tmp_path / name / "plan.json").read_text(encoding="utf-8"))
        for key in ("solve_stats",):
            data.pop(key)
        data["replan"].pop("cpu_seconds")
        outs.append(data)
        changes = (tmp_path / name / "changes.csv").read_text(encoding="utf-8-sig")
        assert "student left,S0001" in changes
        assert (tmp_path / name / "changes.xlsx").exists()
        assert (tmp_path / name / "changes-teachers.csv").exists()
    assert outs[0] == outs[1]
    assert outs[0]["valid_from"] == "2026-09-15" and len(outs[0]["history"]) == 1
    # a re-plan of the re-plan: history grows, the first version keeps its dates
    res = CliRunner().invoke(main, ["replan", str(folder), "--previous", str(tmp_path / "a"),
                                    "--from", "2026-09-22", "--out", str(tmp_path / "c"),
                                    "--skip", "all"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "c" / "plan.json").read_text(encoding="utf-8"))
    assert [(h["valid_from"], h["valid_to"]) for h in data["history"]] == [
        ("2026-09-07", "2026-09-14"), ("2026-09-15", "2026-09-21")]
    # a date not after the previous version's start is refused
    res = CliRunner().invoke(main, ["replan", str(folder), "--previous", str(tmp_path / "a"),
                                    "--from", "2026-09-15", "--out", str(tmp_path / "d")])
    assert res.exit_code == 2


def test_pin_duties_keeps_every_duty_and_says_what_it_costs(tmp_path):
    # Before: 10 third-graders on Tue, T1 the only volunteer (free for both afternoon
    # sessions) -> T1 supervises after-upper. Then a first-grader joins (after-lower, Tue
    # 15:35-16:35, overlapping after-upper from 16:20) and T2 volunteers for after-upper only.
    # Unpinned, coverage first: T1 moves to after-lower, T2 takes after-upper (T1's old duty
    # changes; no shortage). --pin duties: T1 keeps after-upper, nobody can take after-lower:
    # one 60-minute shortage, which the summary gives as the pin's cost.
    rows = students_rows(10)
    before = avail("T1", "Tue", "after-upper") + avail("T1", "Tue", "after-lower")
    old = first_plan(tmp_path, rows, vol("T1") + vol("T2"), before)
    assert [(d.staff, d.session) for d in old.duties] == [("T1", "after-upper")]
    inst = edited(tmp_path, rows + "S0100,New,1,1-1,,Tue,,normal,,,enrolled,\n",
                  vol("T1") + vol("T2"), before + avail("T2", "Tue", "after-upper"))
    free = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, free.plan)
    assert sorted((d.staff, d.session) for d in free.plan.duties) == [
        ("T1", "after-lower"), ("T2", "after-upper")]
    assert not free.plan.shortages and free.stats["available_duties_kept"] == 0
    pinned = replan(inst, old, TUE2, pin="duties", time_limit=3, seed=0)
    rules_kept(inst, pinned.plan)
    assert [(d.staff, d.session) for d in pinned.plan.duties] == [("T1", "after-upper")]
    assert [(s.session, s.role) for s in pinned.plan.shortages] == [("after-lower", "teacher")]
    assert pinned.stats["pin_cost"]["shortage_minutes"] == 60


def test_pin_duties_holds_the_whole_duty_with_its_group_meeting_that_day(tmp_path):
    # Before: 3-1 has 40 pupils on Tue and 5 on Thu, 3-2 has 44 on Thu: Thu 49 -> two
    # groups, G1 (3-1: Tue 40, Thu 5) and G2 (3-2: Thu 44), as the office grouped them
    # (the planner would balance Thursday). T1 (Tue, Thu) holds G1 both days, T2 (Thu)
    # holds G2. Edit: four of 3-2 withdraw (Thu 45 now fits one group) and
    # T2 stops volunteering. Unpinned, the cheapest cover moves G1's five Thursday pupils
    # into G2 and T1 with them: G1 no longer meets on Thursday. --pin duties holds T1's
    # Thursday duty whole: G1 meets on Thursday with T1 (whatever it costs elsewhere).
    rows = (students_rows(40, klass="3-1", afternoon="Tue")
            + students_rows(5, klass="3-1", afternoon="Thu", start=41)
            + students_rows(44, klass="3-2", afternoon="Thu", start=101))
    staff = vol("T1") + vol("T2")
    av = avail("T1", "Tue Thu", "after-upper") + avail("T2", "Thu", "after-upper")
    from afterschool.models.plan import Group
    from afterschool.scheduler.money.accounts import term_money

    old = first_plan(tmp_path, rows, staff, av)
    g1, g2 = sorted(g.id for g in old.groups)
    old.groups = [Group(g1, "after-upper", tuple(f"S{k:04d}" for k in range(1, 46))),
                  Group(g2, "after-upper", tuple(f"S{k:04d}" for k in range(101, 145)))]
    old_inst = read_instance(tmp_path / "before")
    term_money(old_inst, old)
    assert check_plan(old_inst, old) == []
    assert sorted((d.day, d.group) for d in old.duties if d.staff == "T1") == [
        ("Thu", g1), ("Tue", g1)]
    edit = rows
    for k in range(101, 105):
        edit = edit.replace(f"S{k:04d},Kid{k},3,3-2,,Thu,,normal,,,enrolled,",
                            f"S{k:04d},Kid{k},3,3-2,,Thu,,normal,,,withdrawn,")
    inst = edited(tmp_path, edit, vol("T1") + vol("T2").replace(",yes,", ",no,", 1), av)
    free = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, free.plan)
    assert not free.plan.shortages and free.stats["students_moved"] == 5
    assert [d.group for d in free.plan.duties if d.day == "Thu"] == [g2]
    pinned = replan(inst, old, TUE2, pin="duties", time_limit=3, seed=0)
    rules_kept(inst, pinned.plan)
    assert sorted((d.day, d.group) for d in pinned.plan.duties if d.staff == "T1") == [
        ("Thu", g1), ("Tue", g1)]
    on_thu = [g for g in pinned.plan.groups if g.id == g1][0].students
    assert any(x in on_thu for x in ("S0041", "S0042", "S0043", "S0044", "S0045"))


def test_a_previous_group_over_the_cap_loses_the_fewest_pupils(tmp_path):
    # 47 of 3-1 on Tue in one group (hand-broken: the cap is 45) with T1; T2 is free.
    # The re-plan must keep the cap: exactly 2 pupils move, to a new group (fresh id) that
    # T2 supervises; the old group keeps its id and 45 pupils; T1 keeps the duty.
    from afterschool.models.plan import Group
    rows = students_rows(47)
    staff = vol("T1") + vol("T2")
    av = avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-upper")
    old = first_plan(tmp_path, rows, staff, av)
    ids = sorted(x for g in old.groups for x in g.students)
    old.groups = [Group("after-upper-01", "after-upper", tuple(ids))]
    old.duties = [replace(old.duties[0], group="after-upper-01", staff="T1")]
    inst = edited(tmp_path, rows, staff, av)
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    # the checker rightly reports the hand-broken first version; the new one keeps the cap
    found = check_plan(inst, r.plan)
    assert [(v.rule, v.message.split(":")[0]) for v in found] == [
        ("group cap", "version 2026-09-07..2026-09-14")]
    sizes = sorted((len(g.students), g.id) for g in r.plan.groups)
    assert sizes == [(2, "after-upper-02"), (45, "after-upper-01")]
    assert r.stats["students_moved"] == 2
    assert {d[3:] for d in teacher_duties(r.plan)} == {("after-upper-01", "T1"),
                                                       ("after-upper-02", "T2")}


def test_a_changed_sign_up_is_named_not_counted_as_a_move(tmp_path):
    # 3-1: 45 on Tue Wed (full both days) in one group; 3-2: 10 on Tue in another.
    # S0001 changes from Tue Wed to Tue only: named by the change, so wherever they go it
    # is no move; staying in the old group is cheapest (no new class pair), so they stay.
    rows = students_rows(45, klass="3-1", afternoon="Tue Wed") + \
        students_rows(10, klass="3-2", afternoon="Tue", start=46)
    staff = vol("T1") + vol("T2")
    av = avail("T1", "Tue Wed", "after-upper") + avail("T2", "Tue Wed", "after-upper")
    old = first_plan(tmp_path, rows, staff, av)
    inst = edited(tmp_path, rows.replace("S0001,Kid1,3,3-1,,Tue Wed,", "S0001,Kid1,3,3-1,,Tue,"),
                  staff, av)
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, r.plan)
    assert r.stats["students_moved"] == 0
    assert [(x["student"], x["change"]) for x in r.students] == [("S0001", "changed")]
    assert group_of(r.plan, "S0001") == group_of(old, "S0001")


def test_substitutions_before_the_date_stay_and_later_ones_of_unchanged_duties_too(tmp_path):
    # T1 supervises the one Tue group all term: Tue 09-08, 09-15, 09-22 (60 min each).
    # The previous plan records T1 absent and uncovered on 09-08 and on 09-22. Re-plan from
    # 09-15: the 09-08 exception stays (T1 is not paid for it), and so does the 09-22 one:
    # the duty is unchanged and the absence is a fact (SPEC §9). T1's pay: 3 x 60 - 2 x 60
    # = 60 min = 60.00.
    rows = students_rows(40)
    old = first_plan(tmp_path, rows, vol("T1"), avail("T1", "Tue", "after-upper"))
    duty = old.duties[0]
    old.exceptions = [{"date": when, "day": "Tue", "session": "after-upper", "window": None,
                       "slot": duty.slot, "group": duty.group, "start": "16:20",
                       "end": "17:20", "role": "teacher", "staff": None, "replaces": "T1"}
                      for when in ("2026-09-08", "2026-09-22")]
    inst = edited(tmp_path, rows.replace(",enrolled,", ",withdrawn,", 1), vol("T1"),
                  avail("T1", "Tue", "after-upper"))
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    assert [x["date"] for x in r.plan.exceptions] == ["2026-09-08", "2026-09-22"]
    assert r.stats["exceptions_dropped"] == 0 and r.stats["exceptions_kept"] == 1
    assert [(p["staff"], p["minutes"], p["amount"]) for p in r.plan.pay] == [
        ("T1", 60, "60.00")]
    rules_kept(inst, r.plan)


def test_a_replan_keeps_covers_of_unchanged_duties_and_covers_a_changed_one_again(tmp_path):
    # Tue: 40 of 3-1 (after-upper, one group) with T1; Thu: 10 of 1-2 (after-lower, one
    # group) with T1. The previous plan records T1 absent on Tue 09-22 and Thu 09-24, T3
    # covering both. Edit: every 1-2 pupil withdraws and ten of 1-3 enrol on Thu (a new
    # group: the old one kept none of its pupils, so a new id); T3 now declares both
    # (120 min a week). Re-plan from Tue 09-15:
    # - the Tue 09-22 cover is kept as it was (same duty, T3 may still take it);
    # - the Thu 09-24 cover was for the old group: dropped; T1's absence that day is a
    #   fact, so if T1 holds the new Thursday duty, 09-24 is covered again (or left a dated
    #   shortage): T1 is on duty nowhere on 09-22 and 09-24.
    from afterschool.scheduler.planning.substitute import DayBook

    tue = students_rows(40)
    thu = students_rows(10, grade=1, klass="1-2", afternoon="Thu", start=101)
    new = students_rows(10, grade=1, klass="1-3", afternoon="Thu", start=201)
    teachers = vol("T1") + vol("T3", weekly="120")
    t1 = avail("T1", "Tue", "after-upper") + avail("T1", "Thu", "after-lower")
    old = first_plan(tmp_path, tue + thu, teachers, t1 + avail("T3", "Wed", "after-upper"))
    (d_tue,) = [d for d in old.duties if d.day == "Tue"]
    (d_thu,) = [d for d in old.duties if d.day == "Thu"]

    def cover(when, d):
        return {"date": when, "day": d.day, "session": d.session, "window": None,
                "slot": d.slot, "group": d.group, "start": d.start, "end": d.end,
                "role": "teacher", "staff": "T3", "replaces": "T1"}
    old.exceptions = [cover("2026-09-22", d_tue), cover("2026-09-24", d_thu)]
    inst = edited(tmp_path, tue + thu.replace(",enrolled,", ",withdrawn,") + new, teachers,
                  t1 + avail("T3", "Tue", "after-upper") + avail("T3", "Thu", "after-lower"))
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    rules_kept(inst, r.plan)
    assert d_thu.group not in {g.id for g in r.plan.groups}
    assert old.exceptions[0] in r.plan.exceptions
    assert old.exceptions[1] not in r.plan.exceptions
    assert r.stats["exceptions_kept"] == 1 and r.stats["exceptions_dropped"] == 1
    book = DayBook(inst, r.plan)
    for when in (date(2026, 9, 22), date(2026, 9, 24)):
        assert all(holder != "T1" for _, holder, _ in book.entries(when)), when
    # T1 keeps Thursday (the fewest duties changed: only the group is new), so 09-24 is
    # covered again, by T3
    assert any(d.staff == "T1" and d.day == "Thu" for d in r.plan.duties)
    assert [x["staff"] for x in r.plan.exceptions
            if x["date"] == "2026-09-24" and x["replaces"] == "T1"] == ["T3"]
    assert r.stats["exceptions_found_again"] == 1


def test_deleted_rows_of_people_in_the_previous_plan_are_bad_input(tmp_path):
    # Earlier versions must still be paid and billed: a pupil's or a person's row that the
    # previous plan names cannot simply vanish; the message says what to do instead.
    folder, prev = _cli_school(tmp_path)
    students = (folder / "students.csv").read_text(encoding="utf-8").splitlines(True)
    (folder / "students.csv").write_text("".join(s for s in students
                                                 if not s.startswith("S0002,")),
                                         encoding="utf-8")
    res = CliRunner().invoke(main, ["replan", str(folder), "--previous", str(prev), "--from",
                                    "2026-09-15", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "not in students.csv: keep their rows and set status = withdrawn" in res.stderr


def test_change_tables_speak_the_schools_language(tmp_path):
    # a zh school: the change list has Chinese headers and display names (午托1组), never
    # the ids or English words of plan.json
    from afterschool.scheduler.handouts.changes import HEADERS, change_table, teacher_notices
    rows = students_rows(10)
    staff = vol("T1") + vol("T2")
    av = avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-upper")
    old = first_plan(tmp_path, rows, staff, av)
    inst = edited(tmp_path, rows.replace("S0001,Kid1,3,3-1,,Tue,,normal,,,enrolled",
                                         "S0001,Kid1,3,3-1,,Tue,,normal,,,withdrawn"), staff, av)
    r = replan(inst, old, TUE2, time_limit=3, seed=0)
    r.plan.extra["sessions"]["after-upper"]["name"] = "晚托（高年级）"
    table = change_table(r, "zh")
    assert table == [{"from": "2026-09-15", "what": "学生退出", "student": "S0001",
                      "name": "Kid1", "class": "3-1", "session": "晚托（高年级）",
                      "old": "晚托（高年级）1组", "new": "", "reason": "已退出"}]
    assert set(HEADERS["zh"]) >= {k for row in table for k in row}
    notices = teacher_notices(r, "zh")
    assert [n["notice"] for n in notices] == ["自 2026-09-15 起： 晚托（高年级）1组离开 1 名学生：Kid1"]


@pytest.fixture
def thursday_dropped(tmp_path):
    """10 of 3-1 on Tue Thu with T1; from Tue 09-15 S0001 comes on Tue only."""
    rows = students_rows(10, afternoon="Tue Thu")
    staff = vol("T1")
    av = avail("T1", "Tue Thu", "after-upper")
    old = first_plan(tmp_path, rows, staff, av)
    inst = edited(tmp_path, rows.replace("S0001,Kid1,3,3-1,,Tue Thu,", "S0001,Kid1,3,3-1,,Tue,"),
                  staff, av)
    return inst, replan(inst, old, TUE2, time_limit=3, seed=0)


def test_a_changed_sign_up_is_billed_at_each_versions_weekdays(thursday_dropped):
    # by hand (2.00 yuan/h): S0001: 09-08, 09-10 (first version, Tue Thu) + 09-15, 09-22
    # (Tue only) = 4 h = 8.00 (today's sheet alone would bill 3 Tuesdays = 6.00);
    # S0002: 6 dates = 12.00
    inst, r = thursday_dropped
    rules_kept(inst, r.plan)
    fees = {f["student"]: f["service_fee"] for f in r.plan.fees}
    assert (fees["S0001"], fees["S0002"]) == ("8.00", "12.00")
    assert r.plan.history[0]["signups"]["S0001"]["afternoon"] == ["Tue", "Thu"]


def test_a_weekday_change_in_the_same_group_is_told_to_its_teachers(thursday_dropped):
    # S0001 stays in the one group: T1, who supervises it on Tue and Thu, is told (the
    # review found the notice list empty)
    from afterschool.scheduler.handouts.changes import teacher_notices
    _, r = thursday_dropped
    (notice,) = teacher_notices(r, "en")
    assert notice["staff"] == "T1"
    assert notice["notice"].endswith("Kid1 in afternoon care (upper grades) group 1 now comes "
                                     "on Tue")


def test_the_coverage_local_search_stops_when_a_part_fills_no_more(monkeypatch):
    # the parts' answers fill 10, then 8, then 8 unfilled posts (no better: stop there,
    # before a fourth part could wander), so three parts run and the answer is the 8 of
    # the second, from which the third started
    from afterschool.scheduler.planning import replan as rp
    from afterschool.scheduler.planning.cpsat import PhaseResult, SolveOptions

    answers = iter([10, 8, 8, 5])
    calls, hints = [], []

    def phase(model, objective, name, opts, budget, lower_bound=None, local_search=False,
              **_):
        calls.append((name, round(budget, 6), lower_bound, local_search))
        return PhaseResult(name, "FEASIBLE", next(answers), 3, 0.0, solver=len(calls))

    class Model:
        m = None

        def values(self, solver):
            return solver

        def hint(self, values):
            hints.append(values)

    monkeypatch.setattr(rp, "solve_phase", phase)
    start = PhaseResult("tree", "FEASIBLE", 12, 3, 0.0, solver=0)
    best = rp._cover_locally(Model(), None, start, SolveOptions(seed=0, workers=1), 0.6)
    assert best.objective == 8 and best.solver == 2
    assert len(calls) == 3 and hints == [1, 2]
    assert all(c == ("re-plan, coverage: local search", round(0.6 / rp.COVER_CHUNKS, 6), 3,
                     True) for c in calls)


def test_the_unpinned_coverage_is_at_least_what_another_answer_covers(tmp_path):
    # The pin-duties school above: unpinned, every post can be filled (T1 after-lower, T2
    # after-upper). A coverage search that stopped short (simulated: held to one unfilled
    # post) is replaced by a search from a better answer (here the full cover), held to
    # its coverage: the re-plan never covers less than an answer it was given, as the
    # unpinned re-plan is given the pinned one's.
    from afterschool.scheduler.planning.cpsat import SolveOptions, solve_phase
    from afterschool.scheduler.planning.replan import (ReplanModel, _at_least, _posts,
                                                       _situation, greedy_start)
    rows = students_rows(10)
    before = avail("T1", "Tue", "after-upper") + avail("T1", "Tue", "after-lower")
    old = first_plan(tmp_path, rows, vol("T1") + vol("T2"), before)
    inst = edited(tmp_path, rows + "S0100,New,1,1-1,,Tue,,normal,,,enrolled,\n",
                  vol("T1") + vol("T2"), before + avail("T2", "Tue", "after-upper"))
    opts = SolveOptions(time_limit=2, seed=0, workers=1)

    def model_of():
        parts, _ = _situation(inst, old)
        posts = _posts(inst, old, parts, "none")
        model = ReplanModel(inst, parts, posts, "none")
        model.build()
        model.hint(greedy_start(inst, parts, posts, old))
        model.fix_groups(True)
        return model, sum(c * v for c, v in model.terms["posts"])
    good_model, good_unfilled = model_of()
    good = solve_phase(good_model.m, good_unfilled, "full", opts, 1.0)
    assert good.objective == 0
    model, unfilled = model_of()
    short = model.m.clone()
    short.add(unfilled >= 1)
    worse = solve_phase(short, unfilled, "stopped short", opts, 1.0)
    assert worse.objective == 1
    better = _at_least(model, unfilled, worse, good_model.values(good.solver), opts)
    assert better.has_solution and better.objective == 0
    # and a cover already as good as the answer given stays as it was
    assert _at_least(model, unfilled, better, good_model.values(good.solver), opts) is better
    # a search from the answer that finds nothing in its budget keeps the answer itself
    import afterschool.scheduler.planning.replan as R
    from afterschool.scheduler.planning.cpsat import PhaseResult

    model, unfilled = model_of()
    real = R.solve_phase
    R.solve_phase = lambda *a, **k: PhaseResult("none", "UNKNOWN", None, None, 0.0)
    try:
        kept = _at_least(model, unfilled, worse, good_model.values(good.solver), opts)
    finally:
        R.solve_phase = real
    assert (kept.status, kept.objective, kept.solver) == ("FEASIBLE", 0, None)


def test_pin_duties_never_covers_more_than_the_unpinned_re_plan(tmp_path):
    # the pin school of 'pin_duties_keeps_every_duty': the pin costs one 60-minute post,
    # never a negative cost (the unpinned re-plan starts from the pinned answer's cover)
    rows = students_rows(10)
    before = avail("T1", "Tue", "after-upper") + avail("T1", "Tue", "after-lower")
    old = first_plan(tmp_path, rows, vol("T1") + vol("T2"), before)
    inst = edited(tmp_path, rows + "S0100,New,1,1-1,,Tue,,normal,,,enrolled,\n",
                  vol("T1") + vol("T2"), before + avail("T2", "Tue", "after-upper"))
    pinned = replan(inst, old, TUE2, pin="duties", time_limit=2, seed=0)
    cost = pinned.stats["pin_cost"]
    assert cost["shortage_minutes"] == 60 and cost["unpinned_shortage_minutes"] == 0


def test_a_small_group_day_the_re_plan_creates_is_reported_with_its_cost(tmp_path):
    # 40 of 3-1 on Tue with T1. A new 3-1 pupil comes on Thursday only, where no group
    # meets; E1, an external teacher at 80 yuan/h, declared Thursday. The re-plan seats him
    # alone on Thursday (a group-day of 1 pupil) and pays E1 60 min = 80.00 a week for it:
    # the summary says so.
    from afterschool.scheduler.handouts.changes import replan_summary

    rows = students_rows(40)
    old = first_plan(tmp_path, rows, vol("T1"), avail("T1", "Tue", "after-upper"))
    staff = vol("T1") + "E1,Ext,yes,no,external,80,,,no\n"
    inst = edited(tmp_path, rows + "S0100,New,3,3-1,,Thu,,normal,,,enrolled,\n", staff,
                  avail("T1", "Tue", "after-upper") + avail("E1", "Thu", "after-upper"))
    r = replan(inst, old, TUE2, time_limit=2, seed=0)
    rules_kept(inst, r.plan)
    (small,) = r.stats["small_groups"]
    assert (small["day"], small["students"], small["teacher_minutes"],
            small["pay_per_week"]) == ("Thu", 1, 60, "80.00")
    assert (f"small group: {small['group']} meets on Thu with 1 pupil(s), new in this "
            "re-plan; it costs 80.00 a week in pay (60 teacher min)") in replan_summary(r)


def test_replan_and_substitute_keep_plan_s_deadline(tmp_path):
    # the time limit is a CPU-clock deadline as for plan: a deadline already spent still
    # gives a re-plan that keeps every rule and a substitution, each saying the clock cut
    # its searches; a generous one cuts nothing
    from afterschool.scheduler.planning.cpsat import Deadline
    from afterschool.scheduler.planning.substitute import substitute

    rows = students_rows(40)
    old = first_plan(tmp_path, rows, vol("T1") + vol("T2"),
                     avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-upper"))
    inst = edited(tmp_path, rows.replace(",enrolled,", ",withdrawn,", 1), vol("T1") + vol("T2"),
                  avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-upper"))
    spent = replan(inst, old, TUE2, time_limit=2, deadline=Deadline(0))
    rules_kept(inst, spent.plan)
    assert spent.plan.extra["solve_stats"]["cut_by_time_limit"]
    easy = replan(inst, old, TUE2, time_limit=2)
    assert easy.plan.extra["solve_stats"]["cut_by_time_limit"] == []
    holder = easy.plan.duties[0].staff
    sub = substitute(inst, easy.plan, holder, ["2026-09-22"], deadline=Deadline(0))
    assert sub.stats["cut_by_time_limit"] and len(sub.added) == 1
    assert substitute(inst, easy.plan, holder, ["2026-09-22"]).stats["cut_by_time_limit"] == []


def test_the_office_hears_when_the_time_limit_cut_the_re_plan_short(tmp_path):
    # the leaver of ``_leaver``: with time (a tiny school's budgets end long before the
    # limit) nothing is cut and the summary says nothing of it; with a deadline already
    # spent every search is cut, the plan still comes, and the summary says that more time
    # may fill more posts, in the school's language
    from afterschool.scheduler.handouts.changes import office_replan_summary
    from afterschool.scheduler.planning.cpsat import Deadline

    old, inst = _leaver(tmp_path)
    timely = replan(inst, old, TUE2, time_limit=3, seed=0)
    spent = replan(inst, old, TUE2, time_limit=3, seed=0, deadline=Deadline(0))
    rules_kept(inst, spent.plan)
    assert timely.plan.extra["solve_stats"]["cut_by_time_limit"] == []
    assert spent.plan.extra["solve_stats"]["cut_by_time_limit"]
    for lang, words in (("zh", "加大 --time-limit 可能补上更多缺员"),
                        ("en", "a larger --time-limit may fill more posts")):
        assert words not in office_replan_summary(timely, lang)
        assert words in office_replan_summary(spent, lang)
