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


def headline(inst: Instance) -> str:
    by_status = Counter(s.status for s in inst.students)
    return (f"{inst.school.name}: term {inst.school.term.start} to {inst.school.term.end}; "
            f"{len(inst.students)} students ({by_status['enrolled']} enrolled, "
            f"{by_status['applied']} applied, {by_status['withdrawn']} withdrawn); "
            f"{len(inst.teachers)} staff, {len(inst.volunteers)} volunteers, "
            f"{sum(t.can_manage and t.volunteer for t in inst.teachers)} can manage")


ZH_COLUMNS = {"session": "时段", "day": "星期", "students": "学生数",
              "standard_teachers": "标准教师数", "groups_at_least": "至少组数",
              "minutes_needed": "需要分钟", "volunteers": "志愿者", "volunteer_minutes":
              "志愿者分钟", "window": "管理时段", "managers_needed": "需要管理人员",
              "can_manage": "可任管理"}


def printed(inst: Instance, lang: str) -> str:
    """What ``validate`` prints, in the school's language (``headline`` and the two tables
    with display names; the English form is the tables as they are)."""
    table, managers = summary_table(inst), manager_table(inst)
    short = int((table.volunteer_minutes < table.minutes_needed).sum()) if len(table) else 0
    if lang != "zh":
        lines = [headline(inst), "", "Demand and supply per session and weekday:",
                 table.to_string(index=False), "",
                 "Managers per duty window (from the fewest groups):",
                 managers.to_string(index=False)]
        if short:
            lines += ["", f"warning: {short} session-day(s) have fewer volunteer minutes than "
                      "the groups need; a plan will list shortages there."]
        if inst.school.venues:  # SPEC §12
            rooms = sum(1 for v in inst.school.venues if v.kind == "classroom")
            lines += ["", f"places: {len(inst.school.venues)} ({rooms} classrooms); "
                      f"activities: {len(inst.school.activities)}"]
        return "\n".join(lines + ["", "OK: the input is valid."])
    days = {"Mon": "周一", "Tue": "周二", "Wed": "周三", "Thu": "周四", "Fri": "周五"}
    names = {x.id: x.name for x in inst.school.sessions}
    by_status = Counter(x.status for x in inst.students)
    head = (f"{inst.school.name}：学期 {inst.school.term.start} 至 {inst.school.term.end}；"
            f"学生 {len(inst.students)} 人（已录取 {by_status['enrolled']}，申请中 "
            f"{by_status['applied']}，已退出 {by_status['withdrawn']}）；教职工 "
            f"{len(inst.teachers)} 人，志愿者 {len(inst.volunteers)} 人，可任管理 "
            f"{sum(t.can_manage and t.volunteer for t in inst.teachers)} 人")
    t = table.assign(session=table.session.map(names), day=table.day.map(days))
    m = managers.assign(day=managers.day.map(days), window=managers.window.map(
        {"noon": "午间", "afternoon": "下午"}).fillna(managers.window))
    with pd.option_context("display.unicode.east_asian_width", True):  # CJK is two wide
        lines = [head, "", "各时段每天的需求与志愿者：", t.rename(columns=ZH_COLUMNS).to_string(
            index=False), "", "各管理时段需要的管理人员（按最少组数）：",
            m.rename(columns=ZH_COLUMNS).to_string(index=False)]
    if short:
        lines += ["", f"提醒：有 {short} 个时段·天的志愿者分钟少于各组所需；排班会在那里列出缺员。"]
    if inst.school.venues:  # SPEC §12
        rooms = sum(1 for v in inst.school.venues if v.kind == "classroom")
        lines += ["", f"场地 {len(inst.school.venues)} 处（教室 {rooms} 间）；活动 "
                  f"{len(inst.school.activities)} 项"]
    return "\n".join(lines + ["", "检查通过：输入有效。"])
