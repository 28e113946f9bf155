"""Club meetings where people look (SPEC §12): a staff instructor's roster and phone
calendar, ``who`` on a date and ``history`` of the draws.

Input: a plan whose ``extra["clubs"]`` ``section.club_section`` wrote (``start``, the
``groups`` that meet: club, days, start, end, session, staff, venue, students; ``clubs``:
names), its ``calendar`` (weekday -> service dates, make-up days under the weekday they
follow) and the service cancellations it carries (``happened.cancelled``).
Output:
- ``meeting_dates(plan, group)``: per weekday of the club the service dates from the
  clubs' start on which it meets (a cancelled date or session: none);
- ``instructors(plan)``: the staff ids running a club that meets (an ``external``
  instructor is nobody's calendar: they get the club's list);
- ``roster_rows(plan, staff, lang)``: a row per club weekday in ``publish.roster_rows``'s
  columns (slot: the club activity, group: the club's name, role: club instructor) and
  ``venue``;
- ``calendar_lines(plan, staff, lang, alarm, stamp)``: the instructor's club meetings as
  ``VEVENT`` lines for ``ics.roster_calendar``: one weekly series per club and weekday
  (``RRULE`` over its regular dates, a cancelled date an ``EXDATE``, a make-up day its own
  event), ``LOCATION`` the venue, SEQUENCE the dates cancelled, DTSTAMP from the plan;
- ``withdrawn(old_section, new_section)``: when a new draw takes a club meeting from a
  staff instructor (the club not opened, another instructor, another day or time), the
  old series (group, staff, session, the weekdays gone, times, venue, ``from``: the old
  draw's start), carried in the section's ``withdrawn`` from draw to draw, so the
  instructor's calendar publishes them ``STATUS:CANCELLED`` with their old UIDs and a
  SEQUENCE above any the old series had (the number of its dates plus one);
- ``on_date(plan, day, student=, teacher=, group=)``: the clubs meeting on a date as rows
  for ``who``: club, its name, times, venue, instructor, members (a pupil: their club; a
  person: the club they run; ``group`` ``club-<id>``: that club);
- ``draw_details(doc, student=, teacher=)``: what a recorded draw (its plan document) gave
  a pupil (club or waiting place) or a person (the clubs they run), for ``history``;
- ``roll_call_sheets(plan, days, lang, staff_names)`` and ``members_on(plan, day, wd)``:
  the week's club roll-call sheets for ``happened.roll_call`` and who is expected in which
  club on a date, for reading them back (only when the care plan was made again around the
  clubs: then a member is in their club, not in care, on its dates);
- ``say(key, lang, **values)``: the words (``club_meeting.*`` in the catalogue,
  scheduler/say_zh.py and say_en.py), in the school's language.
A venue is named as the school lists it (``[[venues]]``), else as clubs.csv says.
Every text the calendar writes goes through ``ics._esc`` (no control character reaches a
plan: the reader and the plan schema refuse them); the roster's cells through the
workbook writer's neutraliser.
"""
from __future__ import annotations

from datetime import date

from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.say import table

WORDS = table("club_meeting")  # words: scheduler/say_zh.py, say_en.py


def say(key: str, lang: str, **values) -> str:
    return WORDS["zh" if lang == "zh" else "en"][key].format(**values)


def _section(plan) -> dict:
    sec = plan.extra.get("clubs")
    return sec if isinstance(sec, dict) else {}


def _name(plan, club: str) -> str:
    return _section(plan).get("clubs", {}).get(club, {}).get("name", club)


def _venue(plan, group: dict) -> str:
    """The club's venue as people read it: its name where the school lists its venues."""
    from afterschool.scheduler.clubs.handouts import _place
    return _place(plan, group["venue"])


def _off(plan) -> set[tuple[str, str | None]]:
    return {(c["date"], c.get("session")) for c in
            (plan.extra.get("happened") or {}).get("cancelled", [])}


def _dates(calendar: dict, day: str, start: str) -> list[date]:
    """The service dates of ``day`` (make-up days under the weekday they follow) from
    ``start``."""
    return [date.fromisoformat(x) for x in calendar.get(day, []) if x >= start]


def meeting_dates(plan, group: dict) -> dict[str, list[date]]:
    """Weekday -> the dates the club meets (see the module docstring)."""
    sec = _section(plan)
    start = sec.get("start", "")
    off = _off(plan)
    calendar = plan.extra.get("calendar") or {}
    return {day: [x for x in _dates(calendar, day, start)
                  if (x.isoformat(), None) not in off
                  and (x.isoformat(), group["session"]) not in off] for day in group["days"]}


def _staff_groups(plan, staff: str | None = None) -> list[dict]:
    return [g for g in _section(plan).get("groups", [])
            if g["staff"] != "external" and staff in (None, g["staff"])]


def instructors(plan) -> set[str]:
    """Staff running a club that meets, and staff whose club meetings a draw withdrew."""
    return {g["staff"] for g in _staff_groups(plan)} | {
        g["staff"] for g in _section(plan).get("withdrawn", [])}


def _series(group: dict) -> set[tuple]:
    return {(group["id"], group["staff"], day, group["session"], group["start"],
             group["end"]) for day in group["days"]}


def withdrawn(old: dict | None, new: dict) -> list[dict]:
    """The series a new draw ``new`` withdraws from the section ``old`` (the module
    docstring), with those ``old`` itself carried and not given back."""
    if not isinstance(old, dict):
        return []
    kept = set().union(*(_series(g) for g in new.get("groups", [])
                         if g["staff"] != "external"))
    out = []
    for g in [dict(x) for x in old.get("withdrawn", [])] + [
            dict(g, **{"from": old.get("start")}) for g in old.get("groups", [])
            if g["staff"] != "external"]:
        days = [d for d in g["days"] if (g["id"], g["staff"], d, g["session"], g["start"],
                                         g["end"]) not in kept]
        entry = {k: g[k] for k in ("id", "club", "session", "start", "end", "staff")} | {
            "days": days, "from": g["from"]} | ({"venue": g["venue"]} if "venue" in g else {})
        if days and entry not in out:
            out.append(entry)
    return out


def _minutes(group: dict) -> int:
    a, z = (int(t[:2]) * 60 + int(t[3:]) for t in (group["start"], group["end"]))
    return z - a


def roster_rows(plan, staff: str | None, lang: str, staff_name=lambda s: s) -> list[dict]:
    from afterschool.scheduler.handouts.labels import day_name, session_label
    rows = []
    for g in _staff_groups(plan, staff):
        for day in sorted(g["days"], key=lambda d: WEEKDAYS.index(d) if d in WEEKDAYS else 9):
            rows.append({"staff": g["staff"], "name": staff_name(g["staff"]),
                         "day": day_name(day, lang), "time": f"{g['start']}-{g['end']}",
                         "session": session_label(plan, g["session"], lang),
                         "slot": say("activity", lang), "group": _name(plan, g["club"]),
                         "class": "", "venue": _venue(plan, g),
                         "role": say("instructor", lang), "minutes": _minutes(g)})
    return rows


def calendar_lines(plan, staff: str, lang: str, alarm: int, person: str = "") -> list[str]:
    """The VEVENTs of the module docstring (``person``: the instructor's display name)."""
    from afterschool.scheduler.handouts import ics
    sec = _section(plan)
    if not sec.get("start"):
        return []
    first_day = date.fromisoformat(sec["start"])
    school = plan.extra.get("school", "")
    lines: list[str] = []
    for g in _staff_groups(plan, staff) + [
            g for g in sec.get("withdrawn", []) if g["staff"] == staff]:
        name = _name(plan, g["club"])
        summary = f"{school} {say('activity', lang)} {name}".strip()
        where = _venue(plan, g) if g.get("venue") else ""
        desc = say("description", lang, club=name, venue=where, staff=person or staff,
                   n=len(g.get("students", [])))
        calendar = plan.extra.get("calendar") or {}
        gone = g.get("from") is not None  # a series a later draw withdrew: CANCELLED
        for day, held in (meeting_dates(plan, g) if not gone else
                          {d: _dates(calendar, d, g["from"]) for d in g["days"]}).items():
            block = ics.Block(staff, day, "club", g["session"], None, g["id"], g["start"],
                              g["end"], [(g["start"], g["end"], "")])
            wd = WEEKDAYS.index(day) if day in WEEKDAYS else None
            every = _dates(calendar, day, g["from"] if gone else sec["start"])
            regular = [x for x in every if x.weekday() == wd]
            cancelled = [x for x in every if x not in held]
            seq = len(every) + 1 if gone else len(cancelled)  # gone: above any it had
            stamp = ics._stamp(first_day if gone else max([first_day] + cancelled), seq)
            if regular:
                weekly, x = [], regular[0]
                while x <= regular[-1]:
                    weekly.append(x)
                    x = date.fromordinal(x.toordinal() + 7)
                exdates = [x for x in weekly if x not in held]
                keep = [x for x in regular if x in held]
                if len(regular) == 1:
                    ics._event(lines, block.uid, seq, stamp, regular[0], block, summary,
                               where, desc, cancelled=gone or not keep, alarm=alarm)
                else:
                    ics._event(lines, block.uid, seq, stamp, regular[0], block, summary,
                               where, desc, rule_until=regular[-1], exdates=exdates,
                               cancelled=gone or not keep, alarm=alarm)
            for x in every:  # make-up working days: their own events
                if x.weekday() != wd:
                    ics._event(lines, block.uid.replace("@", f"-{x:%Y%m%d}@"), seq, stamp, x,
                               block, summary, where, desc, cancelled=gone or x not in held,
                               alarm=alarm)
    return lines


def on_date(plan, day: date, wd: str | None, *, student: str | None = None,
            teacher: str | None = None, group: str | None = None) -> list[dict]:
    """The clubs meeting on ``day`` (weekday ``wd``), as the module docstring says."""
    if wd is None:
        return []
    rows = []
    for g in _section(plan).get("groups", []):
        if wd not in g["days"] or day not in meeting_dates(plan, g).get(wd, []):
            continue
        if student is not None and student not in g["students"]:
            continue
        if teacher is not None and g["staff"] != teacher:
            continue
        if group is not None and g["id"] != group:
            continue
        rows.append({"date": day.isoformat(), "day": wd, "club": g["club"],
                     "name": _name(plan, g["club"]), "group": g["id"],
                     "session": g["session"], "start": g["start"], "end": g["end"],
                     "venue": _venue(plan, g), "staff": g["staff"],
                     "pupils": len(g["students"])})
    return rows


def draw_details(doc: dict | None, *, student: str | None = None,
                 teacher: str | None = None) -> list[dict]:
    sec = (doc or {}).get("clubs") or {}
    names = {c: x.get("name", c) for c, x in (sec.get("clubs") or {}).items()}
    if student is not None:
        return ([{"club_member": names.get(a["club"], a["club"])}
                 for a in sec.get("assigned", []) if a["student"] == student]
                + [{"club_waiting": names.get(a["club"], a["club"]), "place": a["place"]}
                   for a in sec.get("waiting", []) if a["student"] == student])
    if teacher is not None:
        return [{"club_runs": names.get(g["club"], g["club"])}
                for g in sec.get("groups", []) if g["staff"] == teacher]
    return []


def _made_around(plan) -> bool:
    """Whether the care plan was made again around the clubs: only then is a member in
    their club, not in care, on its dates (one roll-call mark per pupil, date, session)."""
    return bool(_section(plan)) and _section(plan).get("replanned", True)


def roll_call_sheets(plan, days: list[tuple[date, str]], lang: str,
                     staff_names: dict) -> list[dict]:
    """Per club meeting on ``days`` (the week's service dates with their weekday) a sheet
    as ``happened.roll_call`` makes them: group ``club-<id>``, its session, the dates it
    meets, every member expected on each, the instructor as the person on duty, ``club``
    set (the sheet has no row for who actually held it: club pay follows the dates held,
    SPEC §11 cancellations). None when the care plan was not made again around the clubs."""
    if not _made_around(plan):
        return []
    out = []
    for g in _section(plan).get("groups", []):
        held = meeting_dates(plan, g)
        dates = [(d, wd) for d, wd in days if d in held.get(wd, [])]
        if not dates:
            continue
        person = say("external", lang) if g["staff"] == "external" else \
            f"{staff_names.get(g['staff'], {}).get('name', g['staff'])}（{g['staff']}）"
        out.append({"group": g["id"], "session": g["session"], "dates": dates,
                    "pupils": {s: {d for d, _ in dates} for s in g["students"]},
                    "duty": {d: person for d, _ in dates}, "club": True,
                    "label": f"{say('activity', lang)} {_name(plan, g['club'])}"})
    return out


def members_on(plan, day: date, wd: str | None) -> dict[tuple[str, str], str]:
    """(member, session) -> ``club-<id>`` for the clubs meeting on ``day`` (none when the
    care plan was not made again around them)."""
    if not _made_around(plan):
        return {}
    return {(s, g["session"]): g["id"] for g in _section(plan).get("groups", [])
            if wd in g["days"] and day in meeting_dates(plan, g).get(wd, [])
            for s in g["students"]}
