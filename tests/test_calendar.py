"""SPEC §5 service dates: holidays, make-up days, official calendar coverage."""
from datetime import date

from afterschool.models.school import Term
from afterschool.scheduler.rules.calendar import calendar_warnings, day_counts, term_dates


def test_eighteen_full_weeks():
    term = Term(date(2026, 3, 2), date(2026, 7, 3), official_holidays=False)  # Mon..Fri, 18 wk
    assert day_counts(term) == {d: 18 for d in ("Mon", "Tue", "Wed", "Thu", "Fri")}


def test_holiday_removes_and_makeup_adds():
    base = Term(date(2026, 9, 7), date(2026, 9, 20), official_holidays=False)
    assert day_counts(base)["Tue"] == 2
    hol = Term(base.start, base.end, frozenset({date(2026, 9, 8)}), official_holidays=False)
    assert day_counts(hol)["Tue"] == 1
    mk = Term(base.start, base.end, makeup_days=((date(2026, 9, 19), "Fri"),),
              official_holidays=False)
    assert day_counts(mk)["Fri"] == 3
    assert date(2026, 9, 19) in term_dates(mk)["Fri"]


def test_official_holidays_from_package():
    term = Term(date(2026, 9, 28), date(2026, 10, 9))  # National Day 10-01..10-07
    assert date(2026, 10, 1) not in term_dates(term)["Thu"]
    assert date(2026, 9, 29) in term_dates(term)["Tue"]
    assert calendar_warnings(term) == []


def test_uncovered_year_warns_with_dates():
    term = Term(date(2026, 9, 1), date(2027, 1, 22))
    (warning,) = calendar_warnings(term)
    assert "2027-01-01..2027-01-22" in warning and "holidays" in warning


def test_uncovered_year_names_listed_holidays():
    term = Term(date(2026, 9, 1), date(2027, 1, 22), frozenset({date(2027, 1, 1)}))
    (warning,) = calendar_warnings(term)
    assert "lists 2027-01-01" in warning


def test_national_day_week_with_a_makeup_saturday_by_hand():
    # 2026-09-28 (Mon) .. 10-10 (Sat): 10-01..10-07 are official holidays, 10-10 is listed
    # as a working Saturday that follows Friday. By hand: Mon 09-28, Tue 09-29, Wed 09-30,
    # Thu 10-08, Fri 10-09 and 10-10.
    term = Term(date(2026, 9, 28), date(2026, 10, 10),
                makeup_days=((date(2026, 10, 10), "Fri"),))
    assert day_counts(term) == {"Mon": 1, "Tue": 1, "Wed": 1, "Thu": 1, "Fri": 2}
    assert term_dates(term)["Fri"] == [date(2026, 10, 9), date(2026, 10, 10)]
