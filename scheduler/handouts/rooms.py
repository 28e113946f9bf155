"""Where each group is (SPEC §12), for the hand-outs, from ``plan.json`` alone.

Input: a plan whose ``extra`` holds ``venues`` rows, ``venue_list`` ({id: {name, kind}}),
``activity_list`` ({id: {name}}) and ``rain_plan``; ``lang`` (zh | en, words from
``labels.words``). A plan without venues gives empty answers, so every hand-out stays as it
was. Output: display texts and rows (venue and activity names, never ids):

- ``has_venues(plan)``; ``place_text(plan, group, day, slots, lang)``: "三(1)班教室" or
  "操场 (体育锻炼)" for a duty's slots (the calendar's LOCATION, the roster's column);
- ``venue_rows(plan, lang)``: the per-venue sheet (venue, day, time, session, group, activity);
- ``rain_rows(plan, lang)``: the rain plan (day, group, activity, from, to);
- ``group_places(plan, lang)``: per group, its room(s) and activity days, for parents.
"""
from __future__ import annotations

from collections import defaultdict

from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.handouts.labels import (day_name, group_label, session_label,
                                                   words)


def has_venues(plan) -> bool:
    return bool(plan.extra.get("venues"))


def names(plan, key: str) -> dict[str, str]:
    """Venue or activity ids -> their names (``key``: ``venue_list`` or ``activity_list``)."""
    return {k: (v or {}).get("name", k) for k, v in (plan.extra.get(key) or {}).items()}


_INDEX: dict[int, tuple] = {}  # id(rows) -> (rows, index, venue names, activity names)


def _index(plan) -> tuple[dict[tuple[str, str, str], dict], dict, dict]:
    """The plan's venue rows by (group, day, slot), and its venue and activity names: built
    once per plan (a roster asks for every duty's place, once per duty of every person)."""
    rows = plan.extra.get("venues") or []
    hit = _INDEX.get(id(rows))
    if hit is None or hit[0] is not rows:
        _INDEX.clear()
        hit = _INDEX[id(rows)] = (rows, {(r["group"], r["day"], r["slot"]): r for r in rows},
                                  names(plan, "venue_list"), names(plan, "activity_list"))
    return hit[1:]


def _one(plan, row: dict | None, lang: str, venues: dict, acts: dict) -> str:
    if row is None:
        return ""
    if row.get("venue") is None:
        return words(lang)["no_room"]
    text = venues.get(row["venue"], row["venue"])
    if row.get("activity"):
        text += f" ({acts.get(row['activity'], row['activity'])})"
    return text


def place_text(plan, group: str | None, day: str, slots, lang: str) -> str:
    """Where ``group`` is on ``day`` in these slots (names joined by " / ")."""
    if not group or not has_venues(plan):
        return ""
    index, venues, acts = _index(plan)
    out: list[str] = []
    for s in slots:
        text = _one(plan, index.get((group, day, s)), lang, venues, acts)
        if text and text not in out:
            out.append(text)
    return " / ".join(out)


def venue_rows(plan, lang: str) -> list[dict]:
    """One row per venue, day and use: which group is where, when."""
    venues, acts = names(plan, "venue_list"), names(plan, "activity_list")
    order = {v: i for i, v in enumerate(plan.extra.get("venue_list") or {})}
    sessions = plan.extra.get("sessions", {})
    w = words(lang)
    rows = []
    for r in plan.extra.get("venues") or []:
        if r.get("venue") is None:
            continue
        s = sessions.get(r["session"], {})
        slot = next((x for x in s.get("slots", []) if x.get("name") == r["slot"]), None)
        time = f"{slot['start']}-{slot['end']}" if slot else \
            f"{s.get('start', '')}-{s.get('end', '')}"
        rows.append({"venue": venues.get(r["venue"], r["venue"]),
                     "day": day_name(r["day"], lang), "time": time,
                     "session": session_label(plan, r["session"], lang),
                     "group": group_label(plan, r["group"], lang, r["session"]),
                     "activity": acts.get(r["activity"], r["activity"]) if r["activity"]
                     else w["homework"],
                     "_k": (order.get(r["venue"], 99), WEEKDAYS.index(r["day"]), time,
                            r["group"])})
    rows.sort(key=lambda x: x["_k"])
    out, seen = [], set()
    for x in rows:  # a group in its room for several slots of one session: once per slot
        key = tuple(v for k, v in x.items() if k != "_k")
        if key not in seen:
            seen.add(key)
            out.append({k: v for k, v in x.items() if k != "_k"})
    return out


def rain_rows(plan, lang: str) -> list[dict]:
    venues, acts = names(plan, "venue_list"), names(plan, "activity_list")
    w = words(lang)
    return [{"day": day_name(r["day"], lang),
             "group": group_label(plan, r["group"], lang, r["session"]),
             "activity": acts.get(r["activity"], r["activity"]),
             "venue": venues.get(r["from"], r["from"]),
             "rain_venue": venues.get(r["venue"], r["venue"]) if r["venue"]
             else w["stays_in_room"]}
            for r in plan.extra.get("rain_plan") or []]


def group_places(plan, lang: str) -> dict[str, str]:
    """Per group: its room(s), and each activity with its days and venue
    ("R101；体育锻炼 周二 周四 (操场)")."""
    venues, acts = names(plan, "venue_list"), names(plan, "activity_list")
    rooms: dict[str, list[str]] = defaultdict(list)
    act_days: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in plan.extra.get("venues") or []:
        g = r["group"]
        if r.get("room") and venues.get(r["room"], r["room"]) not in rooms[g]:
            rooms[g].append(venues.get(r["room"], r["room"]))
        if r.get("activity") and r["day"] not in act_days[g, r["activity"], r["venue"]]:
            act_days[g, r["activity"], r["venue"]].append(r["day"])
    sep = "；" if lang == "zh" else "; "
    out = {}
    for g in sorted(set(rooms) | {k[0] for k in act_days}):
        parts = [" / ".join(rooms[g])] if rooms[g] else []
        for (gg, a, v), days in sorted(act_days.items()):
            if gg == g:
                parts.append(f"{acts.get(a, a)} " + " ".join(
                    day_name(d, lang) for d in sorted(days, key=WEEKDAYS.index))
                    + f" ({venues.get(v, v)})")
        out[g] = sep.join(parts)
    return out
