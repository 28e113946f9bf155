"""Settling the term (SPEC §11), worked by hand.

The school: a three-week term 2026-09-07 (Mon) .. 2026-09-25 (Fri); five third-graders
S0001..S0005 on Tuesday and Thursday afternoons (after-upper, 60 billable minutes at 2.00
yuan an hour: 2.00 yuan a date), one group, one volunteer T1 (60.00 yuan an hour: 60.00 a
date); T2 on the staff but not volunteering. Service dates: Tue 09-08, 09-15, 09-22 and
Thu 09-10, 09-17, 09-24: six dates, so a full term is 12.00 yuan a pupil and 360.00 yuan
for T1.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.check_settlement import check_settlement
from afterschool.scheduler.money.settlement import Facts, settle
from afterschool.scheduler.reading.plan_file import read_plan
from afterschool.scheduler.reading.reader import read_instance
from school_files import avail, school_until, students_rows, vol, write_instance

TUE = ("2026-09-08", "2026-09-15", "2026-09-22")
THU = ("2026-09-10", "2026-09-17", "2026-09-24")


def school(folder, refunds: str = "", extra: str = "", rows: str | None = None):
    text = school_until("2026-09-25", extra) + (f"\n[refunds]\n{refunds}\n" if refunds else "")
    return write_instance(folder, students=rows or students_rows(5, afternoon="Tue Thu"),
                          teachers=vol("T1") + "T2,NameT2,no,no,staff,,,,no\n",
                          availability=avail("T1", "Tue Thu", "after-upper"), school=text)


def planned(tmp_path, **kw):
    folder = school(tmp_path / "s", **kw)
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(tmp_path / "t"),
                                  "--skip", "all", "--time-limit", "1"])
    assert r.exit_code == 0, r.output
    return folder, tmp_path / "t"


def settled(folder, term, facts: Facts) -> dict:
    """The settlement, and the checker's own recomputation agreeing with it."""
    inst, plan = read_instance(folder), read_plan(term / "plan.json")
    out = settle(inst, plan, facts)
    assert check_settlement(inst, plan, facts, out) == []
    return out


def by(rows, key):
    return {r[key]: r for r in rows}


def test_basis_plan_with_two_cancelled_dates(tmp_path):
    # 09-15 cancelled for the whole day, 09-22 for after-upper: 4 dates left
    folder, term = planned(tmp_path)
    out = settled(folder, term, Facts(cancelled=[(TUE[1], None), (TUE[2], "after-upper")]))
    assert {r["due"] for r in out["pupils"]} == {"8.00"}  # 4 x 2.00
    (t1,) = out["staff"]
    assert (t1["planned_pay"], t1["delivered_pay"]) == ("360.00", "240.00")
    assert out["totals"]["due"] == "40.00" and out["totals"]["fund_balance"] == "-200.00"
    assert "cancelled 2" in out["pupils"][0]["rule"]


def test_basis_attendance_counts_late_and_early_as_attended(tmp_path):
    folder, term = planned(tmp_path, refunds='basis = "attendance"')
    att = {(TUE[0], "after-upper", "S0001"): "leave", (THU[0], "after-upper", "S0001"): "absent",
           (TUE[1], "after-upper", "S0001"): "late", (THU[1], "after-upper", "S0001"): "early",
           (TUE[0], "after-upper", "S0002"): "present"}
    pupils = by(settled(folder, term, Facts(attendance=att))["pupils"], "student")
    assert pupils["S0001"]["due"] == "8.00"  # 6 dates less one on leave, one absent
    assert pupils["S0002"]["due"] == "12.00"  # no entry counts as present


def test_a_run_of_leave_reaching_min_consecutive_is_refunded(tmp_path):
    folder, term = planned(tmp_path, refunds='leave = { min_consecutive = 3, refund = "100%" }')
    att = {}
    for d in (TUE[0], THU[0], TUE[1]):  # S0002: three consecutive dates on leave
        att[d, "after-upper", "S0002"] = "leave"
    for d in (TUE[0], THU[0]):  # S0003: two, one short of the run
        att[d, "after-upper", "S0003"] = "leave"
    att[THU[1], "after-upper", "S0004"] = "leave"  # S0004: 09-08, 09-10 leave, 09-15 present,
    att[TUE[0], "after-upper", "S0004"] = "leave"  # 09-17 leave: no run of three
    att[THU[0], "after-upper", "S0004"] = "leave"
    pupils = by(settled(folder, term, Facts(attendance=att))["pupils"], "student")
    assert pupils["S0002"]["due"] == "6.00"  # 12.00 - 3 x 2.00
    assert "leave 3 @100%" in pupils["S0002"]["rule"]
    assert pupils["S0003"]["due"] == "12.00" and pupils["S0004"]["due"] == "12.00"


def test_half_leave_share_and_a_reduction_round_once(tmp_path):
    rows = students_rows(2, afternoon="Tue Thu").replace("S0002,Kid2,3,3-1,,Tue Thu,,normal,,",
                                                          "S0002,Kid2,3,3-1,,Tue Thu,,reduced,33%,")
    folder, term = planned(tmp_path, refunds='leave = { min_consecutive = 2, refund = "50%" }',
                           rows=rows)
    att = {(d, "after-upper", "S0002"): "leave" for d in (TUE[0], THU[0], TUE[1])}
    pupils = by(settled(folder, term, Facts(attendance=att))["pupils"], "student")
    # 12.00 - 3 x 2.00 x 50 % = 9.00; 33 % off: 6.03
    assert pupils["S0002"]["due"] == "6.03" and "reduced" in pupils["S0002"]["rule"]


@pytest.mark.parametrize("surplus", ["refund", "credit"])
def test_payments_short_exact_and_over(tmp_path, surplus):
    folder, term = planned(tmp_path, refunds=f'surplus = "{surplus}"')
    pay = {"S0001": Decimal("15.00"), "S0002": Decimal("12.00"), "S0003": Decimal("5.50")}
    out = settled(folder, term, Facts(payments=pay))
    p = by(out["pupils"], "student")
    assert (p["S0001"][surplus], p["S0001"]["owed"]) == ("3.00", "0.00")
    other = "credit" if surplus == "refund" else "refund"
    assert p["S0001"][other] == "0.00"
    assert (p["S0002"]["refund"], p["S0002"]["credit"], p["S0002"]["owed"]) == (
        "0.00", "0.00", "0.00")
    assert p["S0003"]["owed"] == "6.50" and p["S0005"]["owed"] == "12.00"
    t = out["totals"]
    assert (t["due"], t["paid"], t[surplus], t["owed"]) == ("60.00", "32.50", "3.00", "30.50")
    # the totals tie: due = paid - refunds - credits + owed
    assert Decimal(t["due"]) == Decimal(t["paid"]) - Decimal(t["refund"]) \
        - Decimal(t["credit"]) + Decimal(t["owed"])


def test_exempt_pays_nothing(tmp_path):
    rows = students_rows(1, afternoon="Tue Thu").replace(",normal,", ",exempt,")
    folder, term = planned(tmp_path, rows=rows)
    (p,) = settled(folder, term, Facts(payments={"S0001": Decimal("12.00")}))["pupils"]
    assert (p["due"], p["refund"]) == ("0.00", "12.00")


def test_staff_not_held_and_done_by_someone_else(tmp_path):
    folder, term = planned(tmp_path)
    facts = Facts(staff=[
        {"date": TUE[0], "session": "after-upper", "group": "after-upper-01", "staff": "T1",
         "status": "not held"},
        {"date": THU[0], "session": "after-upper", "group": "after-upper-01", "staff": "T1",
         "status": "T2"}])
    staff = by(settled(folder, term, facts)["staff"], "staff")
    assert (staff["T1"]["planned_pay"], staff["T1"]["delivered_pay"]) == ("360.00", "240.00")
    assert (staff["T2"]["planned_pay"], staff["T2"]["delivered_pay"]) == ("0.00", "60.00")


def _withdraw_from_15th(tmp_path, steps: str, extra: str = ""):
    """S0004 withdrawn from Tuesday 09-15 (a re-plan from that date): placed 09-07..09-14,
    so enrolled 8 calendar days (09-07 to 09-15) when withdrawn."""
    folder, term = planned(tmp_path, refunds=f"withdrawal = [{steps}]", extra=extra)
    csv = folder / "students.csv"
    csv.write_text(csv.read_text().replace("S0004,Kid4,3,3-1,,Tue Thu,,normal,,,enrolled",
                                           "S0004,Kid4,3,3-1,,Tue Thu,,normal,,,withdrawn"))
    r = CliRunner().invoke(main, ["replan", str(folder), "--previous", str(term), "--from",
                                  TUE[1], "--skip", "all"])
    assert r.exit_code == 0, r.output
    return by(settled(folder, term, Facts())["pupils"], "student")["S0004"]


@pytest.mark.parametrize("steps, due, share", [
    ('{ within_days = 10, refund = "80%" }', "5.60", "80"),  # inside the first step
    ('{ within_days = 7, refund = "80%" }, { within_days = 30, refund = "50%" }', "8.00",
     "50"),  # past the first step, inside the second
    ('{ within_days = 5, refund = "80%" }', "12.00", "0"),  # past the last step
])
def test_withdrawal_inside_and_past_each_step(tmp_path, steps, due, share):
    # before the 15th: 09-08 and 09-10 = 4.00; the four dates left (09-15, 09-17, 09-22,
    # 09-24 = 8.00) charged at 100 % - share: 80 % back -> 1.60, 50 % -> 4.00, 0 % -> 8.00
    p = _withdraw_from_15th(tmp_path, steps)
    assert p["due"] == due
    assert f"withdrawn {TUE[1]} after 8 days: {share}% of 4 dates back" in p["rule"]


def test_withdrawal_counts_holidays_and_make_up_days(tmp_path):
    # Thu 09-24 a holiday, Sat 09-19 a make-up day kept as Thursday: the dates left are
    # 09-15, 09-17, 09-19, 09-22 (4 dates, 8.00); 50 % back -> 4.00 + 4.00 = 8.00
    p = _withdraw_from_15th(tmp_path, '{ within_days = 30, refund = "50%" }',
                            extra='holidays = [2026-09-24]\nmakeup_days = { 2026-09-19 = "Thu" }')
    assert p["due"] == "8.00" and "50% of 4 dates back" in p["rule"]


def test_the_check_catches_every_changed_figure(tmp_path):
    folder, term = planned(tmp_path, refunds='leave = { min_consecutive = 2, refund = "100%" }')
    inst, plan = read_instance(folder), read_plan(term / "plan.json")
    facts = Facts(attendance={(d, "after-upper", "S0001"): "leave" for d in (TUE[0], THU[0])},
                  cancelled=[(TUE[2], None)], payments={"S0002": Decimal("20.00")},
                  staff=[{"date": THU[0], "session": "after-upper", "group": "after-upper-01",
                          "staff": "T1", "status": "T2"}])
    good = settle(inst, plan, facts)
    assert check_settlement(inst, plan, facts, good) == []
    import copy
    for where, key in [("pupils", "due"), ("pupils", "paid"), ("pupils", "refund"),
                       ("pupils", "owed"), ("staff", "planned_pay"),
                       ("staff", "delivered_pay")]:
        for i in range(len(good[where])):
            bad = copy.deepcopy(good)
            bad[where][i][key] = str(Decimal(bad[where][i][key]) + Decimal("0.01"))
            found = check_settlement(inst, plan, facts, bad)
            assert found and all(v.rule == "settlement" for v in found), (where, key, i)
    bad = copy.deepcopy(good)
    bad["totals"]["owed"] = "0.00"
    assert any("do not tie" in v.message for v in check_settlement(inst, plan, facts, bad))
    bad = copy.deepcopy(good)
    del bad["pupils"][0]
    assert any("missing" in v.message for v in check_settlement(inst, plan, facts, bad))
