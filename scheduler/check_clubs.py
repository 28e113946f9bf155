"""The club checker (SPEC §12), part of ``afterschool check``: the lottery re-run from its
seed and every club rule and figure recomputed, in plain Python.

``check_term_plan(inst, plan, version_instances)``: what ``check`` runs: the checker
(``checker.check_plan``) on the sheets as the plan's care plan sees them (``care_sheets``:
for the versions from the clubs' start), then ``check_clubs``.
``check_clubs(inst, plan) -> list[(rule, message)]``; nothing when the plan has no
``"clubs"`` section. Independence is the point: this module imports nothing of
``scheduler.clubs`` (the lottery, the section) nor the planner or money code; its draw,
its eligibility and its fixed point are restated here from ``docs/clubs.md``.

Rules checked (names as reported):
- ``club lottery``: the draw re-run from ``seed`` on the instance's clubs and choices gives
  the same ``assigned``, ``waiting`` (places included) and ``cancelled``;
- ``club capacity`` (members at most ``capacity``), ``club minimum`` (a club that meets has
  ``min_size`` members; a cancelled one is under it), ``club grades`` (the pupil's grade),
  ``club days`` (the pupil attends the afternoon session on every day the club meets; no
  two clubs of one pupil on one weekday), ``club per pupil`` (at most ``[clubs]
  per_pupil``), ``club choices`` (a member chose the club), ``club groups`` (each club
  that meets is a group of its members, days and instructor; no other);
- ``club fees`` (per pupil the sum of their clubs' fees, to the fen), ``club pay`` (per
  club that meets: the session's minutes on every service date of its days from ``start``
  to the term end, at the instructor's rate, rounded half-up once), ``club managers``
  (per club day and afternoon window: M(peak concurrent groups, clubs counted as groups)
  as stated in ``managers``), ``club limits`` (a staff instructor's club minutes and duty
  minutes, covers applied, within their weekly limit in every calendar week from ``start``;
  on a club's day they have no other duty: ``availability`` in the checker's sheets).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
WEEK = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def check_term_plan(inst, plan, version_instances=None) -> list:
    """Every violation of a plan, clubs included (see the module docstring)."""
    from afterschool.scheduler.checker import Violation, check_plan
    care = care_sheets(inst, plan)
    if version_instances is not None and care is not inst:
        since = plan.extra["clubs"]["start"]
        version_instances = [care_sheets(x, plan) if x is not None and (
            v.valid_from or "") >= since else x
            for x, v in zip(version_instances, plan.versions())]
    groups, since = {}, None
    if care is not inst:  # the clubs meeting then count as groups for M(c)
        since = plan.extra["clubs"]["start"]
        groups = club_meetings(inst, plan)
    found = check_plan(care, plan, version_instances=version_instances, club_groups=groups,
                       clubs_since=since)
    return found + [Violation(rule, message) for rule, message in check_clubs(inst, plan)]


def club_meetings(inst, plan) -> dict[tuple[str, str], int]:
    """(day, session) -> the clubs of the plan's draw that meet then (a member, not
    cancelled)."""
    sec = plan.extra.get("clubs") or {}
    clubs = {c.id: c for c in inst.clubs}
    meets = {a["club"] for a in sec.get("assigned", []) if a["club"] in clubs
             and a["club"] not in sec.get("cancelled", [])}
    out: dict[tuple[str, str], int] = defaultdict(int)
    for c in meets:
        for d in clubs[c].days:
            out[d, clubs[c].session] += 1
    return dict(out)


def care_sheets(inst, plan):
    """The sheets as the care plan of a plan with clubs must see them (SPEC §12), derived
    here on their own: each member's afternoon weekdays lose their clubs' days; a staff
    instructor of a club that meets declares nothing on its days (their club minutes count
    in their weekly limit: ``club limits``). Without clubs, or when the care plan was not made again
    around them (``replanned`` false), ``inst`` itself."""
    from dataclasses import replace
    sec = plan.extra.get("clubs")
    if not sec or not sec.get("replanned") or not inst.clubs:
        return inst
    clubs = {c.id: c for c in inst.clubs}
    gone: dict[str, set] = defaultdict(set)
    meets: dict[str, int] = defaultdict(int)
    for a in sec.get("assigned", []):
        c = clubs.get(a["club"])
        if c is None or a["club"] in sec.get("cancelled", []):
            continue
        gone[a["student"]].update(c.days)
        meets[a["club"]] += 1
    students = tuple(replace(s, afternoon=tuple(d for d in s.afternoon if d not in gone[s.id]))
                     if s.id in gone else s for s in inst.students)
    busy: dict[str, set] = defaultdict(set)
    for cid in meets:
        c = clubs[cid]
        if c.instructor != "external":
            busy[c.instructor].update(c.days)
    rows = tuple(a for a in inst.availability if a.day not in busy.get(a.teacher, ()))
    return replace(inst, students=students, availability=rows)


def _order(seed: int, choices, pupils) -> list[str]:
    def key(sid):
        digest = hashlib.sha256(f"{seed}:{sid}".encode("utf-8")).hexdigest()
        return (not pupils[sid].priority, digest, sid)
    return sorted((c.student for c in choices), key=key)


def _can(club, pupil) -> bool:
    return pupil.grade in club.grades and set(club.days) <= set(pupil.afternoon)


def redraw(inst, seed: int) -> tuple[dict[str, list[str]], list[tuple[str, str, int]],
                                     list[str]]:
    """(held clubs per pupil, waiting rows, cancelled ids) as the documented draw gives."""
    clubs = {c.id: c for c in inst.clubs}
    pupils = {s.id: s for s in inst.students}
    wants = {c.student: list(c.choices) for c in inst.club_choices}
    order = _order(seed, inst.club_choices, pupils)
    per = inst.school.clubs.per_pupil
    opened, cancelled = set(clubs), []
    while True:
        held: dict[str, list[str]] = {s: [] for s in order}
        seats: dict[str, int] = defaultdict(int)
        for _ in range(per):
            for s in order:
                taken_days = {d for c in held[s] for d in clubs[c].days}
                for c in wants[s]:
                    k = clubs[c]
                    if c in opened and c not in held[s] and seats[c] < k.capacity \
                            and _can(k, pupils[s]) and not taken_days.intersection(k.days):
                        held[s].append(c)
                        seats[c] += 1
                        break
        small = [(seats[c], c) for c in opened if seats[c] < clubs[c].min_size]
        if not small:
            break
        gone = min(small)[1]
        opened.remove(gone)
        cancelled.append(gone)
    waiting = []
    for c in sorted(opened):
        n = 0
        for s in order:
            ranked = wants[s]
            if c not in ranked or c in held[s] or not _can(clubs[c], pupils[s]):
                continue
            above = set(ranked[:ranked.index(c)])
            if any(set(clubs[h].days) & set(clubs[c].days) for h in held[s] if h in above):
                continue
            if len(held[s]) < per or any(h not in above for h in held[s]):
                n += 1
                waiting.append((c, s, n))
    return held, waiting, cancelled


def _dates(inst) -> dict[str, list[date]]:
    """Service dates per weekday: term days minus holidays, make-up days as listed (the
    school's own lists; official holidays come with ``inst.school.term.holidays`` when the
    reader merged them, else the checker's calendar)."""
    from afterschool.scheduler.checker import service_dates
    out: dict[str, list[date]] = defaultdict(list)
    for d, wd in service_dates(inst.school.term).items():
        out[wd].append(d)
    return out


def _m(c: int, rules) -> int:
    return c // rules.groups_per_manager + (1 if c % rules.groups_per_manager >
                                            rules.manager_remainder_threshold else 0)


def _hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def check_clubs(inst, plan) -> list[tuple[str, str]]:
    sec = plan.extra.get("clubs")
    if not sec:
        return []
    bad: list[tuple[str, str]] = []
    clubs = {c.id: c for c in inst.clubs}
    pupils = {s.id: s for s in inst.students}
    if not clubs:
        return [("club lottery", "the plan has a club lottery but the sheets have no "
                 "clubs.csv")]
    assigned = [(a["student"], a["club"]) for a in sec["assigned"]]
    unknown = [x for x in assigned if x[1] not in clubs or x[0] not in pupils]
    if unknown:
        return [("club lottery", f"{len(unknown)} assignment(s) name an unknown club or "
                 f"pupil, such as {unknown[0]}")]
    held, waiting, cancelled = redraw(inst, sec["seed"])
    want = sorted((s, c) for s, cs in held.items() for c in cs)
    if sorted(assigned) != want:
        extra = sorted(set(assigned) - set(want))[:3]
        missing = sorted(set(want) - set(assigned))[:3]
        bad.append(("club lottery", f"re-run from seed {sec['seed']}: the members differ "
                    f"(in the plan only: {extra}; in the re-run only: {missing})"))
    got_wait = sorted((x["club"], x["student"], x["place"]) for x in sec["waiting"])
    if got_wait != sorted(waiting):
        bad.append(("club lottery", f"re-run from seed {sec['seed']}: the waiting lists "
                    "differ"))
    if sorted(sec["cancelled"]) != sorted(cancelled):
        bad.append(("club lottery", f"re-run from seed {sec['seed']}: cancelled "
                    f"{sorted(cancelled)}, the plan says {sorted(sec['cancelled'])}"))
    members: dict[str, list[str]] = defaultdict(list)
    mine: dict[str, list[str]] = defaultdict(list)
    chose = {c.student: c.choices for c in inst.club_choices}
    for s, c in assigned:
        members[c].append(s)
        mine[s].append(c)
        k, p = clubs[c], pupils[s]
        if p.grade not in k.grades:
            bad.append(("club grades", f"{s} (grade {p.grade}) in {c}"))
        if not set(k.days) <= set(p.afternoon):
            bad.append(("club days", f"{s} in {c} on a day without afternoon care"))
        if c not in chose.get(s, ()):
            bad.append(("club choices", f"{s} in {c}, which they did not choose"))
    for c, k in clubs.items():
        n = len(members[c])
        if n > k.capacity:
            bad.append(("club capacity", f"{c}: {n} members, capacity {k.capacity}"))
        if c in sec["cancelled"] and n:
            bad.append(("club minimum", f"{c} is cancelled but has {n} members"))
        elif c not in sec["cancelled"] and 0 < n < k.min_size:
            bad.append(("club minimum", f"{c}: {n} members, minimum {k.min_size}"))
    for s, cs in mine.items():
        if len(cs) > inst.school.clubs.per_pupil:
            bad.append(("club per pupil", f"{s} holds {len(cs)} clubs"))
        days = [d for c in cs for d in clubs[c].days]
        if len(days) != len(set(days)):
            bad.append(("club days", f"{s} holds two clubs on one weekday"))
    # money
    fee_want: dict[str, Decimal] = defaultdict(Decimal)
    for s, c in assigned:
        fee_want[s] += clubs[c].fee
    fee_got = {f["student"]: Decimal(f["club_fee"]) for f in sec.get("fees", [])}
    for s in sorted(set(fee_want) | set(fee_got)):
        if fee_got.get(s, Decimal(0)) != fee_want.get(s, Decimal(0)).quantize(CENT):
            bad.append(("club fees", f"{s}: {fee_got.get(s, Decimal(0))} stated, "
                        f"{fee_want.get(s, Decimal(0)).quantize(CENT)} due"))
    start = date.fromisoformat(sec["start"])
    dates = _dates(inst)
    sessions = {s.id: s for s in inst.school.sessions}
    pay_got = {p["club"]: p for p in sec.get("pay", [])}
    for c, k in clubs.items():
        meets = c not in sec["cancelled"] and members[c]
        if not meets:
            if c in pay_got:
                bad.append(("club pay", f"{c} does not meet but its instructor is paid"))
            continue
        s = sessions[k.session]
        minutes = sum(1 for day in k.days for d in dates.get(day, []) if d >= start) * \
            (s.end - s.start)
        if k.instructor == "external":
            rate = k.instructor_rate if k.instructor_rate is not None \
                else inst.school.clubs.rate
        else:
            t = next(t for t in inst.teachers if t.id == k.instructor)
            rate = t.hourly_rate if t.hourly_rate is not None else inst.school.rules.pay_per_hour
        amount = (Decimal(minutes) * rate / 60).quantize(CENT, rounding=ROUND_HALF_UP)
        got = pay_got.get(c)
        if got is None or got["minutes"] != minutes or Decimal(got["amount"]) != amount:
            bad.append(("club pay", f"{c}: {minutes} min at {rate} yuan/h = {amount} due, "
                        f"stated {got and (got['minutes'], got['amount'])}"))
    stated = {g["club"]: g for g in sec.get("groups", [])}
    for c, k in clubs.items():
        meets = c not in sec["cancelled"] and members[c]
        g = stated.get(c)
        if meets and (g is None or sorted(g["students"]) != sorted(members[c])
                      or g["staff"] != k.instructor or list(g["days"]) != list(k.days)):
            bad.append(("club groups", f"{c} meets but its group is missing or differs"))
        elif not meets and g is not None:
            bad.append(("club groups", f"{c} does not meet but has a group"))
    _check_managers(inst, plan, sec, members, bad)
    _check_limits(inst, plan, sec, members, dates, bad)
    return bad


def _check_limits(inst, plan, sec, members, dates, bad) -> None:
    start = date.fromisoformat(sec["start"])
    clubs = {c.id: c for c in inst.clubs}
    sessions = {s.id: s for s in inst.school.sessions}
    teachers = {t.id: t for t in inst.teachers}
    week: dict[tuple[str, date], int] = defaultdict(int)
    for c, k in clubs.items():
        if k.instructor == "external" or not members[c] or c in sec["cancelled"]:
            continue
        s = sessions[k.session]
        for day in k.days:
            for d in dates.get(day, []):
                if d >= start:
                    week[k.instructor, d - timedelta(days=d.weekday())] += s.end - s.start
    if not week:
        return
    staff = {t for t, _ in week}
    term = inst.school.term
    versions = plan.versions()
    for v in versions:
        lo = date.fromisoformat(v.valid_from) if v.valid_from else term.start
        hi = date.fromisoformat(v.valid_to) if v.valid_to else term.end
        for du in v.duties:
            if du.staff in staff:
                for d in dates.get(du.day, []):
                    if lo <= d <= hi and d >= start - timedelta(days=6):
                        week[du.staff, d - timedelta(days=d.weekday())] += \
                            _hm(du.end) - _hm(du.start)
    for x in plan.exceptions:
        d = date.fromisoformat(x["date"])
        n = _hm(x["end"]) - _hm(x["start"])
        for who, sign in ((x.get("replaces"), -1), (x.get("staff"), 1)):
            if who in staff:
                week[who, d - timedelta(days=d.weekday())] += sign * n
    for (t, monday), minutes in sorted(week.items()):
        own = teachers[t].max_weekly_minutes
        limit = inst.school.rules.max_weekly_minutes if own is None else own
        if monday + timedelta(days=6) >= start and minutes > limit:
            bad.append(("club limits", f"{t} serves {minutes} min in the week of {monday} "
                        f"with their club (limit {limit})"))


def _check_managers(inst, plan, sec, members, bad) -> None:
    clubs = {c.id: c for c in inst.clubs}
    pupils = {s.id: s for s in inst.students}
    sessions = {s.id: s for s in inst.school.sessions}
    rules = inst.school.rules
    away = defaultdict(set)
    meet = defaultdict(int)
    for c, ss in members.items():
        if not ss:
            continue
        for d in clubs[c].days:
            meet[d, clubs[c].session] += 1
            away[d, clubs[c].session].update(ss)
    stated = {(r["day"], r["window"]): r for r in sec.get("managers", [])}
    for day in sorted({d for d, _ in meet}, key=WEEK.index):
        after = [s for s in sessions.values() if s.signup == "afternoon" and day in s.days]
        groups = {}
        for s in sessions.values():
            if day not in s.days:
                continue
            n = 0
            for g in plan.groups:
                if g.session != s.id:
                    continue
                here = [x for x in g.students if x in pupils and day in (
                    pupils[x].afternoon if s.signup == "afternoon" else pupils[x].noon)]
                n += any(x not in away[day, s.id] for x in here)
            groups[s.id] = n + meet[day, s.id]
        # the afternoon sessions that overlap form one window
        if not after:
            continue
        points = {s.start for s in after}
        peak = max(sum(groups[s.id] for s in after if s.start <= p < s.end) for p in points)
        need = _m(peak, rules)
        row = next((r for (d, _), r in stated.items() if d == day and r["peak"] is not None
                    and set(r["window"].split("+")) & ({"afternoon"} | {s.id for s in after})),
                   None)
        if row is None or row["managers_needed"] != need or row["peak"] != peak:
            bad.append(("club managers", f"{day}: {peak} groups at the peak with clubs, "
                        f"M = {need}; stated {row and (row['peak'], row['managers_needed'])}"))
