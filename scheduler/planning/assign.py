"""Volunteers into (day, session, slot, group) and managers into duty windows (SPEC §3–§4).

Input: the instance and, per (day, session), the groups present (from ``grouping``).
Output: teacher duties, manager duties and shortages, never a silent drop; the bounds on
unfilled posts and minutes (``stats.StaffBound``). Stages (``assign_staff``): the start and
the bounds (``_start``), the posts (``_search_posts``), the minutes (``_search_minutes``),
the soft terms (``_search_soft``), the answer decoded (``_decode``).

Model (CP-SAT), decomposed without loss for the hard rules: teachers are interchangeable
across the groups of one (day, session, slot), so the model decides *how many and who*:
``teach[t, d, s, k]`` (t supervises some group in slot k of session s on day d) and
``manage[t, d, w]`` (t manages window w on day d). Which group each chosen teacher takes is
then a matching per slot (``match_groups``), which can always be done and keeps the same
teacher with a group across the day's slots and the week where possible.

The model is built by one ordered list of rules (``RULES``), each an ``add_<rule>``
function on one ``StaffModel``: availability (variables exist only where a person
volunteers and declared the time: a domain, not a constraint), one place at a time, the
weekly limit (the domain of each person's load, and every calendar week the weekly sum does
not cover, e.g. one with a make-up day: ``rules.ledger.week_rows``), the daily limit, double duty (noon and
afternoon on one day only if allowed), the manager's whole window (nothing supervised
inside it), coverage (per post: people + unfilled = demand). No numeric cap is hidden:
every bound comes from the instance.

The objective is named terms, each reported by name with its value and cost
(``Assignment.objective_terms``), so the costs shown are the ones optimised; lexicographic,
each phase holding what the ones before reached:

1. ``unfilled posts`` alone (coverage and the hard rules, no minutes, no fairness), searched
   four ways (``_search_posts``), each stopping on reaching the proved bound;
2. ``unfilled minutes``, with the posts held;
3. the soft terms ``fair load`` (convex: minutes above each hour of a person's weekly load,
   up to that person's own limit), ``outside preferred time`` and ``teacher changes``
   (continuity), and for ``afterschool need`` first ``new volunteers`` and ``new volunteer
   minutes``.

The posts are searched four ways in turn: a short tree search (closes small schools at
once) and a short local search (fills every post of a large school with staff to spare:
the MIP spent 12 s on the 50,000-pupil school's model for that), then HiGHS's MIP search (``mip.solve_mip``): its cuts make the relaxation almost
exact (3,000 pupils: 71.5, the minimum 72; 6,000: 186.3, the minimum 187) and its sub-MIP
heuristics find the minimum where CP-SAT's searches do not (72 in about 2 CPU s; CP-SAT's
local search stalled at 74-75, and CP-SAT with eight interleaved workers at 75 after 12
deterministic seconds, with its full linear relaxation too); where the MIP proves nothing
in its time, CP-SAT's violation local search from the better answer so far (a good
assignment within a second on large schools, proving nothing). A model of ``MIP_FIRST`` to
``MIP_FIRST_MAX`` posts that a bound proves short of staff goes to the MIP at once
(``_mip_first``: the tree and quick searches cannot fill every post there). The MIP has a work budget
(HiGHS's MIP interrupt checks, ``MIP_CHECKS_PER_SECOND`` for each CPU second of
``MIP_SHARE`` of the limit) and may use what the staffing deadline leaves, less the later
phases' budget and the local search's part, as its backstop: on a school it cannot close
in that time it is cut by the clock (recorded) and keeps its bound.
Where HiGHS cannot take the model exactly, the local search and then a CP-SAT tree search
with its full linear relaxation (``linearization_level`` 2) take its place. The budget
(``SHARES``): 0.8 to the posts (a fifth of that to the first tree search, 5 % to the
short local search, 30 % kept for the last one, the MIP at least the rest), of the rest
30 % to the minutes (a fifth of
it to a tree search, then local search from its best: 3,000 pupils, 7,565 -> 7,185
minutes, the minimum 7,175) and the rest to the soft terms (at most 0.4 of the whole).

Never empty-handed: ``greedy_duties`` (scarcest post first, to the free person who could
take fewest posts, every hard rule kept by the person ledger, ``rules.ledger.Ledger``) is built first; the LP relaxation's solution,
rounded by the same rules (``guide``), is the start instead when it fills more posts. If no
search finds a solution in its budget (a large school on a short limit, Ctrl-C) the start
*is* the answer.

``unfilled_bound`` proves that no arrangement fills more: the per-post count (people
available) and a min-cost max-flow over managers, each able to take at most the windows
that fit in their weekly limit (most posts, then most minutes filled); the LP relaxation of
the same model (``cpsat.lp_bound``, GLOP: tens of milliseconds at 6,000 pupils), rounded
up, is usually stronger, as it counts every person's weekly and daily minutes. Once the
posts reach their bound the minutes are bounded too: by the flow, by the LP of the fewest
minutes with that few posts unfilled, and by the minutes search's own bound. HiGHS's
dual bound, rounded up, is the strongest (``MIP search (HiGHS)``: its cuts, or its branching). Measured on the
bench schools (``bench/run.py``): the LP bound is 67 on L, HiGHS's 72, the minimum, which
it also finds; M 47 and 48 (minimum 48); XL 181 and 186-187 (minimum 187).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from afterschool.models.instance import Instance
from afterschool.models.plan import Duty, Shortage
from afterschool.models.school import WEEKDAYS, fmt_time
from afterschool.scheduler.rules.availability import session_status, window_status
from afterschool.scheduler.planning.mip import solve_mip
from afterschool.scheduler.planning.stats import StaffBound
from afterschool.scheduler.planning.cpsat import (DET_PER_SECOND, LS_DET_PER_SECOND,
                                                  PhaseResult, SolveOptions, lp_bound,
                                                  solve_phase)
from afterschool.scheduler.rules.ledger import Ledger, add_daily_limit as add_daily, \
    add_manager_window as add_manager_clash, add_one_place, add_one_window, add_week_rows, \
    week_rows, weekly_limit
from afterschool.scheduler.rules.matching import match_slot, slot_rows
from afterschool.scheduler.rules.staffing import duty_windows, managers_for_window

LOAD_STEP = 60  # minutes: the fairness penalty grows with every hour of weekly load
# of the staffing budget: unfilled posts (a tree search with "tree" of their share, a local
# search with "quick" of it, the MIP with at least the rest but "local" of it, kept for a
# local search if the MIP proves nothing; once a MIP ran the whole share counts as spent),
# then of
# what is left unfilled minutes (a tree search with "tree" of it, then local search), the
# rest to the soft terms but at most this share of the whole (a school with nothing
# unfilled need not spend its whole limit on fairness)
SHARES = {"posts": 0.8, "tree": 0.2, "quick": 0.05, "local": 0.3, "minutes": 0.3,
          "soft": 0.4}
MIP_MIN = 0.05  # CPU seconds: below this the MIP search is not started
# posts of a plan's staffing model from which, when a bound proves some unfilled, HiGHS
# searches first (no tree or quick local search before it): bench L has 731 (3,818
# sign-ups), M 304, the bundled school 209; above the maximum (past ``solve.ANYTIME``'s
# 4,000 sign-ups) the short searches first keep the MIP off a huge model
MIP_FIRST, MIP_FIRST_MAX = 500, 800
# CPU seconds kept from the last staffing search's wall-clock backstop for what follows it
# in the staffing stage (CP-SAT's overrun of its wall limit, reading the answer, decoding
# the duties: the slot matching grows with the square of a slot's groups), this many
# times the square of the model's variables: bench/run.py X50 (about 10^5 variables, the
# decoding alone 9 CPU s) overran the stage's deadline by 5.6 s without it, XXL (2.4 x
# 10^4) decodes in 0.4 s (docs/benchmarks.md)
DECODE_SLACK = 1.5e-9
# HiGHS has no deterministic time: its work is counted in its MIP interrupt checks, which
# come at fixed points of its search, 14-48 a CPU second on the staffing models
# (bench/run.py L: 29 checks in 2.1 s, M: 31 in 0.6 s). The MIP may do the work of
# MIP_SHARE of the time limit at this rate (105 checks at the default 7 s: L proves its 72
# at 29, XL its 187 within them), or of its share of the staffing budget if more; the
# clock ends it earlier only as a backstop (recorded as a cut).
MIP_CHECKS_PER_SECOND = 25
MIP_SHARE = 0.6
LP_TOLERANCE = 1e-6  # relative: GLOP's optimum is exact to far less; a bound never overshoots
WEIGHTS = {"fair load": 4, "outside preferred time": 2, "teacher changes": 30,
           "new volunteers": 10_000_000, "new volunteer minutes": 1_000}


@dataclass
class Assignment:
    duties: list[Duty]
    shortages: list[Shortage]
    phases: list[PhaseResult]
    shortage_minutes: int  # unfilled minutes a week (> 0 whenever a post stays unfilled)
    penalties: list[dict] = field(default_factory=list)
    objective_terms: list[dict] = field(default_factory=list)  # name, value, weight, cost
    unfilled_posts: int = 0
    unfilled_bound: StaffBound | None = None  # the bounds (not filled in a coverage probe)
    source: str = "cp-sat"  # or "greedy" when no search found a solution in time


@dataclass
class Item:
    """One possible duty of a person on a day: its span, minutes, variable and place."""
    start: int
    end: int
    minutes: int
    var: cp_model.IntVar
    place: str  # session or window id
    manager: bool


@dataclass
class StaffModel:
    """The staffing model's variables and data, built once by the ``RULES`` in order."""
    inst: Instance
    present: dict[tuple[str, str], list[str]]
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    teach: dict[tuple[str, str, str, int], cp_model.IntVar] = field(default_factory=dict)
    manage: dict[tuple[str, str, str], cp_model.IntVar] = field(default_factory=dict)
    unfilled: dict[tuple[str, str, int], cp_model.IntVar] = field(default_factory=dict)
    demand: dict[tuple[str, str, int], int] = field(default_factory=dict)
    preferred_missed: list[tuple[int, cp_model.IntVar, tuple]] = field(default_factory=list)
    load: dict[str, cp_model.IntVar] = field(default_factory=dict)
    in_window: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]] = field(default_factory=list)
    hints: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        school = self.inst.school
        self.sessions = {s.id: s for s in school.sessions}
        self.windows_of_day = {d: duty_windows(school.sessions, d) for d in WEEKDAYS}
        self.window = {(d, w.id): w for d, ws in self.windows_of_day.items() for w in ws}
        self.limit = {t.id: weekly_limit(self.inst, t) for t in self.inst.volunteers}
        self.items: dict[tuple[str, str], list[Item]] = defaultdict(list)
        # calendar weeks the weekly sum does not cover (a make-up day's second Friday)
        self.rows = week_rows(school.term)

    def post_minutes(self, post: tuple[str, str, int]) -> int:
        return _post(post, self.sessions, self.window).minutes


def add_availability(sm: StaffModel) -> None:
    """A variable only where the person volunteers, declared the time, and the duty fits in
    one day's limit; posts with demand (groups present; M(peak) managers per window)."""
    inst, rules = sm.inst, sm.inst.school.rules
    has_pref = {a.teacher for a in inst.availability if a.status == "preferred"}
    declared = {(a.teacher, a.day) for a in inst.availability if a.status != "unavailable"}
    for d in WEEKDAYS:
        # nobody without a row that day is available then: skip them unasked
        vols = [t for t in inst.volunteers if (t.id, d) in declared]
        managers = [t for t in vols if t.can_manage]
        for s in inst.school.sessions:
            groups = sm.present.get((d, s.id), [])
            if not groups:
                continue
            status = {t.id: session_status(inst, t.id, d, s.id) for t in vols}
            for k, slot in enumerate(s.slots):
                sm.demand[d, s.id, k] = len(groups)
                for t in vols:
                    if status[t.id] == "unavailable" or slot.minutes > rules.max_daily_minutes:
                        continue
                    var = sm.model.new_bool_var(f"teach_{t.id}_{d}_{s.id}_{k}")
                    sm.teach[t.id, d, s.id, k] = var
                    sm.items[t.id, d].append(Item(slot.start, slot.end, slot.minutes, var,
                                                  s.id, False))
                    if t.id in has_pref and status[t.id] != "preferred":
                        sm.preferred_missed.append((slot.minutes, var, (t.id, d, s.id, k)))
        for w in sm.windows_of_day[d]:
            counts = {sid: len(sm.present.get((d, sid), [])) for sid in w.sessions}
            need = managers_for_window(w, sm.sessions, counts, rules)
            if not need:
                continue
            sm.demand[d, w.id, -1] = need
            for t in managers:
                if window_status(inst, t.id, d, w) != "unavailable" and \
                        w.minutes <= rules.max_daily_minutes:
                    var = sm.model.new_bool_var(f"manage_{t.id}_{d}_{w.id}")
                    sm.manage[t.id, d, w.id] = var
                    sm.items[t.id, d].append(Item(w.start, w.end, w.minutes, var, w.id, True))


def add_one_place_at_a_time(sm: StaffModel) -> None:
    """At every moment a person supervises at most one slot (16:20–16:35 included)."""
    for items in sm.items.values():
        add_one_place(sm.model, [(x, False, x.var) for x in items if not x.manager])


def add_weekly_limit(sm: StaffModel) -> None:
    """Each person's weekly service minutes (managing counts): the domain of their load."""
    per_person = defaultdict(list)
    for (t, _), items in sm.items.items():
        per_person[t] += items
    for t, items in per_person.items():
        load = sm.model.new_int_var(0, sm.limit[t], f"load_{t}")
        sm.model.add(load == sum(x.minutes * x.var for x in items))
        sm.load[t] = load
    add_week_rows(sm.model, {key: [(x.minutes, x.var) for x in items]
                             for key, items in sm.items.items()}, sm.limit, sm.rows)


def add_daily_limit(sm: StaffModel) -> None:
    """Each person's service minutes on one day (managing counts)."""
    for items in sm.items.values():
        add_daily(sm.model, [(x, x.manager, x.var) for x in items],
                  sm.inst.school.rules.max_daily_minutes)


def add_double_duty(sm: StaffModel) -> None:
    """Duty in at most one window of a day (noon or afternoon) unless ``allow_double``."""
    double = {t.id: t.allow_double for t in sm.inst.volunteers}
    for (t, d), items in sm.items.items():
        if not double[t]:
            sm.in_window += add_one_window(sm.model, [(x, x.manager, x.var) for x in items],
                                           sm.windows_of_day[d], f"{t}_{d}")


def add_manager_window(sm: StaffModel) -> None:
    """A manager is on duty for the whole window and supervises no group inside it."""
    for items in sm.items.values():
        add_manager_clash(sm.model, [(x, x.manager, x.var) for x in items])


def add_coverage(sm: StaffModel) -> None:
    """Per post: the people on it plus its unfilled count equal its demand."""
    on_post = defaultdict(list)
    for (t, d, sid, k), var in sm.teach.items():
        on_post[d, sid, k].append(var)
    for (t, d, wid), var in sm.manage.items():
        on_post[d, wid, -1].append(var)
    for post, need in sm.demand.items():
        gap = sm.model.new_int_var(0, need, f"unfilled_{'_'.join(map(str, post))}")
        sm.unfilled[post] = gap
        sm.model.add(sum(on_post[post]) + gap == need)


RULES = [add_availability, add_one_place_at_a_time, add_weekly_limit, add_daily_limit,
         add_double_duty, add_manager_window, add_coverage]


def build(inst: Instance, present: dict[tuple[str, str], list[str]]) -> StaffModel:
    """The hard rules, in the order of ``RULES``."""
    sm = StaffModel(inst, present)
    for rule in RULES:
        rule(sm)
    return sm


def term_unfilled_posts(sm: StaffModel):
    return sum(sm.unfilled.values())


def term_unfilled_minutes(sm: StaffModel):
    return sum(sm.post_minutes(p) * gap for p, gap in sm.unfilled.items())


def term_fair_load(sm: StaffModel):
    """Minutes above each hour of weekly load, summed (convex: the load spreads out)."""
    excess = []
    for t, load in sm.load.items():
        for step in range(LOAD_STEP, sm.limit[t], LOAD_STEP):
            e = sm.model.new_int_var(0, sm.limit[t] - step, f"over_{t}_{step}")
            sm.model.add(e >= load - step)
            sm.hints[e.index] = max(0, sm.hints.get(load.index, 0) - step)
            excess.append(e)
    return sum(excess)


def term_outside_preferred_time(sm: StaffModel):
    return sum(minutes * var for minutes, var, _ in sm.preferred_missed)


def term_teacher_changes(sm: StaffModel):
    """A person's session-days on duty where the session has several slots: a new teacher
    for each would mean more changes for the children."""
    by = defaultdict(list)
    for (t, d, sid, k), var in sm.teach.items():
        by[t, d, sid].append(var)
    starts = []
    for key, vars_ in by.items():
        if len(vars_) > 1:
            on = sm.model.new_bool_var(f"on_{'_'.join(key)}")
            for var in vars_:
                sm.model.add_implication(var, on)
            sm.hints[on.index] = int(any(sm.hints.get(v.index, 0) for v in vars_))
            starts.append(on)
    return sum(starts)


def _value(solver: cp_model.CpSolver | None, values: dict[int, int], expr) -> int:
    """``expr``'s value in the solver's answer, or else under ``values`` (index -> value)."""
    if solver is not None:
        return round(solver.value(expr))
    if isinstance(expr, int):
        return expr
    flat = cp_model.FlatIntExpr(expr)
    return flat.offset + sum(c * values.get(v.index, 0) for v, c in zip(flat.vars, flat.coeffs))


def assign_staff(inst: Instance, present: dict[tuple[str, str], list[str]],
                 group_classes: dict[str, set[str]], opts: SolveOptions,
                 budget: float, new_people: frozenset[str] = frozenset(),
                 coverage_only: bool = False) -> Assignment:
    """``present[(day, session)]`` lists the groups on duty; returns duties and shortages
    (always an assignment: the greedy one when no search finishes in ``budget`` det. s or
    before the deadline). ``budget`` is in deterministic seconds of the tree search
    (``DET_PER_SECOND``), i.e. ``budget / DET_PER_SECOND`` CPU seconds, shared out by
    ``SHARES``. ``coverage_only``: just the unfilled-posts phase (all of ``budget``, none
    when a bound already proves some post unfilled); only ``shortage_minutes`` is filled in
    (0 exactly when every post can be filled, as far as the budget's search found). ``new_people`` are hypothetical volunteers (``afterschool need``): after
    coverage the fairness phase uses as few of them as possible, then as few of their
    minutes.

    Stages, in order: the start and the bounds (``_start``), the unfilled posts
    (``_search_posts``), the unfilled minutes with the posts held (``_search_minutes``),
    the soft terms with both held (``_search_soft``), the answer decoded (``_decode``)."""
    opts.phase("staffing: greedy start")
    sm = build(inst, present)
    posts, minutes = term_unfilled_posts(sm), term_unfilled_minutes(sm)
    bound = _start(inst, sm, posts, opts)
    if coverage_only and bound.posts > 0:  # proved short: no search needed
        return Assignment([], [], [], _value(None, sm.hints, minutes))
    cpu = budget / DET_PER_SECOND  # what the budget stands for, shared by SHARES
    share = cpu * (1 if coverage_only else SHARES["posts"])
    # the MIP may run until the staffing deadline, less what the later phases are budgeted
    # (which they keep); a coverage probe (``afterschool need``) keeps to its share
    reserve = None if coverage_only else cpu - share
    values, proved, phases, spent = _search_posts(sm, posts, opts, share, reserve, bound)
    cpu = max(0.0, cpu - spent, reserve or 0.0)
    source = "cp-sat" if any(p.has_solution for p in phases) else "greedy"
    best_posts = _value(None, values, posts)
    if coverage_only:
        return Assignment([], [], phases, _value(None, values, minutes))
    values, spent, found = _search_minutes(sm, posts, minutes, opts, cpu, bound, best_posts,
                                           proved, values, phases)
    source = "cp-sat" if found else source
    cpu = max(0.0, cpu - spent)
    best_minutes = _value(None, values, minutes)
    if best_posts == bound.posts and best_minutes == bound.minutes:
        bound.credit("search")
    m = sm.model
    m.add(minutes <= best_minutes)
    values, terms, found = _search_soft(sm, opts, cpu, budget, new_people, values, phases)
    source = "cp-sat" if found else source
    return _decode(inst, sm, present, group_classes, values, terms, phases, best_posts,
                   best_minutes, bound, source)


def _start(inst: Instance, sm: StaffModel, posts, opts: SolveOptions) -> StaffBound:
    """The start every search begins from, hinted into the model: the greedy assignment
    (``greedy_duties``), or the LP relaxation rounded by the same rules where that fills
    more posts (the LP is solved only where the greedy start leaves posts unfilled, its
    optimum rounded up raising the bound). Returns the bound on unfilled posts."""
    m = sm.model
    allowed = set(sm.teach) | {(t, d, w, -1) for t, d, w in sm.manage}
    quick = greedy_duties(inst, sm.demand, allowed, sm.windows_of_day, sm.window)
    bound = unfilled_bound(sm)
    short = sum(sm.demand.values()) > len(quick)  # the greedy start leaves posts unfilled
    relaxed = _lp(m, posts, opts) if short else None
    if relaxed is not None:
        lp_posts = _round_up(relaxed[0])
        bound.proved(lp_posts, "LP relaxation")
        guide = {key: relaxed[1][var.index] for key, var in sm.teach.items()}
        guide.update({(*key, -1): relaxed[1][var.index] for key, var in sm.manage.items()})
        rounded = greedy_duties(inst, sm.demand, allowed, sm.windows_of_day, sm.window, guide)
        if len(rounded) > len(quick):  # more posts filled: the better start
            quick = rounded
    _hint_from(sm, quick)
    for var in (*sm.teach.values(), *sm.manage.values(), *sm.unfilled.values(),
                *sm.load.values(), *(flag for flag, _ in sm.in_window)):
        m.add_hint(var, sm.hints.get(var.index, 0))
    return bound


def _search_minutes(sm: StaffModel, posts, minutes, opts: SolveOptions, cpu: float,
                    bound: StaffBound, best_posts: int, proved: bool,
                    values: dict[int, int], phases: list[PhaseResult]
                    ) -> tuple[dict[int, int], float, bool]:
    """The unfilled posts held at ``best_posts`` (the bound raised to them where the
    search proved them), the fewest unfilled minutes: bounded below by the LP of the
    fewest minutes with so few posts unfilled, searched by a short tree search and then
    local search from its best, ``SHARES["minutes"]`` of ``cpu``. Returns the values, the
    CPU seconds spent and whether a search found the answer."""
    m = sm.model
    found = False
    if proved:  # the posts reached a bound: the search proved it minimal
        bound.proved(best_posts, "search")
    m.add(posts <= best_posts)
    floor = _lp(m, minutes, opts) if best_posts else None
    floor = 0 if floor is None else max(0, _round_up(floor[0]))  # fewest
    # minutes with so few posts unfilled
    if best_posts == bound.posts:
        bound.minutes = max(bound.minutes_if_posts_at_bound, floor)
    spent = 0.0
    if best_posts:  # with every post filled no minute is (at 50,000 pupils the searches
        # took 10 s to start from that answer). A short tree search (it proves small cases),
        # then local search from its best: from the MIP's posts the tree search left L's
        # minutes at 7,565 where the minimum is 7,175; the local search reaches 7,185 in
        # 0.35 CPU s
        _hint_all(sm, lambda var: values[var.index])
        share = cpu * SHARES["minutes"]
        p1b = solve_phase(m, minutes, "staff minutes", opts,
                          share * SHARES["tree"] * DET_PER_SECOND, floor)
        spent = p1b.det_time / DET_PER_SECOND
        phases.append(p1b)
        if p1b.has_solution:
            found = True
            values = _answer(sm, p1b.solver)
            if best_posts == bound.posts:
                bound.minutes = max(bound.minutes, p1b.bound)
        if p1b.status != "OPTIMAL":
            _hint_all(sm, lambda var: values[var.index])
            values, used, better = _improve_locally(
                sm, minutes, "staff minutes: local search", opts, max(0.0, share - spent),
                max(floor, bound.minutes), values, phases)
            spent += used
            if better:
                found = True
    return values, spent, found


def _search_soft(sm: StaffModel, opts: SolveOptions, cpu: float, budget: float,
                 new_people: frozenset[str], values: dict[int, int],
                 phases: list[PhaseResult]) -> tuple[dict[int, int], dict, bool]:
    """With the posts and minutes held, the soft terms (``WEIGHTS``; for ``need`` the new
    volunteers and their minutes first) from ``values``, with the CPU seconds left but at
    most ``SHARES["soft"]`` of ``budget``. Returns the values, the terms by name and
    whether the search found the answer."""
    m = sm.model
    m.clear_hints()
    sm.hints = dict(values)
    terms = {"fair load": term_fair_load(sm),
             "outside preferred time": term_outside_preferred_time(sm),
             "teacher changes": term_teacher_changes(sm)}
    name = "staff fairness"
    if new_people:  # fewest added people, then fewest added minutes, before fairness
        used = []
        for t in sorted(new_people & set(sm.load)):
            flag = m.new_bool_var(f"new_{t}")
            m.add(sm.load[t] <= sm.limit[t] * flag)
            sm.hints[flag.index] = int(values.get(sm.load[t].index, 0) > 0)
            used.append(flag)
        terms = {"new volunteers": sum(used),
                 "new volunteer minutes": sum(sm.load[t] for t in new_people if t in sm.load),
                 **terms}
        name = "fewest new volunteers"
    for var in _all_vars(sm):
        m.add_hint(var, sm.hints.get(var.index, 0))
    soft = sum(WEIGHTS[k] * e for k, e in terms.items())
    # the wall-clock backstop leaves the staffing stage's deadline room for what follows
    # this last search (DECODE_SLACK)
    size = len(m.proto.variables)
    p2 = solve_phase(m, soft, name, opts, min(cpu * DET_PER_SECOND, SHARES["soft"] * budget),
                     required=bool(new_people), slack=DECODE_SLACK * size * size)
    phases.append(p2)
    if p2.has_solution:
        return _answer(sm, p2.solver), terms, True
    return {var.index: sm.hints.get(var.index, 0) for var in _all_vars(sm)}, terms, False


def _decode(inst: Instance, sm: StaffModel, present, group_classes, values: dict[int, int],
            terms: dict, phases: list[PhaseResult], best_posts: int, best_minutes: int,
            bound: StaffBound, source: str) -> Assignment:
    """The answer as duties (teachers matched to groups by ``match_groups``, managers per
    window), shortages, the named objective terms with their values, and the penalties."""
    on = {i for i, x in values.items() if x}
    chosen = {key for key, var in sm.teach.items() if var.index in on}
    managers = sorted(key for key, var in sm.manage.items() if var.index in on)
    duties, shortages = match_groups(inst, present, chosen, group_classes)
    for (t, d, wid) in managers:
        w = sm.window[d, wid]
        duties.append(Duty(day=d, start=fmt_time(w.start), end=fmt_time(w.end), staff=t,
                           role="manager", window=wid))
    for (d, wid, k), need in sorted(sm.demand.items(), key=lambda kv: (
            WEEKDAYS.index(kv[0][0]), kv[0][1])):
        gap = values[sm.unfilled[d, wid, k].index]
        if k < 0 and gap:
            w = sm.window[d, wid]
            shortages.append(Shortage(day=d, start=fmt_time(w.start), end=fmt_time(w.end),
                                      role="manager", window=wid, count=gap))
    objective_terms = [
        {"term": "unfilled posts", "phase": 1, "value": best_posts, "bound": bound.posts},
        {"term": "unfilled minutes", "phase": 1, "value": best_minutes,
         "bound": bound.minutes}]
    for k, e in terms.items():
        v = _value(None, values, e)
        objective_terms.append({"term": k, "phase": 2, "value": v, "weight": WEIGHTS[k],
                                "cost": WEIGHTS[k] * v})
    return Assignment(duties, shortages, phases, best_minutes,
                      _penalties(sm, values), objective_terms, best_posts, bound, source)


def _search_posts(sm: StaffModel, posts, opts: SolveOptions, share: float,
                  reserve: float | None, bound: StaffBound
                  ) -> tuple[dict[int, int], bool, list[PhaseResult], float]:
    """The fewest unfilled posts from the model's hints (the greedy or LP start): a tree
    search (closes small schools at once), a short local search (reaches the bound on a
    large school with staff to spare), neither where ``_mip_first``; then HiGHS's MIP
    search (``mip.solve_mip``: it finds and proves the minimum on schools up to 3,000
    pupils); where that proves nothing (after the tree search, where the MIP went first),
    CP-SAT's local search from the better answer so far (a good assignment fast on a
    large school, proves nothing). The local search's part of ``share`` (CPU seconds) is
    kept for it; the MIP has the rest of the share or, if more, what the deadline leaves
    less ``reserve`` (``reserve`` None: the share only). Where HiGHS cannot take the model,
    the local search and then a CP-SAT tree search with its full linear relaxation.
    Returns every variable's value (by proto index), whether the posts are proved minimal,
    the phases and the CPU seconds spent; raises ``bound`` where a search proved more."""
    m = sm.model
    phases: list[PhaseResult] = []
    spent = 0.0
    values = _answer(sm, None)  # the start
    first = _mip_first(sm, reserve, bound)
    if not first:
        tree = solve_phase(m, posts, "staff coverage", opts,
                           share * SHARES["tree"] * DET_PER_SECOND, bound.posts, required=True)
        phases.append(tree)
        spent = tree.det_time / DET_PER_SECOND
        values = _answer(sm, tree.solver if tree.has_solution else None)
        if tree.status == "OPTIMAL":
            return values, True, phases, spent
        # a short local search first: on a large school with posts to spare it reaches the
        # bound (50,000 pupils: all posts filled) where the MIP would spend seconds on a
        # huge model
        if tree.has_solution:
            _hint_all(sm, lambda var: values[var.index])
        values, used, _ = _improve_locally(sm, posts, "staff coverage: quick local search",
                                           opts, share * SHARES["quick"], bound.posts, values,
                                           phases)
        spent += used
        if _value(None, values, posts) <= bound.posts:
            return values, True, phases, spent
    local = share * SHARES["local"]  # CPU seconds kept for the local search
    seconds = share - spent - local
    work = seconds  # the MIP's deterministic budget, in CPU seconds of the reference machine
    if reserve is not None and opts.deadline is not None:
        work = max(seconds, MIP_SHARE * opts.time_limit)
        seconds = max(seconds, opts.deadline.left() - reserve - local)  # the clock's backstop
    mip = None
    opts.phase("staff coverage: MIP (HiGHS)")
    if seconds > MIP_MIN and not opts.out_of_time():
        mip = solve_mip(m, posts, seconds, opts, bound.posts,
                        max(1, round(work * MIP_CHECKS_PER_SECOND)))
    elif reserve is not None and opts.deadline is not None:
        opts.deadline.cut()  # what the deadline left decided: no time for the MIP
    if mip is not None:
        # counted as the whole share, whatever the clock says: the later phases then have
        # the reserve, the same on every run
        spent = max(spent, share)
        if mip.by_time and opts.deadline is not None:
            opts.deadline.cut()  # the clock, not HiGHS's proof, ended it
        phases.append(PhaseResult("staff coverage: MIP (HiGHS)",
                                  "OPTIMAL" if mip.optimal else
                                  "FEASIBLE" if mip.values is not None else "UNKNOWN",
                                  mip.objective, mip.bound, mip.seconds))
        if mip.bound is not None:  # where it proved more
            bound.proved(mip.bound, "MIP search (HiGHS)")
        if mip.values is not None and mip.objective < _value(None, values, posts):
            values = dict(enumerate(mip.values))
    if _value(None, values, posts) <= bound.posts:
        return values, True, phases, spent
    if first:  # HiGHS went first and proved nothing: the skipped tree search, from the
        # start, gives the local search a better place to begin (L cut on a 2x clock: 80
        # unfilled from there, 90 from the start)
        tree = solve_phase(m, posts, "staff coverage", opts,
                           local * SHARES["tree"] * DET_PER_SECOND, bound.posts)
        phases.append(tree)
        used = tree.det_time / DET_PER_SECOND
        spent, local = spent + used, max(0.0, local - used)
        if tree.has_solution and tree.objective < _value(None, values, posts):
            values = _answer(sm, tree.solver)
    _hint_all(sm, lambda var: values[var.index])
    values, used, _ = _improve_locally(sm, posts, "staff coverage: local search", opts, local,
                                       bound.posts, values, phases)
    spent += used
    if mip is None and seconds > MIP_MIN and _value(None, values, posts) > bound.posts:
        # HiGHS could not take the model: a tree search with CP-SAT's full linear relaxation
        _hint_all(sm, lambda var: values[var.index])
        proof = solve_phase(m, posts, "staff coverage: proof", opts,
                            max(0.0, share - spent) * DET_PER_SECOND, bound.posts,
                            tuning={"linearization_level": 2})
        spent += proof.det_time / DET_PER_SECOND
        phases.append(proof)
        if proof.has_solution:
            bound.proved(proof.bound, "search")  # where it proved more than the LP
            if proof.objective < _value(None, values, posts):
                values = _answer(sm, proof.solver)
    return values, _value(None, values, posts) <= bound.posts, phases, spent


def _mip_first(sm: StaffModel, reserve: float | None, bound: StaffBound) -> bool:
    """Whether the plan's staffing goes to the MIP at once: a model of ``MIP_FIRST`` posts
    or more (up to ``MIP_FIRST_MAX``) that a bound already proves short of staff, where the
    tree and quick local searches cannot reach that bound by filling every post and did
    not reach HiGHS's minimum (measured: docs/benchmarks.md)."""
    posts = sum(sm.demand.values())
    return reserve is not None and bound.posts > 0 and MIP_FIRST <= posts <= MIP_FIRST_MAX


def _improve_locally(sm: StaffModel, objective, name: str, opts: SolveOptions, cpu: float,
                     lower_bound: int | None, values: dict[int, int],
                     phases: list[PhaseResult]) -> tuple[dict[int, int], float, bool]:
    """CP-SAT's local search on ``objective`` from the model's hints for ``cpu`` seconds
    (its deterministic rate), its phase appended to ``phases``: ``values`` or, if better,
    its answer; the CPU seconds it stands for; whether it was better."""
    ls = solve_phase(sm.model, objective, name, opts, cpu * LS_DET_PER_SECOND, lower_bound,
                     local_search=True)
    phases.append(ls)
    better = ls.has_solution and ls.objective < _value(None, values, objective)
    return (_answer(sm, ls.solver) if better else values), \
        ls.det_time / LS_DET_PER_SECOND, better


def _answer(sm: StaffModel, solver: cp_model.CpSolver | None) -> dict[int, int]:
    """Every variable's value in a search's answer, or in the hints when it found none."""
    return {var.index: _value(solver, sm.hints, var) for var in _all_vars(sm)}


def _lp(model: cp_model.CpModel, objective, opts: SolveOptions):
    """``cpsat.lp_bound`` with a backstop of a tenth of what the deadline leaves (GLOP needs
    far less); None when no time is left, or when the backstop ended it (a cut: the clock
    decided)."""
    if opts.out_of_time():
        return None
    seconds = 5.0 if opts.deadline is None else max(0.05, opts.deadline.left() * 0.1)
    relaxed = lp_bound(model, objective, seconds)
    if relaxed is None and opts.deadline is not None:
        opts.deadline.cut()
    return relaxed


def _round_up(value: float) -> int:
    """An LP optimum as an integer bound: up, unless within GLOP's accuracy of below."""
    return math.ceil(value - LP_TOLERANCE * max(1.0, abs(value)))


def _hint_all(sm: StaffModel, value) -> None:
    """Replace the model's hints: every variable at ``value(var)`` (a phase's answer)."""
    sm.model.clear_hints()
    for var in _all_vars(sm):
        sm.model.add_hint(var, value(var))


def _all_vars(sm: StaffModel) -> list[cp_model.IntVar]:
    return [sm.model.get_int_var_from_proto_index(i)
            for i in range(len(sm.model.proto.variables))]


def _hint_from(sm: StaffModel, quick: set[tuple]) -> None:
    """Every variable's value in the greedy assignment ``quick``."""
    on = {sm.teach[key].index if key in sm.teach else sm.manage[key[:3]].index
          for key in quick}
    h = sm.hints
    for var in (*sm.teach.values(), *sm.manage.values()):
        h[var.index] = int(var.index in on)
    taken: dict[tuple, int] = defaultdict(int)
    for _, *key in quick:
        taken[tuple(key)] += 1
    for post, gap in sm.unfilled.items():
        h[gap.index] = sm.demand[post] - taken[post]
    for flag, inside in sm.in_window:
        h[flag.index] = int(any(var.index in on for var in inside))
    load: dict[str, int] = defaultdict(int)
    for (t, _), items in sm.items.items():
        load[t] += sum(x.minutes for x in items if x.var.index in on)
    for t, var in sm.load.items():
        h[var.index] = load[t]


def unfilled_bound(sm: StaffModel) -> StaffBound:
    """A lower bound on unfilled posts that no arrangement can beat: per post, the demand
    above the people available for it; for manager posts together, the demand above a
    maximum flow from managers (each able to take at most the windows that fit in their
    weekly limit, one a day unless double duty is allowed) to the windows they are
    available for."""
    from ortools.graph.python import min_cost_flow

    avail = defaultdict(int)
    for (t, d, sid, k) in sm.teach:
        avail[d, sid, k] += 1
    for (t, d, wid) in sm.manage:
        avail[d, wid, -1] += 1
    per_post = {p: max(0, need - avail[p]) for p, need in sm.demand.items()}
    teacher_posts = sum(n for p, n in per_post.items() if p[2] >= 0)
    manager_posts = sum(n for p, n in per_post.items() if p[2] < 0)
    posts_m = [p for p in sm.demand if p[2] < 0]
    flow_short = flow_minutes = 0
    if posts_m:
        capacity: dict[str, int] = {}
        options = defaultdict(list)
        for (t, d, wid) in sm.manage:
            options[t].append((d, wid))
        double = {t.id: t.allow_double for t in sm.inst.volunteers}
        daily = sm.inst.school.rules.max_daily_minutes
        for t, wins in options.items():
            best_per_day: dict[str, list[int]] = defaultdict(list)
            for d, wid in wins:
                best_per_day[d].append(sm.window[d, wid].minutes)
            mins = []
            for d, ms in best_per_day.items():
                ms.sort()
                if double[t]:
                    run_total = 0
                    for x in ms:  # as many of the day's windows as fit in a day
                        if run_total + x <= daily:
                            mins.append(x)
                            run_total += x
                else:
                    mins.append(ms[0])
            mins.sort()
            total, count = 0, 0
            for x in mins:  # the most windows their weekly limit allows: shortest first
                if total + x > sm.limit[t]:
                    break
                total, count = total + x, count + 1
            capacity[t] = count
        people = sorted(capacity)
        node = {("s",): 0, ("t",): 1}
        for t in people:
            node[("p", t)] = len(node)
        for p in posts_m:
            node[("w", p)] = len(node)
        # most posts filled, then most minutes: a min-cost max-flow, costs = -minutes
        g = min_cost_flow.SimpleMinCostFlow()
        for t in people:
            g.add_arc_with_capacity_and_unit_cost(0, node["p", t], capacity[t], 0)
            for d, wid in options[t]:
                if (d, wid, -1) in sm.demand:
                    g.add_arc_with_capacity_and_unit_cost(
                        node["p", t], node["w", (d, wid, -1)], 1, -sm.window[d, wid].minutes)
        for p in posts_m:
            g.add_arc_with_capacity_and_unit_cost(node["w", p], 1, sm.demand[p], 0)
        total = sum(sm.demand[p] for p in posts_m)
        g.set_node_supply(0, total)
        g.set_node_supply(1, -total)
        g.solve_max_flow_with_min_cost()
        filled = sum(g.flow(a) for a in range(g.num_arcs()) if g.head(a) == 1)
        flow_short = sum(sm.demand[p] for p in posts_m) - filled
        flow_minutes = sum(sm.demand[p] * sm.post_minutes(p) for p in posts_m) + g.optimal_cost()
    posts = teacher_posts + max(manager_posts, flow_short)
    teacher_minutes = sum(n * sm.post_minutes(p) for p, n in per_post.items() if p[2] >= 0)
    # valid for the minutes once the posts are at this bound (the flow's first objective)
    count_minutes = sum(n * sm.post_minutes(p) for p, n in per_post.items() if p[2] < 0)
    minutes = teacher_minutes + (flow_minutes if flow_short >= manager_posts else count_minutes)
    return StaffBound(posts, max(manager_posts, flow_short), minutes,
                      ["count of people available per post",
                       "manager capacity (min-cost max-flow)"])


def _penalties(sm: StaffModel, values: dict[int, int]) -> list[dict]:
    """The phase-2 terms, itemised: per person and per duty, with their costs."""
    out = []
    for minutes, var, (t, d, sid, k) in sm.preferred_missed:
        if values.get(var.index):
            out.append({"rule": "outside preferred time",
                        "cost": WEIGHTS["outside preferred time"] * minutes,
                        "text": f"{t} outside a preferred time on {d} {sid} "
                                f"{fmt_time(sm.sessions[sid].slots[k].start)}"})
    for t, load in sm.load.items():
        v = values.get(load.index, 0)
        over = sum(max(0, v - step) for step in range(LOAD_STEP, sm.limit[t], LOAD_STEP))
        if over and v > 2 * LOAD_STEP:
            out.append({"rule": "fair load", "cost": WEIGHTS["fair load"] * over,
                        "text": f"{t} carries {v} min/week"})
    return out


def _post(key: tuple, sessions: dict, window: dict):
    """The slot (``(day, session, k)``) or manager window (``(day, window, -1)``) of a post."""
    d, x, k = key
    return sessions[x].slots[k] if k >= 0 else window[d, x]


def greedy_duties(inst: Instance, demand: dict[tuple, int], allowed: set[tuple],
                  windows_of_day: dict, window: dict,
                  guide: dict[tuple, float] | None = None) -> set[tuple]:
    """A quick assignment that keeps every hard rule of the model: duties ``(t, d, s, k)``
    (slot k of session s) and ``(t, d, w, -1)`` (manager of window w), the scarcest first
    (fewest people allowed per post needed), each to the person ``allowed`` and still free
    then, within the daily, weekly and one-window limits, who could take fewest duties at
    all (the flexible are kept for later), then the least loaded. The coverage solve
    starts from it where it finds nothing on its own.

    ``guide`` (duty -> value in [0, 1], the LP relaxation's solution) rounds instead: the
    duties by falling value (the shortest post first among equals) are taken while they
    fit, then the order above fills what is left."""
    school = inst.school
    sessions = {s.id: s for s in school.sessions}

    def span(key: tuple) -> tuple[int, int, int]:
        item = _post(key, sessions, window)
        return item.start, item.end, item.minutes

    who: dict[tuple, list[str]] = defaultdict(list)
    options: dict[str, int] = defaultdict(int)  # duties a person could take at all
    for t, *key in sorted(allowed):
        who[tuple(key)].append(t)
        options[t] += 1
    ledger = Ledger(inst, week_rows(school.term))
    weekly = ledger.weekly
    left = dict(demand)
    out = set()

    def take(t: str, key: tuple) -> None:
        """``t`` takes a place on post ``key`` if one is left and every rule allows it."""
        if left[key] and (t, *key) not in out and \
                ledger.take(t, key[0], _post(key, sessions, window)):
            left[key] -= 1
            out.add((t, *key))

    if guide:
        for duty in sorted((x for x in guide if guide[x] > 1e-6),
                           key=lambda x: (-round(guide[x], 6), span(x[1:])[2], x)):
            take(duty[0], duty[1:])
    order = sorted(demand, key=lambda key: (len(who[key]) / max(demand[key], 1),
                                            WEEKDAYS.index(key[0]), span(key), key))
    for key in order:
        # taking a post changes only the taker's state, so the others' order and
        # eligibility stay as they were (the same as choosing afresh each time)
        for t in sorted(who[key], key=lambda t: (options[t], weekly[t], t)):
            if not left[key]:
                break
            take(t, key)
    return out


def match_groups(inst: Instance, present: dict[tuple[str, str], list[str]],
                 chosen: set[tuple[str, str, str, int]], group_classes: dict[str, set[str]]
                 ) -> tuple[list[Duty], list[Shortage]]:
    """Give each chosen teacher a group in their slot; uncovered groups become shortages.

    Preference, in order: the group the teacher had in the previous slot of the same
    session-day, a group the teacher had on an earlier day, a group holding the teacher's
    own classes; ties by ids, so the result is deterministic.
    """
    duties, shortages = [], []
    history: dict[tuple[str, str], set[str]] = defaultdict(set)  # (teacher, session) -> groups
    own = {t.id: set(t.classes) for t in inst.teachers}
    for d in WEEKDAYS:
        for s in inst.school.sessions:
            groups = present.get((d, s.id), [])
            if not groups:
                continue
            previous: dict[str, str] = {}
            for k, slot in enumerate(s.slots):
                teachers = sorted(t for (t, dd, sid, kk) in chosen
                                  if dd == d and sid == s.id and kk == k)

                def cost(t: str, g: str) -> tuple[int, str, str]:
                    c = 0 if previous.get(t) == g else (
                        1 if g in history[t, s.id] else (2 if own[t] & group_classes[g] else 3))
                    return c, t, g

                now = match_slot(teachers, groups, cost)
                for t, g in now.items():
                    history[t, s.id].add(g)
                done, short = slot_rows(d, s, slot, now, groups)
                duties += done
                shortages += short
                previous = dict(now)
    return duties, shortages
