"""Constructive starts: first fit, ``nested_greedy`` and ``best_fit`` on structures of
presence days, and ``Prepared`` (a session's units, bounds, and menu of starts within e
group-days of the fewest found; ``prepare``, ``share_extra``). Input: units, cap, a
structure. Output: placements. Rules: the cap, group-days per day as the structure says.
"""
from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from afterschool.models.people import Student
from afterschool.models.school import Session
from afterschool.scheduler.planning.grouping.constants import FIT_WHOLE, FIT_WINDOW
from afterschool.scheduler.planning.grouping.packing import Packing
from afterschool.scheduler.planning.grouping.units import (
    class_key, day_counts, evaluate, greedy, groups_per_day, make_units, nested_activity,
    no_managers, one_day_off_activity, _present, _score, Unit
)


def _part_week_first(units: list[Unit], days: tuple[str, ...], cap: int, k: dict[str, int],
                     active: list[frozenset[str]] | None, margin: int | None
                     ) -> tuple[Packing, list[int]]:
    """A packing on the structure (``nested_activity(k)`` unless ``active``) whose
    part-week groups, most restrictive first, took what the groups after them cannot hold
    (``_fill_part_week``); and the all-week groups, still empty."""
    active = list(active) if active is not None else nested_activity(k, days)
    pk = Packing(units, days, cap, active)
    full = [g for g, act in enumerate(active) if len(act) == len(days)]
    partial = sorted((g for g in range(len(active)) if g not in full),
                     key=lambda g: (len(active[g]), -g))
    later = list(partial) + full  # groups not yet filled, in filling order
    for g in partial:
        later.remove(g)
        _fill_part_week(pk, g, later, margin)
    return pk, full



def _classes(units: list[Unit]) -> dict[str, list[int]]:
    """Each class's units, those on most days first."""
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        by_class[u.klass].append(i)
    for idx in by_class.values():
        idx.sort(key=lambda i: (-len(units[i].days), units[i].days))
    return by_class



def nested_greedy(units: list[Unit], days: tuple[str, ...], cap: int, k: dict[str, int],
                  active: list[frozenset[str]] | None = None, margin: int | None = 0,
                  class_order: list[str] | None = None) -> list[dict[int, int]]:
    """Constructive start on a structure of presence days (``nested_activity(k)`` unless
    ``active`` is given): each part-week group takes what the groups after it cannot hold
    (plus ``margin`` students a day), as whole units of few classes; then the classes, in
    grade order (or ``class_order``), fill the all-week groups next-fit (a class split only
    where a group runs full). Students left over go where their class already is (moving
    others to make room), else where most fit, else to extra groups: the result is always
    a valid placement. ``margin`` None: part-week groups are filled up and leftovers go to
    the first group with room (the way that opens fewest groups when the structure is
    tight)."""
    pk, full = _part_week_first(units, days, cap, k, active, margin)
    by_class = _classes(units)
    ptr = 0  # next fit: a class continues in the group the previous class left off
    for klass in class_order or sorted(by_class, key=class_key):
        idx = by_class[klass]
        while ptr < len(full) and any(pk.left[i] for i in idx):
            g = full[ptr]
            for i in idx:
                pk._fill(i, g)
            if any(pk.left[i] for i in idx):
                ptr += 1
    return pk.finish(first_fit=margin is None)



def best_fit(units: list[Unit], days: tuple[str, ...], cap: int, k: dict[str, int],
             active: list[frozenset[str]] | None = None, margin: int = 10,
             class_order: list[str] | None = None) -> list[dict[int, int]]:
    """Constructive start that fills each all-week group as full as it can get on every
    day: the part-week groups first (as ``nested_greedy``), then, group by group, the
    combination of up to ``FIT_WHOLE`` whole classes among the next ``FIT_WINDOW`` still
    unplaced (grade order or ``class_order``) plus part of at most one more class that
    leaves the fewest empty seat-days — then the fewest class pairs, the fewest grades, the
    earliest classes (``_best_combination``). The split class's remainder comes next, so
    it continues in the following group.

    Why: at the group-days bound the groups have almost no empty seats (a tight day has
    well under one per group), so seats a group leaves empty on one day come back as
    students with nowhere to go at the end, and those split classes. Next fit splits a
    class at every group boundary and wastes the seats its patterns cannot fill; choosing
    the classes that fit exactly keeps both low."""
    pk, full = _part_week_first(units, days, cap, k, active, margin)
    by_class = _classes(units)
    index = [tuple(days.index(d) for d in u.days) for u in units]
    pool = list(class_order or sorted(by_class, key=class_key))

    def profile(c: str) -> list[int]:
        p = [0] * len(days)
        for i in by_class[c]:
            for d in index[i]:
                p[d] += pk.left[i]
        return p

    for g in full:
        pool = [c for c in pool if any(pk.left[i] for i in by_class[c])]
        if not pool:
            break
        window = pool[:FIT_WINDOW]
        chosen, split = _best_combination(
            np.array([profile(c) for c in window]), [class_key(c)[0] for c in window],
            np.array([cap - pk.load[g][d] for d in days]),
            [[(pk.left[i], index[i]) for i in by_class[c] if pk.left[i]] for c in window])
        for j in chosen:
            for i in by_class[window[j]]:
                pk._fill(i, g)
        if split is not None:
            c = window[split]
            for i in by_class[c]:
                pk._fill(i, g)
            pool.remove(c)
            pool.insert(0, c)  # its remainder opens the next group
    return pk.finish()



@functools.cache
def _combinations(n: int, most: int) -> np.ndarray:
    """0/1 rows: every set of at most ``most`` of n items, smallest sets first."""
    rows = [c for size in range(most + 1) for c in itertools.combinations(range(n), size)]
    out = np.zeros((len(rows), n), dtype=np.int64)
    for r, c in enumerate(rows):
        out[r, list(c)] = 1
    return out



def _best_combination(profiles: np.ndarray, grades: list[int], room: np.ndarray,
                      parts: list[list[tuple[int, tuple[int, ...]]]]
                      ) -> tuple[tuple[int, ...], int | None]:
    """Whole classes (rows of ``profiles``: students per day) and at most one split class
    for a group with ``room`` seats a day: fewest empty seat-days, then fewest class pairs
    (a split class counts two: its remainder goes elsewhere), then fewest grades, then the
    earliest classes. ``parts[j]`` lists class j's units (students, day indexes), longest
    patterns first: the order a split class fills what room is left. Every set of whole
    classes that fits is scored at once (numpy)."""
    sets = _combinations(len(profiles), FIT_WHOLE)
    left = room - sets @ profiles  # room after each set of whole classes
    ok = (left >= 0).all(1)
    sets, left = sets[ok], left[ok]
    filled = np.zeros((len(sets), len(profiles) + 1), dtype=np.int64)  # last: no split
    whole = np.zeros((len(sets), len(profiles) + 1), dtype=bool)  # the part is all of it
    # every class's split at once: step s takes each class's s-th unit (none: 0 students);
    # arrays (class, day, set) in int32 (counts of students), for speed
    steps = max((len(units) for units in parts), default=0)
    count = np.zeros((len(parts), steps), dtype=np.int32)
    on = np.zeros((len(parts), steps, room.shape[0]), dtype=bool)
    # one assignment each for all units (numpy's per-call cost dominated)
    units_at = [(j, s, n) for j, units in enumerate(parts) for s, (n, _) in enumerate(units)]
    days_at = [(j, s, d) for j, units in enumerate(parts) for s, (_, days) in enumerate(units)
               for d in days]
    if units_at:
        j_, s_, n_ = zip(*units_at)
        count[list(j_), list(s_)] = n_
    if days_at:
        j_, s_, d_ = zip(*days_at)
        on[list(j_), list(s_), list(d_)] = True
    rest = np.repeat(left.T.astype(np.int32)[None], len(parts), 0)
    taken = np.zeros((len(parts), len(sets)), dtype=np.int32)
    spread = np.zeros_like(taken)
    free = np.iinfo(np.int32).max
    width = on.sum(2)  # days of each class's s-th unit
    for s in range(steps):
        live = np.flatnonzero(count[:, s])  # classes with an s-th unit (others take 0)
        if not len(live):
            continue
        mask = on[live, s, :, None]
        part = rest[live]
        take = np.minimum(count[live, s, None], np.where(mask, part, free).min(1))
        rest[live] = part - take[:, None, :] * mask
        spread[live] += take * width[live, s, None]
        taken[live] += take
    filled[:, :len(parts)] = spread.T
    whole[:, :len(parts)] = (taken == count.sum(1)[:, None]).T
    filled[:, :-1][sets.astype(bool)] = -1  # a class taken whole is not split too
    split = filled.argmax(1)  # first best: the earliest class
    split = np.where(filled[np.arange(len(sets)), split] > 0, split, len(profiles))
    rows = np.arange(len(sets))
    empty = left.sum(1) - filled[rows, split]
    # pairs: one per whole class, two for a split one (its remainder goes elsewhere)
    size = sets.sum(1) + np.where(split < len(profiles), 2 - whole[rows, split], 0)
    member = sets.astype(bool)
    member[rows, np.minimum(split, len(profiles) - 1)] |= split < len(profiles)
    levels = sorted(set(grades))
    by_grade = np.array([[g == x for x in levels] for g in grades], dtype=np.int64)
    n_grades = ((member @ by_grade) > 0).sum(1)
    r = np.lexsort((np.arange(len(sets)), n_grades, size, empty))[0]
    chosen = tuple(int(j) for j in np.flatnonzero(sets[r]))
    return chosen, (int(split[r]) if split[r] < len(profiles) else None)



def _fill_part_week(pk: Packing, g: int, later: list[int], margin: int | None) -> None:
    """Group g takes what the groups still to fill cannot hold on its days, as whole fitting
    units of the classes that cover most of that need (few classes, few pairs)."""
    units, active = pk.units, pk.active
    need = {d: pk.cap if margin is None else
            sum(pk.left[i] for i, u in enumerate(units) if d in u.days)
            - pk.cap * sum(1 for h in later if d in active[h]) + margin for d in active[g]}
    fitting: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        if pk.left[i] and set(u.days) <= active[g]:
            fitting[u.klass].append(i)

    # a class's fitting students per day (unchanged until the class is taken)
    per_day = {c: {d: sum(pk.left[i] for i in idx if d in units[i].days) for d in need}
               for c, idx in fitting.items()}
    total = {c: sum(pk.left[i] for i in idx) for c, idx in fitting.items()}
    order = sorted(fitting, key=class_key)

    def cover(c: str) -> tuple[int, int]:
        if margin is None:  # fill up: the classes with most fitting students first
            return total[c], 0
        return (sum(min(max(need[d], 0), n) for d, n in per_day[c].items()),
                sum(per_day[c].values()))

    while fitting and (margin is None or any(v > 0 for v in need.values())):
        order = [c for c in order if c in fitting]
        klass = max(order, key=cover)
        if cover(klass)[0] == 0:
            break
        for i in fitting.pop(klass):
            n = min(pk.left[i], pk.room(i, g))
            if n > 0:
                for d in units[i].days:
                    need[d] -= n
                pk.move(i, None, g, n)



@dataclass
class Prepared:
    """A session's students as units, its bounds, and constructive starts: ``menu[e]`` is
    the best start found with at most e group-days more than the fewest found (``extend``
    builds starts for more)."""
    session: Session
    units: list[Unit]
    cap: int
    n_d: dict[str, int]
    k: dict[str, int]
    gd_bound: int
    pairs_bound: int
    greedy: tuple[int, int]  # group-days and class pairs of first fit by class
    scored: list[tuple[tuple[int, int, int], list[dict[int, int]]]]
    menu: list[list[dict[int, int]]] = field(default_factory=list)
    built: dict[int, int] = field(default_factory=dict)  # extra group-days -> starts built
    # manager minutes a week given this session's groups per day (the others' held)
    managers: Callable[[dict[str, int]], int] = no_managers
    smallest: dict[int, int] = field(default_factory=dict)  # id(start) -> its smallest group

    def score(self, placement: list[dict[int, int]]) -> tuple[int, int, int]:
        return _score(self.units, placement, self.session.days)

    def groups_per_day(self, placement: list[dict[int, int]]) -> dict[str, int]:
        return groups_per_day(self.units, placement, self.session.days)

    def manager_minutes(self, placement: list[dict[int, int]]) -> int:
        return self.managers(self.groups_per_day(placement))

    @staticmethod
    def order(allowed: int, score: tuple[int, int, int], managers: int, smallest: int
              ) -> tuple[int, int, int, int, int, int]:
        """The grouping's objective, in its order, written once (every comparison of
        placements uses it): group-days above ``allowed`` (the fewest found plus the
        allowance), then paid minutes (the session's group minutes are equal there, so its
        manager minutes decide), class pairs, grade pairs, group-days, and last the largest
        smallest group present. ``score``: (group-days, class pairs, grade pairs)."""
        gd, pairs, grades = score
        return (max(0, gd - allowed), managers, pairs, grades, gd, -smallest)

    def key(self, placement: list[dict[int, int]], allowed: int
            ) -> tuple[int, int, int, int, int, int]:
        """``order`` of one placement."""
        return self.order(allowed, self.score(placement), self.manager_minutes(placement),
                          min(_present(self.units, placement).values(), default=0))

    def pairs_with(self, extra: int) -> int:
        return self.score(self.menu[min(extra, len(self.menu) - 1)])[1]

    def extend(self, max_extra: int, deadline=None, most: int | None = None) -> None:
        """Starts on structures with up to ``max_extra`` more group-days; the menu. Builds
        at most ``most`` new starts per structure (the most promising first; a later call
        continues with the rest) and none once ``deadline`` (a ``cpsat.Deadline``) has
        passed: the menu then holds the best found so far (at least the first-fit start)."""
        units, days, cap = self.units, self.session.days, self.cap
        late = (lambda: deadline.expired()) if deadline is not None else (lambda: False)
        for extra in range(max_extra + 1):
            if late():
                break
            k_e = _raised(self.k, self.n_d, cap, extra, self.managers)
            if k_e is None:
                break
            orders = [None] + (_profile_orders(units, days) if not extra else [])
            builders = [functools.partial(best_fit, units, days, cap, k_e, margin=margin,
                                          class_order=order)
                        for order in orders for margin in (10, 0)]
            if not extra:  # fill up and first fit: opens fewest groups on tight structures
                builders.insert(1, functools.partial(nested_greedy, units, days, cap, k_e,
                                                     margin=None))
                alternative = one_day_off_activity(k_e, days)
                if alternative is not None:
                    builders.append(functools.partial(nested_greedy, units, days, cap, k_e,
                                                      alternative, None))
            done = self.built.get(extra, 0)
            todo = builders[done:] if most is None else builders[done:done + most]
            for build in todo:
                if late():
                    break
                p = Packing.of(units, days, cap, build()).merge()
                self.scored.append((_score(units, p, days), p))
                self.built[extra] = self.built.get(extra, 0) + 1
        fewest = min(sc[0] for sc, _ in self.scored)
        # the best start within e group-days of the fewest, by the one objective (each
        # start's smallest group counted once: sessions of thousands extend many times)
        for _, p in self.scored:
            if id(p) not in self.smallest:
                self.smallest[id(p)] = min(_present(units, p).values(), default=0)
        parts = [(sc, self.manager_minutes(p), self.smallest[id(p)], p) for sc, p in self.scored]
        self.menu = [min(parts, key=lambda x: self.order(fewest + e, *x[:3]))[3]
                     for e in range(max_extra + 1)]



def _profile_orders(units: list[Unit], days: tuple[str, ...]) -> list[list[str]]:
    """Class orders for the starts that keep grades together but, within a grade, alternate
    classes light and heavy on one day (the first; the emptiest), so that neighbours in a
    group even out each other's days and fewer seats stay empty."""
    per_day: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(days, 0))
    for u in units:
        for d in u.days:
            per_day[u.klass][d] += len(u.students)
    out = []
    for share in (lambda c: per_day[c][days[0]], lambda c: min(per_day[c].values())):
        order: list[str] = []
        for grade in sorted({u.grade for u in units}):
            ranked = sorted((c for c in per_day if class_key(c)[0] == grade),
                            key=lambda c: (share(c) / max(per_day[c].values()), class_key(c)))
            while ranked:  # lightest, heaviest, next lightest, ...
                order.append(ranked.pop(0))
                if ranked:
                    order.append(ranked.pop())
        out.append(order)
    return out



def prepare(session: Session, students: list[Student], cap: int, max_extra: int = 0,
            deadline=None, most: int | None = None, managers=no_managers
            ) -> Prepared | None:
    """Units, bounds and starts for up to ``max_extra`` more group-days (None: nobody);
    at most ``most`` starts per structure, and past ``deadline`` only the first-fit
    start. ``managers(groups per day)``: the manager minutes a week that many groups of
    this session would need, the other sessions' held (the tie-break after group-days)."""
    units = make_units(students, session)
    days = session.days
    if not units:
        return None
    n_d = day_counts(units, days)
    k = {d: math.ceil(n / cap) for d, n in n_d.items()}
    classes = sorted({u.klass for u in units}, key=class_key)
    pairs_bound = sum(math.ceil(max(sum(len(u.students) for u in units
                                        if u.klass == c and d in u.days) for d in days) / cap)
                      for c in classes)
    base = greedy(units, days, cap)
    prep = Prepared(session, units, cap, n_d, k, sum(k.values()), pairs_bound,
                    evaluate(units, base, days), [(_score(units, base, days), base)],
                    managers=managers)
    prep.extend(max_extra, deadline, most)
    return prep



def _raised(k: dict[str, int], n_d: dict[str, int], cap: int, extra: int,
            managers=no_managers) -> dict[str, int] | None:
    """k with ``extra`` more groups present, each on the day where it costs fewest manager
    minutes (``managers(groups per day)``: a group more on the peak afternoon may need one
    more manager), then with fewest groups (the fullest first), never above the busiest
    day: fewer part-week groups to fill. None if none left."""
    k = dict(k)
    top = max(k.values(), default=0)
    for _ in range(extra):
        low = [d for d in k if k[d] < top and n_d[d]]  # a day nobody comes: no group
        if not low:
            return None
        d = min(low, key=lambda d: (managers({**k, d: k[d] + 1}), k[d],
                                    -n_d[d] / (cap * k[d] or 1)))
        k[d] += 1
    return k



def share_extra(preps: list[Prepared], allowance: int) -> list[int]:
    """Share ``allowance`` extra group-days among sessions to save the most class pairs
    (an exact knapsack over the menus; ties keep fewer group-days)."""
    best = {0: (0, [])}  # group-days used -> (pairs saved, extra per session)
    for prep in preps:
        base = prep.pairs_with(0)
        nxt: dict[int, tuple[int, list[int]]] = {}
        for used, (saved, alloc) in best.items():
            for e in range(min(len(prep.menu), allowance - used + 1)):
                cand = (saved + base - prep.pairs_with(e), alloc + [e])
                if cand[0] > nxt.get(used + e, (-1, []))[0]:
                    nxt[used + e] = cand
        best = nxt
    top = max(v[0] for v in best.values())
    return min((used, alloc) for used, (saved, alloc) in best.items() if saved == top)[1]
