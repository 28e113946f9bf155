"""Reading a ``plan.json`` (SPEC §8) back into a ``Plan``; anything else is bad input.

A plan file may have been edited by hand: a string holding a control character (a newline
in a staff id, say) cannot come from ``afterschool plan`` and would break the calendars and
sheets written from it, so it is refused with its place in the file (the value not shown).
"""
from __future__ import annotations

import json
from pathlib import Path

from afterschool.models.errors import InputError, Problem
from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.scheduler.reading.clean import clean_text


def _control_characters(value, where: str = "") -> str | None:
    """The JSON path of the first string holding a control character, or None."""
    if isinstance(value, str):
        text, found = clean_text(value, limit=max(len(value), 1))
        return where or "/" if any("control" in f for f in found) else None
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for k, v in items:
        if isinstance(k, str) and _control_characters(k) is not None:
            return f"{where}/{k!r}"
        hit = _control_characters(v, f"{where}/{k}")
        if hit is not None:
            return hit
    return None


def read_plan(plan_file: str | Path) -> Plan:
    """A plan from ``plan.json`` or from the folder that holds it."""
    path = Path(plan_file)
    if path.is_dir():
        path = path / "plan.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        hit = _control_characters(data)
        if hit is not None:
            raise InputError([Problem(str(path), "control character in a value",
                                      column=hit, expected="a plan.json written by "
                                      "afterschool plan")])
        return Plan.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError([Problem(str(path), f"not a readable plan: {exc}",
                                  expected="plan.json written by afterschool plan")]) from None


def plan_problems(inst: Instance, plan: Plan, option: str = "PLAN") -> list[Problem]:
    """Problems that say ``plan`` was not made for this instance: another school or term,
    sessions it does not run, students or staff missing from its sheets (earlier versions
    still pay and bill them, so their rows must stay, marked withdrawn or not volunteering).
    ``option`` names where the plan came from in the messages (PLAN, --previous)."""
    out = []
    school = inst.school
    name = plan.extra.get("school")
    if name is not None and name != school.name:
        out.append(Problem(option, "the plan belongs to another school", value=name,
                           expected=f"a plan of {school.name}"))
    term = plan.extra.get("term")
    want = {"start": school.term.start.isoformat(), "end": school.term.end.isoformat()}
    if term and (term.get("start"), term.get("end")) != (want["start"], want["end"]):
        out.append(Problem(option, "the plan is for another term",
                           value=f"{term.get('start')}..{term.get('end')}",
                           expected=f"{want['start']}..{want['end']}"))
    staff = {t.id for t in inst.teachers}
    sessions = {s.id for s in school.sessions}
    students = {s.id for s in inst.students}
    unknown_staff, unknown_sessions, unknown_students = set(), set(), set()
    for v in plan.versions():
        for d in v.duties:
            if d.staff not in staff:
                unknown_staff.add(d.staff)
            if d.role == "teacher" and d.session not in sessions:
                unknown_sessions.add(str(d.session))
        for g in v.groups:
            if g.session not in sessions:
                unknown_sessions.add(g.session)
            unknown_students.update(x for x in g.students if x not in students)
    if unknown_sessions:
        out.append(Problem(option, "the plan names sessions this school does not run",
                           value=" ".join(sorted(unknown_sessions)[:5]),
                           expected=", ".join(sorted(sessions))))
    if unknown_students:
        first = sorted(unknown_students)[0]
        out.append(Problem(option, f"{len(unknown_students)} student(s) of the plan's groups "
                           f"(first {first}) are not in students.csv: keep their rows and set "
                           "status = withdrawn"))
    if unknown_staff:
        first = sorted(unknown_staff)[0]
        out.append(Problem(option, f"{len(unknown_staff)} person(s) on duty in the plan "
                           f"(first {first}) are not in teachers.csv: keep their rows and set "
                           "volunteer = no"))
    return out
