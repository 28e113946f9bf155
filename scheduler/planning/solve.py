"""The one planning entry point: ``solve(instance, *, time_limit, seed, workers, log) -> Plan``.

Steps: groups per session (``grouping``), then volunteers and managers (``assign``), then the
staffing table, fees and pay (``money``), bounds, gaps and named penalties. The plan's status
is the weakest of its parts: OPTIMAL (every part proved), FEASIBLE, UNKNOWN (no plan found in
the limits), INFEASIBLE or MODEL_INVALID; ``interrupted`` marks a plan cut short by Ctrl-C.
Same input and seed give the same plan (one worker or deterministic interleaved search and
deterministic time limits).
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from decimal import Decimal

from afterschool.models.instance import Instance
from afterschool.models.plan import Group, Plan
from afterschool.models.school import WEEKDAYS, fmt_time
from afterschool.scheduler.planning.assign import assign_staff, weekly_limit
from afterschool.scheduler.rules.calendar import day_counts, term_dates
from afterschool.scheduler.planning.cpsat import DET_PER_SECOND, SolveOptions, interruptible, relative_gap
from afterschool.scheduler.planning.grouping import class_key, plan_groups, prepare, share_extra
from afterschool.scheduler.money.accounts import budget, flex_ledger, staff_pay, student_fees, yuan
from afterschool.scheduler.rules.staffing import duty_windows, standard_teachers


SMALL_SESSION = 2000  # sign-ups up to which more structures are tried for group-days


def solve(inst: Instance, *, time_limit: float = 7.0, seed: int = 0, workers: int = 1,
          log=None, new_people: frozenset[str] = frozenset(),
          group_days_slack: int = 0, group_days_tolerance: float = 0.01) -> Plan:
    """Plan the term for ``inst`` (see the module docstring). ``time_limit`` is about wall
    seconds on the reference machine, converted to deterministic solver time. Ctrl-C stops
    the search; the plan so far is returned with ``interrupted`` set."""
    opts = SolveOptions(time_limit=time_limit, seed=seed, workers=workers, log=log,
                        group_days_slack=group_days_slack,
                        group_days_tolerance=group_days_tolerance)
    with interruptible(opts):
        return _solve(inst, opts, new_people)


def _solve(inst: Instance, opts: SolveOptions, new_people: frozenset[str]) -> Plan:
    time_limit, seed, workers = opts.time_limit, opts.seed, opts.workers
    det_budget = time_limit * DET_PER_SECOND
    t0 = time.monotonic()
    school, rules = inst.school, inst.school.rules
    takers = defaultdict(list)
    for st in inst.enrolled:
        for signup in ("noon", "afternoon"):
            s = school.session_for(signup, st.grade)
            if s is not None and st.days(signup):
                takers[s.id].append(st)
    total_students = sum(len(v) for v in takers.values()) or 1
    grouping_budget = det_budget * 0.6
    groups: list[Group] = []
    present: dict[tuple[str, str], list[str]] = defaultdict(list)
    group_classes: dict[str, set[str]] = {}
    parts, penalties, grouping_stats = [], [], []
    klass_of = {s.id: s.klass for s in inst.students}
    grade_of = {s.id: s.grade for s in inst.students}
    cap = rules.group_cap
    sessions = [s for s in school.sessions if takers[s.id]]
    preps = [prepare(s, takers[s.id], cap, opts.group_days_slack) for s in sessions]
    preps = [(s, p) for s, p in zip(sessions, preps) if p is not None]
    # group-days first, within a tolerance of their bound shared where it saves most pairs
    tolerance = math.floor(opts.group_days_tolerance * sum(p.gd_bound for _, p in preps)
                           + 1e-9)
    for s, p in preps:
        if p.score(p.menu[0])[0] > p.gd_bound and len(takers[s.id]) <= SMALL_SESSION:
            # structures with a group or two more on the emptiest days are easier to fill
            # and sometimes end with fewer group-days than the bound's own structure
            p.extend(max(2, opts.group_days_slack))
    allowance = max(0, tolerance - sum(p.score(p.menu[0])[0] - p.gd_bound for _, p in preps))
    usable, why_not = allowance, None
    shortest = min(range(len(preps)), key=lambda n: preps[n][0].minutes, default=0)
    if allowance and _weekly_limits_short(inst, preps, [int(n == shortest)
                                                        for n in range(len(preps))]):
        usable = 0  # not even one more group-day could be staffed: build no starts for it
        why_not = "the volunteers' weekly limits cannot cover even one more group-day"
    for _, p in preps if usable else ():
        p.extend(usable + opts.group_days_slack)
    extra = share_extra([p for _, p in preps], usable)
    tolerance_note = {"percent": 100 * opts.group_days_tolerance, "allowance": allowance,
                      "spent": sum(extra)}
    if why_not:
        tolerance_note["why_not"] = why_not
    if any(extra) and _short_of_staff(inst, preps, extra, opts, det_budget * 0.15, new_people):
        # coverage comes first: group-days are traded only when every duty, the extra
        # ones included, can still be staffed
        extra = [0] * len(extra)
        tolerance_note.update(spent=0, why_not="the volunteers could not staff every duty "
                                               "with the extra group-days")
    for (s, prep), more in zip(preps, extra):
        share = max(grouping_budget * len(takers[s.id]) / total_students, 0.1)
        res = plan_groups(prep, opts, share, more + opts.group_days_slack)
        parts.extend(p.as_dict() for p in res.phases)
        grouping_stats.append({
            "session": s.id, "students": len(takers[s.id]), "groups": len(res.rosters),
            "group_days": res.group_days, "group_days_bound": res.group_days_bound,
            "group_days_gap": relative_gap(res.group_days, res.group_days_bound),
            "class_pairs": res.class_pairs, "class_pairs_bound": res.class_pairs_bound,
            "classes": len({klass_of[x] for r in res.rosters for x in r}),
            "grade_pairs": res.grade_pairs, "greedy_group_days": res.greedy_group_days,
            # group-days above the fewest found, accepted for fewer class pairs
            "traded_group_days": max(0, res.group_days - res.fewest_found),
            "greedy_class_pairs": res.greedy_class_pairs})
        for n, (roster, days) in enumerate(zip(res.rosters, res.present), start=1):
            gid = f"{s.id}-{n:02d}"
            groups.append(Group(gid, s.id, tuple(roster)))
            group_classes[gid] = {klass_of[x] for x in roster}
            for d, k in days.items():
                if k:
                    present[d, s.id].append(gid)
            grades = sorted({grade_of[x] for x in roster})
            if len(grades) > 1:
                penalties.append({"rule": "grades mixed", "cost": 100 * (len(grades) - 1),
                                  "text": f"group {gid} mixes grades "
                                          f"{', '.join(map(str, grades))}"})
        split: dict[str, list[str]] = defaultdict(list)
        for g in groups:
            if g.session == s.id:
                for k in sorted({klass_of[x] for x in g.students}, key=class_key):
                    split[k].append(g.id)
        for k, gids in sorted(split.items(), key=lambda kv: class_key(kv[0])):
            if len(gids) > 1:
                penalties.append({"rule": "class split", "cost": 1000 * (len(gids) - 1),
                                  "text": f"class {k} split over {len(gids)} groups in {s.id} "
                                          f"({', '.join(gids)})"})
    staff = assign_staff(inst, present, group_classes, opts, det_budget * 0.4, new_people)
    parts.extend(p.as_dict() for p in staff.phases)
    penalties.extend(staff.penalties)
    status = overall_status(grouping_stats, staff)
    plan = Plan(status=status, groups=groups, duties=staff.duties, shortages=staff.shortages)
    plan.staffing = staffing_table(inst, groups, present)
    plan.fees = student_fees(inst)
    plan.pay = staff_pay(inst, staff.duties)
    loads = defaultdict(int)
    for d in staff.duties:
        loads[d.staff] += d.minutes
    if loads:
        mean = sum(loads.values()) / len(loads)
        for t, load in sorted(loads.items(), key=lambda kv: (-kv[1], kv[0]))[:5]:
            if load > mean * 1.25:
                penalties.append({"rule": "uneven load", "cost": round(load - mean),
                                  "text": f"{t} carries {load} min/week "
                                          f"(mean {mean:.0f} over {len(loads)} people)"})
    penalties.sort(key=lambda p: (-p["cost"], p["text"]))
    plan.extra = {
        "school": school.name,
        "term": {"start": school.term.start.isoformat(), "end": school.term.end.isoformat()},
        "interrupted": opts.interrupted,
        "seed": seed,
        "grouping": grouping_stats,
        "group_days_tolerance": tolerance_note,
        "parts": parts,
        "shortage_minutes_per_week": staff.shortage_minutes,
        "penalties": penalties,
        "budget": budget(inst, plan.fees, staff.duties),
        "language": school.language,
        "group_cap": rules.group_cap,
        "weekly_limits": {t.id: (t.max_weekly_minutes if t.max_weekly_minutes is not None
                                 else rules.max_weekly_minutes) for t in inst.volunteers},
        "calendar": {d: [x.isoformat() for x in dates]
                     for d, dates in term_dates(school.term).items()},
        "sessions": {x.id: {"name": x.name, "start": fmt_time(x.start), "end": fmt_time(x.end),
                            "days": list(x.days), "signup": x.signup} for x in school.sessions},
        "people": {"staff": {t.id: {"name": t.name, "kind": t.kind} for t in inst.teachers},
                   "students": {x.id: {"name": x.name, "class": x.klass,
                                       "noon": list(x.noon), "afternoon": list(x.afternoon)}
                                for x in inst.enrolled}},
        "flex_ledger": flex_ledger(inst, staff.duties),
        "solve_stats": {"seconds": round(time.monotonic() - t0, 3), "workers": workers,
                        "time_limit": time_limit},
    }
    return plan


def _short_of_staff(inst: Instance, preps, extra: list[int], opts: SolveOptions,
                    budget: float, new_people: frozenset[str]) -> bool:
    """Whether the volunteers leave duties unfilled (or no answer in ``budget``) when the
    sessions have the group-days of their starts with ``extra`` more. First a necessary
    condition (their weekly limits add up to the minutes the fewest groups, their managers
    and the extra group-days need), then a coverage solve of that structure."""
    if _weekly_limits_short(inst, preps, extra):
        return True
    present: dict[tuple[str, str], list[str]] = defaultdict(list)
    classes: dict[str, set[str]] = {}
    for (s, prep), more in zip(preps, extra):
        placement = prep.menu[min(more, len(prep.menu) - 1)]
        for u, where in zip(prep.units, placement):
            for g in where:
                gid = f"{s.id}-{g:02d}"
                classes.setdefault(gid, set()).add(u.klass)
                for d in u.days:
                    if gid not in present[d, s.id]:
                        present[d, s.id].append(gid)
    probe = assign_staff(inst, present, classes, opts, budget, new_people, coverage_only=True)
    return probe.shortage_minutes != 0


def _weekly_limits_short(inst: Instance, preps, extra: list[int]) -> bool:
    """A necessary condition for staffing ``extra`` more group-days per session: the
    volunteers' weekly limits add up to the minutes the fewest groups (the standard
    staffing table), their managers and the extra group-days need."""
    from afterschool.scheduler.reading.summary import manager_rows, summary_table
    need = int(summary_table(inst).minutes_needed.sum())
    windows = {(d, w.id): w.minutes for d in WEEKDAYS for w in duty_windows(
        inst.school.sessions, d)}
    need += sum(r["managers_needed"] * windows[r["day"], r["window"]]
                for r in manager_rows(inst))
    need += sum(s.minutes * more for (s, _), more in zip(preps, extra))
    return need > sum(weekly_limit(inst, t) for t in inst.volunteers)


def overall_status(grouping_stats: list[dict], staff) -> str:
    """OPTIMAL when every part is proved (groups at their bounds, staffing phases optimal);
    UNKNOWN when no staff assignment was found; FEASIBLE otherwise. Grouping always has a
    plan (the constructive start), so an improvement phase that found nothing keeps it."""
    if staff.shortage_minutes < 0:
        return "UNKNOWN"
    proved = all(g["group_days"] == g["group_days_bound"] and
                 g["class_pairs"] == g["class_pairs_bound"] for g in grouping_stats)
    proved = proved and all(p.status == "OPTIMAL" for p in staff.phases)
    return "OPTIMAL" if proved else "FEASIBLE"


def staffing_table(inst: Instance, groups: list[Group], present) -> list[dict]:
    """Per session and weekday: students, standard teachers T(n), groups formed, difference
    (the teacher-minutes the 45 cap adds beyond the standard, SPEC §4, and their term pay at
    the school rate)."""
    rules = inst.school.rules
    count = day_counts(inst.school.term)
    by_id = {s.id: s for s in inst.students}
    roster = {g.id: g for g in groups}
    rows = []
    for s in inst.school.sessions:
        for d in s.days:
            gids = present.get((d, s.id), [])
            n = sum(1 for g in gids for x in roster[g].students
                    if d in by_id[x].days(s.signup))
            t = standard_teachers(n, rules.students_per_teacher, rules.remainder_threshold)
            rows.append({"day": d, "session": s.id, "students": n, "standard_teachers": t,
                         "groups": len(gids), "extra_groups": len(gids) - t,
                         "extra_teacher_minutes": (len(gids) - t) * s.minutes,
                         "extra_pay": yuan(Decimal((len(gids) - t) * s.minutes * count[d])
                                           * rules.pay_per_hour / 60)})
    return rows
