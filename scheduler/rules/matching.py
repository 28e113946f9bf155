"""One teacher-to-group matcher for a slot (SPEC §4: one teacher per group present).

``match_slot(teachers, groups, cost, fixed)``: the teachers chosen for one slot of a
session on a day to its groups present, one each. ``fixed`` pairs come first (a kept duty
bound to its group); then every other (teacher, group) pair by rising ``cost(t, g)`` (a
tuple ending in ``t, g``, so ties break by ids and the result is deterministic), each taken
while both are free. Groups left without a teacher are the caller's shortages. Used by
``assign`` (a first plan) and ``replan`` (with the previous plan's duties as costs).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


def match_slot(teachers: Iterable[str], groups: Iterable[str], cost: Callable[[str, str], tuple],
               fixed: Mapping[str, str] | None = None) -> dict[str, str]:
    """Teacher -> group for one slot (module docstring)."""
    groups = list(groups)
    now = {t: g for t, g in (fixed or {}).items() if g in groups}
    taken = set(now.values())
    for *_, t, g in sorted(cost(t, g) for t in teachers if t not in now
                           for g in groups if g not in taken):
        if t not in now and g not in taken:
            now[t] = g
            taken.add(g)
    return now
