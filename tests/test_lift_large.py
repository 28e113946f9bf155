"""A large school's smallest groups are lifted even where balancing used all of its share
(solve: lifting has at least ``LIFT_MIN`` of the limit on every school). The clock is a
counter moved by the test, so nothing depends on timing."""
from __future__ import annotations

from afterschool.scheduler.planning import solve as S
from afterschool.scheduler.planning.cpsat import Deadline
from afterschool.scheduler.reading.generate import generate_school, write_school
from afterschool.scheduler.reading.reader import read_instance


def _lift_time_after_a_greedy_balancing(tmp_path, monkeypatch, large: bool) -> list[float]:
    write_school(tmp_path / "s", generate_school(300, None, 20, seed=2, name="lift"))
    inst = read_instance(tmp_path / "s")
    now = [0.0]
    whole = Deadline.for_limit(7.0, clock=lambda: now[0])
    if large:
        monkeypatch.setattr(S, "ANYTIME", 0)  # planned as a school above ANYTIME sign-ups
    balance, lift = S.balance_result, S.lift_result
    given: list[float] = []

    def balancing_to_its_end(prep, res, opts, budget):
        out = balance(prep, res, opts, budget)
        now[0] = max(now[0], opts.deadline.seconds)  # balancing ran to its deadline
        return out

    def lifting(prep, res, target, opts):
        given.append(opts.deadline.left())
        return lift(prep, res, target, opts)

    monkeypatch.setattr(S, "balance_result", balancing_to_its_end)
    monkeypatch.setattr(S, "lift_result", lifting)
    S.solve(inst, deadline=whole)
    return given


def test_a_large_school_lifts_after_a_balancing_that_took_all_its_share(tmp_path,
                                                                         monkeypatch):
    given = _lift_time_after_a_greedy_balancing(tmp_path, monkeypatch, large=True)
    # balancing ended at 0.75 x 7 = 5.25 s of the fake clock; lifting has 10 % of the limit
    assert given and given[0] >= 0.1 * 7.0 - 1e-9


def test_a_small_school_keeps_its_lift_time_too(tmp_path, monkeypatch):
    given = _lift_time_after_a_greedy_balancing(tmp_path, monkeypatch, large=False)
    assert given and given[0] >= 0.1 * 7.0 - 1e-9
