"""What a re-plan changed, for whom (SPEC §9): tables, teacher notices, the printed summary.

Input: a ``Replan`` (``scheduler.planning.replan``). Outputs, all staged with ``plan.json``
and the usual hand-outs in one all-or-nothing folder (``write_replan_folder``):
- ``changes.csv``: one row per change from DATE: each student who moves (old -> new group
  in ``old``/``new``), each new student's group, each student who leaves, each duty post
  whose person changes (its day, time and group; old -> new person in ``old``/``new``; a
  removed or new post has one side empty);
- ``changes.xlsx``: the same as sheets ``students`` and ``duties``, and ``teachers``: one
  short notice per affected person (duties lost and gained, pupils joining or leaving the
  groups they supervise);
- ``changes-teachers.csv``: the notices alone, one row per person, to send out.
Privacy (SPEC §7): these are office and staff documents; they name pupils (a teacher must
know who joins the group) but never show priority or fee categories.
``replan_summary`` is the short text printed after ``replan``.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.handouts.bundle import HANDOUTS, MARKER, write_handouts
from afterschool.scheduler.handouts.output import staged_folder, write_text
from afterschool.scheduler.handouts.sheets import write_tables

CHANGE_COLUMNS = ["from", "what", "student", "name", "class", "session", "day", "time",
                  "group", "role", "old", "new", "reason"]
STUDENT_COLUMNS = ["from", "change", "student", "name", "class", "session", "old_group",
                   "new_group", "reason"]
DUTY_COLUMNS = ["from", "day", "time", "session", "window", "slot", "group", "role",
                "old_staff", "old_name", "new_staff", "new_name"]
TEACHER_COLUMNS = ["staff", "name", "from", "notice"]

WORDS = {
    "en": {"lost": "no longer on duty {day} {time} {where}",
           "gained": "new duty {day} {time} {where}",
           "join": "{n} pupil(s) join group {g}: {names}",
           "leave": "{n} pupil(s) leave group {g}: {names}",
           "group": "group {g}", "manager": "manager, {w} window",
           "head": "From {date}:"},
    "zh": {"lost": "不再担任 {day} {time} {where}",
           "gained": "新增值班 {day} {time} {where}",
           "join": "{g} 组新增 {n} 名学生：{names}",
           "leave": "{g} 组离开 {n} 名学生：{names}",
           "group": "{g} 组", "manager": "{w} 时段管理",
           "head": "自 {date} 起："},
}


def _staff_names(plan) -> dict[str, str]:
    return {k: v.get("name", k) for k, v in plan.extra.get("people", {}).get("staff", {}).items()}


def change_table(result) -> list[dict]:
    """Every change as one row (students first, then duties in week order)."""
    names = _staff_names(result.plan)
    rows = []
    for r in result.students:
        rows.append({"from": r["from"], "what": f"student {r['change']}",
                     "student": r["student"], "name": r["name"], "class": r["class"],
                     "session": r["session"], "old": r["old_group"], "new": r["new_group"],
                     "reason": r["reason"]})
    for r in result.duties:
        what = "duty changed" if r["old_staff"] and r["new_staff"] else (
            "duty removed" if r["old_staff"] else "duty added")
        rows.append({"from": r["from"], "what": what, "session": r["session"] or r["window"],
                     "day": r["day"], "time": r["time"], "group": r["group"],
                     "role": r["role"], "old": _who(r["old_staff"], names),
                     "new": _who(r["new_staff"], names)})
    return rows


def _who(staff: str, names: dict[str, str]) -> str:
    return f"{staff} {names.get(staff, '')}".strip() if staff else ""


def duty_rows(result) -> list[dict]:
    names = _staff_names(result.plan)
    return [dict(r, old_name=names.get(r["old_staff"], "") if r["old_staff"] else "",
                 new_name=names.get(r["new_staff"], "") if r["new_staff"] else "")
            for r in result.duties]


def teacher_notices(result, lang: str = "zh") -> list[dict]:
    """One short notice per affected person: duties lost and gained, and pupils joining or
    leaving the groups they supervise from DATE."""
    w = WORDS.get(lang, WORDS["en"])
    names = _staff_names(result.plan)
    lines: dict[str, list[str]] = defaultdict(list)

    def where(r) -> str:
        return w["group"].format(g=r["group"]) if r["group"] else w["manager"].format(
            w=r["window"])
    for r in result.duties:
        if r["old_staff"]:
            lines[r["old_staff"]].append(w["lost"].format(day=r["day"], time=r["time"],
                                                          where=where(r)))
        if r["new_staff"]:
            lines[r["new_staff"]].append(w["gained"].format(day=r["day"], time=r["time"],
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
                lines[t].append(w["join"].format(g=g, n=len(joins[g]),
                                                 names="、".join(joins[g]) if lang == "zh"
                                                 else ", ".join(joins[g])))
        for g in sorted(old_supervises[t] & supervises[t]):
            if leaves.get(g):
                lines[t].append(w["leave"].format(g=g, n=len(leaves[g]),
                                                  names="、".join(leaves[g]) if lang == "zh"
                                                  else ", ".join(leaves[g])))
    frm = result.stats["from"]
    return [{"staff": t, "name": names.get(t, ""), "from": frm,
             "notice": w["head"].format(date=frm) + " " + "; ".join(ls)}
            for t, ls in sorted(lines.items())]


def write_replan_folder(result, out_dir: Path, lang: str | None = None,
                        skip: set[str] = frozenset()) -> tuple[list[Path], list[str]]:
    """``plan.json``, the hand-outs and the change tables, all or nothing."""
    plan = result.plan
    lang = lang or plan.extra.get("language", "zh")
    text = json.dumps(plan.to_dict(), ensure_ascii=False, indent=1)
    skip = set(HANDOUTS) if "all" in skip else set(skip)
    with staged_folder(out_dir) as stage:
        write_text(stage / MARKER, "written by afterschool\n")
        write_text(stage / "plan.json", text + "\n")
        written, warnings = write_handouts(plan, stage, lang, skip)
        notices = teacher_notices(result, lang)
        written += write_tables(stage, "changes", [
            ("changes", change_table(result), CHANGE_COLUMNS, []),
            ("students", result.students, STUDENT_COLUMNS, []),
            ("duties", duty_rows(result), DUTY_COLUMNS, []),
            ("teachers", notices, TEACHER_COLUMNS, [])])
        written += write_tables(stage, "changes-teachers",
                                [("teachers", notices, TEACHER_COLUMNS, [])], ("csv",))
    return [out_dir / p.relative_to(stage) for p in written], warnings


def replan_summary(result) -> str:
    """The short text an office reads after ``replan``."""
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
    if s.get("exceptions_dropped"):
        lines.append(f"  {s['exceptions_dropped']} substitution(s) dated from {s['from']} on "
                     "were for the old timetable and are dropped: cover them again")
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
