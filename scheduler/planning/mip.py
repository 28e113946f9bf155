"""A CP-SAT model solved as a mixed-integer program by HiGHS (``highspy``).

Why: on a short-staffed school the fewest unfilled posts is a covering problem whose
linear relaxation, strengthened by cuts, is almost exact (3,000 pupils: 71.5, the minimum
72); HiGHS's cuts and its sub-MIP heuristics (RINS, RENS) find that minimum where CP-SAT's
tree and local searches stall three to nine posts above it (measured on ``bench/run.py``'s
3,000- and 6,000-pupil schools: CP-SAT at 75 and 196 after 12 deterministic seconds with
eight interleaved workers; HiGHS 72 in about 2 CPU s, 187 in 15, each proved optimal).

``solve_mip(model, objective, seconds, opts)``:

- input: the CP-SAT model (its proto is read, never changed), the linear ``objective`` to
  minimise, a work budget ``checks`` (HiGHS's MIP interrupt checks, counted: they come at
  fixed points of its search, so stopping at the n-th is the same on every machine), and a
  CPU budget in seconds (a backstop: HiGHS counts wall seconds, which on a
  busy machine run faster, so it never overspends; its interrupt callbacks also watch the
  deadline's own clock, ``opts.deadline``, so a test's or the bench's slowed clock ends it
  as it would on a slower machine). No start is given: HiGHS handed the
  local search's best took far longer (1,200 pupils: 8.2 s to prove the start optimal,
  0.5 s to find and prove it alone; 3,000: 2.6 s against 2.1 s), so the caller keeps the
  better of its own best and HiGHS's;
- conversion, exact or not at all: every linear constraint without enforcement literal is a
  row; ``a => b`` (a ``bool_and`` or one-literal ``bool_or`` with one enforcement literal)
  is ``a <= b``, an enforced ``bool_or`` is ``a <= sum(literals)``; every variable is
  integer over its domain, which must be one interval. Anything else (another constraint
  type, a holed domain), or a model HiGHS refuses (any call not ``kOk``: a variable twice
  in a row, a coefficient too large), and ``solve_mip`` returns None: the caller keeps its
  CP-SAT searches;
- output: ``MipResult`` — the values of every variable by proto index (None when no
  solution), the objective counted from those values, the proved lower bound (HiGHS's dual
  bound rounded up, the objective being integral; None when it proved none), ``optimal``,
  ``by_work`` when the work budget ended it (deterministic), and ``by_time`` when the time
  budget (not HiGHS's proof) ended it: the clock decided, the caller records a cut.
  HiGHS's answer is rounded and taken only when it keeps every domain and row, counted
  exactly in integers;
- one thread, fixed random seed, ``mip_lp_age_limit`` ``LP_AGE_LIMIT``: the same input
  gives the same answer whenever it ends by proof or by its work budget (measured:
  identical solutions run to run). HiGHS runs in a thread of its own
  (not highspy's ``startSolve``, whose lock is shared by every ``Highs`` in the process,
  so two solves at once failed); its interrupt callbacks watch a flag that
  ``cpsat.interrupt`` (Ctrl-C, SIGTERM) sets, and that is set whenever the wait ends.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from afterschool.scheduler.planning import cpsat

INFINITE = 2 ** 62
# cuts not binding for this many LP solves leave HiGHS's LP (its default 10): the root's
# separation rounds re-solve a smaller LP. Measured (CPU s to find and prove the minimum,
# busy 2-core machine): bench/run.py M 0.84 -> 0.61, L 3.0 -> 2.1 (both proved at the root
# either way), XL 187 proved in 7.5 s where the default stood at 189 after 8 s
LP_AGE_LIMIT = 3


@dataclass
class MipResult:
    values: list[int] | None  # every variable's value by proto index, None: no solution
    objective: int | None
    bound: int | None  # no assignment of the model does better (None: HiGHS proved none)
    optimal: bool
    by_time: bool  # the time budget ended it (the clock, not the proof, decided)
    seconds: float
    by_work: bool = False  # the work budget (``checks``) ended it: deterministic, no cut


class _Cancel:
    """What ``cpsat.interrupt`` calls on a running search: HiGHS's interrupt callbacks see
    the flag and stop it."""

    def __init__(self, flag: threading.Event) -> None:
        self.flag = flag

    def stop_search(self) -> None:
        self.flag.set()


def _quiet(highspy):
    """``highspy.Highs`` with its output off before its first call: its constructor enables
    the callbacks, a HiGHS call that prints a licence banner unless ``output_flag`` is
    already off (HiGHS issue #2749)."""

    class Quiet(highspy.Highs):
        def enableCallbacks(self):
            self.setOptionValue("output_flag", False)
            return super().enableCallbacks()

    return Quiet


def _rows(proto) -> tuple[list[float], list[float], list[list[int]], list[list[float]]] | None:
    """The constraints as rows (lower, upper, columns, coefficients), or None when one is
    not exactly linear."""
    lower: list[float] = []
    upper: list[float] = []
    cols: list[list[int]] = []
    coefs: list[list[float]] = []

    def literal(ref: int) -> tuple[int, int, int]:  # (coefficient, column, constant)
        return (1, ref, 0) if ref >= 0 else (-1, -ref - 1, 1)

    def implies(a: tuple, b: list[tuple]) -> None:  # ka*xa + ca <= sum(kb*xb + cb)
        (ka, xa, ca) = a
        row: dict[int, float] = {xa: float(ka)}
        for kb, xb, _ in b:
            row[xb] = row.get(xb, 0.0) - kb
        lower.append(-math.inf)
        upper.append(float(sum(cb for _, _, cb in b) - ca))
        cols.append(list(row))
        coefs.append(list(row.values()))

    for c in proto.constraints:
        enforced = list(c.enforcement_literal)
        if c.has_linear() and not enforced:
            dom = list(c.linear.domain)
            if len(dom) != 2:
                return None
            lower.append(float(dom[0]) if dom[0] > -INFINITE else -math.inf)
            upper.append(float(dom[1]) if dom[1] < INFINITE else math.inf)
            cols.append(list(c.linear.vars))
            coefs.append([float(k) for k in c.linear.coeffs])
        elif c.has_bool_and() and len(enforced) == 1:
            for ref in c.bool_and.literals:
                implies(literal(enforced[0]), [literal(ref)])
        elif c.has_bool_or() and len(enforced) == 1:
            implies(literal(enforced[0]), [literal(r) for r in c.bool_or.literals])
        else:
            return None
    return lower, upper, cols, coefs


def solve_mip(model: cp_model.CpModel, objective, seconds: float,
              opts: cpsat.SolveOptions, lower_bound: int | None = None,
              checks: int | None = None) -> MipResult | None:
    """Minimise ``objective`` over ``model`` with HiGHS for at most ``seconds`` (see the
    module docstring) and at most ``checks`` of its MIP interrupt checks (the deterministic
    work budget; None: no such budget), stopping once a solution reaches ``lower_bound``
    (proved by the caller); None when the model is not exactly a MIP, HiGHS is not
    installed or refuses the model or fails: the caller's CP-SAT searches stand in."""
    try:
        import highspy
    except ImportError:  # a dependency, but the CP-SAT searches do without it
        return None
    t0 = time.monotonic()
    deadline = opts.deadline
    cpu_end = None if deadline is None else deadline.elapsed() + seconds
    proto = model.proto
    domains = [list(v.domain) for v in proto.variables]
    if any(len(d) != 2 for d in domains):
        return None
    rows = _rows(proto)
    if rows is None:
        return None
    lower, upper, cols, coefs = rows
    n = len(domains)
    flat = cp_model.FlatIntExpr(objective)
    cost = np.zeros(n)
    for v, k in zip(flat.vars, flat.coeffs):
        cost[v.index] += k
    row_of = np.repeat(np.arange(len(cols)), [len(c) for c in cols])
    index = np.array([j for c in cols for j in c], dtype=np.int32)
    value = np.array([k for c in coefs for k in c], dtype=float)
    every = np.arange(n, dtype=np.int32)
    h = _quiet(highspy)()
    ok = highspy.HighsStatus.kOk
    calls = [
        lambda: h.setOptionValue("threads", 1),
        lambda: h.setOptionValue("random_seed", opts.seed % 2 ** 31),
        lambda: h.setOptionValue("mip_rel_gap", 0.0),
        lambda: h.setOptionValue("mip_lp_age_limit", LP_AGE_LIMIT),
        lambda: h.addVars(n, np.array([d[0] for d in domains], dtype=float),
                          np.array([d[1] for d in domains], dtype=float)),
        lambda: h.changeColsIntegrality(n, every, np.full(n, highspy.HighsVarType.kInteger)),
        lambda: h.changeColsCost(n, every, cost),
        lambda: h.addRows(len(lower), np.array(lower), np.array(upper), len(index),
                          np.searchsorted(row_of, np.arange(len(cols))).astype(np.int32),
                          index, value),
        # the budget includes building the model (linear in its size: 0.1 s at 6,000 pupils)
        lambda: h.setOptionValue("time_limit", max(0.01, seconds - (time.monotonic() - t0))),
    ]
    if any(call() != ok for call in calls):  # refused (a repeated variable in a row, a
        return None                          # coefficient HiGHS will not take): not exact
    stop = threading.Event()
    cancel = _Cancel(stop)
    reached = -math.inf if lower_bound is None else lower_bound - flat.offset + 1e-6

    # ``seconds`` on the deadline's own clock too (CPU seconds from the call; a test's or
    # the bench's slowed clock): HiGHS's time limit counts wall seconds, which a slowed
    # CPU clock does not slow
    clock = [False]  # whether the deadline's clock ended it

    def late() -> bool:
        if cpu_end is not None and deadline.elapsed() >= cpu_end:
            clock[0] = True
        return clock[0]

    def check(event) -> None:  # HiGHS asks, between nodes and simplex iterations
        if stop.is_set() or late():
            event.interrupt()

    counted = [0, False]  # MIP interrupt checks so far; whether the work budget ended it

    def enough(event) -> None:  # a solution at the caller's bound: nothing better exists
        counted[0] += 1  # HiGHS asks at fixed points of its search: a count of its work
        if checks is not None and counted[0] > checks:
            counted[1] = True
            event.interrupt()
        elif stop.is_set() or event.data_out.mip_primal_bound <= reached or late():
            event.interrupt()

    for hook in (h.cbSimplexInterrupt, h.cbIpmInterrupt):
        hook += check
    h.cbMipInterrupt += enough
    if cpsat._stopped[0]:  # interrupted while the model was built: nothing to run
        return MipResult(None, None, None, False, False, time.monotonic() - t0)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["status"] = h.run()
        except BaseException as exc:  # noqa: BLE001 - reported to the caller as "no MIP"
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="highs", daemon=True)
    cpsat._current.append(cancel)
    try:
        if cpsat._stopped[0]:
            stop.set()
        worker.start()
        while worker.is_alive():
            worker.join(0.02)
    finally:
        stop.set()  # whatever ended the wait (an exception here), HiGHS stops too
        worker.join()
        cpsat._current.remove(cancel)
    if "error" in outcome or outcome.get("status") == highspy.HighsStatus.kError:
        return None
    status = h.getModelStatus()
    info = h.getInfo()
    values = None
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        rounded = np.rint(np.array(h.getSolution().col_value)).astype(np.int64)
        if _keeps(rounded, domains, row_of, index, value, lower, upper):
            values = [int(x) for x in rounded]
    dual = info.mip_dual_bound
    bound = math.ceil(dual + flat.offset - 1e-6) if math.isfinite(dual) else None
    obj = None
    if values is not None:
        obj = int(np.dot(cost, values)) + flat.offset
    optimal = status == highspy.HighsModelStatus.kOptimal and obj is not None
    if optimal:
        bound = obj
    h.clear()
    return MipResult(values, obj, bound, optimal,
                     (status == highspy.HighsModelStatus.kTimeLimit or clock[0])
                     and not optimal, time.monotonic() - t0, counted[1] and not optimal)


def _keeps(x: np.ndarray, domains: list[list[int]], row_of: np.ndarray, index: np.ndarray,
           value: np.ndarray, lower: list[float], upper: list[float]) -> bool:
    """Whether the integer assignment ``x`` keeps every domain and row, counted exactly
    (integers below 2**53 in floating point): HiGHS's answer, rounded, is only taken so."""
    lo = np.array([d[0] for d in domains])
    hi = np.array([d[1] for d in domains])
    if np.any(x < lo) or np.any(x > hi):
        return False
    sums = np.bincount(row_of, weights=value * x[index], minlength=len(lower))
    return bool(np.all(sums >= np.array(lower)) and np.all(sums <= np.array(upper)))
