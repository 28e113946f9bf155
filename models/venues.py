"""Venues and activities of the afternoon's content (SPEC §12): plain data, no solver.

- ``Venue``: ``id, name, kind`` (one of ``VENUE_KINDS``), ``capacity`` (pupils at once),
  ``groups`` (groups at once), ``outdoor``, ``available`` (``(day, start, end)`` windows in
  minutes; empty: always available) and ``homeroom`` (the class whose homeroom it is, from
  ``rooms.csv``; ``None`` otherwise).
- ``Activity``: ``id, name, venue_kinds, per_week`` (slots per afternoon group and week) and
  ``rain_venue_kinds`` (where an outdoor activity moves on a rainy day).
- ``Reserved``: a venue already taken at ``(day, start, end)`` by something outside the care
  groups (a club, SPEC §12); it counts against the venue's ``groups`` limit.
- ``HOME_KINDS``: the kinds a group may do homework help in (its "room").
"""
from __future__ import annotations

from dataclasses import dataclass

VENUE_KINDS: tuple[str, ...] = ("classroom", "playground", "gym", "hall", "library", "special")
HOME_KINDS: frozenset[str] = frozenset({"classroom", "library", "hall", "special"})


@dataclass(frozen=True)
class Venue:
    id: str
    name: str
    kind: str
    capacity: int
    groups: int = 1
    outdoor: bool = False
    available: tuple[tuple[str, int, int], ...] = ()
    homeroom: str | None = None

    def open_for(self, day: str, start: int, end: int) -> bool:
        """True when ``[start, end)`` on ``day`` lies inside one ``available`` window (or the
        venue has no windows: always open)."""
        if not self.available:
            return True
        return any(d == day and s <= start and end <= e for d, s, e in self.available)

    @property
    def home(self) -> bool:
        """A room for homework help: indoor and of a ``HOME_KINDS`` kind."""
        return not self.outdoor and self.kind in HOME_KINDS


@dataclass(frozen=True)
class Activity:
    id: str
    name: str
    venue_kinds: tuple[str, ...]
    per_week: int
    rain_venue_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reserved:
    day: str
    session: str
    venue: str
    start: int
    end: int
