"""The typed blocks of plan.json (planning/stats.py, planning/records.py) and the plan's
budget (planning/budget.py): each ``as_dict`` gives the keys in the order the plan file has
always had them, pinned against hand-written dicts; the budget's parts computed by hand."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from afterschool.models.plan import Shortage
from afterschool.scheduler.planning import solve
from afterschool.scheduler.planning.budget import Budget
from afterschool.scheduler.planning.cpsat import Deadline
from afterschool.scheduler.planning.records import Cover
from afterschool.scheduler.planning.stats import (PaidMinutes, PinCost, ReplanStats,
                                                  SmallestGroup, StaffBound, SubstituteStats,
                                                  Unfilled)
from afterschool.scheduler.planning.substitute import Post


def test_staff_bound_rises_only_where_a_proof_gives_more():
    b = StaffBound(3, 1, 90, ["count of people available per post"])
    b.proved(2, "LP relaxation")  # less than known: nothing changes
    b.proved(3, "LP relaxation")  # equal: nothing either
    assert (b.posts, b.by) == (3, ["count of people available per post"])
    b.proved(5, "MIP search (HiGHS)")
    assert (b.posts, b.by, b.minutes) == (5, ["count of people available per post",
                                              "MIP search (HiGHS)"], 0)


def test_unfilled_block_counts_manager_posts_from_the_shortages():
    bound = StaffBound(4, 2, 200, ["count", "flow"], minutes=230)
    staff = SimpleNamespace(
        unfilled_posts=5, shortage_minutes=250, unfilled_bound=bound,
        shortages=[Shortage("Mon", "11:20", "13:30", "manager", window="noon", count=2),
                   Shortage("Tue", "15:35", "16:35", "teacher", "after", "after-01")])
    assert list(Unfilled.of(staff).as_dict().items()) == [
        ("posts", 5), ("posts_bound", 4), ("manager_posts", 2), ("manager_posts_bound", 2),
        ("minutes", 250), ("minutes_bound", 230), ("proved_by", ["count", "flow"])]


def test_paid_minutes_and_smallest_group_keep_their_order():
    paid = PaidMinutes(1000, 900, 0.1, 700, 650, 300, 250).as_dict()
    assert list(paid.items()) == [("total", 1000), ("bound", 900), ("gap", 0.1),
                                  ("group_minutes", 700), ("group_minutes_bound", 650),
                                  ("manager_minutes", 300), ("manager_minutes_bound", 250)]
    small = SmallestGroup(11, "noon-03 on Tue", 42, "170 students in noon on Mon", 40)
    assert list(small.as_dict().items()) == [
        ("students", 11), ("where", "noon-03 on Tue"), ("bound", 42),
        ("bound_from", "170 students in noon on Mon"), ("bound_at_group_days", 40)]
    assert SmallestGroup(None, None, None, None, None).as_dict() == {
        "students": None, "where": None, "bound": None, "bound_from": None,
        "bound_at_group_days": None}


def _replan(**more) -> ReplanStats:
    return ReplanStats(
        start="2026-11-03", previous_from="2026-09-01", pin="none", students_moved=1,
        students_named_moved=2, students_added=3, students_left=4, enrolled=500,
        duties_before=200, duties_removed=3, duties_added=4, available_duties_before=190,
        available_duties_kept=187, shortage_minutes_per_week=60, group_days=80,
        exceptions_dropped=1, exceptions_kept=2, exceptions_found_again=1,
        dropped_exceptions=[{"date": "2026-11-04"}], solver={"name": "re-plan"},
        cpu_seconds=1.5, small_groups=[], **more)


KEYS = ["from", "previous_from", "pin", "students_moved", "students_named_moved",
        "students_added", "students_left", "enrolled", "duties_before", "duties_removed",
        "duties_added", "duties_changed", "available_duties_before", "available_duties_kept",
        "shortage_minutes_per_week", "group_days", "exceptions_dropped", "exceptions_kept",
        "exceptions_found_again", "dropped_exceptions", "solver", "cpu_seconds",
        "small_groups"]


def test_replan_stats_keep_their_keys_and_order():
    out = _replan().as_dict()
    assert list(out) == KEYS
    assert out["from"] == "2026-11-03" and out["duties_changed"] == 7  # 3 removed + 4 added
    pinned = _replan(pin_cost=PinCost(60, -1, 5, 0, 81), rooms_moved=2).as_dict()
    assert list(pinned) == KEYS + ["pin_cost", "rooms_moved"]
    assert list(pinned["pin_cost"].items()) == [
        ("shortage_minutes", 60), ("group_days", -1), ("unpinned_moves", 5),
        ("unpinned_shortage_minutes", 0), ("unpinned_group_days", 81)]
    assert pinned["rooms_moved"] == 2


def test_substitute_stats_and_a_cover_keep_their_keys_and_order():
    stats = SubstituteStats(0.5, 0.3, 0.2, [{"name": "substitute: uncovered minutes"}], 2, [])
    assert list(stats.as_dict().items()) == [
        ("cpu_seconds", 0.5), ("choice_cpu_seconds", 0.3), ("money_cpu_seconds", 0.2),
        ("phases", [{"name": "substitute: uncovered minutes"}]), ("duties", 2),
        ("cut_by_time_limit", [])]
    post = Post(date(2026, 11, 10), "Tue", "teacher", "after-lower", None, "作业辅导",
                "after-lower-03", 15 * 60 + 35, 16 * 60 + 35, "afternoon")
    assert list(Cover.of(post, "T045", "T005").as_dict().items()) == [
        ("date", "2026-11-10"), ("day", "Tue"), ("session", "after-lower"), ("window", None),
        ("slot", "作业辅导"), ("group", "after-lower-03"), ("start", "15:35"),
        ("end", "16:35"), ("role", "teacher"), ("staff", "T045"), ("replaces", "T005")]
    manager = Post(date(2026, 11, 11), "Wed", "manager", None, "noon", None, None,
                   11 * 60 + 20, 13 * 60 + 30, "noon")
    assert Cover.of(manager, None, "T005").as_dict() == {
        "date": "2026-11-11", "day": "Wed", "session": None, "window": "noon", "slot": None,
        "group": None, "start": "11:20", "end": "13:30", "role": "manager", "staff": None,
        "replaces": "T005"}


def _budget(students: int, large: bool = False) -> Budget:
    return Budget(students=students, large=large, det=0.42, grouping_share=0.9,
                  balance_share=1.2, balance_min=0.1, lift_min=0.1, staffing_share=0.97,
                  after_staffing=1.5e-4, probe_det=0.15, grouping_det=0.6, band_det_min=0.1,
                  balance_det_min=0.05, balance_det=0.5, venue_det=0.1, staff_det=0.25, staff_det_min=0.05,
                  bound_det=0.05)


def test_budget_shares_out_the_deterministic_seconds():
    b = _budget(1200)
    assert b.probe() == pytest.approx(0.063)  # 0.42 x 0.15
    assert b.band(600) == pytest.approx(0.126)  # 0.42 x 0.6 x 600 / 1200
    assert b.band(100) == 0.1  # 0.021 is below the floor
    assert b.balance(600) == pytest.approx(0.105)  # 0.5 x 0.42 x 600 / 1200
    assert b.balance(100) == 0.05  # 0.0175 is below balancing's own floor
    assert b.balance(400) == pytest.approx(0.07)  # 0.5 x 0.42 x 400 / 1200: above it
    assert b.venues() == pytest.approx(0.042) and b.staff() == pytest.approx(0.105)


def test_budget_gives_each_stage_its_part_of_the_whole_deadline():
    now = [0.0]
    whole = Deadline(10.0, clock=lambda: now[0])
    whole.limit = 5.0
    b = _budget(1200)
    assert b.grouping(whole).seconds == pytest.approx(4.5)  # 0.9 of the limit
    now[0] = 4.0  # 0.8 of the limit used: balancing has up to 1.2 of it
    assert b.balancing(whole).seconds == pytest.approx(6.0)
    now[0] = 6.0  # 1.2 used: balancing and lifting still get 0.1 of the limit from now
    assert b.balancing(whole).seconds == pytest.approx(6.5)
    assert b.lifting(whole).seconds == pytest.approx(6.5)
    assert _budget(1200, large=True).lifting(whole).seconds == pytest.approx(6.5)
    # staffing: 0.97 of the backstop, unless 1.5e-4 s a sign-up leaves less:
    # 1,200 sign-ups keep 0.18 s (1 - 0.018 > 0.97); 20,000 keep 3 s (0.7 of 10 s)
    assert b.staffing(whole).seconds == pytest.approx(9.7)
    assert _budget(20_000).staffing(whole).seconds == pytest.approx(7.0)


def test_plan_budget_takes_the_fractions_solve_declares():
    small, large = solve.plan_budget(7.0, 1200), solve.plan_budget(7.0, solve.ANYTIME + 1)
    assert not small.large and large.large
    assert small.det == pytest.approx(7.0 * solve.DET_PER_SECOND)
    assert large.det == pytest.approx(7.0 * solve.LARGE_DET_PER_SECOND)
    assert (small.grouping_share, small.balance_share, small.staff_det) == (
        solve.GROUPING_SHARE, solve.BALANCE_SHARE, solve.STAFF_DET)
    assert (large.grouping_share, large.balance_share, large.staff_det) == (
        solve.GROUPING_SHARE_LARGE, solve.BALANCE_SHARE_LARGE, solve.LARGE_STAFF_DET)
