"""The smallest group present, raised last: ``balance_groups`` (a counting model over the
fixed structure, pairs held or a few spent), ``lift_smallest`` (one pupil at a time
towards a target, within a pair allowance), ``balance_result`` and ``lift_result`` (per
band). Input: a band's placement. Output: a placement with the same group-days. Rules:
no group-day added, the cap kept, pairs within the allowance.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from afterschool.scheduler.planning.cpsat import PhaseResult, SolveOptions, solve_phase
from afterschool.scheduler.planning.grouping.bounds import day_structure
from afterschool.scheduler.planning.grouping.constants import (
    BALANCE_LIMIT, LIFT_PAIRS, REFILL_LIMIT, SMALL_GROUPS, SMALL_PAIRS, SMALL_TARGET, STRUCTURE_DET,
    WHOLE_LIMIT
)
from afterschool.scheduler.planning.grouping.model import _from_placement
from afterschool.scheduler.planning.grouping.packing import Packing
from afterschool.scheduler.planning.grouping.starts import best_fit, Prepared
from afterschool.scheduler.planning.grouping.units import GroupingResult, _present, _score, Unit


def balance_result(prep: Prepared, result: GroupingResult, opts: SolveOptions,
                   budget: float) -> GroupingResult:
    """``result`` with its smallest group raised by ``balance_groups`` (last, when every
    band has its groups: the lowest objective gets what time is left), and the most its
    smallest group could be at its group-days (``day_structure``)."""
    session, units, days = prep.session, prep.units, prep.session.days
    placed, phase = balance_groups(units, result.placed, days, prep.cap, opts, budget / 2,
                                   f"{session.id} smallest group")
    bound, structure = day_structure(units, days, prep.cap, result.group_days, opts,
                                     STRUCTURE_DET)
    phases = [phase]
    low = min(_present(units, placed).values(), default=0)
    if low < min(SMALL_TARGET, bound or 0):  # a small group not forced: pairs may pay
        lifted, lift = balance_groups(units, placed, days, prep.cap, opts, budget / 2,
                                      f"{session.id} smallest group / pairs",
                                      extra_pairs=SMALL_PAIRS)
        phases.append(lift)  # reported whether taken or not: it spent its time
        if lift.objective > low:
            placed = lifted
    better = result
    if placed is not result.placed:
        better = _from_placement(session, units, placed, session.days, result.group_days_bound,
                                 result.class_pairs_bound, result.phases, *prep.greedy)
        better.fewest_found = result.fewest_found
    better.phases.extend(phases)
    better.smallest_bound = bound
    better.structure = structure
    return better



def band_bound(prep: Prepared, result: GroupingResult) -> int:
    """The most the band's smallest group could be: the structure model's bound at its
    group-days, or (no time was left for it) floor(n / ceil(n / cap)) of its tightest day."""
    if result.smallest_bound is not None:
        return result.smallest_bound
    return min((n // prep.k[d] for d, n in prep.n_d.items() if n), default=0)



def lift_result(prep: Prepared, result: GroupingResult, target: int,
                opts: SolveOptions) -> GroupingResult:
    """``result`` with its smallest group lifted towards ``target`` (``solve``: ``LIFT_SHARE``
    of the smallest band bound of the plan) by ``lift_smallest``, spending up to
    ``LIFT_PAIRS`` of the band's class pairs; where the smallest group's days hold too few
    pupils who fit, the structure reaching the band's bound (``balance_result``), filled
    class by class and lifted, if it keeps the group-days and manager minutes within the
    same pairs."""
    session, units, days = prep.session, prep.units, prep.session.days
    placed, structure = result.placed, result.structure
    low = min(_present(units, placed).values(), default=0)
    if low >= target:
        return result
    gd, band_pairs, _ = _score(units, placed, days)
    allowance = math.floor(LIFT_PAIRS * band_pairs)  # none on a band of 1-3 pairs
    lifted = lift_smallest(units, placed, days, prep.cap, target, allowance, opts.out_of_time)
    if min(_present(units, lifted).values(), default=0) > low:
        placed = lifted
        low = min(_present(units, placed).values(), default=0)
    refill = len(units) <= REFILL_LIMIT  # best_fit over a larger band takes seconds
    if refill and low < target and structure is None and not opts.out_of_time():
        structure = day_structure(units, days, prep.cap, gd, opts, STRUCTURE_DET)[1]
    if refill and low < target and structure is not None and not opts.out_of_time():
        # the smallest group's days hold too few pupils whose days fit them
        limit = (gd, prep.manager_minutes(result.placed), band_pairs + allowance)
        for fill in (best_fit(units, days, prep.cap, prep.k, structure, margin)
                     for margin in (10, 0)):
            fill = Packing.of(units, days, prep.cap, fill).merge()
            fill = Packing.of(units, days, prep.cap, fill).balance()
            fill = lift_smallest(units, fill, days, prep.cap, target,
                                 band_pairs + allowance - _score(units, fill, days)[1],
                                 opts.out_of_time)
            f_gd, f_pairs, _ = _score(units, fill, days)
            f_low = min(_present(units, fill).values(), default=0)
            if f_gd <= gd and prep.manager_minutes(fill) <= limit[1] \
                    and f_pairs <= limit[2] and f_low > low:
                placed, low = fill, f_low
    if placed is result.placed:
        return result
    better = _from_placement(session, units, placed, days, result.group_days_bound,
                             result.class_pairs_bound, result.phases, *prep.greedy)
    better.fewest_found = result.fewest_found
    better.smallest_bound, better.structure = result.smallest_bound, structure
    return better



def balance_groups(units: list[Unit], placed: list[dict[int, int]], days: tuple[str, ...],
                   cap: int, opts: SolveOptions, budget: float, name: str,
                   extra_pairs: int = 0) -> tuple[list[dict[int, int]], PhaseResult]:
    """Raise the smallest number present in a group on a day it meets, exactly, over the
    placement's structure (which groups meet on which days is fixed: no group-day added),
    with at most ``extra_pairs`` more (class, group) pairs than now (then the fewest for
    the smallest found).

    A counting model of the students who could join a *small* group (one with a day below
    halfway from the smallest to the cap): the units whose days the small group meets on
    all go to any group that meets on their days and already holds their class, or to a
    small group whatever their class, with at most as many (class, group) pairs as now (a
    pair taken into a small group is paid for by a split class drawn together elsewhere);
    everyone else stays. Every group keeps at least the smallest on each day it meets and
    the model maximises that smallest number. ``Packing.balance`` moves one student at a
    time within a class's groups; the model finds moves that need several at once (whole
    patterns swapped, a class traded for another). Keeps ``placed`` when nothing better is
    found in ``budget`` deterministic seconds."""
    n_groups = 1 + max((g for where in placed for g in where), default=-1)
    active: list[set[str]] = [set() for _ in range(n_groups)]
    holding: dict[str, set[int]] = defaultdict(set)
    loads: dict[tuple[int, str], int] = defaultdict(int)
    for u, where in zip(units, placed):
        for g, k in where.items():
            if k:
                active[g].update(u.days)
                holding[u.klass].add(g)
                for d in u.days:
                    loads[g, d] += k
    now = min(loads.values(), default=0)
    if not loads or now >= cap or opts.out_of_time():
        return placed, PhaseResult(name, "UNKNOWN", now, None, 0.0)
    small = {g for (g, d), n in loads.items() if 2 * n < now + cap}
    # the classes with students who could join a small group move (all their students:
    # they make room for them, or free a pair); on a small session everyone, and the
    # few smallest groups may trade days; on a large one, where that would be nearly
    # everyone, the small groups' classes and those sharing a group with them
    near = {u.klass for u in units if any(set(u.days) <= active[g] for g in small)}
    if sum(len(gs) for gs in holding.values()) <= WHOLE_LIMIT:
        # groups with a day (a group number may be left empty by an earlier step)
        lowest = sorted((g for g in range(n_groups) if active[g]),
                        key=lambda g: (min(loads[g, d] for d in active[g]), g))
        small |= set(lowest[:SMALL_GROUPS])
        near = set(holding)
    small = sorted(small)
    if sum(len(holding[c]) for c in near) > BALANCE_LIMIT:
        near = {c for c, gs in holding.items() if gs & set(small)}
        near = {c for c, gs in holding.items() if any(gs & holding[k] for k in near)}
    movable = [i for i, u in enumerate(units) if u.klass in near]
    fixed = dict(loads)
    for i in movable:
        for g, k in placed[i].items():
            for d in units[i].days:
                fixed[g, d] -= k
    pinned = {(units[j].klass, g) for j, where in enumerate(placed) if units[j].klass not in near
              for g, k in where.items() if k}
    m = cp_model.CpModel()
    # the small groups may trade the days they meet, as many of them each day as now
    # (so the groups per day, group-days and managers stay): a group of 3 on Monday may
    # hand its Monday to another small group whose pupils come on Monday
    meets = {(g, d): m.new_bool_var("") for g in small for d in days}
    for (g, d), var in meets.items():
        m.add_hint(var, d in active[g])
        if fixed.get((g, d), 0) > 0:
            m.add(var == 1)
    for d in days:
        m.add(sum(meets[g, d] for g in small) == sum(1 for g in small if d in active[g]))
    x, y = {}, {}
    terms: dict[tuple[int, str], list] = defaultdict(list)
    for i in movable:
        u = units[i]
        for g in sorted(holding[u.klass] | set(small)):
            if g not in small and not set(u.days) <= active[g]:
                continue
            x[i, g] = m.new_int_var(0, len(u.students), "")
            m.add_hint(x[i, g], placed[i].get(g, 0))
            for d in u.days:
                terms[g, d].append(x[i, g])
                if g in small:
                    m.add(x[i, g] <= len(u.students) * meets[g, d])
            if (u.klass, g) not in pinned:
                if (u.klass, g) not in y:  # a pair only movable students make
                    y[u.klass, g] = m.new_bool_var("")
                    m.add_hint(y[u.klass, g], g in holding[u.klass])
                m.add(x[i, g] <= len(u.students) * y[u.klass, g])
        m.add(sum(x[i, g] for g in range(n_groups) if (i, g) in x) == len(u.students))
    m.add(sum(y.values()) <= sum(1 for c, g in y if g in holding[c]) + extra_pairs)
    ceiling = min([cap] + [n for key, n in fixed.items() if key not in terms])
    if ceiling <= now:
        return placed, PhaseResult(name, "OPTIMAL", now, now, 0.0)
    smallest = m.new_int_var(now, ceiling, "smallest")
    m.add_hint(smallest, now)
    for (g, d), here in terms.items():
        load = fixed.get((g, d), 0) + sum(here)
        m.add(load <= cap)
        if (g, d) in meets:
            m.add(load >= smallest).only_enforce_if(meets[g, d])
        elif d in active[g]:
            m.add(load >= smallest)
    # with pairs to spend, the fewest of them for the smallest found
    w = len(y) + 1 if extra_pairs else 1
    res = solve_phase(m, -w * smallest + (sum(y.values()) if extra_pairs else 0), name, opts,
                      budget)
    bound = None if res.bound is None else -math.floor(res.bound / w)
    if not res.has_solution or res.solver.value(smallest) <= now:
        return placed, PhaseResult(name, res.status, now, bound, res.seconds)
    solver = res.solver
    new = [dict(where) for where in placed]
    for i in movable:
        new[i] = {g: solver.value(x[i, g]) for g in range(n_groups)
                  if (i, g) in x and solver.value(x[i, g])}
    return new, PhaseResult(name, res.status, solver.value(smallest), bound, res.seconds)



def lift_smallest(units: list[Unit], placed: list[dict[int, int]], days: tuple[str, ...],
                  cap: int, target: int, pairs: int,
                  late: Callable[[], bool] = lambda: False) -> list[dict[int, int]]:
    """Raise the smallest number present in a group on a day it meets towards ``target``,
    one student at a time, spending at most ``pairs`` (class, group) pairs more than now.

    Each step takes the smallest (group g, day d) and moves one student into g from a
    group h that keeps more than the new smallest on every day the student comes: a
    student who comes on d and only on days g meets (no group-day added, never past the
    cap), of a class already in g where one exists (no pair added), else of the class
    whose move costs fewest pairs (a class leaving h's last seat frees one; a pair paid
    for goes to the class with most pupils who could follow), then from the fullest giver;
    where no single move fits (g's other days full), an exchange (``_lift_swap``). Stops at
    ``target``, when no move is left, when a move would pass the pair allowance,
    or once ``late()`` (the deadline, a backstop). Deterministic: ties go to the lowest
    unit and group numbers."""
    pk = Packing.of(units, days, cap, placed)
    n_groups = len(pk.active)
    if not n_groups:
        return placed
    start_pairs = sum(len(gs) for gs in pk.holding.values())
    steps = sum(len(u.students) for u in units)
    for _ in range(steps):
        if late():
            break
        present = [(pk.load[g][d], g, d) for g in range(n_groups) for d in pk.active[g]
                   if pk.load[g][d] > 0]
        if not present:
            break
        low, g, d = min(present)
        if low >= target:
            break
        spent = sum(len(gs) for gs in pk.holding.values()) - start_pairs
        follow: dict[str, int] = defaultdict(int)  # a class's pupils who could join g
        for i, u in enumerate(units):
            if pk.dayset[i] <= pk.active[g]:
                follow[u.klass] += sum(k for h, k in pk.placed[i].items() if h != g)
        best = None
        for i, u in enumerate(units):
            if d not in pk.dayset[i] or pk.room(i, g) <= 0:
                continue
            for h, k in sorted(pk.placed[i].items()):
                if h == g or k <= 0 or any(pk.load[h][e] - 1 <= low for e in u.days):
                    continue
                cost = (g not in pk.holding[u.klass]) - (pk.count[u.klass, h] == 1)
                if spent + cost > pairs:
                    continue
                # a pair paid for brings as many of its class as can follow
                key = (cost, -follow[u.klass] if cost > 0 else 0,
                       -min(pk.load[h][e] for e in u.days), i, h)
                if best is None or key < best:
                    best = key
        if best is not None:
            pk.move(best[3], best[4], g, 1)
            continue
        swap = _lift_swap(pk, g, d, low, pairs - spent, late)
        if swap is None:
            break
        i, h, j = swap
        pk.move(i, h, g, 1)
        pk.move(j, g, h, 1)
    return pk.placed


def _lift_swap(pk: Packing, g: int, d: str, low: int, pairs: int,
               late: Callable[[], bool] = lambda: False) -> tuple[int, int, int] | None:
    """An exchange that raises group g on day d where no single move can (its other days
    full): a student of unit i from group h, who comes on d, for one of unit j in g, who
    does not, each fitting the other's group, every day of both groups within the cap and
    above ``low`` after, at most ``pairs`` (class, group) pairs more. The first found in
    unit and group order, the fewest pairs first; None if none."""
    units = pk.units
    best = None
    for j, n in sorted(pk.members[g].items()):
        if n <= 0 or d in pk.dayset[j]:
            continue
        if late():
            return None
        for i, u in enumerate(units):
            if d not in pk.dayset[i] or not pk.dayset[i] <= pk.active[g]:
                continue
            for h, k in sorted(pk.placed[i].items()):
                if h == g or k <= 0 or not pk.dayset[j] <= pk.active[h]:
                    continue
                ok = True
                for e in pk.active[g] | pk.active[h]:
                    delta = (e in pk.dayset[i]) - (e in pk.dayset[j])
                    for grp, sign in ((g, 1), (h, -1)):
                        if e in pk.active[grp]:
                            after = pk.load[grp][e] + sign * delta
                            if after > pk.cap or (sign * delta < 0 and after <= low):
                                ok = False
                if not ok:
                    continue
                ki, kj = units[i].klass, units[j].klass
                cost = ((g not in pk.holding[ki]) - (pk.count[ki, h] == 1)
                        + (h not in pk.holding[kj]) - (pk.count[kj, g] == 1))
                if ki == kj:
                    cost = 0  # the same class trades places: no pair changes
                if cost > pairs:
                    continue
                if best is None or (cost, i, h, j) < best:
                    best = (cost, i, h, j)
        if best is not None and best[0] <= 0:
            break
    return None if best is None else best[1:]
