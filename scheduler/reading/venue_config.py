"""``[[venues]]`` and ``[[activities]]`` of ``school.toml`` and the optional ``rooms.csv``
-> ``models.Venue`` and ``models.Activity`` (SPEC §12).

Input: the TOML tables (already through ``clean.clean_text`` in ``school_config``) and the
rows of ``rooms.csv`` (``id, name, capacity, homeroom_class``; 教室编号/名称/容量/班级 too).
Output: venues and activities; problems name the file, the TOML key (``venues.kind``, with the
block's number) or the CSV row and column.

Rules checked: ids by the id alphabet and unique over both files (ignoring case); ``kind`` and
every kind an activity lists one of ``VENUE_KINDS``; ``capacity`` 1–1000 pupils; ``groups``
1–100; ``outdoor`` true or false (default: true for a playground); ``available`` a list of
``{days, start, end}`` windows with known weekdays and start before end; ``per_week`` 0–10;
a ``homeroom_class`` that is a class of ``students.csv`` and the homeroom of one room only.
Warnings: an activity whose kinds no venue has.
"""
from __future__ import annotations

from typing import Any

from afterschool.models.errors import Problem
from afterschool.models.school import parse_time
from afterschool.models.venues import VENUE_KINDS, Activity, Venue
from afterschool.scheduler.reading import clean

VENUE_KEYS = {"id", "name", "kind", "capacity", "groups", "outdoor", "available"}
ACTIVITY_KEYS = {"id", "name", "venue_kinds", "per_week", "rain_venue_kinds"}
WINDOW_KEYS = {"days", "start", "end"}
CAPACITY = (1, 1000)
GROUPS = (1, 100)
PER_WEEK = (0, 10)
_DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
_KINDS = f"a venue kind: {', '.join(VENUE_KINDS)}"  # the codes a blank (say_*: problem.*)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ranged(ctx, b: dict, key: str, section: str, where: str, bounds: tuple[int, int],
            expected: str, default: int | None = None) -> int | None:
    """A whole-number key of a block within ``bounds`` (``default`` when absent), else an
    error naming it and None."""
    value = _int(b.get(key, default))
    if value is None or not bounds[0] <= value <= bounds[1]:
        ctx.err(f"{where}: {key} out of range", key, section, b.get(key), expected)
        return None
    return value


def _blocks(ctx, data: dict, key: str) -> list[tuple[int, dict]]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        ctx.err("not an array of tables", key, None, None, f"[[{key}]] blocks (double brackets)")
        return []
    out = []
    for n, b in enumerate(raw, start=1):
        if isinstance(b, dict):
            out.append((n, b))
        else:
            ctx.err(f"{key} {n} is not a table", key, None, b, f"[[{key}]] blocks")
    return out


def _keys(ctx, table: dict, known: set[str], section: str, where: str) -> None:
    import difflib
    for k in table:
        if k not in known:
            hint = difflib.get_close_matches(k, sorted(known), n=1)
            ctx.err(f"{where}: unknown key" + (f"; did you mean '{hint[0]}'?" if hint else ""),
                    k, section, expected=f"one of the keys {', '.join(sorted(known))}")


def _id(ctx, table: dict, section: str, where: str) -> str | None:
    value = table.get("id")
    if not isinstance(value, str) or not value:
        ctx.err(f"{where}: required key missing or not a text", "id", section, value,
                "such as {} (letters, digits, - _ .)".format('id = "R101"'))
        return None
    why = clean.id_problem(value)
    if why:
        ctx.err(f"{where}: {why}", "id", section, value, "letters, digits, - _ .")
        return None
    return value


def _kinds(ctx, value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        ctx.err(f"{where}: not a list of venue kinds", key, "activities", value, _KINDS)
        return ()
    for k in value:
        if k not in VENUE_KINDS:
            ctx.err(f"{where}: unknown venue kind", key, "activities", k, _KINDS)
    return tuple(k for k in value if k in VENUE_KINDS)


def _windows(ctx, value: Any, where: str) -> tuple[tuple[str, int, int], ...]:
    expected = "a list such as {}".format(
        'available = [{ days = ["Tue", "Wed"], start = "15:30", end = "17:30" }]')
    if not isinstance(value, list) or not all(isinstance(w, dict) for w in value):
        ctx.err(f"{where}: not a list of time windows", "available", "venues", value, expected)
        return ()
    out = []
    for w in value:
        _keys(ctx, w, WINDOW_KEYS, "venues", where)
        days = w.get("days", [])
        days = [days] if isinstance(days, str) else days
        try:
            start, end = parse_time(str(w.get("start"))), parse_time(str(w.get("end")))
        except ValueError:
            ctx.err(f"{where}: a window's start or end is not a time", "available", "venues",
                    f"{w.get('start')}-{w.get('end')}", expected)
            continue
        if end <= start:
            ctx.err(f"{where}: a window ends before it starts", "available", "venues",
                    f"{w.get('start')}-{w.get('end')}", expected)
            continue
        if not isinstance(days, list) or not days or any(d not in _DAYS for d in days):
            ctx.err(f"{where}: unknown weekday in a window", "available", "venues", days,
                    "Mon … Fri")
            continue
        out.extend((d, start, end) for d in days)
    return tuple(out)


def _name(ctx, b: dict, section: str, where: str, fallback, example: str):
    """A venue's or activity's ``name`` (its id when absent; an error when not a text)."""
    name = b.get("name", fallback)
    if not isinstance(name, str) or not name:
        ctx.err(f"{where}: name is not a text", "name", section, name,
                "such as {}".format(example))
        return fallback
    return name


def read_venues(ctx, data: dict) -> tuple[tuple[Venue, ...], tuple[Activity, ...]]:
    """The ``[[venues]]`` and ``[[activities]]`` of a parsed ``school.toml`` (``ctx``: the
    school reader's problem collector)."""
    venues: list[Venue] = []
    for n, b in _blocks(ctx, data, "venues"):
        where = f"venue {n}"
        _keys(ctx, b, VENUE_KEYS, "venues", where)
        vid = _id(ctx, b, "venues", where)
        name = _name(ctx, b, "venues", where, vid, 'name = "操场"')
        kind = b.get("kind")
        if kind not in VENUE_KINDS:
            ctx.err(f"{where}: unknown venue kind", "kind", "venues", kind, _KINDS)
        cap = _ranged(ctx, b, "capacity", "venues", where, CAPACITY,
                      f"pupils at once, a whole number from {CAPACITY[0]} to {CAPACITY[1]}")
        groups = _ranged(ctx, b, "groups", "venues", where, GROUPS,
                         f"groups at once, a whole number from {GROUPS[0]} to {GROUPS[1]}",
                         default=1)
        outdoor = b.get("outdoor", kind == "playground")
        if not isinstance(outdoor, bool):
            ctx.err(f"{where}: outdoor is not true or false", "outdoor", "venues", outdoor,
                    "true or false")
        available = _windows(ctx, b["available"], where) if "available" in b else ()
        if vid and kind in VENUE_KINDS and cap is not None and groups is not None \
                and isinstance(outdoor, bool) and isinstance(name, str):
            venues.append(Venue(vid, name, kind, cap, groups, outdoor, available))
    activities: list[Activity] = []
    for n, b in _blocks(ctx, data, "activities"):
        where = f"activity {n}"
        _keys(ctx, b, ACTIVITY_KEYS, "activities", where)
        aid = _id(ctx, b, "activities", where)
        name = _name(ctx, b, "activities", where, aid, 'name = "体育锻炼"')
        if "venue_kinds" not in b:
            ctx.err(f"{where}: required key missing", "venue_kinds", "activities",
                    expected=_KINDS)
        kinds = _kinds(ctx, b.get("venue_kinds", []), "venue_kinds", where)
        rain = _kinds(ctx, b.get("rain_venue_kinds", []), "rain_venue_kinds", where)
        per = _ranged(ctx, b, "per_week", "activities", where, PER_WEEK,
                      f"slots a week per group, {PER_WEEK[0]} to {PER_WEEK[1]}")
        if aid and kinds and per is not None and isinstance(name, str):
            activities.append(Activity(aid, name, kinds, per, rain))
    for what, items in (("venues", venues), ("activities", activities)):
        ids = [x.id.casefold() for x in items]
        for x in items:
            if ids.count(x.id.casefold()) > 1:
                ctx.err(f"two {what} have the same id", "id", what, x.id)
                break
    return tuple(venues), tuple(activities)



def read_rooms(file: str, rows, classes: set[str], taken: set[str],
               problems: list[Problem]) -> list[Venue]:
    """``rooms.csv`` rows (``tables.table_from_rows`` output, kind ``rooms``) -> classroom
    venues. ``classes``: the classes of ``students.csv`` (normalised ``3-2``); ``taken``: the
    venue ids of ``school.toml`` (case-folded)."""
    from afterschool.scheduler.reading.tables import parse_class
    out: list[Venue] = []
    seen: dict[str, int] = {}
    homes: dict[str, int] = {}
    for n, r in rows:
        def err(col, msg, value, expected):
            problems.append(Problem(file, msg, row=n, column=col, value=value,
                                    expected=expected))
        vid, bad = r["id"], False
        key = vid.casefold()
        if not vid:
            err("id", "required value missing", vid, "a room id such as R101")
            bad = True
        elif key in seen or key in taken:
            err("id", "duplicate venue id" + (f" (row {seen[key]})" if key in seen
                                              else " (also in school.toml)"), vid,
                "each venue id once")
            bad = True
        seen.setdefault(key, n)
        try:
            cap = int(r["capacity"])
        except ValueError:
            cap = None
        if cap is None or not CAPACITY[0] <= cap <= CAPACITY[1]:
            err("capacity", "capacity out of range", r["capacity"],
                f"pupils at once, a whole number from {CAPACITY[0]} to {CAPACITY[1]}")
            bad = True
        home = None
        text = r.get("homeroom_class", "")
        if text:
            home = parse_class(text, None)
            if home is None or home not in classes:
                err("homeroom_class", "homeroom of an unknown class", text,
                    "a class of students.csv such as 3-2")
                bad = True
            elif home in homes:
                err("homeroom_class", f"class {home} already has a homeroom (row {homes[home]})",
                    text, "one homeroom per class")
                bad = True
            else:
                homes[home] = n
        if not bad:
            out.append(Venue(vid, r.get("name") or vid, "classroom", cap, 1, False, (), home))
    return out


def kind_warnings(venues, activities) -> list[Problem]:
    """An activity whose venue kinds no venue has: every group will miss it."""
    have = {v.kind for v in venues}
    return [Problem("school.toml", f"activity {a.id}: no venue of kind "
                    f"{', '.join(a.venue_kinds)}", column="activities.venue_kinds",
                    severity="warning") for a in activities if not have & set(a.venue_kinds)]
