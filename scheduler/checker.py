"""The plan checker (``afterschool check``): every rule and every figure of a plan recomputed
from the plan and the instance in plain Python.

``check_plan(instance, plan) -> list[Violation]``; empty means the plan keeps every rule.

Independence is the point, so the duplication here is deliberate: this module imports no
planner code (nothing from ``scheduler.planning``, ``scheduler.rules`` or ``scheduler.money``).
It has its own T(n) and M(c), duty windows and peak concurrency, service-date calendar (the
school's holidays and make-up days from ``school.toml``, official holidays read straight from
the ``chinese_calendar`` package) and availability reader (the public ``inst.availability``
rows). A bug in a planner rule therefore shows up here as a violation instead of being
confirmed by the same code.

Every version of the plan (SPEC §9, ``Plan.versions()``) is checked against the rules on its
own dates (``valid_from``..``valid_to`` inclusive; the first from term start, the current one
to term end). Rules checked (rule names as reported):

- ``versions``: versions follow one another day after day from term start;
- ``group ids`` (unique in a version; from one version to the next a group that keeps any
  of its pupils keeps its id, a kept id keeps some of its pupils, an ended group's id is
  never used again), ``groups`` (known session), ``students`` (known, taking that
  session), ``enrolled only``, ``every student placed`` (exactly once per session taken, in
  the current version), ``group cap`` (per group and day present). The instance holds only
  today's sign-ups, so an earlier version may also hold students withdrawn since, need not
  hold students enrolled since, may hold a student whose sign-up changed since (not placed
  for fees and head counts), and counts presence by the sign-ups it recorded
  (``signups``; today's where it recorded none);
- ``duties`` (a known group present that day, the slot's times), ``one teacher per slot``
  (duties plus declared shortages = exactly 1 per slot of every group present),
  ``shortages`` (a shortage for no slot or window; a count that is not a positive whole
  number);
- people: ``staff`` (known), ``volunteers only``, ``availability`` (session or window row),
  ``one place at a time``, ``manager also supervising``, ``daily limit``, ``weekly limit``
  (the person's own or the school's, on each version's weekday pattern and in every
  calendar week of the dated duties: make-up days, covers and a version starting mid-week
  included), ``no double duty`` (noon and afternoon the same day
  unless ``allow_double``); manager duty counts as service for every limit. Volunteering,
  availability and ``manager can manage`` are checked, for duties and for covers on its
  dates, in the current version against today's rows and in an earlier version against
  the sheets in force then where the caller gives them (``version_instances``; not
  given, not at all: a volunteer may have withdrawn since);
- managers: ``managers`` (a known window), ``manager can manage``, ``manager whole window``,
  ``managers per window`` (on duty plus declared short = M(peak concurrent groups); clubs
  the caller names, ``club_groups``, count as groups);
- ``exceptions`` (substitutions: a service date, a duty of the version in force, the right
  weekday); a substitute must be a volunteer, available, in one place at a time that date,
  within the daily limit that date (the calendar week's limit is checked for everyone);
- figures: ``staffing table`` (current version), ``fees`` (SPEC §5 over the versions),
  ``pay`` (SPEC §6 over the versions' dated duties, exceptions applied), ``budget``,
  ``flex ledger`` (per person and calendar week); ``missing section`` when fees, pay,
  staffing, budget or the flex ledger is absent or empty although the instance has enrolled
  students or the plan has duties;
- clubs (SPEC §12) are ``check_clubs``'s: it calls this checker with the sheets as a plan
  with clubs sees them and adds its own club rules;
- ``priority first``: checked where the plan carries admission rows (``plan.extra
  ["admission"]``, the rows of ``afterschool admit``): no priority applicant waits while a
  non-priority applicant is admitted, and among equals nobody waits who applied earlier than
  one admitted. A plan without admission data cannot show who was turned away; there only
  the placement rules apply (an ``applied`` student placed is ``enrolled only``);
- venues (SPEC §12, current version, ``scheduler/check_venues.py``: the same independence):
  ``venue rows``, ``venue groups`` (overlaps by real times), ``venue capacity``, ``venue
  availability``, ``activity count``.

Money is exact ``Decimal``, rounded half-up to the fen once per student or person. Fees over
versions: Σ over versions, over sessions where the student is in a group in that version,
over the version's service dates of that session on the student's sign-up weekdays, of
billable minutes × fee rate / 60; exemption or reduction on that term gross. Pay: Σ over the
dated duties (exceptions move a duty's minutes on that date from ``replaces`` to ``staff``)
of minutes × rate / 60. The staffing table describes the current version's groups with the
whole term's dates of each weekday (its ``extra_pay``).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import chinese_calendar

from afterschool.models.instance import Instance
from afterschool.models.plan import Plan, Version
from afterschool.models.school import WEEKDAYS, Rules, Session, Term
from afterschool.scheduler.check_venues import check_venues

CENT = Decimal("0.01")
_OK = ("available", "preferred")


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


# ---- the rules, restated on purpose (see the module docstring) -----------------------------

def teachers_standard(n: int, rules: Rules) -> int:
    """T(n) = floor(n/45) + (1 if n mod 45 > 30), and 1 for 1 <= n <= 30 (SPEC §4)."""
    if n <= 0:
        return 0
    per, rest = divmod(n, rules.students_per_teacher)
    return max(1, per + (rest > rules.remainder_threshold))


def managers_for(c: int, rules: Rules) -> int:
    """M(c) = floor(c/5) + (1 if c mod 5 > 3) for c groups on duty at once (SPEC §4)."""
    per, rest = divmod(max(c, 0), rules.groups_per_manager)
    return per + (rest > rules.manager_remainder_threshold)


@dataclass(frozen=True)
class Window:
    """Sessions of one day that overlap in time: the span a manager serves whole."""

    name: str
    start: int
    end: int
    sessions: tuple[str, ...]


def day_windows(sessions: tuple[Session, ...], day: str) -> list[Window]:
    """The duty windows of ``day``, named by their sessions' sign-up column when shared."""
    out: list[list] = []
    for s in sorted((s for s in sessions if day in s.days), key=lambda s: (s.start, s.end)):
        if out and s.start < out[-1][1]:
            out[-1][1] = max(out[-1][1], s.end)
            out[-1][2].append(s)
        else:
            out.append([s.start, s.end, [s]])
    windows = []
    for a, b, members in out:
        kinds = {s.signup for s in members}
        name = kinds.pop() if len(kinds) == 1 else "+".join(s.id for s in members)
        windows.append(Window(name, a, b, tuple(s.id for s in members)))
    return windows


def _official_holiday(d: date) -> bool:
    try:
        return bool(chinese_calendar.is_holiday(d)) and d.weekday() < 5
    except NotImplementedError:  # a year the package has no data for: the school lists it
        return False


def service_dates(term: Term) -> dict[date, str]:
    """Every service date of the term -> the weekday it counts as (SPEC §5): weekdays minus
    holidays (the school's and, if on, the official ones), plus listed make-up days."""
    makeup = dict(term.makeup_days)
    out = {}
    d = term.start
    while d <= term.end:
        if d in makeup:
            out[d] = makeup[d]
        elif d.weekday() < 5 and d not in term.holidays and not (
                term.official_holidays and _official_holiday(d)):
            out[d] = WEEKDAYS[d.weekday()]
        d += timedelta(days=1)
    return out


def _hm(text) -> int:
    """``"16:20"`` -> 980; -1 for anything else (reported by the caller's rule)."""
    try:
        h, m = str(text).split(":")
        return int(h) * 60 + int(m) if len(m) == 2 and 0 <= int(m) < 60 else -1
    except ValueError:
        return -1


def _fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _round(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(text) -> Decimal | None:
    """A money string with exactly two decimals, else None."""
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value.as_tuple().exponent == -2 else None


class _Facts:
    """What the instance says, read once: sessions, people, availability, calendar."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.rules = inst.school.rules
        self.sessions = {s.id: s for s in inst.school.sessions}
        self.students = {s.id: s for s in inst.students}
        self.staff = {t.id: t for t in inst.teachers}
        self.rows = {(a.teacher, a.day, a.session): a.status for a in inst.availability}
        self.windows = {d: day_windows(inst.school.sessions, d) for d in WEEKDAYS}
        self.dates = service_dates(inst.school.term)

    def takes(self, student, session: Session, then: dict | None = None) -> tuple[str, ...]:
        """The weekdays ``student`` signed up for ``session`` (empty: does not take it):
        as an earlier version recorded them (``then``), else today's sheet."""
        if student.grade not in session.grades:
            return ()
        signed = then.get(session.signup, []) if then else student.days(session.signup)
        return tuple(d for d in signed if d in session.days)

    def placeable(self, student, current: bool) -> bool:
        """Enrolled; in an earlier version also withdrawn since (SPEC §9)."""
        return student.status == "enrolled" or (not current and student.status == "withdrawn")

    def members(self, group, current: bool) -> list:
        """The group's known students rightly placed in it."""
        return [st for st in (self.students.get(x) for x in group.students)
                if st is not None and self.placeable(st, current)]

    def window_of(self, day: str, session: str) -> Window | None:
        return next((w for w in self.windows.get(day, []) if session in w.sessions), None)

    def may_teach(self, teacher: str, day: str, session: str) -> bool:
        """The session's own row decides; without one, the row of its window."""
        if (teacher, day, session) in self.rows:
            return self.rows[teacher, day, session] in _OK
        w = self.window_of(day, session)
        return w is not None and self.rows.get((teacher, day, w.name)) in _OK

    def may_manage(self, teacher: str, day: str, w: Window) -> bool:
        """The window's own row decides; without one, every session of it declared."""
        if (teacher, day, w.name) in self.rows:
            return self.rows[teacher, day, w.name] in _OK
        return all(self.rows.get((teacher, day, s)) in _OK for s in w.sessions)

    def weekly_limit(self, teacher: str) -> int:
        own = self.staff[teacher].max_weekly_minutes
        return self.rules.max_weekly_minutes if own is None else own

    def rate(self, teacher: str) -> Decimal:
        own = self.staff[teacher].hourly_rate
        return self.rules.pay_per_hour if own is None else own


@dataclass(frozen=True)
class _Span:
    """A duty on one date (or weekday pattern): who, when, which part of the budget."""

    staff: str
    start: int
    end: int
    role: str
    part: str          # session id, or "managers (<window>)"
    place: str         # group id or window name
    window: str        # the duty window the span lies in
    day: str

    @property
    def minutes(self) -> int:
        return self.end - self.start


class _Report:
    def __init__(self):
        self.found: list[Violation] = []

    def __call__(self, rule: str, message: str) -> None:
        self.found.append(Violation(rule, message))


def check_plan(inst: Instance, plan: Plan,
               version_instances: list[Instance | None] | None = None,
               club_groups: dict[tuple[str, str], int] | None = None,
               clubs_since: str | None = None) -> list[Violation]:
    """Every violation of the rules and figures of SPEC §3–§6 and §9 in ``plan``.

    ``version_instances``: one per ``plan.versions()`` entry, oldest first, the sheets in
    force for that version (an entry None: the main instance ``inst``). Given, every
    version's duties and the covers on its dates are checked against its sheets'
    volunteering and availability; not given, only the current version's (today's rows
    cannot speak for an earlier version).

    ``club_groups``: (day, session) -> clubs meeting beside the groups in the versions from
    ``clubs_since`` on (SPEC §12), counted as groups at once for the managers."""
    facts, bad = _Facts(inst), _Report()
    facts.club_groups, facts.clubs_since = club_groups or {}, clubs_since or "9999"
    try:
        versions = plan.versions()
    except (KeyError, TypeError, AttributeError) as exc:
        bad("versions", f"a history entry cannot be read ({type(exc).__name__}: {exc}); "
            "each needs valid_from, valid_to, groups, duties and shortages")
        return bad.found
    if version_instances is not None and len(version_instances) != len(versions):
        bad("versions", f"{len(version_instances)} instance(s) given for {len(versions)} "
            "version(s); checked against the main instance")
        version_instances = None
    # the sheets in force per version where the caller knows them (None: not known, so
    # an earlier version's people are not judged by today's rows)
    own: list[_Facts | None] = [None] * len(versions)
    if version_instances is not None:
        own = [facts if x is None or x is inst else _Facts(x) for x in version_instances]
    ranges = _version_ranges(facts, plan, versions, bad)
    _check_group_ids(versions, ranges, bad)
    many = len(versions) > 1
    dated: list[tuple[date, _Span]] = []
    placed_any: dict[str, dict[str, set[date]]] = defaultdict(lambda: defaultdict(set))
    lunch_any: dict[str, set[date]] = defaultdict(set)  # noon dates with lunch taken
    present_now: dict[tuple[str, str], int] = {}
    for i, (v, (lo, hi)) in enumerate(zip(versions, ranges)):
        label = f"version {lo}..{hi}: " if many else ""
        current = i == len(versions) - 1
        present, spans = _check_version(facts, v, label, current, bad, own[i])
        if current:
            present_now = present
        days = [(d, wd) for d, wd in sorted(facts.dates.items()) if lo <= d <= hi]
        for d, wd in days:
            dated.extend((d, s) for s in spans if s.day == wd)
        for g in v.groups:
            s = facts.sessions.get(g.session)
            for st in (facts.members(g, current) if s else ()):
                then = v.signups.get(st.id)
                took = facts.takes(st, s, then)
                here = {d for d, wd in days if wd in took}
                placed_any[st.id][s.id].update(here)
                if s.signup == "noon" and (then.get("lunch", st.lunch) if then else st.lunch):
                    lunch_any[st.id].update(here)
    dated = _apply_exceptions(facts, plan, versions, ranges, dated, bad, own)
    _check_calendar_weeks(facts, dated, bad)
    _check_staffing_table(facts, plan, versions[-1], present_now, bad)
    fees = _check_fees(facts, plan, placed_any, lunch_any, bad)
    pay = _check_pay(facts, plan, dated, bad)
    _check_flex_ledger(facts, plan, dated, bad)
    _check_budget(facts, plan, fees, pay, dated, bad)
    _check_admission(facts, plan.extra.get("admission"), bad)
    check_venues(inst, versions[-1].groups, plan.extra, bad)  # SPEC §12, current version
    return bad.found


def check_admission(inst: Instance, rows: list[dict]) -> list[Violation]:
    """Priority first (SPEC §3) in the rows of ``afterschool admit``."""
    bad = _Report()
    _check_admission(_Facts(inst), rows, bad)
    return bad.found


# ---- versions -------------------------------------------------------------------------------

def _version_ranges(facts: _Facts, plan: Plan, versions: list[Version],
                    bad: _Report) -> list[tuple[date, date]]:
    """Each version's first and last date; the versions must tile the term."""
    term = facts.inst.school.term
    out = []
    for i, v in enumerate(versions):
        try:
            lo = date.fromisoformat(v.valid_from) if v.valid_from else term.start
            hi = date.fromisoformat(v.valid_to) if v.valid_to else term.end
        except (TypeError, ValueError):
            bad("versions", f"version {i + 1} has dates that are not ISO dates: "
                f"{v.valid_from!r}..{v.valid_to!r}")
            lo, hi = term.start, term.end
        if i == 0 and lo != term.start:
            bad("versions", f"the first version starts {lo}, not at term start {term.start}")
        if i > 0 and lo != out[-1][1] + timedelta(days=1):
            bad("versions", f"version {i + 1} starts {lo}, not the day after the previous "
                f"version's end {out[-1][1]}")
        if hi < lo or (i < len(versions) - 1 and v.valid_to is None):
            bad("versions", f"version {i + 1} has no valid span ({v.valid_from}..{v.valid_to})")
        out.append((lo, hi))
    return out


def _check_group_ids(versions: list[Version], ranges, bad: _Report) -> None:
    """Group ids are a promise (SPEC §9): from one version to the next, a group that keeps
    any of its pupils keeps its id (its pupils are not found in a group under a fresh id
    while its own id is gone), a kept id holds some of the same pupils, and an id is never
    used again after its group ends."""
    ended: dict[str, date] = {}
    for i in range(1, len(versions)):
        old, new = versions[i - 1], versions[i]
        label = f"version {ranges[i][0]}..{ranges[i][1]}: "
        old_ids = {g.id: g for g in old.groups}
        new_ids = {g.id: g for g in new.groups}
        for gid, g in new_ids.items():
            if gid in ended:
                bad("group ids", f"{label}group id {gid} is used again; its group ended "
                    f"on {ended[gid]}")
            elif gid in old_ids and not set(g.students) & set(old_ids[gid].students):
                bad("group ids", f"{label}group {gid} keeps none of its pupils: its id is "
                    "reused for another group")
        for gid, g in old_ids.items():
            if gid in new_ids:
                continue
            for h in new.groups:
                kept = sorted(set(h.students) & set(g.students))
                if h.session == g.session and h.id not in old_ids and kept:
                    bad("group ids", f"{label}group {gid} keeps {len(kept)} of its pupils "
                        f"({', '.join(kept[:3])}) under the fresh id {h.id}")
                    break
            ended.setdefault(gid, ranges[i - 1][1])


def _check_version(facts: _Facts, v: Version, label: str, current: bool, bad: _Report,
                   own: _Facts | None = None):
    """Hard rules of one version on its weekday pattern; its groups present per day and
    its duties as spans. ``own``: the version's own sheets, where known, for who may be
    on duty."""
    present = _check_groups(facts, v, label, current, bad)
    groups = {g.id: g for g in v.groups}
    spans = _check_duties(facts, v, groups, present, label, bad)
    _check_people(facts, spans, label, current, bad, own)
    _check_managers(facts, v, groups, present, label, bad)
    return present, spans


def _check_groups(facts: _Facts, v: Version, label: str, current: bool,
                  bad: _Report) -> dict[tuple[str, str], int]:
    """Group ids, members, placement and the cap; students present per group and day
    (only members rightly placed count, so a wrong one is reported once)."""
    for gid, n in Counter(g.id for g in v.groups).items():
        if n > 1:
            bad("group ids", f"{label}group id {gid} used {n} times")
    placed: dict[tuple[str, str], int] = Counter()
    present: dict[tuple[str, str], int] = {}
    for g in v.groups:
        s = facts.sessions.get(g.session)
        if s is None:
            bad("groups", f"{label}group {g.id} names unknown session {g.session}")
            continue
        for sid in g.students:
            st = facts.students.get(sid)
            if st is None:
                bad("students", f"{label}group {g.id} holds unknown student {sid}")
            elif not facts.placeable(st, current):
                bad("enrolled only", f"{label}{sid} is {st.status} but placed in group {g.id}")
            elif not facts.takes(st, s, None if current else v.signups.get(sid)):
                if current:  # an earlier version may predate a sign-up changed since
                    bad("students", f"{label}{sid} (grade {st.grade}) does not take {s.id} "
                        f"but is in group {g.id}")
            else:
                placed[sid, s.id] += 1
        for d in s.days:
            # an earlier version counts the sign-ups it recorded (SPEC §9)
            n = sum(1 for st in facts.members(g, current)
                    if d in facts.takes(st, s, None if current else v.signups.get(st.id)))
            present[g.id, d] = present.get((g.id, d), 0) + n
            if n > facts.rules.group_cap:
                bad("group cap", f"{label}group {g.id} has {n} students present on {d} "
                    f"(cap {facts.rules.group_cap})")
    for st in facts.inst.students:
        for s in facts.sessions.values():
            n = placed.get((st.id, s.id), 0)
            must = current and st.status == "enrolled" and facts.takes(st, s)
            if n > 1 or (must and n != 1):
                bad("every student placed", f"{label}{st.id} takes {s.id} but is in {n} groups")
    return present


def _check_duties(facts: _Facts, v: Version, groups, present, label: str,
                  bad: _Report) -> list[_Span]:
    """Every duty as a span (duties that fit nothing are reported and left out); teachers
    plus declared shortages = exactly one per slot of every group present."""
    spans = [sp for du in v.duties
             if (sp := _duty_span(facts, du, groups, present, label, bad)) is not None]
    per_slot = Counter((sp.day, sp.place, sp.start) for sp in spans if sp.role == "teacher")
    for sh in v.shortages:
        if not _positive(sh.count):
            bad("shortages", f"{label}shortage {sh.role} on {sh.day} {sh.start} counts "
                f"{sh.count!r}: a count is a positive whole number of posts missing")
            continue
        if sh.role != "teacher":
            continue
        g = groups.get(sh.group or "")
        s = facts.sessions.get(g.session) if g else None
        a = _hm(sh.start)
        if s is None or not present.get((g.id, sh.day)) or not any(
                sl.start == a for sl in s.slots):
            bad("shortages", f"{label}shortage declared for {sh.group} on {sh.day} {sh.start}, "
                "which is no slot of a group present then")
            continue
        per_slot[sh.day, g.id, a] += sh.count
    for g in groups.values():
        s = facts.sessions.get(g.session)
        for d in (s.days if s else ()):
            if present.get((g.id, d)):
                for sl in s.slots:
                    n = per_slot[d, g.id, sl.start]
                    if n != 1:
                        bad("one teacher per slot", f"{label}group {g.id} on {d} "
                            f"{_fmt(sl.start)}: {n} teachers (with declared shortages)")
    return spans


def _positive(count) -> bool:
    return isinstance(count, int) and not isinstance(count, bool) and count >= 1


def _duty_span(facts: _Facts, du, groups, present, label: str, bad: _Report) -> _Span | None:
    """A teacher duty in a slot of a known group present that day, or a manager duty over a
    known window (held whole), as a span; None for a duty that fits nothing."""
    a, b = _hm(du.start), _hm(du.end)
    where = f"{label}{du.staff} on {du.day}"
    if du.role == "manager":
        w = next((w for w in facts.windows.get(du.day, []) if w.name == du.window), None)
        if w is None:
            bad("managers", f"{where} manages unknown window {du.window}")
            return None
        if (a, b) != (w.start, w.end):
            bad("manager whole window", f"{where} manages {w.name} {du.start}-{du.end}, not "
                f"the whole window {_fmt(w.start)}-{_fmt(w.end)}")
        return _Span(du.staff, a, b, "manager", f"managers ({w.name})", w.name, w.name, du.day)
    if du.role != "teacher":
        bad("duties", f"{where} has unknown role {du.role!r}")
        return None
    g = groups.get(du.group or "")
    s = facts.sessions.get(g.session) if g else None
    if s is None:
        bad("duties", f"{where} supervises unknown group {du.group}")
    elif du.session not in (None, s.id):
        bad("duties", f"{where}: group {g.id} is in {s.id}, not {du.session}")
    elif not any((sl.start, sl.end) == (a, b) for sl in s.slots):
        bad("duties", f"{where} {du.start}-{du.end} is not a slot of {s.id}")
    elif not present.get((g.id, du.day)):
        bad("duties", f"{where} supervises group {g.id}, when nobody in it is present")
    else:
        w = facts.window_of(du.day, s.id)
        return _Span(du.staff, a, b, "teacher", s.id, g.id, w.name, du.day)
    return None


def _check_people(facts: _Facts, spans: list[_Span], label: str, current: bool,
                  bad: _Report, own: _Facts | None = None) -> None:
    """Known staff, one place at a time, limits, double duty; volunteering, availability
    and who may manage in the current version only (the instance holds today's, and a
    person may have withdrawn since an earlier version)."""
    per_day: dict[tuple[str, str], list[_Span]] = defaultdict(list)
    for sp in spans:
        t = facts.staff.get(sp.staff)
        if t is None:
            bad("staff", f"{label}unknown staff member {sp.staff} on duty {sp.day} "
                f"{_fmt(sp.start)}")
            continue
        if own is not None:  # the sheets in force for this version
            if sp.staff in own.staff:
                _check_person_on_duty(own, sp, label, bad)
            else:
                bad("staff", f"{label}{sp.staff} is not in the sheets of this version")
        elif current:
            _check_person_on_duty(facts, sp, label, bad)
        per_day[sp.staff, sp.day].append(sp)
    weekly: Counter = Counter()
    for (tid, d), day in sorted(per_day.items()):
        minutes = _check_day(facts, tid, day, f"{label}{tid} on {d}", bad)
        weekly[tid] += minutes
    for tid, minutes in sorted(weekly.items()):
        if minutes > facts.weekly_limit(tid):
            bad("weekly limit", f"{label}{tid} serves {minutes} min a week "
                f"(limit {facts.weekly_limit(tid)})")


def _check_person_on_duty(facts: _Facts, sp: _Span, where: str, bad: _Report) -> None:
    """Volunteer, can manage (managers), declared available for the session or window."""
    t = facts.staff[sp.staff]
    if not t.volunteer:
        bad("volunteers only", f"{where}{t.id} does not volunteer but is on duty {sp.day} "
            f"{_fmt(sp.start)}")
    if sp.role == "teacher":
        if not facts.may_teach(t.id, sp.day, sp.part):
            bad("availability", f"{where}{t.id} is not available for {sp.part} on {sp.day}")
        return
    if not t.can_manage:
        bad("manager can manage", f"{where}{t.id} cannot manage but is manager on {sp.day}")
    w = next(w for w in facts.windows[sp.day] if w.name == sp.window)
    if not facts.may_manage(t.id, sp.day, w):
        bad("availability", f"{where}{t.id} is not available to manage {w.name} on {sp.day}")


def _check_day(facts: _Facts, tid: str, spans: list[_Span], where: str, bad: _Report) -> int:
    """One person's duties on one day (or date): overlaps, the daily limit, double duty.
    Returns the day's minutes."""
    spans = sorted(spans, key=lambda s: (s.start, s.end))
    for i, x in enumerate(spans):
        for y in spans[i + 1:]:
            if y.start < x.end:
                if "manager" in (x.role, y.role) and x.role != y.role:
                    bad("manager also supervising", f"{where}: manages {x.window} while "
                        f"supervising at {_fmt(y.start)}")
                else:
                    bad("one place at a time", f"{where}: duties overlap at {_fmt(y.start)}")
    minutes = sum(s.minutes for s in spans)
    if minutes > facts.rules.max_daily_minutes:
        bad("daily limit", f"{where} serves {minutes} min (limit {facts.rules.max_daily_minutes})")
    windows = sorted({s.window for s in spans})
    if len(windows) > 1 and not facts.staff[tid].allow_double:
        bad("no double duty", f"{where} serves in {', '.join(windows)} without allow_double")
    return minutes


def _check_managers(facts: _Facts, v: Version, groups, present, label: str,
                    bad: _Report) -> None:
    """On duty plus declared short = M(peak groups on duty at once) per window and day."""
    on_duty = Counter((du.day, du.window) for du in v.duties if du.role == "manager")
    short: Counter = Counter()
    for sh in v.shortages:
        if sh.role == "manager" and _positive(sh.count):
            if not any(w.name == sh.window for w in facts.windows.get(sh.day, [])):
                bad("shortages", f"{label}manager shortage declared for window {sh.window} "
                    f"on {sh.day}, which has no such window")
            short[sh.day, sh.window] += sh.count
    clubs = facts.club_groups if (v.valid_from or "") >= facts.clubs_since else {}
    for d in WEEKDAYS:
        for w in facts.windows[d]:
            live = [facts.sessions[g.session] for g in groups.values()
                    if g.session in w.sessions and present.get((g.id, d))]
            live += [facts.sessions[s] for s in w.sessions for _ in range(clubs.get((d, s), 0))]
            peak = max((sum(1 for s in live if s.start <= t < s.end)
                        for t in range(w.start, w.end)), default=0)
            need = managers_for(peak, facts.rules)
            if on_duty[d, w.name] + short[d, w.name] != need:
                bad("managers per window", f"{label}{d} {w.name}: {peak} groups at once need "
                    f"{need} manager(s), plan has {on_duty[d, w.name]} and declares "
                    f"{short[d, w.name]} short")


# ---- exceptions (substitutions) -------------------------------------------------------------

def _apply_exceptions(facts: _Facts, plan: Plan, versions, ranges, dated, bad: _Report,
                      own: list[_Facts | None] | None = None):
    """The dated duties with each exception applied: that duty's minutes on that date move
    from ``replaces`` to ``staff`` (to nobody when ``staff`` is null). A substitute must keep
    every rule on that date."""
    if not plan.exceptions:
        return dated
    out = list(dated)
    subs: list[tuple[date, _Span]] = []
    for n, ex in enumerate(plan.exceptions, start=1):
        where = f"exception {n} ({ex.get('date')} {ex.get('start')}, {ex.get('replaces')}): "
        try:
            when = date.fromisoformat(str(ex.get("date")))
        except ValueError:
            bad("exceptions", f"{where}not a date")
            continue
        if when not in facts.dates:
            bad("exceptions", f"{where}{when} is not a service date of the term")
            continue
        if ex.get("day") != facts.dates[when]:
            bad("exceptions", f"{where}{when} counts as {facts.dates[when]}, not {ex.get('day')}")
        a, b = _hm(ex.get("start")), _hm(ex.get("end"))
        place = ex.get("group") if ex.get("role") == "teacher" else ex.get("window")
        hit = next((i for i, (d, s) in enumerate(out) if d == when and s.staff == ex.get(
            "replaces") and (s.start, s.end, s.role, s.place) == (a, b, ex.get("role"), place)),
            None)
        if hit is None:
            bad("exceptions", f"{where}no such duty of {ex.get('replaces')} on {when}")
            continue
        _, old = out.pop(hit)
        if ex.get("staff") is None:
            continue
        new = _Span(ex["staff"], old.start, old.end, old.role, old.part, old.place,
                    old.window, old.day)
        out.append((when, new))
        subs.append((when, new))
    for when, sp in subs:
        where = f"exception on {when}: "
        if sp.staff not in facts.staff:
            bad("staff", f"{where}unknown staff member {sp.staff}")
            continue
        # the sheets in force on that date: the version's own where known; today's speak
        # for the current version
        i = next((i for i, (lo, hi) in enumerate(ranges) if lo <= when <= hi), None)
        sheets = own[i] if own and i is not None else None
        if sheets is None and when >= ranges[-1][0]:
            sheets = facts
        if sheets is not None and sp.staff in sheets.staff:
            _check_person_on_duty(sheets, sp, where, bad)
        _check_day(facts, sp.staff, [s for d, s in out if d == when and s.staff == sp.staff],
                   f"{where}{sp.staff} on {when}", _Dedup(bad))
    return out


def _check_calendar_weeks(facts: _Facts, dated, bad: _Report) -> None:
    """The weekly limit in every calendar week (Monday to Sunday) on the dated duties: the
    version in force each date, make-up days and covers included (SPEC §9)."""
    week: Counter = Counter()
    for d, sp in dated:
        if sp.staff in facts.staff:
            week[sp.staff, d - timedelta(days=d.weekday())] += sp.minutes
    for (tid, monday), minutes in sorted(week.items()):
        if minutes > facts.weekly_limit(tid):
            bad("weekly limit", f"{tid} serves {minutes} min in the calendar week of {monday} "
                f"(limit {facts.weekly_limit(tid)})")


class _Dedup:
    """Passes a violation on unless the same one was reported already."""

    def __init__(self, bad: _Report):
        self.bad = bad

    def __call__(self, rule: str, message: str) -> None:
        if Violation(rule, message) not in self.bad.found:
            self.bad(rule, message)


# ---- figures --------------------------------------------------------------------------------

def _check_staffing_table(facts: _Facts, plan: Plan, v: Version, present, bad: _Report):
    """Per session and weekday: students present, T(n), groups formed and what the cap adds."""
    count = Counter(facts.dates.values())
    want = {}
    for s in facts.sessions.values():
        for d in s.days:
            gids = {g.id for g in v.groups if g.session == s.id and present.get((g.id, d))}
            n = sum(present[g, d] for g in gids)
            t = teachers_standard(n, facts.rules)
            extra = len(gids) - t
            want[d, s.id] = {"students": n, "standard_teachers": t, "groups": len(gids),
                             "extra_groups": extra, "extra_teacher_minutes": extra * s.minutes,
                             "extra_pay": str(_round(Decimal(extra * s.minutes * count[d])
                                                     * facts.rules.pay_per_hour / 60))}
    if not plan.staffing:
        if want:
            bad("missing section", "the plan has no staffing table")
        return
    seen = Counter((r.get("day"), r.get("session")) for r in plan.staffing)
    for key in sorted(set(want) - set(seen)):
        bad("staffing table", f"no row for {key[1]} on {key[0]}")
    for row in plan.staffing:
        key = (row.get("day"), row.get("session"))
        if key not in want or seen[key] > 1:
            bad("staffing table", f"row {key} is not one row per session and day")
            continue
        for field, value in want[key].items():
            if (field in ("students", "standard_teachers", "groups") or field in row) \
                    and row.get(field) != value:
                bad("staffing table", f"{key[1]} on {key[0]}: {field} {row.get(field)!r}, "
                    f"recomputed {value!r}")


@dataclass
class _Fee:
    gross: Decimal
    net: Decimal
    by_session: dict[str, Decimal]


def _check_fees(facts: _Facts, plan: Plan, placed_any, lunch_any,
                bad: _Report) -> dict[str, _Fee]:
    """Fee rows: service fee (exemption, reduction, half-up once), lunch, gross, shares."""
    rules = facts.rules
    want: dict[str, _Fee] = {}
    lunch: dict[str, Decimal] = {}
    must = {s.id for s in facts.inst.students if s.status == "enrolled"} | set(placed_any)
    for sid in must:
        st = facts.students[sid]
        by = {}
        for s_id, dates in placed_any.get(sid, {}).items():
            s = facts.sessions[s_id]
            if not dates:
                continue
            by[s_id] = Decimal(len(dates) * s.billable_minutes) * rules.fee_per_hour / 60
        gross = sum(by.values(), Decimal(0))
        net = gross
        if st.fee_category == "exempt":
            net = Decimal(0)
        elif st.fee_category == "reduced" and st.fee_reduction is not None:
            if st.fee_reduction.percent is not None:
                net = net * (100 - st.fee_reduction.percent) / 100
            if st.fee_reduction.amount is not None:
                net = net - st.fee_reduction.amount
            net = max(net, Decimal(0))
        want[sid] = _Fee(_round(gross), _round(net), by)
        lunch[sid] = _round(rules.lunch_price * len(lunch_any.get(sid, ())))
    if not plan.fees:
        if must:
            bad("missing section", f"the plan has no fees for {len(must)} student(s)")
        return want
    seen = Counter(r.get("student") for r in plan.fees)
    for sid in sorted(must - set(seen)):
        bad("fees", f"no fee row for {sid}")
    for row in plan.fees:
        sid = row.get("student")
        if sid not in facts.students or seen[sid] > 1:
            bad("fees", f"fee row for {sid!r}: not one row per known student")
            continue
        f = want.get(sid, _Fee(Decimal("0.00"), Decimal("0.00"), {}))
        checks = [("service_fee", f.net), ("lunch_fee", lunch.get(sid, Decimal("0.00")))]
        if "gross_fee" in row:
            checks.append(("gross_fee", f.gross))
        for field, value in checks:
            if _money(row.get(field)) != value:
                bad("fees", f"{sid}: {field} {row.get(field)!r}, recomputed {value}")
        if "by_session" in row:
            _check_shares(sid, row["by_session"], f, bad)
    return want


def _check_shares(sid: str, shares, f: _Fee, bad: _Report) -> None:
    """A student's net fee shared over sessions: the shares add up to it, each within a fen
    of its proportion of the gross (the planner splits by largest remainder)."""
    got = {k: _money(x) for k, x in shares.items()} if isinstance(shares, dict) else {}
    if set(got) != set(f.by_session) or None in got.values() or \
            sum(got.values(), Decimal(0)) != f.net:
        bad("fees", f"{sid}: by_session {shares} does not share {f.net} over "
            f"{sorted(f.by_session)}")
        return
    total = sum(f.by_session.values(), Decimal(0))
    for k, x in got.items():
        exact = f.net * f.by_session[k] / total if total else Decimal(0)
        if abs(x - exact) >= CENT:
            bad("fees", f"{sid}: {k} share {x} is not {exact:.4f} to the fen")


def _dated_pay(facts: _Facts, dated) -> tuple[Counter, dict[str, Decimal]]:
    minutes: Counter = Counter()
    for _, sp in dated:
        minutes[sp.staff] += sp.minutes
    amount = {t: _round(Decimal(m) * facts.rate(t) / 60) for t, m in minutes.items()
              if t in facts.staff}
    return minutes, amount


def _check_pay(facts: _Facts, plan: Plan, dated, bad: _Report) -> dict[str, Decimal]:
    """Pay rows: term minutes and amount per person over the dated duties."""
    minutes, amount = _dated_pay(facts, dated)
    if not plan.pay:
        if any(minutes.values()):
            bad("missing section", f"the plan pays nobody though {len(minutes)} people "
                "are on duty")
        return amount
    seen = Counter(r.get("staff") for r in plan.pay)
    for tid in sorted(t for t in amount if minutes[t] and t not in seen):
        bad("pay", f"no pay row for {tid} ({minutes[tid]} min)")
    for row in plan.pay:
        tid = row.get("staff")
        if tid not in facts.staff or seen[tid] > 1:
            bad("pay", f"pay row for {tid!r}: not one row per known person")
            continue
        want = {"minutes": minutes.get(tid, 0), "amount": amount.get(tid, Decimal("0.00"))}
        got = {"minutes": row.get("minutes"), "amount": _money(row.get("amount"))}
        if "rate" in row:
            want["rate"], got["rate"] = _round(facts.rate(tid)), _money(row["rate"])
        if "kind" in row:
            want["kind"], got["kind"] = facts.staff[tid].kind, row["kind"]
        if got != want:
            diff = ", ".join(f"{k} {row.get(k)!r} (recomputed {want[k]})" for k in want
                             if got[k] != want[k])
            bad("pay", f"{tid}: {diff}")
    return amount


def _check_flex_ledger(facts: _Facts, plan: Plan, dated, bad: _Report) -> None:
    """Minutes earned per person and calendar week (the week's Monday), every minute served."""
    want: Counter = Counter()
    for d, sp in dated:
        if sp.staff in facts.staff:  # unknown people are reported once, under "staff"
            want[sp.staff, (d - timedelta(days=d.weekday())).isoformat()] += sp.minutes
    rows = plan.extra.get("flex_ledger")
    if not rows:
        if want:
            bad("missing section", "the plan has no flex-time ledger")
        return
    got: Counter = Counter()
    for r in rows:
        key = (r.get("staff"), r.get("week"))
        if key in got:
            bad("flex ledger", f"{key}: more than one row")
        got[key] += r.get("minutes_earned", 0) if isinstance(r.get("minutes_earned"), int) else 0
        if not isinstance(r.get("minutes_earned"), int):
            bad("flex ledger", f"{key}: minutes_earned {r.get('minutes_earned')!r}")
    for key in sorted(set(want) | set(got)):
        if want[key] != got[key]:
            bad("flex ledger", f"{key[0]} in the week of {key[1]}: plan {got[key]} min, "
                f"recomputed {want[key]}")


@dataclass
class _Budget:
    """What each budget part should hold, before any per-student split to the fen."""

    pay: dict[str, Decimal]          # exact pay per part (rounded once when compared)
    income: dict[str, Decimal]       # net fees shared over sessions in proportion to gross
    relief: dict[str, Decimal]       # exemptions and reductions, shared the same way
    takers: Counter                  # students per part: the fen splits' room


def _budget_expected(facts: _Facts, fees: dict[str, _Fee], dated) -> _Budget:
    want = _Budget(defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal), Counter())
    for _, sp in dated:
        if sp.staff in facts.staff:
            want.pay[sp.part] += Decimal(sp.minutes) * facts.rate(sp.staff) / 60
    for f in fees.values():
        total = sum(f.by_session.values(), Decimal(0))
        for k, g in f.by_session.items():
            share = g / total if total else Decimal(0)
            want.income[k] += f.net * share
            want.relief[k] += (f.gross - f.net) * share
            want.takers[k] += 1
    return want


def _check_budget(facts: _Facts, plan: Plan, fees: dict[str, _Fee], amount, dated,
                  bad: _Report) -> None:
    """Budget rows per part (session; managers per window) and the total: income,
    exemptions, pay, balance (专款专用). A part's pay is exact; its income equals the fee
    rows' shares and its income and exemptions lie within the fen splits of the exact
    proportions; the total row equals the fees and the people's rounded pay."""
    rows = plan.extra.get("budget")
    if not rows:
        if fees or dated:
            bad("missing section", "the plan has no budget")
        return
    want = _budget_expected(facts, fees, dated)
    parts = Counter(r.get("part") for r in rows)
    need = set(facts.sessions) | {p for p in want.pay if p.startswith("managers (")} | {
        "total"}
    may = need | {f"managers ({w.name})" for ws in facts.windows.values() for w in ws}
    if not need <= set(parts) <= may or any(n > 1 for n in parts.values()):
        bad("budget", f"parts {sorted(map(str, parts))}, expected one row each of "
            f"{sorted(need)}")
    val = {id(r): {k: _money(r.get(k)) for k in ("income", "exemptions", "pay", "balance")}
           for r in rows}
    if any(None in v.values() for v in val.values()):
        bad("budget", "a budget figure is not money with two decimals")
        return
    body = [val[id(r)] | {"part": r.get("part")} for r in rows if r.get("part") != "total"]
    _check_budget_parts(facts, plan, want, body, bad)
    total = next((val[id(r)] for r in rows if r.get("part") == "total"), None)
    if total is None:
        bad("budget", "no total row")
        return
    want_total = {"income": sum((f.net for f in fees.values()), Decimal("0.00")),
                  "exemptions": sum((f.gross - f.net for f in fees.values()), Decimal("0.00")),
                  "pay": sum(amount.values(), Decimal("0.00"))}
    want_total["balance"] = want_total["income"] - want_total["pay"]
    for k, x in want_total.items():
        if total[k] != x:
            bad("budget", f"total {k} {total[k]}, recomputed {x}")
        if k in ("income", "exemptions") and sum((r[k] for r in body), Decimal(0)) != total[k]:
            bad("budget", f"the parts' {k} do not add up to the total {total[k]}")


def _check_budget_parts(facts: _Facts, plan: Plan, want: _Budget, body: list[dict],
                        bad: _Report) -> None:
    shares: dict[str, Decimal] | None = defaultdict(Decimal)  # the fee rows' by_session
    for r in plan.fees:
        if not isinstance(r.get("by_session"), dict):
            shares = None
            break
        for k, x in r["by_session"].items():
            shares[k] += _money(x) or 0
    for v in body:
        p = v["part"]
        pay = _round(want.pay.get(p, Decimal(0)))
        if v["pay"] != pay:
            bad("budget", f"{p}: pay {v['pay']}, recomputed {pay}")
        if shares is not None and p in facts.sessions and v["income"] != shares.get(p, 0):
            bad("budget", f"{p}: income {v['income']}, the fee rows' shares add up to "
                f"{shares.get(p, Decimal(0))}")
        room = CENT * want.takers[p]
        if abs(v["income"] - want.income.get(p, 0)) > room:
            bad("budget", f"{p}: income {v['income']}, recomputed {want.income.get(p, 0):.2f}")
        if abs(v["exemptions"] - want.relief.get(p, 0)) > 2 * room:
            bad("budget", f"{p}: exemptions {v['exemptions']}, recomputed "
                f"{want.relief.get(p, 0):.2f}")
        if v["balance"] != v["income"] - v["pay"]:
            bad("budget", f"{p}: balance {v['balance']} is not income minus pay")


def _check_admission(facts: _Facts, rows, bad: _Report) -> None:
    """Nobody waits who comes before an admitted applicant: priority children first, then
    by application date (SPEC §3 优先保障)."""
    if not rows:
        return
    decided = [(r.get("decision"), facts.students.get(r.get("student"))) for r in rows]
    admitted = [st for d, st in decided if d == "admitted" and st]
    for d, st in decided:
        if st is None:
            bad("priority first", "admission row for an unknown student")
            continue
        if d != "waiting":
            continue
        for other in admitted:
            if st.priority and not other.priority:  # categories stay private (SPEC §7)
                bad("priority first", f"{st.id} waits while {other.id}, after them in the "
                    "priority order, is admitted")
            elif bool(st.priority) == bool(other.priority) and st.applied_on and (
                    other.applied_on is None or st.applied_on < other.applied_on):
                bad("priority first", f"{st.id} applied on {st.applied_on} and waits while "
                    f"{other.id}, applied later, is admitted")
