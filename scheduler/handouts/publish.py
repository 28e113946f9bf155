"""What the office hands out, from ``plan.json`` alone (it carries names, calendar, sessions).
Every hand-out shows display names — sessions as the school names them (午托, 晚托(低年级)),
groups as 午托1组 — and headers in the plan's language; ids stay in ``plan.json``.

- ``timetable_sheets(plan, lang)``: the term workbook's tables, printable on A4 — a cover with the
  summary, groups with rosters (a page per group), one duty grid per session (day x slot
  rows, group columns, teacher names, shortages marked; a page per day; turned, a row per
  group and slot and a column per day, when the groups are too many for a portrait page),
  managers, duties by teacher, fees, pay, budget, staffing against the standard.
- ``roster_rows(plan, staff)`` and ``roster_ics(plan, staff)``: a person's duties (and the
  clubs they run: ``clubs.meetings``); the
  calendar (``ics.py``) has one event per continuous duty, weekly over the term's service
  dates, holidays and substitutions excluded, make-up days added, cancelled duties marked.
- ``student_notice(plan)`` / ``duty_notice(plan)``: public lists (公示). Students appear only
  as masked names (张*明, 李*) with class, group, days and times: no id, no priority or fee
  category; two pupils of one class with one mask get the last digits of their id beside
  it (邵*明 (…02), ``names.masked_in_class``). The duty notice names teachers in full.
- ``parents_notice(plan)``: per homeroom class (家长版), its children (masked as in the public
  notice) with their group, days and times — what a head teacher posts in the class chat.
- With venues (SPEC §12, ``rooms.py``): rosters and the parents' notice get a place column
  (the room, the activity days and venues), the workbook a per-venue sheet and the rain plan.
Pupils are listed by class, then by the pinyin of their full name (``names.pupil_key``).
"""
from __future__ import annotations

import re
from collections import defaultdict

from afterschool.models.plan import Plan
from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.handouts.ics import roster_calendar
from afterschool.scheduler.handouts.labels import (day_name, group_label, group_number,
                                                   session_label, slot_label, window_label,
                                                   words)
from afterschool.scheduler.handouts.names import (class_key, mask_name,  # noqa: F401
                                                  masked_in_class, pinyin_key, pupil_key)
from afterschool.scheduler.handouts.rooms import (group_places, has_venues, place_text,
                                                  rain_rows, venue_rows)
from afterschool.scheduler.handouts.sheets import Sheet, fits_portrait
from afterschool.scheduler.say import say, section, table

FEE_CATEGORY = {"zh": table("value")["zh"]["fee_category"]}  # words: scheduler/say_zh.py
KIND = {"zh": table("value")["zh"]["kind"]}


def _people(plan: Plan) -> tuple[dict, dict]:
    people = plan.extra.get("people", {})
    return people.get("staff", {}), people.get("students", {})


def _staff_name(plan: Plan, sid: str) -> str:
    return _people(plan)[0].get(sid, {}).get("name", sid)


def _word(table: dict, lang: str, value):
    return table.get(lang, {}).get(value, value)


def group_labels(plan: Plan, lang: str) -> dict[str, str]:
    """Display name of every group of the plan (and of earlier versions)."""
    out = {}
    for v in plan.versions():
        for g in v.groups:
            out.setdefault(g.id, group_label(plan, g.id, lang, g.session))
    return out


def group_classes(plan: Plan) -> dict[str, list[str]]:
    students = _people(plan)[1]
    return {g.id: sorted({students.get(s, {}).get("class", "?") for s in g.students})
            for g in plan.groups}


def roster_rows(plan: Plan, staff: str | None = None, lang: str = "zh") -> list[dict]:
    """Duties per person (all people when ``staff`` is None), in week order."""
    w = words(lang)
    classes = group_classes(plan)
    labels = group_labels(plan, lang)
    names = _people(plan)[0]
    rooms = has_venues(plan)
    rows = []
    for d in sorted(plan.duties, key=lambda d: (d.staff, WEEKDAYS.index(d.day), d.start)):
        if staff is not None and d.staff != staff:
            continue
        rows.append({"staff": d.staff, "name": names.get(d.staff, {}).get("name", d.staff),
                     "day": day_name(d.day, lang), "time": f"{d.start}-{d.end}",
                     "session": session_label(plan, d.session, lang)
                     or window_label(d.window, lang),
                     "slot": slot_label(d.slot, lang),
                     "group": labels.get(d.group, d.group or ""),
                     "class": " ".join(classes.get(d.group, [])),
                     "role": w["role_teacher"] if d.role == "teacher" else w["manager"],
                     "minutes": d.minutes})
        if rooms:  # SPEC §12: where the group is in that slot
            rows[-1]["venue"] = place_text(plan, d.group, d.day, [d.slot], lang)
    if staff is not None:  # a person's roster: their club meetings too (paid on their own)
        from afterschool.scheduler.clubs.meetings import roster_rows as club_rows
        rows += club_rows(plan, staff, lang, lambda s: names.get(s, {}).get("name", s))
    return rows


def roster_ics(plan: Plan, staff: str, lang: str = "zh", alarm: int = 15,
               _cache: dict | None = None) -> bytes:
    """A person's phone calendar (see ``ics.py``): one event per continuous duty."""
    cache = _cache if _cache is not None else {}
    if "classes" not in cache:
        cache["classes"] = group_classes(plan)
        cache["names"] = {k: v.get("name", k) for k, v in _people(plan)[0].items()}
        cache["versions"] = plan.versions()  # asked for three times a person otherwise
    return roster_calendar(plan, staff, lang, alarm=alarm, classes=cache["classes"],
                           names=cache["names"], versions=cache["versions"])


def _times(plan: Plan, session: str) -> str:
    s = plan.extra.get("sessions", {}).get(session, {})
    return f"{s.get('start', '')}-{s.get('end', '')}"


def _day_names(lang: str):
    """``days`` (a child's signed-up weekdays) as the notices show them, "周二 周四";
    each list of days is spelled once (4,000 children sign up in a few dozen ways)."""
    seen: dict[tuple, str] = {}

    def spell(days) -> str:
        key = tuple(days)
        text = seen.get(key)
        if text is None:
            text = seen[key] = " ".join(day_name(d, lang) for d in key)
        return text
    return spell


def student_notice(plan: Plan, lang: str = "zh") -> list[dict]:
    """Public group list: masked name, class, group, days and times. Nothing else."""
    students = _people(plan)[1]
    sessions = plan.extra.get("sessions", {})
    labels = group_labels(plan, lang)
    days = _day_names(lang)
    masks = masked(plan)
    rows = []
    for g in plan.groups:  # what is the same for the whole group, once
        session = sessions.get(g.session, {})
        signup = session.get("signup")
        label, name, times = labels[g.id], session_label(plan, g.session, lang), \
            _times(plan, g.session)
        key = (list(sessions).index(g.session) if g.session in sessions else 99,
               group_number_key(label))
        for sid in g.students:
            info = students.get(sid, {})
            rows.append({"group": label, "session": name, "time": times,
                         "class": info.get("class", ""), "name": masks[sid],
                         "days": days(info.get(signup, [])),
                         "_k": (key, pupil_key(info.get("class", ""), info.get("name", "")),
                                sid)})
    rows.sort(key=lambda r: r["_k"])
    return [{k: v for k, v in r.items() if k != "_k"} for r in rows]


def masked(plan: Plan) -> dict[str, str]:
    """Every grouped pupil's masked name, told apart within the class (``names``)."""
    students = _people(plan)[1]
    return masked_in_class((sid, students.get(sid, {}).get("class", ""),
                            students.get(sid, {}).get("name", ""))
                           for g in plan.groups for sid in g.students)


def group_number_key(label: str) -> tuple:
    """午托2组 before 午托10组: the label with its numbers compared as numbers."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", label)
                 if p)


def parents_notice(plan: Plan, lang: str = "zh") -> dict[str, list[dict]]:
    """Per homeroom class (家长版): each child (masked) with group, days and time, per
    session the child takes. Nothing else: no id, no category."""
    students = _people(plan)[1]
    sessions = plan.extra.get("sessions", {})
    labels = group_labels(plan, lang)
    days = _day_names(lang)
    by_class: dict[str, list[dict]] = defaultdict(list)
    order = {s: i for i, s in enumerate(sessions)}
    masks = masked(plan)
    places = group_places(plan, lang)  # SPEC §12: room and activity days
    for g in plan.groups:  # what is the same for the whole group, once
        signup = sessions.get(g.session, {}).get("signup")
        label, name, times = labels[g.id], session_label(plan, g.session, lang), \
            _times(plan, g.session)
        rank = order.get(g.session, 99)
        for sid in g.students:
            info = students.get(sid, {})
            by_class[info.get("class", "")].append({
                "name": masks[sid], "session": name, "group": label,
                "days": days(info.get(signup, [])), "time": times,
                **({"venue": places.get(g.id, "")} if places else {}),
                "_k": (pinyin_key(info.get("name", "")), sid, rank)})
    out = {}
    for c in sorted(by_class, key=class_key):
        rows = sorted(by_class[c], key=lambda r: r["_k"])
        out[c] = [{k: v for k, v in r.items() if k != "_k"} for r in rows]
    return out


PARENTS_COLUMNS = ["name", "session", "group", "days", "time"]


def parents_sheets(plan: Plan, lang: str = "zh") -> list[Sheet]:
    """The parents' notice as one sheet per class (printable, one page each)."""
    w = words(lang)
    columns = PARENTS_COLUMNS + (["venue"] if has_venues(plan) else [])  # SPEC §12
    return [(w["class_of"].format(c=c), rows, columns, [],
             {"title": f"{plan.extra.get('school', '')} {w['parents_title']} {c}"})
            for c, rows in parents_notice(plan, lang).items()]


def duty_notice(plan: Plan, lang: str = "zh") -> list[dict]:
    """Public duty list with full teacher names; shortages shown as such."""
    w = words(lang)
    labels = group_labels(plan, lang)
    names = _people(plan)[0]

    def where(x):
        return session_label(plan, x.session, lang) or window_label(x.window, lang)
    rows = [{"day": day_name(d.day, lang), "time": f"{d.start}-{d.end}",
             "session": where(d), "group": labels.get(d.group, d.group or ""),
             "role": w["role_teacher"] if d.role == "teacher" else w["manager"],
             "name": names.get(d.staff, {}).get("name", d.staff),
             "_k": (WEEKDAYS.index(d.day), d.start)}
            for d in plan.duties]
    rows += [{"day": day_name(s.day, lang), "time": f"{s.start}-{s.end}",
              "session": where(s), "group": labels.get(s.group, s.group or ""),
              "role": w["role_teacher"] if s.role == "teacher" else w["manager"],
              "name": f"{w['shortage']} x{s.count}", "_k": (WEEKDAYS.index(s.day), s.start)}
             for s in plan.shortages]
    rows.sort(key=lambda r: (r["_k"], r["session"], group_number_key(r["group"]),
                             pinyin_key(r["name"])))
    return [{k: v for k, v in r.items() if k != "_k"} for r in rows]


def _grid_cells(plan: Plan, session: str, lang: str):
    """A session's teacher duties as {(day, start): {group id: name or the shortage
    word}}, the slot text of each start (its time, and the slot's name when the session
    has several), and each group's short label (1组, "group 1": the sheet names the
    session)."""
    w = words(lang)
    names = _people(plan)[0]
    cells: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    spans: dict[str, tuple[str, str]] = {}
    for d in plan.duties:
        if d.role == "teacher" and d.session == session:
            cells[d.day, d.start][d.group] = names.get(d.staff, {}).get("name", d.staff)
            spans[d.start] = (d.end, slot_label(d.slot, lang))
    for x in plan.shortages:
        if x.role == "teacher" and x.session == session:
            cells[x.day, x.start][x.group] = w["shortage"]
            spans.setdefault(x.start, (x.end, slot_label(x.slot, lang)))
    slots = {start: f"{start}-{end}" + (f" {name}" if len(spans) > 1 and name else "")
             for start, (end, name) in spans.items()}
    short = {g.id: w["group_n"].format(n=group_number(plan, g.id))
             for g in plan.groups if g.session == session}
    return cells, slots, short


def duty_grid(plan: Plan, session: str, lang: str = "zh") -> tuple[list[dict], list[str]]:
    """Rows day x slot, one column per group of ``session`` (1组 …: the sheet names the
    session): the teacher's name, or the shortage word."""
    cells, slots, short = _grid_cells(plan, session, lang)
    groups = list(short.values())
    rows = []
    for day, start in sorted(cells, key=lambda k: (WEEKDAYS.index(k[0]), k[1])):
        rows.append({"day": day_name(day, lang), "slot": slots[start],
                     **{short.get(g, g): v for g, v in cells[day, start].items()}})
    return rows, ["day", "slot", *groups]


def duty_week(plan: Plan, session: str, lang: str = "zh") -> tuple[list[dict], list[str]]:
    """The duty grid turned for a session with many groups: a row per group and slot, a
    column per weekday the session runs: the teacher's name, the shortage word, or
    nothing on a day the group does not meet."""
    cells, slots, short = _grid_cells(plan, session, lang)
    days = [d for d in WEEKDAYS
            if d in plan.extra.get("sessions", {}).get(session, {}).get("days", WEEKDAYS)]
    by_group: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for (day, start), groups in cells.items():
        for g, v in groups.items():
            by_group[g, start][day_name(day, lang)] = v
    order = {g: i for i, g in enumerate(short)}
    rows = [{"group": short.get(g, g), "slot": slots[start], **by_group[g, start]}
            for g, start in sorted(by_group, key=lambda k: (order.get(k[0], len(order)),
                                                            k[0], k[1]))]
    return rows, ["group", "slot", *(day_name(d, lang) for d in days)]


def duty_sheet(plan: Plan, session: str, lang: str = "zh") -> tuple[list, list, dict] | None:
    """A session's duty grid as it prints legibly: days down and groups across while that
    fits an A4 portrait page at full size; otherwise turned (``duty_week``: groups down,
    days across, a group's slots kept on one page). None when the session has no duty."""
    rows, cols = duty_grid(plan, session, lang)
    if not rows:
        return None
    w = words(lang)
    if fits_portrait(rows, cols, [w.get(c, c) for c in cols]):
        return rows, cols, {"break_on": "day", "pack": True}
    rows, cols = duty_week(plan, session, lang)
    return rows, cols, {"break_on": "group", "pack": True}


def outcome(plan: Plan, lang: str) -> str:
    """What a principal reads of a plan: 排班完成, or 有缺员（n 个岗位）; never a solver
    status (that stays in plan.json)."""
    n = sum(s.count for s in plan.shortages)
    w = section("office", "zh" if lang == "zh" else "en")
    return w["short"].format(n=n) if n else w["done"]


def summary_rows(plan: Plan, lang: str = "zh") -> list[dict]:
    """The cover: school, term, status, groups, duties, shortages, each session, money."""
    w = words(lang)
    x = plan.extra
    rows = [{"item": w["school"], "value": x.get("school", "")},
            {"item": w["term"], "value": f"{x['term']['start']} – {x['term']['end']}"},
            {"item": w["status"], "value": outcome(plan, lang)},
            {"item": w["group_count"], "value": len(plan.groups)},
            {"item": w["duties"], "value": len(plan.duties)},
            {"item": w["shortage"], "value": sum(s.count for s in plan.shortages)}]
    for g in x.get("grouping", []):
        text = say("cover_sheet.session", "zh" if lang == "zh" else "en",
                   students=g["students"], groups=g["groups"], days=g["group_days"])
        rows.append({"item": session_label(plan, g["session"], lang), "value": text})
    for b in x.get("budget", []):
        if b.get("part") == "total":
            rows += [{"item": w["income"], "value": b["income"]},
                     {"item": w["pay"], "value": b["pay"]},
                     {"item": w["balance"], "value": b["balance"]}]
    return rows


def budget_part(plan: Plan, part: str, lang: str) -> str:
    """A budget row's name: a session, "managers (noon)", or the total, in ``lang``."""
    w = words(lang)
    if part == "total":
        return w["total"]
    m = re.fullmatch(r"managers \((\w+)\)", part or "")
    if m:
        window = window_label(m.group(1), lang)
        return f"{w['manager']}({window})" if lang == "zh" else f"{w['manager']}s ({window})"
    if part in plan.extra.get("sessions", {}):
        return session_label(plan, part, lang)
    return window_label(part, lang) or part


def _short_group(row: dict) -> dict:
    """A duty row whose session has its own column names its group by number alone
    (晚托(中高年级) | 1组), which keeps the teachers' table narrow enough to print large."""
    group, session = row.get("group", ""), row.get("session", "")
    if session and group.startswith(session) and group != session:
        return dict(row, group=group[len(session):].strip())
    return row


def timetable_sheets(plan: Plan, lang: str = "zh") -> list[Sheet]:
    """Every sheet of the term workbook, as (title, rows, columns, totals, layout)."""
    w = words(lang)
    students = _people(plan)[1]
    names = _people(plan)[0]
    labels = group_labels(plan, lang)
    school = plan.extra.get("school", "")
    def by_class_then_pinyin(ids):
        return sorted(ids, key=lambda s: (pupil_key(students.get(s, {}).get("class", ""),
                                                    students.get(s, {}).get("name", "")), s))
    rosters = [{"group": labels[g.id], "session": session_label(plan, g.session, lang),
                "student": s, "name": students.get(s, {}).get("name", ""),
                "class": students.get(s, {}).get("class", "")}
               for g in plan.groups for s in by_class_then_pinyin(g.students)]
    everyone = roster_rows(plan, None, lang)  # once: the managers' sheet and by teacher
    managers = [r for r in everyone if r["role"] == w["manager"]]
    sheets: list[Sheet] = [
        (w["summary"], summary_rows(plan, lang), ["item", "value"], [],
         {"title": f"{school} {w['report_title']}", "cover": True}),
        (w["groups_sheet"], rosters, ["group", "session", "student", "name", "class"], [],
         {"break_on": "group", "title": school}),
    ]
    for session in plan.extra.get("sessions", {}):
        grid = duty_sheet(plan, session, lang)
        if grid:
            rows, cols, layout = grid
            sheets.append((f"{w['grid']} {session_label(plan, session, lang)}", rows, cols,
                           [], {**layout, "title": school}))
    fees = [dict(f, name=students.get(f["student"], {}).get("name", ""),
                 fee_category=_word(FEE_CATEGORY, lang, f.get("fee_category")))
            for f in plan.fees]
    fees.sort(key=lambda f: (pupil_key(f.get("class", ""), f["name"]), f["student"]))
    pay = [dict(p, name=names.get(p["staff"], {}).get("name", p["staff"]),
                kind=_word(KIND, lang, p.get("kind"))) for p in plan.pay]
    budget = [dict(b, part=budget_part(plan, b.get("part", ""), lang))
              for b in plan.extra.get("budget", [])]
    staffing = [dict(r, day=day_name(r["day"], lang),
                     session=session_label(plan, r["session"], lang)) for r in plan.staffing]
    sheets += [
        (w["managers"], managers, ["day", "time", "session", "staff", "name"], [],
         {"title": school}),
        (w["by_teacher"], [_short_group(r) for r in everyone],
         ["staff", "name", "day", "time", "session", "slot", "group", "class"]
         + (["venue"] if has_venues(plan) else []) + ["role", "minutes"], ["minutes"],
         {"title": school}),
        (w["fees"], fees, ["student", "name", "class", "fee_category", "gross_fee",
                           "service_fee", "lunch_fee"],
         ["gross_fee", "service_fee", "lunch_fee"], {"title": school}),
        (w["pay"], pay, ["staff", "name", "kind", "rate", "minutes", "amount"],
         ["minutes", "amount"], {"title": school}),
        (w["budget"], budget, ["part", "income", "exemptions", "pay", "balance"], [],
         {"title": school}),
        (w["staffing"], staffing, ["day", "session", "students", "standard_teachers",
                                   "groups", "extra_groups", "extra_teacher_minutes",
                                   "extra_pay"], ["extra_teacher_minutes", "extra_pay"],
         {"title": school}),
    ]
    if has_venues(plan):  # SPEC §12: which group where, when; and on a rainy day
        sheets.append((w["venues_sheet"], venue_rows(plan, lang),
                       ["venue", "day", "time", "session", "group", "activity"], [],
                       {"break_on": "venue", "title": school}))
        if plan.extra.get("rain_plan"):
            sheets.append((w["rain_sheet"], rain_rows(plan, lang),
                           ["day", "group", "activity", "venue", "rain_venue"], [],
                           {"title": school}))
    return sheets

