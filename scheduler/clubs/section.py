"""The ``"clubs"`` section of a plan (SPEC §12): the lottery, what clubs cost and pay, and
what they do to the afternoon's staffing.

Input: the instance (clubs, choices, students, staff, rules), the plan in force (its
current version's groups and duties), a ``Lottery`` and the first date clubs meet.
Output: ``club_section(...)`` -> the JSON object ``plan.json`` keeps under ``"clubs"``:
- ``seed``, ``start``, ``assigned``, ``waiting``, ``cancelled`` (the lottery);
- ``groups``: each club that meets as a group: ``{id: "club-<club id>", club, session,
  days, start, end, staff (its instructor; ``external``), venue, students}``;
- ``clubs``: per club id what the hand-outs print without the instance (name, days, session,
  start, end, venue, instructor, capacity, min_size, grades, fee, rate, members, meets);
- ``fees``: per pupil holding a club, ``club_fee``: the sum of their clubs' per-term fees,
  exact (no exemption or reduction: those are of the service fee, SPEC §5);
- ``pay``: per instructor of a club that meets, its minutes (the session's length on every
  service date of a club day from ``start`` to the term end) and the amount at their rate
  (``instructor_rate`` or ``[clubs] rate`` for ``external``; the teacher's rate or the
  school's 60 yuan/h for staff), rounded half-up once per instructor and club;
- ``staffing``: per club day and afternoon session: ``students`` present in the session,
  ``standard_teachers`` T(n), ``care_groups`` (groups with a pupil present once club members
  have left), ``club_groups``, ``groups`` (both); ``managers``: per club day and duty
  window: the peak of concurrent groups counting clubs as groups, ``managers_needed`` M(peak),
  ``managers_planned`` and ``managers_short``;
- ``conflicts``: a staff instructor with a duty of the plan overlapping their club.
Rules: a club member is away from their care group on the club's days (counted in the club
group instead); each club that meets is a group with its instructor as its teacher.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from afterschool.models.clubs import Lottery
from afterschool.models.school import ALL_DAYS, fmt_time, parse_time
from afterschool.scheduler.rules.calendar import term_dates
from afterschool.scheduler.rules.staffing import duty_windows, managers_needed, \
    standard_teachers

CENT = Decimal("0.01")


def club_dates(inst, club, start: date) -> list[date]:
    """Service dates of the club's weekdays from ``start`` to the term end."""
    dates = term_dates(inst.school.term)
    return sorted(d for day in club.days for d in dates.get(day, []) if d >= start)


def instructor_rate(inst, club) -> Decimal:
    if club.external:
        return club.instructor_rate if club.instructor_rate is not None \
            else inst.school.clubs.rate
    t = inst.teacher(club.instructor)
    return t.hourly_rate if t.hourly_rate is not None else inst.school.rules.pay_per_hour


def club_section(inst, plan, lottery: Lottery, start: date) -> dict:
    clubs = {c.id: c for c in inst.clubs}
    sessions = {s.id: s for s in inst.school.sessions}
    members: dict[str, list[str]] = defaultdict(list)
    for s, c in lottery.assigned:
        members[c].append(s)
    info, pay = {}, []
    for c in inst.clubs:
        session = sessions[c.session]
        meets = c.id not in lottery.cancelled and bool(members[c.id])
        rate = instructor_rate(inst, c)
        info[c.id] = {"name": c.name, "days": list(c.days), "session": c.session,
                      "start": fmt_time(session.start), "end": fmt_time(session.end),
                      "venue": c.venue, "instructor": c.instructor,
                      "capacity": c.capacity, "min_size": c.min_size,
                      "grades": list(c.grades), "fee": str(c.fee.quantize(CENT)),
                      "rate": str(rate.quantize(CENT)), "members": len(members[c.id]),
                      "meets": meets}
        if meets:
            minutes = len(club_dates(inst, c, start)) * session.minutes
            amount = (Decimal(minutes) * rate / 60).quantize(CENT, rounding=ROUND_HALF_UP)
            pay.append({"club": c.id, "staff": c.instructor, "minutes": minutes,
                        "rate": str(rate.quantize(CENT)), "amount": str(amount),
                        "kind": "external" if c.external else "staff"})
    fees = []
    per_pupil: dict[str, Decimal] = defaultdict(Decimal)
    for s, c in lottery.assigned:
        per_pupil[s] += clubs[c].fee
    for s in sorted(per_pupil):
        fees.append({"student": s, "clubs": [c for x, c in lottery.assigned if x == s],
                     "club_fee": str(per_pupil[s].quantize(CENT))})
    staffing, managers, conflicts = club_staffing(inst, plan, lottery)
    groups = [{"id": f"club-{c.id}", "club": c.id, "session": c.session,
               "days": list(c.days), "start": info[c.id]["start"], "end": info[c.id]["end"],
               "staff": c.instructor, "venue": c.venue, "students": members[c.id]}
              for c in inst.clubs if info[c.id]["meets"]]
    return {"seed": lottery.seed, "start": start.isoformat(), "groups": groups,
            "per_pupil": inst.school.clubs.per_pupil,
            **lottery.to_dict(), "clubs": info, "fees": fees, "pay": pay,
            "staffing": staffing, "managers": managers, "conflicts": conflicts}


def club_staffing(inst, plan, lottery: Lottery) -> tuple[list[dict], list[dict], list[dict]]:
    """The staffing rows and instructor conflicts of the module docstring."""
    clubs = {c.id: c for c in inst.clubs}
    sessions = {s.id: s for s in inst.school.sessions}
    students = {s.id: s for s in inst.students}
    rules = inst.school.rules
    away: dict[tuple[str, str], set[str]] = defaultdict(set)  # (day, session) -> members
    meeting: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s, c in lottery.assigned:
        for d in clubs[c].days:
            away[d, clubs[c].session].add(s)
            if c not in meeting[d, clubs[c].session]:
                meeting[d, clubs[c].session].append(c)
    rows, windows = [], []
    club_days = sorted({d for d, _ in meeting}, key=ALL_DAYS.index)
    for day in club_days:
        formed: dict[str, int] = {}
        for sid, session in sessions.items():
            if session.signup != "afternoon" or day not in session.days:
                continue
            present = care = 0
            for g in plan.groups:
                if g.session != sid:
                    continue
                here = [x for x in g.students if x in students
                        and day in students[x].days(session.signup)]
                present += len(here)
                care += any(x not in away[day, sid] for x in here)
            n_club = len(meeting[day, sid])
            formed[sid] = care + n_club
            rows.append({"day": day, "session": sid, "students": present,
                         "standard_teachers": standard_teachers(
                             present, rules.students_per_teacher, rules.remainder_threshold),
                         "care_groups": care, "club_groups": n_club, "groups": care + n_club})
        for w in duty_windows(inst.school.sessions, day):
            if not any(s in formed for s in w.sessions):
                continue
            counts = {s: formed.get(s, _groups_present(plan, s, day, students, sessions))
                      for s in w.sessions}
            points = {sessions[s].start for s in w.sessions}
            peak = max(sum(counts[s] for s in w.sessions
                           if sessions[s].start <= p < sessions[s].end) for p in points)
            need = managers_needed(peak, rules.groups_per_manager,
                                   rules.manager_remainder_threshold)
            planned = sum(1 for d in plan.duties if d.role == "manager" and d.day == day
                          and d.window == w.id)
            windows.append({"day": day, "window": w.id, "peak": peak,
                            "managers_needed": need, "managers_planned": planned,
                            "managers_short": max(0, need - planned)})
    conflicts = []
    for c in inst.clubs:
        if c.external or c.id in lottery.cancelled or not any(x == c.id for _, x in
                                                             lottery.assigned):
            continue
        session = sessions[c.session]
        for d in plan.duties:
            if d.staff == c.instructor and d.day in c.days and \
                    parse_time(d.start) < session.end and session.start < parse_time(d.end):
                conflicts.append({"club": c.id, "staff": c.instructor, "day": d.day,
                                  "start": d.start, "end": d.end, "group": d.group,
                                  "window": d.window})
    return rows, windows, conflicts


def _groups_present(plan, sid, day, students, sessions) -> int:
    session = sessions[sid]
    return sum(1 for g in plan.groups if g.session == sid and any(
        x in students and day in students[x].days(session.signup) for x in g.students))


def club_money_rows(plan) -> tuple[list[dict], list[dict]]:
    """For the office's ``budget`` and ``pay`` tables: per club that meets its fee income
    (fee x members), its instructor's pay and the balance; and the instructors' pay rows
    (club name beside the id). Empty without clubs."""
    sec = plan.extra.get("clubs") or {}
    info = sec.get("clubs", {})
    staff = plan.extra.get("people", {}).get("staff", {})
    pay = {r["club"]: r for r in sec.get("pay", [])}
    budget, pay_rows = [], []
    for cid, c in info.items():
        if not c.get("meets"):
            continue
        income = Decimal(c["fee"]) * c["members"]
        paid = Decimal(pay[cid]["amount"]) if cid in pay else Decimal(0)
        budget.append({"club": c["name"], "members": c["members"],
                       "club_income": str(income), "pay": str(paid),
                       "balance": str(income - paid)})
        if cid in pay:
            r = pay[cid]
            pay_rows.append({"club": c["name"],
                             "staff": "" if r["staff"] == "external" else r["staff"],
                             "name": staff.get(r["staff"], {}).get("name", ""),
                             "kind": r.get("kind", ""), "rate": r["rate"],
                             "minutes": r["minutes"], "amount": r["amount"]})
    return budget, pay_rows
