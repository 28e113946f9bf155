"""Reading a ``plan.json`` (SPEC §8) back into a ``Plan``; anything else is bad input."""
from __future__ import annotations

import json
from pathlib import Path

from afterschool.models.errors import InputError, Problem
from afterschool.models.plan import Plan


def read_plan(plan_file: str | Path) -> Plan:
    """A plan from ``plan.json`` or from the folder that holds it."""
    path = Path(plan_file)
    if path.is_dir():
        path = path / "plan.json"
    try:
        return Plan.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError([Problem(str(path), f"not a readable plan: {exc}",
                                  expected="plan.json written by afterschool plan")]) from None
