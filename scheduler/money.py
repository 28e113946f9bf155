"""Fees (SPEC §5) and pay (SPEC §6) from an instance and a plan, exact to the fen.

- Term fee of a student = sum over services taken, over the term's service dates on the
  student's chosen weekdays, of billable minutes x fee rate / 60; ``exempt`` -> 0, ``reduced``
  -> the percentage or amount, never below 0; lunch = meal price x noon dates taken, apart.
- Term pay of a person = sum over the term's service dates of that person's duty minutes that
  weekday x rate / 60 (the school's 60 yuan/h, or an external instructor's own rate).
Money is ``Decimal``; rounding half-up to 0.01 happens once per student or person per term.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from models.instance import Instance
from models.plan import Duty
from models.school import parse_time
from scheduler.calendar import day_counts

CENT = Decimal("0.01")


def yuan(x: Decimal) -> str:
    return str(x.quantize(CENT, rounding=ROUND_HALF_UP))


def student_fees(inst: Instance) -> list[dict]:
    """One row per enrolled student: service fee and lunch fee (strings, two decimals)."""
    school, rules = inst.school, inst.school.rules
    count = day_counts(school.term)
    rows = []
    for st in inst.enrolled:
        fee = Decimal(0)
        for signup in ("noon", "afternoon"):
            session = school.session_for(signup, st.grade)
            if session is None:
                continue
            dates = sum(count[d] for d in st.days(signup) if d in session.days)
            fee += Decimal(dates * session.billable_minutes) * rules.fee_per_hour / 60
        gross = fee
        if st.fee_category == "exempt":
            fee = Decimal(0)
        elif st.fee_category == "reduced" and st.fee_reduction is not None:
            fee = st.fee_reduction.apply(fee)
        lunch = rules.lunch_price * sum(count[d] for d in st.noon) if st.lunch else Decimal(0)
        rows.append({"student": st.id, "service_fee": yuan(fee), "lunch_fee": yuan(lunch),
                     "gross_fee": yuan(gross)})
    return rows


def staff_pay(inst: Instance, duties: list[Duty]) -> list[dict]:
    """One row per person on duty: term minutes and amount (劳务费, outside performance pay)."""
    count = day_counts(inst.school.term)
    minutes: dict[str, int] = defaultdict(int)
    for d in duties:
        minutes[d.staff] += (parse_time(d.end) - parse_time(d.start)) * count[d.day]
    rows = []
    for staff in sorted(minutes):
        t = inst.teacher(staff)
        rate = t.hourly_rate if t.hourly_rate is not None else inst.school.rules.pay_per_hour
        rows.append({"staff": staff, "minutes": minutes[staff],
                     "amount": yuan(Decimal(minutes[staff]) * rate / 60),
                     "rate": yuan(rate), "kind": t.kind})
    return rows
