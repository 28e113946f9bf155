"""Who is in care on a club day (SPEC §12): the sheets as the care plan sees them.

Input: the instance (today's sheets) and a plan's ``"clubs"`` section (or a ``Lottery``'s
pairs and the instance's clubs).
Output: ``care_instance(inst, section)`` -> an ``Instance`` equal to ``inst`` except:
- each member's afternoon weekdays lose the days their clubs meet (on those days they are in
  the club, not in their care group: head counts, T(n), group-days and the service fee
  follow), for the sessions the clubs belong to;
- each staff instructor of a club that meets declares nothing on the club's days (the club
  is their duty then: no other duty that day, so the daily limit and the noon-and-afternoon
  rule hold with it) and has a weekly limit smaller by their clubs' minutes in the busiest
  calendar week from the clubs' start (a make-up day can give a club two meetings a week).
- ``club_groups``: per (day, session) the clubs meeting then, which the re-plan counts as
  groups for M(c) (managers of the duty window).
``reservations(section)`` -> the venues the clubs that meet hold (``models.Reserved`` per
club, weekday and time): the re-plan's room search counts them against each venue's
``groups`` (SPEC §12), so no care group is put in the music room while the choir sings.
Clubs that do not meet (cancelled, no member) change nothing; nor does a section whose care
plan was not made again around the clubs (``"replanned": false``). The planner (``replan``),
``settle`` and the money read this instance for a plan with clubs; the checker derives the
same on its own (``check_clubs.care_sheets``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from afterschool.scheduler.rules.calendar import term_dates


def _meeting(inst, section) -> tuple[dict, dict]:
    clubs = {c.id: c for c in inst.clubs}
    members: dict[str, list[str]] = defaultdict(list)
    for a in section["assigned"]:
        if a["club"] in clubs and a["club"] not in section["cancelled"]:
            members[a["club"]].append(a["student"])
    return clubs, members


def care_instance(inst, section):
    if not section or not section.get("replanned", True):
        return inst
    clubs, members = _meeting(inst, section)
    off: dict[str, set[str]] = defaultdict(set)  # pupil -> club days
    for c, pupils in members.items():
        for s in pupils:
            off[s].update(clubs[c].days)
    students = tuple(replace(st, afternoon=tuple(d for d in st.afternoon if d not in off[st.id]))
                     if st.id in off else st for st in inst.students)
    busy: dict[str, set[str]] = defaultdict(set)
    per_week: dict[tuple[str, date], int] = defaultdict(int)
    dates = term_dates(inst.school.term)
    start = date.fromisoformat(section["start"])
    for c, pupils in members.items():
        club = clubs[c]
        if club.external or not pupils:
            continue
        busy[club.instructor].update(club.days)
        for day in club.days:
            for d in dates.get(day, []):
                if d >= start:
                    per_week[club.instructor, d - timedelta(days=d.weekday())] += \
                        inst.school.session(club.session).minutes
    weekly: dict[str, int] = defaultdict(int)  # the most club minutes of any week
    for (t, _), m in per_week.items():
        weekly[t] = max(weekly[t], m)
    rules = inst.school.rules
    teachers = tuple(replace(t, max_weekly_minutes=max(0, (
        t.max_weekly_minutes if t.max_weekly_minutes is not None else rules.max_weekly_minutes)
        - weekly[t.id])) if t.id in weekly else t for t in inst.teachers)
    avail = tuple(a for a in inst.availability if a.day not in busy.get(a.teacher, ()))
    meeting: dict[tuple[str, str], int] = defaultdict(int)
    for c, pupils in members.items():
        for day in clubs[c].days:
            meeting[day, clubs[c].session] += 1
    return replace(inst, students=students, teachers=teachers, availability=avail,
                   club_groups=dict(meeting))


def reservations(section) -> tuple:
    """The venue occupancy of a ``"clubs"`` section's meetings (empty without one)."""
    from afterschool.models.school import parse_time
    from afterschool.models.venues import Reserved
    if not section:
        return ()
    return tuple(Reserved(day, g["session"], g["venue"], parse_time(g["start"]),
                          parse_time(g["end"]))
                 for g in section.get("groups", []) if g.get("venue")
                 for day in g["days"])
