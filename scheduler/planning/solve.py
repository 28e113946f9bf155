"""The one planning entry point: ``solve(instance, *, time_limit, seed, workers, log) -> Plan``.

Input: the instance, the options (time limit, seed, slack and tolerance) and venue
occupancy already taken. Output: a ``Plan`` with ``extra`` (its typed blocks from
``stats``). Stages, each a function of what the ones before made (``_solve``): the
constructive grouping starts (``_starts``), the group-days tolerance (``_tolerance``), the
grouping searches (``_grouping_searches``), balancing (``_balance``), lifting the smallest
groups (``_lift``), the groups numbered with their figures and penalties (``_grouped``),
venues (``_venues``), volunteers and managers (``_staffing``, ``assign``), the plan and its
extra (``_plan``), then fees and pay (``money``).

Paid minutes break ties after group-days: ``ManagersOnDuty`` counts the groups on duty per
(day, session) — each band's fewest at first, then its chosen start, then its groups as it
is planned — and prices one band's groups per day in manager minutes with the rest held;
the grouping prefers, among equal group-days, the placement that needs fewest. Balancing
the groups' sizes comes last, for every band (those with the smallest groups first), up to
``BALANCE_SHARE`` of the limit and at least ``BALANCE_MIN`` of it however late it starts.

The time limit is a promise: one ``Deadline`` on the process CPU clock, started when
``solve`` is called (the CLI starts it before reading the files; ``Deadline.for_limit``:
the backstop), bounds every stage, each given its part by one ``budget.Budget``
(``plan_budget`` fills it from the constants below) — constructive grouping starts and
searches until ``GROUPING_SHARE`` of the limit, balancing until ``BALANCE_SHARE`` of it,
staffing until ``STAFFING_SHARE`` of the backstop, the rest for fees, pay and the
hand-outs; the searches' own budgets are deterministic (CP-SAT's ``STAFF_DET`` …, the
staffing MIP's counted HiGHS interrupt checks, ``assign.MIP_CHECKS_PER_SECOND``), so the
clock decides only on a machine much slower than the reference, and then
``solve_stats.cut_by_time_limit`` says where. Each stage is anytime: a session
whose starts did not fit gets the first-fit start only; a staffing search with no time
leaves the greedy assignment. Sessions larger than ``BAND`` sign-ups are planned in
bands of whole classes in grade order (each band on its own, with the session's true
bounds reported), which keeps the constructive starts near-linear in school size.

There is always a plan when there is a grouping, and there always is one for valid input
(first fit by class needs no search); ``NoPlan`` is raised only when the input leaves no
grouping at all (a group cap below 1 from a caller that bypassed the reader).

The plan's status is the weakest of its parts: OPTIMAL (every part proved), FEASIBLE;
``interrupted`` marks a plan cut short by Ctrl-C, SIGTERM or the deadline. Same input and
seed give the same plan when the deadline does not cut a phase short (one worker or
deterministic interleaved search, deterministic solver limits).
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from afterschool.models.instance import Instance
from afterschool.models.plan import Group, Plan
from afterschool.models.school import WEEKDAYS, fmt_time
from afterschool.models.venues import Reserved
from afterschool.scheduler.planning import venues
from afterschool.scheduler.planning.assign import assign_staff
from afterschool.scheduler.rules.ledger import weekly_limit
from afterschool.scheduler.rules.calendar import day_counts, term_dates
from afterschool.scheduler.planning.cpsat import (DET_PER_SECOND, Deadline, SolveOptions,
                                                  interruptible, relative_gap)
from afterschool.scheduler.planning.grouping import (LIFT_SHARE, balance_result, band_bound,
                                                     class_key, fewest_group_days,
                                                     lift_result, plan_groups, prepare,
                                                     share_extra)
from afterschool.scheduler.money.accounts import term_money, yuan
from afterschool.scheduler.planning.reserve import leaving
from afterschool.scheduler.rules.staffing import (duty_windows, managers_for_window,
                                                  standard_teachers)
from afterschool.scheduler.planning.budget import Budget
from afterschool.scheduler.planning.stats import (PaidMinutes, SmallestGroup, SolveStats,
                                                  Unfilled)


SMALL_SESSION = 2000  # sign-ups up to which more structures are tried for group-days
BAND = 2400  # sign-ups above which a session is planned in bands of whole classes
GROUPING_SHARE = 1.1  # of the time limit: constructive starts and grouping searches
BALANCE_MIN = 0.1  # of the limit: balancing's own time however late it starts
LIFT_MIN = 0.1  # of the limit: lifting the smallest groups, however late it starts
BALANCE_SHARE = 1.4  # of the time limit: grouping and then balancing groups' sizes
# above this many sign-ups the grouping stages are anytime, cut by the clock at these
# shares instead (lower: the staffing of a large school needs the rest); up to it they
# are high enough that the budgets, not the clock, end them on a machine twice as slow
ANYTIME = 4000
GROUPING_SHARE_LARGE, BALANCE_SHARE_LARGE = 0.5, 0.75
BOUND_DET = 0.05  # the group-days bound of a session (a model of at most 31 x 31 counts)
BALANCE_DET = 0.5  # balancing: this share of the limit's deterministic seconds (capped)
STAFFING_SHARE = 0.97  # of the backstop: grouping and staffing together (fees, pay and
# checks after them: 0.1 s on the bundled school; larger schools keep AFTER_STAFFING)
AFTER_STAFFING = 1.5e-4  # CPU seconds a sign-up, at least, kept after staffing for fees, pay
# and checks (1.3-1.6 s at 15,000 sign-ups: more than the backstop's 5 % on a large school)
STAFF_DET = 0.25  # staffing search: this many times the limit's deterministic seconds (capped)
LARGE_DET_PER_SECOND, LARGE_STAFF_DET = 0.12, 0.5  # the rates before issue #23, above ANYTIME
VENUE_DET = 0.1  # venues: this many times the limit's deterministic seconds (capped)
PROBE_DET = 0.15  # the group-days tolerance's coverage probe: of the deterministic seconds
GROUPING_DET = 0.6  # the grouping searches, shared by bands: of the deterministic seconds
BAND_DET_MIN = 0.1  # deterministic seconds a band's grouping search has at least (and
# a large school's band its balancing)
BALANCE_DET_MIN = 0.05  # deterministic seconds a band's balancing has at least (up to
# ANYTIME sign-ups: each band's searches find their answer early; docs/benchmarks.md)
STAFF_DET_MIN = 0.05  # deterministic seconds the staffing search has at least


class NoPlan(Exception):
    """Not even a grouping exists for this input (the message says why)."""


def solve(inst: Instance, *, time_limit: float = 7.0, seed: int = 0, workers: int = 1,
          log=None, new_people: frozenset[str] = frozenset(),
          group_days_slack: int = 0, group_days_tolerance: float = 0.01,
          deadline: Deadline | None = None, progress=None,
          reserved: tuple[Reserved, ...] = (), after: float = 0.0) -> Plan:
    """Plan the term for ``inst`` (see the module docstring). ``time_limit`` is CPU seconds
    for the whole solve (``deadline``, if given, is the same limit already running, e.g.
    since the CLI started reading). Ctrl-C, SIGTERM and the deadline stop the search; the
    best plan so far is returned (``interrupted`` set when stopped early by a signal).
    ``progress(phase, best, bound)`` is called at each phase and solution. ``reserved``:
    venue occupancy already taken (clubs, SPEC §12), held against the venues' limits.
    ``after``: CPU seconds the caller writes after the solve (``reserve.after_solve``),
    kept back from it (``reserve.leaving``) where the promise's margin cannot hold them."""
    opts = SolveOptions(time_limit=time_limit, seed=seed, workers=workers, log=log,
                        group_days_slack=group_days_slack,
                        group_days_tolerance=group_days_tolerance,
                        deadline=leaving(deadline or Deadline.for_limit(time_limit), after),
                        progress=progress)
    with interruptible(opts):
        return _solve(inst, opts, new_people, reserved)


def _takers(inst: Instance) -> dict[str, list]:
    """The enrolled students signed up for each session (by session id)."""
    takers = defaultdict(list)
    for st in inst.enrolled:
        for signup in ("noon", "afternoon"):
            s = inst.school.session_for(signup, st.grade)
            if s is not None and st.days(signup):
                takers[s.id].append(st)
    return takers


def _bands(session, students, cap: int) -> list[list]:
    """Whole classes in grade order, in bands of at most ``BAND`` sign-ups (one band for a
    session that small)."""
    if len(students) <= BAND:
        return [students]
    by_class = defaultdict(list)
    for st in students:
        by_class[st.klass].append(st)
    bands, current = [], []
    for k in sorted(by_class, key=class_key):
        if current and len(current) + len(by_class[k]) > BAND:
            bands.append(current)
            current = []
        current += by_class[k]
    return bands + ([current] if current else [])


def plan_budget(time_limit: float, students: int) -> Budget:
    """The ``Budget`` of a plan of ``students`` sign-ups under ``time_limit`` CPU seconds,
    from the fractions at the top of this module (read when called)."""
    large = students > ANYTIME
    # a large school keeps the rate its searches were measured at (the 2x-slower promise
    # is for schools up to ANYTIME sign-ups; above, the clock cuts the starts in any case)
    return Budget(
        students=students, large=large,
        det=time_limit * (LARGE_DET_PER_SECOND if large else DET_PER_SECOND),
        grouping_share=GROUPING_SHARE_LARGE if large else GROUPING_SHARE,
        balance_share=BALANCE_SHARE_LARGE if large else BALANCE_SHARE,
        balance_min=BALANCE_MIN, lift_min=LIFT_MIN, staffing_share=STAFFING_SHARE,
        after_staffing=AFTER_STAFFING, probe_det=PROBE_DET, grouping_det=GROUPING_DET,
        band_det_min=BAND_DET_MIN, balance_det=BALANCE_DET, venue_det=VENUE_DET,
        balance_det_min=BAND_DET_MIN if large else BALANCE_DET_MIN,
        staff_det=LARGE_STAFF_DET if large else STAFF_DET, staff_det_min=STAFF_DET_MIN,
        bound_det=BOUND_DET)


@dataclass
class Grouped:
    """The grouping as the plan holds it: groups, the groups present per (day, session),
    each group's classes, per-session figures (``grouping`` in plan.json), the search
    phases and penalties so far, and the smallest band bound at its group-days."""
    groups: list[Group]
    present: dict[tuple[str, str], list[str]]
    group_classes: dict[str, set[str]]
    stats: list[dict]
    parts: list[dict]
    penalties: list[dict]
    smallest_bound: int | None


def _solve(inst: Instance, opts: SolveOptions, new_people: frozenset[str],
           reserved: tuple[Reserved, ...] = ()) -> Plan:
    """The stages in order under one deadline (``opts.deadline`` on entry), each given its
    part of it by the ``Budget``."""
    whole = opts.deadline
    t0 = time.monotonic()
    cap = inst.school.rules.group_cap
    if cap < 1:
        raise NoPlan(f"no grouping exists: the group cap is {cap}, so no student can be "
                     "placed in any group (set group_cap to 1 or more in school.toml)")
    takers = _takers(inst)
    budget = plan_budget(opts.time_limit, sum(len(v) for v in takers.values()) or 1)
    opts.deadline = budget.grouping(whole)
    preps, on_duty = _starts(inst, opts, takers)
    extra, tolerance_note = _tolerance(inst, opts, budget, takers, preps, new_people)
    results = _grouping_searches(opts, budget, preps, extra, on_duty)
    opts.deadline = budget.balancing(whole)
    _balance(opts, budget, preps, results)
    opts.deadline = budget.lifting(whole)
    _lift(opts, preps, results)
    grouped = _grouped(inst, opts, budget, takers, preps, results)
    opts.deadline = budget.staffing(whole)
    rooms = _venues(inst, opts, budget, grouped, reserved)
    staff = _staffing(inst, opts, budget, grouped, new_people)
    opts.deadline = whole
    opts.phase("fees, pay and checks")
    plan = _plan(inst, opts, takers, grouped, staff, rooms, tolerance_note, t0)
    term_money(inst, plan)  # fees, pay, budget and flex ledger: one dated pass
    return plan


def _starts(inst: Instance, opts: SolveOptions, takers) -> tuple[list, ManagersOnDuty]:
    """Constructive grouping starts per band (``grouping.prepare``), anytime over bands:
    first one good start each, then the rest; returns ``(session, band, Prepared)`` per
    band that has one, and the groups on duty the manager rule counts (each band's fewest
    to begin with)."""
    school, cap = inst.school, inst.school.rules.group_cap
    sessions = [s for s in school.sessions if takers[s.id]]
    opts.phase("grouping: constructive starts")
    # groups per (day, session) the manager rule counts: each band's fewest to begin
    # with, then its chosen start, then its groups as each band is planned
    banded = [(s, band) for s in sessions for band in _bands(s, takers[s.id], cap)]
    on_duty = ManagersOnDuty(school)
    for s, band in banded:
        on_duty.add(s.id, _fewest_groups(s, band, cap))
    preps = []  # (session, band's students, Prepared)
    for s, band in banded:  # anytime over bands: first one good start each, then the rest
        p = prepare(s, band, cap, opts.group_days_slack, opts.deadline, most=1,
                    managers=on_duty.given(s.id, _fewest_groups(s, band, cap)))
        if p is not None:
            preps.append((s, band, p))
    for *_, p in preps:
        p.extend(opts.group_days_slack, opts.deadline)
    return preps, on_duty


def _tolerance(inst: Instance, opts: SolveOptions, budget: Budget, takers, preps,
               new_people: frozenset[str]) -> tuple[list[int], dict]:
    """Group-days first, within a tolerance of their bound shared where it saves most
    pairs (``share_extra``), spent only if the volunteers could staff it (their weekly
    limits, then a coverage probe): the extra group-days per band and the plan's
    ``group_days_tolerance`` note."""
    tolerance = math.floor(opts.group_days_tolerance * sum(p.gd_bound for *_, p in preps)
                           + 1e-9)
    for s, band, p in preps:
        if p.score(p.menu[0])[0] > p.gd_bound and len(band) <= SMALL_SESSION:
            # structures with a group or two more on the emptiest days are easier to fill
            # and sometimes end with fewer group-days than the bound's own structure
            p.extend(max(2, opts.group_days_slack), opts.deadline)
    allowance = max(0, tolerance - sum(p.score(p.menu[0])[0] - p.gd_bound
                                       for *_, p in preps))
    usable, why_not = allowance, None
    shortest = min(range(len(preps)), key=lambda n: preps[n][0].minutes, default=0)
    if allowance and _weekly_limits_short(inst, takers, preps, [int(n == shortest)
                                                        for n in range(len(preps))]):
        usable = 0  # not even one more group-day could be staffed: build no starts for it
        why_not = "the volunteers' weekly limits cannot cover even one more group-day"
    if usable and opts.out_of_time():
        usable, why_not = 0, "no time was left to build starts with more group-days"
    for *_, p in preps if usable else ():
        p.extend(usable + opts.group_days_slack, opts.deadline)
    extra = share_extra([p for *_, p in preps], usable)
    tolerance_note = {"percent": 100 * opts.group_days_tolerance, "allowance": allowance,
                      "spent": sum(extra)}
    if why_not:
        tolerance_note["why_not"] = why_not
    if any(extra) and _short_of_staff(inst, preps, extra, opts, budget.probe(), new_people):
        # coverage comes first: group-days are traded only when every duty, the extra
        # ones included, can still be staffed
        extra = [0] * len(extra)
        tolerance_note.update(spent=0, why_not="the volunteers could not staff every duty "
                                               "with the extra group-days")
    return extra, tolerance_note


def _grouping_searches(opts: SolveOptions, budget: Budget, preps, extra: list[int],
                       on_duty: ManagersOnDuty) -> list:
    """Each band's grouping search (``plan_groups``) from its chosen start, its share of
    the budget by sign-ups, the manager minutes priced with the other bands held."""
    chosen = [prep.groups_per_day(prep.menu[min(more, len(prep.menu) - 1)])
              for (*_, prep), more in zip(preps, extra)]
    for (s, band, prep), mine in zip(preps, chosen):  # the fewest -> the chosen starts
        on_duty.add(s.id, {d: n - prep.k[d] for d, n in mine.items()})
    results = []
    for (s, band, prep), more, mine in zip(preps, extra, chosen):
        share = budget.band(len(band))
        opts.phase(f"grouping: {s.id}")
        prep.managers = on_duty.given(s.id, mine)
        res = plan_groups(prep, opts, share, more + opts.group_days_slack)
        on_duty.add(s.id, {d: sum(1 for p in res.present if p.get(d)) - mine[d]
                           for d in mine})
        results.append(res)
    return results


def _balance(opts: SolveOptions, budget: Budget, preps, results: list) -> None:
    """Balanced groups come last (``balance_result``), the bands with the smallest groups
    first: where time runs out, it ran out elsewhere. ``results`` updated in place."""
    opts.phase("grouping: balancing")
    for n in _smallest_first(results):
        (_, band, prep), res = preps[n], results[n]
        results[n] = balance_result(prep, res, opts, budget.balance(len(band)))


def _lift(opts: SolveOptions, preps, results: list) -> None:
    """Every band whose smallest group is well below the plan's own bound (the smallest
    band's, as plan.json reports it) lifted towards ``LIFT_SHARE`` of it, at a cost in
    class pairs, the smallest first. ``results`` updated in place."""
    known = [r.smallest_bound for r in results if r.smallest_bound is not None]
    target = math.ceil(LIFT_SHARE * (min(known) if known else min(
        (band_bound(p, r) for (*_, p), r in zip(preps, results)), default=0)))
    for n in _smallest_first(results):  # balancing changed them: ordered afresh
        results[n] = lift_result(preps[n][2], results[n], target, opts)


def _smallest_first(results: list) -> list[int]:
    """The bands' indices, the one with the smallest group present first (ties by index)."""
    return sorted(range(len(results)), key=lambda n: (min(
        (v for present in results[n].present for v in present.values() if v), default=0), n))


def _grouped(inst: Instance, opts: SolveOptions, budget: Budget, takers, preps,
             results: list) -> Grouped:
    """The bands' groups numbered per session, the groups present per (day, session),
    the per-session figures with their bounds, and the grade-mix and class-split
    penalties."""
    school, cap = inst.school, inst.school.rules.group_cap
    groups: list[Group] = []
    present: dict[tuple[str, str], list[str]] = defaultdict(list)
    group_classes: dict[str, set[str]] = {}
    parts, penalties = [], []
    klass_of = {s.id: s.klass for s in inst.students}
    grade_of = {s.id: s.grade for s in inst.students}
    stats: dict[str, dict] = {}
    numbering: dict[str, int] = defaultdict(int)
    for (s, band, prep), res in zip(preps, results):
        parts.extend(p.as_dict() for p in res.phases)
        if s.id not in stats:  # once per session, not per band
            stats[s.id] = {
                "session": s.id, "students": 0, "groups": 0, "group_days": 0,
                "group_days_bound": _session_bound(takers[s.id], s, cap, opts,
                                                   budget.bound_det),
                "class_pairs": 0, "class_pairs_bound": 0, "classes": 0, "grade_pairs": 0,
                "greedy_group_days": 0, "traded_group_days": 0, "greedy_class_pairs": 0,
                "bands": 0}
        st = stats[s.id]
        st["bands"] += 1
        for key, value in (("students", len(band)), ("groups", len(res.rosters)),
                           ("group_days", res.group_days), ("class_pairs", res.class_pairs),
                           ("class_pairs_bound", res.class_pairs_bound),
                           ("classes", len({klass_of[x] for r in res.rosters for x in r})),
                           ("grade_pairs", res.grade_pairs),
                           ("greedy_group_days", res.greedy_group_days),
                           # group-days above the fewest found, accepted for fewer class pairs
                           ("traded_group_days", max(0, res.group_days - res.fewest_found)),
                           ("greedy_class_pairs", res.greedy_class_pairs)):
            st[key] += value
        for roster, days in zip(res.rosters, res.present):
            numbering[s.id] += 1
            gid = f"{s.id}-{numbering[s.id]:02d}"
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
    grouping_stats = list(stats.values())
    for g in grouping_stats:
        g["group_days_bound"] = min(g["group_days_bound"], g["group_days"])
        g["group_days_gap"] = relative_gap(g["group_days"], g["group_days_bound"])
    penalties += _class_splits([s for s in school.sessions if takers[s.id]], groups, klass_of)
    smallest = min((r.smallest_bound for r in results if r.smallest_bound is not None),
                   default=None)
    return Grouped(groups, present, group_classes, grouping_stats, parts, penalties, smallest)


def _class_splits(sessions, groups: list[Group], klass_of: dict[str, str]) -> list[dict]:
    """A penalty per class split over several groups of one session, by class."""
    penalties = []
    for s in sessions:
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
    return penalties


def _venues(inst: Instance, opts: SolveOptions, budget: Budget, grouped: Grouped,
            reserved: tuple[Reserved, ...]):
    """SPEC §12: the groups are final: a room per group and slot, activities, the rain
    plan (a deterministic budget); None for a school without venues."""
    if not inst.school.venues:
        return None
    opts.phase("venues")
    return venues.place(inst, grouped.groups, grouped.present, opts,
                        opts.det_budget(budget.venues()), reserved=reserved)


def _staffing(inst: Instance, opts: SolveOptions, budget: Budget, grouped: Grouped,
              new_people: frozenset[str]):
    """Volunteers and managers for the groups present (``assign_staff``)."""
    opts.phase("staffing")
    return assign_staff(inst, grouped.present, grouped.group_classes, opts,
                        max(opts.det_budget(budget.staff()), budget.staff_det_min),
                        new_people)


def _plan(inst: Instance, opts: SolveOptions, takers, grouped: Grouped, staff, rooms,
          tolerance_note: dict, t0: float) -> Plan:
    """The plan: groups, duties, shortages, the staffing table and ``extra`` (its keys in
    the order ``docs/plan-file.md`` gives; money is added by the caller)."""
    school, whole = inst.school, opts.deadline
    groups, present, parts, penalties = (grouped.groups, grouped.present, grouped.parts,
                                         grouped.penalties)
    parts.extend(p.as_dict() for p in staff.phases)
    penalties.extend(staff.penalties)
    status = overall_status(grouped.stats, staff)
    plan = Plan(status=status, groups=groups, duties=staff.duties, shortages=staff.shortages)
    plan.staffing = staffing_table(inst, groups, present)
    if rooms is not None:
        parts.append(rooms.stats["search"])
    penalties.sort(key=lambda p: (-p["cost"], p["text"]))
    plan.extra = {
        "school": school.name,
        "term": {"start": school.term.start.isoformat(), "end": school.term.end.isoformat()},
        "interrupted": opts.interrupted,
        "seed": opts.seed,
        "grouping": grouped.stats,
        "group_days_tolerance": tolerance_note,
        "parts": parts,
        "shortage_minutes_per_week": staff.shortage_minutes,
        "unfilled": Unfilled.of(staff).as_dict(),
        "staffing_source": staff.source,
        "objective_terms": staff.objective_terms,
        "paid_minutes": paid_minutes(inst, takers, groups, present, grouped.stats).as_dict(),
        "smallest_group": smallest_group(inst, takers, groups,
                                         grouped.smallest_bound).as_dict(),
        "penalties": penalties,
        **school_context(inst, {x.id: student_entry(x) for x in inst.enrolled}),
        # with the stages where the CPU clock decided (a rerun may differ there)
        "solve_stats": SolveStats.of(time.monotonic() - t0, opts.workers, opts.time_limit,
                                     whole, whole.elapsed()).as_dict(),
    }
    if rooms is not None:
        plan.extra.update(rooms.extra())
    return plan


class ManagersOnDuty:
    """Groups on duty per (day, session), and the manager minutes a week they need
    (M(peak) x window minutes over every day's duty windows): the paid-minutes tie-break
    after group-days. ``given(session, mine)`` prices one band's groups per day with the
    rest held."""

    def __init__(self, school):
        self.rules = school.rules
        self.sessions = {s.id: s for s in school.sessions}
        self.windows = {d: duty_windows(school.sessions, d) for d in WEEKDAYS}
        self.groups: dict[tuple[str, str], int] = defaultdict(int)

    def add(self, session: str, per_day: dict[str, int]) -> None:
        for d, n in per_day.items():
            self.groups[d, session] += n

    def minutes(self, groups) -> int:
        return sum(managers_for_window(w, self.sessions, {sid: groups.get((d, sid), 0)
                                                          for sid in w.sessions},
                                       self.rules) * w.minutes
                   for d, windows in self.windows.items() for w in windows)

    def given(self, session: str, mine: dict[str, int]):
        """Manager minutes as a function of this band's groups per day, which now has
        ``mine`` (the rest held as they are now)."""
        rest = defaultdict(int, self.groups)
        for d, n in mine.items():
            rest[d, session] -= n

        def managers(per_day: dict[str, int]) -> int:
            groups = defaultdict(int, rest)
            for d, n in per_day.items():
                groups[d, session] += n
            return self.minutes(groups)
        return managers



def student_entry(st) -> dict:
    """What a plan records of a student: name and class for the hand-outs, and the sign-up
    as it stands now (weekdays, lunch), which a later version's fees go by (SPEC §9)."""
    return {"name": st.name, "class": st.klass, "noon": list(st.noon),
            "afternoon": list(st.afternoon), "lunch": st.lunch}


def school_context(inst: Instance, students: dict[str, dict]) -> dict:
    """The keys of ``plan.extra`` the hand-outs read without the instance: language, cap,
    weekly limits, the term's calendar, sessions, and the people's names."""
    school = inst.school
    return {
        "language": school.language,
        "group_cap": school.rules.group_cap,
        "weekly_limits": {t.id: weekly_limit(inst, t) for t in inst.volunteers},
        "calendar": {d: [x.isoformat() for x in dates]
                     for d, dates in term_dates(school.term).items()},
        "sessions": {x.id: {"name": x.name, "start": fmt_time(x.start), "end": fmt_time(x.end),
                            "days": list(x.days), "signup": x.signup} for x in school.sessions},
        "people": {"staff": {t.id: {"name": t.name, "kind": t.kind} for t in inst.teachers},
                   "students": students},
    }

def _fewest_groups(session, students, cap: int) -> dict[str, int]:
    """ceil(students present / cap) per day of the session: the fewest groups it can have."""
    n = dict.fromkeys(session.days, 0)
    for st in students:
        for d in st.days(session.signup):
            if d in n:
                n[d] += 1
    return {d: math.ceil(v / cap) for d, v in n.items()}


def _session_bound(students, session, cap: int, opts: SolveOptions, det: float) -> int:
    """A lower bound on the session's group-days: at least sum over days of ceil(students
    present / cap), more where part-week patterns cannot share groups (``grouping.
    fewest_group_days``, a tiny model over weekday patterns)."""
    patterns: dict[tuple[str, ...], int] = defaultdict(int)
    for st in students:
        patterns[tuple(d for d in session.days if d in st.days(session.signup))] += 1
    return fewest_group_days(patterns, tuple(session.days), cap, opts, det)


def paid_minutes(inst: Instance, takers, groups: list[Group], present, grouping_stats
                 ) -> PaidMinutes:
    """Paid staff minutes a week: group-days x session minutes (one teacher per slot) and
    manager posts x window minutes, each with its lower bound (the group-days bound, and
    M(peak) of the fewest groups each day can have, ceil(n / cap): M only grows with c)."""
    school, rules = inst.school, inst.school.rules
    sessions = {s.id: s for s in school.sessions}
    group_min = sum(len(present.get((d, s.id), [])) * s.minutes
                    for s in school.sessions for d in s.days)
    bound_by = {g["session"]: g["group_days_bound"] for g in grouping_stats}
    group_bound = sum(bound_by.get(s.id, 0) * s.minutes for s in school.sessions)
    man_min = sum(managers_for_window(w, sessions, {sid: len(present.get((d, sid), []))
                                                    for sid in w.sessions}, rules) * w.minutes
                  for d in WEEKDAYS for w in duty_windows(school.sessions, d))
    man_bound = _fewest_paid_minutes(inst, takers)[1]
    total, bound = group_min + man_min, group_bound + man_bound
    return PaidMinutes(total, bound, relative_gap(total, bound), group_min, group_bound,
                       man_min, man_bound)


def smallest_group(inst: Instance, takers, groups: list[Group],
                   at_group_days: int | None = None) -> SmallestGroup:
    """The fewest students present in a group on a day it meets, and an upper bound no
    grouping can beat: on a session-day with n students and at least ceil(n / cap)
    groups, some group has at most floor(n / ceil(n / cap)). ``at_group_days``: the
    grouping's own bound with each session's (band's) group-days as planned
    (``grouping.day_structure``), reported as ``bound_at_group_days``."""
    by_id = {s.id: s for s in inst.students}
    sessions = {s.id: s for s in inst.school.sessions}
    cap = inst.school.rules.group_cap
    smallest, where = None, None
    for g in groups:
        s = sessions[g.session]
        for d in s.days:
            n = sum(1 for x in g.students if d in by_id[x].days(s.signup))
            if n and (smallest is None or n < smallest):
                smallest, where = n, f"{g.id} on {d}"
    bound, why = None, None
    for s in inst.school.sessions:
        n = defaultdict(int)
        for st in takers.get(s.id, []):
            for d in st.days(s.signup):
                n[d] += 1
        for d, v in n.items():
            b = v // math.ceil(v / cap)
            if bound is None or b < bound:
                bound, why = b, f"{v} students in {s.id} on {d}"
    return SmallestGroup(smallest, where, bound, why, at_group_days)


def _short_of_staff(inst: Instance, preps, extra: list[int], opts: SolveOptions,
                    budget: float, new_people: frozenset[str]) -> bool:
    """Whether the volunteers leave duties unfilled (or no answer in ``budget``) when the
    sessions have the group-days of their starts with ``extra`` more. First a necessary
    condition (their weekly limits add up to the minutes the fewest groups, their managers
    and the extra group-days need), then a coverage solve of that structure."""
    if _weekly_limits_short(inst, _takers(inst), preps, extra):
        return True
    present: dict[tuple[str, str], list[str]] = defaultdict(list)
    classes: dict[str, set[str]] = {}
    for band, ((s, _, prep), more) in enumerate(zip(preps, extra)):
        placement = prep.menu[min(more, len(prep.menu) - 1)]
        for u, where in zip(prep.units, placement):
            for g in where:
                gid = f"{s.id}-{band}-{g:02d}"
                classes.setdefault(gid, set()).add(u.klass)
                for d in u.days:
                    if gid not in present[d, s.id]:
                        present[d, s.id].append(gid)
    probe = assign_staff(inst, present, classes, opts, budget, new_people, coverage_only=True)
    return probe.shortage_minutes != 0


def _weekly_limits_short(inst: Instance, takers, preps, extra: list[int]) -> bool:
    """A necessary condition for staffing ``extra`` more group-days per session: the
    volunteers' weekly limits add up to the minutes the fewest groups (ceil(n / cap) per
    session-day), their managers and the extra group-days need."""
    need = _fewest_paid_minutes(inst, takers)[2]
    need += sum(s.minutes * more for (s, *_), more in zip(preps, extra))
    return need > sum(weekly_limit(inst, t) for t in inst.volunteers)


def _fewest_paid_minutes(inst: Instance, takers) -> tuple[int, int, int]:
    """Group minutes, manager minutes and their sum a week with the fewest groups each
    session-day can have, ceil(n / cap) (a lower bound: M only grows with c)."""
    school, rules = inst.school, inst.school.rules
    sessions = {s.id: s for s in school.sessions}
    fewest = defaultdict(int)
    for s in school.sessions:
        n = defaultdict(int)
        for st in takers.get(s.id, []):
            for d in st.days(s.signup):
                if d in s.days:
                    n[d] += 1
        for d, v in n.items():
            fewest[d, s.id] = math.ceil(v / rules.group_cap)
    group_min = sum(k * sessions[sid].minutes for (d, sid), k in fewest.items())
    man_min = sum(managers_for_window(w, sessions, {sid: fewest[d, sid] for sid in w.sessions},
                                      rules) * w.minutes
                  for d in WEEKDAYS for w in duty_windows(school.sessions, d))
    return group_min, man_min, group_min + man_min


def overall_status(grouping_stats: list[dict], staff) -> str:
    """OPTIMAL when every part is proved (groups at their bounds, staffing phases optimal);
    FEASIBLE otherwise. Grouping always has a plan (the constructive start) and staffing
    too (the greedy one), so a search that found nothing keeps them."""
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
