"""Term service dates (SPEC §5): every date of the term whose weekday a session runs on,
minus holidays, plus make-up working days (调休) counted as the weekday the school lists.

Holidays come from ``school.toml`` and, where ``term.official_holidays`` is on and the
``chinese-calendar`` package covers the year, from the official calendar. Years it does not
cover give a warning naming the uncovered dates, so the school can list its holidays, until
the school confirms its list (``holidays_confirmed``).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import chinese_calendar

from afterschool.models.school import WEEKDAYS, Term


def _official_holiday(d: date) -> bool | None:
    """True/False from the official calendar, None where it has no data for the year."""
    try:
        return chinese_calendar.is_holiday(d) and d.weekday() < 5
    except NotImplementedError:
        return None


def term_dates(term: Term) -> dict[str, list[date]]:
    """Weekday -> the term's school dates counted as that weekday."""
    out: dict[str, list[date]] = defaultdict(list)
    makeup = dict(term.makeup_days)
    d = term.start
    while d <= term.end:
        if d in makeup:
            out[makeup[d]].append(d)
        elif d.weekday() < 5 and d not in term.holidays and not (
                term.official_holidays and _official_holiday(d)):
            out[WEEKDAYS[d.weekday()]].append(d)
        d += timedelta(days=1)
    return {day: out.get(day, []) for day in WEEKDAYS}


def day_counts(term: Term) -> dict[str, int]:
    """Weekday -> number of service dates of that weekday in the term."""
    return {day: len(dates) for day, dates in term_dates(term).items()}


def uncovered_years(term: Term) -> list[tuple[date, date]]:
    """Spans of the term the official holiday calendar has no data for."""
    if not term.official_holidays:
        return []
    spans = []
    for year in range(term.start.year, term.end.year + 1):
        lo, hi = max(term.start, date(year, 1, 1)), min(term.end, date(year, 12, 31))
        if _official_holiday(lo) is None:
            spans.append((lo, hi))
    return spans


def calendar_warnings(term: Term) -> list[str]:
    """Plain-language warnings about dates whose holidays the tool cannot know; none when
    the school has confirmed its list (``[term] holidays_confirmed = true``)."""
    if term.holidays_confirmed:
        return []
    out = []
    for lo, hi in uncovered_years(term):
        listed = sorted(d for d in term.holidays if lo <= d <= hi)
        out.append(
            f"official holidays are not known for {lo}..{hi} (the chinese-calendar package "
            f"covers years up to {max(chinese_calendar.holidays).year}); "
            + (f"school.toml lists {', '.join(map(str, listed))} there: check it lists them all"
               if listed else "every weekday there counts as a service date unless you list "
               "its holidays in school.toml, e.g. [term] holidays = [2027-01-01]")
            + "; once the list is complete, set holidays_confirmed = true in [term]")
    return out
