"""The school's staffing rules as plain functions (SPEC §4).

- ``standard_teachers(n)``  T(n): 45 students per teacher, a remainder over 30 gets one more,
  and 1..30 students get one.
- ``managers_needed(c)``    M(c): one manager or tutor (管理或辅导人员) per 5 groups, a remainder
  over 3 gets one more.
- ``duty_windows(sessions, day)`` merges the sessions running on a day that overlap in time into
  windows (default: noon 11:20–13:30, afternoon 15:35–17:20).
- ``peak_concurrency(window, groups)`` is the most groups on duty at one moment in a window.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from afterschool.models.school import DutyWindow, Rules, Session

_DEFAULT = Rules()


def standard_teachers(n: int, per: int = _DEFAULT.students_per_teacher,
                      threshold: int = _DEFAULT.remainder_threshold) -> int:
    """T(n) = floor(n/per) + (1 if n mod per > threshold), and 1 for 1 <= n <= threshold."""
    if n < 0:
        raise ValueError("student count must not be negative")
    if n == 0:
        return 0
    t = n // per + (1 if n % per > threshold else 0)
    return max(t, 1)


def managers_needed(c: int, per: int = _DEFAULT.groups_per_manager,
                    threshold: int = _DEFAULT.manager_remainder_threshold) -> int:
    """M(c) = floor(c/per) + (1 if c mod per > threshold)."""
    if c < 0:
        raise ValueError("group count must not be negative")
    return c // per + (1 if c % per > threshold else 0)


def window_id(sessions: Iterable[Session]) -> str:
    """A window is named after its sessions' sign-up column when they share one."""
    sessions = list(sessions)
    kinds = {s.signup for s in sessions}
    return kinds.pop() if len(kinds) == 1 else "+".join(s.id for s in sessions)


def duty_windows(sessions: Iterable[Session], day: str | None = None) -> list[DutyWindow]:
    """Merge sessions (running on ``day`` if given) that overlap in time into duty windows."""
    todo = sorted((s for s in sessions if day is None or day in s.days),
                  key=lambda s: (s.start, s.end, s.id))
    merged: list[list[Session]] = []
    end = -1
    for s in todo:
        if merged and s.start < end:
            merged[-1].append(s)
            end = max(end, s.end)
        else:
            merged.append([s])
            end = s.end
    return [DutyWindow(window_id(part), min(s.start for s in part), max(s.end for s in part),
                       tuple(s.id for s in part)) for part in merged]


def peak_concurrency(window: DutyWindow, sessions: Mapping[str, Session],
                     groups: Mapping[str, int]) -> int:
    """Most groups on duty at one moment: ``groups`` maps session id -> groups present."""
    points = {sessions[sid].start for sid in window.sessions}
    return max((sum(groups.get(sid, 0) for sid in window.sessions
                    if sessions[sid].start <= t < sessions[sid].end) for t in points), default=0)


def managers_for_window(window: DutyWindow, sessions: Mapping[str, Session],
                        groups: Mapping[str, int], rules: Rules = _DEFAULT) -> int:
    """M(peak concurrent groups) for one window on one day."""
    return managers_needed(peak_concurrency(window, sessions, groups), rules.groups_per_manager,
                           rules.manager_remainder_threshold)
