"""Reading a ``plan.json`` (SPEC §8, docs/plan-file.md) back into a ``Plan``; anything else is
bad input (``InputError``, exit 2), named by its JSON path.

Input: a path to ``plan.json`` or to the folder holding it. Output: a ``Plan``. Rules, in
order: the path is a regular file (a FIFO, a device such as ``/dev/zero`` behind a symlink,
or a folder without ``plan.json`` is refused without reading it); at most
``MAX_PLAN_BYTES``, checked before reading and again while reading; UTF-8 JSON (a BOM is
allowed); nested at most ``MAX_DEPTH`` levels, counted on the text before it is decoded (a
file of 100,000 nested arrays never reaches the JSON decoder); ``NaN`` and ``Infinity`` are
not JSON; then ``validate_plan_dict`` (``plan_schema``), the one schema every source of a
plan goes through.
"""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import numpy as np

from afterschool.models.errors import InputError, Problem
from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.scheduler.reading.plan_schema import (MAX_DEPTH, MAX_PLAN_BYTES,
                                                       validate_plan_dict)

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_OTHER = bytes(b for b in range(256) if b not in b"[]{}")
EXPECTED = "a plan.json written by afterschool (docs/plan-file.md)"


def text_depth(raw: bytes, strings: re.Pattern = _STRING) -> int:
    """How deep arrays and objects nest in JSON text (or TOML, with its ``strings``
    pattern), strings skipped; no recursion."""
    brackets = strings.sub(b"", raw).translate(None, _OTHER)
    if not brackets:
        return 0
    steps = np.frombuffer(brackets, dtype=np.uint8)
    change = np.where((steps == ord("[")) | (steps == ord("{")), 1, -1)
    return int(np.cumsum(change).max())


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number in JSON")


def plan_from_json(raw: bytes, where: str) -> Plan:
    """A plan from the bytes of a ``plan.json`` (the rules of the module doc but the file's)."""
    if len(raw) > MAX_PLAN_BYTES:
        raise InputError([Problem(where, f"file too large (more than {MAX_PLAN_BYTES:,} "
                                  "bytes)", expected=EXPECTED)])
    depth = text_depth(raw)
    if depth > MAX_DEPTH:
        raise InputError([Problem(where, f"nested {depth:,} levels deep, at most {MAX_DEPTH}",
                                  expected=EXPECTED)])
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise InputError([Problem(where, f"not JSON: {str(exc)[:200]}",
                                  expected=EXPECTED)]) from None
    problems = validate_plan_dict(data, where)
    if problems:
        raise InputError(problems)
    return Plan.from_dict(data)


def read_capped(path: Path, cap: int, expected: str) -> bytes:
    """The bytes of a regular file of at most ``cap`` bytes; anything else is bad input
    (a folder, a FIFO, a device behind a symlink are refused without being read)."""
    try:
        info = os.stat(path)  # follows a symlink: what it points at must be a file
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem(str(path), "not a regular file (a folder, a device, a "
                                      "pipe or a socket?)", expected=expected)])
        if info.st_size > cap:
            raise InputError([Problem(str(path), f"file too large ({info.st_size:,} bytes; "
                                      f"at most {cap:,})", expected=expected)])
        with open(path, "rb") as fh:
            raw = fh.read(cap + 1)
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot read: {exc.strerror or exc}",
                                  expected=expected)]) from None
    if len(raw) > cap:
        raise InputError([Problem(str(path), f"file too large (more than {cap:,} bytes)",
                                  expected=expected)])
    return raw


def read_plan(plan_file: str | Path) -> Plan:
    """A plan from ``plan.json`` or from the folder that holds it."""
    path = Path(plan_file)
    if path.is_dir():
        path = path / "plan.json"
    return plan_from_json(read_capped(path, MAX_PLAN_BYTES, EXPECTED), str(path))


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
