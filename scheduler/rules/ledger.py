"""One copy of the rules that bind one person (SPEC §3, §9): the planners' kernel.

A plan version is a weekday pattern; the rules hold on dates. Three pieces:

- ``weekly_limit(inst, t)``: the person's own weekly limit, else the school's.
- ``week_rows(term, lo, before)``: the calendar weeks (Monday to Sunday) a pattern in force
  from ``lo`` must keep beyond its own weekly sum. A week counts each weekday as often as
  it has dates counted as that weekday (a make-up working day, 调休, adds a second Friday);
  ``before`` holds minutes a person already serves in a week outside the pattern (the
  earlier dates of ``lo``'s week under the previous version, covers kept). Only rows the
  pattern's own limit does not imply are returned: a week with a weekday twice (the most
  demanding such weeks only) or with minutes before.
- ``Ledger``: one person's state while duties are handed out one at a time (busy spans,
  daily minutes, minutes per weekday, duty windows used): ``why_not`` names the first rule
  a duty would break (``None``: it fits), ``fits`` and ``take``. The greedy starts of
  ``assign`` and ``replan`` and the pin check use it.
- ``add_week_rows(model, terms, limit, rows)``: the same calendar-week rows as CP-SAT
  constraints over (minutes, variable) terms per (person, weekday).

An item is anything with ``start``, ``end`` and ``minutes`` (a slot, a duty window). The
checker keeps its own copy of these rules on purpose and imports nothing from here.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from afterschool.models.school import WEEKDAYS, Term
from afterschool.scheduler.rules.calendar import term_dates
from afterschool.scheduler.rules.staffing import duty_windows

# reasons ``Ledger.why_not`` gives, in the order it tests them
BUSY, DAILY, WEEKLY, DOUBLE = ("on duty then", "at the daily limit", "at the weekly limit",
                               "noon and afternoon not allowed")


def weekly_limit(inst, t) -> int:
    """The person's own weekly limit (minutes), else the school's."""
    return t.max_weekly_minutes if t.max_weekly_minutes is not None else \
        inst.school.rules.max_weekly_minutes


@dataclass(frozen=True)
class WeekRow:
    """One calendar week a pattern must keep: ``count`` weekday -> dates counted as it in
    that week (from the pattern's first date on), ``before`` person -> minutes already
    served that week outside the pattern."""

    monday: date
    count: tuple[tuple[str, int], ...]
    before: Mapping[str, int] = field(default_factory=dict)

    def minutes(self, t: str, per_day: Mapping[str, int]) -> int:
        """``t``'s minutes that week when they serve ``per_day`` (weekday -> minutes)."""
        return self.before.get(t, 0) + sum(n * per_day.get(d, 0) for d, n in self.count)


def week_rows(term: Term, lo: date | None = None,
              before: Mapping[tuple[str, date], int] | None = None) -> list[WeekRow]:
    """The calendar weeks from ``lo`` (default: term start) whose limit the pattern's
    weekly sum does not imply (module docstring). ``before``: (person, Monday) -> minutes
    served that week outside the pattern."""
    lo = lo or term.start
    weeks: dict[date, Counter] = defaultdict(Counter)
    for day, dates in term_dates(term).items():
        for d in dates:
            if d >= lo:
                weeks[d - timedelta(days=d.weekday())][day] += 1
    extra: dict[date, dict[str, int]] = defaultdict(dict)
    for (t, monday), m in (before or {}).items():
        if m > 0:
            extra[monday][t] = extra[monday].get(t, 0) + m
    rows, twice = [], []
    for monday in sorted(set(weeks) | set(extra)):
        count = weeks.get(monday, Counter())
        key = tuple((d, count[d]) for d in WEEKDAYS if count[d])
        if extra.get(monday):
            rows.append(WeekRow(monday, key, dict(extra[monday])))
        elif any(n > 1 for _, n in key):
            twice.append(WeekRow(monday, key))
    # of the weeks with a weekday twice, only those no other such week contains
    def within(a: WeekRow, b: WeekRow) -> bool:
        cb = dict(b.count)
        return all(n <= cb.get(d, 0) for d, n in a.count)
    for i, r in enumerate(twice):
        if not any(within(r, o) and (r.count != o.count or j < i)
                   for j, o in enumerate(twice) if j != i):
            rows.append(r)
    return sorted(rows, key=lambda r: r.monday)


class Ledger:
    """Duties held per person (module docstring): ``fits``, ``take``, ``why_not``."""

    def __init__(self, inst, rows: Iterable[WeekRow] = ()):
        self.inst = inst
        self.daily_cap = inst.school.rules.max_daily_minutes
        self.busy: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        self.daily: dict[tuple[str, str], int] = defaultdict(int)
        self.weekly: dict[str, int] = defaultdict(int)
        self.per_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.used: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.limit = {t.id: weekly_limit(inst, t) for t in inst.teachers}
        self.double = {t.id: t.allow_double for t in inst.teachers}
        self.win = {d: duty_windows(inst.school.sessions, d) for d in WEEKDAYS}
        self.rows = [r for r in rows]

    @classmethod
    def on_date(cls, inst, day: str, busy: Mapping[str, list[tuple[int, int]]],
                week: Mapping[str, int]) -> "Ledger":
        """The ledger of one service date counted as ``day``: each person's duties that
        date (``busy`` spans) and minutes in its calendar week (``week``), for a duty
        added on that date (``substitute``)."""
        led = cls(inst)
        for t, spans in busy.items():
            for a, b in spans:
                led.busy[t, day].append((a, b))
                led.daily[t, day] += b - a
                led.used[t, day] |= {w.id for w in led.win[day] if w.start <= a and b <= w.end}
        for t, m in week.items():
            led.weekly[t] = m
        return led

    def _inside(self, d: str, item) -> set[str]:
        return {w.id for w in self.win[d] if w.start <= item.start and item.end <= w.end}

    def why_not(self, t: str, d: str, item) -> str | None:
        """The first rule ``t`` taking ``item`` on weekday ``d`` breaks; None: it fits."""
        a, b, mins = item.start, item.end, item.minutes
        if any(a < b2 and a2 < b for a2, b2 in self.busy[t, d]):
            return BUSY
        if self.daily[t, d] + mins > self.daily_cap:
            return DAILY
        limit = self.limit[t]
        if self.weekly[t] + mins > limit:
            return WEEKLY
        if self.rows:
            after = dict(self.per_day[t])
            after[d] = after.get(d, 0) + mins
            if any(r.minutes(t, after) > limit for r in self.rows):
                return WEEKLY
        if not self.double[t] and len(self.win[d]) > 1 and \
                len(self.used[t, d] | self._inside(d, item)) > 1:
            return DOUBLE
        return None

    def fits(self, t: str, d: str, item) -> bool:
        return self.why_not(t, d, item) is None

    def take(self, t: str, d: str, item) -> bool:
        """``t`` takes ``item`` on ``d`` if it fits; whether it did."""
        if not self.fits(t, d, item):
            return False
        self.busy[t, d].append((item.start, item.end))
        self.daily[t, d] += item.minutes
        self.weekly[t] += item.minutes
        self.per_day[t][d] += item.minutes
        self.used[t, d] |= self._inside(d, item)
        return True


def add_week_rows(model, terms: Mapping[tuple[str, str], list], limit: Mapping[str, int],
                  rows: Iterable[WeekRow]) -> None:
    """Per person and calendar-week row: the week's minutes (each weekday's (minutes,
    variable) terms times its count, plus minutes before) within the weekly limit."""
    rows = list(rows)
    if not rows:
        return
    people = sorted({t for t, _ in terms})
    for t in people:
        for r in rows:
            parts = [n * mins * var for d, n in r.count for mins, var in terms.get((t, d), ())]
            if not parts:
                continue
            room = limit[t] - r.before.get(t, 0)
            whole = sum(n * mins for d, n in r.count for mins, _ in terms.get((t, d), ()))
            if whole > room:
                model.add(sum(parts) <= max(room, 0))


# ---- the same rules as CP-SAT constraints, over one person's items of one day ----------------
# ``items``: (item, variable) pairs of one person on one day, an item being a slot or a duty
# window (``start``, ``end``, ``minutes``) and ``manager`` telling which. Used by ``assign``
# (a first plan) and ``replan``.

def add_one_place(model, items: list[tuple[object, bool, object]]) -> None:
    """At every moment at most one slot supervised (16:20-16:35 included). ``items``:
    (item, is_manager, variable); managers' windows are ``add_manager_window``'s."""
    teaching = [(it, var) for it, manager, var in items if not manager]
    for p in sorted({it.start for it, _ in teaching}):
        covering = [var for it, var in teaching if it.start <= p < it.end]
        if len(covering) > 1:
            model.add(sum(covering) <= 1)


def add_manager_window(model, items: list[tuple[object, bool, object]]) -> None:
    """A manager on duty for a window supervises no slot inside it."""
    teaching = [(it, var) for it, manager, var in items if not manager]
    for m, manager, mvar in items:
        if not manager:
            continue
        clash = [var for it, var in teaching if it.start < m.end and m.start < it.end]
        if clash:
            model.add(sum(clash) + len(clash) * mvar <= len(clash))


def add_daily_limit(model, items: list[tuple[object, bool, object]], cap: int) -> None:
    """The day's service minutes (managing counts) within ``cap``."""
    if sum(it.minutes for it, _, _ in items) > cap:
        model.add(sum(it.minutes * var for it, _, var in items) <= cap)


def add_week_limit(model, items: list[tuple[object, bool, object]], room: int) -> None:
    """Dated items of one calendar week (``substitute``'s posts) within ``room``: the
    weekly limit less the minutes the week already holds. The same sum as the day's."""
    add_daily_limit(model, items, room)


def add_one_window(model, items: list[tuple[object, bool, object]], windows, name: str
                   ) -> list[tuple[object, list]]:
    """Duty in at most one duty window of the day (noon or afternoon); for a person without
    ``allow_double``. Returns each window's flag with the variables it covers (for hints)."""
    flags, used = [], []
    if len(windows) < 2:
        return flags
    for w in windows:
        inside = [var for it, _, var in items if w.start <= it.start and it.end <= w.end]
        if inside:
            flag = model.new_bool_var(f"works_{name}_{w.id}")
            for var in inside:
                model.add_implication(var, flag)
            used.append(flag)
            flags.append((flag, inside))
    if len(used) > 1:
        model.add(sum(used) <= 1)
    return flags
