"""Students into supervision groups, one session at a time (SPEC §4, issue 3).

Input: a session and the enrolled students taking it. Output: groups (one roster for the whole
week) with, per day, the students present, never more than the cap.

Model (CP-SAT, counting not students): students of one homeroom class with the same weekday
pattern are interchangeable, so a *unit* (class, pattern) has a count and ``x[u, g]`` says how
many of its students go to group ``g``. ``y[c, g]`` marks class ``c`` in group ``g``;
``a[g, d]`` marks group ``g`` present on day ``d``; ``z[g, k]`` marks grade ``k`` in ``g``.

Hard rules: every unit fully placed; per group and day, students present <= cap * a[g, d];
the per-day bound sum_g a[g, d] >= ceil(n_d / cap) is stated so optimality can be proved.

Objectives, lexicographic in two phases:
1. fewest group-days (each is paid teacher time), bound sum_d ceil(n_d / cap);
2. with group-days fixed: fewest (class, group) pairs, then fewest (group, grade) pairs,
   as ``pairs * (max grade pairs + 1) + grade pairs``; bound: each class needs
   ceil(max_d n_cd / cap) groups.

Decomposition that keeps the bound honest: classes are laid out in grade order and each may
use only the groups in a band around its share of that order (plus whatever groups the greedy
first-fit baseline put it in, so the greedy plan is always a feasible hint and the model never
does worse than greedy). The bounds above are for the *unrestricted* problem, so a reported
gap of 0 is a proof of optimality for the real problem.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.people import Student
from models.school import Session
from scheduler.cpsat import PhaseResult, SolveOptions, solve_phase


@dataclass(frozen=True)
class Unit:
    klass: str
    grade: int
    days: tuple[str, ...]
    students: tuple[str, ...]


@dataclass
class GroupingResult:
    session: str
    rosters: list[list[str]]  # group -> student ids, groups ordered by grade and class
    present: list[dict[str, int]]  # group -> day -> students present
    group_days: int
    group_days_bound: int
    class_pairs: int
    class_pairs_bound: int
    grade_pairs: int
    phases: list[PhaseResult]
    greedy_group_days: int
    greedy_class_pairs: int


def class_key(klass: str) -> tuple[int, int]:
    g, n = klass.split("-")
    return int(g), int(n)


def make_units(students: list[Student], session: Session) -> list[Unit]:
    """Group interchangeable students: same class, same weekday pattern in this session."""
    buckets: dict[tuple[str, tuple[str, ...]], list[Student]] = defaultdict(list)
    for s in students:
        days = tuple(d for d in session.days if d in s.days(session.signup))
        if days:
            buckets[(s.klass, days)].append(s)
    units = [Unit(k, class_key(k)[0], days, tuple(sorted(x.id for x in members)))
             for (k, days), members in buckets.items()]
    return sorted(units, key=lambda u: (class_key(u.klass), [-len(u.days)], u.days))


def day_counts(units: list[Unit], days: tuple[str, ...]) -> dict[str, int]:
    return {d: sum(len(u.students) for u in units if d in u.days) for d in days}


def greedy(units: list[Unit], days: tuple[str, ...], cap: int) -> list[dict[int, int]]:
    """First fit by class: a class goes whole into the first group it fits, else a new one."""
    loads: list[dict[str, int]] = []
    placed: list[dict[int, int]] = [dict() for _ in units]
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        by_class[u.klass].append(i)
    for klass in sorted(by_class, key=class_key):
        idx = by_class[klass]
        need = {d: sum(len(units[i].students) for i in idx if d in units[i].days) for d in days}
        g = next((g for g, load in enumerate(loads)
                  if all(load[d] + need[d] <= cap for d in days)), None)
        if g is None and all(v <= cap for v in need.values()):
            loads.append({d: 0 for d in days})
            g = len(loads) - 1
        if g is not None:
            for i in idx:
                placed[i][g] = len(units[i].students)
            for d in days:
                loads[g][d] += need[d]
            continue
        for i in idx:  # a class over the cap on some day: student by student
            for _ in units[i].students:
                g2 = next((g for g, load in enumerate(loads)
                           if all(load[d] + 1 <= cap for d in units[i].days)), None)
                if g2 is None:
                    loads.append({d: 0 for d in days})
                    g2 = len(loads) - 1
                placed[i][g2] = placed[i].get(g2, 0) + 1
                for d in units[i].days:
                    loads[g2][d] += 1
    return placed


def evaluate(units: list[Unit], placed: list[dict[int, int]], days: tuple[str, ...]
             ) -> tuple[int, int]:
    """(group-days, class pairs) of a placement."""
    present: dict[tuple[int, str], int] = defaultdict(int)
    pairs = set()
    for u, where in zip(units, placed):
        for g, k in where.items():
            if k:
                pairs.add((u.klass, g))
                for d in u.days:
                    present[(g, d)] += k
    return sum(1 for v in present.values() if v > 0), len(pairs)


def plan_groups(session: Session, students: list[Student], cap: int, opts: SolveOptions,
                budget: float, band: int = 1) -> GroupingResult:
    """Form the groups of one session (see the module docstring)."""
    units = make_units(students, session)
    days = session.days
    n_d = day_counts(units, days)
    lb_days = {d: math.ceil(n / cap) for d, n in n_d.items()}
    gd_bound = sum(lb_days.values())
    classes = sorted({u.klass for u in units}, key=class_key)
    class_peak = {c: max(sum(len(u.students) for u in units if u.klass == c and d in u.days)
                         for d in days) for c in classes}
    pairs_bound = sum(math.ceil(class_peak[c] / cap) for c in classes)
    base = greedy(units, days, cap)
    g_days, g_pairs = evaluate(units, base, days)
    if not units:
        return GroupingResult(session.id, [], [], 0, 0, 0, 0, 0, [], 0, 0)
    n_groups_lb = max(lb_days.values())
    n_greedy = 1 + max(g for where in base for g in where)
    n_groups = max(n_greedy, n_groups_lb + max(1, n_groups_lb // 6))
    # candidate groups per class: a band around its share of the grade-ordered layout
    total = sum(class_peak.values())
    cand: dict[str, set[int]] = {}
    acc = 0
    for c in classes:
        lo = math.floor(acc / total * n_groups) - band
        acc += class_peak[c]
        hi = math.ceil(acc / total * n_groups) - 1 + band
        cand[c] = set(range(max(lo, 0), min(hi, n_groups - 1) + 1))
    for u, where in zip(units, base):
        cand[u.klass] |= set(where)
    grades = sorted({u.grade for u in units})

    m = cp_model.CpModel()
    x = {}
    for i, u in enumerate(units):
        for g in sorted(cand[u.klass]):
            x[i, g] = m.new_int_var(0, len(u.students), f"x_{i}_{g}")
        m.add(sum(x[i, g] for g in cand[u.klass]) == len(u.students))
    y = {(c, g): m.new_bool_var(f"y_{c}_{g}") for c in classes for g in sorted(cand[c])}
    for i, u in enumerate(units):
        for g in cand[u.klass]:
            m.add(x[i, g] <= len(u.students) * y[u.klass, g])
    a = {(g, d): m.new_bool_var(f"a_{g}_{d}") for g in range(n_groups) for d in days}
    for g in range(n_groups):
        for d in days:
            here = [x[i, g] for i, u in enumerate(units) if d in u.days and (i, g) in x]
            if here:
                m.add(sum(here) <= cap * a[g, d])
            else:
                m.add(a[g, d] == 0)
    for d in days:  # the per-day bound, stated for the solver
        m.add(sum(a[g, d] for g in range(n_groups)) >= lb_days[d])
    z = {(g, k): m.new_bool_var(f"z_{g}_{k}") for g in range(n_groups) for k in grades}
    for (c, g), var in y.items():
        m.add_implication(var, z[g, class_key(c)[0]])
    # hint: the greedy baseline
    for i, where in enumerate(base):
        for g in cand[units[i].klass]:
            m.add_hint(x[i, g], where.get(g, 0))
    for c in classes:
        for g in cand[c]:
            m.add_hint(y[c, g], any(base[i].get(g, 0) for i, u in enumerate(units)
                                    if u.klass == c))
    for g in range(n_groups):
        for d in days:
            m.add_hint(a[g, d], any(base[i].get(g, 0) for i, u in enumerate(units)
                                    if d in u.days))

    group_days = sum(a.values())
    # group-days first: one more group-day costs more than any number of class pairs
    w_day = len(y) + 1
    p1 = solve_phase(m, w_day * group_days + sum(y.values()), f"{session.id} group-days", opts,
                     budget / 2, w_day * gd_bound + pairs_bound)
    phases = [p1]
    placed = base
    if p1.has_solution:
        cand_placed = [{g: p1.solver.value(x[i, g]) for g in cand[u.klass]
                        if p1.solver.value(x[i, g])} for i, u in enumerate(units)]
        if evaluate(units, cand_placed, days) <= (g_days, g_pairs):
            placed = cand_placed
    placed, p2 = improve_windows(units, placed, days, cap, opts, budget / 2,
                                 f"{session.id} class pairs", (gd_bound, pairs_bound))
    phases.append(p2)
    return _from_placement(session, units, placed, days, gd_bound, pairs_bound, phases,
                           g_days, g_pairs)


def _score(units: list[Unit], placed: list[dict[int, int]], days) -> tuple[int, int, int]:
    gd, pairs = evaluate(units, placed, days)
    grades = len({(u.grade, g) for u, where in zip(units, placed) for g, k in where.items() if k})
    return gd, pairs, grades


def improve_windows(units: list[Unit], placed: list[dict[int, int]], days: tuple[str, ...],
                    cap: int, opts: SolveOptions, budget: float, name: str,
                    bounds: tuple[int, int]) -> tuple[list[dict[int, int]], PhaseResult]:
    """Large-neighbourhood search over windows of groups, deterministic with one worker.

    Each step frees the students currently in a few groups (consecutive ones first, then
    seeded random picks) and re-places them optimally among those groups, minimising
    group-days, then class pairs, then grade pairs, lexicographically. A step is kept only
    when it improves that score, so the result is never worse than the start.
    """
    import random
    import time

    t0 = time.monotonic()
    rng = random.Random(opts.seed)
    placed = [dict(w) for w in placed]
    score = _score(units, placed, days)
    start_score = score
    n_groups = 1 + max((g for w in placed for g in w), default=0)
    size = min(4, n_groups)
    windows = [tuple(range(s, min(s + size, n_groups))) for s in range(0, max(n_groups - 1, 1), 2)]
    spent, steps, stale = 0.0, 0, 0
    step_budget = 0.25
    while spent + step_budget <= budget and not opts.interrupted and n_groups > 1:
        if steps < len(windows):
            window = windows[steps]
        else:
            window = tuple(sorted(rng.sample(range(n_groups), size)))
        steps += 1
        result = _solve_window(units, placed, window, days, cap, opts, step_budget)
        spent += step_budget if result is None else result[1]
        if result is not None:
            new = result[0]
            new_score = _score(units, new, days)
            if new_score < score:
                placed, score, stale = new, new_score, 0
                continue
        stale += 1
        if (score[0], score[1]) == bounds or stale > max(2 * len(windows), 12):
            break
    status = "OPTIMAL" if (score[0], score[1]) == bounds else "FEASIBLE"
    objective = score[1]
    result = PhaseResult(name, status, objective, bounds[1], time.monotonic() - t0)
    result.steps = steps  # type: ignore[attr-defined]
    result.start = start_score  # type: ignore[attr-defined]
    return placed, result


def _solve_window(units, placed, window, days, cap, opts, budget):
    """Re-place the students of ``window``'s groups among those groups; None if no better."""
    inside = [(i, sum(placed[i].get(g, 0) for g in window)) for i in range(len(units))]
    inside = [(i, k) for i, k in inside if k]
    if not inside:
        return None
    m = cp_model.CpModel()
    x = {(i, g): m.new_int_var(0, k, "") for i, k in inside for g in window}
    for i, k in inside:
        m.add(sum(x[i, g] for g in window) == k)
        for g in window:
            m.add_hint(x[i, g], placed[i].get(g, 0))
    classes = sorted({units[i].klass for i, _ in inside})
    y = {(c, g): m.new_bool_var("") for c in classes for g in window}
    for i, k in inside:
        for g in window:
            m.add(x[i, g] <= k * y[units[i].klass, g])
    grades = sorted({units[i].grade for i, _ in inside})
    z = {(g, gr): m.new_bool_var("") for g in window for gr in grades}
    for (c, g), var in y.items():
        m.add_implication(var, z[g, class_key(c)[0]])
    a = {}
    for g in window:
        for d in days:
            a[g, d] = m.new_bool_var("")
            here = [x[i, g] for i, _ in inside if d in units[i].days]
            m.add(sum(here) <= cap * a[g, d]) if here else m.add(a[g, d] == 0)
    w_pair = len(z) + 1
    w_day = w_pair * (len(y) + 1)
    m.minimize(w_day * sum(a.values()) + w_pair * sum(y.values()) + sum(z.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = opts.seed
    solver.parameters.max_deterministic_time = budget
    code = solver.solve(m)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    new = [dict(w) for w in placed]
    for i, _ in inside:
        for g in window:
            v = solver.value(x[i, g])
            if v:
                new[i][g] = v
            else:
                new[i].pop(g, None)
    return new, solver.deterministic_time


def _copy_hint(m: cp_model.CpModel, solver: cp_model.CpSolver, variables) -> None:
    m.clear_hints()
    for v in variables:
        m.add_hint(v, solver.value(v))


def _from_placement(session, units, placed, days, gd_bound, pairs_bound, phases, g_days,
                    g_pairs) -> GroupingResult:
    groups: dict[int, list[str]] = defaultdict(list)
    for u, where in zip(units, placed):
        members = list(u.students)
        for g in sorted(where):
            take, members = members[:where[g]], members[where[g]:]
            groups[g].extend(take)
    # order groups by the lowest class they hold, so numbering reads like the school
    unit_of = {s: u for u in units for s in u.students}
    order = sorted((g for g in groups if groups[g]),
                   key=lambda g: min((class_key(unit_of[s].klass), s) for s in groups[g]))
    rosters = [sorted(groups[g], key=lambda s: (class_key(unit_of[s].klass), s))
               for g in order]
    present = [{d: sum(1 for s in r if d in unit_of[s].days) for d in days} for r in rosters]
    gd = sum(1 for p in present for v in p.values() if v)
    pairs = sum(len({unit_of[s].klass for s in r}) for r in rosters)
    grade_pairs = sum(len({unit_of[s].grade for s in r}) for r in rosters)
    return GroupingResult(session.id, rosters, present, gd, gd_bound, pairs, pairs_bound,
                          grade_pairs, phases, g_days, g_pairs)
