"""Cover an absence (SPEC §9, 代课): each duty of an absent person on some dates goes to
another volunteer, or stays a shortage on that date.

Input: the instance as it stands, a plan (any version history, earlier ``exceptions``), the
absent person's id and the dates (ISO strings).
Output: ``Substitution``: the plan with one new exception per duty and date appended (its
money recomputed over versions and exceptions by ``term_money``), the new exceptions, the
people asked, and advice for every duty nobody can cover.

The duties to cover on a date are the duties of the version in force that date
(``Plan.versions()``) held by the absent person after the earlier exceptions of that date are
applied in order: a duty they were excused from is not theirs any more, a duty they took over
as somebody's substitute is. A new exception names the absent person in ``replaces``, so
a chain (A absent, B covers, then B absent, C covers) moves the minutes A -> B -> C.

Rules for a substitute of one duty on date D, all counted on the plan as it stands that
date (version duties plus earlier exceptions):
- a volunteer other than the absent person, not absent that date themselves (nobody
  replaced by an exception on D is asked to cover on D);
- available for (weekday, session) — a session row or its window's row — or, for a manager
  post, able to manage (``can_manage``) and available for the whole duty window
  (``rules.availability``, as the planner reads it);
- not on duty at an overlapping time on D (after-lower and after-upper overlap 16:20–16:35;
  a manager window overlaps every slot inside it);
- within the daily limit on D and the weekly limit (their own or the school's) of D's
  calendar week (Monday to Sunday, make-up days included), earlier substitutions counted;
- no duty in two windows of D (noon and afternoon) unless ``allow_double``.
Objective, lexicographic (one small CP-SAT model, one worker, fixed seed, re-solved once
per level with the earlier levels fixed): 1. fewest minutes uncovered; 2. fewest people
asked (a 4-slot noon duty goes to one person where one person can take it); 3. fairness:
fewest substitution minutes so far this term (from ``plan.exceptions``) among those asked,
weighted by what each takes now; 4. fewest minutes outside the substitutes' preferred times;
5. the least loaded that week.

A duty nobody can cover becomes an exception with ``staff`` None (a shortage on that date)
with ``need``-style advice per span (back-to-back slots of one group merged): "one volunteer
available Wed 11:20-13:30 (noon noon-03, 4 slots) would cover it", the people who are free
then and within their limits but did not declare that time (they could cover if they
volunteered for it), and how many of the others each rule holds back.

Bad input (``InputError``, exit 2 in the CLI): an unknown person; a date that is not a date,
outside the term, or not a service date (weekend, holiday); a plan of another school or
term, or naming people, sessions or students the instance does not have; no duty left to
cover on any of the dates (each date said: no duty that weekday, or already covered).
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from ortools.sat.python import cp_model

from afterschool.models.errors import InputError, Problem
from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.models.school import ALL_DAYS, DutyWindow, fmt_time, parse_time
from afterschool.scheduler.money.accounts import term_money, version_dates
from afterschool.scheduler.rules.ledger import (BUSY, DAILY, DOUBLE, WEEKLY, Ledger,
                                                 add_daily_limit, add_one_place,
                                                 add_one_window, add_week_limit, weekly_limit)
from afterschool.scheduler.planning.cpsat import (TERM_DET_PER_SECOND, Deadline, SolveOptions,
                                                  solve_phase)
from afterschool.scheduler.reading.options import resolve_person
from afterschool.scheduler.reading.plan_file import plan_problems
from afterschool.scheduler.rules.availability import session_status, window_status
from afterschool.scheduler.rules.calendar import term_dates
from afterschool.scheduler.rules.staffing import duty_windows

# why a person cannot take a post, tested in this order; FREE: nothing but their declared
# availability (or volunteering) holds them back — they could cover if they volunteered
FREE = "free then but not available"
REASONS = ("absent that day", "cannot manage", BUSY, DAILY, WEEKLY, DOUBLE, FREE)


@dataclass(frozen=True)
class Post:
    """One duty of the absent person on one date: what the new exception will say."""

    date: date
    day: str
    role: str  # teacher | manager
    session: str | None
    window: str | None
    slot: str | None
    group: str | None
    start: int
    end: int
    duty_window: str  # the duty window holding it (noon / afternoon): the double-duty rule

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass
class Substitution:
    """What ``substitute`` decided: the updated plan and what the office must be told."""

    plan: Plan
    absent: str
    dates: list[str]  # the dates asked for, ISO
    added: list[dict]  # the new exceptions, in date and time order
    asked: list[str]  # the people asked to cover, by id
    advice: list[dict]  # one per uncovered span: date, day, start, end, what, text
    # dates with nothing to cover: "2026-09-14 (Mon)", or "...: already covered by an
    # earlier substitution"
    notes: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def uncovered(self) -> list[dict]:
        return [x for x in self.added if x["staff"] is None]


def _key(role: str, session, window, group, slot, start: str, end: str) -> tuple:
    """What identifies a duty on a day, for matching exceptions to duties."""
    return (role, session if role == "teacher" else window, group, slot, start, end)


def _exception_key(x: dict) -> tuple:
    return _key(x["role"], x.get("session"), x.get("window"), x.get("group"), x.get("slot"),
                x["start"], x["end"])


class DayBook:
    """Who holds which duty on each service date: the version in force that date, with the
    exceptions of that date applied in order (a substitute takes the duty over, ``None``
    leaves it empty)."""

    def __init__(self, inst: Instance, plan: Plan):
        self.plan = plan
        self.day_of: dict[date, str] = {}
        for day, dates in term_dates(inst.school.term).items():
            for d in dates:
                self.day_of[d] = day
        self.version_of: dict[date, object] = {}
        for version, dates in version_dates(inst, plan):
            for ds in dates.values():
                for d in ds:
                    self.version_of[d] = version
        self.exceptions: dict[date, list[dict]] = defaultdict(list)
        for x in plan.exceptions:
            self.exceptions[date.fromisoformat(x["date"])].append(x)
        self._cache: dict[date, list[list]] = {}
        self._busy: dict[date, dict[str, list[tuple[int, int]]]] = {}
        self._week: dict[date, dict[str, int]] = {}

    def entries(self, when: date) -> list[list]:
        """``[key, holder, duty]`` for every duty on ``when`` (``holder`` None: nobody)."""
        if when not in self._cache:
            version, day = self.version_of.get(when), self.day_of.get(when)
            out = [] if version is None else [
                [_key(d.role, d.session, d.window, d.group, d.slot, d.start, d.end), d.staff, d]
                for d in version.duties if d.day == day]
            for x in self.exceptions.get(when, []):
                key = _exception_key(x)
                for entry in out:
                    if entry[0] == key and entry[1] == x["replaces"]:
                        entry[1] = x.get("staff")
                        break
            self._cache[when] = out
        return self._cache[when]

    def absent_on(self, when: date) -> set[str]:
        """People an earlier exception replaces on ``when``: away that day."""
        return {x["replaces"] for x in self.exceptions.get(when, [])}

    def busy(self, when: date) -> dict[str, list[tuple[int, int]]]:
        """Person -> (start, end) of each duty they hold on ``when``."""
        if when not in self._busy:
            out: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for key, holder, _ in self.entries(when):
                if holder is not None:
                    out[holder].append((parse_time(key[4]), parse_time(key[5])))
            self._busy[when] = out
        return self._busy[when]

    def week_minutes(self, when: date) -> dict[str, int]:
        """Person -> duty minutes in ``when``'s calendar week (Monday to Sunday)."""
        monday = when - timedelta(days=when.weekday())
        if monday not in self._week:
            out: dict[str, int] = defaultdict(int)
            for k in range(7):
                for holder, spans in self.busy(monday + timedelta(days=k)).items():
                    out[holder] += sum(b - a for a, b in spans)
            self._week[monday] = out
        return self._week[monday]


def _problem(option: str, message: str, value: str | None = None,
             expected: str | None = None) -> Problem:
    return Problem(option, message, value=value, expected=expected)


def parse_dates(inst: Instance, raw: list[str]) -> tuple[list[date], list[Problem]]:
    """The distinct dates asked for, in order; each must be a service date of the term.
    ``D1..D2`` stands for every service date from D1 to D2 (a week away: Mon..Fri), both
    inside the term."""
    term = inst.school.term
    service = {d for ds in term_dates(term).values() for d in ds}
    out, problems = [], []
    for text in raw:
        text = text.strip()
        if not text:
            continue
        if ".." in text:
            lo_text, hi_text = (x.strip() for x in text.split("..", 1))
            try:
                lo, hi = date.fromisoformat(lo_text), date.fromisoformat(hi_text)
            except ValueError:
                problems.append(_problem("--dates", "not a date range", text,
                                         "YYYY-MM-DD..YYYY-MM-DD"))
                continue
            if not (term.start <= lo <= hi <= term.end):
                problems.append(_problem("--dates", "not a range inside the term", text,
                                         f"dates in {term.start}..{term.end}, first first"))
                continue
            out += [d for d in sorted(service) if lo <= d <= hi and d not in out]
            continue
        try:
            when = date.fromisoformat(text)
        except ValueError:
            problems.append(_problem("--dates", "not a date", text, "YYYY-MM-DD"))
            continue
        if not term.start <= when <= term.end:
            problems.append(_problem("--dates", "outside the term", text,
                                     f"a date in {term.start}..{term.end}"))
        elif when not in service:
            why = ("a weekend" if when.weekday() >= 5 else "a holiday")
            problems.append(_problem("--dates", f"not a service date ({why}, "
                                     f"{ALL_DAYS[when.weekday()]})", text,
                                     "a school day of the term"))
        elif when not in out:
            out.append(when)
    if not out and not problems:
        problems.append(_problem("--dates", "no date given", expected="D1[,D2...]"))
    return sorted(out), problems


def absent_posts(inst: Instance, book: DayBook, absent: str,
                 dates: list[date]) -> tuple[list[Post], list[str]]:
    """The duties ``absent`` holds on each date, and notes for dates without any."""
    posts, notes = [], []
    for when in dates:
        day = book.day_of[when]
        windows = duty_windows(inst.school.sessions, day)
        mine = [duty for _, holder, duty in book.entries(when) if holder == absent]
        if not mine:
            already = [x for x in book.exceptions.get(when, []) if x["replaces"] == absent]
            notes.append(f"{when} ({day})" +
                         (": already covered by an earlier substitution" if already else ""))
        for d in mine:
            a, b = parse_time(d.start), parse_time(d.end)
            held = next((w.id for w in windows if w.start <= a and b <= w.end), d.window or "")
            posts.append(Post(when, day, d.role, d.session if d.role == "teacher" else None,
                              d.window if d.role == "manager" else None,
                              d.slot if d.role == "teacher" else None,
                              d.group if d.role == "teacher" else None, a, b, held))
    posts.sort(key=lambda p: (p.date, p.start, p.role, p.session or p.window or "",
                              p.group or ""))
    return posts, notes


def _window(inst: Instance, day: str, wid: str) -> DutyWindow | None:
    return next((w for w in duty_windows(inst.school.sessions, day) if w.id == wid), None)


@dataclass
class _Options:
    """Who may take which post and at what cost, before the joint rules."""

    who: dict[int, list[str]]  # post index -> candidates
    preferred: dict[tuple[int, str], bool]
    why_not: dict[int, dict[str, str]]  # post index -> person -> first reason (REASONS)


def _candidates(inst: Instance, book: DayBook, absent: str, posts: list[Post]) -> _Options:
    """Each post's possible substitutes, each tested alone against every hard rule."""
    who: dict[int, list[str]] = {}
    preferred: dict[tuple[int, str], bool] = {}
    why_not: dict[int, dict[str, str]] = {}
    for i, p in enumerate(posts):
        # one person's rules on that date: the kernel's ledger (busy, daily, calendar week,
        # windows), seeded with the date's duties and its week's minutes
        led = Ledger.on_date(inst, p.day, book.busy(p.date), book.week_minutes(p.date))
        away = book.absent_on(p.date) | {absent}
        w = _window(inst, p.day, p.window) if p.role == "manager" else None
        ok, why_not[i] = [], {}
        for t in inst.teachers:
            if t.id == absent:
                continue
            if p.role == "teacher":
                status = session_status(inst, t.id, p.day, p.session)
            else:
                status = window_status(inst, t.id, p.day, w) if w else "unavailable"
            if t.id in away:
                reason = "absent that day"
            elif p.role == "manager" and not t.can_manage:
                reason = "cannot manage"
            elif (broken := led.why_not(t.id, p.day, p)) is not None:
                reason = broken
            elif status == "unavailable":
                reason = FREE
            else:
                ok.append(t.id)
                preferred[i, t.id] = status == "preferred"
                continue
            why_not[i][t.id] = reason
        who[i] = ok
    return _Options(who, preferred, why_not)


def _choose(inst: Instance, book: DayBook, posts: list[Post], opts: _Options,
            solve_opts: SolveOptions, budget: float) -> tuple[dict[int, str | None], list]:
    """The lexicographic choice (module docstring) as one CP-SAT model; post -> person."""
    rules = inst.school.rules
    m = cp_model.CpModel()
    x: dict[tuple[int, str], cp_model.IntVar] = {}
    gaps = {}
    for i, p in enumerate(posts):
        for t in opts.who[i]:
            x[i, t] = m.new_bool_var(f"x_{i}_{t}")
        gaps[i] = m.new_bool_var(f"gap_{i}")
        m.add_exactly_one([*(x[i, t] for t in opts.who[i]), gaps[i]])
    by_person_day: dict[tuple[str, date], list[int]] = defaultdict(list)
    by_person_week: dict[tuple[str, date], list[int]] = defaultdict(list)
    for (i, t) in x:
        when = posts[i].date
        by_person_day[t, when].append(i)
        by_person_week[t, when - timedelta(days=when.weekday())].append(i)
    teachers = {t.id: t for t in inst.teachers}
    for (t, when), idx in by_person_day.items():
        if len(idx) < 2:
            continue
        # the kernel's rules: one place at a time among the posts (a manager window holds
        # its slots: every post counts as a place), the day's room under the daily limit
        items = [(posts[i], False, x[i, t]) for i in idx]
        add_one_place(m, items)
        spans = book.busy(when).get(t, [])
        add_daily_limit(m, items, rules.max_daily_minutes - sum(b - a for a, b in spans))
        if not teachers[t].allow_double:  # and at most one duty window of the day
            held = {posts[i].duty_window for i in idx}
            add_one_window(m, items, [w for w in duty_windows(inst.school.sessions,
                                                             posts[idx[0]].day)
                                      if w.id in held], f"{t}_{when}")
    for (t, monday), idx in by_person_week.items():
        if len(idx) < 2:
            continue
        room = weekly_limit(inst, teachers[t]) - book.week_minutes(posts[idx[0]].date).get(t, 0)
        add_week_limit(m, [(posts[i], False, x[i, t]) for i in idx], room)
    asked = {}
    for t in sorted({t for _, t in x}):
        asked[t] = m.new_bool_var(f"asked_{t}")
        for (i, tt), var in x.items():
            if tt == t:
                m.add_implication(var, asked[t])
    so_far = substitution_minutes(book.plan)
    load = {}
    for i, p in enumerate(posts):
        week = book.week_minutes(p.date)
        for t in opts.who[i]:
            load[i, t] = week.get(t, 0)
    levels = [
        ("uncovered minutes", sum(p.minutes * gaps[i] for i, p in enumerate(posts))),
        ("people asked", sum(asked.values())),
        ("substitutions so far", sum(so_far.get(t, 0) * posts[i].minutes * var
                                     for (i, t), var in x.items())),
        ("outside preferred time", sum(posts[i].minutes * var for (i, t), var in x.items()
                                       if not opts.preferred[i, t])),
        ("load that week", sum(load[i, t] * var for (i, t), var in x.items())),
    ]
    phases, solver = [], None
    for name, objective in levels:
        if solver is not None:  # start each level from the answer of the one before
            m.clear_hints()
            for var in [*x.values(), *gaps.values(), *asked.values()]:
                m.add_hint(var, solver.value(var))
        result = solve_phase(m, objective, f"substitute: {name}", solve_opts,
                             budget / len(levels), required=True)
        phases.append(result)
        if not result.has_solution:
            break
        solver = result.solver
        m.add(objective <= result.objective)
    if solver is None:
        raise RuntimeError("no substitution found within the time limit")
    choice = {i: next((t for t in opts.who[i] if solver.value(x[i, t])), None)
              for i in range(len(posts))}
    return choice, phases


def substitution_minutes(plan: Plan) -> dict[str, int]:
    """Person -> minutes covered for others so far this term (the fairness count)."""
    out: dict[str, int] = defaultdict(int)
    for x in plan.exceptions:
        if x.get("staff"):
            out[x["staff"]] += parse_time(x["end"]) - parse_time(x["start"])
    return out


def _exception(p: Post, staff: str | None, absent: str) -> dict:
    return {"date": p.date.isoformat(), "day": p.day, "session": p.session,
            "window": p.window, "slot": p.slot, "group": p.group, "start": fmt_time(p.start),
            "end": fmt_time(p.end), "role": p.role, "staff": staff, "replaces": absent}


def spans(rows: list[dict]) -> list[dict]:
    """Back-to-back exceptions of one date, group (or window) and substitute merged into
    one span with ``slots`` counted: how the office reads a 4-slot noon duty."""
    out: list[dict] = []
    for r in rows:
        last = out[-1] if out else None
        if last and all(last[k] == r[k] for k in ("date", "role", "session", "window", "group",
                                                   "staff", "replaces")) \
                and last["end"] == r["start"]:
            last["end"] = r["end"]
            last["slots"] += 1
        else:
            out.append({**r, "slots": 1})
    return out


def _advice(inst: Instance, posts: list[Post], opts: _Options,
            uncovered: list[int]) -> list[dict]:
    """``need``-style advice for uncovered duties, merged per date and group or window:
    the time one more volunteer would cover, who is free then but did not declare it (they
    could cover if they volunteered for it), and what holds the others back."""
    rows = [{**_exception(posts[i], None, ""), "_i": i} for i in uncovered]
    names = {t.id: t.name for t in inst.teachers}
    out = []
    for span in spans(rows):
        idx = [r["_i"] for r in rows if r["date"] == span["date"] and r["role"] == span["role"]
               and r["group"] == span["group"] and r["window"] == span["window"]
               and span["start"] <= r["start"] and r["end"] <= span["end"]]
        first: dict[str, str] = {}  # person -> the first reason over the span's posts
        for i in idx:
            for person, reason in opts.why_not[i].items():
                if person not in first or REASONS.index(reason) < REASONS.index(first[person]):
                    first[person] = reason
        what = (f"{span['session']} {span['group']}" if span["role"] == "teacher"
                else f"manager, {span['window']} window")
        slots = f", {span['slots']} slots" if span["slots"] > 1 else ""
        who = ("one volunteer who can manage, available" if span["role"] == "manager"
               else "one volunteer available")
        text = f"{who} {span['day']} {span['start']}-{span['end']} ({what}{slots}) would cover it"
        free = sorted(p for p, r in first.items() if r == FREE)
        if free:
            shown = ", ".join(f"{names[p]} ({p})" for p in free[:3])
            more = f" and {len(free) - 3} more" if len(free) > 3 else ""
            text += (f"; free then and within their limits, could cover if they volunteered "
                     f"for it: {shown}{more}")
        counts = {r: sum(1 for x in first.values() if x == r) for r in REASONS[:-1]}
        held = [f"{n} {r}" for r, n in counts.items() if n]
        if held:
            text += "; the others: " + ", ".join(held)
        out.append({"date": span["date"], "day": span["day"], "start": span["start"],
                    "end": span["end"], "role": span["role"], "group": span["group"],
                    "window": span["window"], "what": what, "slots": span["slots"],
                    "could_volunteer": free, "held_back": {r: n for r, n in counts.items()
                                                           if n},
                    "text": text})
    return out


def substitute(inst: Instance, plan: Plan, absent: str, dates: list[str], *,
               time_limit: float = 2.0, seed: int = 0,
               deadline: Deadline | None = None) -> Substitution:
    """Cover ``absent``'s duties on ``dates`` (see the module docstring). Raises InputError
    for an unknown person, a date that is not a service date of the term, a plan that is
    not this instance's, or a person without any duty to cover on those dates.
    ``time_limit`` is CPU seconds as ``plan`` counts them (deterministic budgets, the CPU
    clock's backstop ``Deadline.for_limit``; ``deadline``: that limit already running)."""
    t0 = time.process_time()
    deadline = deadline or Deadline.for_limit(time_limit)
    problems = plan_problems(inst, plan)
    found, unknown = resolve_person(absent, {t.id: t.name for t in inst.teachers})
    problems += unknown
    absent = found or absent  # t006 or a unique full name: the id
    days, date_problems = parse_dates(inst, dates)
    problems += date_problems
    if problems:
        raise InputError(problems)
    book = DayBook(inst, plan)
    posts, notes = absent_posts(inst, book, absent, days)
    if not posts:  # nothing to do is bad input: the office asked about the wrong person/date
        raise InputError([_problem("--teacher", f"{absent} has no duty left to cover on "
                                   + "; ".join(notes),
                                   expected="a date on which the person is on duty: see "
                                   "'afterschool roster PLAN --teacher " + absent + "'")])
    opts = _candidates(inst, book, absent, posts)
    choice, phases = _choose(inst, book, posts, opts,
                             SolveOptions(time_limit=time_limit, seed=seed, workers=1,
                                          deadline=deadline),
                             time_limit * TERM_DET_PER_SECOND)
    added = [_exception(p, choice[i], absent) for i, p in enumerate(posts)]
    new = replace(plan, exceptions=list(plan.exceptions) + added, extra=dict(plan.extra))
    staff_names = dict(new.extra.get("people", {}).get("staff", {}))
    for t in inst.teachers:  # a substitute who joined after the plan needs a name too
        staff_names.setdefault(t.id, {"name": t.name, "kind": t.kind})
    if "people" in new.extra:
        new.extra["people"] = {**new.extra["people"], "staff": staff_names}
    t1 = time.process_time()
    term_money(inst, new)
    t2 = time.process_time()
    uncovered = [i for i in range(len(posts)) if choice[i] is None]
    asked = sorted({t for t in choice.values() if t is not None})
    advice = _advice(inst, posts, opts, uncovered)
    return Substitution(new, absent, [d.isoformat() for d in days], added, asked, advice,
                        notes, {"cpu_seconds": round(t2 - t0, 3),
                                "choice_cpu_seconds": round(t1 - t0, 3),
                                "money_cpu_seconds": round(t2 - t1, 3),
                                "phases": [p.as_dict() for p in phases],
                                "duties": len(posts),
                                "cut_by_time_limit": list(deadline.root().cuts)})
