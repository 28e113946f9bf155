"""The time limit of ``plan`` shared out: one ``Budget`` naming every fraction.

Input: the time limit (CPU seconds), the number of sign-ups, and the fractions
``solve.py`` declares at its top (``GROUPING_SHARE`` …; ``solve.plan_budget`` fills a
``Budget`` from them). Output: per stage, the part of the whole ``cpsat.Deadline`` it must
end by (``grouping``, ``balancing``, ``lifting``, ``staffing``) and the deterministic
seconds of its searches (``probe``, ``band``, ``balance``, ``venues``, ``staff``).
Rules: the stages run in order under one deadline; every fraction is a field here, none
is written inline in a stage.

Two kinds of fraction: *shares* of the time limit (or of the backstop: ``staffing_share``)
that the CPU clock enforces, and *det* fractions of ``det``, the deterministic seconds the
limit stands for (``time_limit x det_per_second``), which decide on any machine as fast as
the reference or up to twice as slow.
"""
from __future__ import annotations

from dataclasses import dataclass

from afterschool.scheduler.planning.cpsat import Deadline


@dataclass(frozen=True)
class Budget:
    students: int  # sign-ups over every session (at least 1)
    large: bool  # above ``ANYTIME`` sign-ups: the grouping stages are anytime
    det: float  # deterministic seconds the whole limit stands for
    grouping_share: float  # of the limit: constructive starts and grouping searches
    balance_share: float  # of the limit: grouping, then balancing the groups' sizes
    balance_min: float  # of the limit: balancing's own time however late it starts
    lift_min: float  # of the limit: lifting's own time however late (not on a large school)
    staffing_share: float  # of the backstop: grouping and staffing together
    after_staffing: float  # CPU seconds a sign-up kept after staffing (fees, pay, checks)
    probe_det: float  # of ``det``: the coverage probe before spending the tolerance
    grouping_det: float  # of ``det``: the grouping searches, shared by bands by sign-ups
    band_det_min: float  # deterministic seconds a band's grouping searches have at least
    balance_det_min: float  # deterministic seconds a band's balancing has at least
    balance_det: float  # of ``det``: balancing, shared by bands by sign-ups
    venue_det: float  # of ``det``: venues (capped by what the deadline leaves)
    staff_det: float  # of ``det``: the staffing search (capped by what the deadline leaves)
    staff_det_min: float  # deterministic seconds the staffing search has at least
    bound_det: float  # deterministic seconds of each session's group-days bound (tiny model)

    # ---- the CPU clock's parts of the whole deadline, stage by stage

    def grouping(self, whole: Deadline) -> Deadline:
        """Constructive starts and grouping searches: ``grouping_share`` of the limit."""
        return whole.part_of_limit(self.grouping_share)

    def balancing(self, whole: Deadline) -> Deadline:
        """Balancing: up to ``balance_share`` of the limit, and ``balance_min`` of it from
        now at least (on the largest schools the starts end late)."""
        return whole.part_of_limit(max(self.balance_share, _used(whole) + self.balance_min))

    def lifting(self, whole: Deadline) -> Deadline:
        """Lifting the smallest groups: up to ``balance_share`` of the limit and at least
        ``lift_min`` of it from now, a large school's too (balancing may leave nothing)."""
        return whole.part_of_limit(max(self.balance_share, _used(whole) + self.lift_min))

    def staffing(self, whole: Deadline) -> Deadline:
        """Venues and staffing: ``staffing_share`` of the backstop, less ``after_staffing``
        CPU seconds a sign-up kept for fees, pay and checks."""
        return whole.part(min(self.staffing_share, 1 - self.after_staffing * self.students
                              / max(whole.seconds, 1e-9)))

    # ---- deterministic seconds of the searches

    def probe(self) -> float:
        """The coverage probe of the group-days tolerance (``assign_staff`` coverage only)."""
        return self.det * self.probe_det

    def band(self, signups: int) -> float:
        """One band's grouping searches: its sign-ups' share of ``grouping_det``."""
        return max(self.det * self.grouping_det * signups / self.students, self.band_det_min)

    def balance(self, signups: int) -> float:
        """One band's balancing: its sign-ups' share of ``balance_det``."""
        return max(self.balance_det * self.det * signups / self.students,
                   self.balance_det_min)

    def venues(self) -> float:
        return self.det * self.venue_det

    def staff(self) -> float:
        return self.det * self.staff_det


def _used(whole: Deadline) -> float:
    """The share of the time limit already spent."""
    return whole.elapsed() / max(whole.limit, 1e-9)


@dataclass(frozen=True)
class ReplanBudget:
    """``replan``'s time limit shared out (``replan.BUDGET``). ``det`` below is the limit's
    deterministic seconds, ``time_limit x TERM_DET_PER_SECOND``; *left* fractions are of the
    CPU time the deadline leaves when the stage starts (``replan._stage``)."""
    pinned_run: float = 0.5  # left: the pinned run of --pin duties (its unpinned price: the rest)
    covering: float = 0.55  # left: the coverage searches end by it
    walking: float = 0.8  # left: the walk-back ends by it
    cover_tree: float = 0.1  # of det: the coverage's tree search
    cover_local: float = 0.25  # of det, in tree-search seconds: the coverage's local search
    minutes_local: float = 0.1  # of det, in tree-search seconds: the unfilled minutes
    walk_back: float = 0.2  # of det, in tree-search seconds: the walk-back's local searches
    pinned_tree: float = 0.05  # of det: the pinned coverage's tree search
    pinned_local: float = 0.05  # of det, in tree-search seconds: its local search
    from_pinned: float = 0.05  # deterministic seconds: coverage from the pinned answer
    weighted: float = 0.08  # of det: each of the two searches of the whole objective
    rooms: float = 0.2  # of det: venues, the previous rooms kept where the rules allow
    covers_parts: float = 10  # the covers found again: the time limit over this, CPU s,
    covers_max: float = 0.5  # but at most this
