"""``afterschool clubs``: the lottery drawn and written into the term's plan (SPEC §12).

Input: the instance (with ``clubs.csv`` and ``club_choices.csv``), the term's current plan,
the seed, and the first date clubs meet (``--from``; default ``[clubs] start``, else the
term start).
Output: ``with_clubs`` -> (a copy of the plan whose ``extra["clubs"]`` is
``section.club_section``, the ``Lottery``). The groups, duties and versions are unchanged;
the term's record keeps the plan as a new entry (``record.term.record_clubs``), so an
earlier draw stays in the record.
Refused (exit 2): no clubs or no choices in the instance; a start outside the term; a plan
of another school (the caller's ``open_term``).
"""
from __future__ import annotations

import copy
from datetime import date

from afterschool.models.errors import InputError, Problem
from afterschool.scheduler.clubs.lottery import run_lottery
from afterschool.scheduler.clubs.section import club_section


def with_clubs(inst, plan, seed: int, start: date | None = None):
    if not inst.clubs:
        raise InputError([Problem("clubs.csv", "the instance has no clubs",
                                  expected="clubs.csv beside students.csv")])
    if not inst.club_choices:
        raise InputError([Problem("club_choices.csv", "nobody chose a club",
                                  expected="club_choices.csv: student, choice1, choice2, "
                                  "choice3")])
    term = inst.school.term
    start = start or inst.school.clubs.start or term.start
    if not term.start <= start <= term.end:
        raise InputError([Problem("--from", "not a date of the term", value=start.isoformat(),
                                  expected=f"{term.start} .. {term.end}")])
    lottery = run_lottery(list(inst.clubs), list(inst.club_choices), inst.students, seed,
                          inst.school.clubs.per_pupil)
    out = copy.deepcopy(plan)
    out.extra["clubs"] = club_section(inst, plan, lottery, start)
    return out, lottery
