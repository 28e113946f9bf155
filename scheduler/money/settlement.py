"""Settling the term (SPEC §11): what each pupil owes for what happened, what each person
earned for the duty delivered, and totals that tie — exact to the fen.

Inputs: the instance (categories, rates, ``[refunds]`` policy), the whole-term plan (its
versions and covers) and ``Facts``: pupil attendance (the latest entry per date, session
and pupil; no entry = present), staff attendance (``not held``, or the id of whoever
actually did a duty), cancelled dates (a session, or the whole day), payments per pupil.

Per pupil (``pupils``): the dates placed (``accounts.placed_dates``) less cancelled dates
are the planned dates; each date costs billable minutes × fee rate / 60.
- basis ``plan``: the planned dates are charged; a run of at least ``min_consecutive``
  consecutive planned dates on leave (in one session) is refunded at the leave share;
- basis ``attendance``: only dates present, late or early are charged (多退少补);
- withdrawal (status ``withdrawn`` and no longer placed from a version's date W): the dates
  the pupil's last sign-up would have had from W on (less cancelled) are charged at
  (100 % − the step's share): the first step whose ``within_days`` is at least the calendar
  days from the start of the first version placing the pupil to W; past the last step the
  share is 0 and they are charged in full;
- ``exempt`` pays 0, ``reduced`` its percentage or amount (never below 0); rounded half-up
  to the fen once. ``paid`` is the sum of payments; a surplus is a refund or a credit
  (``surplus``), a shortfall is owed. ``rule`` names what applied.
Per person (``staff``): planned pay from the dated duties (covers included); delivered pay
with cancelled dates removed (a manager's window only when every session of it is off),
``not held`` duties removed, and a duty done by someone else moved to them; rounded once.
Clubs (SPEC §12, a plan with ``clubs``): a member's due adds their clubs' per-term fees
(after any exemption or reduction of the service fee, which does not touch them); per club
that meets (``clubs``), the instructor's delivered pay: its dates less cancelled ones.
Totals: Σ due = Σ paid − Σ refund − Σ credit + Σ owed; the earmarked fund's balance is
Σ due − Σ delivered pay (− Σ club pay) (专款专用).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.scheduler.money.accounts import _rate, dated_duties, placed_dates, yuan
from afterschool.scheduler.rules.calendar import term_dates
from afterschool.scheduler.rules.staffing import duty_windows

ATTENDED = ("present", "late", "early")
PUPIL_STATUSES = ATTENDED + ("leave", "absent")


@dataclass
class Facts:
    """What happened, as the record holds it (the latest entry of each key)."""

    attendance: dict[tuple[str, str, str], str] = field(default_factory=dict)
    staff: list[dict] = field(default_factory=list)  # date, session, window, group, staff, status
    cancelled: list[tuple[str, str | None]] = field(default_factory=list)  # (date, session)
    payments: dict[str, Decimal] = field(default_factory=dict)


def _is_cancelled(cancelled: set[tuple[str, str | None]], day: str, session: str) -> bool:
    return (day, None) in cancelled or (day, session) in cancelled


def _withdrawal(inst: Instance, versions: list, st, placed_in: list[int]
                ) -> tuple[str, date, dict[str, list[date]]] | None:
    """(first date enrolled, withdrawal date W, per session the dates the last sign-up
    would have had from W) for a withdrawn pupil no longer placed from a version on."""
    sid = st.id
    if st.status != "withdrawn" or not placed_in or placed_in[-1] == len(versions) - 1:
        return None
    last = versions[placed_in[-1]]
    w = date.fromisoformat(versions[placed_in[-1] + 1].valid_from)
    first = versions[placed_in[0]].valid_from or inst.school.term.start.isoformat()
    dates = term_dates(inst.school.term)
    sessions = {s.id: s for s in inst.school.sessions}
    rest: dict[str, list[date]] = {}
    for g in last.groups:
        if sid not in g.students:
            continue
        s = sessions[g.session]
        then = last.signups.get(sid)
        signed = then.get(s.signup, []) if then else st.days(s.signup)
        rest[g.session] = sorted(d for day in signed if day in s.days for d in dates[day]
                                 if d >= w)
    return first, w, rest


def _step_share(policy, days: int) -> Decimal:
    for step in policy.withdrawal:
        if days <= step.within_days:
            return step.refund
    return Decimal(0)


def settle_pupils(inst: Instance, plan: Plan, facts: Facts) -> list[dict]:
    policy = inst.school.refunds
    rate = inst.school.rules.fee_per_hour
    sessions = {s.id: s for s in inst.school.sessions}
    cancelled = set(facts.cancelled)
    placed, _, placed_in = placed_dates(inst, plan)
    versions = plan.versions()
    club_fee = {r["student"]: Decimal(r["club_fee"])
                for r in (plan.extra.get("clubs") or {}).get("fees", [])}
    by_pupil: dict[str, dict[str, list[date]]] = defaultdict(dict)
    for (sid, session), dates in placed.items():
        by_pupil[sid][session] = dates
    rows = []
    for st in inst.students:
        if st.id not in by_pupil and st.id not in facts.payments and st.id not in club_fee:
            continue
        gross, rule = Decimal(0), [policy.basis]
        n_cancelled = 0
        for session, dates in sorted(by_pupil.get(st.id, {}).items()):
            per_date = Decimal(sessions[session].billable_minutes) * rate / 60
            planned = [d for d in dates
                       if not _is_cancelled(cancelled, d.isoformat(), session)]
            n_cancelled += len(dates) - len(planned)
            status = [facts.attendance.get((d.isoformat(), session, st.id), "present")
                      for d in planned]
            if policy.basis == "attendance":
                charged = sum(1 for s in status if s in ATTENDED)
                gross += per_date * charged
                continue
            gross += per_date * len(planned)
            if policy.leave_min_consecutive:
                run = 0
                for s in status + ["end"]:
                    if s == "leave":
                        run += 1
                        continue
                    if run >= policy.leave_min_consecutive:
                        gross -= per_date * run * policy.leave_refund / 100
                        rule.append(f"leave {run} @{policy.leave_refund.normalize():f}%")
                    run = 0
        if n_cancelled:
            rule.append(f"cancelled {n_cancelled}")
        gone = _withdrawal(inst, versions, st, placed_in.get(st.id, []))
        if gone is not None:
            first, w, rest = gone
            days = (w - date.fromisoformat(first)).days
            share = _step_share(policy, days)
            n_rest = 0
            for session, dates in rest.items():
                per_date = Decimal(sessions[session].billable_minutes) * rate / 60
                left = [d for d in dates
                        if not _is_cancelled(cancelled, d.isoformat(), session)]
                n_rest += len(left)
                gross += per_date * len(left) * (100 - share) / 100
            rule.append(f"withdrawn {w.isoformat()} after {days} days: "
                        f"{share.normalize():f}% of {n_rest} dates back")
        fee = gross
        if st.fee_category == "exempt":
            fee = Decimal(0)
            rule.append("exempt")
        elif st.fee_category == "reduced" and st.fee_reduction is not None:
            fee = st.fee_reduction.apply(fee)
            rule.append("reduced")
        due = Decimal(yuan(fee))
        if club_fee.get(st.id):  # SPEC §12: the clubs' per-term fees, apart from the service
            due += club_fee[st.id]
            rule.append(f"club fee {yuan(club_fee[st.id])}")
        paid = facts.payments.get(st.id, Decimal(0))
        surplus = paid - due
        refund = surplus if surplus > 0 and policy.surplus == "refund" else Decimal(0)
        credit = surplus if surplus > 0 and policy.surplus == "credit" else Decimal(0)
        owed = -surplus if surplus < 0 else Decimal(0)
        rows.append({"student": st.id, "name": st.name, "class": st.klass,
                     "due": yuan(due), "paid": yuan(paid), "refund": yuan(refund),
                     "credit": yuan(credit), "owed": yuan(owed), "rule": "; ".join(rule)})
    return rows


def settle_staff(inst: Instance, plan: Plan, facts: Facts) -> list[dict]:
    cancelled = set(facts.cancelled)
    windows: dict[tuple[str, str], tuple[str, ...]] = {}
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        for w in duty_windows(inst.school.sessions, day):
            windows[day, w.id] = w.sessions
    planned = dated_duties(inst, plan)
    done: dict[tuple, str | None] = {}
    for r in facts.staff:
        key = (r["date"], r.get("session") or r.get("window"), r["group"], r["staff"])
        done[key] = None if r["status"] == "not held" else (
            r["staff"] if r["status"] == "on duty" else r["status"])
    plan_min: dict[str, int] = defaultdict(int)
    got_min: dict[str, int] = defaultdict(int)
    for r in planned:
        if not r["staff"]:
            continue
        plan_min[r["staff"]] += r["minutes"]
        day = r["date"].isoformat()
        if r["role"] == "teacher":
            off = _is_cancelled(cancelled, day, r["session"])
        else:
            wd = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[r["date"].weekday()]
            inside = windows.get((wd, r["window"]), ())
            off = (day, None) in cancelled or (bool(inside) and all(
                (day, s) in cancelled for s in inside))
        if off:
            continue
        key = (day, r["session"] if r["role"] == "teacher" else r["window"], r["group"],
               r["staff"])
        who = done.get(key, r["staff"])
        if who:
            got_min[who] += r["minutes"]
    names = {t.id: t.name for t in inst.teachers}
    rows = []
    for sid in sorted(set(plan_min) | set(got_min)):
        if not plan_min.get(sid) and not got_min.get(sid):
            continue
        rate = _rate(inst, sid)
        name = names.get(sid, "")
        rows.append({"staff": sid, "name": name, "planned_minutes": plan_min.get(sid, 0),
                     "planned_pay": yuan(Decimal(plan_min.get(sid, 0)) * rate / 60),
                     "delivered_minutes": got_min.get(sid, 0),
                     "delivered_pay": yuan(Decimal(got_min.get(sid, 0)) * rate / 60)})
    return rows


def settle_clubs(inst: Instance, plan: Plan, facts: Facts) -> list[dict]:
    """Per club that meets (SPEC §12): its instructor's planned pay (``clubs.pay`` of the
    plan) and delivered pay: the club's dates from its start less cancelled ones (the day,
    or the club's session), minutes x rate / 60, rounded once per club."""
    sec = plan.extra.get("clubs") or {}
    cancelled = set(facts.cancelled)
    dates = term_dates(inst.school.term)
    clubs = {c.id: c for c in inst.clubs}
    rows = []
    for r in sec.get("pay", []):
        club = clubs.get(r["club"])
        if club is None:
            continue
        minutes = sum(1 for day in club.days for d in dates.get(day, [])
                      if d.isoformat() >= sec["start"]
                      and not _is_cancelled(cancelled, d.isoformat(), club.session))
        minutes *= inst.school.session(club.session).minutes
        rows.append({"club": r["club"], "staff": r["staff"], "planned_pay": r["amount"],
                     "delivered_minutes": minutes,
                     "delivered_pay": yuan(Decimal(minutes) * Decimal(r["rate"]) / 60)})
    return rows


def settle(inst: Instance, plan: Plan, facts: Facts) -> dict:
    """``{"pupils": [...], "staff": [...], "totals": {...}}``, money as two-decimal
    strings (see the module docstring)."""
    from afterschool.scheduler.clubs.presence import care_instance
    inst = care_instance(inst, plan.extra.get("clubs"))  # members are in their club then
    pupils = settle_pupils(inst, plan, facts)
    staff = settle_staff(inst, plan, facts)
    clubs = settle_clubs(inst, plan, facts)

    def total(rows, key):
        return sum((Decimal(r[key]) for r in rows), Decimal(0))

    due, delivered = total(pupils, "due"), total(staff, "delivered_pay")
    totals = {"due": yuan(due), "paid": yuan(total(pupils, "paid")),
              "refund": yuan(total(pupils, "refund")), "credit": yuan(total(pupils, "credit")),
              "owed": yuan(total(pupils, "owed")),
              "planned_pay": yuan(total(staff, "planned_pay")),
              "delivered_pay": yuan(delivered), "fund_balance": yuan(due - delivered)}
    if clubs:
        club_pay = total(clubs, "delivered_pay")
        totals["club_pay"] = yuan(club_pay)
        totals["fund_balance"] = yuan(due - delivered - club_pay)
        return {"pupils": pupils, "staff": staff, "clubs": clubs, "totals": totals}
    return {"pupils": pupils, "staff": staff, "totals": totals}
