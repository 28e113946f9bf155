"""Reading a ``plan.json`` (SPEC §8) back into a ``Plan``; anything else is bad input.

A plan file may have been edited by hand: a string holding a control character (a newline
in a staff id, say) cannot come from ``afterschool plan`` and would break the calendars and
sheets written from it, so it is refused with its place in the file (the value not shown).
"""
from __future__ import annotations

import json
from pathlib import Path

from afterschool.models.errors import InputError, Problem
from afterschool.models.plan import Plan
from afterschool.scheduler.reading.clean import clean_text


def _control_characters(value, where: str = "") -> str | None:
    """The JSON path of the first string holding a control character, or None."""
    if isinstance(value, str):
        text, found = clean_text(value, limit=max(len(value), 1))
        return where or "/" if any("control" in f for f in found) else None
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for k, v in items:
        if isinstance(k, str) and _control_characters(k) is not None:
            return f"{where}/{k!r}"
        hit = _control_characters(v, f"{where}/{k}")
        if hit is not None:
            return hit
    return None


def read_plan(plan_file: str | Path) -> Plan:
    """A plan from ``plan.json`` or from the folder that holds it."""
    path = Path(plan_file)
    if path.is_dir():
        path = path / "plan.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        hit = _control_characters(data)
        if hit is not None:
            raise InputError([Problem(str(path), "control character in a value",
                                      column=hit, expected="a plan.json written by "
                                      "afterschool plan")])
        return Plan.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError([Problem(str(path), f"not a readable plan: {exc}",
                                  expected="plan.json written by afterschool plan")]) from None
