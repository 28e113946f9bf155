"""Students as counting units and placements: shapes and counts shared by every step.

Input: a session and its students. Output: ``Unit`` (class, weekday pattern, students),
placements (unit -> group -> count), ``GroupingResult``, and the counts every objective is
made of (``evaluate``, ``_score``: group-days, class pairs, grade pairs; ``_present``:
students per group and day; ``groups_per_day``). ``greedy`` is first fit by class, the
baseline every plan is compared with. Rules: a group meets on every day one of its
students comes; never more than the cap present.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from afterschool.models.people import Student
from afterschool.models.school import Session
from afterschool.scheduler.planning.cpsat import PhaseResult


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



def _score(units: list[Unit], placed: list[dict[int, int]], days) -> tuple[int, int, int]:
    gd, pairs = evaluate(units, placed, days)
    grades = len({(u.grade, g) for u, where in zip(units, placed) for g, k in where.items() if k})
    return gd, pairs, grades



def _present(units: list[Unit], placed: list[dict[int, int]]) -> dict[tuple[int, str], int]:
    """Students present per (group, day) where someone is."""
    loads: dict[tuple[int, str], int] = defaultdict(int)
    for u, where in zip(units, placed):
        for g, k in where.items():
            for d in u.days:
                loads[g, d] += k
    return {key: v for key, v in loads.items() if v}
