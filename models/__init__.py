"""Plain domain data for the after-school scheduler (课后延时服务).

No solver import lives here. Objects are frozen dataclasses built by the readers in
``scheduler.reading.reader`` (which validate the raw files and name file, row and column of every
problem) or by the planner (``Plan`` and its parts).

- ``school``: School, Term, Rules, Session, Slot, DutyWindow, weekday and clock helpers.
- ``people``: Student, Teacher, Availability, Reduction.
- ``instance``: Instance, the whole input of one school and term.
- ``plan``: Plan, Group, Duty, Shortage and the JSON form ``afterschool-plan/1``.
- ``clubs``: Club, ClubChoice, ClubRules, Lottery (SPEC §12).
- ``venues``: Venue, Activity, Reserved (SPEC §12: rooms, the playground, activities).
- ``errors``: Problem and InputError, the only error type the readers raise.
"""
from afterschool.models.errors import InputError, Problem
from afterschool.models.instance import Instance
from afterschool.models.people import Availability, Reduction, Student, Teacher
from afterschool.models.plan import Duty, Group, Plan, Shortage
from afterschool.models.school import (
    WEEKDAYS,
    DutyWindow,
    Rules,
    School,
    Session,
    Slot,
    Term,
    fmt_time,
    parse_time,
)
from afterschool.models.venues import Activity, Reserved, Venue

__all__ = [
    "WEEKDAYS", "Availability", "Duty", "DutyWindow", "Group", "InputError", "Instance", "Plan",
    "Problem", "Reduction", "Rules", "School", "Session", "Shortage", "Slot", "Student",
    "Teacher", "Term", "Venue", "Activity", "Reserved", "fmt_time", "parse_time",
]
