"""The plan checker: recompute every hard rule, the staffing table, fees and pay from the plan
and the instance in plain Python, independent of the solver code (``grouping``, ``assign``,
``solve`` and ``money`` are not imported).

``check_plan(instance, plan) -> list[Violation]``; empty means the plan keeps every rule.
Rules checked (SPEC §3–§6, §8):
- every enrolled student taking a session is in exactly one group of it; nobody else is
  (applied, withdrawn, unknown, wrong grade or not taking it); group ids unique;
- at most ``group_cap`` present per group and day;
- every group present on a day has exactly one teacher per slot of its session, or a
  declared shortage for it; no teacher for an absent group; duty times are the slot's;
- teachers: known, volunteer, declared available (session or its window), in one place at a
  time (overlaps and manager windows included), daily and weekly minute limits, no duty in two
  windows of a day unless ``allow_double``;
- managers: can manage, available for the window, on duty for the whole window, and at least
  M(peak concurrent groups) per window and day, counting missing ones declared as shortages;
- staffing table, fees and pay equal to an independent recomputation (money in fen).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.models.school import WEEKDAYS, parse_time
from afterschool.scheduler.rules.calendar import term_dates
from afterschool.scheduler.rules.staffing import managers_needed, standard_teachers


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def _windows(inst: Instance, day: str) -> list[tuple[int, int, list[str], str]]:
    """(start, end, session ids, name): sessions of the day merged where they overlap."""
    spans = sorted((s.start, s.end, s.id, s.signup) for s in inst.school.sessions
                   if day in s.days)
    out: list[list] = []
    for a, b, sid, kind in spans:
        if out and a < out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
            out[-1][2].append(sid)
            out[-1][3].add(kind)
        else:
            out.append([a, b, [sid], {kind}])
    return [(a, b, ids, kinds.pop() if len(kinds) == 1 else "+".join(ids))
            for a, b, ids, kinds in out]


def _avail(inst: Instance, teacher: str, day: str, names: list[str]) -> bool:
    """Any of ``names`` (most specific first) declared available or preferred?"""
    for name in names:
        if (teacher, day, name) in inst._avail:  # the instance's row index, built once
            return inst.availability_of(teacher, day, name) in ("available", "preferred")
    return False


def check_plan(inst: Instance, plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    bad = lambda rule, msg: out.append(Violation(rule, msg))  # noqa: E731
    school, rules = inst.school, inst.school.rules
    sessions = {s.id: s for s in school.sessions}
    students = {s.id: s for s in inst.students}
    staff = {t.id: t for t in inst.teachers}

    # groups and students
    ids = Counter(g.id for g in plan.groups)
    for gid, n in ids.items():
        if n > 1:
            bad("group ids", f"group id {gid} used {n} times")
    groups = {g.id: g for g in plan.groups}
    placed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for g in plan.groups:
        if g.session not in sessions:
            bad("groups", f"group {g.id} names unknown session {g.session}")
            continue
        s = sessions[g.session]
        for sid in g.students:
            st = students.get(sid)
            if st is None:
                bad("students", f"group {g.id} holds unknown student {sid}")
            elif st.status != "enrolled":
                bad("enrolled only", f"{sid} is {st.status} but placed in group {g.id}")
            elif st.grade not in s.grades or not st.days(s.signup):
                bad("students", f"{sid} (grade {st.grade}) does not take {s.id} but is in "
                    f"group {g.id}")
            placed[sid, s.id].append(g.id)
    for st in inst.students:
        if st.status != "enrolled":
            continue
        for s in school.sessions:
            if st.grade in s.grades and st.days(s.signup):
                n = len(placed.get((st.id, s.id), []))
                if n != 1:
                    bad("every student placed", f"{st.id} takes {s.id} but is in {n} groups")
    # presence and cap
    present: dict[tuple[str, str], int] = {}
    for g in groups.values():
        s = sessions.get(g.session)
        if s is None:
            continue
        for d in s.days:
            n = sum(1 for x in g.students if x in students and d in students[x].days(s.signup))
            present[g.id, d] = n
            if n > rules.group_cap:
                bad("group cap", f"group {g.id} has {n} students present on {d} "
                    f"(cap {rules.group_cap})")
    # teacher duties per slot
    slot_duties: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    short_slots: Counter = Counter()
    for sh in plan.shortages:
        if sh.role == "teacher":
            short_slots[sh.day, sh.group, sh.start] += sh.count
    for du in plan.duties:
        if du.role == "teacher":
            g = groups.get(du.group or "")
            if g is None:
                bad("duties", f"{du.staff} on {du.day} supervises unknown group {du.group}")
                continue
            s = sessions[g.session]
            slot = next((sl for sl in s.slots if (parse_time(du.start), parse_time(du.end))
                         == (sl.start, sl.end)), None)
            if slot is None:
                bad("duties", f"{du.staff} {du.day} {du.start}-{du.end} is not a slot of {s.id}")
                continue
            if present.get((g.id, du.day), 0) == 0:
                bad("duties", f"{du.staff} supervises group {g.id} on {du.day}, when nobody "
                    "in it is present")
            slot_duties[du.day, g.id, du.start].append(du.staff)
    for g in groups.values():
        s = sessions.get(g.session)
        if s is None:
            continue
        for d in s.days:
            if not present.get((g.id, d)):
                continue
            for sl in s.slots:
                start = f"{sl.start // 60:02d}:{sl.start % 60:02d}"
                n = len(slot_duties.get((d, g.id, start), [])) + short_slots[d, g.id, start]
                if n != 1:
                    bad("one teacher per slot", f"group {g.id} on {d} {start}: {n} teachers "
                        "(with declared shortages)")
    # people: availability, one place at a time, limits
    per_day: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
    for du in plan.duties:
        t = staff.get(du.staff)
        if t is None:
            bad("staff", f"unknown staff member {du.staff} on duty {du.day} {du.start}")
            continue
        if not t.volunteer:
            bad("volunteers only", f"{t.id} does not volunteer but is on duty {du.day} {du.start}")
        wins = _windows(inst, du.day)
        a, b = parse_time(du.start), parse_time(du.end)
        win = next((w for w in wins if w[0] <= a and b <= w[1]), None)
        if du.role == "teacher":
            sid = groups[du.group].session if du.group in groups else ""
            names = [sid] + ([win[3]] if win else [])
            if sid not in sessions or du.day not in sessions[sid].days or \
                    not _avail(inst, t.id, du.day, names):
                bad("availability", f"{t.id} is not available for {sid} on {du.day}")
        else:
            w = next((w for w in wins if w[3] == du.window), None)
            if w is None:
                bad("managers", f"{t.id} manages unknown window {du.window} on {du.day}")
                continue
            if (a, b) != (w[0], w[1]):
                bad("managers", f"{t.id} manages {du.window} on {du.day} {du.start}-{du.end}, "
                    "not the whole window")
            if not t.can_manage:
                bad("managers", f"{t.id} cannot manage but is manager on {du.day}")
            if not (_avail(inst, t.id, du.day, [w[3]]) or all(
                    _avail(inst, t.id, du.day, [sid]) for sid in w[2])):
                bad("availability", f"{t.id} is not available to manage {w[3]} on {du.day}")
        per_day[t.id, du.day].append((a, b, win[3] if win else "?"))
    weekly: Counter = Counter()
    for (tid, d), spans in per_day.items():
        t = staff[tid]
        spans.sort()
        for (a1, b1, _), (a2, b2, _) in zip(spans, spans[1:]):
            if a2 < b1:
                bad("one place at a time", f"{tid} on {d}: duties overlap at "
                    f"{a2 // 60:02d}:{a2 % 60:02d}")
        minutes = sum(b - a for a, b, _ in spans)
        weekly[tid] += minutes
        if minutes > rules.max_daily_minutes:
            bad("daily limit", f"{tid} serves {minutes} min on {d} "
                f"(limit {rules.max_daily_minutes})")
        if not t.allow_double and len({w for *_, w in spans}) > 1:
            bad("no double duty", f"{tid} serves in {', '.join(sorted({w for *_, w in spans}))} "
                f"on {d} without allow_double")
    for tid, minutes in weekly.items():
        limit = staff[tid].max_weekly_minutes
        limit = rules.max_weekly_minutes if limit is None else limit
        if minutes > limit:
            bad("weekly limit", f"{tid} serves {minutes} min a week (limit {limit})")
    # managers per window and day
    mgr_short: Counter = Counter()
    for sh in plan.shortages:
        if sh.role == "manager":
            mgr_short[sh.day, sh.window] += sh.count
    on_duty: Counter = Counter((du.day, du.window) for du in plan.duties if du.role == "manager")
    for d in WEEKDAYS:
        for a, b, sids, name in _windows(inst, d):
            peak = 0
            for minute in range(a, b):
                peak = max(peak, sum(1 for g in groups.values() if g.session in sids
                                     and present.get((g.id, d)) and
                                     sessions[g.session].start <= minute < sessions[g.session].end))
            need = managers_needed(peak, rules.groups_per_manager,
                                   rules.manager_remainder_threshold)
            have = on_duty[d, name] + mgr_short[d, name]
            if have < need:
                bad("managers", f"{d} {name}: {peak} groups at once need {need} manager(s), "
                    f"plan has {on_duty[d, name]} and declares {mgr_short[d, name]} short")
    out.extend(_check_figures(inst, plan, groups, present))
    return out


def _fen(x: Decimal) -> int:
    return int((x * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_figures(inst: Instance, plan: Plan, groups, present) -> list[Violation]:
    out = []
    school, rules = inst.school, inst.school.rules
    dates = term_dates(school.term)
    # staffing table
    want = {}
    for s in school.sessions:
        for d in s.days:
            gs = [g for g in groups.values() if g.session == s.id and present.get((g.id, d))]
            n = sum(present[g.id, d] for g in gs)
            want[d, s.id] = (n, standard_teachers(n, rules.students_per_teacher,
                                                  rules.remainder_threshold), len(gs))
    for row in plan.staffing:
        key = (row.get("day"), row.get("session"))
        got = (row.get("students"), row.get("standard_teachers"), row.get("groups"))
        if key in want and got != want[key]:
            out.append(Violation("staffing table", f"{key}: plan says students/standard/groups "
                                 f"{got}, recomputed {want[key]}"))
    if plan.staffing and {(r.get("day"), r.get("session")) for r in plan.staffing} != set(want):
        out.append(Violation("staffing table", "rows do not match the sessions and days"))
    # fees: per date, in fen
    fee_rows = {r["student"]: r for r in plan.fees}
    for st in inst.enrolled if plan.fees else ():
        fen = Decimal(0)
        for s in school.sessions:
            if st.grade in s.grades:
                for d in st.days(s.signup):
                    for _ in dates.get(d, []):
                        fen += Decimal(s.billable_minutes) * rules.fee_per_hour * 100 / 60
        gross = fen
        if st.fee_category == "exempt":
            fen = Decimal(0)
        elif st.fee_category == "reduced" and st.fee_reduction:
            r = st.fee_reduction
            if r.percent is not None:
                fen = fen * (100 - r.percent) / 100
            if r.amount is not None:
                fen = fen - r.amount * 100
            fen = max(fen, Decimal(0))
        lunch = Decimal(sum(len(dates.get(d, [])) for d in st.noon)) * rules.lunch_price * 100 \
            if st.lunch else Decimal(0)
        row = fee_rows.get(st.id)
        want_fee = _fen(fen / 100)
        if row is None:
            out.append(Violation("fees", f"no fee row for {st.id}"))
        elif _fen(Decimal(row["service_fee"])) != want_fee or \
                _fen(Decimal(row["lunch_fee"])) != _fen(lunch / 100):
            out.append(Violation("fees", f"{st.id}: plan {row['service_fee']}/{row['lunch_fee']}"
                                 f", recomputed {want_fee / 100:.2f}/{_fen(lunch / 100) / 100:.2f}"
                                 f" (gross {_fen(gross / 100) / 100:.2f})"))
    # pay: per date, in fen
    if plan.pay or plan.duties:
        minutes: Counter = Counter()
        for du in plan.duties:
            minutes[du.staff] += (parse_time(du.end) - parse_time(du.start)) * len(
                dates.get(du.day, []))
        pay_rows = {r["staff"]: r for r in plan.pay}
        for tid, mins in minutes.items():
            t = next((t for t in inst.teachers if t.id == tid), None)
            if t is None:
                continue
            rate = t.hourly_rate if t.hourly_rate is not None else rules.pay_per_hour
            want_amount = _fen(Decimal(mins) * rate / 60)
            row = pay_rows.get(tid)
            if row is None or row.get("minutes") != mins or \
                    _fen(Decimal(row["amount"])) != want_amount:
                out.append(Violation("pay", f"{tid}: plan {row and (row.get('minutes'), row.get('amount'))}"
                                     f", recomputed ({mins}, {want_amount / 100:.2f})"))
        for tid in set(pay_rows) - set(minutes):
            out.append(Violation("pay", f"{tid} is paid but has no duty"))
    out.extend(_check_budget(plan))
    return out


def _check_budget(plan: Plan) -> list[Violation]:
    """The budget's total row equals the fee and pay rows, its parts add up, and it balances."""
    rows = plan.extra.get("budget")
    if not rows:
        return []
    out = []
    total = next((r for r in rows if r["part"] == "total"), None)
    parts = [r for r in rows if r["part"] != "total"]
    fen = lambda v: _fen(Decimal(v))  # noqa: E731
    if total is None:
        return [Violation("budget", "no total row")]
    income = sum(fen(r["service_fee"]) for r in plan.fees)
    pay = sum(fen(r["amount"]) for r in plan.pay)
    if fen(total["income"]) != income or sum(fen(r["income"]) for r in parts) != income:
        out.append(Violation("budget", f"income {total['income']} differs from the fees "
                             f"({income / 100:.2f}) or from its parts"))
    if fen(total["pay"]) != pay or abs(sum(fen(r["pay"]) for r in parts) - pay) > len(plan.pay):
        out.append(Violation("budget", f"pay {total['pay']} differs from the pay rows "
                             f"({pay / 100:.2f}) or from its parts"))
    if fen(total["balance"]) != fen(total["income"]) - fen(total["pay"]):
        out.append(Violation("budget", "balance is not income minus pay"))
    return out
