"""Fees (SPEC §5), pay (SPEC §6), the flex-time ledger (§3) and the budget, exact to the fen.

- Term fee of a student = sum over services taken, over the term's service dates on the
  student's chosen weekdays, of billable minutes x fee rate / 60; ``exempt`` -> 0, ``reduced``
  -> the percentage or amount, never below 0; lunch = meal price x noon dates taken, apart
  (the service exemption does not touch it).
- Term pay of a person = sum over the term's service dates of that person's duty minutes that
  weekday x rate / 60 (the school's 60 yuan/h, or an external instructor's own rate):
  labour pay (劳务费) outside the performance-pay total (不纳入绩效工资总量).
- Flex-time ledger (弹性上下班): every service minute earns the same minutes off; per person
  and calendar week of the term.
- Budget: per session and in total, fee income after exemptions and reductions, what the
  exemptions and reductions gave, pay, and the balance (fee income is earmarked for pay,
  专款专用). A student's net fee is shared over their sessions in proportion to the gross,
  to the fen (largest remainder), so the session rows add up to the total exactly.
Money is ``Decimal``; rounding half-up to 0.01 happens once per student or person per term.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from afterschool.models.instance import Instance
from afterschool.models.plan import Duty
from afterschool.scheduler.rules.calendar import day_counts, term_dates

CENT = Decimal("0.01")
PAY_LABEL = "劳务费(不纳入绩效工资总量) labour pay, outside the performance-pay total"


def yuan(x: Decimal) -> str:
    return str(x.quantize(CENT, rounding=ROUND_HALF_UP))


def _gross_by_session(inst: Instance, st, count: dict[str, int]) -> dict[str, Decimal]:
    out = {}
    for signup in ("noon", "afternoon"):
        session = inst.school.session_for(signup, st.grade)
        if session is None:
            continue
        dates = sum(count[d] for d in st.days(signup) if d in session.days)
        if dates:
            out[session.id] = (Decimal(dates * session.billable_minutes)
                               * inst.school.rules.fee_per_hour / 60)
    return out


def student_fees(inst: Instance) -> list[dict]:
    """One row per enrolled student: service fee and lunch fee (strings, two decimals), the
    gross before exemption or reduction, and the net fee shared over sessions."""
    rules = inst.school.rules
    count = day_counts(inst.school.term)
    rows = []
    for st in inst.enrolled:
        gross = _gross_by_session(inst, st, count)
        total = sum(gross.values(), Decimal(0))
        fee = total
        if st.fee_category == "exempt":
            fee = Decimal(0)
        elif st.fee_category == "reduced" and st.fee_reduction is not None:
            fee = st.fee_reduction.apply(fee)
        fee = fee.quantize(CENT, rounding=ROUND_HALF_UP)
        lunch = rules.lunch_price * sum(count[d] for d in st.noon) if st.lunch else Decimal(0)
        rows.append({"student": st.id, "class": st.klass, "grade": st.grade,
                     "fee_category": st.fee_category, "service_fee": yuan(fee),
                     "lunch_fee": yuan(lunch), "gross_fee": yuan(total),
                     "by_session": _share(fee, gross)})
    return rows


def _share(amount: Decimal, weights: dict[str, Decimal]) -> dict[str, str]:
    """Split ``amount`` (to the fen) over ``weights``' keys in proportion, largest remainder."""
    total = sum(weights.values(), Decimal(0))
    if not weights or total == 0:
        return {k: "0.00" for k in weights}
    fen = int(amount * 100)
    raw = {k: Decimal(fen) * w / total for k, w in weights.items()}
    base = {k: int(v) for k, v in raw.items()}
    rest = fen - sum(base.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - base[k]), k))[:rest]:
        base[k] += 1
    return {k: yuan(Decimal(v) / 100) for k, v in base.items()}


def staff_pay(inst: Instance, duties: list[Duty]) -> list[dict]:
    """One row per person on duty: term minutes and amount (劳务费, outside performance pay)."""
    count = day_counts(inst.school.term)
    minutes: dict[str, int] = defaultdict(int)
    for d in duties:
        minutes[d.staff] += d.minutes * count[d.day]
    rows = []
    for staff in sorted(minutes):
        t = inst.teacher(staff)
        rate = t.hourly_rate if t.hourly_rate is not None else inst.school.rules.pay_per_hour
        rows.append({"staff": staff, "minutes": minutes[staff],
                     "amount": yuan(Decimal(minutes[staff]) * rate / 60),
                     "rate": yuan(rate), "kind": t.kind})
    return rows


def flex_ledger(inst: Instance, duties: list[Duty]) -> list[dict]:
    """Minutes of flexible time off earned per person and calendar week (Monday's date)."""
    dates = term_dates(inst.school.term)
    weekly: dict[tuple[str, str], int] = defaultdict(int)
    for d in duties:
        for when in dates[d.day]:
            monday = when - timedelta(days=when.weekday())
            weekly[d.staff, monday.isoformat()] += d.minutes
    return [{"staff": s, "week": w, "minutes_earned": m} for (s, w), m in sorted(weekly.items())]


def budget(inst: Instance, fees: list[dict], duties: list[Duty]) -> list[dict]:
    """Per session (managers per duty window) and a total row: income, exemptions, pay,
    balance. Strings with two decimals; the total row equals the sum of the rows."""
    count = day_counts(inst.school.term)
    income: dict[str, Decimal] = defaultdict(Decimal)
    relief: dict[str, Decimal] = defaultdict(Decimal)
    students = {s.id: s for s in inst.students}
    for row in fees:
        st = students[row["student"]]
        gross = _gross_by_session(inst, st, count)
        gross_fen = _share(Decimal(row["gross_fee"]), gross)
        for sid, net in row["by_session"].items():
            income[sid] += Decimal(net)
            relief[sid] += Decimal(gross_fen[sid]) - Decimal(net)
    rates = {t.id: (t.hourly_rate if t.hourly_rate is not None
                    else inst.school.rules.pay_per_hour) for t in inst.teachers}
    per_person_part: dict[tuple[str, str], int] = defaultdict(int)
    for d in duties:
        part = d.session if d.role == "teacher" else f"managers ({d.window})"
        per_person_part[d.staff, part] += d.minutes * count[d.day]
    pay: dict[str, Decimal] = defaultdict(Decimal)
    for (staff, part), minutes in per_person_part.items():
        pay[part] += Decimal(minutes) * rates[staff] / 60
    parts = [s.id for s in inst.school.sessions] + sorted(p for p in pay if p.startswith("man"))
    rows = []
    for p in parts:
        rows.append({"part": p, "income": yuan(income[p]), "exemptions": yuan(relief[p]),
                     "pay": yuan(pay[p]), "balance": yuan(income[p] - pay[p])})
    # person totals are rounded once each (SPEC §6); the total row uses those roundings
    pay_total = sum((Decimal(r["amount"]) for r in staff_pay(inst, duties)), Decimal(0))
    inc_total = sum((Decimal(r["service_fee"]) for r in fees), Decimal(0))
    rows.append({"part": "total", "income": yuan(inc_total),
                 "exemptions": yuan(sum(relief.values(), Decimal(0))),
                 "pay": yuan(pay_total), "balance": yuan(inc_total - pay_total)})
    return rows


def fee_totals(fees: list[dict]) -> dict[str, list[dict]]:
    """Service and lunch fees summed per class, per grade and per session."""
    out: dict[str, dict] = {"class": defaultdict(lambda: [Decimal(0), Decimal(0), 0]),
                            "grade": defaultdict(lambda: [Decimal(0), Decimal(0), 0]),
                            "session": defaultdict(lambda: [Decimal(0), Decimal(0), 0])}
    for r in fees:
        for key, value in (("class", r["class"]), ("grade", r["grade"])):
            acc = out[key][value]
            acc[0] += Decimal(r["service_fee"])
            acc[1] += Decimal(r["lunch_fee"])
            acc[2] += 1
        for sid, amount in r["by_session"].items():
            acc = out["session"][sid]
            acc[0] += Decimal(amount)
            acc[2] += 1
    return {key: [{key: k, "students": v[2], "service_fee": yuan(v[0]), "lunch_fee": yuan(v[1])}
                  for k, v in sorted(table.items(), key=lambda kv: str(kv[0]))]
            for key, table in out.items()}
