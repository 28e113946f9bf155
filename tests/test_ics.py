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


# ------------------------------------------------- chained substitutions and re-plans

def dated_pay(plan) -> dict[str, int]:
    """Minutes per person by the pay rule (``dated_minutes``) on the tiny term."""
    from types import SimpleNamespace

    from afterschool.models.school import Term
    from afterschool.scheduler.money.accounts import dated_minutes
    term = Term(date(2026, 9, 7), date(2026, 9, 25), frozenset({date(2026, 9, 15)}),
                ((date(2026, 9, 19), "Fri"),), official_holidays=False)
    out: dict[str, int] = {}
    for (staff, _, _), m in dated_minutes(SimpleNamespace(school=SimpleNamespace(term=term)),
                                          plan).items():
        out[staff] = out.get(staff, 0) + m
    return out


def sub(staff, replaces, slots, when="2026-09-21"):
    return [dict(date=when, day="Mon", session="noon", window=None, slot=slot,
                 group="noon-01", start=a, end=z, role="teacher", staff=staff,
                 replaces=replaces) for a, z, slot in slots]


def by_uid(plan, staff):
    return {str(e["uid"]): e for e in events(plan, staff)}


@pytest.mark.parametrize("chain", ["nobody-and-T3", "nobody-first-slot"])
def test_chained_substitution_calendar_equals_pay(chain):
    """T2 covers T1's 11:20-12:20 on Mon 09-21 (tiny_plan); then T2 is absent that date too.
    nobody-and-T3: 11:20-11:40 to nobody, 11:40-12:20 to T3 (A -> B -> C, B -> nobody).
      T1 390 (unchanged); T2 700 - 60 = 640; T3 40 (11:40-12:20).
      T2's substitute event 11:20-12:20 is gone: CANCELLED, SEQUENCE 0 -> 1.
    nobody-first-slot: only 11:20-11:40 to nobody; T2 keeps 11:40-12:20.
      T1 390; T2 700 - 20 = 680; T2's old event (UID ...-1120-...) CANCELLED, a new one
      11:40-12:20 (UID ...-1140-...)."""
    plan = tiny_plan(True)
    before = by_uid(plan, "T2")
    plan.exceptions += sub(None, "T2", NOON[:1])
    if chain == "nobody-and-T3":
        plan.exceptions += sub("T3", "T2", NOON[1:2])
    want = {"T1": 390, "T2": 640, "T3": 40} if chain == "nobody-and-T3" else \
        {"T1": 390, "T2": 680}
    assert dated_pay(plan) == want
    for staff, minutes in want.items():
        assert expanded_minutes(roster_calendar(plan, staff, "zh")) == minutes, staff
    after = by_uid(plan, "T2")
    old = "sub-T2-Mon-noon-noon-01-1120-20260921@afterschool"
    assert int(before[old]["sequence"]) == 0 and str(before[old]["status"]) == "CONFIRMED"
    assert str(after[old]["status"]) == "CANCELLED" and int(after[old]["sequence"]) == 1
    assert after[old]["dtstamp"].dt > before[old]["dtstamp"].dt
    live = [e for u, e in after.items() if u.startswith("sub-")
            and str(e["status"]) != "CANCELLED"]
    if chain == "nobody-and-T3":
        assert live == []
        t3 = [e for u, e in by_uid(plan, "T3").items() if u.startswith("sub-")]
        assert [(e.decoded("dtstart").strftime("%H:%M"), e.decoded("dtend").strftime("%H:%M"))
                for e in t3] == [("11:40", "12:20")]
    else:
        assert [(e.decoded("dtstart").strftime("%H:%M"), e.decoded("dtend").strftime("%H:%M"))
                for e in live] == [("11:40", "12:20")]
    # T1's own series: one date taken (by T2), whatever happened to T2 afterwards
    series = next(e for u, e in by_uid(plan, "T1").items() if "noon" in u and "rrule" in e)
    assert int(series["sequence"]) == 1


def replanned(plan: Plan, start: str) -> Plan:
    """What ``replan`` does to the versions and exceptions of ``plan`` from ``start``, with
    the same duties: the current version goes to history, exceptions from ``start`` on are
    dropped and listed in ``extra["replan"]["dropped_exceptions"]``."""
    prev_from = plan.valid_from or plan.extra["term"]["start"]
    day_before = (date.fromisoformat(start).toordinal() - 1)
    new = Plan(status=plan.status, duties=list(plan.duties), extra=dict(plan.extra),
               valid_from=start, history=list(plan.history) + [version_json(
                   prev_from, date.fromordinal(day_before).isoformat(), [], plan.duties, [])],
               exceptions=[x for x in plan.exceptions if x["date"] < start])
    new.extra["replan"] = {"dropped_exceptions": list(
        plan.extra.get("replan", {}).get("dropped_exceptions", [])) + [
        dict(x, dropped_from=start, dropped_by_version=len(new.history))
        for x in plan.exceptions if x["date"] >= start]}
    return new


def test_replan_dropping_a_substitution_never_lowers_sequence_and_cancels_it():
    """Version 1 = tiny_plan(True): T2 covers T1's 11:20-12:20 on Mon 09-21. A re-plan from
    Mon 09-21 (same duties) drops that substitution.
      T1's noon series: SEQUENCE 1 (09-21 excluded) -> 0 (no shape change) + 2 (a date
      taken, then given back) = 2; 09-21 no longer an EXDATE; the leftover 12:20-13:30
      event of 09-21 is CANCELLED at SEQUENCE 1 (the series holds 09-21 again).
      T2's substitute event: CANCELLED, SEQUENCE 1.
      Pay: T1 3 x 130 + 60 = 450; T2 520 + 120 = 640."""
    v1 = tiny_plan(True)
    v2 = replanned(v1, "2026-09-21")
    assert dated_pay(v2) == {"T1": 450, "T2": 640}
    for staff in ("T1", "T2"):
        a, b = by_uid(v1, staff), by_uid(v2, staff)
        assert set(a) <= set(b), staff  # nothing vanishes: what is gone is CANCELLED
        for uid, e in a.items():
            assert int(b[uid]["sequence"]) >= int(e["sequence"]), uid
            assert b[uid]["dtstamp"].dt >= e["dtstamp"].dt, uid
            if b[uid].to_ical() != e.to_ical():
                assert int(b[uid]["sequence"]) > int(e["sequence"]), uid
        assert expanded_minutes(roster_calendar(v2, staff, "zh")) == dated_pay(v2)[staff]
    t1 = by_uid(v2, "T1")
    series = t1["T1-Mon-noon-noon-01-1120@afterschool"]
    assert int(series["sequence"]) == 2 and "exdate" not in series
    left = t1["T1-Mon-noon-noon-01-1220-20260921@afterschool"]
    assert str(left["status"]) == "CANCELLED" and int(left["sequence"]) == 1
    gone = by_uid(v2, "T2")["sub-T2-Mon-noon-noon-01-1120-20260921@afterschool"]
    assert str(gone["status"]) == "CANCELLED" and int(gone["sequence"]) == 1
    # a new substitution on the same date after the re-plan, then a second re-plan
    v3 = Plan(**{**v2.__dict__, "exceptions": v2.exceptions + sub("T2", "T1", NOON[:2])})
    v4 = replanned(v3, "2026-09-21")
    for staff in ("T1", "T2"):
        seqs = [{u: int(e["sequence"]) for u, e in by_uid(p, staff).items()}
                for p in (v1, v2, v3, v4)]
        for earlier, later in zip(seqs, seqs[1:]):
            assert all(later.get(u, -1) >= s for u, s in earlier.items()), staff
    assert str(by_uid(v3, "T2")["sub-T2-Mon-noon-noon-01-1120-20260921@afterschool"]
               ["status"]) == "CONFIRMED"


def test_cli_chain_and_replan_calendars_agree_with_pay_and_never_go_back(tmp_path):
    """End to end on a tiny school (two weeks, Tue/Thu afternoons, four volunteers): plan;
    A absent Tue 09-15 (B covers); B absent that date too (someone else or nobody covers);
    re-plan from 09-15 (drops both substitutions). Each calendar's expanded minutes equal
    the pay in plan.json; from one plan to the next no UID vanishes and no SEQUENCE or
    DTSTAMP goes back."""
    import json

    from click.testing import CliRunner

    from afterschool.cli import main
    from school_files import SCHOOL, write_instance
    school = SCHOOL.replace("end = 2026-09-11", "end = 2026-09-18")
    people = "".join(f"T{i},Name{i},yes,no,staff,,,,no\n" for i in range(1, 5))
    av = "".join(f"T{i},{d},after-upper,available\n" for i in range(1, 5) for d in ("Tue", "Thu"))
    folder = write_instance(tmp_path / "s", students="S1,Kid1,3,3-1,,Tue Thu,,normal,,,"
                            "enrolled,\nS2,Kid2,3,3-1,,Tue Thu,,normal,,,enrolled,\n",
                            teachers=people, availability=av, school=school)

    def run(*args):
        res = CliRunner().invoke(main, [*map(str, args)])
        assert res.exit_code in (0, 3), res.output
        return res

    def plan_of(name):
        return json.loads((tmp_path / name / "plan.json").read_text(encoding="utf-8"))

    run("plan", folder, "--out", tmp_path / "p0", "--time-limit", "1", "--skip", "all")
    a = next(d["staff"] for d in plan_of("p0")["duties"] if d["day"] == "Tue")
    run("substitute", folder, tmp_path / "p0", "--teacher", a, "--dates", "2026-09-15",
        "--out", tmp_path / "s1", "--skip", "all")
    b = next((x["staff"] for x in plan_of("s1")["exceptions"] if x["staff"]), None)
    assert b is not None
    run("substitute", folder, tmp_path / "s1", "--teacher", b, "--dates", "2026-09-15",
        "--out", tmp_path / "s2", "--skip", "all")
    assert any(x["replaces"] == b for x in plan_of("s2")["exceptions"])
    run("replan", folder, "--previous", tmp_path / "s2", "--from", "2026-09-15", "--out",
        tmp_path / "r", "--skip", "all", "--time-limit", "1")
    # the duties are unchanged, so the re-plan keeps both covers (absences are facts)
    stats = plan_of("r")["replan"]
    assert (stats["exceptions_kept"], stats["exceptions_dropped"]) == (
        len(plan_of("s2")["exceptions"]), 0)
    cals = {}
    for name in ("s1", "s2", "r"):
        run("roster", tmp_path / name, "--all", "--format", "ics", "--out",
            tmp_path / f"ics-{name}")
        pay = {r["staff"]: r["minutes"] for r in plan_of(name)["pay"]}
        cals[name] = {}
        for f in sorted((tmp_path / f"ics-{name}").glob("*.ics")):
            assert expanded_minutes(f.read_bytes()) == pay.get(f.stem, 0), (name, f.stem)
            cals[name][f.stem] = {str(e["uid"]): (int(e["sequence"]), e["dtstamp"].dt)
                                  for e in Calendar.from_ical(f.read_bytes()).walk("VEVENT")}
    assert any(u.startswith("sub-") for c in cals["s1"].values() for u in c)
    for old, new in (("s1", "s2"), ("s2", "r")):
        for who, uids in cals[old].items():
            for uid, (seq, stamp) in uids.items():
                assert uid in cals[new].get(who, {}), (old, new, uid)
                assert cals[new][who][uid] >= (seq, stamp), (old, new, uid)


def test_partial_substitution_on_a_date_of_an_older_shape_keeps_the_rest():
    """Version 1 (09-07..09-15): T1 noon Mon 11:20-13:30, Wed upper; T2 manager Fri.
    Version 2 (from 09-16): T1 noon Mon ends 13:00 (no 午休); T2 takes Wed upper.
    On Mon 09-14 (a date of the older shape) T2 covers T1's 11:20-11:40.
      T1: Mon 09-07 130 + 09-14 (130 - 20 = 110) + 09-21 (v2: 11:20-13:00 = 100)
          + Wed 09-09 60 = 400; on 09-14 the calendar keeps 11:40-13:30 as one event.
      T2: manager 4 x 130 = 520 + Wed 09-16, 09-23 2 x 60 + 09-14 20 = 660."""
    plan = tiny_plan(True, exceptions=False)
    plan.duties = noon("T1")[:3] + [MANAGER, upper("T2")]
    plan.exceptions = sub("T2", "T1", NOON[:1], when="2026-09-14")
    want = {"T1": 400, "T2": 660}
    assert dated_pay(plan) == want
    for staff, minutes in want.items():
        assert expanded_minutes(roster_calendar(plan, staff, "zh")) == minutes, staff
    kept = [e for e in events(plan, "T1") if e.decoded("dtstart").date() == date(2026, 9, 14)]
    assert [(e.decoded("dtstart").strftime("%H:%M"), e.decoded("dtend").strftime("%H:%M"))
            for e in kept] == [("11:40", "13:30")]
