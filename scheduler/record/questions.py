"""Questions months later (SPEC §10): who was on duty where on a date, and every change.

- ``who(plan, day, absences, group=, teacher=, student=)``: rows for one date from the
  version in force that date, with the covers (exceptions) applied: per group meeting
  that day and per slot (or manager window) the person on duty, the person absent and
  covered, or ``None`` where nobody covered; a date that is not a service date gives no
  rows and a reason (holiday, weekend, outside the term). Absences recorded for the date
  without a duty to cover are listed too. With ``clubs=True`` (the ``who`` command) the clubs
  meeting that date too (role ``club``, group ``club-<id>``: a pupil's club, the club a
  person runs; ``clubs.meetings.on_date``); the roll call and the office's page ask
  without.
- ``history(entries, documents, student=, teacher=)``: every entry of the record, oldest
  first, with its time, author and what changed; for a pupil or a person only the entries
  that touch them, with what they changed for them (a club draw: the pupil's seat or
  waiting place, the clubs a person runs; ``documents`` then holds the draws' plans too).
- ``who_lines``/``history_lines``: the same as text in the school's language, people by
  name and id, groups by their display names (午托1组), and where the group was (its room
  or activity venue, SPEC §12) when the plan has venues.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from afterschool.models.plan import Plan
from afterschool.scheduler.handouts.labels import (day_name, group_label, slot_label,
                                                   window_label)
from afterschool.scheduler.handouts.rooms import names as listed_names
from afterschool.scheduler.say import say, table

WORDS = table("history")  # words: scheduler/say_zh.py, say_en.py


def _w(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def weekday_of(plan: Plan, day: date) -> str | None:
    """The weekday a date counts as (make-up days included), None if no service date."""
    text = day.isoformat()
    for wd, dates in (plan.extra.get("calendar") or {}).items():
        if text in dates:
            return wd
    return None


def not_service_reason(plan: Plan, day: date) -> str:
    term = plan.extra.get("term") or {}
    if not (term.get("start", "") <= day.isoformat() <= term.get("end", "9999")):
        return "outside"
    return "weekend" if day.weekday() >= 5 else "holiday"


def version_on(plan: Plan, day: date):
    """The version of the plan in force on ``day``."""
    chosen = None
    for v in plan.versions():
        if v.valid_from is None or v.valid_from <= day.isoformat():
            chosen = v
    return chosen


def _signups(plan: Plan, version) -> dict[str, dict]:
    people = plan.extra.get("people", {}).get("students", {})
    return {**people, **(version.signups or {})}


def _presence(plan: Plan, version, wd: str):
    """``present(pupil, session)``: does the pupil come on weekday ``wd`` (the version's
    sign-ups where it kept them, else today's)."""
    signups = _signups(plan, version)
    cols = {sid: (s or {}).get("signup", "afternoon")
            for sid, s in (plan.extra.get("sessions") or {}).items()}

    def present(sid: str, session: str) -> bool:
        return wd in (signups.get(sid, {}).get(cols.get(session, "afternoon")) or [])
    return present


def _places(plan: Plan, v) -> dict[tuple[str, str, str], tuple[str, str | None]]:
    """(group, weekday, slot) -> the venue's name and the activity's (or None) in ``v``:
    the current version's ``venues`` rows, or the history entry's it replaced."""
    rows = plan.extra.get("venues") if v.valid_to is None else next(
        (h.get("venues") for h in plan.history if h.get("valid_from") == v.valid_from
         and h.get("valid_to") == v.valid_to), None)
    names, acts = listed_names(plan, "venue_list"), listed_names(plan, "activity_list")
    out = {}
    for r in rows or []:
        if r.get("venue") is not None:
            out[r["group"], r["day"], r["slot"]] = (names.get(r["venue"], r["venue"]),
                                                    acts.get(r["activity"], r["activity"])
                                                    if r.get("activity") else None)
    return out


def who(plan: Plan, day: date, absences: list[dict], *, group: str | None = None,
        teacher: str | None = None, student: str | None = None,
        clubs: bool = False) -> list[dict[str, Any]]:
    """The duties of ``day`` as they were held (see the module docstring)."""
    wd = weekday_of(plan, day)
    if wd is None:
        return []
    v = version_on(plan, day)
    text = day.isoformat()
    covers = {(x["role"], x.get("session") if x["role"] == "teacher" else x.get("window"),
               x.get("group"), x.get("slot"), x["start"], x["end"]): x
              for x in plan.exceptions if x["date"] == text}
    present = _presence(plan, v, wd)
    size = {g.id: sum(1 for s in g.students if present(s, g.session)) for g in v.groups}
    meeting = {gid for gid, n in size.items() if n}
    mine = None
    if student is not None:
        mine = {g.id for g in v.groups if student in g.students
                and present(student, g.session)}
    rows = []
    places = _places(plan, v)
    for d in sorted(v.duties, key=lambda d: (d.start, d.role != "manager", d.group or "",
                                             d.end)):
        if d.day != wd or (d.role == "teacher" and d.group not in meeting):
            continue
        key = (d.role, d.session if d.role == "teacher" else d.window, d.group, d.slot,
               d.start, d.end)
        x = covers.get(key)
        staff, absent = (x.get("staff"), x["replaces"]) if x else (d.staff, None)
        row = {"date": text, "day": wd, "role": d.role, "session": d.session,
               "window": d.window, "group": d.group, "slot": d.slot, "start": d.start,
               "end": d.end, "staff": staff, "absent": absent,
               "pupils": size[d.group] if d.group else None}
        if places and d.role == "teacher":  # SPEC §12: where the group was
            row["venue"], row["activity"] = places.get((d.group, wd, d.slot), (None, None))
        if group is not None and d.group != group:
            continue
        if teacher is not None and teacher not in (staff, absent):
            continue
        if mine is not None and d.group not in mine:
            continue
        rows.append(row)
    for s in v.shortages:
        if s.day == wd and (group is None or s.group == group) and teacher is None and (
                mine is None or s.group in mine):
            for _ in range(s.count):
                rows.append({"date": text, "day": wd, "role": s.role, "session": s.session,
                             "window": s.window, "group": s.group, "slot": s.slot,
                             "start": s.start, "end": s.end, "staff": None, "absent": None,
                             "pupils": None})
    if clubs and (group is None or group.startswith("club-")):  # clubs that day (SPEC §12)
        from afterschool.scheduler.clubs.meetings import on_date
        rows += [{"date": text, "day": wd, "role": "club", "session": c["session"],
                  "window": None, "group": c["group"], "slot": None, "start": c["start"],
                  "end": c["end"], "staff": c["staff"], "absent": None, "pupils": c["pupils"],
                  "club": c["club"], "name": c["name"], "venue": c["venue"]}
                 for c in on_date(plan, day, wd, student=student, teacher=teacher,
                                  group=group)]
    covered = {r["absent"] for r in rows if r["absent"]}
    for a in absences:
        if a["date"] == text and a["staff"] not in covered and teacher in (None, a["staff"]) \
                and group is None and student is None:
            rows.append({"date": text, "day": wd, "role": None, "session": None,
                         "window": None, "group": None, "slot": None, "start": None,
                         "end": None, "staff": None, "absent": a["staff"], "pupils": None})
    return rows


def attendance_on(plan: Plan, day: date, marks: dict[tuple[str, str, str], str],
                  groups: set[str], student: str | None = None) -> list[dict]:
    """The pupils of ``groups`` (or ``student`` alone) expected on ``day`` with the status
    recorded for them (present where nothing was recorded)."""
    wd = weekday_of(plan, day)
    if wd is None:
        return []
    v = version_on(plan, day)
    present = _presence(plan, v, wd)
    text = day.isoformat()
    return [{"student": s, "group": g.id, "session": g.session,
             "status": marks.get((text, g.session, s), "present")}
            for g in v.groups if g.id in groups for s in g.students
            if present(s, g.session) and student in (None, s)]


def attendance_lines(plan: Plan, pupils: list[dict], lang: str) -> list[str]:
    """One line per group: how many came, and who did not (or came late, left early)."""
    w = _w(lang)
    by: dict[str, list[dict]] = {}
    for p in pupils:
        by.setdefault(p["group"], []).append(p)
    lines = []
    for gid, rows in by.items():
        came = sum(1 for r in rows if r["status"] in ("present", "late", "early"))
        odd = [f"{_name(lang, plan, r['student'], 'students')} {w['status_' + r['status']]}"
               for r in rows if r["status"] != "present"]
        colon, semi, comma = ("：", "；", "、") if lang == "zh" else (": ", "; ", ", ")
        lines.append(f"  {group_label(plan, gid, lang)}{colon}" + w["came"].format(
            n=came, of=len(rows)) + (semi + comma.join(odd) if odd else ""))
    return lines


def on_duty(plan: Plan, row: dict, lang: str) -> str:
    """Who holds a duty row, in ``lang``: the person's name and id, the club's external
    instructor, or "" for nobody."""
    if row["role"] == "club" and row["staff"] == "external":
        from afterschool.scheduler.clubs import meetings
        return meetings.say("external", lang)
    return _name(lang, plan, row["staff"])


def named(plan: Plan, sid: str | None, lang: str) -> str:
    """A staff member as people read them: 姓名（工号） / Name (id); the id alone unnamed."""
    return _name(lang, plan, sid)


def _name(lang: str, plan: Plan, sid: str | None, kind: str = "staff") -> str:
    if not sid:
        return ""
    name = plan.extra.get("people", {}).get(kind, {}).get(sid, {}).get("name")
    return _w(lang)["named"].format(name=name, id=sid) if name else sid


def where(plan: Plan, row: dict, lang: str) -> str:
    """Where a duty row (``role``, ``group``, ``session``, ``slot``, ``window``, ``venue``
    and ``activity`` names or None) takes place, in ``lang``: the group and slot, the
    manager's window or the club, and the venue with its activity (SPEC §12)."""
    if row["role"] == "club":
        from afterschool.scheduler.clubs import meetings
        return meetings.say("in_club", lang, club=row["name"], venue=row["venue"])
    if row["role"] == "manager":
        return f"{_w(lang)['manager']} {window_label(row['window'], lang)}"
    if row["group"] is None:
        return ""
    where = group_label(plan, row["group"], lang, row["session"])
    where += f" {slot_label(row['slot'], lang)}" if row.get("slot") else ""
    venue, activity = row.get("venue"), row.get("activity")
    if not venue:
        return where
    return say("place.at", lang, where=where, venue=venue) if activity is None else \
        say("place.at_activity", lang, where=where, venue=venue, activity=activity)


def who_lines(plan: Plan, day: date, rows: list[dict], lang: str) -> list[str]:
    w = _w(lang)
    wd = weekday_of(plan, day)
    if wd is None:
        return [w["not_service"].format(d=day.isoformat(),
                                        why=w[not_service_reason(plan, day)])]
    lines = [w["head"].format(d=day.isoformat(), day=day_name(wd, lang))]
    if not rows:
        lines.append("  " + w["none"])
    for r in rows:
        if r["start"] is None:
            lines.append(f"  {_name(lang, plan, r['absent'])} {w['absent']}")
            continue
        who_ = on_duty(plan, r, lang) if r["staff"] else w["nobody"]
        if r["absent"]:
            who_ += f"（{w['covers'].format(who=_name(lang, plan, r['absent']))}）" if lang == "zh" \
                else f" ({w['covers'].format(who=_name(lang, plan, r['absent']))})"
        pupils = f"，{w['pupils'].format(n=r['pupils'])}" if lang == "zh" and r["pupils"] \
            else (f", {w['pupils'].format(n=r['pupils'])}" if r["pupils"] else "")
        lines.append(f"  {r['start']}-{r['end']} {where(plan, r, lang)}：{who_}{pupils}"
                     if lang == "zh" else
                     f"  {r['start']}-{r['end']} {where(plan, r, lang)}: {who_}{pupils}")
    return lines


def history(entries: list[dict], documents: dict[int, dict], *, student: str | None = None,
            teacher: str | None = None) -> list[dict[str, Any]]:
    """Entries oldest first, each with ``details``: what it changed (for ``student`` or
    ``teacher`` alone when given; entries that do not touch them are left out).
    ``documents``: the plan document each plan-making entry recorded, by entry id."""
    out = []
    for e in entries:
        s, kind, details = e["summary"], e["kind"], []
        doc = documents.get(e["id"])
        if kind == "plan":
            if student is not None:
                details = [{"student_in": g["id"], "session": g["session"]}
                           for g in (doc or {}).get("groups", []) if student in g["students"]]
            elif teacher is not None:
                n = sum(1 for d in (doc or {}).get("duties", []) if d["staff"] == teacher)
                details = [{"duties_week": n}] if n else []
        elif kind == "replan":
            moved = [r for r in s.get("students", []) if student in (None, r["student"])]
            duties = [r for r in s.get("duties", [])
                      if teacher in (None, r.get("old_staff"), r.get("new_staff"))]
            details = ([{"student_move": r} for r in moved] if teacher is None else []) + \
                      ([{"duty_change": r} for r in duties] if student is None else [])
        elif kind == "clubs":  # a draw: a pupil's seat or waiting place, the clubs one runs
            from afterschool.scheduler.clubs.meetings import draw_details
            details = draw_details(doc, student=student, teacher=teacher)
        elif kind == "substitute":
            if student is not None:
                details = []
            else:
                covers = [c for c in s.get("covers", [])
                          if teacher in (None, s.get("absent"), c.get("staff"))]
                details = [{"cover": c} for c in covers]
        if (student is not None or teacher is not None) and not details:
            continue
        out.append({"id": e["id"], "recorded_at": e["recorded_at"], "by": e["recorded_by"],
                    "kind": kind, "summary": s, "details": details})
    return out


def history_lines(plan: Plan, rows: list[dict], lang: str) -> list[str]:
    w = _w(lang)
    lines = []
    for h in rows:
        s = h["summary"]
        if h["kind"] == "plan":
            what = w["plan"] + w["colon"] + w["first"].format(g=s.get("groups"), n=s.get("duties"),
                                                       s=s.get("shortages"))
        elif h["kind"] == "replan":
            what = w["replan"].format(d=s.get("from")) + w["colon"] + w["moved"].format(
                n=len(s.get("students", [])), m=len(s.get("duties", [])))
        elif h["kind"] == "substitute":
            covers = s.get("covers", [])
            c = sum(1 for x in covers if x.get("staff"))
            what = w["substitute"] + w["colon"] + w["absence"].format(
                who=_name(lang, plan, s.get("absent")), dates=w["comma"].join(s.get("dates", [])),
                c=c, u=len(covers) - c)
        elif h["kind"] == "clubs":
            from afterschool.scheduler.clubs.meetings import say
            what = say("draw", lang, seed=s.get("seed"), start=s.get("start"),
                       assigned=s.get("assigned", 0), waiting=s.get("waiting", 0),
                       cancelled=len(s.get("cancelled", [])))
        elif h["kind"] in ("attendance", "cancel", "payments"):
            what = w[h["kind"]].format(
                file=s.get("file", ""), pupils=s.get("pupils", 0), staff=s.get("staff", 0),
                dates=w["comma"].join(s.get("dates", [])), reason=s.get("reason", ""),
                rows=s.get("rows", 0), total=s.get("total", ""))
        else:
            what = h["kind"]
        stamp = local_time(h["recorded_at"])
        by = w["by"].format(who=h["by"])
        lines.append(f"{stamp} {what}（{by}）" if lang == "zh" else f"{stamp} {what} ({by})")
        for d in h["details"]:
            lines.append("    " + _detail(plan, d, lang))
    return lines or ["  " + w["none"]]


def local_time(stamp: str) -> str:
    """A recorded UTC time on the school's clock (China Standard Time), to the minute."""
    from datetime import datetime
    from zoneinfo import ZoneInfo
    try:
        when = datetime.fromisoformat(stamp).astimezone(ZoneInfo("Asia/Shanghai"))
    except ValueError:
        return stamp
    return when.strftime("%Y-%m-%d %H:%M")


def _detail(plan: Plan, d: dict, lang: str) -> str:
    w = _w(lang)
    if "student_in" in d:
        return w["student_in"].format(g=group_label(plan, d["student_in"], lang, d["session"]))
    if "duties_week" in d:
        return w["duties_week"].format(n=d["duties_week"])
    if "student_move" in d:
        r = d["student_move"]
        return w["student_move"].format(
            s=_name(lang, plan, r["student"], "students"),
            a=group_label(plan, r.get("old_group"), lang, r.get("session")) or w["new"],
            b=group_label(plan, r.get("new_group"), lang, r.get("session")) or w["left"])
    if "duty_change" in d:
        r = d["duty_change"]
        where = (group_label(plan, r.get("group"), lang, r.get("session")) if r.get("group")
                 else f"{w['manager']} {window_label(r.get('window'), lang)}")
        return w["duty_change"].format(day=day_name(r.get("day"), lang), time=r.get("time"),
                                       g=where, a=_name(lang, plan, r.get("old_staff")) or "-",
                                       b=_name(lang, plan, r.get("new_staff")) or w["nobody"])
    if any(k in d for k in ("club_member", "club_waiting", "club_runs")):
        from afterschool.scheduler.clubs.meetings import say
        if "club_member" in d:
            return say("member", lang, club=d["club_member"])
        if "club_waiting" in d:
            return say("waiting", lang, club=d["club_waiting"], place=d["place"])
        return say("teaches", lang, club=d["club_runs"])
    c = d["cover"]
    where = (group_label(plan, c.get("group"), lang) if c.get("group")
             else f"{w['manager']} {window_label(c.get('window'), lang)}")
    return w["cover_row"].format(d=c["date"], t=f"{c['start']}-{c['end']}", g=where,
                                 who=_name(lang, plan, c.get("staff")) or w["nobody"])
