"""Volunteers into (day, session, slot, group) and managers into duty windows (SPEC §3–§4).

Input: the instance and, per (day, session), the groups present (from ``grouping``).
Output: teacher duties, manager duties and shortages, never a silent drop.

Model (CP-SAT), decomposed without loss for the hard rules: teachers are interchangeable
across the groups of one (day, session, slot), so the model decides *how many and who*:
``v[t, d, s, slot]`` (teacher t supervises some group then) and ``m[t, d, w]`` (t manages
window w on day d). Which group each chosen teacher takes is then a matching per slot
(``match_groups``), which can always be done and keeps the same teacher with a group across
the day's slots and the week where possible, and puts teachers with their own classes.

Hard rules (a variable exists only where the person volunteers and declared the time):
- per (d, s, slot): sum_t v + shortage = groups present; per (d, w): sum_t m + shortage =
  M(peak concurrent groups);
- one place at a time: at every moment a person is in at most one slot, and a manager
  supervises nothing in the window (the 16:20–16:35 overlap included);
- daily and weekly service minutes (manager duty counts), per-person weekly limit;
- no duty in two windows of one day (noon and afternoon) unless ``allow_double``.
Objectives (lexicographic, two phases): 1. fewest shortage minutes; 2. soft rules with named
penalty terms: fair load (convex, minutes above each hour of weekly load), duties outside a
person's preferred times, and teacher changes within a session-day (continuity).
Never empty-handed: where the coverage search finds no solution in its budget (a large
school on a short limit), it runs again from ``greedy_duties`` (scarcest duty first, to the
free person who could take fewest duties at all, every hard rule kept), given as a complete
hint; the second phase starts from the coverage answer with every variable hinted, so it
always has a solution.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from afterschool.models.instance import Instance
from afterschool.models.plan import Duty, Shortage
from afterschool.models.school import WEEKDAYS, fmt_time
from afterschool.scheduler.rules.availability import session_status, window_status
from afterschool.scheduler.planning.cpsat import PhaseResult, SolveOptions, solve_phase
from afterschool.scheduler.rules.staffing import duty_windows, managers_for_window

LOAD_STEP = 60  # minutes: the fairness penalty grows with every hour of weekly load


@dataclass
class Assignment:
    duties: list[Duty]
    shortages: list[Shortage]
    phases: list[PhaseResult]
    shortage_minutes: int
    penalties: list[dict] = field(default_factory=list)


def weekly_limit(inst: Instance, t) -> int:
    return t.max_weekly_minutes if t.max_weekly_minutes is not None else \
        inst.school.rules.max_weekly_minutes


def assign_staff(inst: Instance, present: dict[tuple[str, str], list[str]],
                 group_classes: dict[str, set[str]], opts: SolveOptions,
                 budget: float, new_people: frozenset[str] = frozenset(),
                 coverage_only: bool = False) -> Assignment:
    """``present[(day, session)]`` lists the groups on duty; returns duties and shortages.
    ``coverage_only``: just the first phase (all of ``budget``); only ``shortage_minutes``
    (-1: no answer in the budget) is filled in.
    ``new_people`` are hypothetical volunteers (``afterschool need``): after coverage the
    second phase uses as few of them as possible, then as few of their minutes."""
    school, rules = inst.school, inst.school.rules
    sessions = {s.id: s for s in school.sessions}
    m = cp_model.CpModel()
    v: dict[tuple[str, str, str, int], cp_model.IntVar] = {}
    mv: dict[tuple[str, str, str], cp_model.IntVar] = {}
    pref: dict[tuple, bool] = {}
    short: dict[tuple, cp_model.IntVar] = {}
    penalties_pref = []
    need_managers: dict[tuple[str, str], int] = {}
    windows_of_day = {d: duty_windows(school.sessions, d) for d in WEEKDAYS}
    window = {(d, w.id): w for d, ws in windows_of_day.items() for w in ws}
    vols = inst.volunteers
    has_pref = {t.id for t in vols if any(a.teacher == t.id and a.status == "preferred"
                                          for a in inst.availability)}
    for d in WEEKDAYS:
        for s in school.sessions:
            groups = present.get((d, s.id), [])
            if not groups:
                continue
            ok = {t.id: session_status(inst, t.id, d, s.id) for t in vols}
            for k, slot in enumerate(s.slots):
                here = []
                for t in vols:
                    if ok[t.id] != "unavailable" and slot.minutes <= rules.max_daily_minutes:
                        var = m.new_bool_var(f"v_{t.id}_{d}_{s.id}_{k}")
                        v[t.id, d, s.id, k] = var
                        pref[t.id, d, s.id, k] = ok[t.id] == "preferred"
                        here.append(var)
                        if t.id in has_pref and ok[t.id] != "preferred":
                            penalties_pref.append((slot.minutes, var, t.id, d, s.id, k))
                gap = m.new_int_var(0, len(groups), f"short_{d}_{s.id}_{k}")
                short[d, s.id, k] = gap
                m.add(sum(here) + gap == len(groups))
        for w in windows_of_day[d]:
            counts = {sid: len(present.get((d, sid), [])) for sid in w.sessions}
            need = managers_for_window(w, sessions, counts, rules)
            if not need:
                continue
            need_managers[d, w.id] = need
            here = []
            for t in vols:
                if window_status(inst, t.id, d, w) != "unavailable" and \
                        w.minutes <= rules.max_daily_minutes:
                    mv[t.id, d, w.id] = m.new_bool_var(f"m_{t.id}_{d}_{w.id}")
                    here.append(mv[t.id, d, w.id])
            gap = m.new_int_var(0, need, f"mshort_{d}_{w.id}")
            short[d, w.id, -1] = gap
            m.add(sum(here) + gap == need)
    # per person and day: one place at a time, daily limit, one window unless allowed
    by_td: dict[tuple[str, str], list[tuple[int, int, int, cp_model.IntVar, str]]] = defaultdict(list)
    for (t, d, sid, k), var in v.items():
        slot = sessions[sid].slots[k]
        by_td[t, d].append((slot.start, slot.end, slot.minutes, var, sid))
    for (t, d, wid), var in mv.items():
        w = window[d, wid]
        by_td[t, d].append((w.start, w.end, w.minutes, var, wid))
    loads = defaultdict(list)
    flags: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]] = []  # and the duties inside
    for (t, d), items in by_td.items():
        for p in sorted({a for a, *_ in items}):
            covering = [var for a, b, _, var, _ in items if a <= p < b]
            if len(covering) > 1:
                m.add(sum(covering) <= 1)
        m.add(sum(mins * var for _, _, mins, var, _ in items) <= rules.max_daily_minutes)
        loads[t].append(sum(mins * var for _, _, mins, var, _ in items))
        teacher = inst.teacher(t)
        if not teacher.allow_double and len(windows_of_day[d]) > 1:
            used = []
            for w in windows_of_day[d]:
                inside = [var for a, b, _, var, _ in items if w.start <= a and b <= w.end]
                if inside:
                    flag = m.new_bool_var(f"win_{t}_{d}_{w.id}")
                    for var in inside:
                        m.add_implication(var, flag)
                    used.append(flag)
                    flags.append((flag, inside))
            if len(used) > 1:
                m.add(sum(used) <= 1)
    load_vars = {}
    for t, parts in loads.items():
        load = m.new_int_var(0, weekly_limit(inst, inst.teacher(t)), f"load_{t}")
        m.add(load == sum(parts))
        load_vars[t] = load
    shortage_minutes = sum(_post(key, sessions, window).minutes * g for key, g in short.items())

    def greedy_hint() -> None:
        """Hint every variable with ``greedy_duties``' complete assignment."""
        demand = {key: len(present[key[0], key[1]]) if key[2] >= 0 else need_managers[key[:2]]
                  for key in short}
        quick = greedy_duties(inst, demand, set(v) | {(t, d, w, -1) for t, d, w in mv},
                              windows_of_day, window)
        on = {v[key].index if key in v else mv[key[:3]].index for key in quick}
        for var in [*v.values(), *mv.values()]:
            m.add_hint(var, var.index in on)
        taken: dict[tuple, int] = defaultdict(int)
        for _, *key in quick:
            taken[tuple(key)] += 1
        for key, gap in short.items():
            m.add_hint(gap, demand[key] - taken[key])
        for flag, inside in flags:
            m.add_hint(flag, any(var.index in on for var in inside))
        load: dict[str, int] = defaultdict(int)
        for (t, _), items in by_td.items():
            load[t] += sum(mins for _, _, mins, var, _ in items if var.index in on)
        for t, var in load_vars.items():
            m.add_hint(var, load[t])

    p1 = solve_phase(m, shortage_minutes, "staff coverage", opts,
                     budget if coverage_only else budget / 2, 0, required=True)
    if not p1.has_solution:  # a large school on a short limit: start again from a greedy plan
        greedy_hint()
        p1 = solve_phase(m, shortage_minutes, "staff coverage (from a greedy start)", opts,
                         budget / 4, 0, required=True)
    if coverage_only:
        return Assignment([], [], [p1], p1.objective if p1.has_solution else -1)
    phases = [p1]
    solver = p1.solver
    if p1.has_solution:
        m.add(shortage_minutes <= p1.objective)
        m.clear_hints()  # the coverage answer, completed below: a first solution at once
        for var in [*v.values(), *mv.values(), *short.values(), *load_vars.values(),
                    *(flag for flag, _ in flags)]:
            m.add_hint(var, solver.value(var))
        # soft rules
        excess = []
        for t, load in load_vars.items():
            for step in range(LOAD_STEP, weekly_limit(inst, inst.teacher(t)), LOAD_STEP):
                e = m.new_int_var(0, 600, f"over_{t}_{step}")
                m.add(e >= load - step)
                m.add_hint(e, max(0, solver.value(load) - step))
                excess.append(e)
        sessions_days = defaultdict(list)
        for (t, d, sid, k), var in v.items():
            sessions_days[t, d, sid].append(var)
        starts = []
        for key, vars_ in sessions_days.items():
            if len(vars_) > 1:
                on = m.new_bool_var(f"on_{key}")
                for var in vars_:
                    m.add_implication(var, on)
                m.add_hint(on, any(solver.value(var) for var in vars_))
                starts.append(on)
        non_pref = sum(mins * var for mins, var, *_ in penalties_pref)
        soft = 4 * sum(excess) + 2 * non_pref + 30 * sum(starts)
        name = "staff fairness"
        if new_people:  # fewest added people, then fewest added minutes, before fairness
            used = []
            for t in sorted(new_people & set(load_vars)):
                flag = m.new_bool_var(f"new_{t}")
                m.add(load_vars[t] <= 10_000 * flag)
                m.add_hint(flag, solver.value(load_vars[t]) > 0)
                used.append(flag)
            added = sum(load_vars[t] for t in new_people if t in load_vars)
            soft = 10_000_000 * sum(used) + 1_000 * added + soft
            name = "fewest new volunteers"
        p2 = solve_phase(m, soft, name, opts, budget / 2, required=bool(new_people))
        phases.append(p2)
        if p2.has_solution:
            solver = p2.solver
    if not any(p.has_solution for p in phases):
        return Assignment([], [], phases, -1)
    chosen = {key for key, var in v.items() if solver.value(var)}
    managers = sorted(key for key, var in mv.items() if solver.value(var))
    duties, shortages = match_groups(inst, present, chosen, group_classes)
    for (t, d, wid) in managers:
        w = window[d, wid]
        duties.append(Duty(day=d, start=fmt_time(w.start), end=fmt_time(w.end), staff=t,
                           role="manager", window=wid))
    for (d, wid), need in sorted(need_managers.items(), key=lambda kv: (WEEKDAYS.index(kv[0][0]),
                                                                         kv[0][1])):
        gap = solver.value(short[d, wid, -1])
        if gap:
            w = window[d, wid]
            shortages.append(Shortage(day=d, start=fmt_time(w.start), end=fmt_time(w.end),
                                      role="manager", window=wid, count=gap))
    penalties = []
    for mins, var, t, d, sid, k in penalties_pref:
        if solver.value(var):
            penalties.append({"rule": "outside preferred time", "cost": 2 * mins,
                              "text": f"{t} outside a preferred time on {d} {sid} "
                                      f"{fmt_time(sessions[sid].slots[k].start)}"})
    return Assignment(duties, shortages, phases, round(solver.value(shortage_minutes)),
                      penalties)


def _post(key: tuple, sessions: dict, window: dict):
    """The slot (``(day, session, k)``) or manager window (``(day, window, -1)``) of a post."""
    d, x, k = key
    return sessions[x].slots[k] if k >= 0 else window[d, x]


def greedy_duties(inst: Instance, demand: dict[tuple, int], allowed: set[tuple],
                  windows_of_day: dict, window: dict) -> set[tuple]:
    """A quick assignment that keeps every hard rule of the model: duties ``(t, d, s, k)``
    (slot k of session s) and ``(t, d, w, -1)`` (manager of window w), the scarcest first
    (fewest people allowed per post needed), each to the person ``allowed`` and still free
    then, within the daily, weekly and one-window limits, who could take fewest duties at
    all (the flexible are kept for later), then the least loaded. The coverage solve
    starts from it where it finds nothing on its own."""
    school, rules = inst.school, inst.school.rules
    sessions = {s.id: s for s in school.sessions}

    def span(key: tuple) -> tuple[int, int, int]:
        item = _post(key, sessions, window)
        return item.start, item.end, item.minutes

    who: dict[tuple, list[str]] = defaultdict(list)
    options: dict[str, int] = defaultdict(int)  # duties a person could take at all
    for t, *key in sorted(allowed):
        who[tuple(key)].append(t)
        options[t] += 1
    busy: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    daily: dict[tuple[str, str], int] = defaultdict(int)
    weekly: dict[str, int] = defaultdict(int)
    used: dict[tuple[str, str], set[str]] = defaultdict(set)  # windows a person works in
    limit = {t.id: weekly_limit(inst, t) for t in inst.volunteers}
    double = {t.id: t.allow_double for t in inst.volunteers}
    out = set()
    order = sorted(demand, key=lambda key: (len(who[key]) / max(demand[key], 1),
                                            WEEKDAYS.index(key[0]), span(key), key))
    for key in order:
        d = key[0]
        a, b, minutes = span(key)
        inside = {w.id for w in windows_of_day[d] if w.start <= a and b <= w.end}
        for _ in range(demand[key]):
            free = [t for t in who[key]
                    if (t, *key) not in out
                    and all(b <= a2 or b2 <= a for a2, b2 in busy[t, d])
                    and daily[t, d] + minutes <= rules.max_daily_minutes
                    and weekly[t] + minutes <= limit[t]
                    and (double[t] or len(windows_of_day[d]) < 2
                         or len(used[t, d] | inside) <= 1)]
            if not free:
                break
            t = min(free, key=lambda t: (options[t], weekly[t], t))
            out.add((t, *key))
            busy[t, d].append((a, b))
            daily[t, d] += minutes
            weekly[t] += minutes
            used[t, d] |= inside
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

                pairs = sorted((cost(t, g) for t in teachers for g in groups))
                taken_t, taken_g, now = set(), set(), {}
                for _, t, g in pairs:
                    if t not in taken_t and g not in taken_g:
                        taken_t.add(t)
                        taken_g.add(g)
                        now[t] = g
                for t, g in sorted(now.items()):
                    duties.append(Duty(day=d, start=fmt_time(slot.start), end=fmt_time(slot.end),
                                       staff=t, role="teacher", session=s.id, group=g,
                                       slot=slot.name))
                    history[t, s.id].add(g)
                for g in groups:
                    if g not in taken_g:
                        shortages.append(Shortage(day=d, start=fmt_time(slot.start),
                                                  end=fmt_time(slot.end), role="teacher",
                                                  session=s.id, group=g, count=1,
                                                  slot=slot.name))
                previous = {t: g for t, g in now.items()}
    return duties, shortages
