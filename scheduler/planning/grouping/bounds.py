"""Bounds from weekday patterns: ``fewest_group_days`` (the fewest group-days any grouping
can have) and ``day_structure`` (the most the smallest group can be at given group-days,
and a structure reaching it). Input: patterns or units, cap, a deterministic budget.
Output: a bound (and a structure). Both are relaxations of the real problem: proofs.
"""
from __future__ import annotations

import itertools
import math
from collections import defaultdict

from ortools.sat.python import cp_model

from afterschool.scheduler.planning.cpsat import SolveOptions, make_solver, run
from afterschool.scheduler.planning.grouping.units import Unit


def fewest_group_days(patterns: dict[tuple[str, ...], int], days: tuple[str, ...], cap: int,
                      opts: SolveOptions, budget: float) -> int:
    """A lower bound on the group-days of any grouping of a session whose students come on
    the weekday ``patterns`` (pattern -> number of students), at most ``cap`` present per
    group and day: the same type relaxation as ``day_structure`` (n[A] groups meet on the
    days A; a pattern goes only to groups whose days contain it; on each day of A those
    groups hold at most cap * n[A]), minimising sum_A |A| n[A]. At least the per-day count
    sum_d ceil(n_d / cap), and more where part-week students cannot share a group's days
    (the bundled school's after-lower: 21 by the day count, 22 by this). What ``budget``
    deterministic seconds prove: CP-SAT's bound, never above the true minimum."""
    per_day = sum(math.ceil(sum(k for p, k in patterns.items() if d in p) / cap)
                  for d in days)
    patterns = {p: k for p, k in patterns.items() if p and k}
    if not patterns or opts.out_of_time():
        return per_day
    types = [frozenset(c) for r in range(1, len(days) + 1)
             for c in itertools.combinations(days, r)]
    most = sum(patterns.values())  # never more groups of a type than students
    m = cp_model.CpModel()
    n = {A: m.new_int_var(0, most, "") for A in types}
    x = {(p, A): m.new_int_var(0, k, "") for p, k in patterns.items() for A in types
         if set(p) <= A}
    for p, k in patterns.items():
        m.add(sum(x[p, A] for A in types if (p, A) in x) == k)
    for A in types:
        for d in A:
            m.add(sum(v for (p, B), v in x.items() if B == A and d in p) <= cap * n[A])
    total = sum(len(A) * n[A] for A in types)
    m.add(total >= per_day)
    m.minimize(total)
    solver = make_solver(opts, budget)
    code = run(solver, m)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return per_day
    return max(per_day, math.ceil(solver.best_objective_bound - 1e-6))



def day_structure(units: list[Unit], days: tuple[str, ...], cap: int, group_days: int,
                  opts: SolveOptions, budget: float
                  ) -> tuple[int | None, list[frozenset[str]] | None]:
    """The most students any grouping with at most ``group_days`` group-days can have
    present in its smallest group on a day it meets, and a structure (the days each group
    meets) that reaches it; (0, None) when no grouping has so few group-days, (None, None)
    when ``budget`` deterministic seconds proved nothing.

    A relaxation over *types* (the set of days a group meets) and weekday patterns: n[A]
    groups meet on exactly the days A; x[p, A] students of pattern p go to groups of type A
    (only if p is within A: a group meets on every day one of its students comes); on each
    day d of A those groups hold between smallest * n[A] and cap * n[A] students; the
    group-days sum_A |A| n[A] are at most ``group_days``. Every grouping gives a solution
    (count its groups by type), so the model's optimum bounds the smallest group from
    above; classes are ignored. Tiny (31 types for five days) and solved in milliseconds."""
    if opts.out_of_time():
        return None, None
    pattern: dict[tuple[str, ...], int] = defaultdict(int)
    for u in units:
        pattern[u.days] += len(u.students)
    types = [frozenset(c) for r in range(1, len(days) + 1)
             for c in itertools.combinations(days, r)]
    m = cp_model.CpModel()
    n = {A: m.new_int_var(0, group_days // len(A), "") for A in types}
    x = {(p, A): m.new_int_var(0, k, "") for p, k in pattern.items() for A in types
         if set(p) <= A}
    for p, k in pattern.items():
        m.add(sum(x[p, A] for A in types if (p, A) in x) == k)
    m.add(sum(len(A) * n[A] for A in types) <= group_days)
    smallest = m.new_int_var(1, cap, "smallest")
    for A in types:
        floor = m.new_int_var(0, cap * (group_days // len(A)), "")
        m.add_multiplication_equality(floor, [smallest, n[A]])
        for d in A:
            load = sum(v for (p, B), v in x.items() if B == A and d in p)
            m.add(load <= cap * n[A])
            m.add(load >= floor)
    m.maximize(smallest)
    solver = make_solver(opts, budget)
    code = run(solver, m)
    if code == cp_model.INFEASIBLE:
        return 0, None
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, None
    structure = [A for A in types for _ in range(solver.value(n[A]))]
    return math.floor(solver.best_objective_bound), structure
