"""``school.toml`` -> ``models.School``, checking every key and value (SPEC §8).

Every value of SPEC §2–§6 has a default; a minimal file names the school and the term.
Unknown keys are errors with a "did you mean" hint. Problems carry the line of the key in
the file where it can be found. Every string passes ``clean.clean_text`` first (control
characters refused, school/session/slot names at most 100 characters, session ids by the id
alphabet, at most 32). Numbers are range-checked (``_RANGES``, ``_MONEY``); session grades
lie in 1–6; ``group_cap`` above 45 needs ``allow_above_standard = true`` and then warns.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import fields
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from afterschool.models.errors import Problem
from afterschool.models.school import (
    ALL_DAYS,
    WEEKDAYS,
    RefundPolicy,
    Rules,
    School,
    Session,
    Slot,
    Term,
    WithdrawalStep,
    default_sessions,
    parse_time,
)
from afterschool.scheduler.reading import clean, venue_config
from afterschool.scheduler.reading.tables import parse_day

SCHEMA: dict[str, set[str]] = {
    "": {"school", "term", "rules", "sessions", "refunds", "venues", "activities"},
    "refunds": {"basis", "withdrawal", "leave", "surplus"},
    "withdrawal": {"within_days", "refund"},
    "leave": {"min_consecutive", "refund"},
    "school": {"name", "language", "pupils"},
    "term": {"start", "end", "holidays", "makeup_days", "official_holidays",
             "holidays_confirmed"},
    "rules": {f.name for f in fields(Rules)} | {"allow_above_standard"},
    "sessions": {"id", "name", "grades", "days", "start", "end", "billable_minutes", "slots",
                 "signup"},
    "slots": {"name", "start", "end"},
}
SCHEMA[""].add("clubs")  # [clubs] (SPEC §12): read by reading.clubs.club_rules
SCHEMA["clubs"] = {"per_pupil", "rate", "start"}
_MONEY = {"fee_per_hour": Decimal("10000"), "pay_per_hour": Decimal("10000"),
          "lunch_price": Decimal("100000.00")}  # key -> most yuan allowed
STANDARD_CAP = 45  # SPEC §4: the national class-size standard (国家班额标准)
# whole-number rules: (least, most); group_cap above 45 needs allow_above_standard = true
_RANGES = {"group_cap": (1, STANDARD_CAP), "students_per_teacher": (1, 1000),
           "remainder_threshold": (0, 1000), "groups_per_manager": (1, 1000),
           "manager_remainder_threshold": (0, 1000), "max_weekly_minutes": (0, 7 * 24 * 60),
           "max_daily_minutes": (0, 24 * 60)}
CAP_ABOVE_STANDARD_MAX = 1000
HOURS_LIKE = 10  # a limit in minutes of 1 to this many was most likely typed in hours


class _Ctx:
    def __init__(self, file: str, text: str):
        self.file, self.lines, self.problems = file, text.splitlines(), []

    def line(self, key: str, section: str | None = None) -> int | None:
        """Line number of ``key =`` (after ``[section]`` when given), for messages; without a
        section, also of a table header ``[key]`` or ``[[key]]``."""
        in_section = section is None
        for n, line in enumerate(self.lines, start=1):
            s = line.strip()
            if section is None and s.startswith("[") and s.strip("[] ") == key:
                return n
            if section is not None and s.startswith("["):
                in_section = s.strip("[] ") == section
            elif in_section and re.match(rf"^{re.escape(key)}\s*=", s):
                return n
        return None

    def err(self, msg: str, key: str = "", section: str | None = None, value: Any = None,
            expected: str | None = None, severity: str = "error") -> None:
        col = f"{section}.{key}" if section and key else (key or section)
        self.problems.append(Problem(self.file, msg, row=self.line(key, section) if key else None,
                                     column=col, value=None if value is None else str(value),
                                     expected=expected, severity=severity))

    def check_keys(self, table: dict, kind: str, section: str | None) -> None:
        for key in table:
            if key not in SCHEMA[kind]:
                hint = difflib.get_close_matches(key, sorted(SCHEMA[kind]), n=1)
                self.err("unknown key" + (f"; did you mean '{hint[0]}'?" if hint else ""),
                         key, section,
                         expected=f"one of the keys {', '.join(sorted(SCHEMA[kind]))}")


def _is_date(value: Any) -> bool:
    """A TOML local date; a date-time (``datetime`` is a subclass of ``date``) is not one."""
    return isinstance(value, date) and not isinstance(value, datetime)


def _as_date(ctx: _Ctx, value: Any, key: str, section: str) -> date | None:
    if _is_date(value):
        return value
    ctx.err("not a date", key, section, value, "a date such as 2026-09-01 (no quotes, no time)")
    return None


def _read_term(ctx: _Ctx, term: dict) -> Term | None:
    ctx.check_keys(term, "term", "term")
    start = _as_date(ctx, term.get("start"), "start", "term") if "start" in term else None
    end = _as_date(ctx, term.get("end"), "end", "term") if "end" in term else None
    for key in ("start", "end"):
        if key not in term:
            ctx.err("required key missing", key, "term", expected="a date such as 2026-09-01")
    if start and end:
        if end < start:
            ctx.err("term ends before it starts", "end", "term", end, f"a date after {start}")
        elif (end - start).days > 366:
            ctx.err("term is longer than a year", "end", "term", end,
                    f"a date within a year of {start}")
    holidays: set[date] = set()
    spans: list[tuple[date, date]] = []
    raw_holidays = term.get("holidays", [])
    if not isinstance(raw_holidays, list):
        ctx.err("not a list", "holidays", "term", raw_holidays,
                "[2026-10-01, { from = 2026-10-03, to = 2026-10-07 }]")
        raw_holidays = []
    for item in raw_holidays:
        if _is_date(item):
            lo = hi = item
        elif isinstance(item, dict) and set(item) == {"from", "to"} and all(
                _is_date(item[k]) for k in ("from", "to")):
            lo, hi = item["from"], item["to"]
            if hi < lo:
                ctx.err("holiday range ends before it starts", "holidays", "term", item)
                continue
        else:
            ctx.err("not a holiday", "holidays", "term", item,
                    "a date or { from = DATE, to = DATE }")
            continue
        for a, b in spans:
            if lo <= b and a <= hi:
                ctx.err(f"holiday {lo}..{hi} overlaps holiday {a}..{b}", "holidays", "term")
        spans.append((lo, hi))
        holidays.update(lo + timedelta(days=i) for i in range((hi - lo).days + 1))
    makeup: list[tuple[date, str]] = []
    raw_makeup = term.get("makeup_days", {})
    if not isinstance(raw_makeup, dict):
        ctx.err("not a table", "makeup_days", "term", raw_makeup,
                '{ 2026-10-10 = "Fri" }')
        raw_makeup = {}
    for key, day in raw_makeup.items():
        try:
            when = date.fromisoformat(str(key))
        except ValueError:
            ctx.err("make-up day is not a date", "makeup_days", "term", key, "YYYY-MM-DD")
            continue
        wd = parse_day(str(day))
        if wd not in WEEKDAYS:
            ctx.err(f"make-up day {when} follows an unknown weekday", "makeup_days", "term", day,
                    "Mon, Tue, Wed, Thu or Fri")
        elif ALL_DAYS[when.weekday()] in WEEKDAYS:
            ctx.err(f"make-up day {when} is a {ALL_DAYS[when.weekday()]}, already a school day",
                    "makeup_days", "term", key, "a Saturday or Sunday")
        else:
            makeup.append((when, wd))
    official = term.get("official_holidays", True)
    if not isinstance(official, bool):
        ctx.err("not true or false", "official_holidays", "term", official, "true or false")
        official = True
    confirmed = term.get("holidays_confirmed", False)
    if not isinstance(confirmed, bool):
        ctx.err("not true or false", "holidays_confirmed", "term", confirmed, "true or false")
        confirmed = False
    if start is None or end is None:
        return None
    return Term(start, end, frozenset(holidays), tuple(sorted(makeup)), official, confirmed)


def _read_rules(ctx: _Ctx, rules: dict) -> Rules:
    ctx.check_keys(rules, "rules", "rules")
    values: dict[str, Any] = {}
    above = rules.get("allow_above_standard", False)
    if not isinstance(above, bool):
        ctx.err("not true or false", "allow_above_standard", "rules", above, "true or false")
        above = False
    for key, value in rules.items():
        if key not in SCHEMA["rules"] or key == "allow_above_standard":
            continue
        if key in _MONEY:
            try:
                if isinstance(value, bool):
                    raise InvalidOperation
                money = Decimal(str(value).strip())
            except InvalidOperation:
                ctx.err("not an amount of money", key, "rules", value, 'a string like "2.00"')
                continue
            if not money.is_finite():
                ctx.err("not a finite amount of money", key, "rules", value,
                        f"0 to {_MONEY[key]:,}")
            elif money < 0:
                ctx.err("must not be negative", key, "rules", value, "0 or more")
            elif money > _MONEY[key]:
                ctx.err("out of range", key, "rules", value, f"at most {_MONEY[key]:,} yuan")
            else:
                values[key] = money.quantize(Decimal("0.01"))
            continue
        lo, hi = _RANGES[key]
        if key == "group_cap" and above:
            hi = CAP_ABOVE_STANDARD_MAX
        if not isinstance(value, int) or isinstance(value, bool):
            ctx.err("not a whole number", key, "rules", value, "a whole number")
        elif key == "group_cap" and STANDARD_CAP < value <= CAP_ABOVE_STANDARD_MAX and not above:
            ctx.err(f"a group cap above {STANDARD_CAP} breaks the national class-size standard; "
                    "set allow_above_standard = true in [rules] to plan with it anyway",
                    key, "rules", value, f"{lo} to {STANDARD_CAP}")
        elif value < lo:
            ctx.err("out of range", key, "rules", value, f"{lo} or more")
        elif value > hi:
            ctx.err("out of range", key, "rules", value, f"{lo} to {hi}")
        else:
            values[key] = value
    for key in ("max_weekly_minutes", "max_daily_minutes"):
        if 0 < values.get(key, 0) <= HOURS_LIKE:
            ctx.err(f"{values[key]} minutes looks like hours: {values[key]} hours are "
                    f"{values[key] * 60} minutes", key, "rules", values[key],
                    f"minutes, such as {values[key] * 60} for {values[key]} hours",
                    severity="warning")
    if above and values.get("group_cap", 45) > STANDARD_CAP:
        ctx.err(f"group_cap = {values['group_cap']} is above the national class-size "
                f"standard of {STANDARD_CAP} (allowed by allow_above_standard = true)",
                "group_cap", "rules", severity="warning")
    return Rules(**values)


def _percent(ctx: _Ctx, value: Any, key: str, section: str) -> Decimal | None:
    """A share written "50%" (0% to 100%)."""
    text = value.strip() if isinstance(value, str) else None
    try:
        share = Decimal(text[:-1]) if text and text.endswith("%") else None
    except ArithmeticError:
        share = None
    if share is None or not share.is_finite() or not 0 <= share <= 100:
        ctx.err("not a share", key, section, value, 'a percentage such as "50%" (0% to 100%)')
        return None
    return share


def _read_refunds(ctx: _Ctx, raw: dict) -> RefundPolicy:
    """``[refunds]`` (SPEC §11); every key optional, the defaults those of RefundPolicy."""
    ctx.check_keys(raw, "refunds", "refunds")
    basis = raw.get("basis", "plan")
    if basis not in ("plan", "attendance"):
        ctx.err("unknown basis", "basis", "refunds", basis, '"plan" or "attendance"')
        basis = "plan"
    surplus = raw.get("surplus", "refund")
    if surplus not in ("refund", "credit"):
        ctx.err("unknown surplus", "surplus", "refunds", surplus, '"refund" or "credit"')
        surplus = "refund"
    steps = []
    raw_steps = raw.get("withdrawal", [])
    if not isinstance(raw_steps, list):
        ctx.err("not a list of steps", "withdrawal", "refunds", raw_steps,
                'withdrawal = [{ within_days = 90, refund = "50%" }]')
        raw_steps = []
    for step in raw_steps:
        if not isinstance(step, dict):
            ctx.err("not a step", "withdrawal", "refunds", step,
                    '{ within_days = 90, refund = "50%" }')
            continue
        ctx.check_keys(step, "withdrawal", "refunds")
        days = step.get("within_days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
            ctx.err("not a number of days", "withdrawal.within_days", "refunds", days,
                    "a whole number from 1 to 366")
            continue
        share = _percent(ctx, step.get("refund"), "withdrawal.refund", "refunds")
        if share is not None:
            steps.append(WithdrawalStep(days, share))
    if [s.within_days for s in steps] != sorted({s.within_days for s in steps}):
        ctx.err("steps not in increasing within_days", "withdrawal", "refunds",
                expected="each step's within_days larger than the one before")
    leave = raw.get("leave", {})
    run, leave_share = 0, Decimal(0)
    if not isinstance(leave, dict):
        ctx.err("not a table", "leave", "refunds", leave,
                'leave = { min_consecutive = 5, refund = "100%" }')
    elif leave:
        ctx.check_keys(leave, "leave", "refunds")
        run = leave.get("min_consecutive")
        if not isinstance(run, int) or isinstance(run, bool) or not 1 <= run <= 200:
            ctx.err("not a number of dates", "leave.min_consecutive", "refunds", run,
                    "a whole number from 1 to 200")
            run = 0
        leave_share = _percent(ctx, leave.get("refund"), "leave.refund", "refunds") or \
            Decimal(0)
    return RefundPolicy(basis, tuple(steps), run, leave_share, surplus)


def _time(ctx: _Ctx, value: Any, key: str, where: str) -> int | None:
    try:
        return parse_time(str(value))
    except ValueError:
        ctx.err(f"{where}: not a time", key, "sessions", value, 'a time "HH:MM" such as "16:20"')
        return None


def _read_session(ctx: _Ctx, raw: dict, n: int) -> Session | None:
    ctx.check_keys(raw, "sessions", "sessions")
    where = f"session {n} ({raw.get('id', '?')})"
    for key in ("id", "grades", "days", "start", "end"):
        if key not in raw:
            ctx.err(f"{where}: required key missing", key, "sessions")
    if any(key not in raw for key in ("id", "grades", "days", "start", "end")):
        return None
    start, end = _time(ctx, raw["start"], "start", where), _time(ctx, raw["end"], "end", where)
    why = clean.id_problem(str(raw["id"])) if isinstance(raw["id"], str) and raw["id"] \
        else "a session id is a non-empty string"
    if why:
        ctx.err(f"{where}: {why}", "id", "sessions", raw["id"], "letters, digits, - _ .")
        return None
    grades = raw["grades"]
    if not (isinstance(grades, list) and grades and all(
            isinstance(g, int) and not isinstance(g, bool) for g in grades)):
        ctx.err(f"{where}: grades must be a list of grade numbers", "grades", "sessions",
                grades, "[1, 2]")
        grades = None
    elif any(not 1 <= g <= 6 for g in grades):
        ctx.err(f"{where}: grade(s) {', '.join(str(g) for g in grades if not 1 <= g <= 6)} "
                "outside 1–6: a primary school has grades 1 to 6", "grades", "sessions",
                grades, "grades from 1 to 6, such as [1, 2]")
        grades = None
    days = []
    for d in raw["days"] if isinstance(raw["days"], list) else [raw["days"]]:
        wd = parse_day(str(d))
        if wd not in WEEKDAYS:
            ctx.err(f"{where}: unknown weekday", "days", "sessions", d, "Mon … Fri")
        else:
            days.append(wd)
    if start is None or end is None or grades is None:
        return None
    if end <= start:
        ctx.err(f"{where}: ends before it starts", "end", "sessions", raw["end"],
                f"a time after {raw['start']}")
        return None
    slots = []
    raw_slots = raw.get("slots", [])
    if not isinstance(raw_slots, list):
        ctx.err(f"{where}: slots is not a list", "slots", "sessions", raw_slots,
                '[{ name = "...", start = "HH:MM", end = "HH:MM" }]')
        raw_slots = []
    for s in raw_slots or [{"name": raw.get("name", raw["id"]),
                            "start": raw["start"], "end": raw["end"]}]:
        if not isinstance(s, dict):
            ctx.err(f"{where}: slot is not a table", "slots", "sessions", s)
            continue
        ctx.check_keys(s, "slots", "sessions")
        a, b = _time(ctx, s.get("start"), "slots", where), _time(ctx, s.get("end"), "slots", where)
        if a is not None and b is not None:
            if b <= a:
                ctx.err(f"{where}: slot ends before it starts", "slots", "sessions",
                        f"{s.get('start')}-{s.get('end')}")
            slots.append(Slot(str(s.get("name", f"{s.get('start')}-{s.get('end')}")), a, b))
    slots.sort(key=lambda s: s.start)
    cursor = start
    for s in slots:
        if s.start != cursor:
            ctx.err(f"{where}: slots do not tile the session (gap or overlap at "
                    f"{cursor // 60:02d}:{cursor % 60:02d})", "slots", "sessions",
                    f"slot '{s.name}' starts {s.start // 60:02d}:{s.start % 60:02d}",
                    "slots back to back from the session's start to its end")
            break
        cursor = s.end
    else:
        if cursor != end:
            ctx.err(f"{where}: slots end before the session ends", "slots", "sessions",
                    f"{cursor // 60:02d}:{cursor % 60:02d}",
                    f"{end // 60:02d}:{end % 60:02d}")
    billable = raw.get("billable_minutes", end - start)
    if not isinstance(billable, int) or isinstance(billable, bool) or not 0 <= billable <= 1440:
        ctx.err(f"{where}: billable minutes must be 0 to 1440 (a day)", "billable_minutes",
                "sessions", billable)
        billable = end - start
    signup = raw.get("signup", "noon" if str(raw["id"]).startswith("noon") else "afternoon")
    if signup not in ("noon", "afternoon"):
        ctx.err(f"{where}: unknown sign-up column", "signup", "sessions", signup,
                "noon or afternoon")
        signup = "afternoon"  # the school is refused; later checks need a known column
    return Session(str(raw["id"]), str(raw.get("name", raw["id"])), tuple(grades), tuple(days),
                   start, end, billable, tuple(slots), signup)


def parse_school(text: str, file: str = "school.toml") -> tuple[School | None, list[Problem]]:
    """Parse and check ``school.toml`` text; the school is None when a problem is fatal."""
    ctx = _Ctx(file, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        row = int(m.group(1)) if m else None
        col = f"character {m.group(2)}" if m else None
        return None, [Problem(file, f"TOML syntax error: {str(exc).split(' (at')[0]}", row=row,
                              column=col, expected="key = value lines, strings in quotes")]
    return school_from_dict(data, ctx)


_STRING_LIMITS = {("school", "name"): clean.LABEL_MAX, ("sessions", "id"): clean.ID_MAX,
                  ("sessions", "name"): clean.LABEL_MAX, ("slots", "name"): clean.LABEL_MAX}


def _clean_tree(ctx: _Ctx, value: Any, path: tuple[str, ...]) -> Any:
    """Every string of the file through ``clean.clean_text``; problems name the key."""
    if isinstance(value, dict):
        return {k: _clean_tree(ctx, v, path + (str(k),)) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_tree(ctx, v, path) for v in value]
    if not isinstance(value, str):
        return value
    names = [p for p in path if p != "slots"]
    kind = "slots" if "slots" in path else (names[0] if names else "")
    limit = _STRING_LIMITS.get((kind, path[-1]), clean.LABEL_MAX)
    text, found = clean.clean_text(value, limit)
    section = path[0] if len(path) > 1 else None
    for msg in found:
        ctx.err(msg, path[-1], section, value[:60], "plain text")
    return text


def _table(ctx: _Ctx, data: dict, key: str) -> dict | None:
    """``data[key]`` when it is a table ({} when absent); None, and a problem, otherwise
    (``term = 5``, ``school = "x"``)."""
    value = data.get(key, {})
    if isinstance(value, dict):
        return value
    ctx.err("not a table", key, None, value, f"a [{key}] table of key = value lines")
    return None


def school_from_dict(data: dict, ctx: _Ctx) -> tuple[School | None, list[Problem]]:
    data = _clean_tree(ctx, data, ())
    ctx.check_keys(data, "", None)
    school = _table(ctx, data, "school")
    ctx.check_keys(school or {}, "school", "school")
    name = (school or {}).get("name")
    if school is None:
        pass  # "not a table" said it; "name missing" would say it twice
    elif not name:
        ctx.err("required key missing", "name", "school", expected='name = "学校名称"')
    elif not isinstance(name, str):
        ctx.err("not a text", "name", "school", name, 'name = "学校名称" (in quotes)')
    language = (school or {}).get("language", "zh")
    if language not in ("zh", "en"):
        ctx.err("unknown language", "language", "school", language, "zh or en")
        language = "zh"
    pupils = (school or {}).get("pupils")
    if pupils is not None and (not isinstance(pupils, int) or isinstance(pupils, bool)
                               or not 1 <= pupils <= 100_000):
        ctx.err("not a number of pupils", "pupils", "school", pupils,
                "the school's pupils, a whole number from 1 to 100000")
        pupils = None
    term_table = _table(ctx, data, "term")
    term = _read_term(ctx, term_table) if "term" in data and term_table is not None else None
    if "term" not in data:
        ctx.err("required table missing", "", "term", expected="[term] with start and end")
    rules = _read_rules(ctx, _table(ctx, data, "rules") or {})
    refunds = _read_refunds(ctx, _table(ctx, data, "refunds") or {})
    from afterschool.scheduler.reading.clubs import club_rules
    clubs = club_rules(ctx, _table(ctx, data, "clubs") or {})
    sessions = default_sessions()
    if "sessions" in data:
        raw = data["sessions"]
        if not isinstance(raw, list):  # a single [sessions] table, or sessions = "..."
            ctx.err("not an array of tables", "sessions", None,
                    raw if not isinstance(raw, dict) else None,
                    "[[sessions]] (double brackets), one block per session")
            raw = []
        for n, s in enumerate(raw, start=1):
            if not isinstance(s, dict):
                ctx.err(f"session {n} is not a table", "sessions", None, s,
                        "[[sessions]] blocks with id, grades, days, start and end")
        parsed = [_read_session(ctx, s, n) for n, s in enumerate(raw, start=1)
                  if isinstance(s, dict)]
        sessions = tuple(s for s in parsed if s is not None)
        ids = [s.id for s in sessions]
        for sid in {i for i in ids if ids.count(i) > 1}:
            ctx.err("two sessions have the same id", "id", "sessions", sid)
        seen: dict[tuple[str, int], str] = {}
        for s in sessions:
            for g in s.grades:
                other = seen.setdefault((s.signup, g), s.id)
                if other != s.id:
                    ctx.err(f"grade {g} signs up for '{s.signup}' in two sessions "
                            f"({other}, {s.id})", "grades", "sessions")
    venues, activities = venue_config.read_venues(ctx, data)  # SPEC §12
    if any(p.severity == "error" for p in ctx.problems) or term is None:
        return None, ctx.problems
    return School(str(name), term, language, rules, sessions, refunds, pupils, clubs,
                  venues, activities), ctx.problems
