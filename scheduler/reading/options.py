"""Numbers from the command line and from a scenario file: one validating layer.

Input: the text of an option (``--cap 40,45``, ``--students +10%``) or a value of a
``scenario --file`` TOML table. Output: the value, or a Click error / ``Problem`` naming
the option or key and the range expected — before anything is read or solved.

The ranges (also in each command's help):
- ``SECONDS``: a search budget, a finite number of seconds from 0.1 to 86,400 (a day);
- ``SEED``: a whole number from 0 to 2,147,483,647 (the solver's seed is 32-bit);
- ``PERCENT``: a finite number from 0 to 100; ``COUNT``: a whole number, 0 to 1,000,000;
- extra sign-ups (``students``): a percentage ``+N%`` with 0 < N <= 300, or in a scenario
  file a fraction 0 < x <= 3 (``0.25`` = +25 %);
- volunteers withdrawn (``teachers``): ``-N`` people (a whole number, 1 to 100,000) or
  ``-N%`` with 0 < N < 100; in a file also a negative number (``-3``) or fraction
  (``-0.1``);
- ``cap``: a whole number from 1 to 1,000 (a what-if may go above the standard of 45);
- ``students_per_teacher``, ``groups_per_manager``: 1 to 1,000; the two remainder
  thresholds: 0 to 1,000 (the ranges of ``school.toml``'s ``[rules]``);
- ``days``: weekday names (``Tue Wed``, ``周二``), as one string or an array of them;
- at most ``MAX_SCENARIOS`` scenarios in one run (the baseline, the combinations of the
  options, the file's tables), at most ``MAX_VALUES`` values per option, a scenario file of
  at most ``MAX_SCENARIO_FILE_BYTES`` UTF-8 bytes and ``MAX_TOML_DEPTH`` levels of nesting.
"""
from __future__ import annotations

import math
import re

import click

from afterschool.models.errors import InputError, Problem
from afterschool.scheduler.reading.school_config import CAP_ABOVE_STANDARD_MAX, _RANGES

MAX_SCENARIOS = 200
MAX_VALUES = 20
MAX_SCENARIO_FILE_BYTES = 1_000_000
MAX_TOML_DEPTH = 8
MAX_SECONDS = 86_400.0
MAX_SEED = 2 ** 31 - 1
MAX_STUDENTS_PERCENT = 300
MAX_PEOPLE_WITHDRAWN = 100_000
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\Z")

# whole-number scenario keys and their (least, most)
WHOLE = {"cap": (1, CAP_ABOVE_STANDARD_MAX),
         "students_per_teacher": _RANGES["students_per_teacher"],
         "remainder_threshold": _RANGES["remainder_threshold"],
         "groups_per_manager": _RANGES["groups_per_manager"],
         "manager_remainder_threshold": _RANGES["manager_remainder_threshold"],
         "seed": (0, MAX_SEED)}


def _decimal(text: str) -> float:
    """A plain decimal number (no exponent, no nan or inf, at most 12 characters)."""
    t = text.strip()
    if len(t) > 12 or not _NUMBER.match(t):
        raise ValueError(f"{text!r} is not a plain number")
    return float(t)


def students_change(value) -> float:
    """Extra sign-ups as a fraction: ``"+25%"`` (or ``0.25`` in a file) -> 0.25."""
    if isinstance(value, str):
        t = value.strip()
        if not t.endswith("%"):
            raise ValueError(f"{value!r} is not a percentage such as +10%")
        x = _decimal(t[:-1]) / 100
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
    else:
        raise ValueError(f"{value!r} is not a percentage such as +10%")
    if not (math.isfinite(x) and 0 < x <= MAX_STUDENTS_PERCENT / 100):
        raise ValueError(f"{value!r} is out of range: extra sign-ups from +1% to "
                         f"+{MAX_STUDENTS_PERCENT}%")
    return x


def teachers_change(value) -> float:
    """Volunteers withdrawn: ``"-3"`` -> -3 (people), ``"-10%"`` (or ``-0.1``) -> -0.1."""
    if isinstance(value, str):
        t = value.strip()
        percent = t.endswith("%")
        x = _decimal(t[:-1] if percent else t)
        if percent:
            x /= 100
        elif x != int(x):
            raise ValueError(f"{value!r} is not a whole number of people")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
        percent = not x.is_integer()
    else:
        raise ValueError(f"{value!r} is not a change such as -3 or -10%")
    if percent and not (math.isfinite(x) and -1 < x < 0):
        raise ValueError(f"{value!r} is out of range: a share from -1% to -99%")
    if not percent and not (math.isfinite(x) and -MAX_PEOPLE_WITHDRAWN <= x <= -1):
        raise ValueError(f"{value!r} is out of range: from -1 to -{MAX_PEOPLE_WITHDRAWN:,} "
                         "people")
    return x


def whole(key: str, value) -> int:
    """A whole-number scenario value in its range (``WHOLE``)."""
    lo, hi = WHOLE[key]
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,30}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number")
    if not lo <= value <= hi:
        raise ValueError(f"{value} is out of range: {lo:,} to {hi:,}")
    return value


def days_value(value) -> tuple[str, ...]:
    """Weekdays from ``"Tue Wed"`` or ``["Tue", "Wed"]`` (never letter by letter)."""
    from afterschool.scheduler.reading.tables import parse_days
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        value = " ".join(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not weekdays such as \"Tue Wed\"")
    days, bad = parse_days(value)
    if bad or not days:
        raise ValueError(f"unknown weekday(s) {' '.join(bad)[:60]!r}" if bad else
                         "no weekday given")
    return tuple(days)


# ---------------------------------------------------------------- Click types

class Seconds(click.ParamType):
    name = "seconds"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            x = _decimal(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not 0.1 <= x <= MAX_SECONDS:
            self.fail(f"{value} is out of range: 0.1 to {MAX_SECONDS:,.0f} seconds", param, ctx)
        return x


SECONDS = Seconds()
SEED = click.IntRange(0, MAX_SEED)
COUNT = click.IntRange(0, 1_000_000)  # students or groups of ``staffing``


class Percent(click.ParamType):
    """A finite percentage from 0 to 100 (Click's FloatRange lets ``nan`` through)."""

    name = "percent"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            x = _decimal(str(value).removesuffix("%"))
        except ValueError:
            self.fail(f"{value!r} is not a percentage", param, ctx)
        if not 0 <= x <= 100:
            self.fail(f"{value} is out of range: 0 to 100", param, ctx)
        return x


PERCENT = Percent()


class ValueList(click.ParamType):
    """A comma-separated list, each item checked by ``parse`` (which raises ValueError);
    gives the items as typed (stripped), for the scenario names."""

    name = "list"

    def __init__(self, parse, what: str):
        self.parse, self.what = parse, what

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        items = [v.strip() for v in str(value).split(",") if v.strip()]
        if len(items) > MAX_VALUES:
            self.fail(f"{len(items)} values; at most {MAX_VALUES}", param, ctx)
        for item in items:
            try:
                self.parse(item)
            except ValueError as exc:
                self.fail(f"{exc} (expected {self.what})", param, ctx)
        return items


def venue_groups_value(value) -> tuple[tuple[str, int], ...]:
    """Groups a venue holds at once in a scenario (SPEC §12): ``"PG=2"`` (an option's value)
    or ``{PG = 2, GYM = 1}`` (a scenario file's table); 1 to ``MAX_VENUE_GROUPS`` each."""
    if isinstance(value, str):
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]{1,40})\s*=\s*(\d{1,4})\s*", value)
        if not m:
            raise ValueError(f"{value!r} is not ID=N")
        value = {m.group(1): int(m.group(2))}
    if not isinstance(value, dict) or not value:
        raise ValueError(f"{value!r} is not a table of venue ids and numbers")
    out = []
    for vid, n in value.items():
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_VENUE_GROUPS:
            raise ValueError(f"{vid}: {n!r} is out of range: 1 to {MAX_VENUE_GROUPS}")
        out.append((str(vid), n))
    return tuple(sorted(out))


MAX_VENUE_GROUPS = 100


def whole_list(key: str) -> ValueList:
    lo, hi = WHOLE[key]
    return ValueList(lambda v: whole(key, v), f"whole numbers from {lo:,} to {hi:,}")


STUDENT_CHANGES = ValueList(students_change, f"+N% with N up to {MAX_STUDENTS_PERCENT}")
TEACHER_CHANGES = ValueList(teachers_change, "-N people or -N% (below 100%)")
VENUE_GROUPS = ValueList(venue_groups_value, "ID=N such as PG=2: the groups a venue holds "
                         f"at once, 1 to {MAX_VENUE_GROUPS}")


def check_count(n: int) -> None:
    """Bad input when a run would hold more than ``MAX_SCENARIOS`` scenarios."""
    if n > MAX_SCENARIOS:
        raise InputError([Problem("scenario", f"{n:,} scenarios in one run (the baseline, "
                                  "every combination of the options, the file's tables)",
                                  expected=f"at most {MAX_SCENARIOS}")])


class Days(click.ParamType):
    name = "days"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            return days_value(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DAYS = Days()


class MissingExtra(click.ClickException):
    """An optional dependency is not installed: one line, exit 2 (as bad input)."""

    exit_code = 2


def need_dask(address: str) -> None:
    """``--scheduler ADDRESS`` needs the Dask extra (``distributed``): say so in one line."""
    import importlib.util
    if importlib.util.find_spec("distributed") is None:
        raise MissingExtra(f"--scheduler {address}: running on a Dask cluster needs the dask "
                           'extra: pip install ".[dask]" (or pip install distributed)')


def resolve_person(query: str, people: dict[str, str | None], option: str = "--teacher",
                   what: str = "teachers.csv", among: bool = False
                   ) -> tuple[str | None, list[Problem]]:
    """The id ``query`` names among ``people`` (id -> full name): an id compared as ids are
    everywhere (NFKC, ignoring case: ``t006`` is ``T006``), else a unique full name
    (``徐文``). Unknown or ambiguous: None and a problem listing the candidates."""
    from afterschool.scheduler.reading.clean import id_key
    key = id_key(query.strip())
    by_id = [i for i in people if id_key(i) == key]
    if len(by_id) == 1:
        return by_id[0], []
    text = " ".join(query.split())
    by_name = [i for i, n in people.items() if n and " ".join(str(n).split()) == text]
    if len(by_name) == 1:
        return by_name[0], []

    def shown(ids):
        return ", ".join(f"{i} ({people[i]})" if people[i] else i for i in ids[:10]) + (
            f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    if len(by_name) > 1:
        return None, [Problem(option, f"{len(by_name)} people are named so; give the id",
                              value=query, expected=shown(sorted(by_name)))]
    import difflib
    close = difflib.get_close_matches(key, [id_key(i) for i in people], n=5, cutoff=0.6)
    close_ids = [i for i in people if id_key(i) in close]
    close_ids += [i for i, n in people.items() if n and text and text in str(n)
                  and i not in close_ids]
    return None, [Problem(option, f"no such person {'among' if among else 'in'} {what}",
                          value=query,
                          expected=("an id or full name, e.g. " + shown(sorted(close_ids)))
                          if close_ids else f"an id or full name of {what}")]


def person_id(query: str, people: dict[str, str | None], option: str = "--teacher",
              what: str = "teachers.csv", among: bool = False) -> str:
    """``resolve_person``, raising ``InputError`` when nobody (or more than one) is meant."""
    found, problems = resolve_person(query, people, option, what, among)
    if problems:
        raise InputError(problems)
    return found
