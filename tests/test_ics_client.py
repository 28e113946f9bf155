"""Roster calendars as a real client reads them: libical, the calendar engine of GNOME
Evolution (issue #16).

The bundled school is planned (``plan``), then an absence is covered and the substitute is
absent too (two ``substitute`` runs: a chain), then a teacher leaves and the term is
re-planned from a date that drops some of those substitutions (``replan``). Every
rosters/*.ics of the three plans is read by libical through ``tests/ical_client.py``, run by
the system Python (python3-gi, gir1.2-ical-3.0; the test venv cannot import gi), which
expands each VEVENT twice (icalcomponent_foreach_recurrence; icalrecur_iterator with RDATE
and EXDATE applied) in the zone of the file's VTIMEZONE.

What libical makes of the files is compared with what plan.json says, worked out here from
plan.json alone (duties per version, exceptions, school.toml's holidays and make-up days):
- no parse or RFC 5545 restriction error;
- per person, the minutes of the expanded, not cancelled instances equal the pay row;
- per person and date, the minutes covered equal the duties of the version in force that
  day (a make-up day follows its weekday's timetable), less what substitutes took from
  them, plus what they covered; no two instances overlap; local times are the plan's and
  their UTC instant is that local time in Asia/Shanghai;
- nothing falls on a holiday or a weekend that is no make-up day; make-up days are worked;
- what the re-plan removed (the leaver's duties, the dropped substitutions) is CANCELLED.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from afterschool.cli import main

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("ical_client.py")
HAIJIANG = Path(__file__).resolve().parents[1] / "instances" / "haijiang"
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
SKIP = ["--skip", "workbook", "--skip", "notice", "--skip", "charts", "--skip", "report"]
ABSENT_WEEK = ("2026-10-12", "2026-10-16")
REPLAN_FROM = "2026-10-14"


def libical_missing() -> str | None:
    """Why libical cannot be used from the system Python, or None."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('ICalGLib', '3.0'); "
                              "from gi.repository import ICalGLib"],
        capture_output=True, text=True, timeout=60)
    if probe.returncode:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return ("libical's GObject bindings are not installed for the system Python "
                f"(apt-get install gir1.2-ical-3.0 python3-gi): {last}")
    return None


def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def run(*args) -> None:
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code in (0, 3), res.output  # 3: written, with a shortage


def plan_json(folder: Path) -> dict:
    return json.loads((folder / "plan.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, Path]:
    why = libical_missing()
    if why:
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp("client")
    school = tmp / "haijiang"
    shutil.copytree(HAIJIANG, school)
    run("plan", school, "--out", tmp / "p0", "--time-limit", "1", *SKIP)
    p0 = plan_json(tmp / "p0")
    # the busiest person with duties that week is absent all week
    load: dict[str, int] = defaultdict(int)
    for d in p0["duties"]:
        load[d["staff"]] += minutes(d["end"]) - minutes(d["start"])
    absent = min(load, key=lambda s: (-load[s], s))
    run("substitute", school, tmp / "p0", "--teacher", absent, "--dates",
        "..".join(ABSENT_WEEK), "--out", tmp / "s1", "--time-limit", "1", *SKIP)
    # one of the substitutes is absent on a date they cover: a chain
    cover = sorted((x["date"], x["staff"]) for x in plan_json(tmp / "s1")["exceptions"]
                   if x["staff"] and x["date"] >= REPLAN_FROM)
    assert cover, "nobody covered the absence after the re-plan date"
    when, leaver = cover[0]
    run("substitute", school, tmp / "s1", "--teacher", leaver, "--dates", when,
        "--out", tmp / "s2", "--time-limit", "1", *SKIP)
    assert any(x["replaces"] == leaver for x in plan_json(tmp / "s2")["exceptions"])
    # that substitute then leaves (no available time): re-plan, dropping what is later
    avail = school / "availability.csv"
    avail.write_text("".join(line for line in avail.read_text(encoding="utf-8")
                             .splitlines(keepends=True)
                             if not line.startswith(leaver + ",")), encoding="utf-8")
    run("replan", school, "--previous", tmp / "s2", "--from", REPLAN_FROM, "--out",
        tmp / "r", "--time-limit", "1", *SKIP)
    return {"plan": tmp / "p0", "substituted": tmp / "s2", "replanned": tmp / "r",
            "school": school, "leaver": leaver}


def libical(folder: Path, plan: dict) -> dict[str, dict]:
    """What libical makes of ``folder``/rosters/*.ics, per person id."""
    start = date.fromisoformat(plan["term"]["start"]) - timedelta(days=1)
    end = date.fromisoformat(plan["term"]["end"]) + timedelta(days=2)
    files = sorted((folder / "rosters").glob("*.ics"))
    assert files
    out = subprocess.run([SYSTEM_PYTHON, str(SCRIPT), f"{start:%Y%m%d}T000000Z",
                          f"{end:%Y%m%d}T000000Z", *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return {Path(f).stem: v for f, v in json.loads(out.stdout).items()}


def school_days(school: Path) -> tuple[set[date], dict[date, str]]:
    """Holidays and make-up days (date -> the weekday whose timetable it follows), as
    school.toml writes them."""
    term = tomllib.loads((school / "school.toml").read_text(encoding="utf-8"))["term"]
    holidays: set[date] = set()
    for h in term.get("holidays", []):
        if isinstance(h, dict):
            d = h["from"]
            while d <= h["to"]:
                holidays.add(d)
                d += timedelta(days=1)
        else:
            holidays.add(h)
    return holidays, {date.fromisoformat(str(d)): wd
                      for d, wd in term.get("makeup_days", {}).items()}


def expected(plan: dict, school: Path) -> dict[str, dict[date, set[int]]]:
    """Per person and service date, the minutes of the day worked, from plan.json: the
    duties of the version in force on the timetable's weekday, then each exception of that
    date in order (the absent person loses its minutes, the substitute gains them)."""
    holidays, makeup = school_days(school)
    start = date.fromisoformat(plan["term"]["start"])
    end = date.fromisoformat(plan["term"]["end"])
    versions = [(date.fromisoformat(v["valid_from"]), date.fromisoformat(v["valid_to"]),
                 v["duties"]) for v in plan.get("history", [])]
    versions.append((date.fromisoformat(plan.get("valid_from") or plan["term"]["start"]),
                     end, plan["duties"]))
    out: dict[str, dict[date, set[int]]] = defaultdict(dict)
    d = start
    while d <= end:
        weekday = makeup.get(d) or (WEEKDAYS[d.weekday()] if d.weekday() < 5 else None)
        if weekday and d not in holidays:
            duties = next(ds for a, z, ds in versions if a <= d <= z)
            day: dict[str, set[int]] = defaultdict(set)
            for x in duties:
                if x["day"] == weekday:
                    day[x["staff"]] |= set(range(minutes(x["start"]), minutes(x["end"])))
            for e in plan.get("exceptions", []):
                if e["date"] == d.isoformat():
                    span = set(range(minutes(e["start"]), minutes(e["end"])))
                    day[e["replaces"]] -= span
                    if e["staff"]:
                        day[e["staff"]] |= span
            for staff, ms in day.items():
                if ms:
                    out[staff][d] = ms
        d += timedelta(days=1)
    return out


def worked(cal: dict) -> dict[date, list[tuple[str, str, int, int]]]:
    """Not cancelled instances per local date: (local start, local end, UTC epochs)."""
    days: dict[date, list] = defaultdict(list)
    for ev in cal["events"]:
        if ev["status"] != "cancelled":
            for a, z, ea, ez in ev["instances"]:
                days[date.fromisoformat(a[:10])].append((a, z, ea, ez))
    return days


@pytest.mark.parametrize("which", ["plan", "substituted", "replanned"])
def test_libical_expands_every_roster_to_the_paid_minutes(plans, which):
    plan = plan_json(plans[which])
    cals = libical(plans[which], plan)
    want = expected(plan, plans["school"])
    pay = {r["staff"]: r["minutes"] for r in plan["pay"]}
    holidays, makeup = school_days(plans["school"])
    assert all(m == 0 for s, m in pay.items() if s not in cals)
    assert set(want) <= set(cals)
    for staff, cal in cals.items():
        assert cal["errors"] == [], (staff, cal["errors"])  # parse errors
        assert cal["restrictions"] == [], (staff, cal["restrictions"])  # RFC 5545
        for ev in cal["events"]:
            # two libical expansions agree: foreach_recurrence, and the recurrence iterator
            # with RDATE/EXDATE applied as Evolution's data server does
            assert ev["instances"] == ev["iterated"], ev["uid"]
            assert ev["tzid"] == "Asia/Shanghai" and ev["zone_in_file"], ev["uid"]
        days = worked(cal)
        total = 0
        for d, items in days.items():
            assert d not in holidays, (staff, d)
            assert d.weekday() < 5 or d in makeup, (staff, d)
            covered: set[int] = set()
            for a, z, ea, ez in items:
                assert a[:10] == z[:10], (staff, a, z)
                # the local time libical read from the file's VTIMEZONE is the instant
                for local, epoch in ((a, ea), (z, ez)):
                    assert datetime.fromisoformat(local).replace(tzinfo=SHANGHAI) == \
                        datetime.fromtimestamp(epoch, timezone.utc), (staff, local)
                span = set(range(minutes(a[11:]), minutes(z[11:])))
                assert not covered & span, (staff, d, "two events overlap")
                covered |= span
                total += len(span)
            assert covered == want[staff].get(d, set()), (staff, d)
        assert set(want[staff]) <= set(days), (staff, sorted(set(want[staff]) - set(days)))
        assert total == pay.get(staff, 0), staff
    # the make-up days are worked, by exactly those whose Friday duties fall then
    for d in makeup:
        people = {s for s, cal in cals.items() if d in worked(cal)}
        assert people and people == {s for s in want if d in want[s]}, d


def test_what_the_replan_removed_is_cancelled_in_libical(plans):
    """The leaver's series and the substitutions the re-plan dropped are CANCELLED as
    libical reads them, and count for nothing: the leaver works only before the re-plan."""
    plan = plan_json(plans["replanned"])
    cals = libical(plans["replanned"], plan)
    leaver = plans["leaver"]
    assert not any(d["staff"] == leaver for d in plan["duties"])
    series = [ev for ev in cals[leaver]["events"] if len(ev["instances"]) > 1]
    assert series and all(ev["status"] == "cancelled" for ev in series)
    assert all(date.fromisoformat(a[:10]) < date.fromisoformat(REPLAN_FROM)
               for a, *_ in (i for days in worked(cals[leaver]).values() for i in days))
    dropped = plan["replan"]["dropped_exceptions"]
    assert dropped
    # a cover the re-plan found again for the same person that date is theirs again (SPEC §9:
    # absences are facts, covers follow): only the others must read as cancelled
    again = {(x["staff"], x["date"]) for x in plan.get("exceptions", []) if x["staff"]}
    checked = 0
    for e in dropped:
        if not e["staff"] or (e["staff"], e["date"]) in again:
            continue
        checked += 1
        tag = e["date"].replace("-", "")
        subs = [ev for ev in cals[e["staff"]]["events"]
                if ev["uid"].startswith("sub-") and f"-{tag}@" in ev["uid"]]
        assert subs and all(ev["status"] == "cancelled" for ev in subs), e
    assert checked  # at least one dropped cover not found again for its person
    confirmed = [ev for cal in cals.values() for ev in cal["events"]
                 if ev["status"] == "confirmed"]
    assert confirmed  # the statuses are read, not all one value
