"""Students into supervision groups, one session at a time (SPEC §4, issue 3).

Input: a session and the enrolled students taking it. Output: groups (one roster for the whole
week) with, per day, the students present, never more than the cap.

Counting, not students: students of one homeroom class with the same weekday pattern are
interchangeable, so a *unit* (class, pattern) has a count, and a placement says how many of
each unit go to each group.

Objectives, hierarchical: 1. fewest group-days (each is paid teacher time); then, among
placements with equal group-days, fewest manager minutes (``Prepared.managers``: M(peak
groups on duty) x window minutes with the other sessions held, so with group-days equal the
paid minutes decide, and an extra group-day goes where it needs no manager); 2. fewest
(class, group) pairs; 3. fewest (group, grade) pairs; 4. the largest smallest group. Group-days may exceed the fewest found
by a small tolerance shared over the sessions (``share_extra``; default 1 % of the bound, set
in ``solve``) where that saves class pairs — the way hierarchical solvers let a higher
objective degrade by a relative tolerance. Tolerance 0 is the strict order.
Bounds: group-days >= sum_d ceil(n_d / cap); pairs >= sum_c ceil(peak_c / cap). Both hold for
the real problem, so a reported gap of 0 proves optimality.

How (each step keeps the best placement so far, so the result is never worse than greedy):
1. ``prepare``: constructive starts — the greedy baseline (first fit by class), and starts
   on structures of presence days with exactly k_d groups on day d (``nested_activity``:
   group g present on d iff g < k_d; ``one_day_off_activity``), k_d = ceil(n_d / cap), or
   one to a few more on the emptiest days (fewer part-week groups, which must be filled
   from many classes). Part-week groups take only what the all-week groups cannot hold,
   from few classes (``_fill_part_week``). Then ``best_fit`` fills the all-week groups one
   at a time with the set of whole classes, among the next few in grade order (or in two
   orders that alternate light and heavy classes within a grade, ``_profile_orders``),
   plus part of at most one more that leaves fewest empty seat-days, then fewest pairs
   (``_best_combination``, all sets scored at once with numpy). At the bound a tight day
   has well under one empty seat per group, so seats wasted early come back as students
   with nowhere to go, who split classes: choosing classes that fit exactly keeps both
   low. ``nested_greedy`` (next fit, the classes in order, groups filled up, leftovers
   first fit) is kept as one more start: it opens fewest groups on tight structures.
   Students left over go where their class already is (``Packing.free_seat``: ejection
   chains that move students only between groups holding their class), else where most
   fit. ``Packing.merge`` then polishes every start: it takes split classes out of groups
   their other groups can absorb, or swaps them with a class sharing both groups.
   ``Prepared.menu[e]`` is the best start within e group-days of the fewest found;
2. where the start misses the bound and the session is small, ``exact_group_days``: the full
   counting model (x[u, g] counts, y[c, g] class-in-group, a[g, d] group present, with the
   per-day bound stated), whose proven bound replaces the simple one;
2b. ``day_structure``: a counting model over types (the set of days a group meets) and
   weekday patterns, classes ignored, bounds the smallest group present at the fewest
   group-days found and gives a structure reaching it; that structure, filled class by
   class (``best_fit``, ``nested_greedy``), is one more start. Among starts equal on
   group-days, managers, pairs and grades, the larger smallest group wins. The same model
   gives ``GroupingResult.smallest_bound`` at the final group-days;
3. ``improve_windows`` (sessions up to ``WINDOW_LIMIT`` unit-group pairs; on larger ones it
   found nothing after ``best_fit``): a deterministic large-neighbourhood search that
   re-solves the students of a few groups at a time exactly (the groups of a split class
   first), improving group-days, then class pairs, then grade pairs;
4. ``Packing.balance``: the smallest number present in a group on a day it meets is raised
   by moving students between groups that already hold their class (no group-day, no pair
   added); then ``balance_groups`` (``solve`` runs it last, for every band, on what the
   deadline leaves): a counting model over the fixed structure that moves students within
   their class's groups or into the small groups, with pairs at most as now, the small
   groups free to trade the days they meet (as many each day as now), maximising the
   smallest group present. A small group is left where the structure forces it. Where
   a band's smallest group stays below ``SMALL_TARGET`` (20) and below what its
   group-days allow (``day_structure``), a second ``balance_groups`` may spend up to
   ``SMALL_PAIRS`` (2) class pairs to lift it (the fewest for the most it finds): a
   tolerance on pairs for the smallest group, as group-days have one for pairs. Where it
   is still below ``LIFT_SHARE`` of that bound, ``lift_smallest`` moves pupils into it one
   at a time, spending up to ``LIFT_PAIRS`` of the band's class pairs; where the smallest
   group's days hold too few pupils who fit, the bound's structure filled class by class
   and lifted is taken if it keeps group-days and manager minutes, within those pairs.
Every step is anytime: ``Prepared.extend`` builds starts one at a time, the most promising
first, and stops at the deadline (``solve`` gives every band first fit and one best-fit
start before any band gets the rest). Sessions too large for that are split into bands of
whole classes by ``solve``.
"""
from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from afterschool.models.people import Student
from afterschool.models.school import Session
from afterschool.scheduler.planning.cpsat import PhaseResult, SolveOptions, make_solver, run, solve_phase


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
    fewest_found: int = 0  # fewest group-days of any placement found
    placed: list[dict[int, int]] = field(default_factory=list)  # unit -> group -> count
    # the most the smallest group present could be at these group-days (None: unknown)
    smallest_bound: int | None = None
    structure: list[frozenset[str]] | None = None  # days each group meets, reaching it


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


def groups_per_day(units: list[Unit], placed: list[dict[int, int]], days: tuple[str, ...]
                   ) -> dict[str, int]:
    """How many groups of a placement meet on each day (what the manager rule counts)."""
    on: dict[str, set[int]] = defaultdict(set)
    for u, where in zip(units, placed):
        for g, k in where.items():
            if k:
                for d in u.days:
                    on[d].add(g)
    return {d: len(on[d]) for d in days}


def no_managers(groups_on: dict[str, int]) -> int:
    """The manager cost of a session planned on its own: none."""
    return 0


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


DEPTH = 2  # groups an ejection chain may pass through
TRIES = 30  # students and groups tried per seat


class Packing:
    """A placement under construction: counts of each unit in each group, loads per group
    and day, and the moves the heuristics use. Every move keeps the cap, and a group meets
    only on its ``active`` days (only new groups, ``finish``'s very last resort, add
    group-days). ``free_seat``, ``merge`` and ``_swap`` only move students between groups
    that already hold their class, so they never add a (class, group) pair; the last
    resorts of ``finish`` (a new group for a class, ``free_seat(anywhere=True)``,
    ``_eject``) may."""

    def __init__(self, units: list[Unit], days: tuple[str, ...], cap: int,
                 active: list[frozenset[str]]):
        self.units, self.days, self.cap = units, days, cap
        self.active = list(active)
        self.load = [{d: 0 for d in days} for _ in active]
        self.open = [set(a) for a in active]  # days a group meets and has a free seat
        self.left = [len(u.students) for u in units]
        self.placed: list[dict[int, int]] = [{} for _ in units]
        self.members: list[dict[int, int]] = [{} for _ in active]  # group -> unit -> n
        self.count: dict[tuple[str, int], int] = defaultdict(int)  # (class, group) -> n
        self.holding: dict[str, set[int]] = defaultdict(set)  # class -> groups holding it
        self.dayset = [frozenset(u.days) for u in units]
        self.version = 0  # moves so far: a failed search stays failed until the next move
        self.failed: dict[tuple[frozenset[str], int, frozenset[int], bool], int] = {}

    def move(self, i: int, g: int | None, h: int, n: int) -> None:
        """n students of unit i from group g (None: unplaced) to group h. A move of 0 may
        leave a count of 0 in ``members``/``placed``: moves out check the count is > 0."""
        u = self.units[i]
        self.version += 1
        if g is None:
            self.left[i] -= n
        else:
            for table, key in ((self.placed[i], g), (self.members[g], i)):
                table[key] -= n
                if not table[key]:
                    del table[key]
            self.count[u.klass, g] -= n
            if not self.count[u.klass, g]:
                self.holding[u.klass].discard(g)
            for d in u.days:
                self.load[g][d] -= n
            self.open[g].update(u.days)  # a group only meets on its active days
        self.placed[i][h] = self.placed[i].get(h, 0) + n
        self.members[h][i] = self.members[h].get(i, 0) + n
        self.count[u.klass, h] += n
        self.holding[u.klass].add(h)
        for d in u.days:
            self.load[h][d] += n
            if self.load[h][d] >= self.cap:
                self.open[h].discard(d)

    def fits(self, i: int, g: int) -> bool:
        """Whether one more student of unit i fits in group g (``room(i, g) > 0``)."""
        return self.dayset[i] <= self.open[g]

    def room(self, i: int, g: int) -> int:
        if not self.dayset[i] <= self.active[g]:
            return 0
        return min(self.cap - self.load[g][d] for d in self.units[i].days)

    def groups_of(self, klass: str) -> list[int]:
        return sorted(self.holding[klass])

    def blocked(self, i: int, g: int) -> frozenset[str]:
        """The days of unit i on which group g is full."""
        return frozenset(d for d in self.units[i].days if self.load[g][d] >= self.cap)

    def free_seat(self, i: int, g: int, banned: frozenset[int] = frozenset(),
                  anywhere: bool = False) -> bool:
        """Make room for one student of unit i in group g (True if there is room after).

        Ejection chains, depth first: students of other units in g, present on the full
        days, move to groups that already hold their class, which may in turn need students
        moved on (at most ``DEPTH`` groups deep, a group once per chain, a bounded number of
        tries). Only such moves are made, so no (class, group) pair is added — unless
        ``anywhere``, when a student may also move to a group without its class."""
        need = self.dayset[i]
        if not need <= self.active[g]:
            return False
        key = (need, g, banned, anywhere)
        if self.failed.get(key) == self.version:
            return False
        self._tries = TRIES
        if self._free(g, need, banned | {g}, DEPTH, i, anywhere):
            return True
        self.failed[key] = self.version
        return False

    def _free(self, h: int, need: frozenset[str], seen: frozenset[int], depth: int,
              keep: int, anywhere: bool) -> bool:
        """One seat in group h on every day of ``need``, moving students of units but
        ``keep``."""
        while True:
            full = {d for d in need if self.load[h][d] >= self.cap}
            if not full:
                return True
            if depth == 0 or self._tries <= 0:
                return False
            # only units with students here (a kept count of 0 would go below 0 and
            # let the group pass the cap unseen)
            movable = sorted((j for j, n in self.members[h].items()
                              if n > 0 and j != keep and not full.isdisjoint(self.dayset[j])),
                             key=lambda j: (-len(full & self.dayset[j]), j))
            if not any(self._move_out(j, h, seen, depth, anywhere) for j in movable):
                return False

    def _move_out(self, j: int, h: int, seen: frozenset[int], depth: int, anywhere: bool
                  ) -> bool:
        self._tries -= 1
        days = self.dayset[j]
        targets = self.groups_of(self.units[j].klass)
        if anywhere:
            targets += [t for t in range(len(self.active)) if t not in targets]
        for t in targets:
            if t in seen or not days <= self.active[t]:
                continue
            self._tries -= 1
            if self._free(t, days, seen | {t}, depth - 1, j, False):
                self.move(j, h, t, 1)
                return True
            if self._tries <= 0:
                return False
        return False

    def place(self, i: int, new_pairs: bool) -> None:
        """Place the students of unit i still left: in groups that hold the class (making
        room there if need be); then, if ``new_pairs``, one more group at a time, the one
        where most fit."""
        klass = self.units[i].klass
        while self.left[i]:
            for g in self.groups_of(klass):
                self._fill(i, g)
                while self.left[i] and self.free_seat(i, g):
                    self._fill(i, g)
            if not self.left[i] or not new_pairs:
                return
            fresh = [g for g in range(len(self.active)) if self.count[klass, g] == 0]
            best = max(fresh, key=lambda g: (self.room(i, g), -g), default=None)
            if best is None or not self.room(i, best):
                best = next((g for g in fresh if self.free_seat(i, g)), None)
            if best is None:
                best = next((g for g in range(len(self.active))
                             if self.free_seat(i, g, anywhere=True)), None)
            if best is None:
                return
            self._fill(i, best)

    def _fill(self, i: int, g: int) -> None:
        n = min(self.left[i], self.room(i, g))
        if n > 0:
            self.move(i, None, g, n)

    def finish(self, first_fit: bool = False) -> list[dict[int, int]]:
        """Place what is left and return the placement: where the class already is, then
        one new group at a time; or, ``first_fit``, into the first group with room (which
        splits classes but opens fewer groups); then by ejecting others; then new groups."""
        order = sorted(range(len(self.units)), key=lambda i: -self.left[i])
        if first_fit:
            order = list(range(len(self.units)))
            n_days = len(self.days)
            groups = sorted(range(len(self.active)),  # all-week groups first
                            key=lambda g: (len(self.active[g]) < n_days, g))
            for i in order:
                for g in groups:
                    self._fill(i, g)
                while self.left[i] and self._eject(i):
                    pass
        for i in order:
            self.place(i, new_pairs=False)
        for i in order:
            self.place(i, new_pairs=True)
        for i in order:
            while self.left[i] and self._eject(i):
                pass
        opened = len(self.active)
        for i in order:
            for g in range(opened, len(self.active)):  # groups opened for earlier units
                self._fill(i, g)
            while self.left[i]:
                self.active.append(frozenset(self.days))
                self.load.append({d: 0 for d in self.days})
                self.open.append(set(self.days))
                self.members.append({})
                self._fill(i, len(self.active) - 1)
        return self.placed

    def _eject(self, i: int) -> bool:
        """Last resort before a new group: in some group, move every other student who is
        present on a day it is full for unit i to any group with room, then place unit i."""
        for g in range(len(self.active)):
            if not self.dayset[i] <= self.active[g]:
                continue
            for j in sorted(self.members[g]):
                full = self.blocked(i, g)
                if not full:
                    break
                if j == i or not full <= self.dayset[j]:
                    continue
                h = next((h for h in range(len(self.active))
                          if h != g and self.fits(j, h)), None)
                if h is not None:
                    self.move(j, g, h, min(self.members[g][j], self.room(j, h)))
            if self.fits(i, g):
                self._fill(i, g)
                return True
        return False

    @classmethod
    def of(cls, units: list[Unit], days: tuple[str, ...], cap: int,
           placed: list[dict[int, int]]) -> Packing:
        """A finished placement as a packing whose groups meet on the days they meet now
        (so moves never add a group-day)."""
        n_groups = 1 + max((g for where in placed for g in where), default=-1)
        active = [set() for _ in range(n_groups)]
        for u, where in zip(units, placed):
            for g in where:
                active[g].update(u.days)
        pk = cls(units, days, cap, [frozenset(a) for a in active])
        for i, where in enumerate(placed):
            for g, n in sorted(where.items()):
                pk.move(i, None, g, n)
        return pk

    def merge(self) -> list[dict[int, int]]:
        """Take each split class out of the group where it has fewest students, when its
        other groups can hold them or can swap them for students on the same days of a class
        also in that group (a class half taken out keeps its pairs; none is added)."""
        classes = sorted({u.klass for u in self.units}, key=class_key)
        for klass in classes:
            for g in sorted(self.groups_of(klass), key=lambda g: (self.count[klass, g], g)):
                others = [h for h in self.groups_of(klass) if h != g]
                if not others:
                    break
                for i in sorted(i for i in self.members[g] if self.units[i].klass == klass):
                    while self.members[g].get(i):
                        h = next((h for h in others if self.fits(i, h)
                                  or self.free_seat(i, h, frozenset({g}))), None)
                        if h is not None:
                            self.move(i, g, h, min(self.members[g][i], self.room(i, h)))
                        elif not self._swap(i, g, others):
                            break
        return self.placed

    def balance(self, steps: int | None = None) -> list[dict[int, int]]:
        """Raise the smallest number present in a group on a day it meets: move students,
        one at a time, into the smallest (group, day) from another group holding their
        class, where they meet only on days that group meets, while the giver keeps at
        least as many as the receiver will have. Never adds a group-day or a (class,
        group) pair, never passes the cap; stops when no move raises the minimum (or after
        ``steps`` moves)."""
        if steps is None:  # each move lifts a group by one student: enough to even a band
            steps = min(sum(len(u.students) for u in self.units), 20 * len(self.active) + 100)
        by_class: dict[str, list[int]] = defaultdict(list)
        for i, u in enumerate(self.units):
            by_class[u.klass].append(i)
        for _ in range(steps):
            present = [(self.load[g][d], g, d) for g in range(len(self.active))
                       for d in self.active[g] if self.load[g][d] > 0]
            if not present:
                break
            low, g, d = min(present)
            moved = False
            for klass in sorted({self.units[i].klass for i in self.members[g]}):
                for i in by_class[klass]:
                    if d not in self.dayset[i] or not self.dayset[i] <= self.active[g] \
                            or self.room(i, g) <= 0:
                        continue
                    for h in sorted(self.placed[i]):  # (a count may be a kept 0)
                        if h != g and self.placed[i][h] > 0 and all(self.load[h][e] - 1 >= low + 1
                                          for e in self.units[i].days):
                            self.move(i, h, g, 1)
                            moved = True
                            break
                    if moved:
                        break
                if moved:
                    break
            if not moved:
                break
        return self.placed

    def _swap(self, i: int, g: int, others: list[int]) -> bool:
        """Exchange students of unit i in group g one for one with students of another class
        in one of ``others`` (a class also in g), where the days they do not share have room."""
        mine = self.dayset[i]
        for h in others:
            if not mine <= self.active[h]:
                continue
            for j in sorted(self.members[h]):
                theirs = self.dayset[j]
                if (j == i or self.units[j].klass == self.units[i].klass
                        or self.count[self.units[j].klass, g] == 0
                        or not theirs <= self.active[g]):
                    continue
                # one for one: g gains the days only j has, h the days only i has
                n = min([self.members[g][i], self.members[h][j]]
                        + [self.cap - self.load[g][d] for d in theirs - mine]
                        + [self.cap - self.load[h][d] for d in mine - theirs])
                if n > 0:
                    self.move(i, g, h, n)
                    self.move(j, h, g, n)
                    return True
        return False


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


FIT_WINDOW = 10  # classes, next in order, a group chooses from
FIT_WHOLE = 4  # whole classes a group may take besides the one it splits


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
    for j, units in enumerate(parts):
        rest, taken = left.copy(), np.zeros(len(sets), dtype=np.int64)
        for n, days in units:
            take = np.minimum(n, rest[:, days].min(1))
            rest[:, days] -= take[:, None]
            filled[:, j] += take * len(days)
            taken += take
        whole[:, j] = taken == sum(n for n, _ in units)
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


FULL_MODEL_LIMIT = 6000  # unit-group pairs up to which the exact model is tried
WINDOW_LIMIT = 3000  # unit-group pairs up to which the window search polishes the start


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

    def score(self, placement: list[dict[int, int]]) -> tuple[int, int, int]:
        return _score(self.units, placement, self.session.days)

    def groups_per_day(self, placement: list[dict[int, int]]) -> dict[str, int]:
        return groups_per_day(self.units, placement, self.session.days)

    def manager_minutes(self, placement: list[dict[int, int]]) -> int:
        return self.managers(self.groups_per_day(placement))

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
        # within e group-days of the fewest: fewest manager minutes (paid time), then pairs
        cost = [self.manager_minutes(p) for _, p in self.scored]
        self.menu = [min(zip(self.scored, cost), key=lambda sc: (
            sc[0][0][0] > fewest + e, sc[1], sc[0][0][1:], sc[0][0][0]))[0][1]
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
        # group-days (within the allowance), then paid minutes: the session's group
        # minutes are equal there, so its manager minutes decide; then pairs, grades;
        # last the largest smallest group
        gd, pairs, grades = _score(units, placement, days)
        return (max(0, gd - allowed), prep.manager_minutes(placement), pairs, grades, gd,
                -min(_present(units, placement).values(), default=0))

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
    if low < target and structure is not None and not opts.out_of_time():
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


BALANCE_LIMIT = 400  # (class, group) pairs whose students the balancing model moves
WHOLE_LIMIT = 30  # (class, group) pairs up to which every student may move
SMALL_GROUPS = 4  # there: groups at least, the smallest first, that may trade their days


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


LIFT_SHARE = 0.8  # of the bound at the group-days: ``lift_smallest`` aims this high
LIFT_PAIRS = 0.3  # of a band's class pairs (rounded down): what lifting may spend


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
    for goes to the class with most pupils who could follow), then from the fullest giver. Stops at ``target``, when no move is left, or when a move would pass
    the pair allowance, or once ``late()`` (the deadline, a backstop). Deterministic: ties
    go to the lowest unit and group numbers."""
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
        if best is None:
            break
        pk.move(best[3], best[4], g, 1)
    return pk.placed


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


SMALL_TARGET = 20  # a smallest group below this (and below its bound) may cost pairs
SMALL_PAIRS = 2  # class pairs per band a smallest group below SMALL_TARGET may cost
STRUCTURE_DET = 0.05  # deterministic seconds for ``day_structure`` (milliseconds suffice)


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


def _present(units: list[Unit], placed: list[dict[int, int]]) -> dict[tuple[int, str], int]:
    """Students present per (group, day) where someone is."""
    loads: dict[tuple[int, str], int] = defaultdict(int)
    for u, where in zip(units, placed):
        for g, k in where.items():
            for d in u.days:
                loads[g, d] += k
    return {key: v for key, v in loads.items() if v}
