"""Typed records the term commands write per event into ``plan.json`` and the term record.

Input: one duty of an absent person on a date (``substitute.Post``), who covers it (or
nobody) and whom it replaces. Output: ``Cover``, written as one entry of the plan's
``exceptions`` (and the record's covers) by ``as_dict``: date, day, session, window, slot,
group, start, end, role, staff, replaces, in that order (``docs/plan-file.md``).
Rules: none; one shape for ``substitute`` and the re-plan's covers found again.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from afterschool.models.school import fmt_time


@dataclass(frozen=True)
class Cover:
    """One substitution: ``staff`` takes ``replaces``'s duty on ``date`` (None: nobody, a
    shortage that date). A teacher duty names session, slot and group, a manager duty its
    window; the others are None."""
    date: str  # ISO
    day: str
    session: str | None
    window: str | None
    slot: str | None
    group: str | None
    start: str  # HH:MM
    end: str
    role: str  # teacher | manager
    staff: str | None
    replaces: str

    @classmethod
    def of(cls, post, staff: str | None, replaces: str) -> Cover:
        """The cover of ``post`` (a ``substitute.Post``) by ``staff``."""
        return cls(post.date.isoformat(), post.day, post.session, post.window, post.slot,
                   post.group, fmt_time(post.start), fmt_time(post.end), post.role, staff,
                   replaces)

    def as_dict(self) -> dict:
        return asdict(self)  # the fields, in order
