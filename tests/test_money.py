"""Fees, pay, ledger and budget (SPEC §5–§6), exact to the fen, on hand-worked cases."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from afterschool.models.people import Reduction
from afterschool.models.plan import Duty
from afterschool.scheduler.checker import check_plan
from afterschool.models.plan import Plan
from afterschool.scheduler.money.accounts import student_fees, term_money
from afterschool.scheduler.reading.reader import read_instance
from afterschool.scheduler.planning.solve import solve
from school_files import write_instance

# 2026-03-02 (Mon) .. 2026-07-03 (Fri): 18 full weeks, no official calendar
TERM18 = """\
[school]
name = "Fee School"
[term]
start = 2026-03-02
end = 2026-07-03
official_holidays = false
{extra}
[rules]
lunch_price = "5.00"
"""
ALL = "Mon Tue Wed Thu Fri"
AFT = "Tue Wed Thu Fri"


def fees_of(tmp_path, student_rows, extra="", teachers="T1,A,yes,no,staff,,,,no\n"):
    folder = write_instance(tmp_path / "f", students=student_rows, teachers=teachers,
                            availability="", school=TERM18.format(extra=extra))
    inst = read_instance(folder)
    return {r["student"]: r for r in student_fees(inst)}, inst


def row(sid, noon="", aft="", fee="normal", red="", lunch="", grade=3):
    return f"{sid},Kid,{grade},{grade}-1,{noon},{aft},,{fee},{red},{lunch},enrolled,\n"


def test_afternoon_18_weeks_is_144(tmp_path):
    fees, _ = fees_of(tmp_path, row("S1", aft=AFT))
    assert fees["S1"]["service_fee"] == "144.00"  # 72 days x 60 min x 2 / 60


def test_noon_18_weeks_is_390_rounded_once(tmp_path):
    fees, _ = fees_of(tmp_path, row("S1", noon=ALL, lunch="no"))
    assert fees["S1"]["service_fee"] == "390.00"  # 90 x 130 x 2 / 60 = 390 (4.333.. a day)


def test_holiday_on_tuesday_removes_one_afternoon(tmp_path):
    fees, _ = fees_of(tmp_path, row("S1", aft=AFT), extra="holidays = [2026-03-03]")
    assert fees["S1"]["service_fee"] == "142.00"


def test_makeup_saturday_following_friday_adds_one(tmp_path):
    fees, _ = fees_of(tmp_path, row("S1", aft=AFT), extra='makeup_days = { 2026-03-07 = "Fri" }')
    assert fees["S1"]["service_fee"] == "146.00"


def test_exempt_pays_no_service_fee_but_lunch(tmp_path):
    fees, _ = fees_of(tmp_path, row("S1", noon=ALL, fee="exempt", lunch="yes"))
    assert (fees["S1"]["service_fee"], fees["S1"]["lunch_fee"]) == ("0.00", "450.00")


def test_half_reduction_and_amount_over_fee(tmp_path):
    fees, _ = fees_of(tmp_path, row("S1", aft=AFT, fee="reduced", red="50%") +
                      row("S2", aft="Tue", fee="reduced", red="100.00"))
    assert fees["S1"]["service_fee"] == "72.00"
    assert fees["S2"]["service_fee"] == "0.00"  # 36.00 less 100.00, never below 0


def _duty(staff, day="Tue", start="16:20", end="17:20", role="teacher", **kw):
    return Duty(day=day, start=start, end=end, staff=staff, role=role, **kw)


def _money(inst, duties) -> Plan:
    """A one-version plan of ``duties`` (no groups) with its term money filled in."""
    plan = Plan(status="", duties=list(duties))
    term_money(inst, plan)
    return plan


def test_external_instructor_own_rate_and_manager_whole_window(tmp_path):
    teachers = "T1,A,yes,no,external,80.00,,,no\nM1,B,yes,yes,staff,,,,no\n"
    _, inst = fees_of(tmp_path, row("S1", aft=AFT), teachers=teachers)
    duties = [_duty("T1", session="after-upper", group="g"),
              _duty("M1", start="15:35", end="17:20", role="manager", window="afternoon")]
    pay = {r["staff"]: r for r in _money(inst, duties).pay}
    assert (pay["T1"]["minutes"], pay["T1"]["amount"]) == (18 * 60, "1440.00")  # 18 h x 80
    assert (pay["M1"]["minutes"], pay["M1"]["amount"]) == (18 * 105, "1890.00")  # 31.5 h x 60


def test_flex_ledger_earns_every_minute(tmp_path):
    _, inst = fees_of(tmp_path, row("S1", aft=AFT))
    ledger = _money(inst, [_duty("T1", session="after-upper", group="g"),
                           _duty("T1", day="Wed", session="after-upper", group="g")]
                    ).extra["flex_ledger"]
    assert len(ledger) == 18 and {r["minutes_earned"] for r in ledger} == {120}


def test_budget_balances_and_checker_agrees(tmp_path):
    rows = row("S1", aft=AFT) + row("S2", aft=AFT, fee="exempt") + \
        row("S3", noon=ALL, aft="Tue", fee="reduced", red="50%")
    folder = write_instance(tmp_path / "b", students=rows,
                            teachers="T1,A,yes,yes,staff,,,,no\nT2,B,yes,no,staff,,,,yes\n",
                            availability="T1,Tue,after-upper,available\n"
                            "T2,Tue,noon,available\nT2,Wed,after-upper,available\n",
                            school=TERM18.format(extra=""))
    inst = read_instance(folder)
    plan = solve(inst, time_limit=2, seed=0)
    assert check_plan(inst, plan) == []
    total = plan.extra["budget"][-1]
    assert Decimal(total["income"]) == sum(Decimal(r["service_fee"]) for r in plan.fees)
    assert Decimal(total["balance"]) == Decimal(total["income"]) - Decimal(total["pay"])
    # S2 exempt: 144.00; S3 half of (390.00 noon + 18 Tuesdays 36.00) = 213.00
    assert total["exemptions"] == "357.00"
    plan.extra["budget"][-1] = dict(total, balance="0.00")
    assert any(v.rule == "budget" for v in check_plan(inst, plan))


@given(st.integers(0, 100), st.integers(0, 100), st.decimals(0, 100, places=2))
def test_reduction_never_negative_and_monotone(a, b, pct):
    lo, hi = sorted((Decimal(a), Decimal(b)))
    r = Reduction(percent=pct)
    assert Decimal(0) <= r.apply(lo) <= r.apply(hi)
    assert Reduction(amount=Decimal(a)).apply(Decimal(b)) == max(Decimal(b - a), Decimal(0))


@settings(max_examples=25, deadline=None)
@given(st.sets(st.sampled_from(AFT.split())), st.sets(st.sampled_from(AFT.split())))
def test_fees_monotone_in_days_taken(tmp_path_factory, few, more):
    more = few | more
    fees, _ = fees_of(tmp_path_factory.mktemp("m"), row("S1", aft=" ".join(sorted(few))) +
                      row("S2", aft=" ".join(sorted(more))))
    assert Decimal(fees["S1"]["service_fee"]) <= Decimal(fees["S2"]["service_fee"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Mon", "Tue", "Wed", "Thu", "Fri"]),
                          st.integers(660, 1000), st.integers(1, 130)), min_size=1, max_size=6),
       st.decimals(1, 200, places=2))
def test_pay_is_minutes_times_rate_rounded_once(tmp_path_factory, spans, rate):
    teachers = f"T1,A,yes,no,external,{rate},,,no\n"
    _, inst = fees_of(tmp_path_factory.mktemp("p"), row("S1", aft=AFT), teachers=teachers)
    duties = [_duty("T1", day=d, start=f"{a // 60:02d}:{a % 60:02d}",
                    end=f"{(a + n) // 60:02d}:{(a + n) % 60:02d}", session="noon", group="g")
              for d, a, n in spans]
    # SPEC §6 by hand: every weekday falls 18 times in the term; the term's minutes x rate
    # / 60, rounded half-up to the fen once (not per duty, not per date)
    minutes = sum(n * 18 for _, _, n in spans)
    want = str((Decimal(minutes) * rate / 60).quantize(Decimal("0.01"), ROUND_HALF_UP))
    money = _money(inst, duties)
    (p,) = money.pay
    assert (p["minutes"], p["amount"]) == (minutes, want)
    assert money.extra["budget"][-1]["pay"] == want
