"""Clubs (社团活动, SPEC §12): what a school offers, what pupils choose, what a lottery gave.

- ``ClubRules``: ``[clubs]`` of ``school.toml``: ``per_pupil`` (clubs a pupil may hold,
  default 1), ``rate`` (the hourly rate of an external instructor whose row names none,
  yuan), ``start`` (first date clubs meet; ``None``: the term start).
- ``Club``: one row of ``clubs.csv``; ``instructor`` is a staff id or ``"external"``
  (paid ``rate`` yuan an hour); ``venue`` a venue id; ``fee`` the per-term club fee
  (``Decimal('0')`` when blank).
- ``ClubChoice``: one row of ``club_choices.csv``: a pupil's choices, best first.
- ``Lottery``: a lottery's result as ``plan.json`` keeps it under ``"clubs"``.
No solver import lives here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

EXTERNAL = "external"


@dataclass(frozen=True)
class ClubRules:
    per_pupil: int = 1
    rate: Decimal | None = None
    start: date | None = None


@dataclass(frozen=True)
class Club:
    id: str
    name: str
    days: tuple[str, ...]
    session: str
    capacity: int
    min_size: int
    grades: tuple[int, ...]
    instructor: str  # a staff id, or EXTERNAL
    venue: str = ""
    fee: Decimal = Decimal("0")
    instructor_rate: Decimal | None = None  # external only; None: [clubs] rate

    @property
    def external(self) -> bool:
        return self.instructor == EXTERNAL


@dataclass(frozen=True)
class ClubChoice:
    student: str
    choices: tuple[str, ...]  # club ids, best first, no repeats


@dataclass(frozen=True)
class Lottery:
    """``assigned``: (student, club) pairs; ``waiting``: (club, student, place) with
    places 1, 2, … per club; ``cancelled``: club ids under their minimum."""

    seed: int
    assigned: tuple[tuple[str, str], ...]
    waiting: tuple[tuple[str, str, int], ...]
    cancelled: tuple[str, ...]
    order: tuple[str, ...] = field(default=(), compare=False)  # the draw, first first

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed,
                "assigned": [{"student": s, "club": c} for s, c in self.assigned],
                "waiting": [{"club": c, "student": s, "place": p}
                            for c, s, p in self.waiting],
                "cancelled": list(self.cancelled)}

    def members(self, club: str) -> list[str]:
        return [s for s, c in self.assigned if c == club]
