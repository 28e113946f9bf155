"""Reports upward (报市备案, SPEC §11): one row per school and the totals, from each school's
term record, and the tables city platforms collect.

- ``school_report(term_arg)``: one school's indicators and tables, from its record alone
  (a picklable call for a process pool or a Dask cluster): ``school``, ``pupils`` (the
  school's, ``[school] pupils``; None when not given), ``enrolled`` (pupils placed in the
  plan in force now), ``participation_rate`` (enrolled ÷ pupils, 4 decimals; None without
  pupils), ``five_day_share`` (enrolled coming every weekday a session runs), ``staff``
  (people on the staff sheet), ``staff_on_duty`` (anybody with a duty in any version or a
  cover), ``external_staff`` (of those, external), and the money of the settlement:
  ``income`` (Σ due), ``refunds`` (Σ refunds and credits), ``pay`` (Σ delivered pay),
  ``balance`` (income − pay). Tables: classes taking part, staff on duty, payments,
  refunds, groups with their teachers and pupils, pupil and staff attendance by date.
- ``bureau(terms, jobs, scheduler)``: every school's report, in the order given, by one
  process, a local pool or a Dask cluster (the rows are the same either way), and the
  totals (``participation_rate`` and ``five_day_share`` over the schools that give them).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

INDICATORS = ["school", "pupils", "enrolled", "participation_rate", "five_day_share",
              "staff", "staff_on_duty", "external_staff", "income", "refunds", "pay",
              "balance"]


def school_report(term_arg: str) -> dict:
    """One school's indicators (``row``) and tables (``tables``), from its record."""
    from afterschool.scheduler.money.settlement import settle
    from afterschool.scheduler.record import term as T
    term = T.open_term(T.locate(term_arg))
    with term.record.read() as r:
        plan = term.current(r)
        facts = T.facts(r, term.term_id)
        payments = r.payments(term.term_id)
        marks = r.attendance(term.term_id)
        staff_marks = r.staff_attendance(term.term_id)
    inst = term.latest_instance()
    money = settle(inst, plan, facts)
    people = plan.extra.get("people", {})
    students = people.get("students", {})
    current = plan.versions()[-1]
    placed = sorted({s for g in current.groups for s in g.students})
    days_run = {d for s in inst.school.sessions for d in s.days}
    five = sum(1 for s in placed
               if days_run <= set(students.get(s, {}).get("noon", []))
               | set(students.get(s, {}).get("afternoon", [])))
    on_duty = {d.staff for v in plan.versions() for d in v.duties} | {
        x["staff"] for x in plan.exceptions if x.get("staff")}
    kinds = {t.id: t.kind for t in inst.teachers}
    pupils = inst.school.pupils
    t = money["totals"]
    income, refunds = Decimal(t["due"]), Decimal(t["refund"]) + Decimal(t["credit"])
    pay = Decimal(t["delivered_pay"])
    row = {"school": inst.school.name, "pupils": pupils, "enrolled": len(placed),
           "participation_rate": round(len(placed) / pupils, 4) if pupils else None,
           "five_day_share": round(five / len(placed), 4) if placed else None,
           "staff": len(inst.teachers), "staff_on_duty": len(on_duty),
           "external_staff": sum(1 for s in on_duty if kinds.get(s) == "external"),
           "income": f"{income:.2f}", "refunds": f"{refunds:.2f}", "pay": f"{pay:.2f}",
           "balance": f"{income - pay:.2f}"}
    name = inst.school.name
    classes = Counter(students.get(s, {}).get("class", "") for s in placed)
    teachers_of: dict[str, set[str]] = defaultdict(set)
    for d in current.duties:
        if d.group:
            teachers_of[d.group].add(d.staff)
    by_date: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for (day, session, _), status in marks.items():
        by_date[day, session][status] += 1
    staff_by_date: dict[str, Counter] = defaultdict(Counter)
    for m in staff_marks:
        staff_by_date[m["date"]]["not held" if m["status"] == "not held" else (
            "on duty" if m["status"] == "on duty" else "replaced")] += 1
    tables = {
        "classes": [{"school": name, "class": c, "pupils": n} for c, n in sorted(classes.items())],
        "staff": [{"school": name, "staff": s, "name": people.get("staff", {}).get(s, {})
                   .get("name", ""), "kind": kinds.get(s, "")} for s in sorted(on_duty)],
        "payments": [{"school": name, "student": p["student"], "date": p["date"],
                      "amount": p["amount"], "channel": p["channel"],
                      "receipt": p["receipt"]} for p in payments],
        "refunds": [{"school": name, "student": p["student"], "refund": p["refund"],
                     "credit": p["credit"]} for p in money["pupils"]
                    if p["refund"] != "0.00" or p["credit"] != "0.00"],
        "groups": [{"school": name, "group": g.id, "session": g.session,
                    "teachers": " ".join(sorted(teachers_of[g.id])),
                    "pupils": len(g.students)} for g in current.groups],
        "attendance": [{"school": name, "date": d, "session": s,
                        **{k: c.get(k, 0) for k in ("late", "early", "leave", "absent")}}
                       for (d, s), c in sorted(by_date.items())],
        "staff_attendance": [{"school": name, "date": d, **{
            k.replace(" ", "_"): c.get(k, 0) for k in ("not held", "replaced")}}
            for d, c in sorted(staff_by_date.items())],
    }
    return {"row": row, "tables": tables, "language": plan.extra.get("language", "zh")}


def totals(rows: list[dict]) -> dict:
    out: dict = {"school": "total", "schools": len(rows)}
    for k in ("pupils", "enrolled", "staff", "staff_on_duty", "external_staff"):
        out[k] = sum(r[k] or 0 for r in rows)
    with_pupils = [r for r in rows if r["pupils"]]
    out["participation_rate"] = round(sum(r["enrolled"] for r in with_pupils)
                                      / sum(r["pupils"] for r in with_pupils), 4) \
        if with_pupils else None
    enrolled = sum(r["enrolled"] for r in rows)
    out["five_day_share"] = round(sum((r["five_day_share"] or 0) * r["enrolled"]
                                      for r in rows) / enrolled, 4) if enrolled else None
    for k in ("income", "refunds", "pay", "balance"):
        out[k] = f"{sum((Decimal(r[k]) for r in rows), Decimal(0)):.2f}"
    return out


def bureau(terms: list[str], jobs: int = 1, scheduler: str | None = None) -> list[dict]:
    """Every school's report, in the order of ``terms``."""
    if scheduler:
        from distributed import Client
        with Client(scheduler, timeout=10) as client:
            return client.gather(client.map(school_report, terms, pure=False))
    if jobs > 1 and len(terms) > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(school_report, terms))
    return [school_report(t) for t in terms]
