"""Who may be put where: declared availability read through sessions and duty windows.

A row may name a session or a duty window (SPEC §8). For teaching a session, the session's
own row wins, else the row of the window holding it. For managing a window, the window's row
wins, else the person must have declared every session of that window (preferred only when
all are preferred). Only volunteers are ever available (SPEC §3).
"""
from __future__ import annotations

from afterschool.models.instance import Instance
from afterschool.models.school import DutyWindow
from afterschool.scheduler.rules.staffing import duty_windows

_RANK = {"unavailable": 0, "available": 1, "preferred": 2}


def session_status(inst: Instance, teacher: str, day: str, session: str) -> str:
    if not inst.teacher(teacher).volunteer or day not in inst.school.session(session).days:
        return "unavailable"
    own = inst.availability_of(teacher, day, session)
    if own != "unavailable" or _has_row(inst, teacher, day, session):
        return own
    for w in duty_windows(inst.school.sessions, day):
        if session in w.sessions:
            return inst.availability_of(teacher, day, w.id)
    return "unavailable"


def window_status(inst: Instance, teacher: str, day: str, window: DutyWindow) -> str:
    t = inst.teacher(teacher)
    if not (t.volunteer and t.can_manage):
        return "unavailable"
    if _has_row(inst, teacher, day, window.id):
        return inst.availability_of(teacher, day, window.id)
    states = [inst.availability_of(teacher, day, s) for s in window.sessions]
    return min(states, key=_RANK.__getitem__)


def _has_row(inst: Instance, teacher: str, day: str, session: str) -> bool:
    return (teacher, day, session) in inst._avail
