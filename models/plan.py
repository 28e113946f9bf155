"""A plan (SPEC §8, schema ``afterschool-plan/1``): groups, duties, shortages and figures.

``Plan.to_dict`` writes every key of the schema; keys beyond the schema (bounds, gaps,
penalties, solve statistics) live in ``extra`` and are written after them.
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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "status": self.status,
            "groups": [{"id": g.id, "session": g.session, "students": list(g.students)}
                       for g in self.groups],
            "duties": [d.to_dict() for d in self.duties],
            "shortages": [{k: v for k, v in asdict(s).items()
                           if v is not None or k in ("session", "group")}
                          for s in self.shortages],
            "fees": self.fees,
            "pay": self.pay,
            "staffing": self.staffing,
        }
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Plan":
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not an {SCHEMA} plan (schema = {data.get('schema')!r})")
        known = {"schema", "status", "groups", "duties", "shortages", "fees", "pay", "staffing"}
        return cls(
            status=data["status"],
            groups=[Group(g["id"], g["session"], tuple(g["students"])) for g in data["groups"]],
            duties=[Duty(day=d["day"], start=d["start"], end=d["end"], staff=d["staff"],
                         role=d["role"], session=d.get("session"), group=d.get("group"),
                         slot=d.get("slot"), window=d.get("window")) for d in data["duties"]],
            shortages=[Shortage(**s) for s in data.get("shortages", [])],
            fees=data.get("fees", []), pay=data.get("pay", []),
            staffing=data.get("staffing", []),
            extra={k: v for k, v in data.items() if k not in known},
        )
