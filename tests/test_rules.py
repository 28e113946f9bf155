"""SPEC §4: standard teachers T(n), managers M(c), duty windows and peak concurrency."""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterschool.models.school import default_sessions
from afterschool.scheduler.rules.staffing import (
    duty_windows,
    managers_for_window,
    managers_needed,
    peak_concurrency,
    standard_teachers,
)

SESSIONS = {s.id: s for s in default_sessions()}


@pytest.mark.parametrize("n, t", [(0, 0), (1, 1), (30, 1), (31, 1), (45, 1), (75, 1), (76, 2),
                                  (90, 2), (120, 2), (121, 3)])
def test_standard_teachers_spec_examples(n, t):
    assert standard_teachers(n) == t


@pytest.mark.parametrize("c, m", [(0, 0), (1, 0), (2, 0), (3, 0), (4, 1), (5, 1), (8, 1),
                                  (9, 2), (13, 2), (14, 3), (18, 3), (19, 4)])
def test_managers_spec_examples(c, m):
    assert managers_needed(c) == m


@given(st.integers(0, 5000))
def test_standard_teachers_monotone_and_below_cap_groups(n):
    assert standard_teachers(n) <= standard_teachers(n + 1)
    assert standard_teachers(n) <= math.ceil(n / 45)
    assert (standard_teachers(n) >= 1) == (n >= 1)


@given(st.integers(0, 1000))
def test_managers_one_more_every_five_groups(c):
    # SPEC §4 by hand: M(0..3) = 0 and M(4..8) = 1 (the table above), and every 5 more groups
    # at once add exactly one manager; never fewer managers for more groups
    assert managers_needed(c + 5) == managers_needed(c) + 1
    assert managers_needed(c) <= managers_needed(c + 1)


@given(st.integers(31, 5000))
def test_standard_teachers_one_more_every_45_students(n):
    # SPEC §4 by hand: from 31 students on (T(31) = 1, T(76) = 2), 45 more students add
    # exactly one teacher; below 31 the floor of 1 holds (T(1) = T(46) = 1)
    assert standard_teachers(n + 45) == standard_teachers(n) + 1


def test_negative_counts_rejected():
    with pytest.raises(ValueError):
        standard_teachers(-1)
    with pytest.raises(ValueError):
        managers_needed(-1)


def test_duty_windows_default():
    tue = duty_windows(SESSIONS.values(), "Tue")
    assert [(w.id, w.start, w.end, w.sessions) for w in tue] == [
        ("noon", 680, 810, ("noon",)), ("afternoon", 935, 1040, ("after-lower", "after-upper"))]
    assert [w.id for w in duty_windows(SESSIONS.values(), "Mon")] == ["noon"]


def test_overlap_counts_lower_and_upper_together():
    # SPEC example: 3 lower + 2 upper groups -> 5 concurrent 16:20–16:35 -> 1 manager
    aft = duty_windows(SESSIONS.values(), "Tue")[1]
    groups = {"after-lower": 3, "after-upper": 2}
    assert peak_concurrency(aft, SESSIONS, groups) == 5
    assert managers_for_window(aft, SESSIONS, groups) == 1
    assert managers_for_window(aft, SESSIONS, {"after-lower": 3}) == 0
