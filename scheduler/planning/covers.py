"""Covers through a re-plan (SPEC §9: absences are facts, covers follow from them).

Input: the instance, the new plan (its new current version, the exceptions dated before the
re-plan's date already in it) and the previous plan's exceptions dated from that date on.
Output: ``Carried``: the exceptions kept, those dropped (the duty or its cover changed) and
the new ones found, all applied to the plan.

In date order, each earlier exception is kept when the new version still gives the absent
person that duty on that date (same role, session or window, group, slot and times, after
the exceptions of that date kept so far) and its cover, if any, may still take it on that
date by every rule of ``substitute`` (volunteer, available, not on duty then, daily limit,
calendar-week limit, double duty). The absence itself stays a fact: afterwards every duty
the absent person holds on that date in the new version and not covered yet is covered by
``substitute`` (fewest minutes uncovered, fewest people asked, ...) or left a dated
shortage (``staff`` None), so the absent person is never back on duty that date.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from afterschool.models.errors import InputError
from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.models.school import parse_time
from afterschool.scheduler.planning.substitute import (DayBook, Post, _candidates,
                                                       _exception_key, substitute)
from afterschool.scheduler.rules.staffing import duty_windows


@dataclass
class Carried:
    kept: list[dict] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)


def _post(inst: Instance, x: dict, day: str, when: date) -> Post:
    a, b = parse_time(x["start"]), parse_time(x["end"])
    held = next((w.id for w in duty_windows(inst.school.sessions, day)
                 if w.start <= a and b <= w.end), x.get("window") or "")
    teacher = x["role"] == "teacher"
    return Post(when, day, x["role"], x.get("session") if teacher else None,
                None if teacher else x.get("window"), x.get("slot") if teacher else None,
                x.get("group") if teacher else None, a, b, held)


def carry_covers(inst: Instance, plan: Plan, later: list[dict], *, time_limit: float = 0.5,
                 seed: int = 0) -> tuple[Plan, Carried]:
    """Keep, drop and re-find the covers ``later`` (module docstring); the plan returned
    holds the result (its money is left to the caller)."""
    out = Carried()
    ordered = sorted(later, key=lambda x: (x["date"], x["start"]))
    for x in ordered:
        when = date.fromisoformat(x["date"])
        book = DayBook(inst, plan)
        if when not in book.day_of:
            out.dropped.append(x)
            continue
        day = book.day_of[when]
        key = _exception_key(x)
        held = any(entry[0] == key and entry[1] == x["replaces"] for entry in book.entries(when))
        keep = held
        if held and x.get("staff") is not None:
            post = _post(inst, x, day, when)
            keep = x["staff"] in _candidates(inst, book, x["replaces"], [post]).who[0]
        if keep:
            plan = replace(plan, exceptions=list(plan.exceptions) + [x])
            out.kept.append(x)
        else:
            out.dropped.append(x)
    absences = sorted({(x["replaces"], x["date"]) for x in ordered})
    for who, when in absences:
        if who not in {t.id for t in inst.teachers}:
            continue
        try:
            sub = substitute(inst, plan, who, [when], time_limit=time_limit, seed=seed)
        except InputError:  # nothing of theirs left to cover that date
            continue
        plan = replace(plan, exceptions=list(plan.exceptions) + sub.added)
        out.added += sub.added
    return plan, out
