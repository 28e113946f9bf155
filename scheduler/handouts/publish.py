"""What the office hands out, from ``plan.json`` alone (it carries names, calendar, sessions):

- ``timetable_workbook(plan, lang)``: the term workbook — summary, groups with rosters, one
  duty grid per session (day x slot rows, group columns, teacher names, shortages marked),
  managers, duties by teacher, fees, pay, budget, staffing against the standard.
- ``roster_rows(plan, staff)`` and ``roster_ics(plan, staff)``: a person's duties; the
  calendar has one event per duty on each real service date (holidays skipped, make-up days
  included), Asia/Shanghai time, with the group, its classes and the role.
- ``student_notice(plan)`` / ``duty_notice(plan)``: public lists (公示). Students appear only
  as masked names (张*明, 李*) with class, group, days and times: no id, no priority or fee
  category. The duty notice names teachers in full.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from afterschool.models.plan import Plan
from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.handouts.sheets import Sheet, workbook
from afterschool.scheduler.handouts.labels import day_name, words

TZ = ZoneInfo("Asia/Shanghai")


def mask_name(name: str) -> str:
    """张三明 -> 张*明, 李四 -> 李*, Zhang Wei -> Z*i: keep the first and (if 3+) the last."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


def _people(plan: Plan) -> tuple[dict, dict]:
    people = plan.extra.get("people", {})
    return people.get("staff", {}), people.get("students", {})


def _staff_name(plan: Plan, sid: str) -> str:
    return _people(plan)[0].get(sid, {}).get("name", sid)


def group_classes(plan: Plan) -> dict[str, list[str]]:
    students = _people(plan)[1]
    return {g.id: sorted({students.get(s, {}).get("class", "?") for s in g.students})
            for g in plan.groups}


def roster_rows(plan: Plan, staff: str | None = None, lang: str = "zh") -> list[dict]:
    """Duties per person (all people when ``staff`` is None), in week order."""
    w = words(lang)
    classes = group_classes(plan)
    rows = []
    for d in sorted(plan.duties, key=lambda d: (d.staff, WEEKDAYS.index(d.day), d.start)):
        if staff is not None and d.staff != staff:
            continue
        rows.append({"staff": d.staff, "name": _staff_name(plan, d.staff),
                     "day": day_name(d.day, lang), "time": f"{d.start}-{d.end}",
                     "session": d.session or d.window, "slot": d.slot or "",
                     "group": d.group or "", "class": " ".join(classes.get(d.group, [])),
                     "role": w["role_teacher"] if d.role == "teacher" else w["manager"],
                     "minutes": d.minutes})
    return rows


def roster_ics(plan: Plan, staff: str, lang: str = "zh") -> bytes:
    """An iCalendar file: one event per duty on each service date of the term."""
    w = words(lang)
    classes = group_classes(plan)
    cal = Calendar()
    cal.add("prodid", "-//afterschool//roster//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{plan.extra.get('school', '')} {_staff_name(plan, staff)}")
    stamp = datetime.combine(date.fromisoformat(plan.extra["term"]["start"]), time(0), TZ)
    calendar = plan.extra.get("calendar", {})
    for d in sorted((d for d in plan.duties if d.staff == staff),
                    key=lambda d: (WEEKDAYS.index(d.day), d.start)):
        what = (f"{w['role_teacher']} {d.group} {d.slot}" if d.role == "teacher"
                else f"{w['manager']} {d.window}")
        where = " ".join(classes.get(d.group, [])) if d.group else str(d.window)
        for iso in calendar.get(d.day, []):
            day = date.fromisoformat(iso)
            ev = Event()
            ev.add("uid", f"{staff}-{iso}-{d.start}-{d.group or d.window}@afterschool")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", datetime.combine(day, time.fromisoformat(d.start), TZ))
            ev.add("dtend", datetime.combine(day, time.fromisoformat(d.end), TZ))
            ev.add("summary", f"{plan.extra.get('school', '')} {what}".strip())
            ev.add("location", where)
            ev.add("description", f"{w['role']}: {what}; {w['class']}: {where}")
            cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def _times(plan: Plan, session: str) -> str:
    s = plan.extra.get("sessions", {}).get(session, {})
    return f"{s.get('start', '')}-{s.get('end', '')}"


def student_notice(plan: Plan, lang: str = "zh") -> list[dict]:
    """Public group list: masked name, class, group, days and times. Nothing else."""
    students = _people(plan)[1]
    sessions = plan.extra.get("sessions", {})
    rows = []
    for g in plan.groups:
        session = sessions.get(g.session, {})
        for sid in g.students:
            info = students.get(sid, {})
            rows.append({"group": g.id, "session": session.get("name", g.session),
                         "time": _times(plan, g.session), "class": info.get("class", ""),
                         "name": mask_name(info.get("name", "")),
                         "days": " ".join(day_name(d, lang)
                                          for d in info.get(session.get("signup"), []))})
    return sorted(rows, key=lambda r: (r["group"], r["class"], r["name"]))


def duty_notice(plan: Plan, lang: str = "zh") -> list[dict]:
    """Public duty list with full teacher names; shortages shown as such."""
    w = words(lang)
    rows = [{"day": day_name(d.day, lang), "time": f"{d.start}-{d.end}",
             "session": d.session or d.window, "group": d.group or "",
             "role": w["role_teacher"] if d.role == "teacher" else w["manager"],
             "name": _staff_name(plan, d.staff), "_k": (WEEKDAYS.index(d.day), d.start)}
            for d in plan.duties]
    rows += [{"day": day_name(s.day, lang), "time": f"{s.start}-{s.end}",
              "session": s.session or s.window or "", "group": s.group or "",
              "role": w["role_teacher"] if s.role == "teacher" else w["manager"],
              "name": f"{w['shortage']} x{s.count}", "_k": (WEEKDAYS.index(s.day), s.start)}
             for s in plan.shortages]
    rows.sort(key=lambda r: (r["_k"], r["session"], r["group"], r["name"]))
    return [{k: v for k, v in r.items() if k != "_k"} for r in rows]


def duty_grid(plan: Plan, session: str, lang: str = "zh") -> tuple[list[dict], list[str]]:
    """Rows day x slot, one column per group of ``session``: the teacher's name."""
    w = words(lang)
    groups = [g.id for g in plan.groups if g.session == session]
    cells: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    slots: dict[tuple[str, str], str] = {}
    for d in plan.duties:
        if d.role == "teacher" and d.session == session:
            cells[d.day, d.start][d.group] = _staff_name(plan, d.staff)
            slots[d.day, d.start] = f"{d.start}-{d.end} {d.slot}"
    for s in plan.shortages:
        if s.role == "teacher" and s.session == session:
            cells[s.day, s.start][s.group] = w["shortage"]
            slots[s.day, s.start] = f"{s.start}-{s.end} {s.slot or ''}".strip()
    rows = []
    for day, start in sorted(cells, key=lambda k: (WEEKDAYS.index(k[0]), k[1])):
        rows.append({"day": day_name(day, lang), "slot": slots[day, start],
                     **{g: cells[day, start].get(g, "") for g in groups}})
    return rows, ["day", "slot", *groups]


def timetable_sheets(plan: Plan, lang: str = "zh") -> list[Sheet]:
    """Every sheet of the term workbook, as (title, rows, columns, totals)."""
    w = words(lang)
    students = _people(plan)[1]
    summary = [{"item": w["school"], "value": plan.extra.get("school", "")},
               {"item": w["status"], "value": plan.status},
               {"item": "term", "value": f"{plan.extra['term']['start']} .. "
                                         f"{plan.extra['term']['end']}"},
               {"item": w["groups"], "value": len(plan.groups)},
               {"item": "duties", "value": len(plan.duties)},
               {"item": w["shortage"], "value": sum(s.count for s in plan.shortages)}]
    summary += [{"item": g["session"], "value": f"{g['students']} {w['students_n']}, "
                 f"{g['groups']} {w['groups']}, group-days {g['group_days']} "
                 f"(bound {g['group_days_bound']})"} for g in plan.extra.get("grouping", [])]
    rosters = [{"group": g.id, "session": g.session, "student": s,
                "name": students.get(s, {}).get("name", ""),
                "class": students.get(s, {}).get("class", "")}
               for g in plan.groups for s in g.students]
    managers = [r for r in roster_rows(plan, None, lang) if r["role"] == w["manager"]]
    sheets: list[Sheet] = [
        (w["summary"], summary, ["item", "value"], []),
        (w["groups"], rosters, ["group", "session", "student", "name", "class"], []),
    ]
    for session in plan.extra.get("sessions", {}):
        rows, cols = duty_grid(plan, session, lang)
        if rows:
            sheets.append((f"{w['grid']} {session}", rows, cols, []))
    sheets += [
        (w["managers"], managers, ["day", "time", "session", "staff", "name"], []),
        (w["by_teacher"], roster_rows(plan, None, lang),
         ["staff", "name", "day", "time", "session", "slot", "group", "class", "role",
          "minutes"], ["minutes"]),
        (w["fees"], plan.fees, ["student", "class", "fee_category", "gross_fee",
                                "service_fee", "lunch_fee"],
         ["gross_fee", "service_fee", "lunch_fee"]),
        (w["pay"], plan.pay, ["staff", "kind", "rate", "minutes", "amount"],
         ["minutes", "amount"]),
        (w["budget"], plan.extra.get("budget", []),
         ["part", "income", "exemptions", "pay", "balance"], []),
        (w["staffing"], plan.staffing, ["day", "session", "students", "standard_teachers",
                                        "groups", "extra_groups", "extra_teacher_minutes",
                                        "extra_pay"], ["extra_teacher_minutes", "extra_pay"]),
    ]
    return sheets


def timetable_workbook(plan: Plan, lang: str = "zh"):
    """The term workbook (openpyxl), headers in ``lang``."""
    w = words(lang)
    return workbook(timetable_sheets(plan, lang), w, w["total"])
