"""solve_stats in plan.json: one typed shape for plan and replan, keys in the order the
plan file has always had."""
from __future__ import annotations

from afterschool.scheduler.planning.cpsat import Deadline
from afterschool.scheduler.planning.stats import SolveStats


def test_plan_and_replan_stats_keep_their_keys_and_order():
    # plan: wall seconds rounded to the millisecond, CPU seconds, workers, limit, cuts
    whole = Deadline(10.0, clock=lambda: 0.0)
    whole.stage = "staffing"
    whole.cut()
    plan = SolveStats.of(1.23456, 1, 7.0, whole, 4.5678).as_dict()
    assert list(plan.items()) == [("seconds", 1.235), ("cpu_seconds", 4.568), ("workers", 1),
                                  ("time_limit", 7.0), ("cut_by_time_limit", ["staffing"])]
    # replan: no cpu_seconds key, no deadline -> no cuts
    replan = SolveStats.of(2.0, 1, 2.0).as_dict()
    assert list(replan.items()) == [("seconds", 2.0), ("workers", 1), ("time_limit", 2.0),
                                    ("cut_by_time_limit", [])]
