"""Small shared CP-SAT plumbing: deterministic parameters, lexicographic phases, progress,
Ctrl-C, and statuses kept distinct.

``solve_phase(model, objective, ...)`` minimises one objective with one worker (or CP-SAT's
deterministic interleaved search) and a *deterministic* time limit, so the same input and seed
give the same answer on an unhurried run.

``Deadline`` is the time limit as a promise: one object, on the process CPU clock
(``time.process_time``: reading, constructive starts and every solve count), passed down to
every phase. Each phase asks it how much is left; a CP-SAT phase's deterministic budget is
capped by what remains (converted with ``DET_PER_SECOND``), with a wall-clock cap of the CPU
seconds left as a backstop only (one worker uses at most one CPU second per wall second, so it
never cuts a search the CPU clock would have allowed, except on a machine so loaded that
the promise itself was at risk). Ctrl-C and SIGTERM expire the deadline at once.
"""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE",
          cp_model.INFEASIBLE: "INFEASIBLE", cp_model.UNKNOWN: "UNKNOWN",
          cp_model.MODEL_INVALID: "MODEL_INVALID"}


# CP-SAT's deterministic time runs about 5x slower than the wall clock on the 2-core
# reference machine (measured with bench/run.py); the planner's --time-limit is in wall
# seconds there and is converted with this constant, so limits stay deterministic.
DET_PER_SECOND = 0.18


class Deadline:
    """The planner's time limit on the process CPU clock (user + system seconds).

    ``left()`` is the CPU seconds still to spend, ``share(f)`` a fraction of what is left,
    ``expired()`` whether nothing is; ``expire()`` ends it now (Ctrl-C, SIGTERM, or a test
    injecting an interruption at a chosen point). ``clock`` may be replaced (tests use a
    counter, so deadlines fall at deterministic points without any timing)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.process_time,
                 start: float | None = None):
        self.clock, self.seconds = clock, seconds
        self.start = clock() if start is None else start
        self.stopped = False
        self.parent: Deadline | None = None

    def part(self, fraction: float) -> Deadline:
        """A deadline for one stage: ``fraction`` of the whole, from the same start; it
        also ends when this one does."""
        child = Deadline(self.seconds * fraction, self.clock, self.start)
        child.parent = self
        return child

    def elapsed(self) -> float:
        return self.clock() - self.start

    def left(self) -> float:
        if self.stopped:
            return 0.0
        own = max(0.0, self.seconds - self.elapsed())
        return own if self.parent is None else min(own, self.parent.left())

    def share(self, fraction: float) -> float:
        return self.left() * fraction

    def expired(self) -> bool:
        return self.left() <= 0.0

    def expire(self) -> None:
        self.stopped = True
        if self.parent is not None:
            self.parent.expire()


@dataclass
class SolveOptions:
    """How hard and how reproducibly to search."""

    time_limit: float = 10.0  # about wall seconds on the reference machine (see above)
    seed: int = 0
    workers: int = 1
    log: Callable[[str], None] | None = None  # progress lines (stderr in the CLI)
    group_days_slack: int = 0  # extra group-days per session allowed for fewer class pairs
    # group-days may exceed the fewest found by this share of their bound, all sessions
    # together, where that keeps classes together (hierarchical objectives with a tolerance)
    group_days_tolerance: float = 0.01
    interrupted: bool = field(default=False)
    deadline: Deadline | None = None  # set by ``solve``: the CPU-clock time limit
    progress: Callable[[str, float | None, float | None], None] | None = None  # phase, best, bound

    def det_left(self) -> float:
        """Deterministic solver seconds the deadline still allows (unbounded without one)."""
        if self.deadline is None:
            return float("inf")
        return self.deadline.left() * DET_PER_SECOND

    def out_of_time(self) -> bool:
        return self.interrupted or (self.deadline is not None and self.deadline.expired())

    def phase(self, name: str, best: float | None = None, bound: float | None = None) -> None:
        """Report a phase (and its best and bound) to the progress display, if any."""
        if self.progress is not None:
            self.progress(name, best, bound)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, name: str, opts: SolveOptions):
        super().__init__()
        self.name, self.log, self.t0, self.opts = name, opts.log, time.monotonic(), opts

    def on_solution_callback(self) -> None:
        self.opts.phase(self.name, self.objective_value, self.best_objective_bound)
        if self.log and time.monotonic() - self.t0 > 1.0:
            self.log(f"  [{self.name}] {self.wall_time:.1f}s best {self.objective_value:.0f} "
                     f"bound {self.best_objective_bound:.0f}")


def relative_gap(value: int, bound: int) -> float:
    """(value - bound) / |value|, 0 when the bound is reached: the share still unproved."""
    return 0.0 if value == bound else round((value - bound) / max(abs(value), 1), 6)


@dataclass
class PhaseResult:
    name: str
    status: str
    objective: int | None
    bound: int | None
    seconds: float
    solver: cp_model.CpSolver | None = None

    @property
    def has_solution(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")

    def as_dict(self) -> dict:
        gap = None
        if self.objective is not None and self.bound is not None:
            gap = abs(relative_gap(self.objective, self.bound))  # a maximised part: < 0
        return {"part": self.name, "status": self.status, "objective": self.objective,
                "bound": self.bound, "gap": gap}


_current: list[cp_model.CpSolver] = []
_stopped: list[bool] = [False]  # set by interrupt(): a search about to start gets a token


@contextmanager
def interruptible(opts: SolveOptions):
    """While inside, Ctrl-C (SIGINT) and SIGTERM stop the running search, mark
    ``opts.interrupted`` and expire the deadline: later improvement phases are skipped and
    required ones get a token budget, so the best plan so far is still written."""
    def handler(signum, frame):  # noqa: ARG001
        interrupt(opts)

    previous = {}
    _stopped[0] = False
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        _stopped[0] = False  # the next run, in this process, starts afresh
        for sig, old in previous.items():
            signal.signal(sig, old)


def interrupt(opts: SolveOptions) -> None:
    """Stop now with the best plan so far (what Ctrl-C and SIGTERM do)."""
    opts.interrupted = True
    _stopped[0] = True
    if opts.deadline is not None:
        opts.deadline.expire()
    if opts.log:
        opts.log("interrupted: finishing with the best plan so far")
    for s in list(_current):
        s.stop_search()


def make_solver(opts: SolveOptions, budget: float) -> cp_model.CpSolver:
    """A solver with deterministic limits (one worker or deterministic interleaved search)."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = max(1, opts.workers)
    if opts.workers > 1:
        p.interleave_search = True
    p.random_seed = opts.seed
    p.max_deterministic_time = max(min(budget, opts.det_left()), 0.01)
    if opts.deadline is not None:  # backstop only, see the module docstring
        p.max_time_in_seconds = max(opts.deadline.left(), 0.05)
    return solver


def run(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> int:
    """Solve in a helper thread while the main thread waits in Python, so that a Ctrl-C
    reaches ``interruptible``'s handler at once (CP-SAT's own SIGINT catching is off)."""
    solver.parameters.catch_sigint_signal = False
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["code"] = solver.solve(model, callback)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    _current.append(solver)
    if _stopped[0]:  # interrupted after this search was set up: a token search, not its budget
        p = solver.parameters
        p.max_deterministic_time = min(p.max_deterministic_time, 0.02)
        p.max_time_in_seconds = min(p.max_time_in_seconds, 0.5)
    worker = threading.Thread(target=target, name="cp-sat", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    finally:
        _current.remove(solver)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["code"]


def solve_phase(model: cp_model.CpModel, objective, name: str, opts: SolveOptions,
                budget: float, lower_bound: int | None = None,
                required: bool = False) -> PhaseResult:
    """Minimise ``objective`` (a linear expression) in ``model`` within ``budget`` det. seconds.
    Out of time (deadline, Ctrl-C) an improvement phase is skipped; a ``required`` one gets
    a token budget (its caller keeps a plan without it)."""
    if opts.out_of_time():
        if not required:
            return PhaseResult(name, "UNKNOWN", None, None, 0.0)
        budget = min(budget, 0.02)
    model.minimize(objective)
    solver = make_solver(opts, budget)
    if opts.out_of_time():
        solver.parameters.max_deterministic_time = min(budget, 0.02)
        solver.parameters.max_time_in_seconds = 0.5
    opts.phase(name)
    t0 = time.monotonic()
    code = run(solver, model, _Progress(name, opts))
    status = STATUS.get(code, "UNKNOWN")
    if status == "MODEL_INVALID":
        raise RuntimeError(f"internal error: the {name} model is invalid "
                           f"({model.validate()[:200]})")
    obj = bound = None
    if status in ("OPTIMAL", "FEASIBLE"):
        obj = round(solver.objective_value)
        bound = round(solver.best_objective_bound)
        if lower_bound is not None:
            bound = max(bound, lower_bound)
        if obj == bound:
            status = "OPTIMAL"
    return PhaseResult(name, status, obj, bound, time.monotonic() - t0, solver)
