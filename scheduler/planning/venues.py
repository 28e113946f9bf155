"""Venues and activities for the formed groups (SPEC §12): one CP-SAT model after grouping.

Input: the instance (``school.venues``, ``school.activities``, sessions and sign-ups), the
final groups, which groups are present on which day (``present[(day, session)]``), the solve
options (deadline, seed), a deterministic budget, ``reserved`` occupancy (``models.Reserved``:
a venue already taken at some times, e.g. by clubs) and ``previous`` rooms
(``{(group, day): venue}``: a re-plan keeps them where it can).

Output: ``VenuePlan``: ``rows`` (one per group present, day and slot: ``{"day",
"session", "slot", "start", "end", "group", "venue", "activity", "room"}``; ``activity``
None for homework help; ``room`` the group's room that day, held for the whole session;
``venue`` where it is in that slot: the room, or the activity's venue; both None where no
room fits), ``shortfalls`` (``{"group", "activity", "missing"}``), ``no_room`` (``{"day",
"session", "group", "pupils"}``), ``rain`` (per day and outdoor activity slot, the indoor
venue it moves to, or None), ``venue_list`` and ``activity_list`` (names for the
hand-outs) and ``stats`` (the search, counts and their bounds).

Hard rules: each group present on a day holds one *room* (a venue of ``HOME_KINDS``,
indoor) for its whole session (its bags stay there while it is out at an activity), or none
and the day is listed in ``no_room``; an activity takes a whole slot in a venue of one of its
kinds; a venue holds at most ``groups`` groups at any moment (intervals by their real start
and end: the 16:20–16:35 overlap of the afternoon sessions counts; reserved occupancy
counts); a venue holds no group with more pupils present that day than its ``capacity`` and
none outside its ``available`` windows; each afternoon group (sessions signed up through the
``afternoon`` column) gets at most ``per_week`` slots of each activity.

Objective (minimised, heaviest first): group-days without a room (``W_NO_ROOM``), activity
slots missed (``W_MISS``), then per group-day a room other than its previous one
(re-plan, ``W_MOVED``), not the homeroom of the group's largest class (``W_NOT_HOME``), not a
classroom (``W_NOT_CLASSROOM``), and each room beyond the first a group uses in the week
(``W_EXTRA_ROOM``). Deterministic: one search with a deterministic budget and the seed; a
greedy start (also the answer when the search finds nothing in time). The search chooses
each group-day's room among its ``ROOM_CHOICES`` cheapest, the start's and the previous one
(the bounds in ``stats`` are over every room).

Bounds (``stats``): activity slots achievable per activity are at most what the groups' own
days and eligible venues allow and at most each day's venue units (``groups``) times the
most pairwise disjoint afternoon slots; over all activities, at most each group's slots
with any activity venue; groups in their largest class's homeroom every day at most, per
homeroom, the most groups it fits that never exceed its ``groups`` at overlapping times;
groups with one room all week at most those with a room that fits every day they meet.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from afterschool.models.instance import Instance
from afterschool.models.plan import Group
from afterschool.models.school import WEEKDAYS, fmt_time
from afterschool.models.venues import Reserved, Venue
from afterschool.scheduler.planning.cpsat import SolveOptions, solve_phase

W_MISS = 1000
W_NO_ROOM = 10000
W_MOVED = 20
W_NOT_HOME = 4
W_NOT_CLASSROOM = 1
W_EXTRA_ROOM = 3
BOUND_EXACT = 12  # groups sharing a preferred homeroom up to which its bound is exact
ROOM_CHOICES = 8  # rooms per group-day in the search: the cheapest, the start's, the previous


@dataclass
class VenuePlan:
    rows: list[dict] = field(default_factory=list)
    shortfalls: list[dict] = field(default_factory=list)
    no_room: list[dict] = field(default_factory=list)
    rain: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    venue_list: dict = field(default_factory=dict)
    activity_list: dict = field(default_factory=dict)

    def extra(self) -> dict:
        """The keys this adds to ``plan.json`` (docs/plan-file.md)."""
        return {"venue_list": self.venue_list, "activity_list": self.activity_list,
                "venues": self.rows, "venue_shortfalls": self.shortfalls,
                "venue_no_room": self.no_room, "rain_plan": self.rain,
                "venue_stats": self.stats}


class Occupancy:
    """Intervals held in each (venue, day); ``fits`` checks the ``groups`` limit at every
    moment a new interval would share (the start points of the intervals inside it)."""

    def __init__(self, venues: dict[str, Venue], reserved=()):
        self.venues = venues
        self.held: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        for r in reserved:
            self.held[r.venue, r.day].append((r.start, r.end))

    def depth(self, venue: str, day: str, start: int, end: int) -> int:
        held = self.held[venue, day]
        points = {start} | {s for s, _ in held if start <= s < end}
        return max(sum(1 for s, e in held if s <= t < e) for t in points)

    def fits(self, venue: str, day: str, start: int, end: int) -> bool:
        return self.depth(venue, day, start, end) + 1 <= self.venues[venue].groups

    def add(self, venue: str, day: str, start: int, end: int) -> None:
        self.held[venue, day].append((start, end))


def largest_class(group: Group, klass: dict[str, str]) -> str | None:
    """The class with most pupils in the group (ties: the smaller class id)."""
    count = Counter(klass[s] for s in group.students if s in klass)
    return min(count, key=lambda k: (-count[k], k)) if count else None


def head_counts(inst: Instance, groups, present) -> dict[tuple[str, str], int]:
    """Pupils of each group present on each day: ``{(group, day): n}``."""
    sessions = {s.id: s for s in inst.school.sessions}
    students = {s.id: s for s in inst.students}
    out = {}
    for g in groups:
        s = sessions[g.session]
        for d in s.days:
            if g.id in present.get((d, s.id), ()):
                out[g.id, d] = sum(1 for x in g.students
                                   if x in students and d in students[x].days(s.signup))
    return out


def _disjoint(intervals) -> int:
    """The most pairwise disjoint intervals (earliest end first)."""
    n, end = 0, -1
    for s, e in sorted(set(intervals), key=lambda x: (x[1], x[0])):
        if s >= end:
            n, end = n + 1, e
    return n


def place(inst: Instance, groups: list[Group], present, opts: SolveOptions | None = None,
          budget: float = 1.0, reserved: tuple[Reserved, ...] = (),
          previous: dict[tuple[str, str], str] | None = None) -> VenuePlan:
    school = inst.school
    venues = {v.id: v for v in school.venues}
    order = [v.id for v in school.venues]
    sessions = {s.id: s for s in school.sessions}
    klass = {s.id: s.klass for s in inst.students}
    heads = head_counts(inst, groups, present)
    previous = previous or {}
    homeroom = {v.homeroom: v.id for v in school.venues if v.homeroom}
    gmap = {g.id: g for g in groups}
    pref = {g.id: homeroom.get(largest_class(g, klass)) for g in groups}

    def fits(v: Venue, n: int, d: str, start: int, end: int) -> bool:
        return v.capacity >= n and v.open_for(d, start, end)

    def home_cost(gid: str, d: str, vid: str) -> int:
        c = 0
        if previous.get((gid, d)) not in (None, vid):
            c += W_MOVED
        if pref[gid] != vid:
            c += W_NOT_HOME
        if venues[vid].kind != "classroom":
            c += W_NOT_CLASSROOM
        return c

    gd = sorted(heads, key=lambda k: (WEEKDAYS.index(k[1]), k[0]))
    home_opts = {k: [vid for vid in order if venues[vid].home and fits(
        venues[vid], heads[k], k[1], sessions[gmap[k[0]].session].start,
        sessions[gmap[k[0]].session].end)] for k in gd}
    acts = school.activities
    act_opts: dict[tuple[str, str, int, str], list[str]] = {}
    for (gid, d) in gd:
        s = sessions[gmap[gid].session]
        if s.signup != "afternoon":
            continue
        for k, sl in enumerate(s.slots):
            for a in acts:
                if a.per_week:
                    act_opts[gid, d, k, a.id] = [
                        vid for vid in order if venues[vid].kind in a.venue_kinds
                        and fits(venues[vid], heads[gid, d], d, sl.start, sl.end)]

    start_home, start_act = _greedy(school, gd, gmap, sessions, venues, home_opts, act_opts,
                                    reserved, previous, pref, home_cost)
    rank = {vid: i for i, vid in enumerate(order)}
    model_opts = {}  # the search's rooms: the cheapest few, the start's and the previous
    for k, vs in home_opts.items():
        best = sorted(vs, key=lambda v: (home_cost(k[0], k[1], v), rank[v]))[:ROOM_CHOICES]
        keep = set(best) | {start_home.get(k), previous.get(k)}
        model_opts[k] = [v for v in vs if v in keep]
    home, act, status = start_home, start_act, {"part": "venues", "status": "GREEDY",
                                                "objective": None, "bound": None, "gap": None}
    if opts is not None and gd:
        found = _search(school, gd, gmap, sessions, venues, model_opts, act_opts, reserved,
                        home_cost, start_home, start_act, opts, budget)
        if found is not None:
            home, act, status = found

    plan = VenuePlan(venue_list=venue_list(inst), activity_list={
        a.id: {"name": a.name, "venue_kinds": list(a.venue_kinds), "per_week": a.per_week}
        for a in acts})
    per = Counter()
    for (gid, d) in gd:
        s = sessions[gmap[gid].session]
        for k, sl in enumerate(s.slots):
            a = act.get((gid, d, k))
            if a:
                per[gid, a[0]] += 1
            plan.rows.append({"day": d, "session": s.id, "slot": sl.name,
                              "start": fmt_time(sl.start), "end": fmt_time(sl.end), "group": gid,
                              "venue": a[1] if a else home.get((gid, d)),
                              "activity": a[0] if a else None,
                              "room": home.get((gid, d))})
        if (gid, d) not in home:
            plan.no_room.append({"day": d, "session": s.id, "group": gid,
                                 "pupils": heads[gid, d]})
    afternoon = sorted({gid for (gid, d) in gd if sessions[gmap[gid].session].signup
                        == "afternoon"})
    for gid in afternoon:
        for a in acts:
            if per[gid, a.id] < a.per_week:
                plan.shortfalls.append({"group": gid, "activity": a.id,
                                        "missing": a.per_week - per[gid, a.id]})
    plan.rain = rain_plan(inst, plan.rows, heads, reserved, WEEKDAYS)
    plan.stats = _stats(inst, gd, gmap, sessions, venues, home, act, act_opts, home_opts,
                        pref, afternoon, plan, status)
    return plan


def venue_list(inst: Instance) -> dict:
    """What the hand-outs need to know of each venue, in the school's order."""
    return {v.id: {"name": v.name, "kind": v.kind, "capacity": v.capacity,
                   "groups": v.groups, "outdoor": v.outdoor} for v in inst.school.venues}


def _greedy(school, gd, gmap, sessions, venues, home_opts, act_opts, reserved, previous,
            pref, home_cost):
    """A start: rooms day by day (the largest group first, its cheapest room that fits),
    then activities slot by slot while a group still needs them."""
    occ = Occupancy(venues, reserved)
    rank = {v.id: i for i, v in enumerate(school.venues)}
    home: dict[tuple[str, str], str] = {}
    act: dict[tuple[str, str, int], tuple[str, str]] = {}
    chosen: dict[str, str] = {}
    for (gid, d) in sorted(gd, key=lambda k: (WEEKDAYS.index(k[1]), k[0])):
        s = sessions[gmap[gid].session]
        cands = sorted(home_opts[gid, d], key=lambda v: (
            home_cost(gid, d, v) - (W_EXTRA_ROOM if chosen.get(gid) == v else 0), rank[v]))
        for v in cands:
            if occ.fits(v, d, s.start, s.end):
                occ.add(v, d, s.start, s.end)
                home[gid, d] = v
                chosen.setdefault(gid, v)
                break
    count = Counter()
    for a in school.activities:
        for (gid, d) in gd:
            s = sessions[gmap[gid].session]
            for k, sl in enumerate(s.slots):
                if count[gid, a.id] >= a.per_week or (gid, d, k) in act:
                    continue
                for v in act_opts.get((gid, d, k, a.id), ()):
                    if occ.fits(v, d, sl.start, sl.end):
                        occ.add(v, d, sl.start, sl.end)
                        act[gid, d, k] = (a.id, v)
                        count[gid, a.id] += 1
                        break
    return home, act


def _search(school, gd, gmap, sessions, venues, home_opts, act_opts, reserved, home_cost,
            start_home, start_act, opts, budget):
    m = cp_model.CpModel()
    cost = []
    r: dict[tuple[str, str, str], cp_model.IntVar] = {}
    y: dict[tuple[str, str, int, str, str], cp_model.IntVar] = {}
    intervals: dict[tuple[str, str], list] = defaultdict(list)  # (venue, day) -> (s, e, var)
    for (gid, d) in gd:
        s = sessions[gmap[gid].session]
        none = m.new_bool_var("")
        m.add_hint(none, (gid, d) not in start_home)
        cost.append(W_NO_ROOM * none)
        here = []
        for v in home_opts[gid, d]:
            x = r[gid, d, v] = m.new_bool_var("")
            m.add_hint(x, start_home.get((gid, d)) == v)
            here.append(x)
            intervals[v, d].append((s.start, s.end, x))
            c = home_cost(gid, d, v)
            if c:
                cost.append(c * x)
        m.add_exactly_one(here + [none])
    uses: dict[tuple[str, str], list] = defaultdict(list)
    for (gid, d, v), x in r.items():
        uses[gid, v].append(x)
    rooms_of = defaultdict(list)
    for (gid, v), xs in sorted(uses.items()):
        u = m.new_bool_var("")
        for x in xs:
            m.add_implication(x, u)
        m.add_hint(u, any(start_home.get((gid, d)) == v for d in WEEKDAYS))
        rooms_of[gid].append(u)
    for gid, us in rooms_of.items():
        cost.append(W_EXTRA_ROOM * sum(us))
    per_slot = defaultdict(list)
    per_act = defaultdict(list)
    for (gid, d, k, aid), vs in sorted(act_opts.items()):
        sl = sessions[gmap[gid].session].slots[k]
        for v in vs:
            x = y[gid, d, k, aid, v] = m.new_bool_var("")
            m.add_hint(x, start_act.get((gid, d, k)) == (aid, v))
            per_slot[gid, d, k].append(x)
            per_act[gid, aid].append(x)
            intervals[v, d].append((sl.start, sl.end, x))
    for xs in per_slot.values():
        m.add_at_most_one(xs)
    acts = {a.id: a for a in school.activities}
    need = sorted({(gid, a.id) for (gid, d, k, aid) in act_opts for a in acts.values()
                   if a.per_week})
    for gid, aid in need:
        xs = per_act.get((gid, aid), [])
        m.add(sum(xs) <= acts[aid].per_week)
        cost.append(W_MISS * (acts[aid].per_week - sum(xs)))
    held_by = defaultdict(list)
    for res in reserved:
        held_by[res.venue, res.day].append((res.start, res.end))
    for (v, d), ivs in sorted(intervals.items()):
        held = held_by.get((v, d), [])
        points = sorted({s for s, _, _ in ivs} | {s for s, _ in held})
        for t in points:
            xs = [x for s, e, x in ivs if s <= t < e]
            fixed = sum(1 for s, e in held if s <= t < e)
            if len(xs) + fixed > venues[v].groups:
                m.add(sum(xs) <= max(0, venues[v].groups - fixed))
    res = solve_phase(m, sum(cost), "venues", opts, budget, required=True)
    if not res.has_solution:
        return None
    sv = res.solver
    home = {(gid, d): v for (gid, d, v), x in r.items() if sv.boolean_value(x)}
    act = {(gid, d, k): (aid, v) for (gid, d, k, aid, v), x in y.items()
           if sv.boolean_value(x)}
    return home, act, res.as_dict()


def rain_plan(inst: Instance, rows: list[dict], heads, reserved, days) -> list[dict]:
    """Per rainy day, each outdoor activity slot moved to an indoor venue of its
    ``rain_venue_kinds`` with room at that moment (every group's room, the indoor activity
    rows and ``reserved`` held, the outdoor ones released), in row order; ``venue`` None
    where none fits (the group stays in its own room, which it holds all session)."""
    school = inst.school
    venues = {v.id: v for v in school.venues}
    acts = {a.id: a for a in school.activities}
    sessions = {s.id: s for s in school.sessions}
    times = {(s.id, sl.name): (sl.start, sl.end) for s in school.sessions for sl in s.slots}
    occ = Occupancy(venues, reserved)
    homes: set[tuple[str, str]] = set()
    for row in rows:
        if row["day"] not in days:
            continue
        s = sessions[row["session"]]
        room = row.get("room")
        if room is not None and (row["group"], row["day"]) not in homes:
            homes.add((row["group"], row["day"]))
            occ.add(room, row["day"], s.start, s.end)
        if row["activity"] is not None and row["venue"] is not None \
                and row["venue"] != room and not venues[row["venue"]].outdoor:
            occ.add(row["venue"], row["day"], *times[row["session"], row["slot"]])
    out = []
    for row in rows:
        if row["day"] not in days or row["activity"] is None or row["venue"] is None \
                or not venues[row["venue"]].outdoor:
            continue
        a = acts[row["activity"]]
        start, end = times[row["session"], row["slot"]]
        n = heads.get((row["group"], row["day"]), 0)
        moved = None
        for v in school.venues:
            if v.kind in a.rain_venue_kinds and not v.outdoor and v.capacity >= n \
                    and v.open_for(row["day"], start, end) \
                    and occ.fits(v.id, row["day"], start, end):
                occ.add(v.id, row["day"], start, end)
                moved = v.id
                break
        out.append({"day": row["day"], "session": row["session"], "slot": row["slot"],
                    "group": row["group"], "activity": a.id, "from": row["venue"],
                    "venue": moved})
    return out


def _homeroom_bound(groups, pref, home_opts, days, gmap, sessions, venues) -> int:
    """Groups that can be in their largest class's homeroom every day at once: per
    homeroom, the most of the groups it fits every day whose sessions never meet it at
    overlapping times beyond its ``groups`` limit (exact for up to ``BOUND_EXACT`` groups a
    room by trying every subset, else all of them)."""
    by_room = defaultdict(list)
    for gid in groups:
        if pref[gid] and all(pref[gid] in home_opts[gid, d] for d in days[gid]):
            by_room[pref[gid]].append(gid)
    total = 0
    for v, gs in by_room.items():
        if len(gs) > BOUND_EXACT or len(gs) <= venues[v].groups:
            total += len(gs)
            continue

        def fine(subset) -> bool:
            for d in WEEKDAYS:
                occ = Occupancy(venues)
                for gid in subset:
                    if d in days[gid]:
                        s = sessions[gmap[gid].session]
                        if not occ.fits(v, d, s.start, s.end):
                            return False
                        occ.add(v, d, s.start, s.end)
            return True
        best = 0
        for mask in range(1, 1 << len(gs)):
            n = bin(mask).count("1")
            if n > best and fine([g for i, g in enumerate(gs) if mask >> i & 1]):
                best = n
        total += best
    return total


def _stats(inst, gd, gmap, sessions, venues, home, act, act_opts, home_opts, pref,
           afternoon, plan, status) -> dict:
    school = inst.school
    groups = sorted({gid for gid, _ in gd})
    rooms_used = defaultdict(set)
    for (gid, d), v in home.items():
        rooms_used[gid].add(v)
    days = defaultdict(list)
    for gid, d in gd:
        days[gid].append(d)
    in_home = sum(1 for gid in groups if pref[gid] and all(home.get((gid, d)) == pref[gid]
                                                          for d in days[gid]))
    home_bound = _homeroom_bound(groups, pref, home_opts, days, gmap, sessions, venues)
    one_room = sum(1 for gid in groups if len(rooms_used[gid]) == 1
                   and len([d for d in days[gid] if (gid, d) in home]) == len(days[gid]))
    one_bound = sum(1 for gid in groups if set.intersection(
        *[set(home_opts[gid, d]) for d in days[gid]]))
    acts = []
    for a in school.activities:
        need = a.per_week * len(afternoon)
        got = sum(1 for (gid, d, k), (aid, v) in act.items() if aid == a.id)
        own = sum(min(a.per_week, sum(1 for (g2, d, k, aid), vs in act_opts.items()
                                      if g2 == gid and aid == a.id and vs))
                  for gid in afternoon)
        units = 0
        for d in WEEKDAYS:
            slots = [(sl.start, sl.end) for s in school.sessions if s.signup == "afternoon"
                     and d in s.days for sl in s.slots]
            units += sum(v.groups for v in school.venues if v.kind in a.venue_kinds
                         and any(v.open_for(d, s, e) for s, e in slots)) * _disjoint(slots)
        best = min(need, own, units)
        acts.append({"activity": a.id, "needed": need, "given": got, "missing": need - got,
                     "missing_bound": need - best})
    # each group: one activity a slot, so at most its slots with any activity venue
    joint = 0
    for gid in afternoon:
        need_g = sum(a.per_week for a in school.activities)
        slots = {(d, k) for (g2, d, k, aid), vs in act_opts.items() if g2 == gid and vs}
        own_g = sum(min(a.per_week, sum(1 for (g2, d, k, aid), vs in act_opts.items()
                                        if g2 == gid and aid == a.id and vs))
                    for a in school.activities)
        joint += need_g - min(need_g, len(slots), own_g)
    missing = sum(x["missing"] for x in acts)
    return {"search": status, "groups": len(groups), "group_days": len(gd),
            "no_room": len(plan.no_room),
            "in_homeroom": in_home, "in_homeroom_bound": home_bound,
            "one_room_all_week": one_room, "one_room_all_week_bound": one_bound,
            "activities": acts, "activity_missing": missing,
            "activity_missing_bound": max(joint, sum(x["missing_bound"] for x in acts)),
            "rain_unplaced": sum(1 for r in plan.rain if r["venue"] is None)}

