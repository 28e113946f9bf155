"""Students, staff and declared availability (SPEC §3, §8)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Reduction:
    """A fee reduction: a percentage (``50%``) or an amount in yuan (``30.00``)."""

    percent: Decimal | None = None
    amount: Decimal | None = None

    def apply(self, fee: Decimal) -> Decimal:
        if self.percent is not None:
            fee = fee * (Decimal(100) - self.percent) / Decimal(100)
        if self.amount is not None:
            fee = fee - self.amount
        return max(fee, Decimal(0))


@dataclass(frozen=True)
class Student:
    """One row of students.csv. ``klass`` is normalised to ``grade-number`` (``3-2``)."""

    id: str
    name: str
    grade: int
    klass: str
    noon: tuple[str, ...] = ()
    afternoon: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    fee_category: str = "normal"
    fee_reduction: Reduction | None = None
    lunch: bool = True
    status: str = "enrolled"
    applied_on: date | None = None

    def days(self, signup: str) -> tuple[str, ...]:
        return self.noon if signup == "noon" else self.afternoon


@dataclass(frozen=True)
class Teacher:
    """One row of teachers.csv. Blank numbers are ``None`` and take the school defaults."""

    id: str
    name: str
    volunteer: bool = True
    can_manage: bool = False
    kind: str = "staff"
    hourly_rate: Decimal | None = None
    max_weekly_minutes: int | None = None
    classes: tuple[str, ...] = ()
    allow_double: bool = False


@dataclass(frozen=True)
class Availability:
    """One row of availability.csv; ``session`` is a session id or a duty-window id."""

    teacher: str
    day: str
    session: str
    status: str = "available"
