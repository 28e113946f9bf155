"""Phone calendars over plan versions: merged duties, stable UIDs, cancellations,
substitutions, and minutes of the expanded events equal to the person's pay (by hand)."""
from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar

from afterschool.models.plan import Duty, Plan, version_json
from afterschool.scheduler.handouts.ics import roster_calendar

recurring_ical_events = pytest.importorskip("recurring_ical_events")

NOON = [("11:20", "11:40", "准备"), ("11:40", "12:20", "午餐"), ("12:20", "13:00", "作业辅导"),
        ("13:00", "13:30", "午休")]


def noon(staff, day="Mon", group="noon-01"):
    return [Duty(day, a, z, staff, "teacher", "noon", group, slot) for a, z, slot in NOON]


def upper(staff, day="Wed"):
    return Duty(day, "16:20", "17:20", staff, "teacher", "after-upper", "after-upper-01", "作业")


MANAGER = Duty("Fri", "11:20", "13:30", "T2", "manager", window="noon")

# Term Mon 2026-09-07 .. Fri 09-25; Tue 09-15 a holiday; Sat 09-19 a make-up day that
# follows Friday's timetable.
CALENDAR = {"Mon": ["2026-09-07", "2026-09-14", "2026-09-21"],
            "Tue": ["2026-09-08", "2026-09-22"],
            "Wed": ["2026-09-09", "2026-09-16", "2026-09-23"],
            "Thu": ["2026-09-10", "2026-09-17", "2026-09-24"],
            "Fri": ["2026-09-11", "2026-09-18", "2026-09-19", "2026-09-25"]}


def tiny_plan(history: bool, exceptions: bool = True) -> Plan:
    """Version 1 (09-07..09-15): T1 noon Mon (4 slots), T1 Wed upper, T2 manager Fri.
    Version 2 (from 09-16): T1's Wed duty goes to T2; the rest unchanged. On Mon 09-21 T2
    covers T1's first two noon slots (11:20-12:20).

    Paid minutes, by hand:
      T1: Mon noon 09-07, 09-14 = 2 x 130; 09-21 only 12:20-13:30 = 70; Wed 09-09 (v1) = 60
          -> 390.
      T2: manager Fri 09-11, 09-18, 09-19 (make-up), 09-25 = 4 x 130 = 520; Wed 09-16,
          09-23 (v2) = 2 x 60; Mon 09-21 substitute 60 -> 700.
    """
    current = noon("T1") + [MANAGER, upper("T2")]
    plan = Plan(status="OPTIMAL", duties=current if history else noon("T1") + [MANAGER,
                                                                                upper("T1")],
                extra={"school": "测试小学", "term": {"start": "2026-09-07",
                                                    "end": "2026-09-25"},
                       "calendar": CALENDAR,
                       "sessions": {"noon": {"name": "午托"},
                                    "after-upper": {"name": "晚托(高年级)"}}})
    if history:
        plan.valid_from = "2026-09-16"
        plan.history = [version_json("2026-09-07", "2026-09-15", [],
                                     noon("T1") + [MANAGER, upper("T1")], [])]
    if exceptions and history:
        plan.exceptions = [dict(date="2026-09-21", day="Mon", session="noon", window=None,
                                slot=slot, group="noon-01", start=a, end=z, role="teacher",
                                staff="T2", replaces="T1") for a, z, slot in NOON[:2]]
    return plan


def events(plan, staff, **kw):
    return Calendar.from_ical(roster_calendar(plan, staff, "zh", **kw)).walk("VEVENT")


def expanded_minutes(ics: bytes) -> int:
    cal = Calendar.from_ical(ics)
    occ = recurring_ical_events.of(cal).between(date(2026, 9, 1), date(2026, 10, 1))
    return sum(int((e.decoded("dtend") - e.decoded("dtstart")).total_seconds() // 60)
               for e in occ if str(e.get("status", "CONFIRMED")) != "CANCELLED")


def test_noon_duty_is_one_event_with_its_slots():
    evs = [e for e in events(tiny_plan(False), "T1") if "noon" in str(e["uid"])]
    assert len(evs) == 1
    e = evs[0]
    assert e.decoded("dtstart").strftime("%H:%M") == "11:20"
    assert e.decoded("dtend").strftime("%H:%M") == "13:30"
    assert str(e.decoded("dtstart").tzinfo) == "Asia/Shanghai"
    assert "12:20-13:00 作业辅导" in str(e["description"])
    assert "午托1组" in str(e["summary"]) and "noon-01" not in str(e["summary"])
    assert e["rrule"]["FREQ"] == ["WEEKLY"]


def test_holiday_excluded_make_up_day_its_own_event_alarm_configurable():
    plan = tiny_plan(False)
    t2 = events(plan, "T2")
    starts = sorted(e.decoded("dtstart").date().isoformat() for e in t2)
    assert "2026-09-19" in starts  # the make-up Saturday as its own event, not an RDATE
    assert not any("RDATE" in e for e in t2)
    assert all(e.walk("VALARM")[0]["trigger"].dt.total_seconds() == -15 * 60 for e in t2)
    assert not any(e.walk("VALARM") for e in events(plan, "T2", alarm=0))
    ics = roster_calendar(plan, "T2", "zh", alarm=30)
    assert b"TRIGGER:-PT30M" in ics


@pytest.mark.parametrize("history", [False, True])
def test_expanded_minutes_equal_pay(history):
    plan = tiny_plan(history)
    # no history: T1 Mon noon 3 x 130 + Wed 3 x 60 = 570; T2 manager 4 x 130 = 520
    want = {"T1": 390, "T2": 700} if history else {"T1": 570, "T2": 520}
    for staff, minutes in want.items():
        assert expanded_minutes(roster_calendar(plan, staff, "zh")) == minutes, staff


def test_uids_stable_across_versions_and_removed_duty_cancelled():
    before = {str(e["uid"]): e for e in events(tiny_plan(False), "T1")}
    after = {str(e["uid"]): e for e in events(tiny_plan(True, exceptions=False), "T1")}
    noon_uid = next(u for u in before if "noon" in u)
    wed_uid = next(u for u in before if "after-upper" in u)
    assert noon_uid in after and int(after[noon_uid]["sequence"]) == 0
    assert after[noon_uid]["dtstamp"].dt == before[noon_uid]["dtstamp"].dt
    assert str(after[wed_uid]["status"]) == "CANCELLED"
    assert int(after[wed_uid]["sequence"]) > int(before[wed_uid]["sequence"])
    assert after[wed_uid]["dtstamp"].dt > before[wed_uid]["dtstamp"].dt


def test_substitution_excludes_the_date_and_gives_the_substitute_an_event():
    plan = tiny_plan(True)
    t1 = {str(e["uid"]): e for e in events(plan, "T1")}
    series = next(e for u, e in t1.items() if "noon" in u and "rrule" in e)
    exdates = {d.dt.date() for x in (series.get("exdate") if isinstance(series.get("exdate"),
                                                                       list)
                                      else [series["exdate"]]) for d in x.dts}
    assert date(2026, 9, 21) in exdates
    assert int(series["sequence"]) == 1  # changed once: a date given to a substitute
    rest = [e for e in t1.values() if e.decoded("dtstart").date() == date(2026, 9, 21)]
    assert [(e.decoded("dtstart").strftime("%H:%M"), e.decoded("dtend").strftime("%H:%M"))
            for e in rest] == [("12:20", "13:30")]
    sub = [e for e in events(plan, "T2") if str(e["uid"]).startswith("sub-")]
    assert len(sub) == 1 and sub[0].decoded("dtend").strftime("%H:%M") == "12:20"


def test_same_plan_same_bytes():
    assert roster_calendar(tiny_plan(True), "T1") == roster_calendar(tiny_plan(True), "T1")
