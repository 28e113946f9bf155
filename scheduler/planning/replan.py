"""Re-plan from a date with as little change as the rules allow (SPEC §9, 动态管理).

Input: the edited instance (withdrawals, new enrolments, changed sign-ups, availability or
staff), the previous plan (its current version and history) and a service date ``DATE``.
Output: a ``Replan``: the new ``Plan`` (current version valid from DATE, the previous current
version appended to ``history`` with ``valid_to`` = the day before DATE, term money over every
version, ``extra`` as ``solve`` writes it plus ``replan`` statistics, ``stats.ReplanStats``)
and the list of changes (students moved, added, withdrawn; duties changed; who must be
told). Covers dated from DATE
follow the absences they record (``covers.carry_covers``): kept where the duty is unchanged
and the cover may still take it, found again otherwise (or a dated shortage).

Who is named by a change, per session: a student in a group of the previous version who is no
longer enrolled there (withdrawn, sign-up dropped, grade moved to another session) leaves; a
student enrolled now and in no group of the session is new; a student whose class or weekdays
in the session changed (compared with the previous plan's ``people``) is placed afresh. Every
other student is *continuing*: moving one counts as a move.

The model is ONE CP-SAT model over groups and staff together (``ReplanModel``), hinted with
the previous plan kept as far as the rules allow (``greedy_start``):
- groups, counted not listed: continuing students of one (group, class, weekdays) form a
  *keep unit* with ``keep[u]`` of them staying; the rest and the named students of one
  (class, weekdays) form a *pool* whose counts ``x[p, h]`` go to candidate groups h (old
  groups holding that class or grade, or new groups); ``a[h, d]`` says group h is present on
  day d (load <= cap * a, load >= a);
- staff as ``assign`` states it: ``v[t, d, s, k]`` (t supervises some group in slot k) with
  ``sum v + short == groups present``, ``m[t, d, w]`` managers with ``sum m + short ==
  M(peak concurrent groups)`` (peak and M through max and element constraints, so managers
  follow the groups the model forms; clubs meeting beside them, ``inst.club_groups``, count
  as groups: SPEC §12), one place at a time (the 16:20–16:35 overlap and
  manager windows included), daily and weekly limits (the weekly one also in every
  calendar week the weekly sum does not cover: ``DATE``'s week with the minutes served on
  its earlier dates under the previous version, and weeks with a make-up day;
  ``rules.ledger.week_rows``), no noon and afternoon on one day unless allowed; only
  volunteers, only where they declared the time;
- stability: ``kept[j]`` for each previous teacher duty j = (t, d, s, k, g) whose person
  may still take it: t is in that slot and g is present; it binds t to g when the chosen
  teachers are matched to groups afterwards. A previous manager duty is kept when ``m`` is 1.
Objective, lexicographic by weights computed from each term's upper bound: unfilled posts,
then unfilled minutes (coverage as ``plan`` counts it); continuing students moved; previous
duties not kept; group-days; then new (class, group) pairs and named students not back in
their old group. The unfilled posts are searched first, alone (a tenth of the budget for a
tree search, a quarter for CP-SAT's local search, in parts, stopping when a part fills
no more; never less than ``--pin duties`` covers: a search of a copy with the pins, 0.1),
and held, then the unfilled minutes by local search (0.1); a local search on the previous duties
not kept (0.2 in up to four rounds, each from the one before while it keeps more) walks
back the duties that search moved needlessly (every fraction here: ``BUDGET``, a
``budget.ReplanBudget``); then two searches of the whole objective, 0.08 of the budget each (when
the CPU clock runs short, coverage stops by 0.55 of the time left and the walk-back by
0.8, so every stage gets its turn; with ``--pin duties`` the pinned run has half): first with every keep unit fixed (no continuing student moves;
small, and quick from the start), then with moves allowed, hinted with the first answer,
so allowing moves can only improve the objective. ``--pin groups`` keeps the first answer
(and the
second is what the pin costs); ``--pin duties`` fixes every previous duty of a person who can
still hold all of them (within the new limits) whole, its group meeting that day, wherever
continuing pupils of that group come that day (else wherever the group is present), and a
second model without the pin prices it. A pinned plan may have shortages instead;
``pin_cost`` compares it with the unpinned re-plan. A keep unit of a previous group over the
cap on some day is never fixed (the cap is hard: the fewest students leave it).

Rules kept: the hard rules of ``plan`` (cap per group and day, one teacher per slot of every
present group or a listed shortage, volunteers only, availability, one place at a time,
weekly and daily limits, double duty, managers M(peak) per window with ``can_manage``, whole
window, supervising nothing then). Group ids are stable: a group that keeps any continuing
student keeps its id; other groups get fresh ids never used in any version. One worker, a
fixed seed and a deterministic time limit: the same input gives the same plan. When the
search finds nothing in its budget, the hint itself (previous plan kept, new students into
free seats or new groups, vacated duties filled greedily) is the answer: a grouping always
exists, so there is always a plan.
"""
from __future__ import annotations

import functools
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from ortools.sat.python import cp_model

from afterschool.models.errors import InputError, Problem
from afterschool.models.instance import Instance
from afterschool.models.plan import Duty, Group, Plan, Shortage, version_json
from afterschool.models.school import WEEKDAYS, fmt_time
from afterschool.scheduler.money.accounts import dated_minutes, term_money
from afterschool.scheduler.planning.covers import carry_covers
from afterschool.scheduler.planning import venues
from afterschool.scheduler.planning.budget import ReplanBudget
from afterschool.scheduler.planning.cpsat import (LS_DET_PER_SECOND, TERM_DET_PER_SECOND,
                                                  Deadline, PhaseResult, SolveOptions,
                                                  interruptible, solve_phase)
from afterschool.scheduler.planning.grouping import class_key
from afterschool.scheduler.planning.solve import school_context, staffing_table, student_entry
from afterschool.scheduler.planning.stats import PinCost, ReplanStats, SolveStats
from afterschool.scheduler.reading.plan_file import plan_problems
from afterschool.scheduler.rules.availability import session_status, window_status
from afterschool.scheduler.rules.calendar import term_dates
from afterschool.scheduler.rules.ledger import (Ledger, WeekRow, add_daily_limit,
                                                 add_manager_window, add_one_place,
                                                 add_one_window, add_week_rows, week_rows,
                                                 weekly_limit)
from afterschool.scheduler.rules.matching import match_slot, slot_rows
from afterschool.scheduler.rules.staffing import duty_windows, managers_needed

PINS = ("none", "groups", "duties")
BUDGET = ReplanBudget()  # every fraction of the time limit the stages below take
CANDIDATES_ALL = 12  # sessions with up to this many groups: a pool may go to any group
COVER_CHUNKS = 6  # the coverage local search's budget in parts: it stops when one fills no more


# ---------------------------------------------------------------- input checks

def check_replan_input(inst: Instance, previous: Plan, start: date) -> None:
    """Bad input (``InputError``) when ``start`` is not a service date of the term after the
    previous version's start, or when ``previous`` does not belong to this school and term."""
    school, term = inst.school, inst.school.term
    problems = plan_problems(inst, previous, "--previous")
    if problems:
        raise InputError(problems[:20])
    run_days = {d for s in school.sessions for d in s.days}
    dates = sorted(d for day, ds in term_dates(term).items() if day in run_days for d in ds)
    lo = date.fromisoformat(previous.valid_from) if previous.valid_from else term.start
    if start not in dates:
        why = ("outside the term " f"{term.start}..{term.end}" if not term.start <= start <=
               term.end else "not a service date (a weekend, a holiday, or a day no session "
               "runs)")
        raise InputError([Problem("--from", f"{start} is {why}", value=str(start),
                                  expected="a service date of the term")])
    if start <= lo:
        raise InputError([Problem("--from", f"{start} is not after the previous version's "
                                  f"start {lo}", value=str(start),
                                  expected=f"a service date after {lo}")])


# ---------------------------------------------------------------- the situation

@dataclass
class Unit:
    """Continuing students of one (group, class, weekdays) in a session: ``keep`` decides."""
    group: str
    klass: str
    days: tuple[str, ...]
    students: tuple[str, ...]


@dataclass
class Pool:
    """Students of one (class, weekdays) that are placed freely: the named ones (new, or
    changed sign-up; ``origin`` their old group or None) and movers from ``units``."""
    klass: str
    days: tuple[str, ...]
    named: list[tuple[str, str | None]] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)


@dataclass
class SessionPart:
    session: object
    old_groups: list[str]
    new_groups: list[str]
    units: list[Unit]
    pools: list[Pool]
    over_cap: set[str] = field(default_factory=set)  # old groups over the cap on some day

    @property
    def groups(self) -> list[str]:
        return self.old_groups + self.new_groups


def _fresh_ids(previous: Plan, sid: str, count: int) -> list[str]:
    """``count`` new ids ``sid-NN`` numbered after every id of that session ever used."""
    used = {g.id for v in previous.versions() for g in v.groups}
    top = 0
    for gid in used:
        head, _, tail = gid.rpartition("-")
        if head == sid and tail.isdigit():
            top = max(top, int(tail))
    out, n = [], top
    while len(out) < count:
        n += 1
        gid = f"{sid}-{n:02d}"
        if gid not in used:
            out.append(gid)
    return out


def _situation(inst: Instance, previous: Plan) -> tuple[list[SessionPart], dict]:
    """Per session: old groups, keep units, pools, new group ids; and who is named."""
    school, cap = inst.school, inst.school.rules.group_cap
    by_id = {s.id: s for s in inst.students}
    before = previous.extra.get("people", {}).get("students", {})
    named = {"withdrawn": [], "new": [], "changed": []}
    parts = []
    for s in school.sessions:
        old = [g for g in previous.groups if g.session == s.id]
        takers = {st.id: st for st in inst.enrolled if school.session_for(s.signup, st.grade)
                  is not None and school.session_for(s.signup, st.grade).id == s.id
                  and any(d in s.days for d in st.days(s.signup))}
        where = {x: g.id for g in old for x in g.students}
        units: dict[tuple, list[str]] = defaultdict(list)
        pools: dict[tuple, Pool] = {}
        for g in old:
            for x in g.students:
                if x not in takers:
                    named["withdrawn"].append((x, s.id, g.id))
        for x in sorted(takers):
            st = takers[x]
            days = tuple(d for d in s.days if d in st.days(s.signup))
            if x in where:
                was = before.get(x)
                was_days = tuple(d for d in s.days if d in was.get(s.signup, [])) \
                    if was else days
                if was and (was.get("class") != st.klass or was_days != days):
                    named["changed"].append((x, s.id, where[x]))
                    pools.setdefault((st.klass, days), Pool(st.klass, days)).named.append(
                        (x, where[x]))
                else:
                    units[where[x], st.klass, days].append(x)
            else:
                named["new"].append((x, s.id))
                pools.setdefault((st.klass, days), Pool(st.klass, days)).named.append((x, None))
        unit_list = [Unit(g, k, d, tuple(sorted(xs))) for (g, k, d), xs in sorted(
            units.items(), key=lambda kv: (kv[0][0], class_key(kv[0][1]), kv[0][2]))]
        over_cap = {g.id for g in old for d in s.days if sum(
            1 for x in g.students if x in takers and d in by_id[x].days(s.signup)) > cap}
        for i, u in enumerate(unit_list):
            pools.setdefault((u.klass, u.days), Pool(u.klass, u.days)).units.append(i)
        free = defaultdict(int)
        for p in pools.values():
            for d in p.days:
                free[d] += len(p.named)
        for g in old:
            if g.id in over_cap:
                for d in s.days:
                    free[d] += max(0, sum(1 for x in g.students if x in takers
                                          and d in by_id[x].days(s.signup)) - cap)
        extra = math.ceil(max(free.values(), default=0) / cap)
        new_ids = _fresh_ids(previous, s.id, extra)
        old_ids = [g.id for g in old]
        grade = _grade
        holds = defaultdict(set)
        for u in unit_list:
            holds[u.group].add(u.klass)
        pool_list = sorted(pools.values(), key=lambda p: (class_key(p.klass), p.days))
        for p in pool_list:
            if len(old_ids) <= CANDIDATES_ALL:
                near = list(old_ids)
            else:
                near = [g for g in old_ids if p.klass in holds[g]] or \
                    [g for g in old_ids if any(grade(k) == grade(p.klass) for k in holds[g])]
                near += [o for _, o in p.named if o and o not in near]
                if p.named:  # a new pupil may take any free seat of the session
                    near = list(old_ids)
            p.candidates = near + new_ids
        if old or takers:
            parts.append(SessionPart(s, old_ids, new_ids, unit_list, pool_list, over_cap))
    return parts, named


# ---------------------------------------------------------------- the model

@functools.lru_cache(maxsize=None)
def _grade(klass: str) -> int:
    return class_key(klass)[0]


def _sum(hv: dict[int, int], variables) -> int:
    return sum(hv[v.index] for v in variables)


@dataclass
class Posts:
    """Staff posts and who may take them, shared by the model, the start and the decoding."""
    slots: dict[tuple[str, str, int], object]  # (d, s, k) -> Slot
    windows: dict[tuple[str, str], object]  # (d, w) -> DutyWindow
    can_teach: dict[tuple[str, str, int], list[str]]
    can_manage: dict[tuple[str, str], list[str]]
    old_teach: list[tuple[str, str, str, int, str]]  # (t, d, s, k, g) of the previous version
    old_manage: list[tuple[str, str, str]]  # (t, d, w)
    pinned: set[str]  # people whose previous duties are pinned
    rows: list[WeekRow]  # calendar weeks the new pattern must keep beyond its weekly sum


def minutes_before(inst: Instance, previous: Plan, start: date) -> dict[tuple[str, date], int]:
    """(person, Monday) -> minutes served in ``start``'s calendar week on its dates before
    ``start``, under the versions then in force, covers applied (SPEC §9: a version that
    starts mid-week counts the week's earlier dates under the previous version)."""
    monday = start - timedelta(days=start.weekday())
    out: dict[tuple[str, date], int] = defaultdict(int)
    for (t, _, when), m in dated_minutes(inst, previous).items():
        if monday <= when < start:
            out[t, monday] += m
    return dict(out)


def _posts(inst: Instance, previous: Plan, parts: list[SessionPart], pin: str,
           rows: list[WeekRow] | None = None) -> Posts:
    school, rules = inst.school, inst.school.rules
    vols = inst.volunteers
    slots, windows, can_teach, can_manage = {}, {}, {}, {}
    ran = {p.session.id for p in parts}
    for d in WEEKDAYS:
        for s in school.sessions:
            if s.id not in ran or d not in s.days:
                continue
            ok = [t.id for t in vols if session_status(inst, t.id, d, s.id) != "unavailable"]
            for k, slot in enumerate(s.slots):
                slots[d, s.id, k] = slot
                can_teach[d, s.id, k] = ok if slot.minutes <= rules.max_daily_minutes else []
        for w in duty_windows(school.sessions, d):
            windows[d, w.id] = w
            can_manage[d, w.id] = [t.id for t in vols if w.minutes <= rules.max_daily_minutes
                                   and window_status(inst, t.id, d, w) != "unavailable"]
    old_teach, old_manage = [], []
    for du in previous.duties:
        if du.role == "manager":
            if (du.day, du.window) in windows:
                old_manage.append((du.staff, du.day, du.window))
            continue
        for (d, sid, k), slot in slots.items():
            if d == du.day and sid == du.session and fmt_time(slot.start) == du.start \
                    and fmt_time(slot.end) == du.end:
                old_teach.append((du.staff, d, sid, k, du.group))
    rows = list(rows or [])
    pinned = set()
    if pin == "duties":
        # a person is pinned when every previous duty still allowed fits the new limits
        mine = defaultdict(list)
        for t, d, sid, k, _ in old_teach:
            if t in can_teach[d, sid, k]:
                mine[t].append((d, slots[d, sid, k]))
        for t, d, w in old_manage:
            if t in can_manage[d, w]:
                mine[t].append((d, windows[d, w]))
        for t, items in mine.items():
            st = Ledger(inst, rows)
            if all(st.take(t, d, it) for d, it in items):
                pinned.add(t)
    return Posts(slots, windows, can_teach, can_manage, old_teach, old_manage, pinned, rows)


@dataclass
class Values:
    """One assignment of the model's decisions (from the solver or the greedy start)."""
    keep: dict[tuple[str, int], int]  # (session, unit) -> staying
    x: dict[tuple[str, int, str], int]  # (session, pool, group) -> placed
    present: dict[tuple[str, str], int]  # (group, day) -> 0/1
    teach: set[tuple[str, str, str, int]]
    manage: set[tuple[str, str, str]]
    kept: set[int]  # indices into posts.old_teach bound to their old group


def greedy_start(inst: Instance, parts: list[SessionPart], posts: Posts, previous: Plan
                 ) -> Values:
    """Keep what can be kept: every continuing student stays (``_keep_units``); named
    students go where their class is, then any old group with seats on all their days,
    then new groups (``_seat_pools``); previous duties stay with their person where still
    allowed (``_keep_duties``); vacated posts to free people, the least loaded first, then
    by id (``_fill_vacated``). One person ledger holds every staffing rule throughout."""
    cap = inst.school.rules.group_cap
    keep, x, present = {}, {}, {}
    for part in parts:
        load = _keep_units(part, cap, keep)
        _seat_pools(part, cap, keep, x, load)
        for (g, d), n in load.items():
            present[g, d] = int(n > 0)
    state = Ledger(inst, posts.rows)
    need = manager_need(inst, present, parts, posts)
    teach, manage, kept = _keep_duties(posts, present, need, state)
    _fill_vacated(parts, posts, present, need, state, teach, manage)
    return Values(keep, x, present, teach, manage, kept)


def _keep_units(part: SessionPart, cap: int, keep: dict) -> dict[tuple[str, str], int]:
    """Every continuing student of the part stays (``keep[session, unit]``), except over
    the cap; returns the pupils present per (group, day)."""
    sid, days = part.session.id, part.session.days
    load = {(g, d): 0 for g in part.groups for d in days}
    for i, u in enumerate(part.units):
        keep[sid, i] = len(u.students)
        for d in u.days:
            load[u.group, d] += len(u.students)
    # a previous version over the cap (it must not be, but the cap may have been
    # lowered): the fewest students leave, from the units present most days last
    for i in sorted(range(len(part.units)), key=lambda i: (len(part.units[i].days), -i)):
        u = part.units[i]
        while keep[sid, i] and any(load[u.group, d] > cap for d in u.days):
            keep[sid, i] -= 1
            for d in u.days:
                load[u.group, d] -= 1
    return load


def _seat_pools(part: SessionPart, cap: int, keep: dict, x: dict, load: dict) -> None:
    """Each pool's students (named, and continuing ones not kept) into candidate groups
    with seats on all their days (``x[session, pool, group]``), ``load`` updated: the
    pools present most days first (hardest to seat); each chunk where it opens fewest new
    group-days, then where its class already is, then its grade."""
    sid = part.session.id
    holds = defaultdict(set)
    for u in part.units:
        holds[u.group].add(u.klass)
    grades = defaultdict(set)
    for u in part.units:
        grades[u.group].add(_grade(u.klass))
    order = sorted(range(len(part.pools)), key=lambda j: (-len(part.pools[j].days), j))
    for j in order:
        p = part.pools[j]
        for h in p.candidates:
            x[sid, j, h] = 0
        left = len(p.named) + sum(len(part.units[i].students) - keep[sid, i]
                                  for i in p.units)
        while left:
            room = {h: min(cap - load[h, d] for d in p.days) for h in p.candidates}
            fits = [h for h in p.candidates if room[h] > 0]
            if not fits:
                raise RuntimeError("internal error: no seat for a pool in the start")
            h = min(fits, key=lambda h: (
                sum(1 for d in p.days if not load[h, d]), h in part.new_groups,
                p.klass not in holds[h], _grade(p.klass) not in grades[h],
                part.groups.index(h)))
            n = min(room[h], left)
            x[sid, j, h] += n
            left -= n
            holds[h].add(p.klass)
            grades[h].add(_grade(p.klass))
            for d in p.days:
                load[h, d] += n


def _keep_duties(posts: Posts, present: dict, need: dict, state: Ledger
                 ) -> tuple[set, set, set]:
    """Previous teacher duties kept where the group still meets that day and the person
    may still take it (``kept``: their indices in ``posts.old_teach``), then previous
    manager duties up to each window's need; every one taken in ``state``."""
    teach, manage, kept = set(), set(), set()
    for j, (t, d, sid, k, g) in enumerate(posts.old_teach):
        if present.get((g, d)) and t in posts.can_teach[d, sid, k] and \
                (t, d, sid, k) not in teach and state.take(t, d, posts.slots[d, sid, k]):
            teach.add((t, d, sid, k))
            kept.add(j)
    for t, d, w in posts.old_manage:
        if sum(1 for m in manage if m[1:] == (d, w)) < need[d, w] and \
                t in posts.can_manage[d, w] and state.take(t, d, posts.windows[d, w]):
            manage.add((t, d, w))
    return teach, manage, kept


def _fill_vacated(parts: list[SessionPart], posts: Posts, present: dict, need: dict,
                  state: Ledger, teach: set, manage: set) -> None:
    """The posts left open, scarcest first (fewest people allowed per place), each to a
    free person the ledger allows, the least loaded first, then by id (``teach`` and
    ``manage`` updated)."""
    groups_of = defaultdict(list)
    for part in parts:
        for g in part.groups:
            groups_of[part.session.id].append(g)
    demand = []
    for (d, sid, k), slot in posts.slots.items():
        n = sum(present.get((g, d), 0) for g in groups_of[sid])
        n -= sum(1 for (t, dd, ss, kk) in teach if (dd, ss, kk) == (d, sid, k))
        if n > 0:
            demand.append(((d, sid, k), n, slot, posts.can_teach[d, sid, k]))
    for (d, w), n in need.items():
        n -= sum(1 for m in manage if m[1:] == (d, w))
        if n > 0:
            demand.append(((d, w, -1), n, posts.windows[d, w], posts.can_manage[d, w]))
    demand.sort(key=lambda r: (len(r[3]) / r[1], WEEKDAYS.index(r[0][0]), r[2].start, r[0]))
    for key, n, item, who in demand:
        for _ in range(n):
            taken = teach if key[2] >= 0 else manage
            free = [t for t in who if (t, *key[:3 if key[2] >= 0 else 2]) not in taken
                    and state.fits(t, key[0], item)]
            if not free:
                break
            t = min(free, key=lambda t: (state.weekly[t], t))
            state.take(t, key[0], item)
            (teach.add((t, *key)) if key[2] >= 0 else manage.add((t, key[0], key[1])))


def manager_need(inst: Instance, present: dict, parts: list[SessionPart], posts: Posts
                 ) -> dict[tuple[str, str], int]:
    """M(peak concurrent groups) per (day, window) for a set of present group-days."""
    rules = inst.school.rules
    sessions = {s.id: s for s in inst.school.sessions}
    count = defaultdict(int)
    for part in parts:
        for g in part.groups:
            for d in part.session.days:
                count[d, part.session.id] += present.get((g, d), 0)
    for key, n in inst.club_groups.items():  # clubs count as groups (SPEC §12)
        count[key] += n
    out = {}
    for (d, wid), w in posts.windows.items():
        points = {sessions[s].start for s in w.sessions}
        peak = max(sum(count[d, s] for s in w.sessions
                       if sessions[s].start <= p < sessions[s].end) for p in points)
        out[d, wid] = managers_needed(peak, rules.groups_per_manager,
                                      rules.manager_remainder_threshold)
    return out


OBJECTIVE_MAX = 2 ** 61  # the weights' product, and each weight times its term's bound


def objective_weights(order: list[str], bounds: dict[str, int],
                      most: int = OBJECTIVE_MAX) -> dict[str, int]:
    """Lexicographic weights, lowest term first: each term's weight exceeds the largest
    value of all below it (``bounds``), where their product fits ``most``; where it does
    not, the lowest terms' bounds are capped, from the bottom, to the room the terms above
    leave (``ReplanModel.objective``), until the objective's largest value, on the true
    bounds, fits 2 ** 62."""
    b = {name: bounds.get(name, 0) for name in order}
    while True:
        for k, name in enumerate(order[:-1]):
            rest = math.prod(b[n] + 1 for n in order[k + 1:])
            room = most // rest - 1
            if room >= 0:  # this term and all above fit (those below: capped to 0)
                b[name] = min(b[name], room)
                break
            b[name] = 0
        out, w = {}, 1
        for name in order:
            out[name] = w
            w *= b[name] + 1
        if sum(out[n] * bounds.get(n, 0) for n in order) < 2 ** 62 or most < 2:
            return out
        most //= 4


class ReplanModel:
    """The one CP-SAT model (see the module docstring): variables built once, rules added
    in one visible order by ``build``."""

    def __init__(self, inst: Instance, parts: list[SessionPart], posts: Posts, pin: str):
        self.inst, self.parts, self.posts, self.pin = inst, parts, posts, pin
        self.fixable: list[tuple[int, int]] = []  # (keep variable index, its unit's size)
        self.m = cp_model.CpModel()
        self.keep, self.x, self.a = {}, {}, {}
        self.v, self.mv, self.short, self.kept, self.need = {}, {}, {}, {}, {}
        self.terms: dict[str, list] = defaultdict(list)  # objective part -> (coef, var)
        self.bounds: dict[str, int] = defaultdict(int)
        self.aux: list = []  # (variable, its value from the decisions' values), in order

    def _aux(self, var, value) -> None:
        """Remember how a helper variable follows from the decisions, to hint it."""
        self.aux.append((var, value))

    def build(self) -> None:
        self.add_groups_and_cap()
        self.add_posts()
        self.add_managers()
        self.add_person_rules()
        self.add_kept_duties()
        self.add_pins()

    def add_groups_and_cap(self) -> None:
        m, cap = self.m, self.inst.school.rules.group_cap
        for part in self.parts:
            sid, days = part.session.id, part.session.days
            load = defaultdict(list)
            holds = {(u.group, u.klass) for u in part.units}
            grades = defaultdict(set)
            for u in part.units:
                grades[u.group].add(_grade(u.klass))
            for i, u in enumerate(part.units):
                n = len(u.students)
                var = m.new_int_var(0, n, f"keep_{sid}_{i}")
                if u.group not in part.over_cap:
                    self.fixable.append((var.index, n))
                self.keep[sid, i] = var
                self.terms["moves"].append((1, n - var))
                self.bounds["moves"] += n
                for d in u.days:
                    load[u.group, d].append(var)
            for j, p in enumerate(part.pools):
                size = len(p.named) + sum(len(part.units[i].students) for i in p.units)
                here = []
                for h in p.candidates:
                    var = m.new_int_var(0, min(size, cap), f"x_{sid}_{j}_{h}")
                    self.x[sid, j, h] = var
                    here.append(var)
                    for d in p.days:
                        load[h, d].append(var)
                # every student of the pool is placed: named ones and movers
                m.add(sum(here) == len(p.named) + sum(
                    len(part.units[i].students) - self.keep[sid, i] for i in p.units))
                self.add_class_pairs(part, j, p, holds, grades)
            for h in part.groups:
                for d in days:
                    a = m.new_bool_var(f"a_{h}_{d}")
                    self.a[h, d] = a
                    if not load[h, d]:
                        m.add(a == 0)
                        continue
                    m.add(sum(load[h, d]) <= cap * a)
                    m.add(sum(load[h, d]) >= a)
                    self.terms["group_days"].append((1, a))
                    self.bounds["group_days"] += 1
            # new groups open in order: symmetric ids otherwise
            opened = []
            for h in part.new_groups:
                o = m.new_bool_var(f"open_{h}")
                for d in days:
                    m.add_implication(self.a[h, d], o)
                self._aux(o, lambda hv, ds=[self.a[h, d] for d in days]:
                          max(hv[v.index] for v in ds))
                opened.append(o)
            for o1, o2 in zip(opened, opened[1:]):
                m.add(o2 <= o1)

    def add_class_pairs(self, part: SessionPart, j: int, p: Pool, holds: set,
                        grades: dict) -> None:
        """Soft: a pool's students where their class is not yet (a new class pair, worse
        across grades), and named students not back in their old group."""
        sid = part.session.id
        for h in p.candidates:
            if (h, p.klass) in holds:
                continue
            y = self.m.new_bool_var(f"pair_{sid}_{j}_{h}")
            self.m.add(self.x[sid, j, h] <= self.inst.school.rules.group_cap * y)
            self._aux(y, lambda hv, v=self.x[sid, j, h]: int(hv[v.index] > 0))
            cost = 1 if _grade(p.klass) in grades[h] or not grades[h] else 3
            self.terms["soft"].append((cost, y))
            self.bounds["soft"] += cost
        origin = defaultdict(int)
        for _, o in p.named:
            if o:
                origin[o] += 1
        for o, n in origin.items():
            if (sid, j, o) in self.x:
                away = self.m.new_int_var(0, n, f"away_{sid}_{j}_{o}")
                self.m.add(away >= n - self.x[sid, j, o])
                self._aux(away, lambda hv, v=self.x[sid, j, o], n=n: max(0, n - hv[v.index]))
                self.terms["soft"].append((1, away))
                self.bounds["soft"] += n

    def add_posts(self) -> None:
        """Every present group gets a teacher per slot, or a counted shortage."""
        m, posts = self.m, self.posts
        groups = {p.session.id: p.groups for p in self.parts}
        for (d, sid, k), slot in posts.slots.items():
            here = []
            for t in posts.can_teach[d, sid, k]:
                self.v[t, d, sid, k] = var = m.new_bool_var(f"v_{t}_{d}_{sid}_{k}")
                here.append(var)
            gs = [self.a[g, d] for g in groups[sid]]
            gap = m.new_int_var(0, len(gs), f"short_{d}_{sid}_{k}")
            self.short[d, sid, k] = gap
            m.add(sum(here) + gap == sum(gs))
            self._aux(gap, lambda hv, gs=gs, here=here: _sum(hv, gs) - _sum(hv, here))
            self.terms["shortage"].append((slot.minutes, gap))
            self.bounds["shortage"] += slot.minutes * len(gs)
            self.terms["posts"].append((1, gap))
            self.bounds["posts"] += len(gs)

    def add_managers(self) -> None:
        """M(peak concurrent groups) per window and day, as the groups formed make it."""
        m, rules, posts = self.m, self.inst.school.rules, self.posts
        sessions = {s.id: s for s in self.inst.school.sessions}
        groups = {p.session.id: p.groups for p in self.parts}
        clubs = self.inst.club_groups  # clubs meeting beside the groups (SPEC §12)
        for (d, wid), w in posts.windows.items():
            members = [s for s in w.sessions if s in groups]
            fixed = {s: clubs.get((d, s), 0) for s in w.sessions}
            total = sum(len(groups[s]) for s in members) + sum(fixed.values())
            if not total:
                continue
            counts = []
            for point in sorted({sessions[s].start for s in members} |
                                {sessions[s].start for s, n in fixed.items() if n}):
                on = [self.a[g, d] for s in members if sessions[s].start <= point <
                      sessions[s].end for g in groups[s]]
                extra = sum(n for s, n in fixed.items()
                            if sessions[s].start <= point < sessions[s].end)
                c = m.new_int_var(0, total, f"conc_{d}_{wid}_{point}")
                m.add(c == sum(on) + extra)
                self._aux(c, lambda hv, on=on, extra=extra: _sum(hv, on) + extra)
                counts.append(c)
            peak = m.new_int_var(0, total, f"peak_{d}_{wid}")
            m.add_max_equality(peak, counts)
            self._aux(peak, lambda hv, cs=counts: max(hv[v.index] for v in cs))
            table = [managers_needed(c, rules.groups_per_manager,
                                     rules.manager_remainder_threshold) for c in range(total + 1)]
            need = m.new_int_var(0, table[-1], f"need_{d}_{wid}")
            m.add_element(peak, table, need)
            self._aux(need, lambda hv, p=peak, table=table: table[hv[p.index]])
            self.need[d, wid] = need
            here = []
            for t in posts.can_manage[d, wid]:
                self.mv[t, d, wid] = var = m.new_bool_var(f"m_{t}_{d}_{wid}")
                here.append(var)
            gap = m.new_int_var(0, table[-1], f"mshort_{d}_{wid}")
            self.short[d, wid, -1] = gap
            m.add(sum(here) + gap == need)
            self._aux(gap, lambda hv, n=need, here=here: hv[n.index] - _sum(hv, here))
            self.terms["shortage"].append((w.minutes, gap))
            self.bounds["shortage"] += w.minutes * table[-1]
            self.terms["posts"].append((1, gap))
            self.bounds["posts"] += table[-1]

    def add_person_rules(self) -> None:
        """One place at a time, daily and weekly minutes, one window a day unless allowed."""
        m, inst, posts = self.m, self.inst, self.posts
        rules = inst.school.rules
        items = defaultdict(list)
        for (t, d, sid, k), var in self.v.items():
            items[t, d].append((posts.slots[d, sid, k], False, var))
        for (t, d, wid), var in self.mv.items():
            items[t, d].append((posts.windows[d, wid], True, var))
        weekly = defaultdict(list)
        by_day = {}
        wins = {d: duty_windows(inst.school.sessions, d) for d in WEEKDAYS}
        for (t, d), its in items.items():
            add_one_place(m, its)
            add_manager_window(m, its)
            add_daily_limit(m, its, rules.max_daily_minutes)
            weekly[t] += [(it.minutes, var) for it, _, var in its]
            by_day[t, d] = [(it.minutes, var) for it, _, var in its]
            if not inst.teacher(t).allow_double:
                for flag, inside in add_one_window(m, its, wins[d], f"{t}_{d}"):
                    self._aux(flag, lambda hv, vs=inside: max(hv[v.index] for v in vs))
        for t, parts in weekly.items():
            m.add(sum(mins * var for mins, var in parts) <= weekly_limit(inst, inst.teacher(t)))
        add_week_rows(m, by_day, {t: weekly_limit(inst, inst.teacher(t)) for t, _ in by_day},
                      posts.rows)

    def add_kept_duties(self) -> None:
        """A previous teacher duty stays when its person is in that slot and its group is
        present; each one not kept counts as a changed duty, and so does each previous
        manager duty not kept."""
        m, posts = self.m, self.posts
        for j, (t, d, sid, k, g) in enumerate(posts.old_teach):
            self.bounds["changes"] += 1
            if (t, d, sid, k) not in self.v or (g, d) not in self.a:
                self.terms["changes"].append((1, 1))
                continue
            kv = m.new_bool_var(f"kept_{j}")
            m.add_implication(kv, self.v[t, d, sid, k])
            m.add_implication(kv, self.a[g, d])
            self.kept[j] = kv
            self.terms["changes"].append((1, 1 - kv))
        for t, d, w in posts.old_manage:
            self.bounds["changes"] += 1
            self.terms["changes"].append((1, 1 - self.mv[t, d, w]) if (t, d, w) in self.mv
                                         else (1, 1))

    def fix_groups(self, on: bool) -> None:
        """Pin groups (every continuing student stays, but where a group is over the cap)
        or release them, by the keep variables' domains: the same model serves both."""
        for index, n in self.fixable:
            domain = self.m.proto.variables[index].domain
            domain[0] = n if on else 0
            domain[1] = n

    def add_pins(self) -> None:
        """``--pin duties``: pinned people keep every previous duty whose group is present,
        and their manager duties while the window still needs that many."""
        if self.pin != "duties":
            return
        m, posts = self.m, self.posts
        # a pinned duty is held whole (SPEC §9): its group meets that day, with that person,
        # wherever continuing pupils of that group come that day (they can always stay)
        stays = {(u.group, d) for part in self.parts for u in part.units for d in u.days
                 if u.group not in part.over_cap}
        for j, (t, d, sid, k, g) in enumerate(posts.old_teach):
            if t in posts.pinned and j in self.kept:
                if (g, d) in stays:
                    m.add(self.kept[j] == 1)
                    m.add(self.a[g, d] == 1)
                else:
                    m.add(self.kept[j] == self.a[g, d])
        by_window = defaultdict(list)
        for t, d, w in posts.old_manage:
            if t in posts.pinned and (t, d, w) in self.mv:
                by_window[d, w].append(self.mv[t, d, w])
        for (d, w), vars_ in by_window.items():
            # as many pinned managers stay as the window still needs (up to those pinned)
            stay = m.new_int_var(0, len(vars_), f"pinm_{d}_{w}")
            m.add_min_equality(stay, [len(vars_), self.need[d, w]])
            self._aux(stay, lambda hv, n=self.need[d, w], k=len(vars_): min(k, hv[n.index]))
            m.add(sum(vars_) >= stay)

    def objective(self):
        """Lexicographic by weights: each weight exceeds everything below it. Coverage as
        ``plan`` counts it: unfilled posts, then unfilled minutes (in units of their greatest
        common divisor, exact). Should the weights pass ``OBJECTIVE_MAX`` (a school of
        some 10,000 pupils re-planned around its clubs), the lowest terms are ranked
        approximately: each, from the bottom, is given the room the terms above leave
        (soft costs first, then group-days, …), so a large deviation there may outweigh
        one unit of the term above it; the objective's largest value stays below 2**62,
        inside CP-SAT's 64-bit arithmetic."""
        order = ["soft", "group_days", "changes", "moves", "shortage", "posts"]
        unit = math.gcd(*(c for c, _ in self.terms["shortage"])) or 1
        terms = dict(self.terms, shortage=[(c // unit, v) for c, v in self.terms["shortage"]])
        bounds = dict(self.bounds, shortage=self.bounds["shortage"] // unit)
        w = objective_weights(order, bounds)
        total = 0
        for name in order:
            if terms.get(name):
                total = total + w[name] * sum(c * v for c, v in terms[name])
        return total

    def hint(self, val: Values) -> dict[int, int]:
        """Hint every variable (replacing earlier hints): the decisions from ``val``, the
        helpers computed from them; returns the hint by variable index."""
        self.m.clear_hints()
        hv = self.hint_values(val)
        for var in [*self.keep.values(), *self.x.values(), *self.a.values(), *self.v.values(),
                    *self.mv.values(), *self.kept.values(), *(v for v, _ in self.aux)]:
            self.m.add_hint(var, hv[var.index])
        return hv

    def hint_values(self, val: Values) -> dict[int, int]:
        """Every variable's value by index under ``val``: its decisions, the helpers
        computed from them."""
        hv: dict[int, int] = {}
        for key, var in self.keep.items():
            hv[var.index] = val.keep[key]
        for key, var in self.x.items():
            hv[var.index] = val.x.get(key, 0)
        for key, var in self.a.items():
            hv[var.index] = val.present.get(key, 0)
        for key, var in self.v.items():
            hv[var.index] = int(key in val.teach)
        for key, var in self.mv.items():
            hv[var.index] = int(key in val.manage)
        for j, var in self.kept.items():
            hv[var.index] = int(j in val.kept)
        for var, value in self.aux:
            hv[var.index] = value(hv)
        return hv

    def values(self, solver: cp_model.CpSolver) -> Values:
        return Values(
            keep={k: solver.value(v) for k, v in self.keep.items()},
            x={k: solver.value(v) for k, v in self.x.items()},
            present={k: solver.value(v) for k, v in self.a.items()},
            teach={k for k, v in self.v.items() if solver.value(v)},
            manage={k for k, v in self.mv.items() if solver.value(v)},
            kept={j for j, v in self.kept.items() if solver.value(v)})


# ---------------------------------------------------------------- decoding

@dataclass
class Decoded:
    groups: list[Group]
    duties: list[Duty]
    shortages: list[Shortage]
    present: dict[tuple[str, str], list[str]]  # (day, session) -> group ids
    shortage_minutes: int
    group_days: int


def decode(inst: Instance, previous: Plan, parts: list[SessionPart], posts: Posts,
           val: Values) -> Decoded:
    """Students into rosters (movers back into their own group where a count allows it),
    group ids (fresh where no continuing student stays), teachers matched to groups (kept
    duties bound to their group), shortages listed."""
    by_id = {s.id: s for s in inst.students}
    groups, present = [], defaultdict(list)
    rename: dict[str, str] = {}
    for part in parts:
        sid = part.session.id
        roster = defaultdict(list)
        stayed = set()
        movers = defaultdict(list)  # unit index -> students leaving it
        for i, u in enumerate(part.units):
            k = val.keep.get((sid, i), len(u.students))
            roster[u.group] += u.students[:k]
            if k:
                stayed.add(u.group)
            movers[i] = list(u.students[k:])
        for j, p in enumerate(part.pools):
            left = {h: val.x.get((sid, j, h), 0) for h in p.candidates}
            todo = list(p.named) + [(x, part.units[i].group) for i in p.units for x in movers[i]]
            rest = []
            for x, origin in todo:
                if origin is not None and left.get(origin, 0) > 0:
                    roster[origin].append(x)
                    left[origin] -= 1
                    if (x, origin) not in p.named:
                        stayed.add(origin)
                else:
                    rest.append(x)
            for h in p.candidates:
                while left[h] > 0 and rest:
                    roster[h].append(rest.pop(0))
                    left[h] -= 1
            if rest:
                raise RuntimeError(f"internal error: {len(rest)} student(s) of pool "
                                   f"{p.klass} left unplaced")
        orphans = [h for h in part.old_groups if roster[h] and h not in stayed]
        fresh = _fresh_ids(previous, sid, len(part.new_groups) + len(orphans))
        rename.update(zip(orphans, fresh[len(part.new_groups):]))
        rename.update(_continued(previous, sid, part, roster, orphans))
        for h in part.groups:
            if not roster[h]:
                continue
            gid = rename.get(h, h)
            groups.append(Group(gid, sid, tuple(sorted(roster[h]))))
            for d in part.session.days:
                if any(d in by_id[x].days(part.session.signup) for x in roster[h]):
                    present[d, sid].append(gid)
    duties, shortages = _match(inst, parts, posts, val, present, rename,
                               {g.id: g.students for g in groups})
    need = manager_need(inst, {(g, d): 1 for (d, s), gs in present.items() for g in gs},
                        [_renamed(p, rename) for p in parts], posts)
    short_min = 0
    for (d, wid), n in sorted(need.items(), key=lambda kv: (WEEKDAYS.index(kv[0][0]),
                                                           kv[0][1])):
        w = posts.windows[d, wid]
        have = sorted(t for (t, dd, ww) in val.manage if (dd, ww) == (d, wid))
        for t in have[:n]:
            duties.append(Duty(day=d, start=fmt_time(w.start), end=fmt_time(w.end), staff=t,
                               role="manager", window=wid))
        if n > len(have):
            shortages.append(Shortage(day=d, start=fmt_time(w.start), end=fmt_time(w.end),
                                      role="manager", window=wid, count=n - len(have)))
            short_min += w.minutes * (n - len(have))
    for s in shortages:
        if s.role == "teacher":
            short_min += _minutes(s.start, s.end)
    return Decoded(groups, duties, shortages, dict(present), short_min,
                   sum(len(v) for v in present.values()))


def _continued(previous: Plan, sid: str, part: SessionPart, roster: dict, orphans: list[str]
               ) -> dict[str, str]:
    """Group ids are a promise (SPEC §9): an old group that ended (no roster, or only
    pupils moved in) whose pupils are found together in a group under a new id lends that
    group its id, the most of its pupils first; returns group -> id."""
    members = {g.id: set(g.students) for g in previous.groups if g.session == sid}
    ended = [g for g in part.old_groups if not roster[g] or g in orphans]
    heirs = [h for h in part.new_groups if roster[h]] + list(orphans)
    pairs = sorted((-len(set(roster[h]) & members.get(g, set())), g, h)
                   for g in ended for h in heirs if h != g)
    out, taken, given = {}, set(), set()
    for n, g, h in pairs:
        if n < 0 and g not in taken and h not in given:
            out[h] = g
            taken.add(g)
            given.add(h)
    return out


def _minutes(a: str, b: str) -> int:
    return int(b[:2]) * 60 + int(b[3:]) - int(a[:2]) * 60 - int(a[3:])


def _renamed(part: SessionPart, rename: dict[str, str]) -> SessionPart:
    return SessionPart(part.session, [rename.get(g, g) for g in part.old_groups],
                       part.new_groups, part.units, part.pools, part.over_cap)


def _match(inst, parts, posts, val, present, rename, rosters):
    """Chosen teachers to present groups per slot: kept duties to their own group first;
    then the group the teacher had in the previous slot that day, a group the teacher had
    in the previous version that day, then any day, a group of their own classes; ties by
    ids (deterministic)."""
    old_day = defaultdict(set)
    old_any = defaultdict(set)
    for t, d, sid, k, g in posts.old_teach:
        old_day[t, d, sid].add(rename.get(g, g))
        old_any[t, sid].add(rename.get(g, g))
    fixed = defaultdict(dict)
    for j in val.kept:
        t, d, sid, k, g = posts.old_teach[j]
        fixed[d, sid, k][t] = rename.get(g, g)
    own = {t.id: set(t.classes) for t in inst.teachers}
    klass = {s.id: s.klass for s in inst.students}
    classes = {g: {klass[x] for x in members} for g, members in rosters.items()}
    duties, shortages = [], []
    for d in WEEKDAYS:
        for part in parts:
            s = part.session
            gs = present.get((d, s.id), [])
            if not gs:
                continue
            previous_slot: dict[str, str] = {}
            for k, slot in enumerate(s.slots):
                teachers = sorted(t for (t, dd, sid, kk) in val.teach
                                  if (dd, sid, kk) == (d, s.id, k))
                def cost(t, g):
                    return (0 if previous_slot.get(t) == g else
                            1 if g in old_day[t, d, s.id] else
                            2 if g in old_any[t, s.id] else
                            3 if own[t] & classes[g] else 4, t, g)
                now = match_slot(teachers, gs, cost, {t: g for t, g in fixed[d, s.id, k].items()
                                                      if t in teachers})
                done, short = slot_rows(d, s, slot, now, gs)
                duties += done
                shortages += short
                previous_slot = dict(now)
    return duties, shortages


# ---------------------------------------------------------------- the entry point

@dataclass
class Replan:
    """The new plan and what changed (rows for ``changes.csv`` and the notices)."""
    plan: Plan
    students: list[dict]  # one row per student moved, added or withdrawn
    duties: list[dict]  # one row per duty post whose person changed
    dropped_exceptions: list[dict]
    statistics: ReplanStats

    @property
    def stats(self) -> dict:
        """The statistics as ``plan.json`` holds them (``extra["replan"]``)."""
        return self.statistics.as_dict()


def replan(inst: Instance, previous: Plan, start: date, *, pin: str = "none",
           time_limit: float = 2.0, seed: int = 0, log=None,
           deadline: Deadline | None = None, reserved: tuple = ()) -> Replan:
    """Re-plan ``inst`` from ``start`` keeping as much of ``previous`` as the rules allow
    (see the module docstring). ``time_limit`` is CPU seconds as ``plan`` counts them: the
    searches' deterministic budgets come from it, and the CPU clock ends them by the
    backstop (``Deadline.for_limit``: 1.5 x limit + 0.7 s; ``deadline``, if given, is that
    limit already running); where the clock decided, ``solve_stats.cut_by_time_limit``
    names the stage. ``reserved``: venue occupancy already taken (clubs, SPEC §12)."""
    if pin not in PINS:
        raise ValueError(f"pin must be one of {PINS}")
    t0 = time.process_time()
    check_replan_input(inst, previous, start)
    opts = SolveOptions(time_limit=time_limit, seed=seed, workers=1, log=log,
                        deadline=deadline or Deadline.for_limit(time_limit))
    with interruptible(opts):
        rows = week_rows(inst.school.term, start, minutes_before(inst, previous, start))
        # with --pin duties the pinned run has half the time, the unpinned one (its price,
        # covering at least as much) the rest
        run, free = _run(inst, previous, pin,
                         _stage(opts, BUDGET.pinned_run) if pin == "duties" else opts,
                         rows)
        cost = None
        if pin == "duties":  # the unpinned plan covers at least what the pinned one does
            free, _ = _run(inst, previous, "none", opts, rows, floor=run.values)
        if pin != "none":
            cost = _pin_cost(run, free)
    return _assemble(inst, previous, start, pin, run, cost, opts, time.process_time() - t0,
                     reserved)


@dataclass
class _Run:
    parts: list[SessionPart]
    named: dict
    posts: Posts
    decoded: Decoded
    status: str
    phase: dict
    moves: int
    values: Values | None = None


def _run(inst: Instance, previous: Plan, pin: str, opts: SolveOptions,
         rows: list[WeekRow] | None = None, floor: Values | None = None
         ) -> tuple[_Run, _Run | None]:
    """Searches on one model: coverage alone first with every continuing student in place
    (unfilled posts as ``plan`` counts them: a tree search from the greedy start, then
    CP-SAT's local search from its best; the weighted objective's search alone left a
    leaver's duties unfilled where others could take them, 42 posts where 40 do on a
    generated 2,000-pupil school; the local search in parts, ``_cover_locally``), never
    less than the pinned answer's coverage (``_pinned_cover`` when this search leaves posts
    unfilled, or the pinned run's answer: ``_at_least``), held from then on; then the
    unfilled minutes the same way, held (else the weighted searches traded kept duties for
    minutes, the more the shorter the limit); then CP-SAT's local search on the previous
    duties not kept, from that answer, to a fixed point (``_walk_back``), with the coverage
    held: the coverage search moves duties it need not, and this walks
    them back (``bench/replan.py``, three churn seeds: 47-90 % of the still-available
    people's duties kept without either, 99.2-100 % with both, and fewer shortage minutes,
    as the weighted searches start nearer the previous plan); then the whole objective with
    every
    continuing student in place, then with moves allowed, from the answer before, so each
    can only be better. ``pin groups`` keeps the first (the second is what the pin
    costs); otherwise the second is the answer (the first is not returned)."""
    parts, named = _situation(inst, previous)
    posts = _posts(inst, previous, parts, pin, rows)
    start = greedy_start(inst, parts, posts, previous)
    model = ReplanModel(inst, parts, posts, pin)
    model.build()
    objective = model.objective()
    # the stages' shares of the CPU time left (the deterministic budgets decide unless the
    # clock runs short: then coverage stops by BUDGET.covering of it and the walk-back by
    # BUDGET.walking, so the later stages always get their turn)
    covering, walking = _stage(opts, BUDGET.covering), _stage(opts, BUDGET.walking)
    whole = opts.time_limit * TERM_DET_PER_SECOND
    budget = whole * BUDGET.weighted  # each of the two weighted searches
    model.hint(start)
    model.fix_groups(True)
    # coverage first, as plan counts it, alone: the weighted objective's search alone
    # left a leaver's duties unfilled where others could take them (its gap stayed wide)
    unfilled = sum(c * v for c, v in model.terms["posts"])
    cover = _cover(model, unfilled, "re-plan, coverage", covering, whole * BUDGET.cover_tree,
                   whole * BUDGET.cover_local)
    if pin == "none" and floor is None and cover.status != "OPTIMAL" and (
            not cover.has_solution or cover.objective > 0):
        # coverage first: a pinned plan is a restriction of this one, so this one covers
        # at least what pinning the duties covers (its smaller space searched well where
        # this one's search stopped short)
        floor = _pinned_cover(model, inst, previous, start, rows, covering, whole)
    if floor is not None:
        cover = _at_least(model, unfilled, cover, floor, covering)
    if cover.has_solution:
        model.m.add(unfilled <= cover.objective)
        start = model.values(cover.solver) if cover.solver is not None else floor
        model.hint(start)
        # then the unfilled minutes, the posts held: the weighted searches would otherwise
        # trade kept duties for minutes after the walk-back, more of them on a shorter limit
        unit = math.gcd(*(c for c, _ in model.terms["shortage"])) or 1
        minutes = sum(c // unit * v for c, v in model.terms["shortage"])
        short = _cover(model, minutes, "re-plan, coverage minutes", covering, 0,
                       whole * BUDGET.minutes_local)
        if short.has_solution:
            model.m.add(minutes <= short.objective)
            start = model.values(short.solver)
        model.hint(start)
        # walk back the duties the coverage search moved needlessly, the coverage held
        changes = sum(c * v for c, v in model.terms["changes"])
        unavoidable = sum(c * v for c, v in model.terms["changes"] if isinstance(v, int))
        start = _walk_back(model, changes, unavoidable, start, walking,
                           whole * BUDGET.walk_back / TERM_DET_PER_SECOND * LS_DET_PER_SECOND)
    first = solve_phase(model.m, objective, "re-plan, groups kept", opts, budget)
    if first.status == "INFEASIBLE" and pin == "duties":
        raise InputError([Problem("--pin", "the pinned duties cannot all be kept with the "
                                  "edited groups and limits; re-plan without --pin duties")])
    vals = model.values(first.solver) if first.has_solution else start
    kept_run = _outcome(inst, previous, parts, named, posts, vals, first)
    model.fix_groups(False)
    model.hint(vals)
    second = solve_phase(model.m, objective, "re-plan, moves allowed", opts, budget)
    moved_run = _outcome(inst, previous, parts, named, posts,
                         model.values(second.solver) if second.has_solution else vals,
                         second if second.has_solution else first)
    return (kept_run, moved_run) if pin == "groups" else (moved_run, None)


def _stage(opts: SolveOptions, fraction: float) -> SolveOptions:
    """``opts`` for a stage that must end by ``fraction`` of the CPU time left now (its
    deadline a child of the whole: Ctrl-C and the whole's end end it too)."""
    if opts.deadline is None:
        return opts
    child = Deadline(opts.deadline.left() * fraction, opts.deadline.clock)
    child.parent = opts.deadline
    child.limit = child.seconds
    return replace(opts, deadline=child)


def _unfilled_of(model: ReplanModel, unfilled, val: Values) -> int:
    """The unfilled posts of ``val`` in ``model`` (its helpers computed as for a hint)."""
    hv = model.hint_values(val)
    flat = cp_model.FlatIntExpr(unfilled)
    return flat.offset + sum(c * hv.get(v.index, 0) for v, c in zip(flat.vars, flat.coeffs))


def _at_least(model: ReplanModel, unfilled, cover, floor: Values, opts: SolveOptions):
    """``cover`` if it leaves no more posts unfilled than ``floor`` (another search's
    answer, valid in this model), else a search from ``floor`` held to its coverage."""
    target = _unfilled_of(model, unfilled, floor)
    if cover.has_solution and cover.objective <= target:
        return cover
    model.hint(floor)
    model.m.add(unfilled <= target)
    res = solve_phase(model.m, unfilled, "re-plan, coverage from the pinned answer", opts,
                      BUDGET.from_pinned, required=True)
    # the answer given is one such cover already (the caller starts from it)
    return res if res.has_solution else PhaseResult(res.name, "FEASIBLE", target, None,
                                                    res.seconds)


def _pinned_cover(model: ReplanModel, inst: Instance, previous: Plan, start: Values, rows,
                  opts: SolveOptions, whole: float) -> Values | None:
    """The coverage search of ``--pin duties`` alone, on a copy of ``model`` with the pins
    added (no second model built), from ``start``: a tree search of 0.05 of the budget,
    then local search of 0.05 as for the re-plan. Its answer, or None."""
    pinned = _posts(inst, previous, model.parts, "duties", rows).pinned
    saved = model.m, model.pin, model.posts, list(model.aux)
    model.m = model.m.clone()
    model.pin, model.posts = "duties", replace(model.posts, pinned=pinned)
    try:
        model.add_pins()
        model.hint(start)
        unfilled = sum(c * v for c, v in model.terms["posts"])
        cover = _cover(model, unfilled, "re-plan, pinned coverage", opts,
                       whole * BUDGET.pinned_tree, whole * BUDGET.pinned_local)
        return model.values(cover.solver) if cover.has_solution else None
    finally:
        model.m, model.pin, model.posts, model.aux = saved


WALK_ROUNDS = 4  # the walk-back's local searches at most, each from the one before


def _walk_back(model: ReplanModel, changes, unavoidable: int, start: Values,
               opts: SolveOptions, budget: float) -> Values:
    """CP-SAT's local search on the previous duties not kept, coverage held, run to a fixed
    point within ``budget``: searches of a ``WALK_ROUNDS``-th of it, each from the answer
    before, while they keep more duties (one search stopped where its budget did, leaving
    duties a further search from its answer would keep). Returns the answer, hinted."""
    best = None
    for _ in range(WALK_ROUNDS):
        back = solve_phase(model.m, changes, "re-plan, changes: local search", opts,
                           budget / WALK_ROUNDS, unavoidable, local_search=True)
        if not back.has_solution or (best is not None and back.objective >= best):
            break
        best = back.objective
        start = model.values(back.solver)
        model.hint(start)
        if back.objective <= unavoidable:
            break
    return start


def _cover(model: ReplanModel, objective, name: str, opts: SolveOptions, tree: float,
           local: float):
    """A coverage objective searched from the model's hint: a tree search of ``tree``
    deterministic seconds, then, unless it proved its answer, CP-SAT's local search from
    its best in parts (``_cover_locally``, ``local`` in tree-search seconds)."""
    cover = solve_phase(model.m, objective, name, opts, tree) if tree > 0 else \
        PhaseResult(name, "UNKNOWN", None, None, 0.0)
    if cover.status != "OPTIMAL":
        if cover.has_solution:
            model.hint(model.values(cover.solver))
        cover = _cover_locally(model, objective, cover, opts,
                               local / TERM_DET_PER_SECOND * LS_DET_PER_SECOND)
    return cover


def _cover_locally(model: ReplanModel, unfilled, best, opts: SolveOptions, budget: float):
    """CP-SAT's local search on the unfilled posts from the model's hint, in ``COVER_CHUNKS``
    parts of ``budget``, each from the one before, stopping at the first that fills no
    more: once the coverage stops improving, the search only wanders, moving duties it
    need not (one search of the whole budget left 56-90 % of the bench's duties kept where
    this keeps 99-100 %, the walk-back after it included). Returns the best phase."""
    chunk = budget / COVER_CHUNKS
    for _ in range(COVER_CHUNKS):
        ls = solve_phase(model.m, unfilled, "re-plan, coverage: local search", opts, chunk,
                         best.bound, local_search=True)
        if not ls.has_solution or (best.has_solution and ls.objective >= best.objective):
            break
        best = ls
        if ls.status == "OPTIMAL":
            break
        model.hint(model.values(ls.solver))
    return best


def _outcome(inst, previous, parts, named, posts, vals: Values, res) -> _Run:
    decoded = decode(inst, previous, parts, posts, vals)
    now = {(x, g.session): g.id for g in decoded.groups for x in g.students}
    moves = sum(1 for p in parts for u in p.units for x in u.students
                if now.get((x, p.session.id)) != u.group)
    status = res.status if res.has_solution else "FEASIBLE"
    return _Run(parts, named, posts, decoded, status, res.as_dict(), moves, vals)


def _duty_key(d: Duty) -> tuple:
    return (d.day, d.session, d.slot, d.group, d.role, d.window)


def _changed(previous: Plan, duties: list[Duty]) -> tuple[int, int]:
    """(previous duties no longer in the plan, new duties not in the previous plan)."""
    old = {(_duty_key(d), d.staff) for d in previous.duties}
    new = {(_duty_key(d), d.staff) for d in duties}
    return len(old - new), len(new - old)


def _pin_cost(pinned: _Run, free: _Run) -> PinCost:
    return PinCost(pinned.decoded.shortage_minutes - free.decoded.shortage_minutes,
                   pinned.decoded.group_days - free.decoded.group_days, free.moves,
                   free.decoded.shortage_minutes, free.decoded.group_days)


def signups_then(inst: Instance, previous: Plan) -> dict[str, dict]:
    """The sign-ups of the previous version's students as that plan recorded them (its
    ``people``), so their fees keep the weekdays of that time; a student the plan did not
    record (an older plan) keeps today's row."""
    recorded = previous.extra.get("people", {}).get("students", {})
    today = {s.id: s for s in inst.students}
    out = {}
    for g in previous.groups:
        for x in g.students:
            then, st = recorded.get(x, {}), today.get(x)
            out[x] = {"noon": list(then.get("noon", st.noon if st else ())),
                      "afternoon": list(then.get("afternoon", st.afternoon if st else ())),
                      "lunch": bool(then.get("lunch", st.lunch if st else False))}
    return dict(sorted(out.items()))


def _assemble(inst: Instance, previous: Plan, start: date, pin: str, run: _Run, cost,
              opts: SolveOptions, cpu: float, reserved: tuple = ()) -> Replan:
    school = inst.school
    dec = run.decoded
    plan = Plan(status=run.status, groups=dec.groups, duties=dec.duties,
                shortages=dec.shortages)
    plan.valid_from = start.isoformat()
    plan.history = list(previous.history) + [version_json(
        previous.valid_from or school.term.start.isoformat(),
        (start - timedelta(days=1)).isoformat(), previous.groups, previous.duties,
        previous.shortages, signups_then(inst, previous))]
    plan.exceptions = [x for x in previous.exceptions if x["date"] < start.isoformat()]
    # absences are facts: covers of unchanged duties kept, the others found again
    plan, carried = carry_covers(
        inst, plan, [x for x in previous.exceptions if x["date"] >= start.isoformat()],
        time_limit=min(BUDGET.covers_max, opts.time_limit / BUDGET.covers_parts),
        seed=opts.seed)
    dropped = carried.dropped
    plan.staffing = staffing_table(inst, dec.groups, dec.present)
    ever = {x for v in plan.versions() for g in v.groups for x in g.students}
    people_before = previous.extra.get("people", {}).get("students", {})
    students = {}
    for st in inst.students:
        if st.status == "enrolled" or st.id in ever:
            students[st.id] = dict(student_entry(st), status=st.status)
    for x in ever - set(students):  # pragma: no cover - rows are required by the input check
        students[x] = people_before.get(x, {})
    student_rows, duty_rows = change_rows(inst, previous, run, start)
    lost, gained = _changed(previous, dec.duties)
    # duties of people who may still hold them (volunteer, declared the time): kept if the
    # same person holds the same post (teacher: day, session, slot, group; manager: window)
    posts = run.posts
    now = {(d.day, d.session, d.slot, d.group, d.window, d.staff) for d in dec.duties}
    old_avail = [(d, sid, posts.slots[d, sid, k].name, g, None, t)
                 for t, d, sid, k, g in posts.old_teach if t in posts.can_teach[d, sid, k]]
    old_avail += [(d, None, None, None, w, t) for t, d, w in posts.old_manage
                  if t in posts.can_manage[d, w]]
    kept_avail = sum(1 for key in old_avail if key in now)
    stats = ReplanStats(
        start=start.isoformat(),
        previous_from=previous.valid_from or school.term.start.isoformat(), pin=pin,
        students_moved=run.moves,
        students_named_moved=sum(1 for r in student_rows if r["change"] == "changed"
                                 and r["old_group"] != r["new_group"]),
        students_added=len({x for x, _ in run.named["new"]}),
        students_left=len({x for x, _, _ in run.named["withdrawn"]}),
        enrolled=len(inst.enrolled),
        duties_before=len(previous.duties), duties_removed=lost, duties_added=gained,
        available_duties_before=len(old_avail), available_duties_kept=kept_avail,
        shortage_minutes_per_week=dec.shortage_minutes, group_days=dec.group_days,
        exceptions_dropped=len(dropped),
        exceptions_kept=len(carried.kept), exceptions_found_again=len(carried.added),
        # every substitution any re-plan dropped, oldest first, each marked with the date
        # of the re-plan that dropped it and the index of the version it made (in
        # Plan.versions()): phone calendars derive SEQUENCE and cancellations from it
        dropped_exceptions=list(previous.extra.get("replan", {}).get(
            "dropped_exceptions", [])) + [
            dict(x, dropped_from=start.isoformat(), dropped_by_version=len(plan.history))
            for x in dropped],
        solver=run.phase, cpu_seconds=round(cpu, 3),
        small_groups=small_new_group_days(inst, previous, dec), pin_cost=cost)
    plan.extra = {
        "school": school.name,
        "term": {"start": school.term.start.isoformat(), "end": school.term.end.isoformat()},
        "interrupted": opts.interrupted,
        "seed": opts.seed,
        "grouping": [_grouping_row(inst, p, dec) for p in run.parts],
        "parts": [run.phase],
        "shortage_minutes_per_week": dec.shortage_minutes,
        "penalties": [],
        **school_context(inst, students),
        "replan": stats.as_dict(),
        "solve_stats": SolveStats.of(cpu, 1, opts.time_limit, opts.deadline).as_dict(),
    }
    if school.venues or previous.extra.get("venues"):
        _rooms(inst, previous, plan, dec, opts, stats, reserved)
        plan.extra["replan"] = stats.as_dict()  # with the rooms moved
        # and with a cut of the rooms' search, if the clock decided it (same place in extra)
        plan.extra["solve_stats"] = SolveStats.of(cpu, 1, opts.time_limit,
                                                  opts.deadline).as_dict()
    term_money(inst, plan)
    return Replan(plan, student_rows, duty_rows, dropped, stats)


def _rooms(inst: Instance, previous: Plan, plan: Plan, dec, opts: SolveOptions,
           stats: ReplanStats, reserved: tuple = ()) -> None:
    """SPEC §12: each group keeps its previous room where the rules allow (the previous
    rooms as a start and a cost in ``venues.place``); the previous version keeps its venue
    rows in ``history``; ``stats.rooms_moved``: (group, day)s whose room changed."""
    before = previous.extra.get("venues") or []
    if before:
        plan.history[-1]["venues"] = before
    if not inst.school.venues:
        return
    known = {v.id for v in inst.school.venues}
    old = {(r["group"], r["day"]): r["room"] for r in before
           if r.get("room") in known}
    opts.phase("venues")  # a cut of the rooms' search is named as plan names it
    rooms = venues.place(inst, dec.groups, dec.present, opts,
                         opts.det_budget(opts.time_limit * TERM_DET_PER_SECOND * BUDGET.rooms),
                         previous=old, reserved=reserved)
    plan.extra.update(rooms.extra())
    now = {(r["group"], r["day"]): r["room"] for r in rooms.rows}
    stats.rooms_moved = sum(1 for k, v in old.items() if k in now and now[k] != v)


SMALL_GROUP = 20  # pupils: a group-day the re-plan creates with fewer is reported


def small_new_group_days(inst: Instance, previous: Plan, dec: Decoded) -> list[dict]:
    """Group-days the re-plan creates (a new group, or a group meeting on a day it did not)
    with fewer than ``SMALL_GROUP`` pupils present, each with its pay a week (its teachers'
    minutes at their rates): what the school pays for them."""
    by_id = {x.id: x for x in inst.students}
    sessions = {s.id: s for s in inst.school.sessions}
    before = set()
    for g in previous.groups:
        s = sessions.get(g.session)
        for d in (s.days if s else ()):
            if any(x in by_id and d in by_id[x].days(s.signup) for x in g.students):
                before.add((g.id, d))
    rules = inst.school.rules
    out = []
    for g in dec.groups:
        s = sessions[g.session]
        for d in s.days:
            n = sum(1 for x in g.students if d in by_id[x].days(s.signup))
            if not n or n >= SMALL_GROUP or (g.id, d) in before:
                continue
            pay = 0.0
            minutes = 0
            for du in dec.duties:
                if du.group == g.id and du.day == d:
                    t = inst.teacher(du.staff)
                    rate = t.hourly_rate if t.hourly_rate is not None else rules.pay_per_hour
                    pay += du.minutes * float(rate) / 60
                    minutes += du.minutes
            out.append({"group": g.id, "session": g.session, "day": d, "students": n,
                        "teacher_minutes": minutes, "pay_per_week": f"{pay:.2f}"})
    return out


def _grouping_row(inst: Instance, part: SessionPart, dec: Decoded) -> dict:
    """The figures ``plan`` reports per session: students, groups, group-days and bound."""
    s = part.session
    by_id = {x.id: x for x in inst.students}
    gs = [g for g in dec.groups if g.session == s.id]
    n = {d: sum(1 for g in gs for x in g.students if d in by_id[x].days(s.signup))
         for d in s.days}
    cap = inst.school.rules.group_cap
    bound = sum(math.ceil(v / cap) for v in n.values())
    gd = sum(len(dec.present.get((d, s.id), [])) for d in s.days)
    pairs = sum(len({by_id[x].klass for x in g.students}) for g in gs)
    return {"session": s.id, "students": sum(len(g.students) for g in gs), "groups": len(gs),
            "group_days": gd, "group_days_bound": bound,
            "group_days_gap": round((gd - bound) / max(gd, 1), 6), "class_pairs": pairs,
            "classes": len({by_id[x].klass for g in gs for x in g.students}),
            # keys ``plan`` also writes; a re-plan runs no greedy and trades nothing
            "greedy_group_days": gd, "traded_group_days": 0}


def change_rows(inst: Instance, previous: Plan, run: _Run, start: date
                ) -> tuple[list[dict], list[dict]]:
    """Students who move, join or leave, and duty posts whose person changes, from DATE."""
    frm = start.isoformat()
    now = {(x, g.session): g.id for g in run.decoded.groups for x in g.students}
    names = {s.id: (s.name, s.klass) for s in inst.students}
    rows = []
    for x, sid, g in run.named["withdrawn"]:
        st = next((s for s in inst.students if s.id == x), None)
        why = "withdrawn" if st is None or st.status != "enrolled" else "no longer takes it"
        rows.append({"student": x, "change": "left", "session": sid, "old_group": g,
                     "new_group": "", "reason": why})
    for x, sid in run.named["new"]:
        rows.append({"student": x, "change": "added", "session": sid, "old_group": "",
                     "new_group": now[x, sid], "reason": "newly enrolled"})
    for x, sid, g in run.named["changed"]:
        rows.append({"student": x, "change": "changed", "session": sid, "old_group": g,
                     "new_group": now[x, sid], "reason": "class or weekdays changed"})
    for p in run.parts:
        for u in p.units:
            for x in u.students:
                if now.get((x, p.session.id)) != u.group:
                    rows.append({"student": x, "change": "moved", "session": p.session.id,
                                 "old_group": u.group, "new_group": now[x, p.session.id],
                                 "reason": "to make room or to staff the groups"})
    for r in rows:
        r["from"] = frm
        r["name"], r["class"] = names.get(r["student"], ("", ""))
    rows.sort(key=lambda r: (r["session"], r["change"], r["student"]))
    order = {d: i for i, d in enumerate(WEEKDAYS)}
    old = defaultdict(list)
    new = defaultdict(list)
    for d in previous.duties:
        old[d.day, d.session, d.slot, d.group, d.window, d.start, d.end, d.role].append(d.staff)
    for d in run.decoded.duties:
        new[d.day, d.session, d.slot, d.group, d.window, d.start, d.end, d.role].append(d.staff)
    duty_rows = []
    for key in sorted(set(old) | set(new), key=lambda k: (order[k[0]], k[5], str(k[1]),
                                                          str(k[3]), str(k[4]))):
        a, b = sorted(set(old.get(key, [])) - set(new.get(key, []))), \
            sorted(set(new.get(key, [])) - set(old.get(key, [])))
        for i in range(max(len(a), len(b))):
            d, sid, slot, g, w, s0, s1, role = key
            duty_rows.append({"from": frm, "day": d, "time": f"{s0}-{s1}",
                              "session": sid or "", "window": w or "", "slot": slot or "",
                              "group": g or "", "role": role,
                              "old_staff": a[i] if i < len(a) else "",
                              "new_staff": b[i] if i < len(b) else ""})
    return rows, duty_rows
