"""``Packing``: a placement under construction and the moves the constructive heuristics
use (ejection chains, merge, balance). Input: units, days, cap and each group's days.
Output: a placement. Rules: the cap on every day, a group meets only on its active days,
no (class, group) pair added except by ``finish``'s last resorts.
"""
from __future__ import annotations

from collections import defaultdict

from afterschool.scheduler.planning.grouping.constants import DEPTH, TRIES
from afterschool.scheduler.planning.grouping.units import class_key, Unit


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
        self.sorted_holding: dict[str, list[int]] = {}  # ``groups_of``, until it changes
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
                self.sorted_holding.pop(u.klass, None)
            for d in u.days:
                self.load[g][d] -= n
            self.open[g].update(u.days)  # a group only meets on its active days
        self.placed[i][h] = self.placed[i].get(h, 0) + n
        self.members[h][i] = self.members[h].get(i, 0) + n
        self.count[u.klass, h] += n
        if h not in self.holding[u.klass]:
            self.holding[u.klass].add(h)
            self.sorted_holding.pop(u.klass, None)
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
        """The groups holding the class, in order (a list never changed once returned)."""
        found = self.sorted_holding.get(klass)
        if found is None:
            found = self.sorted_holding[klass] = sorted(self.holding[klass])
        return found

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
        load, cap, dayset = self.load[h], self.cap, self.dayset
        while True:
            full = {d for d in need if load[d] >= cap}
            if not full:
                return True
            if depth == 0 or self._tries <= 0:
                return False
            # only units with students here (a kept count of 0 would go below 0 and
            # let the group pass the cap unseen), most full days shared first
            movable = sorted([(-c, j) for j, n in self.members[h].items()
                              if n > 0 and j != keep and (c := len(full & dayset[j]))])
            for _, j in movable:
                if self._move_out(j, h, seen, depth, anywhere):
                    break
            else:
                return False

    def _move_out(self, j: int, h: int, seen: frozenset[int], depth: int, anywhere: bool
                  ) -> bool:
        self._tries -= 1
        days = self.dayset[j]
        targets = self.groups_of(self.units[j].klass)
        if anywhere:
            targets = targets + [t for t in range(len(self.active)) if t not in targets]
        active, load, cap = self.active, self.load, self.cap
        for t in targets:
            if t in seen or not days <= active[t]:
                continue
            self._tries -= 1
            if depth == 1:  # the chain's end: ``_free`` at depth 0 only looks for room
                load_t = load[t]
                free = all(load_t[d] < cap for d in days)
            else:
                free = self._free(t, days, seen | {t}, depth - 1, j, False)
            if free:
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
