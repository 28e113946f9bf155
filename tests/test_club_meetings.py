"""Club meetings where people look (SPEC §12), and the clubs command's time limit.

The school: 8 pupils of grade 3 in afternoon care Tue-Fri, a term from 7 to 24 September
2026, clubs from Tuesday 15 September. Choir (C1) meets on Tuesdays 16:20-17:20 in the venue
``Hall; B,2`` (a semicolon and a comma: both escaped in a calendar), run by the staff
teacher T3, who has no care duty; Chess (C2) meets on Thursdays with an external
instructor. S0001-S0003 choose Choir then Chess, S0004 Chess. Choir's meetings: Tuesdays 15
and 22 September; Chess's: Thursdays 17 and 24.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

from click.testing import CliRunner

from afterschool.cli import main
from school_files import school_until, students_rows, vol, write_instance

CLUB_HEAD = "id,name,days,session,capacity,min_size,grades,instructor,venue,fee,instructor_rate\n"
FROM = ["--from", "2026-09-15"]


def term(tmp_path, choir_capacity=10, language="en", refunds=""):
    school = school_until("2026-09-24") + (f"\n[refunds]\n{refunds}\n" if refunds else "")
    if language == "zh":
        school = school.replace('language = "en"', 'language = "zh"')
    folder = write_instance(tmp_path / "school", students_rows(8, afternoon="Tue Wed Thu Fri"),
                            vol("T1", manage="yes") + vol("T2") + vol("T3"),
                            "".join(f"{t},{d},after-upper,available\n" for t in ("T1", "T2")
                                    for d in ("Tue", "Wed", "Thu", "Fri")),
                            school=school)
    (folder / "clubs.csv").write_text(
        CLUB_HEAD + f'C1,Choir,Tue,after-upper,{choir_capacity},0,3-6,T3,"Hall; B,2",80.00,\n'
        "C2,Chess,Thu,after-upper,10,0,3-6,external,LIB,45.50,150\n", encoding="utf-8")
    (folder / "club_choices.csv").write_text(
        "student,choice1,choice2,choice3\nS0001,C1,C2,\nS0002,C1,C2,\nS0003,C1,C2,\n"
        "S0004,C2,,\n", encoding="utf-8")
    out = tmp_path / "term"
    done = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out), "--skip", "all"])
    assert done.exit_code in (0, 3), done.output
    drawn = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    assert drawn.exit_code in (0, 3), drawn.output
    return folder, out


def run(*args):
    done = CliRunner().invoke(main, [str(a) for a in args])
    assert done.exit_code == 0, done.output
    return done.output


def events(text: str) -> list[dict]:
    """The VEVENTs of a calendar, unfolded, as {property: value} (VALARM lines left out)."""
    lines = text.replace("\r\n ", "").split("\r\n")
    out, cur, alarm = [], None, False
    for line in lines:
        if line == "BEGIN:VEVENT":
            cur = {}
        elif line == "END:VEVENT":
            out.append(cur)
            cur = None
        elif line in ("BEGIN:VALARM", "END:VALARM"):
            alarm = line == "BEGIN:VALARM"
        elif cur is not None and not alarm and ":" in line:
            key, value = line.split(":", 1)
            cur[key] = value
    return out


def club_events(path) -> list[dict]:
    return [e for e in events(path.read_bytes().decode()) if "-club-" in e["UID"]]


def test_a_staff_instructor_without_care_duties_gets_a_calendar_of_their_club(tmp_path):
    _, out = term(tmp_path)
    cal = out / "rosters" / "T3.ics"
    assert cal.is_file()  # T3 has no care duty: the club alone gives them a calendar
    (e,) = club_events(cal)
    # Tuesdays 15 and 22 September, 16:20-17:20 Beijing time; the series ends on the 22nd
    # at 16:20 CST = 08:20 UTC
    assert e["DTSTART;TZID=Asia/Shanghai"] == "20260915T162000"
    assert e["DTEND;TZID=Asia/Shanghai"] == "20260915T172000"
    assert e["RRULE"] == "FREQ=WEEKLY;UNTIL=20260922T082000Z"
    assert "EXDATE;TZID=Asia/Shanghai" not in e
    assert e["LOCATION"] == "Hall\\; B\\,2"  # RFC 5545 escapes: one property, not three
    assert "Choir" in e["SUMMARY"] and e["STATUS"] == "CONFIRMED"
    assert e["SEQUENCE"] == "0"
    # the external instructor's club is in nobody's calendar (they get the club's list)
    for other in (out / "rosters").glob("*.ics"):
        assert "Chess" not in other.read_text(encoding="utf-8")


def test_a_cancelled_tuesday_is_an_exdate_of_the_club_series(tmp_path):
    _, out = term(tmp_path)
    run("cancel", out, "--dates", "2026-09-22", "--reason", "rain")
    (e,) = club_events(out / "rosters" / "T3.ics")
    assert e["EXDATE;TZID=Asia/Shanghai"] == "20260922T162000"
    # one change (the date taken): SEQUENCE 1, DTSTAMP the cancelled date's midnight in
    # Beijing (16:00 UTC the day before) plus one second
    assert e["SEQUENCE"] == "1" and e["DTSTAMP"] == "20260921T160001Z"


def test_a_new_draw_that_takes_the_club_from_its_instructor_cancels_their_series(tmp_path):
    folder, out = term(tmp_path)
    (before,) = club_events(out / "rosters" / "T3.ics")
    # the same draw again keeps T3's series as it was: nothing withdrawn, nothing cancelled
    run("clubs", folder, out, "--seed", "7", *FROM)
    assert club_events(out / "rosters" / "T3.ics") == [before]
    # Choir now has an external instructor: T3's Tuesday series (15 and 22 September) is
    # published CANCELLED under its old UID, SEQUENCE 2 dates + 1 = 3 (above the 0 it had)
    csv = (folder / "clubs.csv").read_text(encoding="utf-8")
    (folder / "clubs.csv").write_text(csv.replace('0,3-6,T3,"Hall; B,2",80.00,',
                                                  '0,3-6,external,"Hall; B,2",80.00,150'),
                                      encoding="utf-8")
    run("clubs", folder, out, "--seed", "7", *FROM)
    (e,) = club_events(out / "rosters" / "T3.ics")
    assert e["UID"] == before["UID"] and e["STATUS"] == "CANCELLED"
    assert e["SEQUENCE"] == "3" and e["RRULE"] == before["RRULE"]
    assert e["DTSTART;TZID=Asia/Shanghai"] == before["DTSTART;TZID=Asia/Shanghai"]
    gone = json.loads((out / "plan.json").read_text())["clubs"]["withdrawn"]
    assert [(g["club"], g["staff"], g["days"], g["from"]) for g in gone] == \
        [("C1", "T3", ["Tue"], "2026-09-15")]
    # a third draw keeps the cancellation: the series stays cancelled in T3's calendar
    run("clubs", folder, out, "--seed", "8", *FROM)
    (again,) = club_events(out / "rosters" / "T3.ics")
    assert again["STATUS"] == "CANCELLED" and again["UID"] == before["UID"]
    assert run("check", out).count("\n") >= 1
    import pytest
    from test_ics_client import libical, libical_missing
    if libical_missing():
        pytest.skip(libical_missing())
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    got = libical(out, plan)["T3"]
    assert got["errors"] == []
    (cancelled,) = [e for e in got["events"] if "-club-" in e["uid"]]
    assert cancelled["status"] == "cancelled" and cancelled["uid"] == before["UID"]


def test_the_instructors_roster_lists_the_club_meeting(tmp_path):
    _, out = term(tmp_path)
    run("roster", out / "plan.json", "--teacher", "T3", "--format", "csv", "--out",
        tmp_path / "r")
    rows = (tmp_path / "r" / "roster-T3.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[1].split(",") == ["T3", "NameT3", "Tue", "16:20-17:20",
                                  "afternoon care (upper grades)", "club", "Choir", "",
                                  "club instructor", "60"]


def test_who_says_the_pupil_is_in_their_club_and_the_instructor_runs_it(tmp_path):
    _, out = term(tmp_path)
    pupil = run("who", out, "--date", "2026-09-15", "--student", "S0001")
    assert "club Choir (Hall; B,2)" in pupil and "NameT3" in pupil
    teacher = run("who", out, "--date", "2026-09-15", "--teacher", "T3")
    assert "16:20-17:20 club Choir (Hall; B,2): NameT3" in teacher
    assert "3 pupils" in teacher  # S0001-S0003
    # before the clubs start, and on a day Choir does not meet: no club
    assert "Choir" not in run("who", out, "--date", "2026-09-08", "--teacher", "T3")
    assert "Choir" not in run("who", out, "--date", "2026-09-16", "--student", "S0001")
    chess = run("who", out, "--date", "2026-09-17", "--student", "S0004", "--json")
    (row,) = [r for r in json.loads(chess)["duties"] if r["role"] == "club"]
    assert (row["club"], row["staff"], row["venue"], row["pupils"]) == \
        ("C2", "external", "LIB", 1)


def test_history_lists_the_draw_with_a_seat_and_a_waiting_place(tmp_path):
    # Choir takes 2: of S0001-S0003 (all Choir first) the one last in the draw order goes
    # to Chess and is place 1 on Choir's waiting list
    order = sorted(["S0001", "S0002", "S0003"],
                   key=lambda s: hashlib.sha256(f"7:{s}".encode()).hexdigest())
    _, out = term(tmp_path, choir_capacity=2)
    lines = run("history", out)
    assert "club draw (seed 7, from 2026-09-15): 4 seat(s), 1 waiting, 0 not opened" in lines
    assert "a seat in club Choir" in run("history", out, "--student", order[0])
    last = run("history", out, "--student", order[2])
    assert "a seat in club Chess" in last and "place 1 on club Choir's waiting list" in last
    assert "runs club Choir" in run("history", out, "--teacher", "T3")
    assert "club draw" not in run("history", out, "--teacher", "T1")  # runs no club


def test_a_chinese_school_reads_its_club_meetings_in_chinese(tmp_path):
    _, out = term(tmp_path, language="zh")
    who = run("who", out, "--date", "2026-09-17", "--student", "S0004")
    assert "社团活动 Chess（LIB）：外聘教师" in who
    hist = run("history", out, "--teacher", "T3")
    assert "社团抽签（种子 7，自 2026-09-15 起）" in hist and "指导社团 Choir" in hist
    (e,) = club_events(out / "rosters" / "T3.ics")
    assert e["SUMMARY"].endswith("社团活动 Choir")
    import openpyxl
    run("attendance", "sheet", out, "--week", "2026-09-15", "--out", tmp_path / "rc.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "rc.xlsx")
    chess = wb["社团活动 Chess"]
    sheet = " ".join(str(v) for row in chess.iter_rows(min_row=3, values_only=True)
                     for v in row if v is not None)
    assert "外聘教师" in sheet and chess.cell(1, 1).value.startswith("社团活动 Chess")
    for text in (who, hist, e["SUMMARY"], e["DESCRIPTION"], sheet):
        for word in ("club", "external", "instructor", "seat", "venue", "pupils", "duty"):
            assert word not in text.lower(), (word, text)


def test_the_re_plans_searches_take_only_what_the_commands_deadline_left(tmp_path):
    """One deadline from the command's start: what came before the re-plan (here: all of
    it, on a clock that has run past the backstop) leaves its searches nothing, and the
    clock's decision is recorded; a fresh deadline leaves them their budgets."""
    from afterschool.scheduler.clubs.run import with_clubs
    from afterschool.scheduler.planning.cpsat import Deadline
    from afterschool.scheduler.reading.plan_file import read_plan
    from afterschool.scheduler.reading.reader import read_instance
    folder, out = term(tmp_path)
    inst = read_instance(folder)
    plan = read_plan(str(out / "plan.json"))
    now = [0.0]
    spent = Deadline(2.0 * 1.3 + 0.5, clock=lambda: now[0])
    now[0] = 10.0  # reading took it all
    new, _, _ = with_clubs(inst, plan, 7, date(2026, 9, 15), time_limit=2.0, deadline=spent)
    assert new.extra["solve_stats"]["cut_by_time_limit"]  # the clock decided, and says so
    assert new.valid_from == "2026-09-15"  # a plan all the same: the greedy start
    fresh = Deadline(2.0 * 1.3 + 0.5, clock=lambda: 0.0)
    new, _, _ = with_clubs(inst, plan, 7, date(2026, 9, 15), time_limit=2.0, deadline=fresh)
    assert new.extra["solve_stats"]["cut_by_time_limit"] == []


def test_the_weeks_roll_call_has_a_sheet_per_club_meeting_read_back_like_a_groups(tmp_path):
    import openpyxl
    _, out = term(tmp_path)
    sheet = tmp_path / "rc.xlsx"
    run("attendance", "sheet", out, "--week", "2026-09-15", "--out", sheet)
    wb = openpyxl.load_workbook(sheet)
    assert [ws.title for ws in wb.worksheets] == ["after-upper-01", "club-C1", "club-C2"]
    choir = wb["club-C1"]
    # Choir meets on Tuesday 15 September only that week: its three members, its instructor
    assert [c.value for c in choir[3]] == ["id", "name", "class", "2026-09-15 Tue"]
    assert [choir.cell(r, 1).value for r in range(4, 7)] == ["S0001", "S0002", "S0003"]
    assert choir.cell(7, 1).value == "on duty" and choir.cell(7, 4).value == "NameT3（T3）"
    assert wb["club-C2"].cell(5, 4).value == "external instructor"  # Chess, Thursday 17
    # the care group's sheet greys the members' club day: they are in their club
    care = wb["after-upper-01"]
    grey = {care.cell(r, 1).value for r in range(4, 12)
            if (care.cell(r, 4).fill.fgColor.rgb or "").endswith("BFBFBF")}
    assert grey == {"S0001", "S0002", "S0003"}
    choir.cell(5, 4).value = "absent"  # S0002 missed Choir on the 15th
    wb.save(sheet)
    r = CliRunner().invoke(main, ["attendance", "import", str(out), str(sheet)])
    assert r.exit_code == 0 and "recorded 1 pupil and 0 staff" in r.output, r.output
    from afterschool.scheduler.record.store import Record
    with Record.open(str(out / "record.sqlite")).read() as rec:
        (t,) = rec.terms()
        marks = rec.attendance(t["id"])
    assert marks == {("2026-09-15", "after-upper", "S0002"): "absent"}


def test_a_mark_for_a_pupil_outside_the_club_is_refused_and_nothing_recorded(tmp_path):
    import openpyxl
    _, out = term(tmp_path)
    sheet = tmp_path / "rc.xlsx"
    run("attendance", "sheet", out, "--week", "2026-09-15", "--out", sheet)
    wb = openpyxl.load_workbook(sheet)
    choir = wb["club-C1"]
    choir.cell(5, 4).value = "absent"
    choir.insert_rows(7)  # S0004 chose Chess only: not in Choir
    choir.cell(7, 1).value, choir.cell(7, 4).value = "S0004", "late"
    wb.save(sheet)
    r = CliRunner().invoke(main, ["attendance", "import", str(out), str(sheet)])
    assert r.exit_code == 2, r.output
    assert "club-C1" in r.output and "row 7" in r.output and "S0004" in r.output
    from afterschool.scheduler.record.store import Record
    with Record.open(str(out / "record.sqlite")).read() as rec:
        (t,) = rec.terms()
        assert rec.attendance(t["id"]) == {}


def test_a_csv_mark_on_a_club_date_is_the_clubs(tmp_path):
    _, out = term(tmp_path)
    csv = tmp_path / "marks.csv"
    # S0004 is in Chess on Thursday 17 (not in care); on Wednesday 16 in care
    csv.write_text("date,session,student,status\n2026-09-17,after-upper,S0004,late\n"
                   "2026-09-16,after-upper,S0004,leave\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["attendance", "import", str(out), str(csv)])
    assert r.exit_code == 0 and "recorded 2 pupil" in r.output, r.output


def test_a_club_mark_leaves_the_service_fee_alone_when_fees_follow_attendance(tmp_path):
    """Fees by attendance: a date is charged unless the pupil missed it. S0001 and S0002
    are in care on the same dates (Choir on Tuesdays); S0002 absent from Choir on the 15th
    is no care date missed, so both owe the same. S0005 and S0006 (no club) likewise, but
    S0005 absent from care on the 15th owes one date less."""
    _, out = term(tmp_path, refunds='basis = "attendance"')
    csv = tmp_path / "marks.csv"
    csv.write_text("date,session,student,status\n2026-09-15,after-upper,S0002,absent\n"
                   "2026-09-15,after-upper,S0005,absent\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["attendance", "import", str(out), str(csv)])
    assert r.exit_code == 0, r.output
    due = {p["student"]: Decimal(p["due"]) for p in
           json.loads(run("settle", out, "--json"))["pupils"]}
    assert due["S0001"] == due["S0002"]
    assert due["S0005"] < due["S0006"]
    assert CliRunner().invoke(main, ["check", str(out)]).exit_code == 0


def test_libical_reads_the_club_calendar_and_expands_it_to_the_dates_held(tmp_path):
    import pytest
    from test_ics_client import libical, libical_missing
    why = libical_missing()
    if why:
        pytest.skip(why)
    _, out = term(tmp_path)
    run("cancel", out, "--dates", "2026-09-22", "--reason", "rain")
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    got = libical(out, plan)["T3"]
    assert got["errors"] == [] and got["restrictions"] == []
    (e,) = [e for e in got["events"] if "-club-" in e["uid"]]
    # Tuesdays 15 and 22 from the clubs' start; the 22nd cancelled
    assert [i[:2] for i in e["instances"]] == [["2026-09-15T16:20", "2026-09-15T17:20"]]
    assert [i[:2] for i in e["iterated"]] == [["2026-09-15T16:20", "2026-09-15T17:20"]]


def test_a_hostile_club_name_and_venue_are_escaped_in_the_calendar_and_neutralised(tmp_path):
    import openpyxl
    folder, out = term(tmp_path)
    evil = '"=HYPERLINK(""http://x"");a,b\\c"'
    text = (folder / "clubs.csv").read_text(encoding="utf-8")
    (folder / "clubs.csv").write_text(text.replace("Choir", evil).replace(
        '"Hall; B,2"', '"=1+1;room,2"'), encoding="utf-8")
    drawn = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    assert drawn.exit_code in (0, 3), drawn.output
    (e,) = club_events(out / "rosters" / "T3.ics")
    # RFC 5545 TEXT: backslash, semicolon and comma escaped, so each stays one value
    assert e["LOCATION"] == "=1+1\\;room\\,2"
    assert e["SUMMARY"].endswith('club =HYPERLINK("http://x")\\;a\\,b\\\\c')
    run("roster", out / "plan.json", "--teacher", "T3", "--format", "xlsx", "--out",
        tmp_path / "r")
    run("attendance", "sheet", out, "--week", "2026-09-15", "--out", tmp_path / "rc.xlsx")
    for book in (tmp_path / "r" / "roster-T3.xlsx", tmp_path / "rc.xlsx"):
        cells = [c for ws in openpyxl.load_workbook(book).worksheets
                 for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
        assert not [c for c in cells if c.startswith("=")], book
        assert any("HYPERLINK" in c for c in cells), book


def test_the_bundled_school_names_each_clubs_venue_in_its_instructors_calendar(tmp_path):
    import shutil
    import tomllib
    from pathlib import Path
    school = tmp_path / "haijiang"
    shutil.copytree(Path(__file__).resolve().parents[1] / "instances" / "haijiang", school)
    out = tmp_path / "term"
    skip = ["--skip", "workbook", "--skip", "notice", "--skip", "charts", "--skip", "report"]
    done = CliRunner().invoke(main, ["plan", str(school), "--out", str(out), "--time-limit",
                                     "1", *skip])
    assert done.exit_code in (0, 3), done.output
    done = CliRunner().invoke(main, ["clubs", str(out), "--seed", "20260914", "--time-limit",
                                     "1", *skip])
    assert done.exit_code in (0, 3), done.output
    names = {v["id"]: v["name"] for v in tomllib.loads(
        (school / "school.toml").read_text(encoding="utf-8"))["venues"]}
    groups = json.loads((out / "plan.json").read_text(encoding="utf-8"))["clubs"]["groups"]
    staff = [g for g in groups if g["staff"] != "external"]
    assert [g for g in staff if g["venue"] in names]  # a listed venue: named, not its id
    for g in staff:
        mine = [e for e in club_events(out / "rosters" / f"{g['staff']}.ics")
                if f"-{g['id']}-" in e["UID"]]
        assert mine and {e["LOCATION"] for e in mine} == {names.get(g["venue"], g["venue"])}
        assert all("社团活动" in e["SUMMARY"] for e in mine)
