"""What ``afterschool validate`` prints: the demand and the supply of one instance.

Per session and weekday: enrolled students present, the standard teacher count T(n), the
groups the 45 cap needs at least (ceil(n/cap)), the minutes of supervision those groups
need, and the volunteers available with their minutes (each person counted up to the daily
limit and the session's length). Managers per duty window from the lower-bound groups.
With venues (SPEC §12): how many places, classrooms and activities were read.
"""
from __future__ import annotations

import math
from collections import Counter

import pandas as pd

from afterschool.models.instance import Instance
from afterschool.scheduler.rules.availability import session_status, window_status
from afterschool.scheduler.rules.staffing import duty_windows, managers_for_window, standard_teachers
from afterschool.scheduler.say import say, section


def demand(inst: Instance) -> dict[tuple[str, str], int]:
    """(session id, day) -> enrolled students present."""
    count: Counter = Counter()
    for st in inst.enrolled:
        for signup in ("noon", "afternoon"):
            session = inst.school.session_for(signup, st.grade)
            if session is None:
                continue
            for d in st.days(signup):
                count[(session.id, d)] += 1
    return dict(count)


def summary_table(inst: Instance) -> pd.DataFrame:
    """One row per session and weekday: demand, standard teachers, supply."""
    rules = inst.school.rules
    need = demand(inst)
    rows = []
    for s in inst.school.sessions:
        for d in s.days:
            n = need.get((s.id, d), 0)
            groups = math.ceil(n / rules.group_cap)
            vols = [t for t in inst.volunteers if session_status(inst, t.id, d, s.id)
                    != "unavailable"]
            minutes = sum(min(s.minutes, rules.max_daily_minutes,
                              t.max_weekly_minutes if t.max_weekly_minutes is not None
                              else rules.max_weekly_minutes) for t in vols)
            rows.append({"session": s.id, "day": d, "students": n,
                         "standard_teachers": standard_teachers(
                             n, rules.students_per_teacher, rules.remainder_threshold),
                         "groups_at_least": groups, "minutes_needed": groups * s.minutes,
                         "volunteers": len(vols), "volunteer_minutes": minutes})
    return pd.DataFrame(rows)


def manager_rows(inst: Instance) -> list[dict]:
    """Per day and duty window: managers needed (from the fewest groups) and those available."""
    sessions = {s.id: s for s in inst.school.sessions}
    need = demand(inst)
    rows = []
    for d in ("Mon", "Tue", "Wed", "Thu", "Fri"):
        for w in duty_windows(inst.school.sessions, d):
            groups = {sid: math.ceil(need.get((sid, d), 0) / inst.school.rules.group_cap)
                      for sid in w.sessions}
            m = managers_for_window(w, sessions, groups, inst.school.rules)
            able = sum(window_status(inst, t.id, d, w) != "unavailable" for t in inst.teachers)
            rows.append({"day": d, "window": w.id, "managers_needed": m, "can_manage": able})
    return rows


def manager_table(inst: Instance) -> pd.DataFrame:
    return pd.DataFrame(manager_rows(inst))


def headline(inst: Instance, lang: str = "en") -> str:
    by_status = Counter(s.status for s in inst.students)
    return say("validate.head", lang, school=inst.school.name, start=inst.school.term.start,
               end=inst.school.term.end, n=len(inst.students), enrolled=by_status["enrolled"],
               applied=by_status["applied"], withdrawn=by_status["withdrawn"],
               staff=len(inst.teachers), volunteers=len(inst.volunteers),
               managers=sum(t.can_manage and t.volunteer for t in inst.teachers))


def printed(inst: Instance, lang: str) -> str:
    """What ``validate`` prints, in the school's language (``headline`` and the two tables;
    in Chinese with display names and headers, in English the tables as they are)."""
    table, managers = summary_table(inst), manager_table(inst)
    short = int((table.volunteer_minutes < table.minutes_needed).sum()) if len(table) else 0
    lang = "en" if lang == "en" else "zh"
    if lang == "zh":
        days, windows = section("day", lang), section("window", lang)
        names = {x.id: x.name for x in inst.school.sessions}
        heads = section("validate_column", lang)
        table = table.assign(session=table.session.map(names), day=table.day.map(days)
                             ).rename(columns=heads)
        managers = managers.assign(day=managers.day.map(days), window=managers.window.map(
            windows).fillna(managers.window)).rename(columns=heads)
    with pd.option_context("display.unicode.east_asian_width", True):  # CJK is two wide
        lines = [headline(inst, lang), "", say("validate.demand", lang),
                 table.to_string(index=False), "", say("validate.managers", lang),
                 managers.to_string(index=False)]
    if short:
        lines += ["", say("validate.short", lang, n=short)]
    if inst.school.venues:  # SPEC §12
        rooms = sum(1 for v in inst.school.venues if v.kind == "classroom")
        lines += ["", say("validate.places", lang, n=len(inst.school.venues), rooms=rooms,
                          acts=len(inst.school.activities))]
    return "\n".join(lines + ["", say("validate.ok", lang)])
