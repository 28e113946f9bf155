"""What a re-plan changed, for whom (SPEC §9): tables, teacher notices, the printed summary.

Input: a ``Replan`` (``scheduler.planning.replan``). Outputs, all staged with ``plan.json``
and the usual hand-outs in one all-or-nothing folder (``write_replan_folder``):
- ``changes.csv``: one row per change from DATE: each student who moves (old -> new group
  in ``old``/``new``), each new student's group, each student who leaves, each duty post
  whose person changes (its day, time and group; old -> new person in ``old``/``new``; a
  removed or new post has one side empty); each group and weekday whose room changed
  (SPEC §12: old -> new room);
- ``changes.xlsx``: the same as sheets ``students`` and ``duties``, and ``teachers``: one
  short notice per affected person (duties lost and gained, pupils joining or leaving the
  groups they supervise);
- ``changes-teachers.csv``: the notices alone, one row per person, to send out.
Privacy (SPEC §7): these are office and staff documents; they name pupils (a teacher must
know who joins the group) but never show priority or fee categories.
``replan_summary`` is the short text printed after ``replan``.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.handouts.bundle import write_plan_folder
from afterschool.scheduler.handouts.rooms import names as venue_names
from afterschool.scheduler.handouts.labels import (day_name, group_label, session_label,
                                                   slot_label, window_label)
from afterschool.scheduler.handouts.sheets import write_tables
from afterschool.scheduler.say import section, table

CHANGE_COLUMNS = ["from", "what", "student", "name", "class", "session", "day", "time",
                  "group", "role", "old", "new", "reason"]
STUDENT_COLUMNS = ["from", "change", "student", "name", "class", "session", "old_group",
                   "new_group", "reason"]
DUTY_COLUMNS = ["from", "day", "time", "session", "window", "slot", "group", "role",
                "old_staff", "old_name", "new_staff", "new_name"]
TEACHER_COLUMNS = ["staff", "name", "from", "notice"]

WORDS = table("changes")  # words: scheduler/say_zh.py, say_en.py


# headers and the words of the tables, in the school's language (SPEC §8 language)
HEADERS = table("changes_head")
TERMS = table("changes_term")


def _t(lang: str, word: str) -> str:
    return TERMS.get(lang, {}).get(word, word)


def _staff_names(plan) -> dict[str, str]:
    return {k: v.get("name", k) for k, v in plan.extra.get("people", {}).get("staff", {}).items()}


def change_table(result, lang: str = "zh") -> list[dict]:
    """Every change as one row (students first, then duties in week order), with display
    names (午托1组, not noon-01) and words in ``lang``."""
    plan = result.plan
    names = _staff_names(plan)
    rows = []
    for r in result.students:
        rows.append({"from": r["from"], "what": _t(lang, f"student {r['change']}"),
                     "student": r["student"], "name": r["name"], "class": r["class"],
                     "session": session_label(plan, r["session"], lang),
                     "old": group_label(plan, r["old_group"], lang, r["session"]),
                     "new": group_label(plan, r["new_group"], lang, r["session"]),
                     "reason": _t(lang, r["reason"])})
    for r in result.duties:
        what = "duty changed" if r["old_staff"] and r["new_staff"] else (
            "duty removed" if r["old_staff"] else "duty added")
        rows.append({"from": r["from"], "what": _t(lang, what),
                     "session": (session_label(plan, r["session"], lang) if r["session"]
                                 else window_label(r["window"], lang)),
                     "day": day_name(r["day"], lang), "time": r["time"],
                     "group": group_label(plan, r["group"], lang, r["session"]),
                     "role": _t(lang, r["role"]), "old": _who(r["old_staff"], names),
                     "new": _who(r["new_staff"], names)})
    rows.extend(room_rows(plan, lang))
    return rows


def room_rows(plan, lang: str = "zh") -> list[dict]:
    """Each group and weekday whose room (SPEC §12) differs from the previous version's."""
    if not plan.history or not plan.extra.get("venues"):
        return []
    names = venue_names(plan, "venue_list")
    old = {(r["group"], r["day"]): r.get("room")
           for r in plan.history[-1].get("venues") or []}
    rows, seen = [], set()
    for r in plan.extra["venues"]:
        key = (r["group"], r["day"])
        if key in seen or key not in old or old[key] == r.get("room"):
            continue
        seen.add(key)
        rows.append({"from": plan.valid_from, "what": _t(lang, "room changed"),
                     "session": session_label(plan, r["session"], lang),
                     "day": day_name(r["day"], lang),
                     "group": group_label(plan, r["group"], lang, r["session"]),
                     "old": names.get(old[key], old[key] or ""),
                     "new": names.get(r.get("room"), r.get("room") or "")})
    return rows


def student_rows(result, lang: str = "zh") -> list[dict]:
    """The students sheet: who moves, joins or leaves, with display names."""
    plan = result.plan
    return [dict(r, change=_t(lang, r["change"]), reason=_t(lang, r["reason"]),
                 session=session_label(plan, r["session"], lang),
                 old_group=group_label(plan, r["old_group"], lang, r["session"]),
                 new_group=group_label(plan, r["new_group"], lang, r["session"]))
            for r in result.students]


def _who(staff: str, names: dict[str, str]) -> str:
    return f"{staff} {names.get(staff, '')}".strip() if staff else ""


def duty_rows(result, lang: str = "zh") -> list[dict]:
    """The duties sheet: each post whose person changes, with display names."""
    plan = result.plan
    names = _staff_names(plan)
    return [dict(r, old_name=names.get(r["old_staff"], "") if r["old_staff"] else "",
                 new_name=names.get(r["new_staff"], "") if r["new_staff"] else "",
                 day=day_name(r["day"], lang), role=_t(lang, r["role"]),
                 session=session_label(plan, r["session"], lang),
                 window=window_label(r["window"], lang), slot=slot_label(r["slot"], lang),
                 group=group_label(plan, r["group"], lang, r["session"]))
            for r in result.duties]


def teacher_notices(result, lang: str = "zh") -> list[dict]:
    """One short notice per affected person: duties lost and gained, pupils joining or
    leaving the groups they supervise from DATE, and pupils of those groups who now come on
    other weekdays."""
    w = WORDS.get(lang, WORDS["en"])
    names = _staff_names(result.plan)
    lines: dict[str, list[str]] = defaultdict(list)

    def where(r) -> str:
        return (w["group"].format(g=group_label(result.plan, r["group"], lang, r["session"]))
                if r["group"] else w["manager"].format(w=window_label(r["window"], lang)))
    for r in result.duties:
        if r["old_staff"]:
            lines[r["old_staff"]].append(w["lost"].format(day=day_name(r["day"], lang),
                                                          time=r["time"],
                                                          where=where(r)))
        if r["new_staff"]:
            lines[r["new_staff"]].append(w["gained"].format(day=day_name(r["day"], lang),
                                                            time=r["time"],
                                                            where=where(r)))
    joins: dict[str, list[str]] = defaultdict(list)
    leaves: dict[str, list[str]] = defaultdict(list)
    for r in result.students:
        if r["new_group"] and r["new_group"] != r["old_group"]:
            joins[r["new_group"]].append(r["name"] or r["student"])
        if r["old_group"] and r["new_group"] != r["old_group"]:
            leaves[r["old_group"]].append(r["name"] or r["student"])
    supervises: dict[str, set[str]] = defaultdict(set)
    for d in result.plan.duties:
        if d.role == "teacher":
            supervises[d.staff].add(d.group)
    old_supervises: dict[str, set[str]] = defaultdict(set)
    for v in result.plan.history[-1:]:
        for d in v["duties"]:
            if d["role"] == "teacher":
                old_supervises[d["staff"]].add(d["group"])
    for t in sorted(set(supervises) | set(old_supervises)):
        for g in sorted(supervises[t]):
            if joins.get(g):
                lines[t].append(w["join"].format(g=group_label(result.plan, g, lang),
                                                 n=len(joins[g]),
                                                 names="、".join(joins[g]) if lang == "zh"
                                                 else ", ".join(joins[g])))
        for g in sorted(old_supervises[t] & supervises[t]):
            if leaves.get(g):
                lines[t].append(w["leave"].format(g=group_label(result.plan, g, lang),
                                                  n=len(leaves[g]),
                                                  names="、".join(leaves[g]) if lang == "zh"
                                                  else ", ".join(leaves[g])))
    # a pupil who stays in the group but comes on other weekdays: its teachers are told
    people = result.plan.extra.get("people", {}).get("students", {})
    signup = {k: v.get("signup") for k, v in result.plan.extra.get("sessions", {}).items()}
    for r in result.students:
        g = r["new_group"]
        if r["change"] != "changed" or not g or g != r["old_group"]:
            continue
        days = people.get(r["student"], {}).get(signup.get(r["session"]), [])
        text = w["days"].format(name=r["name"] or r["student"],
                                g=group_label(result.plan, g, lang, r["session"]),
                                days=" ".join(day_name(d, lang) for d in days))
        for t in sorted(t for t, gs in supervises.items() if g in gs):
            lines[t].append(text)
    frm = result.stats["from"]
    return [{"staff": t, "name": names.get(t, ""), "from": frm,
             "notice": w["head"].format(date=frm) + " " + "; ".join(ls)}
            for t, ls in sorted(lines.items())]


def write_replan_folder(result, out_dir: Path, lang: str | None = None,
                        skip: set[str] = frozenset(), **record) -> tuple[list[Path], list[str]]:
    """``plan.json``, the hand-outs and the change tables, all or nothing. ``record``: how
    a term's folder is written from its record (``record.term.export_args``)."""
    plan = result.plan
    lang = lang or plan.extra.get("language", "zh")

    def change_tables(stage: Path) -> list[Path]:
        notices = teacher_notices(result, lang)
        heads = HEADERS.get(lang) or None
        return (write_tables(stage, "changes", [
                    ("changes", change_table(result, lang), CHANGE_COLUMNS, []),
                    ("students", student_rows(result, lang), STUDENT_COLUMNS, []),
                    ("duties", duty_rows(result, lang), DUTY_COLUMNS, []),
                    ("teachers", notices, TEACHER_COLUMNS, [])], header_words=heads)
                + write_tables(stage, "changes-teachers",
                               [("teachers", notices, TEACHER_COLUMNS, [])], ("csv",),
                               header_words=heads))

    return write_plan_folder(plan, out_dir, lang, skip, extra=change_tables, **record)


def office_replan_summary(result, lang: str) -> str:
    """What an office reads after ``replan``, in ``lang``: filled or how many posts are not,
    pupils and duties changed, covers kept or found again, new small groups with their pay,
    the cost of a pin, each unfilled post, and whether the time limit cut a search short
    (more time may fill more posts). The solver's detail: ``replan_summary`` (-v)."""
    from afterschool.scheduler.handouts.summary import clock_cuts, shortage_posts
    w, office = section("replan", lang), section("office", lang)
    plan, s = result.plan, result.stats
    n_short = sum(x.count for x in plan.shortages)
    lines = [w["head"].format(school=plan.extra.get("school", ""), date=s["from"],
                              outcome=w["short"].format(n=n_short) if n_short else w["done"],
                              interrupted=w["interrupted"] if plan.extra.get("interrupted")
                              else "")]
    named = s["students_named_moved"]
    lines.append(w["pupils"].format(added=s["students_added"], left=s["students_left"],
                                    moved=s["students_moved"],
                                    named=w["named"].format(n=named) if named else ""))
    lines.append(w["duties"].format(changed=s["duties_changed"], removed=s["duties_removed"],
                                    added=s["duties_added"], kept=s["available_duties_kept"],
                                    before=s["available_duties_before"]))
    if s.get("exceptions_kept") or s.get("exceptions_dropped"):
        lines.append(w["covers"].format(kept=s.get("exceptions_kept", 0),
                                        dropped=s.get("exceptions_dropped", 0),
                                        found=s.get("exceptions_found_again", 0)))
    for g in s.get("small_groups", []):
        lines.append(w["small"].format(group=group_label(plan, g["group"], lang),
                                       day=day_name(g["day"], lang), n=g["students"],
                                       pay=g["pay_per_week"]))
    if "pin_cost" in s:
        c = s["pin_cost"]
        lines.append(w["pin"].format(pin=s["pin"], minutes=f"{c['shortage_minutes']:+d}",
                                     days=f"{c['group_days']:+d}"))
    if plan.shortages:
        lines.append(w["gaps"])
        for (d, a, b, role), n in shortage_posts(plan):
            lines.append(w["gap"].format(day=day_name(d, lang), start=a, end=b,
                                         role=office[role], n=n))
    if clock_cuts(plan.extra):
        lines.append(w["cut"])  # the clock, not the budgets, ended a search
    return "\n".join(lines)


def replan_summary(result, lang: str = "en") -> str:
    """The short text an office reads after ``replan``, in the school's language."""
    if lang == "zh":
        return office_replan_summary(result, "zh")
    plan, s = result.plan, result.stats
    lines = [f"{plan.extra.get('school', '')}: re-plan from {s['from']} (previous version "
             f"from {s['previous_from']}), status {plan.status}"
             + (" (interrupted: best plan so far)" if plan.extra.get("interrupted") else "")
             + f", {s['cpu_seconds']:.1f}s CPU"]
    lines.append(f"  students: {s['students_added']} added, {s['students_left']} left, "
                 f"{s['students_moved']} moved who were not named by a change"
                 + (f", {s['students_named_moved']} with a changed sign-up in another group"
                    if s["students_named_moved"] else ""))
    kept, before = s["available_duties_kept"], s["available_duties_before"]
    lines.append(f"  duties: {s['duties_changed']} changed ({s['duties_removed']} removed or "
                 f"handed over, {s['duties_added']} new); {kept} of {before} duties of people "
                 f"still available unchanged")
    if "pin_cost" in s:
        c = s["pin_cost"]
        what = []
        if c["shortage_minutes"]:
            what.append(f"{c['shortage_minutes']:+d} shortage min/week")
        if c["group_days"]:
            what.append(f"{c['group_days']:+d} group-day(s)")
        lines.append(f"  --pin {s['pin']} costs " + (", ".join(what) if what else "nothing")
                     + f" against an unpinned re-plan (which would move {c['unpinned_moves']}"
                     f" student(s), {c['unpinned_shortage_minutes']} shortage min/week, "
                     f"{c['unpinned_group_days']} group-days)")
    if s.get("exceptions_kept"):
        lines.append(f"  {s['exceptions_kept']} substitution(s) dated from {s['from']} on "
                     "kept: their duties are unchanged")
    if s.get("exceptions_dropped"):
        lines.append(f"  {s['exceptions_dropped']} substitution(s) dated from {s['from']} on "
                     "were for duties that changed and are dropped; "
                     f"{s.get('exceptions_found_again', 0)} cover(s) found again for the "
                     "absences they recorded")
    for g in s.get("small_groups", []):
        lines.append(f"  small group: {g['group']} meets on {g['day']} with {g['students']} "
                     f"pupil(s), new in this re-plan; it costs {g['pay_per_week']} a week in "
                     f"pay ({g['teacher_minutes']} teacher min)")
    if plan.shortages:
        by = Counter((x.day, x.start, x.end, x.role) for x in plan.shortages
                     for _ in range(x.count))
        lines.append(f"  SHORTAGES ({sum(x.count for x in plan.shortages)} duties unfilled, "
                     f"{s['shortage_minutes_per_week']} min/week):")
        for (d, a, b, role), n in sorted(by.items(), key=lambda kv: (
                WEEKDAYS.index(kv[0][0]), kv[0][1:])):
            lines.append(f"    {d} {a}-{b}: {n} {role}(s) missing")
    else:
        lines.append("  every group and slot is covered; every manager post is filled")
    return "\n".join(lines)
