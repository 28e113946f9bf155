"""A session's grouping from its starts (``plan_groups``): the exact group-days model on
small sessions (``exact_group_days``), the structure start, and the window search
(``improve_windows``) that re-solves a few groups at a time exactly. Input: a ``Prepared``
session and a deterministic budget. Output: ``GroupingResult``. Rules: group-days first
(within the allowance), then manager minutes, class pairs, grade pairs, smallest group.
"""
from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from afterschool.scheduler.planning.cpsat import (PhaseResult, SolveOptions, make_solver,
                                                  run, solve_phase)
from afterschool.scheduler.planning.grouping.bounds import day_structure
from afterschool.scheduler.planning.grouping.constants import (
    FULL_MODEL_LIMIT, STRUCTURE_DET, WINDOW_LIMIT
)
from afterschool.scheduler.planning.grouping.packing import Packing
from afterschool.scheduler.planning.grouping.starts import best_fit, nested_greedy, Prepared
from afterschool.scheduler.planning.grouping.units import (
    class_key, evaluate, GroupingResult, _score, Unit
)


def plan_groups(prep: Prepared, opts: SolveOptions, budget: float, extra: int = 0
                ) -> GroupingResult:
    """Form the groups of one session (see the module docstring), with up to ``extra``
    group-days more than the fewest found where that saves class pairs."""
    session, units, cap, k = prep.session, prep.units, prep.cap, prep.k
    days = session.days
    gd_bound = prep.gd_bound
    starts = list(prep.menu) + [p for _, p in prep.scored]  # every start: see ``key``
    start = starts[0]
    phases = []
    n_groups = 1 + max(g for where in start for g in where)
    if evaluate(units, start, days)[0] > gd_bound and len(units) * n_groups <= FULL_MODEL_LIMIT:
        exact, phase = exact_group_days(units, days, cap, k, start, opts, budget / 2,
                                        f"{session.id} group-days")  # and budget / 4 on pairs
        phases.append(phase)
        gd_bound = max(gd_bound, phase.bound or 0)
        if exact is not None:
            starts.append(exact)
            # the exact model found which days each group meets; fill that structure
            # class by class, as the starts do, for the same group-days and fewer splits
            active = Packing.of(units, days, cap, exact).active
            refills = [best_fit(units, days, cap, k, active, margin) for margin in (10, 0)]
            refills.append(nested_greedy(units, days, cap, k, active, None))
            starts += [Packing.of(units, days, cap, p).merge() for p in refills]
    # the structure (days each group meets) on which the smallest group can be largest at
    # the fewest group-days found, filled class by class as the other starts
    fewest = min(prep.score(p)[0] for p in starts)
    _, structure = day_structure(units, days, cap, fewest, opts, min(STRUCTURE_DET, budget / 8))
    if structure is not None:
        fills = [best_fit(units, days, cap, k, structure, margin) for margin in (10, 0)]
        fills.append(nested_greedy(units, days, cap, k, structure, None))
        starts += [Packing.of(units, days, cap, p).merge() for p in fills]
    budget /= 4  # the starts did the heavy lifting; the window search only polishes
    if len(units) * n_groups > WINDOW_LIMIT:
        budget = 0.0  # on large sessions it no longer found anything (bench L)
    allowed = min(prep.score(p)[0] for p in starts) + extra

    def key(placement) -> tuple[int, int, int, int, int, int]:
        return prep.key(placement, allowed)

    start = min(starts, key=key)
    placed, p2 = improve_windows(units, start, days, cap, opts, budget,
                                 f"{session.id} class pairs", (gd_bound, prep.pairs_bound), key)
    phases.append(p2)
    if not opts.out_of_time():
        placed = Packing.of(units, days, cap, placed).balance()
    result = _from_placement(session, units, placed, days, gd_bound, prep.pairs_bound, phases,
                             *prep.greedy)
    result.fewest_found = allowed - extra
    return result



def exact_group_days(units: list[Unit], days: tuple[str, ...], cap: int, k: dict[str, int],
                     start: list[dict[int, int]], opts: SolveOptions, budget: float, name: str
                     ) -> tuple[list[dict[int, int]] | None, PhaseResult]:
    """The unrestricted counting model, minimising group-days (then class pairs) from the
    hint ``start``; its bound is a proof for the real problem. Used where it is small."""
    n_groups = 1 + max(g for where in start for g in where)
    m = cp_model.CpModel()
    x = {(i, g): m.new_int_var(0, len(u.students), "") for i, u in enumerate(units)
         for g in range(n_groups)}
    for i, u in enumerate(units):
        m.add(sum(x[i, g] for g in range(n_groups)) == len(u.students))
    classes = sorted({u.klass for u in units}, key=class_key)
    y = {(c, g): m.new_bool_var("") for c in classes for g in range(n_groups)}
    for (i, g), var in x.items():
        m.add(var <= len(units[i].students) * y[units[i].klass, g])
    a = {(g, d): m.new_bool_var("") for g in range(n_groups) for d in days}
    for g in range(n_groups):
        for d in days:
            m.add(sum(x[i, g] for i, u in enumerate(units) if d in u.days) <= cap * a[g, d])
        if g:  # symmetry: groups used in order
            m.add(sum(a[g, d] for d in days) <= sum(a[g - 1, d] for d in days))
    for d in days:  # the per-day bound, stated for the solver
        m.add(sum(a[g, d] for g in range(n_groups)) >= k[d])
    order = sorted(range(n_groups), key=lambda g: -sum(
        start[i].get(g, 0) * len(u.days) for i, u in enumerate(units)))
    rename = {g: new for new, g in enumerate(order)}
    for i, where in enumerate(start):
        for g in range(n_groups):
            m.add_hint(x[i, rename[g]], where.get(g, 0))
    w_day = len(y) + 1
    res = solve_phase(m, w_day * sum(a.values()) + sum(y.values()), name, opts, budget)
    if res.bound is not None:
        res.bound //= w_day
    if res.objective is not None:
        res.objective //= w_day
    if not res.has_solution:
        return None, res
    solver = res.solver
    # then class pairs with group-days held at what was found
    m.add(sum(a.values()) <= res.objective)
    m.clear_hints()
    for var in list(x.values()) + list(y.values()) + list(a.values()):
        m.add_hint(var, solver.value(var))
    pairs = solve_phase(m, sum(y.values()), f"{name} / pairs", opts, budget / 2)
    if pairs.has_solution:
        solver = pairs.solver
    placed = [{g: solver.value(x[i, g]) for g in range(n_groups)
               if solver.value(x[i, g])} for i in range(len(units))]
    return placed, res



def _split_windows(units: list[Unit], placed: list[dict[int, int]]) -> list[tuple[int, ...]]:
    """The groups of each split class (at most 6), most-split classes first."""
    groups_of: dict[str, set[int]] = defaultdict(set)
    for u, where in zip(units, placed):
        groups_of[u.klass].update(g for g, n in where.items() if n)
    out = []
    for klass, gs in sorted(groups_of.items(), key=lambda kv: (-len(kv[1]), class_key(kv[0]))):
        if 1 < len(gs) <= 6 and tuple(sorted(gs)) not in out:
            out.append(tuple(sorted(gs)))
    return out



def improve_windows(units: list[Unit], placed: list[dict[int, int]], days: tuple[str, ...],
                    cap: int, opts: SolveOptions, budget: float, name: str,
                    bounds: tuple[int, int], key=None
                    ) -> tuple[list[dict[int, int]], PhaseResult]:
    """Large-neighbourhood search over windows of groups, deterministic with one worker.

    Each step frees the students currently in a few groups — the groups of a split class
    first, then neighbouring groups, then seeded random picks — and re-places them optimally
    among those groups, minimising group-days, then class pairs, then grade pairs,
    lexicographically. A step is kept only when it improves ``key`` (default: that score),
    so the result is never worse than the start. ``budget`` is deterministic solver time.
    """
    import random
    import time

    t0 = time.monotonic()
    rng = random.Random(opts.seed)
    key = key or (lambda p: _score(units, p, days))
    placed = [dict(w) for w in placed]
    score = key(placed)
    n_groups = 1 + max((g for w in placed for g in w), default=0)
    size = min(4, n_groups)
    queue = _split_windows(units, placed) + [
        tuple(range(s, min(s + size, n_groups))) for s in range(0, max(n_groups - 1, 1), 2)]
    spent, steps, stale = 0.0, 0, 0
    step_budget = 0.05
    while spent + step_budget <= budget and not opts.out_of_time() and n_groups > 1:
        if _score(units, placed, days)[:2] == bounds or stale > max(len(queue), 12):
            break
        window = queue.pop(0) if queue else tuple(sorted(rng.sample(range(n_groups), size)))
        steps += 1
        result = _solve_window(units, placed, window, days, cap, opts, step_budget)
        spent += step_budget if result is None else max(result[1], 0.01)
        new_score = key(result[0]) if result is not None else score
        if new_score < score:
            placed, score, stale = result[0], new_score, 0
            queue = _split_windows(units, placed) + queue
        else:
            stale += 1
    final = _score(units, placed, days)
    status = "OPTIMAL" if final[:2] == bounds else "FEASIBLE"
    result = PhaseResult(name, status, final[1], bounds[1], time.monotonic() - t0)
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
    solver = make_solver(SolveOptions(seed=opts.seed, deadline=opts.deadline), budget)
    code = run(solver, m)
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
                          grade_pairs, phases, g_days, g_pairs, placed=placed)
