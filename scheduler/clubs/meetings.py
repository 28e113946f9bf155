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


def meeting_dates(plan, group: dict) -> dict[str, list[date]]:
    """Weekday -> the dates the club meets (see the module docstring)."""
    sec = _section(plan)
    start = sec.get("start", "")
    off = _off(plan)
    calendar = plan.extra.get("calendar") or {}
    out = {}
    for day in group["days"]:
        out[day] = [date.fromisoformat(x) for x in calendar.get(day, [])
                    if x >= start and (x, None) not in off
                    and (x, group["session"]) not in off]
    return out


def _staff_groups(plan, staff: str | None = None) -> list[dict]:
    return [g for g in _section(plan).get("groups", [])
            if g["staff"] != "external" and staff in (None, g["staff"])]


def instructors(plan) -> set[str]:
    return {g["staff"] for g in _staff_groups(plan)}


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
    for g in _staff_groups(plan, staff):
        name = _name(plan, g["club"])
        summary = f"{school} {say('activity', lang)} {name}".strip()
        where = _venue(plan, g)
        desc = say("description", lang, club=name, venue=where, staff=person or staff,
                   n=len(g["students"]))
        calendar = plan.extra.get("calendar") or {}
        for day, held in meeting_dates(plan, g).items():
            block = ics.Block(staff, day, "club", g["session"], None, g["id"], g["start"],
                              g["end"], [(g["start"], g["end"], "")])
            wd = WEEKDAYS.index(day) if day in WEEKDAYS else None
            every = [date.fromisoformat(x) for x in calendar.get(day, [])
                     if x >= sec["start"]]
            regular = [x for x in every if x.weekday() == wd]
            cancelled = [x for x in every if x not in held]
            seq = len(cancelled)
            stamp = ics._stamp(max([first_day] + cancelled), seq)
            if regular:
                weekly, x = [], regular[0]
                while x <= regular[-1]:
                    weekly.append(x)
                    x = date.fromordinal(x.toordinal() + 7)
                exdates = [x for x in weekly if x not in held]
                keep = [x for x in regular if x in held]
                if len(regular) == 1:
                    ics._event(lines, block.uid, seq, stamp, regular[0], block, summary,
                               where, desc, cancelled=not keep, alarm=alarm)
                else:
                    ics._event(lines, block.uid, seq, stamp, regular[0], block, summary,
                               where, desc, rule_until=regular[-1], exdates=exdates,
                               cancelled=not keep, alarm=alarm)
            for x in every:  # make-up working days: their own events
                if x.weekday() != wd:
                    ics._event(lines, block.uid.replace("@", f"-{x:%Y%m%d}@"), seq, stamp, x,
                               block, summary, where, desc, cancelled=x not in held,
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
