"""What plan keeps back from its solve for the record and the hand-outs (reserve.py), and the
summary's line when a school is too large for the promise. Expected values by hand: the
promise is 1.5 x limit + 2 s, the backstop 1.5 x limit + 0.7 s (1.3 s between them)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from afterschool.scheduler.planning.cpsat import Deadline
from afterschool.scheduler.planning.reserve import (after_solve, kept, leaving, limit_for,
                                                    promise)
from afterschool.scheduler.reading.reader import read_instance

BUNDLED = Path(__file__).resolve().parent.parent / "instances" / "haijiang"


def test_the_promise_and_the_limit_that_keeps_it():
    assert promise(7) == 12.5
    assert kept(7, 12.5) and not kept(7, 12.6)
    assert limit_for(13.4) == 8  # (13.4 - 2) / 1.5 = 7.6 -> 8: 1.5 x 8 + 2 = 14 >= 13.4
    assert limit_for(20.0) == 12  # exactly 12: 1.5 x 12 + 2 = 20
    assert limit_for(0.5) == 1
    # at 7 s a command took 16.8 s; its grouping stages take 0.85 of each further limit
    # second: 16.8 + 0.85 (N - 7) <= 1.5 N + 2 -> N >= (16.8 - 5.95 - 2) / 0.65 = 13.6
    assert limit_for(16.8, 7) == 14
    assert limit_for(12.0, 7) == limit_for(12.0) == 7  # within the promise: the limit itself
    # writes of 13.3 s: 12 s beyond the 1.3 s margin, 15 s taken 25 % up; the solve keeps
    # 0.6 of its backstop, so the backstop must be 15 / 0.4 = 37.5 s: 1.5 N + 0.7 >= 37.5
    # -> N >= 24.53 -> 25
    assert limit_for(22.5, 7, 13.3) == 25


def test_writes_the_margin_holds_leave_the_deadline_as_it_is():
    whole = Deadline.for_limit(7.0, clock=lambda: 0.0)
    assert leaving(whole, 0.0) is whole
    assert leaving(whole, 1.3) is whole  # 12.5 - 11.2: the writes' own margin


def test_writes_beyond_the_margin_come_off_the_solve_s_backstop():
    clock = [0.0]
    whole = Deadline.for_limit(7.0, clock=lambda: clock[0])
    solve = leaving(whole, 2.9)  # 1.6 s beyond the 1.3 s margin, taken 25 % up: 2.0 s
    assert solve is not whole
    assert solve.seconds == pytest.approx(11.2 - 2.0)
    assert solve.limit == 7.0  # the grouping's shares of the limit stay whole
    assert solve.part_of_limit(0.5).seconds == pytest.approx(3.5)
    assert solve.part(0.5).seconds == pytest.approx(4.6)  # the staffing's share shrinks
    clock[0] = 6.0
    assert solve.left() == pytest.approx(3.2) and whole.left() == pytest.approx(5.2)
    # the clock's cuts and Ctrl-C are the command's
    whole.stage = "staffing"
    clock[0] = 9.5
    assert solve.expired() and whole.cuts == ["staffing"] and not whole.expired()
    solve.expire()
    assert whole.stopped


def test_the_solve_keeps_its_floor_however_much_the_writes_need():
    whole = Deadline.for_limit(7.0, clock=lambda: 0.0)
    assert leaving(whole, 20.0).seconds == pytest.approx(0.6 * 11.2)  # SOLVE_MIN


def test_a_small_school_keeps_its_whole_deadline():
    """The bundled school's record and hand-outs fit the margin: its plan is not changed."""
    inst = read_instance(BUNDLED)
    assert after_solve(inst, set()) <= 1.3
    whole = Deadline.for_limit(7.0, clock=lambda: 0.0)
    assert leaving(whole, after_solve(inst, set())) is whole


def _school(signups: int, staff: int):
    pupils = [SimpleNamespace(noon=("Mon",), afternoon=()) for _ in range(signups)]
    return SimpleNamespace(enrolled=pupils, teachers=[object()] * staff)


def test_the_estimate_grows_with_the_school_and_shrinks_with_skip():
    big, small = _school(10000, 400), _school(1000, 40)
    assert after_solve(big, set()) > after_solve(small, set()) > 0
    full = after_solve(big, set())
    no_charts = after_solve(big, {"charts"})
    record_only = after_solve(big, {"all"})
    assert full > no_charts > record_only > 0
    assert after_solve(big, {"all"}, record=False) == 0
    assert after_solve(big, {"workbook", "notice", "rosters", "report", "charts"}) == \
        record_only


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_summary_says_when_the_promise_was_not_kept(lang):
    from afterschool.cli import _promise_missed
    late = SimpleNamespace(elapsed=lambda: 20.0)
    line = _promise_missed(late, 7.0, lang, after=0.1)  # plan's: its writes' estimate
    # (20 - 0.85 x 7 - 2) / 0.65 = 18.5 -> 19
    assert "20.0" in line and "12.5" in line and "--time-limit 19" in line
    if lang == "zh":  # no English words for a Chinese school (the option's name apart)
        import re
        assert not re.findall(r"[A-Za-z]{2,}", line.replace("--time-limit", ""))
    on_time = SimpleNamespace(elapsed=lambda: 12.5)
    assert _promise_missed(on_time, 7.0, lang) is None
