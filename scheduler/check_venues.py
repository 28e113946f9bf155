"""The venue part of ``afterschool check`` (SPEC §12), recomputed from the plan's rows and the
instance in plain Python; imports nothing from ``scheduler.planning`` (an independent copy).

Input: the instance (``school.venues``, ``school.activities``, sessions, sign-ups) and the
current plan version's groups and ``venues`` rows (``plan.extra["venues"]``; other keys:
``venue_shortfalls``). Output: ``(rule, message)`` pairs through ``bad``.

Rules checked (names as reported):
- ``venue rows``: exactly one row per group present, day and slot; known venue, group,
  session, slot and activity; the slot's activity in a venue of one of its kinds; a
  homework-help row in the group's room; a room indoor and of a kind for homework help
  (classroom, library, hall, special);
- ``venue groups``: at no moment more groups in a venue than its ``groups`` (rooms held
  for the whole session, activity venues for their slot: overlapping intervals by their
  real times, so the 16:20–16:35 overlap counts); a club meeting (``extra["clubs"]["groups"]``,
  after ``afterschool clubs``) holds its venue on its days and times like a group;
- ``venue capacity``: no venue holds a group with more pupils present that day than its
  capacity; ``venue availability``: every use inside its ``available`` windows;
- ``activity count``: per afternoon group and activity, the slots given plus the declared
  shortfall equal ``per_week`` (no group gets more, none misses one undeclared).
"""
from __future__ import annotations

from collections import Counter, defaultdict


ROOM_KINDS = ("classroom", "library", "hall", "special")  # indoor rooms for homework help


def _minutes(text: str) -> int:
    h, m = str(text).split(":")
    return int(h) * 60 + int(m)


def check_venues(inst, groups, extra: dict, bad) -> None:
    school = inst.school
    rows = extra.get("venues")
    if not school.venues:
        if rows:
            bad("venue rows", "the plan names venues but the school has none")
        return
    if rows is None:
        bad("venue rows", "the school has venues but the plan gives none")
        return
    venues = {v.id: v for v in school.venues}
    acts = {a.id: a for a in school.activities}
    sessions = {s.id: s for s in school.sessions}
    students = {s.id: s for s in inst.students}
    gmap = {g.id: g for g in groups}
    heads = {}
    for g in groups:
        s = sessions.get(g.session)
        if s is None:
            continue
        for d in s.days:
            n = sum(1 for x in g.students if x in students
                    and d in students[x].days(s.signup) and students[x].status == "enrolled")
            if n:
                heads[g.id, d] = n
    seen = Counter()
    room_of: dict[tuple[str, str], set] = defaultdict(set)
    held: dict[tuple[str, str], list] = defaultdict(list)  # (venue, day) -> (start, end, who)
    given = Counter()
    for i, r in enumerate(rows):
        where = f"venues[{i}]"
        g, s = gmap.get(r.get("group")), sessions.get(r.get("session"))
        if g is None or s is None or g.session != s.id:
            bad("venue rows", f"{where}: unknown group or session ({r.get('group')}, "
                f"{r.get('session')})")
            continue
        slot = next((sl for sl in s.slots if sl.name == r.get("slot")), None)
        if slot is None or (g.id, r.get("day")) not in heads:
            bad("venue rows", f"{where}: group {g.id} has no slot {r.get('slot')!r} on "
                f"{r.get('day')}")
            continue
        d = r["day"]
        seen[g.id, d, slot.name] += 1
        room, vid, aid = r.get("room"), r.get("venue"), r.get("activity")
        if room is not None:
            room_of[g.id, d].add(room)
        for v in (room, vid):
            if v is not None and v not in venues:
                bad("venue rows", f"{where}: unknown venue {v}")
        if aid is not None:
            if aid not in acts:
                bad("venue rows", f"{where}: unknown activity {aid}")
                continue
            if vid in venues and venues[vid].kind not in acts[aid].venue_kinds:
                bad("venue rows", f"{where}: activity {aid} in {vid}, a "
                    f"{venues[vid].kind}, not one of {', '.join(acts[aid].venue_kinds)}")
            given[g.id, aid] += 1
            if vid in venues and vid != room:
                held[vid, d].append((_minutes_of(slot.start), _minutes_of(slot.end),
                                     f"{g.id} ({aid})"))
        elif vid != room:
            bad("venue rows", f"{where}: homework help of {g.id} on {d} in {vid}, not its "
                f"room {room}")
    for (gid, d), rooms in sorted(room_of.items()):
        if len(rooms) > 1:
            bad("venue rows", f"group {gid} has {len(rooms)} rooms on {d}")
        for v in sorted(rooms):
            if v in venues and (venues[v].outdoor or venues[v].kind not in ROOM_KINDS):
                bad("venue rows", f"group {gid} on {d}: {v} ({venues[v].kind}"
                    f"{', outdoor' if venues[v].outdoor else ''}) is no room for homework")
        s = sessions[gmap[gid].session]
        for v in rooms:
            if v in venues:
                held[v, d].append((s.start, s.end, gid))
    for (gid, d), n in sorted(heads.items()):
        s = sessions[gmap[gid].session]
        for sl in s.slots:
            if seen[gid, d, sl.name] != 1:
                bad("venue rows", f"group {gid} on {d}, slot {sl.name}: "
                    f"{seen[gid, d, sl.name]} rows, expected 1")
    for club in (extra.get("clubs") or {}).get("groups", []):  # SPEC §12: clubs hold venues
        if club.get("venue") in venues:
            for d in club["days"]:
                held[club["venue"], d].append((_minutes(club["start"]), _minutes(club["end"]),
                                               club["id"]))
    for (v, d), ivs in sorted(held.items()):
        venue = venues[v]
        for s, e, who in ivs:
            gid = who.split(" ")[0]
            if heads.get((gid, d), 0) > venue.capacity:
                bad("venue capacity", f"{v} on {d}: {gid} has {heads[gid, d]} pupils, "
                    f"capacity {venue.capacity}")
            if venue.available and not any(
                    wd == d and ws <= s and e <= we for wd, ws, we in venue.available):
                bad("venue availability", f"{v} on {d} {_hhmm(s)}-{_hhmm(e)}: outside its "
                    "available times")
        for t in sorted({s for s, _, _ in ivs}):
            here = sorted(who for s, e, who in ivs if s <= t < e)
            if len(here) > venue.groups:
                bad("venue groups", f"{v} on {d} at {_hhmm(t)}: {len(here)} groups "
                    f"({', '.join(here)}), at most {venue.groups}")
    declared = Counter()
    for x in extra.get("venue_shortfalls") or []:
        declared[x.get("group"), x.get("activity")] += x.get("missing", 0)
    afternoon = sorted({gid for gid, d in heads if sessions[gmap[gid].session].signup
                        == "afternoon"})
    for gid in afternoon:
        for a in school.activities:
            if given[gid, a.id] + declared[gid, a.id] != a.per_week:
                bad("activity count", f"group {gid}, {a.id}: {given[gid, a.id]} slot(s) "
                    f"given and {declared[gid, a.id]} declared missing, per week "
                    f"{a.per_week}")


def _minutes_of(value) -> int:
    return value if isinstance(value, int) else _minutes(value)


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"
