"""Students into supervision groups, one session at a time (SPEC §4, issue 3).

Input: a session and the enrolled students taking it. Output: groups (one roster for the whole
week) with, per day, the students present, never more than the cap.

Counting, not students: students of one homeroom class with the same weekday pattern are
interchangeable, so a *unit* (class, pattern) has a count, and a placement says how many of
each unit go to each group.

Objectives, lexicographic: 1. fewest group-days (each is paid teacher time); 2. fewest
(class, group) pairs; 3. fewest (group, grade) pairs.
Bounds: group-days >= sum_d ceil(n_d / cap); pairs >= sum_c ceil(peak_c / cap). Both hold for
the real problem, so a reported gap of 0 proves optimality.

How (each step keeps the best placement so far, so the result is never worse than greedy):
1. constructive starts: the greedy baseline (first fit by class), and ``nested_greedy`` on a
   structure of presence days that has exactly k_d = ceil(n_d / cap) groups on day d —
   nested (group g present on d iff g < k_d) and, where the numbers allow, one-day-off
   (part-week groups miss one day each) — which meets the group-days bound when the part-week
   students fit;
2. where the start misses the bound and the session is small, ``exact_group_days``: the full
   counting model (x[u, g] counts, y[c, g] class-in-group, a[g, d] group present, with the
   per-day bound stated), whose proven bound replaces the simple one;
3. ``improve_windows``: a deterministic large-neighbourhood search that re-solves the
   students of a few groups at a time exactly (the groups of a split class first), improving
   group-days, then class pairs, then grade pairs.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.people import Student
from models.school import Session
from scheduler.cpsat import PhaseResult, SolveOptions, make_solver, run, solve_phase


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


def nested_activity(k: dict[str, int], days: tuple[str, ...]) -> list[frozenset[str]]:
    """Group g is present on day d iff g < k_d: the structure that reaches the bound.

    With exactly k_d groups present on day d, a weekday pattern P can use at most
    min_{d in P} k_d groups; the nested structure gives every pattern that many at once.
    """
    return [frozenset(d for d in days if g < k[d]) for g in range(max(k.values(), default=0))]


def one_day_off_activity(k: dict[str, int], days: tuple[str, ...]
                         ) -> list[frozenset[str]] | None:
    """Another structure with exactly k_d groups on day d: G = max k groups, of which
    G - k_d miss only day d. Part-week groups then need students who skip one day (common)
    instead of several. None where the numbers do not allow it."""
    g = max(k.values(), default=0)
    full = sum(k.values()) - (len(days) - 1) * g
    if full < 0 or g == 0:
        return None
    out = [frozenset(days)] * full
    for d in days:
        out += [frozenset(days) - {d}] * (g - k[d])
    return out if len(out) == g else None


def nested_greedy(units: list[Unit], days: tuple[str, ...], cap: int, k: dict[str, int],
                  active: list[frozenset[str]] | None = None) -> list[dict[int, int]]:
    """Constructive start on a structure of presence days (``nested_activity(k)`` unless
    ``active`` is given): part-week groups take part-week students (whole units first), then
    the classes, in grade order, fill the all-week groups next-fit (a class split only where
    a group runs full). Students left over go to any group with room, or to one where moving
    another unit's students elsewhere makes room, else open extra groups: the result is
    always a valid placement."""
    active = list(active) if active is not None else nested_activity(k, days)
    load = [{d: 0 for d in days} for _ in active]
    left = [len(u.students) for u in units]
    placed: list[dict[int, int]] = [dict() for _ in units]

    def move(i: int, g: int | None, h: int, n: int) -> None:
        """n students of unit i from group g (None: unplaced) to group h."""
        if g is None:
            left[i] -= n
        else:
            placed[i][g] -= n
            if not placed[i][g]:
                del placed[i][g]
        placed[i][h] = placed[i].get(h, 0) + n
        for d in units[i].days:
            if g is not None:
                load[g][d] -= n
            load[h][d] += n

    def room(i: int, g: int) -> int:
        if not set(units[i].days) <= active[g]:
            return 0
        return min(cap - load[g][d] for d in units[i].days)

    def eject(i: int) -> bool:
        for g in range(len(active)):
            if not set(units[i].days) <= active[g]:
                continue
            short = {d: max(0, 1 - (cap - load[g][d])) for d in units[i].days}
            for j, where in enumerate(placed):
                if j == i or not where.get(g) or not all(
                        d in units[j].days for d, need in short.items() if need):
                    continue
                h = next((h for h in range(len(active)) if h != g and room(j, h) > 0), None)
                if h is not None:
                    move(j, g, h, min(where[g], room(j, h)))
                    if room(i, g) > 0:
                        move(i, None, g, min(left[i], room(i, g)))
                        return True
        return False

    full = [g for g, act in enumerate(active) if len(act) == len(days)]
    partial = sorted((g for g in range(len(active)) if g not in full),
                     key=lambda g: (len(active[g]), -g))
    for g in partial:  # most restrictive first; classes with most fitting students first
        fitting: dict[str, list[int]] = defaultdict(list)
        for i, u in enumerate(units):
            if set(u.days) <= active[g] and left[i]:
                fitting[u.klass].append(i)
        for klass in sorted(fitting, key=lambda c: (-sum(left[i] for i in fitting[c]),
                                                    class_key(c))):
            for i in fitting[klass]:
                n = min(left[i], room(i, g))
                if n > 0:
                    move(i, None, g, n)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        by_class[u.klass].append(i)
    ptr = 0  # next fit: a class continues in the group the previous class left off
    for klass in sorted(by_class, key=class_key):
        idx = sorted(by_class[klass], key=lambda i: (-len(units[i].days), units[i].days))
        while ptr < len(full) and any(left[i] for i in idx):
            for i in idx:
                n = min(left[i], room(i, full[ptr]))
                if n > 0:
                    move(i, None, full[ptr], n)
            if any(left[i] for i in idx):
                ptr += 1
    for i in range(len(units)):  # left over: any room, else make room, else a new group
        for g in full + partial:
            n = min(left[i], room(i, g))
            if n > 0:
                move(i, None, g, n)
        while left[i] and eject(i):
            pass
        while left[i]:
            g = next((g for g in range(len(active), len(load)) if room(i, g) > 0), None)
            if g is None:
                load.append({d: 0 for d in days})
                active.append(frozenset(days))
                g = len(load) - 1
            move(i, None, g, min(left[i], room(i, g)))
    return placed


FULL_MODEL_LIMIT = 6000  # unit-group pairs up to which the exact model is tried


def plan_groups(session: Session, students: list[Student], cap: int, opts: SolveOptions,
                budget: float) -> GroupingResult:
    """Form the groups of one session (see the module docstring)."""
    units = make_units(students, session)
    days = session.days
    if not units:
        return GroupingResult(session.id, [], [], 0, 0, 0, 0, 0, [], 0, 0)
    n_d = day_counts(units, days)
    k = {d: math.ceil(n / cap) for d, n in n_d.items()}
    gd_bound = sum(k.values())
    classes = sorted({u.klass for u in units}, key=class_key)
    pairs_bound = sum(math.ceil(max(sum(len(u.students) for u in units
                                        if u.klass == c and d in u.days) for d in days) / cap)
                      for c in classes)
    base = greedy(units, days, cap)
    g_days, g_pairs = evaluate(units, base, days)
    starts = [nested_greedy(units, days, cap, k), base]
    alternative = one_day_off_activity(k, days)
    if alternative is not None:
        starts.append(nested_greedy(units, days, cap, k, alternative))
    start = min(starts, key=lambda p: _score(units, p, days))
    phases = []
    n_groups = 1 + max(g for where in start for g in where)
    if evaluate(units, start, days)[0] > gd_bound and len(units) * n_groups <= FULL_MODEL_LIMIT:
        exact, phase = exact_group_days(units, days, cap, k, start, opts, budget / 2,
                                        f"{session.id} group-days")  # and budget / 4 on pairs
        phases.append(phase)
        gd_bound = max(gd_bound, phase.bound or 0)
        if exact is not None:
            starts.append(exact)
        budget /= 4
    # group-days first, but up to ``group_days_slack`` more are worth fewer class pairs
    allowed = min(_score(units, p, days)[0] for p in starts) + opts.group_days_slack

    def key(placement) -> tuple[int, int, int, int]:
        gd, pairs, grades = _score(units, placement, days)
        return max(0, gd - allowed), pairs, grades, gd

    start = min(starts, key=key)
    placed, p2 = improve_windows(units, start, days, cap, opts, budget,
                                 f"{session.id} class pairs", (gd_bound, pairs_bound), key)
    phases.append(p2)
    return _from_placement(session, units, placed, days, gd_bound, pairs_bound, phases,
                           g_days, g_pairs)


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


def _score(units: list[Unit], placed: list[dict[int, int]], days) -> tuple[int, int, int]:
    gd, pairs = evaluate(units, placed, days)
    grades = len({(u.grade, g) for u, where in zip(units, placed) for g, k in where.items() if k})
    return gd, pairs, grades


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
    while spent + step_budget <= budget and not opts.interrupted and n_groups > 1:
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
    solver = make_solver(SolveOptions(seed=opts.seed), budget)
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
                          grade_pairs, phases, g_days, g_pairs)
