"""School, term and rules: every value of SPEC §2–§6 with its default.

Times are minutes after midnight (``int``) inside the program and ``HH:MM`` in files.
Money is ``Decimal`` yuan. A session's ``signup`` names the student column that signs up for
it (``noon`` or ``afternoon``); the afternoon column maps to the session whose grades hold
the student's grade.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from afterschool.models.clubs import ClubRules
from afterschool.models.venues import Activity, Venue

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri")
ALL_DAYS: tuple[str, ...] = WEEKDAYS + ("Sat", "Sun")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


_PARSED: dict[str, int] = {}  # "16:20" -> 980: a plan's few times, read 100,000 times


def parse_time(text: str) -> int:
    """``"16:20"`` -> 980; raises ValueError for anything not ``HH:MM``."""
    if type(text) is str:
        hit = _PARSED.get(text)
        if hit is not None:
            return hit
    m = _TIME.match(str(text).strip())
    if not m:
        raise ValueError(f"not a time HH:MM: {text!r}")
    minutes = int(m.group(1)) * 60 + int(m.group(2))
    if type(text) is str and len(_PARSED) < 4096:
        _PARSED[text] = minutes
    return minutes


def fmt_time(minutes: int) -> str:
    """980 -> ``"16:20"``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Slot:
    """A part of a session with its own teacher per group (the noon block has four)."""

    name: str
    start: int
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Session:
    """A service session (午托 / 晚托) offered to some grades on some weekdays."""

    id: str
    name: str
    grades: tuple[int, ...]
    days: tuple[str, ...]
    start: int
    end: int
    billable_minutes: int
    slots: tuple[Slot, ...]
    signup: str = "afternoon"  # which student column signs up: noon | afternoon

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def overlaps(self, other: "Session") -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class DutyWindow:
    """Overlapping sessions of one day form one window; managers serve the whole window."""

    id: str
    start: int
    end: int
    sessions: tuple[str, ...]

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Rules:
    """Numbers of SPEC §4–§6; each may be changed in ``school.toml`` [rules]."""

    group_cap: int = 45
    students_per_teacher: int = 45
    remainder_threshold: int = 30
    groups_per_manager: int = 5
    manager_remainder_threshold: int = 3
    fee_per_hour: Decimal = Decimal("2.00")
    pay_per_hour: Decimal = Decimal("60.00")
    lunch_price: Decimal = Decimal("0.00")
    max_weekly_minutes: int = 300
    max_daily_minutes: int = 130


@dataclass(frozen=True)
class Term:
    """Term dates; ``makeup_days`` maps a working weekend date to the weekday it follows;
    ``holidays_confirmed``: the school has checked that ``holidays`` lists every day off,
    including those of years the official calendar does not know yet."""

    start: date
    end: date
    holidays: frozenset[date] = frozenset()
    makeup_days: tuple[tuple[date, str], ...] = ()
    official_holidays: bool = True
    holidays_confirmed: bool = False


@dataclass(frozen=True)
class WithdrawalStep:
    """Withdrawn within ``within_days`` days of enrolment: ``refund`` percent of the fee of
    the dates that remain."""

    within_days: int
    refund: Decimal  # percent, 0-100


@dataclass(frozen=True)
class RefundPolicy:
    """``[refunds]`` of ``school.toml`` (SPEC §11): how a term's fees are settled.

    ``basis``: ``plan`` (the fee of the planned dates less cancelled ones) or
    ``attendance`` (the dates attended: present, late or early). ``withdrawal``: steps by
    calendar days enrolled before the withdrawal date, the first that holds applies; past
    the last, nothing back. ``leave_min_consecutive``/``leave_refund``: a run of at least
    that many consecutive service dates on leave is refunded at that percent (0: no such
    rule). ``surplus``: ``refund`` or ``credit`` (carried to the next term)."""

    basis: str = "plan"
    withdrawal: tuple[WithdrawalStep, ...] = ()
    leave_min_consecutive: int = 0
    leave_refund: Decimal = Decimal(0)
    surplus: str = "refund"


def default_sessions() -> tuple[Session, ...]:
    """The session table of SPEC §2."""
    t = parse_time
    noon_slots = (
        Slot("准备", t("11:20"), t("11:40")),
        Slot("午餐", t("11:40"), t("12:20")),
        Slot("作业辅导、阅读", t("12:20"), t("13:00")),
        Slot("午休", t("13:00"), t("13:30")),
    )
    content = "作业辅导、体育锻炼、社团活动"
    return (
        Session("noon", "午托", (1, 2, 3, 4, 5, 6), WEEKDAYS, t("11:20"), t("13:30"), 130,
                noon_slots, "noon"),
        Session("after-lower", "晚托(低年级)", (1, 2), WEEKDAYS[1:], t("15:35"), t("16:35"), 60,
                (Slot(content, t("15:35"), t("16:35")),), "afternoon"),
        Session("after-upper", "晚托(中高年级)", (3, 4, 5, 6), WEEKDAYS[1:], t("16:20"),
                t("17:20"), 60, (Slot(content, t("16:20"), t("17:20")),), "afternoon"),
    )


@dataclass(frozen=True)
class School:
    """A school's settings for one term."""

    name: str
    term: Term
    language: str = "zh"
    rules: Rules = field(default_factory=Rules)
    sessions: tuple[Session, ...] = field(default_factory=default_sessions)
    refunds: RefundPolicy = field(default_factory=RefundPolicy)
    pupils: int | None = None  # all pupils of the school, for the participation rate
    clubs: ClubRules = field(default_factory=ClubRules)  # [clubs] (SPEC §12)
    # SPEC §12: [[venues]] of school.toml and rooms.csv together; [[activities]]
    venues: tuple[Venue, ...] = ()
    activities: tuple[Activity, ...] = ()

    def venue(self, venue_id: str) -> Venue:
        for v in self.venues:
            if v.id == venue_id:
                return v
        raise KeyError(venue_id)

    def session(self, session_id: str) -> Session:
        for s in self.sessions:
            if s.id == session_id:
                return s
        raise KeyError(session_id)

    def session_for(self, signup: str, grade: int) -> Session | None:
        """The session a student of ``grade`` takes through sign-up column ``signup``."""
        for s in self.sessions:
            if s.signup == signup and grade in s.grades:
                return s
        return None
