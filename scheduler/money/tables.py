"""The office's reports as tables (title, rows, columns, columns with a total row): what
``fees``, ``pay``, ``budget`` and ``admit`` print, write as CSV/xlsx, or return as JSON.
Every row that names a pupil or a person by id has their name beside it; pupils are listed
by class, then by the pinyin of their name."""
from __future__ import annotations

from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.scheduler.handouts.names import pupil_key
from afterschool.scheduler.money.accounts import PAY_LABEL, fee_totals, student_fees


def fee_report(inst: Instance) -> tuple[list, dict]:
    """Each enrolled student's term fee, and the totals per class, grade and session."""
    names = {s.id: s.name for s in inst.students}
    rows = [dict(r, name=names[r["student"]]) for r in student_fees(inst)]
    rows.sort(key=lambda r: (pupil_key(r["class"], r["name"]), r["student"]))
    totals = fee_totals(rows)
    money = ["service_fee", "lunch_fee"]
    cols = ["student", "name", "class", "grade", "fee_category", "gross_fee", "service_fee",
            "lunch_fee"]
    sheets = [("fees", rows, cols, ["gross_fee"] + money)] + [
        (f"by {k}", v, [k, "students", *money], ["students", *money]) for k, v in totals.items()]
    return sheets, {"fees": rows, "totals": totals}


def pay_report(plan: Plan) -> tuple[list, dict]:
    """Each person's term pay (劳务费) and the flex-time ledger (弹性上下班) per week."""
    staff = plan.extra.get("people", {}).get("staff", {})
    rows = [dict(r, name=staff.get(r["staff"], {}).get("name", ""), label=PAY_LABEL)
            for r in plan.pay]
    ledger = plan.extra.get("flex_ledger", [])
    sheets = [("pay", rows, ["staff", "name", "kind", "rate", "minutes", "amount", "label"],
               ["minutes", "amount"]),
              ("flex time", ledger, ["staff", "week", "minutes_earned"], ["minutes_earned"])]
    from afterschool.scheduler.clubs.section import club_money_rows
    clubs = club_money_rows(plan)[1]  # SPEC §12: club instructors, at their rates
    if clubs:
        sheets.append(("club pay", clubs, ["club", "staff", "name", "kind", "rate",
                                           "minutes", "amount"], ["minutes", "amount"]))
        return sheets, {"pay": rows, "flex_ledger": ledger, "club_pay": clubs}
    return sheets, {"pay": rows, "flex_ledger": ledger}


def budget_report(plan: Plan) -> tuple[list, dict]:
    """Income, exemptions, pay and balance per session (专款专用), and the staffing table."""
    rows = plan.extra.get("budget", [])
    sheets = [("budget", rows, ["part", "income", "exemptions", "pay", "balance"], []),
              ("staffing", plan.staffing, ["day", "session", "students", "standard_teachers",
                                           "groups", "extra_groups", "extra_teacher_minutes",
                                           "extra_pay"], ["extra_teacher_minutes", "extra_pay"])]
    from afterschool.scheduler.clubs.section import club_money_rows
    clubs = club_money_rows(plan)[0]  # SPEC §12: club fees against instructors' pay
    if clubs:
        sheets.append(("clubs", clubs, ["club", "members", "club_income", "pay", "balance"],
                       ["members", "club_income", "pay", "balance"]))
        return sheets, {"budget": rows, "staffing": plan.staffing, "clubs": clubs}
    return sheets, {"budget": rows, "staffing": plan.staffing}


def admission_report(inst: Instance, rows: list[dict]) -> list:
    """``admit``'s decisions in their order, each applicant's name beside the id."""
    names = {s.id: s.name for s in inst.students}
    rows = [dict(r, name=names.get(r["student"], "")) for r in rows]
    return [("admission", rows, ["order", "student", "name", "class", "decision", "reason"],
             [])]
