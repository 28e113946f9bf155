"""The settlement recomputed on purpose a second way (SPEC §11), for ``check``: it imports
nothing of ``money`` or ``record`` and walks the term date by date, where the settlement
walks placements. Shares the checker's own calendar (``checker.service_dates``).

``check_settlement(inst, plan, facts, settled)``: every pupil's due, paid, refund, credit
and owed and every person's planned and delivered pay recomputed from the plan's versions,
the recorded facts and the school's ``[refunds]``; a figure that differs, a pupil or person
missing, or totals that do not tie are violations (``checker.Violation``).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.scheduler.checker import (Violation, _hm, _round, day_windows,
                                           service_dates)


def _version_of(plan: Plan, start: date):
    """day -> the index of the version in force."""
    froms = [date.fromisoformat(v.valid_from) if v.valid_from else start
             for v in plan.versions()]

    def find(day: date) -> int:
        k = 0
        for i, f in enumerate(froms):
            if f <= day:
                k = i
        return k
    return find


def _expected_pupils(inst: Instance, plan: Plan, facts) -> dict[str, dict[str, Decimal]]:
    school, policy = inst.school, inst.school.refunds
    dates = service_dates(school.term)
    find = _version_of(plan, school.term.start)
    versions = plan.versions()
    sess = {s.id: s for s in school.sessions}
    pupils = {s.id: s for s in inst.students}
    cancelled = {(d, s) for d, s in facts.cancelled}
    # per pupil and session, the dates expected in order, with the version index
    expected: dict[tuple[str, str], list[tuple[date, int]]] = defaultdict(list)
    for day, wd in sorted(dates.items()):
        k = find(day)
        v = versions[k]
        for g in v.groups:
            s = sess[g.session]
            if wd not in s.days:
                continue
            for sid in g.students:
                signup = (v.signups.get(sid) or {}).get(s.signup) if v.signups.get(sid) \
                    else pupils[sid].days(s.signup)
                if wd in (signup or []):
                    expected[sid, g.session].append((day, k))
    gross: dict[str, Decimal] = defaultdict(Decimal)
    seen: set[str] = set()
    for (sid, session), days in expected.items():
        seen.add(sid)
        price = Decimal(sess[session].billable_minutes) * school.rules.fee_per_hour / 60
        live = [d for d, _ in days if (d.isoformat(), None) not in cancelled
                and (d.isoformat(), session) not in cancelled]
        marks = [facts.attendance.get((d.isoformat(), session, sid), "present") for d in live]
        if policy.basis == "attendance":
            gross[sid] += price * sum(m in ("present", "late", "early") for m in marks)
            continue
        gross[sid] += price * len(live)
        if policy.leave_min_consecutive:
            i = 0
            while i < len(marks):
                j = i
                while j < len(marks) and marks[j] == "leave":
                    j += 1
                if j - i >= policy.leave_min_consecutive:
                    gross[sid] -= price * (j - i) * policy.leave_refund / 100
                i = max(j, i + 1)
    # withdrawn pupils: the dates their last sign-up would have had after they left
    for sid in seen:
        st = pupils[sid]
        if st.status != "withdrawn":
            continue
        ks = sorted({k for (p, _), days in expected.items() if p == sid for _, k in days})
        if not ks or ks[-1] == len(versions) - 1:
            continue
        left = date.fromisoformat(versions[ks[-1] + 1].valid_from)
        first = versions[ks[0]].valid_from
        since = date.fromisoformat(first) if first else school.term.start
        share = Decimal(0)
        for step in policy.withdrawal:
            if (left - since).days <= step.within_days:
                share = step.refund
                break
        last = versions[ks[-1]]
        for g in last.groups:
            if sid not in g.students:
                continue
            s = sess[g.session]
            signup = (last.signups.get(sid) or {}).get(s.signup) if last.signups.get(sid) \
                else st.days(s.signup)
            price = Decimal(s.billable_minutes) * school.rules.fee_per_hour / 60
            n = sum(1 for day, wd in dates.items() if day >= left and wd in s.days
                    and wd in (signup or []) and (day.isoformat(), None) not in cancelled
                    and (day.isoformat(), g.session) not in cancelled)
            gross[sid] += price * n * (100 - share) / 100
    # SPEC §12: each member pays their clubs' fees (clubs.csv) on top, untouched by the
    # service fee's exemption or reduction
    fees = {c.id: c.fee for c in inst.clubs}
    club: dict[str, Decimal] = defaultdict(Decimal)
    for a in (plan.extra.get("clubs") or {}).get("assigned", []):
        club[a["student"]] += fees.get(a["club"], Decimal(0))
    out = {}
    for sid in sorted(seen | set(facts.payments) | set(club)):
        st = pupils[sid]
        fee = gross.get(sid, Decimal(0))
        if st.fee_category == "exempt":
            fee = Decimal(0)
        elif st.fee_category == "reduced" and st.fee_reduction is not None:
            fee = st.fee_reduction.apply(fee)
        due = _round(fee) + _round(club[sid])
        paid = facts.payments.get(sid, Decimal(0))
        over = paid - due
        out[sid] = {"due": due, "paid": paid,
                    "refund": over if over > 0 and policy.surplus == "refund" else Decimal(0),
                    "credit": over if over > 0 and policy.surplus == "credit" else Decimal(0),
                    "owed": -over if over < 0 else Decimal(0)}
    return out


def _expected_staff(inst: Instance, plan: Plan, facts) -> dict[str, dict[str, Decimal]]:
    school = inst.school
    dates = service_dates(school.term)
    find = _version_of(plan, school.term.start)
    versions = plan.versions()
    cancelled = {(d, s) for d, s in facts.cancelled}
    sessions_of = {(wd, w.name): set(w.sessions) for wd in set(dates.values())
                   for w in day_windows(school.sessions, wd)}
    done = {(r["date"], r.get("session"), r["group"], r["staff"]): r["status"]
            for r in facts.staff}
    covers = defaultdict(list)
    for x in plan.exceptions:
        covers[x["date"]].append(x)
    planned: dict[str, int] = defaultdict(int)
    delivered: dict[str, int] = defaultdict(int)
    for day, wd in sorted(dates.items()):
        text = day.isoformat()
        held = []
        for d in versions[find(day)].duties:
            if d.day != wd:
                continue
            who = d.staff
            for x in covers[text]:
                same = x["role"] == d.role and x["start"] == d.start and x["end"] == d.end \
                    and x.get("group") == d.group and x.get("slot") == d.slot and (
                        x.get("session") == d.session if d.role == "teacher"
                        else x.get("window") == d.window) and x["replaces"] == who
                if same:
                    who = x.get("staff")
            held.append((d, who))
        for d, who in held:
            if not who:
                continue
            minutes = _hm(d.end) - _hm(d.start)
            planned[who] += minutes
            if (text, None) in cancelled:
                continue
            if d.role == "teacher" and (text, d.session) in cancelled:
                continue
            inside = sessions_of.get((wd, d.window), set())
            if d.role == "manager" and inside and all((text, s) in cancelled for s in inside):
                continue
            part = d.session if d.role == "teacher" else d.window
            status = done.get((text, part, d.group, who), "on duty")
            if status == "not held":
                continue
            delivered[who if status == "on duty" else status] += minutes
    rates = {t.id: (t.hourly_rate if t.hourly_rate is not None else school.rules.pay_per_hour)
             for t in inst.teachers}
    return {p: {"planned_pay": _round(Decimal(planned[p]) * rates[p] / 60),
                "delivered_pay": _round(Decimal(delivered[p]) * rates[p] / 60)}
            for p in set(planned) | set(delivered) if planned[p] or delivered[p]}


def check_settlement(inst: Instance, plan: Plan, facts, settled: dict) -> list[Violation]:
    """Violations between ``settled`` (``money.settlement.settle``) and the recomputation."""
    bad: list[Violation] = []
    from afterschool.scheduler.check_clubs import care_sheets
    inst = care_sheets(inst, plan)  # SPEC §12: members are in their club on club days
    want = _expected_pupils(inst, plan, facts)
    got = {r["student"]: r for r in settled["pupils"]}
    for sid in sorted(set(want) | set(got)):
        if sid not in got or sid not in want:
            bad.append(Violation("settlement", f"pupil {sid} is "
                                 + ("missing from" if sid not in got else "extra in")
                                 + " the settlement"))
            continue
        for k, v in want[sid].items():
            if Decimal(got[sid][k]) != v:
                bad.append(Violation("settlement", f"pupil {sid}: {k} {got[sid][k]} "
                                     f"recomputed as {v:.2f}"))
    staff_want = _expected_staff(inst, plan, facts)
    staff_got = {r["staff"]: r for r in settled["staff"]}
    for p in sorted(set(staff_want) | set(staff_got)):
        w = staff_want.get(p, {"planned_pay": Decimal(0), "delivered_pay": Decimal(0)})
        g = staff_got.get(p, {"planned_pay": "0.00", "delivered_pay": "0.00"})
        for k in ("planned_pay", "delivered_pay"):
            if Decimal(g[k]) != w[k]:
                bad.append(Violation("settlement", f"person {p}: {k} {g[k]} recomputed "
                                     f"as {w[k]:.2f}"))
    t = settled["totals"]
    if Decimal(t["due"]) != Decimal(t["paid"]) - Decimal(t["refund"]) - Decimal(t["credit"]) \
            + Decimal(t["owed"]):
        bad.append(Violation("settlement", "totals do not tie: due != paid - refunds - "
                             "credits + owed"))
    for key, rows, col in (("due", settled["pupils"], "due"),
                           ("delivered_pay", settled["staff"], "delivered_pay")):
        if Decimal(t[key]) != sum((Decimal(r[col]) for r in rows), Decimal(0)):
            bad.append(Violation("settlement", f"total {key} is not the sum of its rows"))
    bad += _check_club_pay(inst, plan, facts, settled)
    return bad


def _check_club_pay(inst: Instance, plan: Plan, facts, settled: dict) -> list[Violation]:
    """Club instructors' delivered pay walked date by date (SPEC §12): every service date
    of a club's weekday from the lottery's start, unless the day or the club's session was
    cancelled, at the rate the plan states (checked against the sheets by ``check``)."""
    sec = plan.extra.get("clubs") or {}
    if not sec.get("pay"):
        return []
    clubs = {c.id: c for c in inst.clubs}
    sess = {s.id: s for s in inst.school.sessions}
    cancelled = {(d, s) for d, s in facts.cancelled}
    got = {r["club"]: r for r in settled.get("clubs", [])}
    bad, total = [], Decimal(0)
    for r in sec["pay"]:
        c = clubs.get(r["club"])
        if c is None:
            continue
        s = sess[c.session]
        n = sum(1 for day, wd in service_dates(inst.school.term).items()
                if wd in c.days and day.isoformat() >= sec["start"]
                and (day.isoformat(), None) not in cancelled
                and (day.isoformat(), c.session) not in cancelled)
        want = _round(Decimal(n * (_hm(s.end) - _hm(s.start)) if isinstance(s.end, str)
                              else n * (s.end - s.start)) * Decimal(r["rate"]) / 60)
        total += want
        if r["club"] not in got or Decimal(got[r["club"]]["delivered_pay"]) != want:
            bad.append(Violation("settlement", f"club {r['club']}: delivered pay "
                                 f"{got.get(r['club'], {}).get('delivered_pay')} recomputed "
                                 f"as {want:.2f}"))
    t = settled["totals"]
    if Decimal(t.get("club_pay", "0")) != total or Decimal(t["fund_balance"]) != \
            Decimal(t["due"]) - Decimal(t["delivered_pay"]) - total:
        bad.append(Violation("settlement", "club pay or the fund's balance does not tie"))
    return bad
