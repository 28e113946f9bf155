"""The declared schema of ``afterschool-plan/1`` (docs/plan-file.md): the one place that
says what a plan is, whatever it comes from (a ``plan.json``, a database record).

Input: the decoded JSON (``dict``) and a name for the messages (``where``: a file name, a
record). Output: ``validate_plan_dict(data, where)`` -> the problems found, each naming the
JSON path (``history[1].valid_from``), what was found and what was expected; an empty list
means every command may use the plan. At most ``MAX_PROBLEMS`` are listed.

Rules, in the order they are checked:
1. shape: no control character in any string or key; the declared parts nest as the
   schema does, and an undeclared value at most ``MAX_DEPTH`` levels in all (walked
   without recursion);
2. types and ranges, declared below as one ``Spec`` per key (``PLAN``): ids in the id
   alphabet (letters, digits, ``-``, ``_``, ``.``, at most ``ID_MAX`` characters: file names
   are built from them), names at most ``NAME_MAX`` characters, times ``HH:MM`` within the
   day with the end after the start, weekdays ``Mon``..``Fri``, counts whole numbers in
   their range (booleans and floats are not counts), money a string with two decimals
   (``"120.00"``), dates ISO ``YYYY-MM-DD`` inside the plan's own ``term``;
3. references: group ids unique within a version, a student in at most one group of a
   session in a version (and once in it), every group's and duty's session a key of
   ``sessions``, every teacher duty's group a group of its version, every person (duty,
   exception ``staff`` and ``replaces``, pay, flex ledger, weekly limit) a key of
   ``people.staff``, every student of a group a key of ``people.students``; a substitution
   on a service date of its weekday (``calendar``), taking over a duty ``replaces`` holds
   then (in the version in force, or by an earlier substitution that date), each once;
   ``history`` versions tile the term: the first starts on the term's start, each ends the
   day before the next starts (the last, the day before ``valid_from``); venue rows,
   activity shortfalls, rooms missing and rain moves (SPEC §12) name groups of the current
   version in their own session, one venue row per group, day and slot.
4. the club lottery (``clubs``, SPEC §12): its pupils people of the plan, its clubs those it
   describes, a pupil once per club, waiting places 1, 2, … per club.
The sections every written plan has (figures, school, term, calendar, sessions, people)
are required: a plan without its staffing table is not a plan file.
Keys the schema does not name (solver statistics, penalties) may hold any JSON: no command
reads them. What the plan means for a school (its rules, fees to the fen) is the checker's.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

from afterschool.models.errors import Problem
from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.reading.clean import id_problem

SCHEMA = "afterschool-plan/1"
MAX_PLAN_BYTES = 50_000_000  # a plan.json larger than this is refused before reading
MAX_DEPTH = 16  # nesting of arrays and objects; a plan written by afterschool has 6
MAX_PROBLEMS = 20
ANY_DEPTH = MAX_DEPTH - 4  # below an undeclared key, which lies at most 4 levels down
ID_MAX = 64  # group ids add a number to a session id of up to 32 characters
NAME_MAX = 100
TEXT_MAX = 1000
MAX_COUNT = 1_000_000  # students, groups, posts of one row
MAX_MINUTES = 1_000_000  # a person's term minutes (52 weeks of 7 x 24 h is 524,160)
STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN", "MODEL_INVALID")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d\Z")
_MONEY = re.compile(r"-?\d{1,13}\.\d\d\Z")
_DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASCII_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*\Z")  # what clean.id_problem allows
# the characters ``clean`` calls control characters (categories Cc, Zl, Zp, Cs and the
# non-characters), as one class so that a 20 MB plan is searched at C speed
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef"
                      + "".join(f"\\U{p:04x}fffe\\U{p:04x}ffff" for p in range(17)) + "]")


class _Stop(Exception):
    """Raised when ``MAX_PROBLEMS`` have been found: the rest is not walked."""


def path_join(path, key) -> tuple:
    """A path one step down; kept as (parent, key) pairs and only written out (``render``)
    for a problem, so that walking a large plan builds no strings."""
    return (path, key)


def render(path) -> str:
    """``(("history", 1), "valid_from")`` -> ``history[1].valid_from``."""
    keys = []
    while isinstance(path, tuple):
        path, key = path
        keys.append(key)
    out = path or ""
    for key in reversed(keys):
        if isinstance(key, int):
            out += f"[{key}]"
        elif _PLAIN_KEY.match(key):
            out += f".{key}" if out else key
        else:
            out += f"[{key!r}]"
    return out


def _shown(value) -> str:
    if isinstance(value, (dict, list)):
        return f"{'an object' if isinstance(value, dict) else 'an array'} of {len(value)}"
    return repr(value) if not isinstance(value, str) else value


class _Walk:
    """The problems found so far, and what later checks need to know (the term)."""

    def __init__(self, where: str):
        self.where, self.problems = where, []
        self.term: tuple[date, date] | None = None

    def add(self, path: str, message: str, value=None, expected: str | None = None,
            private: bool = False) -> None:
        self.problems.append(Problem(self.where,
                                     f"{render(path) or '(the whole plan)'}: {message}",
                                     value=None if value is None else _shown(value),
                                     expected=expected, private=private))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _Stop


# ---------------------------------------------------------------- the kinds of value

class Spec:
    """One kind of value: ``check`` adds a problem for a value of another kind."""

    expected = "?"

    def check(self, value, path: str, walk: _Walk) -> bool:
        raise NotImplementedError


class Any(Spec):
    expected = "any JSON value"

    def check(self, value, path, walk):
        return True


class Str(Spec):
    def __init__(self, max_len: int = TEXT_MAX, choices: tuple[str, ...] = (),
                 what: str = "a text", private: bool = False, empty: bool = True):
        self.max_len, self.choices, self.private, self.empty = max_len, choices, private, empty
        self.expected = "one of " + ", ".join(choices) if choices else \
            f"{what} of at most {max_len} characters"

    def check(self, value, path, walk):
        if not isinstance(value, str):
            walk.add(path, "wrong type", value, self.expected, self.private)
            return False
        if self.choices and value not in self.choices:
            walk.add(path, "not an allowed value", value, self.expected)
            return False
        if len(value) > self.max_len or (not value and not self.empty):
            walk.add(path, "empty" if not value else f"too long ({len(value):,} characters)",
                     None if self.private else value, self.expected)
            return False
        if _CONTROL.search(value):
            walk.add(path, "control character in a value", expected="plain text")
            return False
        return self.more(value, path, walk)

    def more(self, value: str, path: str, walk: _Walk) -> bool:
        return True


class Id(Str):
    def __init__(self):
        super().__init__(ID_MAX, what="an id (letters, digits, '-', '_', '.')", empty=False)

    def more(self, value, path, walk):
        if _ASCII_ID.match(value):  # the usual id, without a look at each character
            return True
        why = id_problem(value)
        if why:  # the reason says what an id may hold
            walk.add(path, why, value)
            return False
        return True


class Pattern(Str):
    """A text of a fixed form (``pattern``), told as ``problem`` with ``expected``."""

    def __init__(self, max_len: int, what: str, pattern, problem: str, expected: str):
        super().__init__(max_len, what=what)
        self.pattern, self.problem, self.expected = pattern, problem, expected

    def more(self, value, path, walk):
        if not self.pattern.match(value):
            walk.add(path, self.problem, value, self.expected)
            return False
        return True


def Time() -> Pattern:  # noqa: N802 - reads like the other specs
    return Pattern(5, "a time HH:MM", _TIME, "not a time", "a time HH:MM from 00:00 to 23:59")


def Money() -> Pattern:  # noqa: N802
    return Pattern(17, "money", _MONEY, "not an amount of money",
                   "an amount in yuan as a string with two decimals, e.g. \"120.00\"")


class Date(Str):
    """An ISO date; inside the plan's term once the term is known (``in_term``)."""

    def __init__(self, in_term: bool = True):
        super().__init__(10, what="a date")
        self.in_term = in_term
        self.expected = "a date YYYY-MM-DD"

    def more(self, value, path, walk):
        try:
            day = date.fromisoformat(value) if _DATE.match(value) else None
        except ValueError:
            day = None
        if day is None:
            walk.add(path, "not a date", value, self.expected)
            return False
        if self.in_term and walk.term and not walk.term[0] <= day <= walk.term[1]:
            walk.add(path, "outside the plan's term", value,
                     f"a date from {walk.term[0]} to {walk.term[1]}")
            return False
        return True


class Int(Spec):
    def __init__(self, lo: int = 0, hi: int = MAX_COUNT):
        self.lo, self.hi = lo, hi
        self.expected = f"a whole number from {lo:,} to {hi:,}"

    def check(self, value, path, walk):
        if isinstance(value, bool) or not isinstance(value, int):
            walk.add(path, "wrong type", value, self.expected)
            return False
        if not self.lo <= value <= self.hi:
            walk.add(path, "out of range", value, self.expected)
            return False
        return True


class Bool(Spec):
    expected = "true or false"

    def check(self, value, path, walk):
        if not isinstance(value, bool):
            walk.add(path, "wrong type", value, self.expected)
            return False
        return True


class Null(Spec):
    """``inner`` or ``null``."""

    def __init__(self, inner: Spec):
        self.inner = inner
        self.expected = f"{inner.expected}, or null"

    def check(self, value, path, walk):
        return value is None or self.inner.check(value, path, walk)


class Obj(Spec):
    """An object with ``required`` and ``optional`` keys; other keys pass unread."""

    def __init__(self, required: dict[str, Spec], optional: dict[str, Spec] | None = None,
                 what: str = "an object"):
        self.required, self.optional = required, optional or {}
        self.expected = what

    def check(self, value, path, walk):
        if not isinstance(value, dict):
            walk.add(path, "wrong type", value, self.expected)
            return False
        ok = True
        for key, spec in self.required.items():
            if key not in value:
                walk.add(path_join(path, key), "missing", expected=spec.expected)
                ok = False
            elif not spec.check(value[key], path_join(path, key), walk):
                ok = False
        for key, spec in self.optional.items():
            if key in value and not spec.check(value[key], path_join(path, key), walk):
                ok = False
        for key, v in value.items():  # undeclared: any JSON, bounded and plain
            if key not in self.required and key not in self.optional:
                if _CONTROL.search(key):
                    walk.add(path_join(path, key), "control character in a key",
                             expected="plain text")
                    ok = False
                elif isinstance(v, (dict, list, str)):
                    ok = _shape(v, path_join(path, key), walk) and ok
        return ok


class List(Spec):
    """An array of ``item``; ``unique``: no value twice (weekdays, dates)."""

    def __init__(self, item: Spec, what: str = "an array", unique: bool = False):
        self.item, self.unique = item, unique
        self.expected = what

    def check(self, value, path, walk):
        if not isinstance(value, list):
            walk.add(path, "wrong type", value, self.expected)
            return False
        ok = True
        for i, x in enumerate(value):
            ok = self.item.check(x, path_join(path, i), walk) and ok
        if ok and self.unique and len(set(value)) < len(value):
            twice = next(x for i, x in enumerate(value) if x in value[:i])
            walk.add(path, "a value listed twice", twice, f"{self.expected}, each once")
            ok = False
        return ok


class Map(Spec):
    """An object whose keys are all of one kind (``key``) and values of one kind."""

    def __init__(self, key: Str, value: Spec, what: str = "an object"):
        self.key, self.value = key, value
        self.expected = what

    def check(self, value, path, walk):
        if not isinstance(value, dict):
            walk.add(path, "wrong type", value, self.expected)
            return False
        ok = True
        for k, v in value.items():
            at = path_join(path, k)
            ok = self.key.check(k, at, walk) and ok
            ok = self.value.check(v, at, walk) and ok
        return ok


# ---------------------------------------------------------------- the schema

DAY = Str(choices=WEEKDAYS)
DAYS = List(DAY, "an array of weekdays Mon..Fri", unique=True)
ROLE = Str(choices=("teacher", "manager"))
SIGNUP = Obj({}, {"noon": DAYS, "afternoon": DAYS, "lunch": Bool()}, "a sign-up object")
GROUP = Obj({"id": Id(), "session": Id(), "students": List(Id(), "an array of student ids")},
            what="a group {id, session, students}")
DUTY = Obj({"day": DAY, "start": Time(), "end": Time(), "staff": Id(), "role": ROLE},
           {"session": Null(Id()), "group": Null(Id()), "slot": Null(Str(NAME_MAX)),
            "window": Null(Id())}, "a duty {day, start, end, staff, role, …}")
SHORTAGE = Obj({"day": DAY, "start": Time(), "end": Time(), "role": ROLE},
               {"session": Null(Id()), "group": Null(Id()), "count": Int(1, MAX_COUNT),
                "window": Null(Id()), "slot": Null(Str(NAME_MAX))},
               "a shortage {day, start, end, role, count, …}")
EXCEPTION = {"date": Date(), "day": DAY, "start": Time(), "end": Time(), "role": ROLE,
             "staff": Null(Id()), "replaces": Id()}
EXCEPTION_OPTIONAL = {"session": Null(Id()), "window": Null(Id()), "slot": Null(Str(NAME_MAX)),
                      "group": Null(Id())}
VENUE_ROW = Obj({"day": DAY, "session": Id(), "slot": Str(NAME_MAX), "group": Id(),
                 "venue": Null(Id()), "activity": Null(Id())},
                {"room": Null(Id()), "start": Time(), "end": Time()},
                "a venue row {day, session, slot, group, venue, activity, room}")
VERSION = Obj({"valid_from": Date(), "valid_to": Date(), "groups": List(GROUP),
               "duties": List(DUTY)},
              {"shortages": List(SHORTAGE), "signups": Map(Id(), SIGNUP),
               "venues": List(VENUE_ROW)},
              "an earlier version {valid_from, valid_to, groups, duties, shortages}")
FEE = Obj({"student": Id(), "service_fee": Money(), "lunch_fee": Money(),
           "gross_fee": Money(), "by_session": Map(Id(), Money())},
          {"class": Str(NAME_MAX), "grade": Int(1, 6), "fee_category": Str(NAME_MAX)},
          "a fee row {student, class, grade, service_fee, lunch_fee, gross_fee, by_session}")
PAY = Obj({"staff": Id(), "minutes": Int(-MAX_MINUTES, MAX_MINUTES), "amount": Money()},
          {"rate": Money(), "kind": Str(NAME_MAX)}, "a pay row {staff, minutes, amount, rate}")
STAFFING = Obj({"day": DAY, "session": Id(), "students": Int(), "standard_teachers": Int(),
                "groups": Int()},
               {"extra_groups": Int(-MAX_COUNT), "extra_teacher_minutes": Int(-10 ** 9, 10 ** 9),
                "extra_pay": Money()}, "a staffing row")
BUDGET = Obj({"part": Str(NAME_MAX), "income": Money(), "exemptions": Money(), "pay": Money(),
              "balance": Money()}, what="a budget row {part, income, exemptions, pay, balance}")
SESSION = Obj({"name": Str(NAME_MAX), "start": Time(), "end": Time(), "days": DAYS},
              {"signup": Str(choices=("noon", "afternoon"))},
              "a session {name, start, end, days, signup}")
STUDENT = Obj({}, {"name": Str(NAME_MAX, private=True), "class": Str(NAME_MAX), "noon": DAYS,
                   "afternoon": DAYS, "lunch": Bool(), "status": Str(NAME_MAX)},
              "a student {name, class, noon, afternoon, lunch}")
STAFF = Obj({}, {"name": Str(NAME_MAX, private=True), "kind": Str(NAME_MAX)},
            "a person {name, kind}")
GROUPING = Obj({"session": Id(), "students": Int(), "groups": Int(), "group_days": Int(),
                "group_days_bound": Int()}, what="a grouping row")
LEDGER = Obj({"staff": Id(), "week": Date(in_term=False),
              "minutes_earned": Int(-MAX_MINUTES, MAX_MINUTES)},
             what="a flex-time row {staff, week, minutes_earned}")
DROPPED = Obj(dict(EXCEPTION, dropped_from=Date(), dropped_by_version=Int(1, 10_000)),
              EXCEPTION_OPTIONAL, "a dropped substitution")
VENUE_SHORT = Obj({"group": Id(), "activity": Id(), "missing": Int(1, 100)},
                  what="an activity shortfall {group, activity, missing}")
NO_ROOM = Obj({"day": DAY, "session": Id(), "group": Id(), "pupils": Int()},
              what="a group-day without a room {day, session, group, pupils}")
RAIN_ROW = Obj({"day": DAY, "session": Id(), "slot": Str(NAME_MAX), "group": Id(),
                "activity": Id(), "from": Id(), "venue": Null(Id())},
               what="a rain move {day, session, slot, group, activity, from, venue}")
VENUE_INFO = Obj({"name": Str(NAME_MAX)}, {"kind": Str(NAME_MAX), "capacity": Int(),
                                           "groups": Int(), "outdoor": Bool()},
                 "a venue {name, kind, capacity, groups, outdoor}")
ACTIVITY_INFO = Obj({"name": Str(NAME_MAX)}, {"per_week": Int(0, 100)},
                    "an activity {name, venue_kinds, per_week}")

PLAN = Obj(
    {"schema": Str(choices=(SCHEMA,)), "status": Str(choices=STATUSES),
     "groups": List(GROUP), "duties": List(DUTY), "shortages": List(SHORTAGE),
     # the figures: check recomputes them, replan and substitute carry them on
     "fees": List(FEE), "pay": List(PAY), "staffing": List(STAFFING), "budget": List(BUDGET),
     "flex_ledger": List(LEDGER),
     # what the hand-outs read without the instance
     "school": Str(NAME_MAX), "language": Str(choices=("zh", "en")),
     "term": Obj({"start": Date(in_term=False), "end": Date(in_term=False)},
                 what="the term {start, end}"),
     "calendar": Map(DAY, List(Date(), "an array of dates", unique=True)),
     "sessions": Map(Id(), SESSION),
     "people": Obj({"staff": Map(Id(), STAFF), "students": Map(Id(), STUDENT)},
                   what="people {staff, students}")},
    {"valid_from": Null(Date()), "history": List(VERSION),
     "exceptions": List(Obj(EXCEPTION, EXCEPTION_OPTIONAL, "a substitution {date, day, "
                            "start, end, role, staff, replaces, …}")),
     "group_cap": Int(1, 1000), "interrupted": Bool(),
     "weekly_limits": Map(Id(), Int(0, 7 * 24 * 60)), "grouping": List(GROUPING),
     "replan": Obj({}, {"dropped_exceptions": List(DROPPED), "from": Date(),
                        "previous_from": Date()}, "re-plan statistics"),
     "admission": List(Obj({"student": Id(), "decision": Str(choices=("admitted",
                                                                      "waiting"))})),
     "venues": List(VENUE_ROW), "venue_shortfalls": List(VENUE_SHORT),
     "venue_no_room": List(NO_ROOM), "rain_plan": List(RAIN_ROW),
     "venue_list": Map(Id(), VENUE_INFO), "activity_list": Map(Id(), ACTIVITY_INFO)},
    what="a plan object")

# the club lottery (SPEC §12; ``scheduler.clubs.section``), written by ``afterschool clubs``
CLUB_INFO = Obj({"name": Str(NAME_MAX), "days": DAYS, "session": Id(), "start": Time(),
                 "end": Time(), "venue": Str(NAME_MAX), "instructor": Id(),
                 "capacity": Int(1, 10_000), "min_size": Int(0, 10_000),
                 "grades": List(Int(1, 6), "grades 1-6", unique=True), "fee": Money(),
                 "rate": Money(), "members": Int(), "meets": Bool()}, what="a club")
CLUBS = Obj({"seed": Int(0, 2 ** 31 - 1), "start": Date(),
             "assigned": List(Obj({"student": Id(), "club": Id()}, what="{student, club}")),
             "waiting": List(Obj({"club": Id(), "student": Id(), "place": Int(1, MAX_COUNT)},
                                 what="{club, student, place}")),
             "cancelled": List(Id(), "an array of club ids", unique=True)},
            {"per_pupil": Int(1, 100), "replanned": Bool(), "clubs": Map(Id(), CLUB_INFO),
             "groups": List(Obj({"id": Id(), "club": Id(), "session": Id(), "days": DAYS,
                                 "start": Time(), "end": Time(), "staff": Id(),
                                 "students": List(Id(), "an array of student ids")},
                                {"venue": Str(NAME_MAX)}, "a club group {id, club, session, "
                                "days, start, end, staff, students}")),
             "fees": List(Obj({"student": Id(), "club_fee": Money()},
                              {"clubs": List(Id())}, "a club fee row")),
             "pay": List(Obj({"club": Id(), "staff": Id(), "minutes": Int(0, MAX_MINUTES),
                              "amount": Money()}, {"rate": Money(), "kind": Str(NAME_MAX)},
                             "a club pay row")),
             "staffing": List(Obj({"day": DAY, "session": Id(), "students": Int(),
                                   "groups": Int()}, what="a club staffing row")),
             "managers": List(Obj({"day": DAY, "window": Id(), "peak": Int(),
                                   "managers_needed": Int(), "managers_planned": Int(),
                                   "managers_short": Int()}, what="a club managers row")),
             "conflicts": List(Obj({"club": Id(), "staff": Id(), "day": DAY})),
             "withdrawn": List(Obj({"id": Id(), "club": Id(), "session": Id(), "days": DAYS,
                                    "start": Time(), "end": Time(), "staff": Id(),
                                    "from": Date()}, {"venue": Str(NAME_MAX)},
                                   "a withdrawn club series {id, club, session, days, "
                                   "start, end, staff, from}"))},
            "the club lottery {seed, start, assigned, waiting, cancelled, …}")
PLAN.optional["clubs"] = CLUBS


# ---------------------------------------------------------------- the walk

def _shape(data, path, walk: _Walk) -> bool:
    """A value the schema does not declare: at most ``ANY_DEPTH`` levels of nesting and no
    control character in a string or key, checked without recursion."""
    stack = [(data, path, 1)]
    ok = True
    while stack:
        value, at, depth = stack.pop()
        if isinstance(value, str):
            if _CONTROL.search(value):
                walk.add(at, "control character in a value", expected="plain text")
                ok = False
            continue
        if depth > ANY_DEPTH:
            walk.add(at, f"nested too deep (more than {MAX_DEPTH} levels in all)",
                     expected="a plan written by afterschool")
            return False
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            if isinstance(k, str) and _CONTROL.search(k):
                walk.add(path_join(at, k), "control character in a key", expected="plain text")
                ok = False
            elif isinstance(v, (dict, list, str)):
                stack.append((v, path_join(at, k), depth + 1))
    return ok


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def _times(rows, path: str, walk: _Walk) -> None:
    for i, r in enumerate(rows):
        if _minutes(r["end"]) <= _minutes(r["start"]):
            walk.add(path_join(path_join(path, i), "end"), "not after the start",
                     r["end"], f"a time after {r['start']}")


def _club_references(data: dict, walk: _Walk) -> None:
    """The lottery's pupils are people of the plan, its clubs those it describes, each
    pupil once per club, waiting places 1, 2, … per club."""
    sec = data.get("clubs")
    if not sec:
        return
    students = data.get("people", {}).get("students", {})
    known = sec.get("clubs")
    pairs, places = set(), defaultdict(list)
    for key in ("assigned", "waiting"):
        for i, row in enumerate(sec[key]):
            at = path_join(path_join("clubs", key), i)
            if row["student"] not in students:
                walk.add(path_join(at, "student"), "unknown student", row["student"],
                         "a key of people.students")
            if known is not None and row["club"] not in known:
                walk.add(path_join(at, "club"), "unknown club", row["club"], "a key of "
                         "clubs.clubs")
            if key == "assigned":
                if (row["student"], row["club"]) in pairs:
                    walk.add(at, "the same pupil twice in a club", row["student"])
                pairs.add((row["student"], row["club"]))
            else:
                places[row["club"]].append(row["place"])
    for i, g in enumerate(sec.get("groups", [])):
        for k, x in enumerate(g["students"]):
            if x not in students:
                walk.add(path_join(path_join(path_join(path_join("clubs", "groups"), i),
                                             "students"), k), "unknown student", x,
                         "a key of people.students")
    for club, got in places.items():
        if sorted(got) != list(range(1, len(got) + 1)):
            walk.add(path_join("clubs", "waiting"), f"the places of {club} are not 1, 2, …",
                     club)


def _references(data: dict, walk: _Walk) -> None:
    _club_references(data, walk)
    sessions = data.get("sessions")
    people = data.get("people", {})
    staff, students = people.get("staff"), people.get("students")
    for sid, s in (sessions or {}).items():
        if _minutes(s["end"]) <= _minutes(s["start"]):
            walk.add(path_join(path_join("sessions", sid), "end"), "not after the start",
                     s["end"], f"a time after {s['start']}")
    versions = [(path_join("history", i), h) for i, h in enumerate(data.get("history", []))]
    versions.append(("", data))
    for at, v in versions:
        ids = set()
        placed: dict[tuple[str, str], str] = {}  # (session, student) -> the first place
        for i, g in enumerate(v["groups"]):
            p = path_join(path_join(at, "groups"), i)
            if g["id"] in ids:
                walk.add(path_join(p, "id"), "duplicate group id", g["id"],
                         "group ids unique within a version")
            ids.add(g["id"])
            for j, x in enumerate(g["students"]):
                first = placed.setdefault((g["session"], x), path_join(path_join(p, "students"),
                                                                       j))
                if first != path_join(path_join(p, "students"), j):
                    walk.add(path_join(path_join(p, "students"), j), "a student placed twice "
                             "in one session", x, f"one place only (also at {render(first)})")
            if sessions is not None and g["session"] not in sessions:
                walk.add(path_join(p, "session"), "unknown session", g["session"],
                         "a key of sessions")
            if students is not None:
                for j, x in enumerate(g["students"]):
                    if x not in students:
                        walk.add(path_join(path_join(p, "students"), j), "unknown student", x,
                                 "a key of people.students")
        for key in ("duties", "shortages"):
            _times(v.get(key, []), path_join(at, key), walk)
        for i, d in enumerate(v["duties"]):
            p = path_join(path_join(at, "duties"), i)
            if staff is not None and d["staff"] not in staff:
                walk.add(path_join(p, "staff"), "unknown person", d["staff"],
                         "a key of people.staff")
            if d["role"] == "teacher":
                for key in ("session", "group", "slot"):
                    if d.get(key) is None:
                        walk.add(path_join(p, key), "missing for a teacher's duty",
                                 expected="a session, group and slot")
                if d.get("group") is not None and d["group"] not in ids:
                    walk.add(path_join(p, "group"), "no group of this version", d["group"],
                             "the id of a group in the same version")
                if sessions is not None and d.get("session") not in (None, *sessions):
                    walk.add(path_join(p, "session"), "unknown session", d["session"],
                             "a key of sessions")
            elif d.get("window") is None:
                walk.add(path_join(p, "window"), "missing for a manager's duty",
                         expected="a duty window id")
    exceptions = data.get("exceptions", [])
    _times(exceptions, "exceptions", walk)
    for i, x in enumerate(exceptions):
        for key in ("staff", "replaces"):
            if staff is not None and x[key] is not None and x[key] not in staff:
                walk.add(path_join(path_join("exceptions", i), key), "unknown person", x[key],
                         "a key of people.staff")
    _covers(data, walk)
    for key, rows in (("pay", data.get("pay", [])), ("flex_ledger", data.get("flex_ledger", []))):
        for i, r in enumerate(rows):
            if staff is not None and r["staff"] not in staff:
                walk.add(path_join(path_join(key, i), "staff"), "unknown person", r["staff"],
                         "a key of people.staff")
    for k in data.get("weekly_limits", {}):
        if staff is not None and k not in staff:
            walk.add(path_join("weekly_limits", k), "unknown person", k, "a key of people.staff")


def _place(x: dict):
    return x.get("group") if x["role"] == "teacher" else x.get("window")


def _covers(data: dict, walk: _Walk) -> None:
    """Each substitution takes over a duty that ``replaces`` holds on that date: a duty of
    the version in force then on the date's weekday (``calendar``: make-up days count as the
    weekday they follow), or an earlier substitution of the same date; a duty is taken over
    once. Money moves by these, so one that fits no duty would pay for nothing."""
    calendar = data["calendar"]
    weekday = {d: day for day, ds in calendar.items() for d in ds}
    versions = [(h["valid_from"], h["valid_to"], h["duties"]) for h in data.get("history", [])]
    start = data.get("valid_from") or (walk.term[0].isoformat() if walk.term else "")
    versions.append((start, "9999-12-31", data["duties"]))
    held: dict[str, dict[tuple, int]] = {}  # date -> (staff, start, end, role, place) -> n
    for i, x in enumerate(data.get("exceptions", [])):
        at = path_join("exceptions", i)
        when = x["date"]
        need = ("session", "group", "slot") if x["role"] == "teacher" else ("window",)
        missing = [k for k in need if x.get(k) is None]
        if missing:
            walk.add(path_join(at, missing[0]), f"missing for a {x['role']}'s duty",
                     expected="a session, group and slot" if x["role"] == "teacher"
                     else "a duty window id")
            continue
        if weekday.get(when) != x["day"]:
            walk.add(path_join(at, "date"), "not a service date on that weekday", when,
                     f"a date of calendar.{x['day']}")
            continue
        if when not in held:
            duties = next((ds for a, b, ds in versions if a <= when <= b), [])
            held[when] = {}
            for d in duties:
                if d["day"] == x["day"]:
                    key = (d["staff"], d["start"], d["end"], d["role"], _place(d))
                    held[when][key] = held[when].get(key, 0) + 1
        key = (x["replaces"], x["start"], x["end"], x["role"], _place(x))
        if not held[when].get(key):
            walk.add(path_join(at, "replaces"), f"no such duty of {x['replaces']} on {when} "
                     f"{x['start']}-{x['end']} ({x['role']}, {_place(x)})",
                     expected="a duty of that person in the version in force then")
            continue
        held[when][key] -= 1
        if x["staff"] is not None:
            took = (x["staff"],) + key[1:]
            held[when][took] = held[when].get(took, 0) + 1


def _tiling(data: dict, walk: _Walk) -> None:
    """History versions one after another over the term, the current version last."""
    history = data.get("history", [])
    if not history:
        return
    start = walk.term[0] if walk.term else None
    if data.get("valid_from") is None:
        walk.add("valid_from", "missing in a plan with history",
                 expected="the date the current version starts")
        return
    bounds = [(h["valid_from"], h["valid_to"]) for h in history]
    first = date.fromisoformat(bounds[0][0])
    if start is not None and first != start:
        walk.add("history[0].valid_from", "the first version does not start on the term's "
                 "start", bounds[0][0], str(start))
    nexts = [b[0] for b in bounds[1:]] + [data["valid_from"]]
    for i, ((a, b), after) in enumerate(zip(bounds, nexts)):
        lo, hi, nxt = (date.fromisoformat(x) for x in (a, b, after))
        if hi < lo:
            walk.add(f"history[{i}].valid_to", "before its valid_from", b, f"{a} or later")
        if hi + timedelta(days=1) != nxt:
            where = f"history[{i + 1}].valid_from" if i + 1 < len(bounds) else "valid_from"
            walk.add(where, "versions overlap or leave a gap", after,
                     f"{hi + timedelta(days=1)}, the day after history[{i}].valid_to")


def _venue_references(data: dict, walk: _Walk) -> None:
    """Venue rows, shortfalls, rooms and rain moves name groups of the current version and
    keys of ``sessions``; each (group, day, slot) once."""
    groups = {g["id"]: g["session"] for g in data["groups"]}
    sessions = data.get("sessions") or {}
    seen: set = set()
    named = data.get("venue_list")
    for i, r in enumerate(data.get("venues", [])):
        for key in ("venue", "room"):
            if named is not None and r.get(key) is not None and r[key] not in named:
                walk.add(path_join(path_join("venues", i), key), "unknown venue", r[key],
                         "a key of venue_list")
    for key in ("venues", "venue_shortfalls", "venue_no_room", "rain_plan"):
        for i, r in enumerate(data.get(key, [])):
            p = path_join(key, i)
            if r["group"] not in groups:
                walk.add(path_join(p, "group"), "no group of the current version", r["group"],
                         "the id of a group in groups")
            elif "session" in r and r["session"] != groups[r["group"]]:
                walk.add(path_join(p, "session"), "not the group's session", r["session"],
                         groups[r["group"]])
            if "session" in r and r["session"] not in sessions:
                walk.add(path_join(p, "session"), "unknown session", r["session"],
                         "a key of sessions")
            if key == "venues":
                at = (r["group"], r["day"], r["slot"])
                if at in seen:
                    walk.add(p, "a second row for the same group, day and slot",
                             expected="one row per group, day and slot")
                seen.add(at)


def validate_plan_dict(data, where: str = "plan") -> list[Problem]:
    """Every problem that stops ``data`` from being used as a plan (see the module doc);
    ``where`` names the source in the messages (a file, a record)."""
    walk = _Walk(where)
    try:
        if not isinstance(data, dict):
            walk.add("", "wrong type", data, "a plan object {schema, status, groups, …}")
            return walk.problems
        if data.get("schema") != SCHEMA:
            walk.add("schema", "not a plan of this schema", data.get("schema"), SCHEMA)
            return walk.problems
        term = data.get("term")
        if PLAN.required["term"].check(term, "term", _Walk(where)):  # problems told below
            lo, hi = date.fromisoformat(term["start"]), date.fromisoformat(term["end"])
            if hi < lo or (hi - lo).days > 400:
                walk.add("term.end", "not a term", term["end"],
                         f"a date within 400 days after {term['start']}")
            else:
                walk.term = (lo, hi)
        if PLAN.check(data, "", walk) and not walk.problems:
            _references(data, walk)
            _venue_references(data, walk)
            _tiling(data, walk)
    except _Stop:
        walk.problems.append(Problem(where, f"more problems not listed (the first "
                                     f"{MAX_PROBLEMS} are above)"))
    return walk.problems
