"""A plan (SPEC §8, schema ``afterschool-plan/1``): groups, duties, shortages and figures.

``Plan.to_dict`` writes every key of the schema; keys beyond the schema (bounds, gaps,
penalties, solve statistics) live in ``extra`` and are written after them.

Plan versions during the term (SPEC §9):
- ``valid_from``: ISO date from which this plan's groups and duties hold (``None``: the
  whole term, a first plan).
- ``history``: the earlier versions, oldest first, each a dict ``{"valid_from",
  "valid_to", "groups", "duties", "shortages"}`` in the same JSON form as the plan's own
  keys, and ``"signups"``: each of its students' sign-ups as they stood then
  (``{"S0001": {"noon": [...], "afternoon": [...], "lunch": true}}``), so the fees of an
  earlier version follow the weekdays signed up then, not today's sheet. ``valid_to`` is the last date a version is in force (inclusive): the day before the
  next version's ``valid_from``. The first version's ``valid_from`` is the term start.
- ``exceptions``: one dict per duty and date covered by somebody else (substitution):
  ``{"date", "day", "session", "window", "slot", "group", "start", "end", "role",
  "staff", "replaces"}``; ``staff`` is ``None`` where nobody could cover (a shortage on
  that date).
``Plan.versions()`` gives every version, the current one last, as ``Version`` objects.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from afterschool.models.school import parse_time

SCHEMA = "afterschool-plan/1"


@dataclass(frozen=True)
class Group:
    id: str
    session: str
    students: tuple[str, ...]


@dataclass(frozen=True)
class Duty:
    """A teacher in (day, session, slot, group), or a manager over a duty window."""

    day: str
    start: str
    end: str
    staff: str
    role: str  # teacher | manager
    session: str | None = None
    group: str | None = None
    slot: str | None = None
    window: str | None = None

    @property
    def minutes(self) -> int:
        """Length of the duty in minutes."""
        return parse_time(self.end) - parse_time(self.start)

    def to_dict(self) -> dict[str, Any]:
        if self.role == "manager":
            return {"day": self.day, "window": self.window, "group": None, "start": self.start,
                    "end": self.end, "staff": self.staff, "role": self.role}
        return {"day": self.day, "session": self.session, "group": self.group, "slot": self.slot,
                "start": self.start, "end": self.end, "staff": self.staff, "role": self.role}


@dataclass(frozen=True)
class Shortage:
    day: str
    start: str
    end: str
    role: str
    session: str | None = None
    group: str | None = None
    count: int = 1
    window: str | None = None
    slot: str | None = None


@dataclass(frozen=True)
class Version:
    """One version of the plan and the dates it is in force (``valid_to`` inclusive;
    ``None`` for the current version: to the end of the term)."""

    valid_from: str | None
    valid_to: str | None
    groups: tuple[Group, ...]
    duties: tuple[Duty, ...]
    shortages: tuple[Shortage, ...]
    signups: dict[str, dict[str, Any]] = field(default_factory=dict)


def _groups_from(raw: list[dict]) -> list[Group]:
    return [Group(g["id"], g["session"], tuple(g["students"])) for g in raw]


def _duties_from(raw: list[dict]) -> list[Duty]:
    return [Duty(day=d["day"], start=d["start"], end=d["end"], staff=d["staff"],
                 role=d["role"], session=d.get("session"), group=d.get("group"),
                 slot=d.get("slot"), window=d.get("window")) for d in raw]


def _shortages_json(shortages) -> list[dict]:
    return [{k: v for k, v in asdict(s).items() if v is not None or k in ("session", "group")}
            for s in shortages]


def groups_json(groups) -> list[dict]:
    return [{"id": g.id, "session": g.session, "students": list(g.students)} for g in groups]


def version_json(valid_from: str | None, valid_to: str | None, groups, duties,
                 shortages, signups: dict[str, dict[str, Any]] | None = None
                 ) -> dict[str, Any]:
    """A history entry (SPEC §9) in the JSON form ``plan.json`` keeps; ``signups``: the
    sign-ups of its students as they stood then (weekdays per column, lunch)."""
    out = {"valid_from": valid_from, "valid_to": valid_to, "groups": groups_json(groups),
           "duties": [d.to_dict() for d in duties], "shortages": _shortages_json(shortages)}
    if signups:
        out["signups"] = signups
    return out


@dataclass
class Plan:
    status: str
    groups: list[Group] = field(default_factory=list)
    duties: list[Duty] = field(default_factory=list)
    shortages: list[Shortage] = field(default_factory=list)
    fees: list[dict[str, Any]] = field(default_factory=list)
    pay: list[dict[str, Any]] = field(default_factory=list)
    staffing: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    valid_from: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)

    def versions(self) -> list[Version]:
        """Every version of the plan, oldest first, the current one last."""
        out = [Version(h["valid_from"], h["valid_to"], tuple(_groups_from(h["groups"])),
                       tuple(_duties_from(h["duties"])),
                       tuple(Shortage(**s) for s in h.get("shortages", [])),
                       dict(h.get("signups", {})))
               for h in self.history]
        out.append(Version(self.valid_from, None, tuple(self.groups), tuple(self.duties),
                           tuple(self.shortages)))
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "status": self.status,
            "groups": groups_json(self.groups),
            "duties": [d.to_dict() for d in self.duties],
            "shortages": _shortages_json(self.shortages),
            "fees": self.fees,
            "pay": self.pay,
            "staffing": self.staffing,
        }
        if self.valid_from is not None:
            out["valid_from"] = self.valid_from
        if self.history:
            out["history"] = self.history
        if self.exceptions:
            out["exceptions"] = self.exceptions
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Plan":
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not an {SCHEMA} plan (schema = {data.get('schema')!r})")
        known = {"schema", "status", "groups", "duties", "shortages", "fees", "pay", "staffing",
                 "valid_from", "history", "exceptions"}
        return cls(
            status=data["status"],
            groups=_groups_from(data["groups"]),
            duties=_duties_from(data["duties"]),
            shortages=[Shortage(**s) for s in data.get("shortages", [])],
            fees=data.get("fees", []), pay=data.get("pay", []),
            staffing=data.get("staffing", []),
            extra={k: v for k, v in data.items() if k not in known},
            valid_from=data.get("valid_from"), history=list(data.get("history", [])),
            exceptions=list(data.get("exceptions", [])),
        )
