"""The time a ``plan`` command keeps back from its solve for what it writes after it, so that
the whole command keeps the promise of its ``--time-limit``.

Inputs: the school's size (enrolled sign-ups, staff), what the command writes after the
solve (the term record with ``plan.json`` always; the hand-outs not in ``--skip``), the
command's ``Deadline``. Outputs:

- ``after_solve(inst, skip)``: CPU seconds those writes are estimated to take (per part:
  ``PER_SIGNUP`` x sign-ups + ``PER_STAFF`` x staff + ``FIXED``; how they were measured:
  ``docs/benchmarks.md``);
- ``leaving(deadline, after)``: the deadline the solve runs under. The CPU between the
  backstop (``cpsat.BACKSTOP_FACTOR`` x limit + ``BACKSTOP_PLUS``) and the promise
  (``PROMISE_FACTOR`` x limit + ``PROMISE_PLUS``) is the writes' own; what they need
  beyond it, taken ``UNSURE`` times up, comes off the solve's backstop, and with it off
  the end of the staffing searches (``solve.STAFFING_SHARE``, ``AFTER_STAFFING``). The
  grouping's shares of the limit stay whole (cut, they leave first fit in whole bands),
  and the solve keeps at least ``SOLVE_MIN`` of its backstop. Nothing beyond (a small
  school): the same deadline object, unchanged;
- ``promise(limit)``; ``kept(limit, cpu)``; ``limit_for(cpu, limit, after)``: the smallest
  limit whose promise covers a command that took ``cpu`` seconds at ``limit``, its
  grouping stages growing with the limit and the solve's floor clear of the writes (what
  the summary advises when a school is too large for its limit).

Rules: the time promise (CPU <= 1.5 x limit + 2 s, from the command's start to its last
file), on the estimate; the plan itself always comes (a squeezed solve still ends with
its grouping and at least the greedy staffing).
"""
from __future__ import annotations

import math

from afterschool.scheduler.planning.cpsat import BACKSTOP_FACTOR, BACKSTOP_PLUS, Deadline

PROMISE_FACTOR, PROMISE_PLUS = 1.5, 2.0  # CPU <= 1.5 x limit + 2 s, the whole command
# CPU seconds per enrolled sign-up, per staff member and once, for each write after the
# solve (a 2-core machine kept busy by other jobs: load 3-4)
PER_SIGNUP = {"record": 1.0e-4, "workbook": 1.75e-4, "notice": 1.35e-4, "report": 3.3e-5}
PER_STAFF = {"rosters": 1.6e-3, "charts": 3.2e-3}
FIXED = {"record": 0.1, "workbook": 0.05, "notice": 0.05, "rosters": 0.05, "report": 0.02,
         "charts": 0.35}
HANDOUTS = ("workbook", "notice", "rosters", "report", "charts")
# the share of its backstop a solve always keeps, however much the writes need: past the
# grouping's and balancing's shares (0.5 and 0.75 of the limit on a large school) and a
# little staffing; less cut the 12,000-pupil school's grouping to first fit (smallest
# group 7 of 44) where the promise could not be kept in any case
SOLVE_MIN = 0.6
# what the writes need beyond the margin is taken this much up: from run to run on the
# loaded machine they took 20 % more or less (the 10x bundled school: 6.0-8.0 s)
UNSURE = 1.25


def promise(limit: float) -> float:
    """The CPU seconds a ``--time-limit`` promises for the whole command."""
    return PROMISE_FACTOR * limit + PROMISE_PLUS


def kept(limit: float, cpu: float) -> bool:
    return cpu <= promise(limit) + 1e-9


def limit_for(cpu: float, limit: float | None = None, after: float = 0.0) -> int:
    """The smallest whole ``--time-limit`` whose promise covers a command that took ``cpu``
    CPU seconds at ``limit``: what it wrote and its solve's fixed parts stay as they were,
    while its anytime grouping stages take their shares of the larger limit too
    (``grows`` a limit second: the share of a large school's grouping, balancing and
    lifting, ``solve.BALANCE_SHARE_LARGE + LIFT_MIN``), and at least the limit whose
    backstop holds ``after`` (the writes' estimate) with ``SOLVE_MIN`` of it to spare,
    where the solve's floor no longer runs into the writes' time. Without ``limit``: the
    promise covering ``cpu`` alone."""
    if limit is None:
        return max(1, math.ceil((cpu - PROMISE_PLUS) / PROMISE_FACTOR - 1e-9))
    from afterschool.scheduler.planning.solve import BALANCE_SHARE_LARGE, LIFT_MIN
    grows = BALANCE_SHARE_LARGE + LIFT_MIN
    need = (cpu - grows * limit - PROMISE_PLUS) / (PROMISE_FACTOR - grows)
    margin = PROMISE_PLUS - BACKSTOP_PLUS  # the writes' own, at every limit
    backstop = max(0.0, after - margin) * UNSURE / (1 - SOLVE_MIN)
    floor = (backstop - BACKSTOP_PLUS) / BACKSTOP_FACTOR
    return max(1, math.ceil(need - 1e-9), math.ceil(floor - 1e-9), limit_for(cpu))


def signups(inst) -> int:
    """Enrolled pupils' sign-ups (noon and afternoon counted apart): the estimates' size
    (the planner's own count also drops a sign-up with no session for the grade)."""
    return sum(bool(st.noon) + bool(st.afternoon) for st in inst.enrolled)


def after_solve(inst, skip: set[str] | frozenset[str] = frozenset(),
                record: bool = True) -> float:
    """Estimated CPU seconds of what ``plan`` writes after the solve: the record and
    ``plan.json`` (``record``), and each hand-out not in ``skip`` (``"all"``: none)."""
    n, staff = signups(inst), len(inst.teachers)
    parts = ([] if not record else ["record"]) + [
        h for h in HANDOUTS if "all" not in skip and h not in skip]
    return sum(PER_SIGNUP.get(p, 0.0) * n + PER_STAFF.get(p, 0.0) * staff + FIXED[p]
               for p in parts)


def leaving(deadline: Deadline, after: float) -> Deadline:
    """The deadline a solve runs under when ``after`` CPU seconds must follow it (see the
    module docstring): ``deadline`` itself when the margin above the backstop holds them."""
    margin = promise(deadline.limit) - (BACKSTOP_FACTOR * deadline.limit + BACKSTOP_PLUS)
    beyond = (after - margin) * UNSURE
    if beyond <= 0 or deadline.seconds <= 0:
        return deadline
    seconds = max(deadline.seconds - beyond, SOLVE_MIN * deadline.seconds)
    # cuts and Ctrl-C are the command's; the grouping's shares of the limit stay whole
    return deadline.child(seconds, deadline.limit)


# --- the term commands (replan, substitute, clubs): the same promise, from the command's
# first line. What each does after its search: the record's new entry (the whole plan again)
# and the folder written again from the record (``after_solve``'s parts, matplotlib's import
# when charts are drawn: these commands start their deadline before it), and its own
# tables. CPU seconds per sign-up, per staff member and once, measured on the bundled school
# (1,020 sign-ups, 45 staff) and the 10x one (10,265, 400) on a 2-core machine at load 4
TERM_TABLES = {"replan": (2.5e-4, 0.0, 0.1),  # changes.csv/.xlsx, changes-teachers.csv
               "substitute": (3e-4, 0.0, 0.0),  # cover.csv/.xlsx
               "clubs": (3e-4, 0.0, 0.3)}  # the club notices and lists; the section again
CHARTS_IMPORT = 0.8  # matplotlib and the chart module, imported when charts are drawn
# CPU seconds a term command's searches take per second of their budgets' limit (the
# bundled school: a re-plan after one teacher stops, 2.8 s at a limit of 3.7; the clubs'
# re-plan from the draw's start, members leaving their groups, 5.5 s at 3)
SEARCH_RATE = {"replan": 1.0, "substitute": 1.0, "clubs": 2.0}
# CPU seconds before the search, estimated (not read off the clock: the budgets, and so the
# plan, must not depend on how long reading took on this run): the command's imports
# (OR-Tools, SQLAlchemy, openpyxl, pypinyin: about 2 s), reading the sheets and the record's
# plan, per sign-up
BEFORE_FIXED, BEFORE_PER_SIGNUP = 2.0, 2.3e-4
# The searches' budgets never shrink below those of this limit (the term commands' default
# before issue 23), or the limit itself if smaller: a school too large for the promise
# re-plans no worse than before, and the summary says which --time-limit keeps the promise
TERM_FLOOR = 2.0
# The whole command, on the estimates, fits the promise on a machine this much slower or
# busier than the one they were measured on (a CI machine; the term commands measured at
# load 4 on 2 cores took 1.4-1.5x the CPU of a quieter run), so that the budgets, not the
# clock, end the searches there too
TERM_SLOWER = 2.0


# The process's CPU outside a command's deadline: the interpreter's start and the package's
# import before the command's first line, and freeing the school's objects at exit (1.2 s
# on the 10x school: /usr/bin/time against the deadline's own count)
START_UP, EXIT_PER_SIGNUP = 0.4, 1.2e-4


def outside(inst) -> float:
    """Estimated CPU seconds of the process outside the command's deadline (``START_UP`` and
    the exit), added to what the deadline counted when the summary judges the promise."""
    return START_UP + EXIT_PER_SIGNUP * signups(inst)


def after_term(inst, command: str, skip: set[str] | frozenset[str] = frozenset()) -> float:
    """Estimated CPU seconds of what ``command`` (replan, substitute, clubs) does after its
    search: the record's entry and the folder written again, its own tables and the exit."""
    per_signup, per_staff, fixed = TERM_TABLES[command]
    charts = "all" not in skip and "charts" not in skip
    return (after_solve(inst, skip) + (per_signup + EXIT_PER_SIGNUP) * signups(inst)
            + per_staff * len(inst.teachers) + fixed + (CHARTS_IMPORT if charts else 0.0))


def before_term(inst) -> float:
    """Estimated CPU seconds a term command spends before its search (imports, reading)."""
    return BEFORE_FIXED + BEFORE_PER_SIGNUP * signups(inst)


def searching(deadline: Deadline, after: float, rate: float = 1.0,
              before: float = 0.0) -> Deadline:
    """The deadline of a term command's search: ``leaving(deadline, after)`` (the clock's
    backstop), whose ``limit`` (the searches' deterministic budgets come from it) is what
    the promise over ``TERM_SLOWER`` leaves after the ``before`` CPU seconds estimated for
    start-up and reading (``before_term``) and the ``after`` ones for the writes
    (``after_term``), over ``rate`` (``SEARCH_RATE``: the search's CPU seconds a second of
    its limit), at most the limit itself. From estimates only, so the same input and limit
    give the same budgets on every run, and the budgets, not the clock, end the searches on
    a machine up to ``TERM_SLOWER`` x slower. Never below ``TERM_FLOOR`` seconds (or the
    limit, if smaller): a school too large for it still gets its plan, and the summary says
    which limit would keep the promise (``limit_for``)."""
    child = leaving(deadline, after)
    if child is deadline:  # a deadline of its own: its limit shrinks, not the caller's
        child = deadline.child(deadline.seconds, deadline.limit)
    room = promise(deadline.limit) / TERM_SLOWER - before - after
    child.limit = max(min(child.limit, room / rate), min(TERM_FLOOR, deadline.limit))
    return child


def term_search(deadline: Deadline, inst, command: str,
                skip: set[str] | frozenset[str] = frozenset()) -> Deadline:
    """``searching`` for ``command`` (replan, substitute, clubs) on ``inst``: what it
    writes after its search (``after_term``), what it spent before (``before_term``), at
    its ``SEARCH_RATE``."""
    return searching(deadline, after_term(inst, command, skip), SEARCH_RATE[command],
                     before_term(inst))
