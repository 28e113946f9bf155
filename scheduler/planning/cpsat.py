"""Small shared CP-SAT plumbing: deterministic parameters, lexicographic phases, progress,
Ctrl-C, and statuses kept distinct.

``solve_phase(model, objective, ...)`` minimises one objective with one worker (or CP-SAT's
deterministic interleaved search) and a *deterministic* time limit, so the same input and seed
give the same answer on an unhurried run. ``local_search=True`` runs only CP-SAT's violation
local search (feasibility jump, deterministic interleaved, from the model's complete hint):
it improves a large assignment much faster than tree search but proves nothing, so the
caller brings its own bound (``lower_bound``). Its deterministic time runs at
``LS_DET_PER_SECOND``.

``lp_bound(model, objective)`` is the LP relaxation (GLOP) of the same model: every linear
constraint without an enforcement literal, every one-literal implication ``a => b`` as
``a <= b``, each variable over its domain's hull. Dropping the other constraints only
relaxes, so the optimum is a lower bound on ``objective`` over the model, and its solution
is a guide for rounding.

``Deadline`` is the time limit as a promise: one object, on the process CPU clock
(``time.process_time``: reading, constructive starts and every solve count), passed down to
every phase. Each phase asks it how much is left; a CP-SAT phase's deterministic budget is
capped by what remains (converted with ``DET_PER_SECOND``), with a wall-clock cap of the CPU
seconds left as a backstop only (one worker uses at most one CPU second per wall second, so it
never cuts a search the CPU clock would have allowed, except on a machine so loaded that
the promise itself was at risk). Ctrl-C and SIGTERM expire the deadline at once.

**Same input and seed, same plan — and when not.** Every CP-SAT search has a deterministic
budget; the staffing MIP (``mip.py``, HiGHS) has a work budget instead, a count of HiGHS's
MIP interrupt checks (``assign.MIP_CHECKS_PER_SECOND``), with what the deadline leaves as
its backstop (where that ends it first, as on a short-staffed school of 3,000 pupils on a
machine well slower than the reference (docs/benchmarks.md), it is recorded as a cut, and
the searches after it keep deterministic budgets, capped like every search by what the
deadline leaves). The CPU
clock only cuts a search short when the process is behind (a small limit, a very large
school, or a machine more than twice as slow or busy as the reference: a test plans the
bundled school and a generated one on a CPU clock running 2x fast). Constructive grouping
and balancing have parts of the limit itself (``part_of_limit``: they take what they are
given, and more time there traded pairs for group-days at 15,000 pupils); the searches after them run to the backstop
(``Deadline.for_limit``: 1.5 x limit + 0.7 s). Whenever the clock decided something — a
start not built, a search that ran into a budget lowered to what was left (one that
finished below it ends as it would have: ``note_stop``) or was ended by the wall-clock
backstop, a phase skipped, GLOP stopped — the deadline records the stage
(``Deadline.cuts``, ``plan.json`` ``solve_stats.cut_by_time_limit``), and the summary says
that a rerun may differ.
"""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from afterschool.scheduler.planning.backstop import BACKSTOP_FACTOR, BACKSTOP_PLUS

STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE",
          cp_model.INFEASIBLE: "INFEASIBLE", cp_model.UNKNOWN: "UNKNOWN",
          cp_model.MODEL_INVALID: "MODEL_INVALID"}


# The planner's --time-limit is converted into CP-SAT's deterministic seconds with this
# constant, so limits stay deterministic: low enough that the budgets, not the CPU clock,
# end the searches on a machine well slower than the one it was tuned on (docs/planner.md).
DET_PER_SECOND = 0.06
# re-plan and substitution keep the rate their budgets were measured at (bench/replan.py:
# at 0.08 the re-plan's tree searches found too little at the default 2 s)
TERM_DET_PER_SECOND = 0.12
# the violation local search counts deterministic time faster: about 1.2-1.4 det s per CPU
# second on the staffing models (bench/run.py L, M, XL); 1.0 keeps within the CPU clock
LS_DET_PER_SECOND = 1.0


# The CPU clock stops a run at BACKSTOP_FACTOR times the limit plus BACKSTOP_PLUS seconds
# (``backstop.py``: the command line's help quotes them from there).


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
        self.limit = seconds  # the --time-limit (for_limit sets it below the backstop)
        self.stage = ""  # what the planner is doing (the progress phase): named in cuts
        self.cuts: list[str] = []  # stages where the clock, not a budget, decided

    @classmethod
    def for_limit(cls, limit: float, clock: Callable[[], float] = time.process_time
                  ) -> Deadline:
        """The deadline of a ``--time-limit``: the backstop above, from now (``clock``: a
        test's slowed clock)."""
        whole = cls(limit * BACKSTOP_FACTOR + BACKSTOP_PLUS, clock)
        whole.limit = limit
        return whole

    def child(self, seconds: float, limit: float | None = None) -> Deadline:
        """A deadline of ``seconds`` from this one's start that also ends when this one
        does (its cuts and Ctrl-C are this one's), with ``limit`` (default: ``seconds``)."""
        child = Deadline(seconds, self.clock, self.start)
        child.parent = self
        child.limit = seconds if limit is None else limit
        return child

    def part_of_limit(self, fraction: float) -> Deadline:
        """Like ``part``, but ``fraction`` of the time limit itself, not of the backstop:
        for the anytime constructive stages, which take whatever time they are given."""
        return self.child(self.limit * fraction)

    def root(self) -> Deadline:
        return self if self.parent is None else self.parent.root()

    def cut(self) -> None:
        """Record that the CPU clock (not a deterministic budget) decided something now."""
        top = self.root()
        if not top.stopped and top.stage not in top.cuts:  # Ctrl-C is no cut: it is said
            top.cuts.append(top.stage)

    def part(self, fraction: float) -> Deadline:
        """A deadline for one stage: ``fraction`` of the whole, from the same start; it
        also ends when this one does."""
        return self.child(self.seconds * fraction, self.limit * fraction)

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
        if self.left() <= 0.0:
            self.cut()
            return True
        return False

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

    def det_left(self, rate: float = DET_PER_SECOND) -> float:
        """Deterministic solver seconds the deadline still allows (unbounded without one),
        for a search whose deterministic time runs at ``rate`` per CPU second."""
        if self.deadline is None:
            return float("inf")
        return self.deadline.left() * rate

    def det_budget(self, budget: float, rate: float = DET_PER_SECOND,
                   cut: bool = True) -> float:
        """``budget`` deterministic seconds, or what the deadline leaves if less (a cut,
        unless ``cut`` is False: a search's caller that records it only if the search
        then runs into the lower cap, ``note_stop``)."""
        left = self.det_left(rate)
        if cut and left < budget and self.deadline is not None:
            self.deadline.cut()
        return min(budget, left)

    def out_of_time(self) -> bool:
        return self.interrupted or (self.deadline is not None and self.deadline.expired())

    def phase(self, name: str, best: float | None = None, bound: float | None = None) -> None:
        """Report a phase (and its best and bound) to the progress display, if any."""
        if self.deadline is not None and best is None:
            self.deadline.root().stage = name
        if self.progress is not None:
            self.progress(name, best, bound)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, name: str, opts: SolveOptions, stop_at: int | None = None):
        super().__init__()
        self.name, self.log, self.t0, self.opts = name, opts.log, time.monotonic(), opts
        self.stop_at = stop_at  # a proved lower bound: a solution there is optimal

    def on_solution_callback(self) -> None:
        self.opts.phase(self.name, self.objective_value, self.best_objective_bound)
        if self.stop_at is not None and self.objective_value <= self.stop_at:
            self.stop_search()
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
    det_time: float = 0.0  # deterministic seconds spent (the same on every run)

    @property
    def has_solution(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")

    def as_dict(self) -> dict:
        gap = None
        if self.objective is not None and self.bound is not None:
            gap = abs(relative_gap(self.objective, self.bound))  # a maximised part: < 0
        return {"part": self.name, "status": self.status, "objective": self.objective,
                "bound": self.bound, "gap": gap}


_current: list = []  # running searches: CP-SAT solvers and MIP cancellers (stop_search)
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


def make_solver(opts: SolveOptions, budget: float, local_search: bool = False,
                slack: float = 0.0) -> cp_model.CpSolver:
    """A solver with deterministic limits (one worker or deterministic interleaved search);
    ``local_search``: the violation local search only (see the module docstring);
    ``slack``: CPU seconds of the deadline its wall-clock backstop leaves for what follows
    the search inside the same stage (reading its answer, decoding)."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = max(1, opts.workers)
    if opts.workers > 1 or local_search:
        p.interleave_search = True
    p.use_ls_only = local_search
    p.random_seed = opts.seed
    rate = LS_DET_PER_SECOND if local_search else DET_PER_SECOND
    p.max_deterministic_time = max(opts.det_budget(budget, rate, cut=False), 0.01)
    solver.asked = max(budget, 0.01)  # the budget before the deadline capped it (note_stop)
    solver.deadline = opts.deadline  # where ``run`` records a cut (note_stop)
    if opts.deadline is not None:  # backstop only, see the module docstring
        p.max_time_in_seconds = max(opts.deadline.left() - slack, 0.05)
    return solver


def run(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> int:
    """Solve in a helper thread while the main thread waits in Python, so that a Ctrl-C
    reaches ``interruptible``'s handler at once (CP-SAT's own SIGINT catching is off);
    a solver of ``make_solver`` then records on its deadline whether the clock ended the
    search (``note_stop``)."""
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
    note_stop(solver, outcome["code"], solver.deadline)
    return outcome["code"]


def note_stop(solver: cp_model.CpSolver, code: int, deadline: Deadline | None) -> None:
    """Record a cut when the clock, not the search's own budget, ended the search
    ``solver`` just ran (``code``: its status): the wall-clock backstop stopped it before
    its deterministic budget, or what the deadline left had lowered that budget and the
    search ran into the lower one. A search that finished (proved its answer, or stopped
    at its bound) below a lowered budget ends as it would have with the whole one: no cut."""
    p = solver.parameters
    if deadline is None:
        return
    used = solver.deterministic_time
    if solver.wall_time >= p.max_time_in_seconds * 0.98 and \
            used < p.max_deterministic_time * 0.98:
        deadline.cut()  # the wall-clock backstop, not the budget, ended this search
    elif solver.asked > p.max_deterministic_time and \
            code not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and \
            used >= p.max_deterministic_time * 0.98:
        deadline.cut()  # the budget the deadline lowered ended it


def solve_phase(model: cp_model.CpModel, objective, name: str, opts: SolveOptions,
                budget: float, lower_bound: int | None = None,
                required: bool = False, local_search: bool = False,
                tuning: dict | None = None, slack: float = 0.0) -> PhaseResult:
    """Minimise ``objective`` (a linear expression) in ``model`` within ``budget`` det. seconds.
    Out of time (deadline, Ctrl-C) an improvement phase is skipped; a ``required`` one gets
    a token budget (its caller keeps a plan without it). ``lower_bound`` (proved by the
    caller) stops the search once a solution reaches it and marks the answer OPTIMAL there
    (it is not added to the model: a bound that overshot by rounding would then force
    a worse answer instead of only mislabelling one). ``slack``: see ``make_solver``."""
    if opts.out_of_time():
        if not required:
            return PhaseResult(name, "UNKNOWN", None, None, 0.0)
        budget = min(budget, 0.02)
    model.minimize(objective)
    opts.phase(name)  # first: a cut below is this search's
    solver = make_solver(opts, budget, local_search, slack)
    for key, value in (tuning or {}).items():  # e.g. linearization_level for a proof
        setattr(solver.parameters, key, value)
    if opts.out_of_time():
        solver.parameters.max_deterministic_time = min(budget, 0.02)
        solver.parameters.max_time_in_seconds = 0.5
    t0 = time.monotonic()
    code = run(solver, model, _Progress(name, opts, lower_bound))
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
    return PhaseResult(name, status, obj, bound, time.monotonic() - t0, solver,
                       solver.deterministic_time)


def lp_bound(model: cp_model.CpModel, objective, time_limit: float = 1.0
             ) -> tuple[float, list[float]] | None:
    """The LP relaxation's optimum of minimising ``objective`` over ``model`` (see the module
    docstring) and the value of every variable there, by proto index; None when GLOP does
    not reach an optimum within ``time_limit`` seconds (a backstop: GLOP takes under 0.1 s
    on the staffing model of 6,000 pupils)."""
    from ortools.linear_solver import pywraplp

    proto = model.proto
    lp = pywraplp.Solver.CreateSolver("GLOP")
    x = []
    for v in proto.variables:
        dom = list(v.domain)
        x.append(lp.NumVar(dom[0], dom[-1], ""))
    inf = lp.infinity()

    # rows set directly, as ``lp.Add`` of the natural API would (same rows, bounds and
    # coefficients in the same order; a zero coefficient of a linear term is left out)
    def row(lower: float, upper: float, terms) -> None:
        ct = lp.RowConstraint(lower, upper, "")
        for var, k in terms:
            ct.SetCoefficient(var, k)

    infinite = 2 ** 62
    for c in proto.constraints:
        enforced = c.enforcement_literal
        if c.has_linear() and not len(enforced):
            lin = c.linear
            dom = list(lin.domain)
            coef: dict = {}
            for v, k in zip(lin.vars, lin.coeffs):
                if k:
                    coef[x[v]] = coef.get(x[v], 0.0) + float(k)
            terms = list(coef.items())
            if dom[0] > -infinite:
                row(dom[0] - 0.0, inf, terms)
            if dom[-1] < infinite:
                row(-inf, dom[-1] - 0.0, terms)
        elif len(enforced) == 1 and (c.has_bool_and() or c.has_bool_or()):
            literals = list(c.bool_and.literals if c.has_bool_and() else c.bool_or.literals)
            if c.has_bool_and() or len(literals) == 1:  # a => b (each b of an and)
                ref_a = enforced[0]
                ka, a, ca = (1.0, x[ref_a], 0) if ref_a >= 0 else (-1.0, x[-ref_a - 1], 1)
                for ref in literals:
                    kb, b, cb = (1.0, x[ref], 0) if ref >= 0 else (-1.0, x[-ref - 1], 1)
                    # ka*a + ca <= kb*b + cb:  ka*a - kb*b <= cb - ca
                    terms = [(a, ka - kb)] if a is b else [(a, ka), (b, -kb)]
                    row(-inf, 0.0 - (0.0 + ca - cb), terms)
    flat = cp_model.FlatIntExpr(objective)
    goal = lp.Objective()
    for v, k in zip(flat.vars, flat.coeffs):
        goal.SetCoefficient(x[v.index], goal.GetCoefficient(x[v.index]) + k)
    goal.SetMinimization()
    lp.SetTimeLimit(max(1, int(time_limit * 1000)))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return goal.Value() + flat.offset, [v.solution_value() for v in x]
