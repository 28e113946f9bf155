"""Typed plan output: the blocks ``plan``, ``replan`` and ``substitute`` write into
``plan.json``, each built once here and written by ``as_dict`` (keys and their order as
``docs/plan-file.md`` gives them).

Input: the figures a solve, a staffing search, a re-plan or a substitution measured.
Output, one dataclass per block:
- ``SolveStats``: ``solve_stats`` (plan and replan): seconds, cpu_seconds where measured,
  workers, time_limit, cut_by_time_limit;
- ``StaffBound``: the staffing search's lower bounds on unfilled posts and minutes and what
  proved them (``assign.unfilled_bound`` builds it, the searches raise it);
- ``Unfilled``: ``unfilled`` (posts and manager posts against their bounds, minutes);
- ``PaidMinutes``: ``paid_minutes`` (group and manager minutes a week against their bounds);
- ``SmallestGroup``: ``smallest_group`` (the fewest pupils present against the bounds);
- ``ReplanStats`` and ``PinCost``: ``replan`` (what a re-plan kept, changed and moved);
- ``SubstituteStats``: what ``substitute`` spent (its ``--json`` output's statistics).
Rules: none; one shape per block for every writer.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class SolveStats:
    seconds: float  # wall seconds (replan: CPU seconds, as it always wrote)
    workers: int
    time_limit: float
    cut_by_time_limit: list[str] = field(default_factory=list)  # stages the clock decided
    cpu_seconds: float | None = None  # CPU seconds of the whole solve (plan)

    @classmethod
    def of(cls, seconds: float, workers: int, time_limit: float, deadline=None,
           cpu_seconds: float | None = None) -> SolveStats:
        """The statistics of a solve under ``deadline`` (its root's cuts; none without)."""
        cuts = list(deadline.root().cuts) if deadline is not None else []
        return cls(round(seconds, 3), workers, time_limit, cuts,
                   None if cpu_seconds is None else round(cpu_seconds, 3))

    def as_dict(self) -> dict:
        out: dict = {"seconds": self.seconds}
        if self.cpu_seconds is not None:
            out["cpu_seconds"] = self.cpu_seconds
        out.update(workers=self.workers, time_limit=self.time_limit,
                   cut_by_time_limit=list(self.cut_by_time_limit))
        return out


@dataclass
class StaffBound:
    """Lower bounds on the staffing's unfilled posts (all, and managers) and minutes, and
    what proved them, in the order found. ``minutes_if_posts_at_bound``: the count's and the
    flow's bound on the minutes, valid once the posts reach ``posts``; ``minutes``: the bound
    the searches reached (0 until the minutes are searched)."""
    posts: int
    managers: int
    minutes_if_posts_at_bound: int
    by: list[str] = field(default_factory=list)
    minutes: int = 0

    def proved(self, posts: int, by: str) -> None:
        """``by`` proved at least ``posts`` unfilled: the bound rises if that is more."""
        if posts > self.posts:
            self.posts = posts
            self.credit(by)

    def credit(self, by: str) -> None:
        """``by`` proved a bound (named once, in the order found)."""
        if by not in self.by:
            self.by.append(by)


@dataclass(frozen=True)
class Unfilled:
    """``unfilled``: the plan's unfilled posts, manager posts and minutes a week, each with
    the staffing's lower bound, and what proved the bounds."""
    posts: int
    posts_bound: int
    manager_posts: int
    manager_posts_bound: int
    minutes: int
    minutes_bound: int
    proved_by: list[str]

    @classmethod
    def of(cls, staff) -> Unfilled:
        """From an ``assign.Assignment`` (its shortages, minutes and ``StaffBound``)."""
        bound = staff.unfilled_bound
        return cls(staff.unfilled_posts, bound.posts,
                   sum(x.count for x in staff.shortages if x.role == "manager"),
                   bound.managers, staff.shortage_minutes, bound.minutes, bound.by)

    def as_dict(self) -> dict:
        return asdict(self)  # the fields, in order


@dataclass(frozen=True)
class PaidMinutes:
    """``paid_minutes``: paid staff minutes a week (group-days x session minutes, manager
    posts x window minutes) against their lower bounds; ``gap`` relative (``cpsat.
    relative_gap``)."""
    total: int
    bound: int
    gap: float
    group_minutes: int
    group_minutes_bound: int
    manager_minutes: int
    manager_minutes_bound: int

    def as_dict(self) -> dict:
        return asdict(self)  # the fields, in order


@dataclass(frozen=True)
class SmallestGroup:
    """``smallest_group``: the fewest pupils present in a group on a day it meets (and
    where), the bound no grouping beats (and from which session-day), and the grouping's
    own bound at its group-days (None where no band reported one)."""
    students: int | None
    where: str | None
    bound: int | None
    bound_from: str | None
    bound_at_group_days: int | None

    def as_dict(self) -> dict:
        return asdict(self)  # the fields, in order


@dataclass(frozen=True)
class PinCost:
    """What a pin costs against the unpinned re-plan (pinned minus unpinned), and the
    unpinned re-plan's own figures."""
    shortage_minutes: int
    group_days: int
    unpinned_moves: int
    unpinned_shortage_minutes: int
    unpinned_group_days: int

    def as_dict(self) -> dict:
        return asdict(self)  # the fields, in order


@dataclass
class ReplanStats:
    """``replan``: the date and the previous version's, the pin, pupils moved, added and
    left, duties kept and changed, covers kept, dropped and found again (with every dropped
    cover of any re-plan), the solver's phase, small group-days the re-plan created,
    the pin's cost and rooms moved where they apply. ``duties_changed`` is removed + added."""
    start: str  # "from"
    previous_from: str
    pin: str
    students_moved: int
    students_named_moved: int
    students_added: int
    students_left: int
    enrolled: int
    duties_before: int
    duties_removed: int
    duties_added: int
    available_duties_before: int
    available_duties_kept: int
    shortage_minutes_per_week: int
    group_days: int
    exceptions_dropped: int
    exceptions_kept: int
    exceptions_found_again: int
    dropped_exceptions: list[dict]  # oldest first, each with dropped_from, dropped_by_version
    solver: dict  # the phase the answer came from (``PhaseResult.as_dict``)
    cpu_seconds: float
    small_groups: list[dict] = field(default_factory=list)
    pin_cost: PinCost | None = None
    rooms_moved: int | None = None  # with venues: (group, day)s whose room changed

    @property
    def duties_changed(self) -> int:
        return self.duties_removed + self.duties_added

    def as_dict(self) -> dict:
        out = {
            "from": self.start, "previous_from": self.previous_from, "pin": self.pin,
            "students_moved": self.students_moved,
            "students_named_moved": self.students_named_moved,
            "students_added": self.students_added, "students_left": self.students_left,
            "enrolled": self.enrolled, "duties_before": self.duties_before,
            "duties_removed": self.duties_removed, "duties_added": self.duties_added,
            "duties_changed": self.duties_changed,
            "available_duties_before": self.available_duties_before,
            "available_duties_kept": self.available_duties_kept,
            "shortage_minutes_per_week": self.shortage_minutes_per_week,
            "group_days": self.group_days, "exceptions_dropped": self.exceptions_dropped,
            "exceptions_kept": self.exceptions_kept,
            "exceptions_found_again": self.exceptions_found_again,
            "dropped_exceptions": list(self.dropped_exceptions), "solver": self.solver,
            "cpu_seconds": self.cpu_seconds, "small_groups": self.small_groups}
        if self.pin_cost is not None:
            out["pin_cost"] = self.pin_cost.as_dict()
        if self.rooms_moved is not None:
            out["rooms_moved"] = self.rooms_moved
        return out


@dataclass(frozen=True)
class SubstituteStats:
    """What ``substitute`` spent: CPU seconds in all, choosing and recomputing money, its
    search phases, the duties it covered or left, and where the clock decided."""
    cpu_seconds: float
    choice_cpu_seconds: float
    money_cpu_seconds: float
    phases: list[dict]
    duties: int
    cut_by_time_limit: list[str]

    def as_dict(self) -> dict:
        return asdict(self)  # the fields, in order
