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

Over plan versions (SPEC §9; ``Plan.versions()``, ``valid_to`` inclusive) and exceptions:
- ``dated_minutes``: each person's duty minutes per (part, date): every version's duties on
  that version's service dates, then every exception moves its minutes on its date from
  ``replaces`` to ``staff`` (to nobody where ``staff`` is null). Pay, the flex-time ledger
  and the budget's pay are all sums of it, so they agree to the fen.
- ``placed_fees``: a student pays, per session, for the service dates of each version in
  which they are in a group of that session, on the weekdays signed up while that version
  was in force (a history entry's ``signups``; today's sheet for the current version), so
  withdrawn from a date pays only the dates before, enrolled from a date from it on, and a
  changed sign-up each part at its own weekdays; reduction and rounding once on the term
  total; lunch for the noon dates of the versions in which lunch was taken.
- ``term_money(inst, plan)``: fills ``fees``, ``pay``, ``budget`` and ``flex_ledger`` of a
  plan from its versions and exceptions, in one dated pass: what ``plan``, ``replan`` and
  ``substitute`` all call. For a first plan its fees equal ``student_fees`` (the sign-ups
  alone, what the ``fees`` command shows before any plan).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.models.school import WEEKDAYS, parse_time
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
    count = day_counts(inst.school.term)
    return [_fee_row(inst, st, _gross_by_session(inst, st, count),
                     sum(count[d] for d in st.noon) if st.lunch else 0)
            for st in inst.enrolled]


def _fee_row(inst: Instance, st, gross: dict[str, Decimal], lunch_dates: int) -> dict:
    """A student's fee row from the gross per session: exemption or reduction on the term
    total, rounded once; lunch apart (meal price x the noon dates with lunch)."""
    total = sum(gross.values(), Decimal(0))
    fee = total
    if st.fee_category == "exempt":
        fee = Decimal(0)
    elif st.fee_category == "reduced" and st.fee_reduction is not None:
        fee = st.fee_reduction.apply(fee)
    fee = fee.quantize(CENT, rounding=ROUND_HALF_UP)
    lunch = inst.school.rules.lunch_price * lunch_dates
    return {"student": st.id, "class": st.klass, "grade": st.grade,
            "fee_category": st.fee_category, "service_fee": yuan(fee),
            "lunch_fee": yuan(lunch), "gross_fee": yuan(total),
            "by_session": _share(fee, gross)}


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


def _part(role: str, session: str | None, window: str | None) -> str:
    """Budget part a duty's pay belongs to: its session, or the managers of its window."""
    return session if role == "teacher" else f"managers ({window})"


def _rate(inst: Instance, staff: str) -> Decimal:
    t = inst.teacher(staff)
    return t.hourly_rate if t.hourly_rate is not None else inst.school.rules.pay_per_hour


def version_dates(inst: Instance, plan: Plan) -> list[tuple[object, dict[str, list[date]]]]:
    """Each version of ``plan`` with its service dates per weekday (SPEC §9: from its
    ``valid_from``, or the term start, to its ``valid_to``, or the term end, inclusive)."""
    term = inst.school.term
    dates = term_dates(term)
    out = []
    for v in plan.versions():
        lo = date.fromisoformat(v.valid_from) if v.valid_from else term.start
        hi = date.fromisoformat(v.valid_to) if v.valid_to else term.end
        out.append((v, {day: [d for d in dates[day] if lo <= d <= hi] for day in WEEKDAYS}))
    return out


def dated_duties(inst: Instance, plan: Plan) -> list[dict]:
    """Every duty on every date it falls: ``{"date", "staff", "role", "session", "window",
    "group", "slot", "minutes"}``, each version's duties on its own dates, then each
    exception moving its minutes on its date from ``replaces`` to ``staff`` (to nobody where
    ``staff`` is null: a row with ``staff`` None)."""
    rows: list[dict] = []
    for version, dates in version_dates(inst, plan):
        for d in version.duties:
            for when in dates[d.day]:
                rows.append({"date": when, "staff": d.staff, "role": d.role,
                             "session": d.session, "window": d.window, "group": d.group,
                             "slot": d.slot, "minutes": d.minutes})
    for x in plan.exceptions:
        when = date.fromisoformat(x["date"])
        minutes = parse_time(x["end"]) - parse_time(x["start"])
        base = {"date": when, "role": x["role"], "session": x.get("session"),
                "window": x.get("window"), "group": x.get("group"), "slot": x.get("slot")}
        rows.append(base | {"staff": x["replaces"], "minutes": -minutes})
        rows.append(base | {"staff": x.get("staff"), "minutes": minutes})
    return rows


def dated_minutes(inst: Instance, plan: Plan) -> dict[tuple[str, str, date], int]:
    """(staff, budget part, date) -> duty minutes (``dated_duties`` summed)."""
    return minutes_of(dated_duties(inst, plan))


def minutes_of(rows: list[dict]) -> dict[tuple[str, str, date], int]:
    """(staff, budget part, date) -> the minutes of dated duty rows; nobody's left out."""
    out: dict[tuple[str, str, date], int] = defaultdict(int)
    for r in rows:
        if r["staff"]:
            out[r["staff"], _part(r["role"], r["session"], r["window"]), r["date"]] += \
                r["minutes"]
    return {k: v for k, v in out.items() if v}


def pay_rows(inst: Instance, minutes: dict[tuple[str, str, date], int]) -> list[dict]:
    """One row per person paid: term minutes and amount, rounded once per person."""
    per: dict[str, int] = defaultdict(int)
    for (staff, _, _), m in minutes.items():
        per[staff] += m
    rows = []
    for staff in sorted(k for k, m in per.items() if m):
        rate = _rate(inst, staff)
        rows.append({"staff": staff, "minutes": per[staff],
                     "amount": yuan(Decimal(per[staff]) * rate / 60),
                     "rate": yuan(rate), "kind": inst.teacher(staff).kind})
    return rows


def ledger_rows(minutes: dict[tuple[str, str, date], int]) -> list[dict]:
    """Minutes of flexible time off earned per person and calendar week (Monday's date)."""
    weekly: dict[tuple[str, str], int] = defaultdict(int)
    for (staff, _, when), m in minutes.items():
        monday = when - timedelta(days=when.weekday())
        weekly[staff, monday.isoformat()] += m
    return [{"staff": s, "week": w, "minutes_earned": m}
            for (s, w), m in sorted(weekly.items()) if m]


def budget_rows(inst: Instance, fees: list[dict], gross: dict[str, dict[str, Decimal]],
                minutes: dict[tuple[str, str, date], int]) -> list[dict]:
    """The budget from fee rows, each student's gross per session, and dated minutes."""
    income: dict[str, Decimal] = defaultdict(Decimal)
    relief: dict[str, Decimal] = defaultdict(Decimal)
    for row in fees:
        gross_fen = _share(Decimal(row["gross_fee"]), gross[row["student"]])
        for sid, net in row["by_session"].items():
            income[sid] += Decimal(net)
            relief[sid] += Decimal(gross_fen[sid]) - Decimal(net)
    per_person_part: dict[tuple[str, str], int] = defaultdict(int)
    for (staff, part, _), m in minutes.items():
        per_person_part[staff, part] += m
    pay: dict[str, Decimal] = defaultdict(Decimal)
    for (staff, part), m in per_person_part.items():
        pay[part] += Decimal(m) * _rate(inst, staff) / 60
    parts = [s.id for s in inst.school.sessions] + sorted(p for p in pay if p.startswith("man"))
    rows = [{"part": p, "income": yuan(income[p]), "exemptions": yuan(relief[p]),
             "pay": yuan(pay[p]), "balance": yuan(income[p] - pay[p])} for p in parts]
    # person totals are rounded once each (SPEC §6); the total row uses those roundings
    pay_total = sum((Decimal(r["amount"]) for r in pay_rows(inst, minutes)), Decimal(0))
    inc_total = sum((Decimal(r["service_fee"]) for r in fees), Decimal(0))
    rows.append({"part": "total", "income": yuan(inc_total),
                 "exemptions": yuan(sum(relief.values(), Decimal(0))),
                 "pay": yuan(pay_total), "balance": yuan(inc_total - pay_total)})
    return rows


def placed_dates(inst: Instance, plan: Plan) -> tuple[dict[tuple[str, str], list[date]],
                                                     dict[str, int], dict[str, list[int]]]:
    """Per (student, session) the service dates a student is placed in a group of that
    session on a weekday signed up while the version was in force (see the module
    docstring); per student the noon dates with lunch; per student the indexes of the
    versions placing them."""
    sessions = {s.id: s for s in inst.school.sessions}
    students = {s.id: s for s in inst.students}
    placed: dict[tuple[str, str], list[date]] = defaultdict(list)
    lunch_dates: dict[str, int] = defaultdict(int)
    versions: dict[str, list[int]] = defaultdict(list)
    for k, (version, dates) in enumerate(version_dates(inst, plan)):
        for g in version.groups:
            session = sessions[g.session]
            for sid in g.students:
                st = students.get(sid)
                if st is None:
                    raise ValueError(f"student {sid} of group {g.id} is not in students.csv")
                if not versions[sid] or versions[sid][-1] != k:
                    versions[sid].append(k)
                # an earlier version bills the sign-up as it stood then (SPEC §9)
                then = version.signups.get(sid)
                signed = then.get(session.signup, []) if then else st.days(session.signup)
                placed[sid, g.session] += [d for day in signed if day in session.days
                                           for d in dates[day]]
                if session.signup == "noon" and (then.get("lunch", st.lunch) if then
                                                 else st.lunch):
                    lunch_dates[sid] += sum(len(dates[d]) for d in signed)
    return {k: sorted(v) for k, v in placed.items()}, lunch_dates, versions


def placed_fees(inst: Instance, plan: Plan) -> tuple[list[dict], dict[str, dict[str, Decimal]]]:
    """Fee rows over plan versions (see the module docstring) and each student's gross per
    session; an enrolled student in no group gets a 0.00 row, others in no group no row."""
    sessions = {s.id: s for s in inst.school.sessions}
    placed, lunch_dates, _ = placed_dates(inst, plan)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (sid, session), dates in placed.items():
        counts[sid][session] += len(dates)
    rate = inst.school.rules.fee_per_hour
    rows, gross = [], {}
    for st in inst.students:
        if st.id not in counts and st.status != "enrolled":
            continue
        gross[st.id] = {s: Decimal(n * sessions[s].billable_minutes) * rate / 60
                        for s, n in counts[st.id].items() if n}
        rows.append(_fee_row(inst, st, gross[st.id], lunch_dates[st.id]))
    return rows, gross


def term_money(inst: Instance, plan: Plan) -> None:
    """Fill ``fees``, ``pay``, ``budget`` and ``flex_ledger`` of ``plan`` over all its
    versions and exceptions (SPEC §9): the term's money, exact to the fen."""
    fees, gross = placed_fees(inst, plan)
    minutes = dated_minutes(inst, plan)
    plan.fees = fees
    plan.pay = pay_rows(inst, minutes)
    plan.extra["budget"] = budget_rows(inst, fees, gross, minutes)
    plan.extra["flex_ledger"] = ledger_rows(minutes)


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
