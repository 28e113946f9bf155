"""HiGHS on a CP-SAT model (``planning/mip.py``): exact conversion or none, the time limit,
Ctrl-C, and the staffing search using it (issue #14)."""
from __future__ import annotations

import math
import random
import threading
import time

import numpy as np

from ortools.sat.python import cp_model

from afterschool.scheduler.checker import check_plan
from afterschool.scheduler.planning import assign, cpsat, mip
from afterschool.scheduler.planning.cpsat import PhaseResult, SolveOptions
from afterschool.scheduler.planning.stats import StaffBound
from afterschool.scheduler.planning.mip import MipResult, solve_mip
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.reading.reader import read_instance
from school_files import avail, students_rows, vol, write_instance

OPTS = dict(seed=0, workers=1)


def test_every_constraint_kind_of_the_staffing_model_is_converted_exactly():
    # a, b, c with a + b + c >= 2, a => b, c => not b, and b => (a or c); minimise
    # 3a + 2b + 4c + 7. By hand: {a, c} breaks a => b, {b, c} and {a, b, c} break
    # c => not b, so {a, b} (b => a or c holds by a) is the only pair: 3 + 2 + 7 = 12.
    m = cp_model.CpModel()
    a, b, c = (m.new_bool_var(n) for n in "abc")
    m.add(a + b + c >= 2)
    m.add_implication(a, b)
    m.add_implication(c, b.Not())
    m.add_bool_or([a, c]).only_enforce_if(b)
    r = solve_mip(m, 3 * a + 2 * b + 4 * c + 7, 5.0, SolveOptions(**OPTS))
    assert r.optimal and not r.by_time
    assert (r.objective, r.bound) == (12, 12)
    assert [r.values[v.index] for v in (a, b, c)] == [1, 1, 0]


def test_a_model_that_is_not_exactly_linear_is_left_to_cp_sat():
    m = cp_model.CpModel()
    xs = [m.new_int_var(0, 3, f"x{i}") for i in range(3)]
    m.add_all_different(xs)
    assert solve_mip(m, sum(xs), 5.0, SolveOptions(**OPTS)) is None
    holed = cp_model.CpModel()
    y = holed.new_int_var_from_domain(cp_model.Domain.from_values([0, 2]), "y")
    assert solve_mip(holed, y, 5.0, SolveOptions(**OPTS)) is None


def test_other_constraint_kinds_are_refused_not_relaxed():
    # each model holds one constraint the conversion cannot state exactly: an enforced
    # linear row, a row whose domain has a hole, an implication with two enforcement
    # literals, a bool_or with none; a relaxation would give a wrong bound, so None
    def one(add):
        m = cp_model.CpModel()
        a, b, c = (m.new_bool_var(n) for n in "abc")
        add(m, a, b, c)
        return solve_mip(m, a + b + c, 5.0, SolveOptions(**OPTS))

    assert one(lambda m, a, b, c: m.add(a + b >= 1).only_enforce_if(c)) is None
    assert one(lambda m, a, b, c: m.add_linear_expression_in_domain(
        a + b + c, cp_model.Domain.from_values([0, 2]))) is None
    assert one(lambda m, a, b, c: m.add_bool_and([a]).only_enforce_if([b, c])) is None
    assert one(lambda m, a, b, c: m.add_bool_or([a, b, c])) is None


def test_a_negated_enforcement_literal_is_kept():
    # not a => b, and not b => c: minimise 2a + 2b + c. By hand: a = b = 0 breaks the first;
    # a = 1, b = 0 forces c (cost 3); b = 1 alone costs 2, the optimum (a = c = 0)
    m = cp_model.CpModel()
    a, b, c = (m.new_bool_var(n) for n in "abc")
    m.add_implication(a.Not(), b)
    m.add_bool_or([c]).only_enforce_if(b.Not())
    r = solve_mip(m, 2 * a + 2 * b + c, 5.0, SolveOptions(**OPTS))
    assert r.optimal and r.objective == 2
    assert [r.values[v.index] for v in (a, b, c)] == [0, 1, 0]


def test_a_model_highs_refuses_is_left_to_cp_sat():
    # x + x == 3 over 0..5 (CP-SAT: infeasible, as 2x is even); a row naming one variable
    # twice is refused by HiGHS's addRows, which would then solve without the row
    m = cp_model.CpModel()
    m.new_int_var(0, 5, "x")
    row = m.proto.constraints.add().linear
    for _ in range(2):
        row.vars.append(0)
        row.coeffs.append(1)
    row.domain.extend([3, 3])
    assert m.validate() == ""
    assert solve_mip(m, m.get_int_var_from_proto_index(0), 5.0, SolveOptions(**OPTS)) is None


def test_two_mips_at_once_in_one_process():
    # a service may plan two schools in two threads: each HiGHS runs in its own thread
    results = []

    def run():  # half a second each, so the two overlap
        m, objective = market_split(rows=3, columns=20)
        results.append(solve_mip(m, objective, 30.0, SolveOptions(**OPTS)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and all(r.optimal for r in results)
    assert results[0].objective == results[1].objective


def market_split(rows: int = 4, columns: int = 30):
    """A market-split instance (Cornuejols and Dawande): tiny and far beyond any MIP
    solver's seconds, so only the time limit or an interruption ends it."""
    rng = random.Random(1)
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{j}") for j in range(columns)]
    slack = []
    for _ in range(rows):
        a = [rng.randint(0, 99) for _ in x]
        over, under = m.new_int_var(0, 10_000, ""), m.new_int_var(0, 10_000, "")
        m.add(sum(k * v for k, v in zip(a, x)) + over - under == sum(a) // 2)
        slack += [over, under]
    return m, sum(slack)


def test_the_time_limit_ends_a_hard_mip_and_says_so():
    m, objective = market_split()
    t0 = time.monotonic()
    r = solve_mip(m, objective, 0.3, SolveOptions(**OPTS))
    assert time.monotonic() - t0 < 3
    assert r.by_time and not r.optimal


def test_an_interruption_cancels_a_running_mip():
    m, objective = market_split()
    opts = SolveOptions(**OPTS)
    timer = threading.Timer(0.3, cpsat.interrupt, args=(opts,))
    t0 = time.monotonic()
    timer.start()
    try:
        r = solve_mip(m, objective, 60.0, opts)
    finally:
        timer.cancel()
        cpsat._stopped[0] = False  # as ``interruptible`` leaves it for the next run
    assert time.monotonic() - t0 < 5
    assert r is not None and not r.optimal and not r.by_time and opts.interrupted


def test_an_interruption_before_the_mip_starts_is_not_lost():
    m, objective = market_split()
    opts = SolveOptions(**OPTS)
    cpsat.interrupt(opts)  # Ctrl-C while the model was being converted
    t0 = time.monotonic()
    try:
        r = solve_mip(m, objective, 60.0, opts)
    finally:
        cpsat._stopped[0] = False
    assert time.monotonic() - t0 < 5 and not r.optimal


def _two_posts_short(tmp_path=None):
    """T1 and T2, 90 min a week each, for 3 afternoon posts of 60 min (Tue, Wed, Thu): the
    instance and its groups present (one group a day)."""
    import tempfile
    from pathlib import Path
    folder = Path(tmp_path or tempfile.mkdtemp()) / "two-short"
    rows = students_rows(10, afternoon="Tue Wed Thu")
    people = vol("T1", weekly="90") + vol("T2", weekly="90")
    av = avail("T1", "Tue Wed Thu", "after-upper") + avail("T2", "Tue Wed Thu", "after-upper")
    inst = read_instance(write_instance(folder, students=rows, teachers=people,
                                        availability=av))
    return inst, {(d, "after-upper"): ["g"] for d in ("Tue", "Wed", "Thu")}


def test_the_mip_finds_and_proves_an_integer_minimum_the_lp_cannot(tmp_path, monkeypatch):
    # T1 and T2 may each serve 90 min a week; 3 afternoon posts of 60 min (Tue, Wed, Thu):
    # one post each, so 1 post and 60 minutes stay unfilled, where the count and the LP
    # (1.5 posts each) say 0. The CP-SAT searches are given no time: the plan's posts are
    # HiGHS's, at the minimum its cuts prove.
    inst, _ = _two_posts_short(tmp_path)

    def no_time(model, objective, name, opts, budget, lower_bound=None, required=False,
                local_search=False, tuning=None, slack=0.0):
        return PhaseResult(name, "UNKNOWN", None, None, 0.0)

    monkeypatch.setattr(assign, "solve_phase", no_time)
    monkeypatch.setattr(assign, "greedy_duties", lambda *a, **k: set())  # start: nobody
    plan = solve(inst, time_limit=3, **OPTS)
    unfilled = plan.extra["unfilled"]
    assert unfilled["posts"] == unfilled["posts_bound"] == 1
    assert "MIP search (HiGHS)" in unfilled["proved_by"]
    assert len(plan.duties) == 2 and {d.staff for d in plan.duties} == {"T1", "T2"}
    mip = [p for p in plan.extra["parts"] if p["part"] == "staff coverage: MIP (HiGHS)"]
    assert mip and mip[0]["status"] == "OPTIMAL" and mip[0]["objective"] == 1
    assert check_plan(inst, plan) == []


def test_a_rounded_answer_is_taken_only_when_it_keeps_every_row_and_domain():
    # rows: x0 + 2 x1 in [1, 3], x1 - x2 in [-inf, 0]; domains 0..1 each
    domains = [[0, 1], [0, 1], [0, 1]]
    row_of = np.array([0, 0, 1, 1])
    index = np.array([0, 1, 1, 2])
    value = np.array([1.0, 2.0, 1.0, -1.0])
    lower, upper = [1.0, -math.inf], [3.0, 0.0]
    keeps = lambda x: mip._keeps(np.array(x), domains, row_of, index, value, lower, upper)  # noqa: E731
    assert keeps([1, 1, 1])  # 3 and 0
    assert not keeps([1, 1, 0])  # x1 - x2 = 1 > 0
    assert not keeps([0, 0, 0])  # 0 < 1
    assert not keeps([2, 0, 0])  # x0 outside its domain


def test_the_search_stops_at_the_callers_bound():
    # the 3 x 20 market split's minimum is 3 (HiGHS proves it); told that 3 is a proved
    # bound, it stops at the first solution of 3: the answer is 3, not ended by time
    m, objective = market_split(rows=3, columns=20)
    r = solve_mip(m, objective, 30.0, SolveOptions(**OPTS), lower_bound=3)
    assert r.objective == 3 and not r.by_time


def test_without_the_mip_the_cp_sat_searches_stand_in(monkeypatch):
    # HiGHS cannot take the model (solve_mip gives None) and no bound proves a post short:
    # after the tree and the short local search come the local search and CP-SAT's proof
    # search, in that order
    assert _post_searches(monkeypatch, 0, None) == [
        "staff coverage", "staff coverage: quick local search",
        "staff coverage: local search", "staff coverage: proof"]


def _post_searches(monkeypatch, bound_posts: int, reserve: float | None) -> list[str]:
    """The searches ``_search_posts`` runs on the three-post model (two people), each finding nothing and
    HiGHS unable to take the model, with the MIP-first sizes lowered to this model's."""
    names = []

    def phase(model, objective, name, opts, budget, lower_bound=None, required=False,
              local_search=False, tuning=None, slack=0.0):
        names.append(name)
        return PhaseResult(name, "UNKNOWN", None, None, 0.0)

    monkeypatch.setattr(assign, "solve_phase", phase)
    monkeypatch.setattr(assign, "solve_mip", lambda *a, **k: None)
    monkeypatch.setattr(assign, "MIP_FIRST", 1)
    monkeypatch.setattr(assign, "MIP_FIRST_MAX", 3)
    sm = assign.build(*_two_posts_short())
    assert sum(sm.demand.values()) == 3  # within the lowered sizes
    for post, gap in sm.unfilled.items():
        sm.hints[gap.index] = sm.demand[post]
    bound = StaffBound(posts=bound_posts, managers=0, minutes_if_posts_at_bound=0)
    assign._search_posts(sm, assign.term_unfilled_posts(sm), SolveOptions(**OPTS), 1.0,
                         reserve, bound)
    return names


def test_a_large_model_proved_short_goes_to_the_mip_first(monkeypatch):
    # a bound proves a post unfilled and the plan's staffing (a reserve) is searched: no
    # tree or quick local search before HiGHS (here it cannot take the model, so the tree
    # search, as a start for the local search, the local search and the proof follow)
    assert _post_searches(monkeypatch, 1, 0.5) == ["staff coverage",
                                                   "staff coverage: local search",
                                                   "staff coverage: proof"]


def test_short_searches_come_first_without_a_proved_shortage_or_in_a_probe(monkeypatch):
    # no bound proves a post unfilled (every post may be filled: the quick local search may
    # reach that), or a coverage probe (no reserve): the tree and quick searches first
    order = ["staff coverage", "staff coverage: quick local search",
             "staff coverage: local search", "staff coverage: proof"]
    assert _post_searches(monkeypatch, 0, 0.5) == order
    assert _post_searches(monkeypatch, 1, None) == order


def test_a_mip_ended_by_the_clock_is_recorded_as_a_cut(monkeypatch, tmp_path):
    # the CP-SAT searches find nothing and the MIP reports it was ended by its time: the
    # plan says the clock decided there (cut_by_time_limit), and still comes back
    def phase(model, objective, name, opts, budget, lower_bound=None, required=False,
              local_search=False, tuning=None, slack=0.0):
        return PhaseResult(name, "UNKNOWN", None, None, 0.0)

    monkeypatch.setattr(assign, "solve_phase", phase)
    monkeypatch.setattr(assign, "solve_mip",
                        lambda *a, **k: MipResult(None, None, None, False, True, 0.1))
    inst, _ = _two_posts_short(tmp_path)
    plan = solve(inst, time_limit=3, **OPTS)
    assert "staff coverage: MIP (HiGHS)" in plan.extra["solve_stats"]["cut_by_time_limit"]
    assert plan.duties and check_plan(inst, plan) == []


def test_the_work_budget_ends_a_hard_mip_the_same_way_every_time():
    # HiGHS has no deterministic time; its MIP interrupt checks, counted, are its work
    # budget: the market split (far beyond any solver's minute) with 20 checks and a
    # minute of clock ends by the count, not the clock, with the same answer twice
    m, objective = market_split()
    runs = [solve_mip(m, objective, 60.0, SolveOptions(**OPTS), checks=20) for _ in range(2)]
    for r in runs:
        assert r.by_work and not r.by_time and not r.optimal
    assert (runs[0].values, runs[0].objective, runs[0].bound) == \
        (runs[1].values, runs[1].objective, runs[1].bound)


def test_the_mip_keeps_to_the_deadlines_clock_not_only_the_wall_clock():
    # a slowed CPU clock (each reading a second later: the deadline's 5 s pass after five
    # readings) ends the hard MIP long before HiGHS's own 60 wall seconds: by the clock
    from afterschool.scheduler.planning.cpsat import Deadline
    m, objective = market_split()
    ticks = iter(range(10 ** 9))
    opts = SolveOptions(**OPTS, deadline=Deadline(1000, clock=lambda: float(next(ticks))))
    t0 = time.monotonic()
    r = solve_mip(m, objective, 5.0, opts)
    assert r.by_time and not r.optimal and time.monotonic() - t0 < 30


def test_a_mip_that_proves_its_answer_within_its_work_budget_is_not_marked_by_work():
    # a, b, c as in the conversion test: proved at the root, long before 1,000 checks
    m = cp_model.CpModel()
    a, b, c = (m.new_bool_var(n) for n in "abc")
    m.add(a + b + c >= 2)
    r = solve_mip(m, 3 * a + 2 * b + 4 * c, 5.0, SolveOptions(**OPTS), checks=1000)
    assert r.optimal and not r.by_work and r.objective == 5


def test_the_staffing_mip_gets_a_work_budget_from_the_limit_and_no_cut(monkeypatch, tmp_path):
    # at --time-limit 3 the MIP may do the work of MIP_SHARE (0.6) of the limit at 25
    # checks a CPU second: 0.6 x 3 x 25 = 45 checks (its share of the staffing budget,
    # 3 x 0.06 x 0.25 / 0.06 x 0.8 = 0.6 CPU s less the searches before it and the local
    # search's 30 %, is less). Ended by that count, nothing is recorded as cut.
    def phase(model, objective, name, opts, budget, lower_bound=None, required=False,
              local_search=False, tuning=None, slack=0.0):
        return PhaseResult(name, "UNKNOWN", None, None, 0.0)

    asked = []

    def by_work(model, objective, seconds, opts, lower_bound=None, checks=None):
        asked.append(checks)
        return MipResult(None, None, None, False, False, 0.1, by_work=True)

    monkeypatch.setattr(assign, "solve_phase", phase)
    monkeypatch.setattr(assign, "solve_mip", by_work)
    inst, _ = _two_posts_short(tmp_path)
    plan = solve(inst, time_limit=3, **OPTS)
    assert asked == [45]
    assert plan.extra["solve_stats"]["cut_by_time_limit"] == []
    assert plan.duties and check_plan(inst, plan) == []
