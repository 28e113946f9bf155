"""One teacher-to-group matcher for a slot (SPEC §4: one teacher per group present).

``match_slot(teachers, groups, cost, fixed)``: the teachers chosen for one slot of a
session on a day to its groups present, one each. ``fixed`` pairs come first (a kept duty
bound to its group); then every other (teacher, group) pair by rising ``cost(t, g)`` (a
tuple ending in ``t, g``, so ties break by ids and the result is deterministic), each taken
while both are free. Used by ``assign`` (a first plan) and ``replan`` (with the previous
plan's duties as costs).

``slot_rows(day, session, slot, now, groups)``: the slot's duties (one per matched teacher)
and its shortages (one teacher each for a group left without one), as the plan writes them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from afterschool.models.plan import Duty, Shortage
from afterschool.models.school import fmt_time


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


def slot_rows(day: str, session, slot, now: Mapping[str, str], groups: Iterable[str]
              ) -> tuple[list[Duty], list[Shortage]]:
    """The duties of a slot's matching ``now`` (teacher -> group) and the shortages of
    ``groups`` it leaves without a teacher (module docstring)."""
    start, end = fmt_time(slot.start), fmt_time(slot.end)
    taken = set(now.values())
    return ([Duty(day=day, start=start, end=end, staff=t, role="teacher", session=session.id,
                  group=g, slot=slot.name) for t, g in sorted(now.items())],
            [Shortage(day=day, start=start, end=end, role="teacher", session=session.id,
                      group=g, count=1, slot=slot.name) for g in groups if g not in taken])
