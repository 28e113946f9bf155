"""``afterschool clubs``: the lottery drawn and the care plan made again around it (SPEC §12).

Input: the instance (with ``clubs.csv`` and ``club_choices.csv``), the term's current plan,
the seed, the first date clubs meet (``--from``; default ``[clubs] start``), the time
limit and its ``Deadline`` (started by the command before it read anything; default: now).
The time limit is a promise about the whole command, as for ``plan``: reading, the lottery,
the model, the searches, decoding, money, the section and the files written (``after``: their
estimated CPU seconds, ``reserve.after_term``; ``before``: those of start-up and reading,
``reserve.before_term``) within 1.5 x limit + 2 s CPU. The re-plan's searches run under
``reserve.searching`` (what reading leaves, less what the writes need beyond the promise's
margin, both estimated; their budgets from the limit that leaves), ``SEARCHES`` of it.
Output: ``with_clubs`` -> (the new plan, the ``Lottery``, the ``Replan`` or None). The new
plan is a new version from the start date (``planning.replan`` on
``presence.care_instance``: members away from their care group on their club days, staff
instructors busy with their club), keeping pupils in their groups as far as the rules
allow, with ``extra["clubs"]`` from ``section.club_section`` (and ``withdrawn``: the series an
earlier draw's staff instructors lose, ``meetings.withdrawn``). With ``replan=False`` (or a
start on the current version's own start) the plan's versions are kept as they are and only
the section is added: clubs then meet beside an unchanged care plan (the section's
``conflicts`` and ``managers`` say what that costs).
Refused (exit 2): no clubs or no choices in the instance; a start outside the term or not a
service date after the current version's start (with the re-plan).
"""
from __future__ import annotations

import copy
from datetime import date

from afterschool.models.errors import InputError, Problem
from afterschool.scheduler.clubs.lottery import run_lottery
from afterschool.scheduler.clubs.meetings import withdrawn
from afterschool.scheduler.clubs.presence import care_instance, reservations
from afterschool.scheduler.clubs.section import club_section


# the re-plan's searches end by this share of the backstop (as plan's staffing does); what
# follows them (decoding, the money of both versions, the section counted again on the
# new groups) fits in the promise's margin (docs/benchmarks.md, "Clubs")
SEARCHES = 0.95


def with_clubs(inst, plan, seed: int, start: date | None = None, *, replan: bool = True,
               time_limit: float = 2.0, log=None, deadline=None, after: float = 0.0,
               before: float = 0.0):
    if not inst.clubs:
        raise InputError([Problem("clubs.csv", "the instance has no clubs",
                                  expected="clubs.csv beside students.csv")])
    if not inst.club_choices:
        raise InputError([Problem("club_choices.csv", "nobody chose a club",
                                  expected="club_choices.csv: student, choice1, choice2, "
                                  "choice3")])
    from afterschool.scheduler.planning.cpsat import Deadline
    from afterschool.scheduler.planning.reserve import SEARCH_RATE, searching
    # the promise covers the whole command: the CLI starts it before reading anything
    own = deadline is None
    deadline = deadline or Deadline.for_limit(time_limit)
    term = inst.school.term
    given = start or inst.school.clubs.start
    start = given or term.start
    if replan and given is None and plan.valid_from in (None, term.start.isoformat()):
        raise InputError([Problem("--from", "the first date clubs meet is not given",
                                  expected=f"--from DATE, a service date after {term.start} "
                                  "(or start = DATE in [clubs] of school.toml)")])
    if not term.start <= start <= term.end:
        raise InputError([Problem("--from", "not a date of the term", value=start.isoformat(),
                                  expected=f"{term.start} .. {term.end}")])
    lottery = run_lottery(list(inst.clubs), list(inst.club_choices), inst.students, seed,
                          inst.school.clubs.per_pupil)
    result = None
    if replan:
        from afterschool.scheduler.planning.replan import replan as re_plan
        previous = _before_clubs(plan, start)
        draft = club_section(inst, plan, lottery, start)
        deadline.stage = "re-plan"  # a search skipped before it named itself says so
        if own:  # a caller of its own: the budgets from time_limit, as always
            searches, budgets = deadline.part(SEARCHES), time_limit
        else:  # the command's: its budgets from what reading and the writes leave
            search = searching(deadline, after, SEARCH_RATE["clubs"], before)
            searches, budgets = search.part(SEARCHES), search.limit
        result = re_plan(care_instance(inst, draft), previous, start, time_limit=budgets,
                         seed=0, log=log, deadline=searches,
                         reserved=reservations(draft))
        out = result.plan
    else:
        out = copy.deepcopy(plan)
    section = club_section(inst, out, lottery, start) | {"replanned": replan}
    gone = withdrawn(plan.extra.get("clubs"), section)  # their calendars cancel them
    out.extra["clubs"] = section | ({"withdrawn": gone} if gone else {})
    return out, lottery, result


def _before_clubs(plan, start: date):
    """The plan a draw re-plans from: a copy without its clubs; when the current version is
    an earlier draw's from the same date, the version before it (a new draw replaces it
    from that date; the record keeps both)."""
    from afterschool.models.plan import Plan
    previous = copy.deepcopy(plan)
    sec = previous.extra.pop("clubs", None)
    if sec and previous.history and previous.valid_from == start.isoformat() and \
            sec.get("start") == start.isoformat():
        last = previous.history.pop()
        data = previous.to_dict()
        data.update(groups=last["groups"], duties=last["duties"],
                    shortages=last.get("shortages", []), valid_from=last["valid_from"])
        if not previous.history:
            data.pop("history", None)
        data["exceptions"] = [x for x in previous.exceptions if x["date"] < start.isoformat()]
        if not data["exceptions"]:
            data.pop("exceptions")
        previous = Plan.from_dict(data)
        if previous.valid_from == plan.extra.get("term", {}).get("start"):
            previous.valid_from = None if not previous.history else previous.valid_from
    return previous


def replan_instance(inst, previous):
    """The sheets a later re-plan of a plan with clubs plans from (``presence``)."""
    return care_instance(inst, previous.extra.get("clubs"))


def carry_clubs(inst, previous, plan) -> None:
    """A later re-plan keeps the term's draw: ``plan`` gets ``previous``'s clubs section,
    its staffing and conflicts counted again on the new groups and duties."""
    from afterschool.models.clubs import Lottery
    from afterschool.scheduler.clubs.section import club_staffing
    sec = previous.extra.get("clubs")
    if not sec or not inst.clubs:
        return
    lot = Lottery(sec["seed"], tuple((a["student"], a["club"]) for a in sec["assigned"]),
                  (), tuple(sec["cancelled"]))
    staffing, managers, conflicts = club_staffing(inst, plan, lot)
    plan.extra["clubs"] = dict(sec, staffing=staffing, managers=managers, conflicts=conflicts)
