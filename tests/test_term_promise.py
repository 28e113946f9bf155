"""The term commands' time promise (issue 23): replan, substitute and clubs count their CPU
from their first line, reading included, and their searches get what reading and the writes
leave (reserve.after_term, reserve.searching). Not timed: the clock is a counter or a
function of the test's; expected values by hand (promise 1.5 x limit + 2 s, backstop
1.5 x limit + 0.7 s, 1.3 s between them)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from afterschool.scheduler.planning.cpsat import Deadline
from afterschool.scheduler.planning.reserve import (CHARTS_IMPORT, TERM_FLOOR, TERM_SLOWER,
                                                    UNSURE, after_solve, after_term, searching)


def _school(signups: int, staff: int):
    pupils = [SimpleNamespace(noon=("Mon",), afternoon=()) for _ in range(signups)]
    return SimpleNamespace(enrolled=pupils, teachers=[object()] * staff)


def test_a_term_command_writes_more_than_plan_and_less_without_charts():
    school = _school(1000, 40)
    for command in ("replan", "substitute", "clubs"):
        assert after_term(school, command) > after_solve(school)
        # matplotlib is imported only when charts are drawn: its import is reserved only then
        charts = after_solve(school) - after_solve(school, {"charts"})
        assert after_term(school, command) - after_term(school, command, {"charts"}) == \
            pytest.approx(charts + CHARTS_IMPORT)
    assert after_term(_school(10000, 400), "replan") > after_term(school, "replan")


def test_the_search_keeps_its_limit_where_reading_was_quick_and_the_writes_fit():
    clock = [0.0]
    whole = Deadline.for_limit(2.0, clock=lambda: clock[0])  # backstop 3.7, promise 5
    search = searching(whole, 0.2)  # within the 1.3 s margin: the backstop stays
    assert search is not whole and search.seconds == pytest.approx(3.7)
    # on a machine 2x slower: 5 / 2 - 0.2 = 2.3 > 2, so the limit itself
    assert search.limit == pytest.approx(2.0)
    assert whole.limit == 2.0  # the command's own is not touched


def test_reading_and_the_writes_shrink_the_search_budgets():
    clock = [0.0]
    whole = Deadline.for_limit(10.0, clock=lambda: clock[0])  # backstop 15.7, promise 17
    # start-up and reading estimated at 2 s, the writes at 2.5 s (1.2 s beyond the margin,
    # taken 1.25 times, reserve.UNSURE: the backstop moves to 15.7 - 1.5 = 14.2); on a
    # machine 2x slower all must fit 17 s: 17 / 2 - 2.0 - 2.5 = 4.0 s of search
    search = searching(whole, 2.5, before=2.0)
    assert search.seconds == pytest.approx(14.2) and UNSURE == 1.25
    assert search.limit == pytest.approx(4.0) and TERM_SLOWER == 2.0
    slow = searching(whole, 2.5, rate=1.2, before=2.0)  # 1.2 CPU s of search a limit-second
    assert slow.limit == pytest.approx(4.0 / 1.2)
    slower = searching(whole, 2.5, rate=4.0, before=2.0)  # 1.0: below the floor
    assert slower.limit == pytest.approx(TERM_FLOOR) and TERM_FLOOR == 2.0
    # estimates, not the clock: however long this run's reading took, the same budgets
    clock[0] = 4.0
    assert searching(whole, 2.5, before=2.0).limit == pytest.approx(search.limit)
    # the clock's cuts and Ctrl-C are the command's
    search.expire()
    assert whole.stopped


def test_a_school_too_large_still_gets_the_old_defaults_search():
    whole = Deadline.for_limit(5.0, clock=lambda: 0.0)
    search = searching(whole, 10.0, before=9.0)  # reading alone is beyond the promise
    assert search.limit == pytest.approx(2.0)  # the old default's budgets
    small = Deadline.for_limit(1.0, clock=lambda: 0.0)
    assert searching(small, 10.0, before=9.0).limit == pytest.approx(1.0)  # never above it


@pytest.fixture
def term(tiny, tmp_path):
    from afterschool.cli import main
    out = tmp_path / "term"
    r = CliRunner().invoke(main, ["plan", str(tiny), "--out", str(out), "--skip", "all",
                                  "--time-limit", "2"])
    assert r.exit_code in (0, 3), r.output
    return tiny, out


class _Stop(Exception):
    pass


def _counting(monkeypatch, step_at_read: float):
    """The CLI's clock as a counter: each call 0.01 s later; reading costs ``step_at_read``."""
    import afterschool.cli as cli
    from afterschool.scheduler.reading import reader
    now = [100.0]
    seen: dict = {"read_at": None}

    def clock():
        now[0] += 0.01
        return now[0]
    monkeypatch.setattr(cli, "_clock", clock)
    real = reader.read_instance

    def read(*a, **k):
        if seen["read_at"] is None:
            seen["read_at"] = clock()
        now[0] += step_at_read
        return real(*a, **k)
    monkeypatch.setattr(reader, "read_instance", read)
    return seen


def test_replan_starts_its_deadline_before_reading_and_shrinks_the_search(term, monkeypatch):
    from afterschool.cli import main
    from afterschool.scheduler.planning import replan as R
    school, out = term
    seen = _counting(monkeypatch, 3.0)

    def fake(inst, previous, start, **kw):
        seen["deadline"] = kw["deadline"]
        assert kw["time_limit"] == kw["deadline"].limit  # the budgets come from it
        raise _Stop
    monkeypatch.setattr(R, "replan", fake)
    CliRunner().invoke(main, ["replan", str(school), "--previous", str(out), "--from",
                              "2026-09-15", "--skip", "all"])
    d = seen["deadline"]
    root = d.root()
    assert root.start < seen["read_at"]  # counted from before reading
    assert root.limit == 7.0  # the default
    # 10 sign-ups, --skip all: the record 0.1 + 10 x 1.0e-4, the change tables
    # 0.1 + 10 x 2.5e-4 and the exit 10 x 1.2e-4 after, start-up and reading
    # 2 + 10 x 2.3e-4 before: 12.5 / 2 - 2.0023 - 0.2047 = 4.043, whatever the clock said
    assert d.limit == pytest.approx(12.5 / 2 - 2.0023 - 0.2047)


def test_substitute_starts_its_deadline_before_reading(term, monkeypatch):
    from afterschool.cli import main
    from afterschool.scheduler.planning import substitute as S
    school, out = term
    seen = _counting(monkeypatch, 0.0)

    def fake(inst, plan, absent, dates, **kw):
        seen["deadline"] = kw["deadline"]
        assert kw["time_limit"] == kw["deadline"].limit  # the budgets come from it
        raise _Stop
    monkeypatch.setattr(S, "substitute", fake)
    CliRunner().invoke(main, ["substitute", str(school), str(out), "--teacher", "T1",
                              "--dates", "2026-09-15", "--time-limit", "4"])
    d = seen["deadline"]
    assert d.root().start < seen["read_at"]
    assert d.root().limit == 4.0
    assert d.limit <= 4.0


@pytest.mark.parametrize("command", ["replan", "substitute", "clubs"])
def test_the_help_states_the_promise_and_the_default(command):
    from afterschool.cli import main
    text = " ".join(CliRunner().invoke(main, [command, "--help"],
                                       env={"LC_ALL": "en_US.UTF-8"}).output.split())
    assert "1.5 x limit + 2 s" in text or "as for replan" in text
    assert ("default: 10.0" if command == "clubs" else "default: 7.0") in text
    text = "".join(CliRunner().invoke(main, [command, "--help"],
                                      env={"LC_ALL": "zh_CN.UTF-8"}).output.split())
    assert "1.5×时限+2秒" in text or "与replan相同" in text
    assert ("默认：10.0" if command == "clubs" else "默认：7.0") in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_summary_counts_what_the_deadline_cannot_see(lang):
    """Start-up before the command's first line and the exit after its last: 12 s counted
    plus 1 s outside is over the 12.5 s a limit of 7 promises; (13 - 2) / 1.5 = 7.3 -> 8."""
    from afterschool.cli import _promise_missed
    from afterschool.scheduler.planning.reserve import outside
    counted = SimpleNamespace(elapsed=lambda: 12.0)
    assert _promise_missed(counted, 7.0, lang) is None
    line = _promise_missed(counted, 7.0, lang, outside=1.0)
    assert "13.0" in line and "--time-limit 8" in line
    assert outside(_school(10000, 400)) == pytest.approx(0.4 + 1.2)  # the 10x school's
