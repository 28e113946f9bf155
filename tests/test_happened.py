"""Roll call, cancelled days, payments and the settlement through the commands (SPEC §11).

The school of test_settlement: 2026-09-07..09-25, after-upper on Tue and Thu (2.00 yuan
a date), T1 the one volunteer (60.00 a date). Here S0001..S0004 come Tue and Thu and S0005
on Tuesdays only: one group; Tuesdays 5 pupils, Thursdays 4.
"""
from __future__ import annotations

import json

import openpyxl
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.record.store import Record
from school_files import students_rows
from test_settlement import THU, TUE, school


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def term(tmp_path, refunds: str = ""):
    rows = students_rows(4, afternoon="Tue Thu") + students_rows(1, start=5, afternoon="Tue")
    folder = school(tmp_path / "s", refunds=refunds, rows=rows)
    out = tmp_path / "t"
    r = run("plan", folder, "--out", out, "--skip", "all", "--time-limit", "1")
    assert r.exit_code == 0, r.output
    return folder, out


def entries(out):
    with Record.open(str(out / "record.sqlite")).read() as r:
        return [e["kind"] for e in r.entries(1)]


def settle_json(out):
    r = run("settle", out, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_the_roll_call_sheet_greys_the_days_a_pupil_does_not_come(tmp_path):
    _, out = term(tmp_path)
    r = run("attendance", "sheet", out, "--week", TUE[1], "--out", tmp_path / "rc.xlsx")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "rc.xlsx")
    (ws,) = wb.worksheets
    assert ws.title == "after-upper-01" and ws.page_setup.paperSize == 9  # A4
    heads = [c.value for c in ws[3]]
    assert heads == ["id", "name", "class", f"{TUE[1]} Tue", f"{THU[1]} Thu"]
    ids = [ws.cell(r, 1).value for r in range(4, 9)]
    assert ids == ["S0001", "S0002", "S0003", "S0004", "S0005"]
    fill = {(r, c): ws.cell(r, c).fill.fgColor.rgb for r in range(4, 9) for c in (4, 5)}
    greys = {k for k, v in fill.items() if v and v.endswith("BFBFBF")}
    assert greys == {(8, 5)}  # S0005 on Thursday only
    assert ws.cell(9, 1).value == "on duty" and "NameT1 (T1)".replace(" (", "（") \
        .replace(")", "）") in ws.cell(9, 4).value
    assert ws.row_dimensions[2].hidden  # the keys for reading it back do not print


def test_a_filled_sheet_is_recorded_once_and_corrections_supersede(tmp_path):
    _, out = term(tmp_path, refunds='basis = "attendance"')
    sheet = tmp_path / "rc.xlsx"
    assert run("attendance", "sheet", out, "--week", TUE[1], "--out", sheet).exit_code == 0
    wb = openpyxl.load_workbook(sheet)
    ws = wb.worksheets[0]
    ws.cell(4, 4).value = "absent"  # S0001 on 09-15
    ws.cell(5, 4).value = "late"  # S0002 on 09-15 (late counts as attended)
    ws.cell(6, 5).value = "leave"  # S0003 on 09-17
    ws.cell(10, 4).value = "not held"  # nobody supervised on 09-15
    wb.save(sheet)
    r = run("attendance", "import", out, sheet, "--by", "Teacher Li")
    assert r.exit_code == 0 and "recorded 3 pupil and 1 staff" in r.output, r.output
    again = run("attendance", "import", out, sheet)
    assert again.exit_code == 0 and "nothing new" in again.output
    assert entries(out) == ["plan", "attendance"]
    s = settle_json(out)
    due = {p["student"]: p["due"] for p in s["pupils"]}
    # 6 dates for S0001..S0004, 3 for S0005: S0001 and S0003 miss one each
    assert due == {"S0001": "10.00", "S0002": "12.00", "S0003": "10.00", "S0004": "12.00",
                   "S0005": "6.00"}
    (t1,) = s["staff"]
    assert (t1["planned_pay"], t1["delivered_pay"]) == ("360.00", "300.00")
    # a correction: S0001 came after all
    ws.cell(4, 4).value = "present"
    ws.cell(10, 4).value = None
    wb.save(sheet)
    r = run("attendance", "import", out, sheet)
    assert "recorded 1 pupil" in r.output
    assert {p["student"]: p["due"] for p in settle_json(out)["pupils"]}["S0001"] == "12.00"
    who = json.loads(run("who", out, "--date", TUE[1], "--json").stdout)
    marks = {p["student"]: p["status"] for p in who["attendance"]}
    assert marks == {"S0001": "present", "S0002": "late", "S0003": "present",
                     "S0004": "present", "S0005": "present"}


def test_a_bad_attendance_file_records_nothing(tmp_path):
    _, out = term(tmp_path)
    f = tmp_path / "a.csv"
    f.write_text("date,session,student,status\n"
                 f"{TUE[1]},after-upper,S0001,absent\n"  # fine
                 "2026-09-12,after-upper,S0002,absent\n"  # a Saturday
                 f"{THU[1]},after-upper,S0005,absent\n"  # S0005 does not come on Thursdays
                 f"{TUE[1]},after-upper,S0003,asleep\n"  # no such status
                 f"{TUE[1]},after-upper,S9999,absent\n", encoding="utf-8")  # no such pupil
    r = run("attendance", "import", out, f)
    assert r.exit_code == 2 and "5 problem" not in r.output
    text = r.output
    assert "a.csv, row 3, column 'date': not a service date" in text
    assert "a.csv, row 4, column 'student': the pupil is not in this group" in text
    assert "a.csv, row 5, column 'status': unknown status" in text
    assert "a.csv, row 6, column 'student': unknown pupil" in text
    assert entries(out) == ["plan"]


def test_staff_rows_and_chinese_headers(tmp_path):
    _, out = term(tmp_path)
    f = tmp_path / "staff.csv"
    f.write_text("日期,时段,组别,工号,状态\n"
                 f"{THU[0]},晚托(中高年级),after-upper-01,T1,T2\n", encoding="utf-8-sig")
    r = run("attendance", "import", out, f)
    assert r.exit_code == 0, r.output
    staff = {p["staff"]: p for p in settle_json(out)["staff"]}
    assert staff["T1"]["delivered_pay"] == "300.00" and staff["T2"]["delivered_pay"] == "60.00"


def test_cancel_dates_and_ranges(tmp_path):
    _, out = term(tmp_path)
    r = run("cancel", out, "--dates", f"{TUE[1]}..{THU[1]}", "--reason", "typhoon")
    # 09-15, 09-16 (noon runs on Wednesdays) and 09-17
    assert r.exit_code == 0 and "recorded 3 cancelled" in r.output
    assert "already" in run("cancel", out, "--dates", TUE[1], "--reason", "x").output
    bad = run("cancel", out, "--dates", "2026-09-12", "--reason", "x")
    assert bad.exit_code == 2 and "not a service date" in bad.output
    s = settle_json(out)
    assert {p["student"]: p["due"] for p in s["pupils"]}["S0001"] == "8.00"  # 4 of 6
    assert {p["student"]: p["due"] for p in s["pupils"]}["S0005"] == "4.00"  # 2 of 3
    assert s["staff"][0]["delivered_pay"] == "240.00"


def test_payments_once_and_bad_rows(tmp_path):
    _, out = term(tmp_path)
    f = tmp_path / "p.csv"
    f.write_text("学号,日期,金额,方式,票据号\nS0001,2026-09-07,12.00,微信,R1\n"
                 "S0002,2026-09-07,20.00,现金,R2\n", encoding="utf-8")
    assert "recorded 2 payment" in run("payments", "import", out, f).output
    assert "nothing new" in run("payments", "import", out, f).output
    f.write_text("学号,日期,金额,方式,票据号\nS0001,2026-09-07,13.00,微信,R1\n")
    clash = run("payments", "import", out, f)
    assert clash.exit_code == 2 and "receipt R1 is recorded already" in clash.output
    f.write_text("student,date,amount,channel,receipt\nS0003,2026-09-07,12.345,cash,R3\n"
                 "S0003,2026-09-07,-1,cash,R4\nS0003,2026-09-07,1.00,cash,R4\n")
    bad = run("payments", "import", out, f)
    assert bad.exit_code == 2 and "row 2, column 'amount'" in bad.output \
        and "row 3, column 'amount'" in bad.output and "row 4, column 'receipt'" in bad.output
    s = settle_json(out)
    p = {x["student"]: x for x in s["pupils"]}
    assert (p["S0001"]["owed"], p["S0002"]["refund"], p["S0003"]["owed"]) == (
        "0.00", "8.00", "12.00")
    assert set(p["S0001"]) >= {"student", "due", "paid", "refund", "credit", "owed", "rule"}
    assert set(s["staff"][0]) >= {"staff", "planned_pay", "delivered_pay"}
    assert s["totals"]["paid"] == "32.00"


def test_settle_writes_the_school_language(tmp_path):
    folder, out = term(tmp_path)
    toml = folder / "school.toml"
    toml.write_text(toml.read_text().replace('language = "en"', 'language = "zh"'))
    r = run("plan", folder, "--out", out, "--skip", "all", "--time-limit", "1")
    assert r.exit_code == 0, r.output
    r = run("settle", out, "--out", tmp_path / "money")
    assert r.exit_code == 0 and "应收合计 54.00 元" in r.output, r.output
    head = (tmp_path / "money" / "settlement.csv").read_text(encoding="utf-8-sig")
    assert head.startswith("学号,姓名,班级,应收(元)") and "按计划" in head


def test_bureau_rows_totals_and_executors(tmp_path):
    # school A: 5 pupils of a school of 20 (participation 0.25); 4 come Tue and Thu, the
    # 5th on Tuesdays only, and with noon not taken nobody comes all five days
    rows = students_rows(4, afternoon="Tue Thu") + students_rows(1, start=5, afternoon="Tue")
    folder = school(tmp_path / "a" / "s", rows=rows)
    toml = folder / "school.toml"
    toml.write_text(toml.read_text().replace('name = "Test School"',
                                             'name = "School A"\npupils = 20'))
    a = tmp_path / "a" / "t"
    assert run("plan", folder, "--out", a, "--skip", "all", "--time-limit", "1").exit_code == 0
    _, b = term(tmp_path / "b")  # school B: no [school] pupils
    f = tmp_path / "p.csv"
    f.write_text("student,date,amount,channel,receipt\nS0001,2026-09-07,20.00,cash,R1\n")
    assert run("payments", "import", b, f).exit_code == 0
    r = run("bureau", a, b, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    ra, rb = data["schools"]
    assert (ra["school"], ra["pupils"], ra["enrolled"], ra["participation_rate"]) == (
        "School A", 20, 5, 0.25)
    assert ra["five_day_share"] == 0.0 and rb["participation_rate"] is None
    # income = the settlement's due: 4 x 12.00 + 6.00; pay 360.00; B refunds 20 - 12 = 8
    assert (ra["income"], ra["pay"], ra["balance"]) == ("54.00", "360.00", "-306.00")
    assert rb["refunds"] == "8.00" and (ra["staff"], ra["staff_on_duty"]) == (2, 1)
    t = data["totals"]
    assert (t["enrolled"], t["income"], t["participation_rate"]) == (10, "108.00", 0.25)
    pooled = json.loads(run("bureau", a, b, "--json", "--jobs", "2").stdout)
    assert pooled == data
    from distributed import LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        on_dask = json.loads(run("bureau", a, b, "--json", "--scheduler",
                                 cluster.scheduler_address).stdout)
    assert on_dask == data
    out = run("bureau", a, b, "--out", tmp_path / "city")
    assert out.exit_code == 0 and (tmp_path / "city" / "bureau.xlsx").exists()
    page = (tmp_path / "city" / "bureau.html").read_text(encoding="utf-8")
    assert "School A" in page and "25.0%" in page
    sheets = openpyxl.load_workbook(tmp_path / "city" / "bureau.xlsx").sheetnames
    assert sheets[:3] == ["summary", "classes", "staff"]


def test_the_readme_example_on_the_bundled_school(tmp_path):
    """S00002 takes noon Mon-Fri (130 min at 2.00 yuan/h: 13/3 yuan a date) and
    after-lower Tue-Fri: 589.00 for the term. The shipped attendance puts her on leave on
    seven consecutive noon dates (15-18 Sep, Sunday 20 Sep — a make-up day kept as Friday —
    21 and 22 Sep), a run of at least 5: refunded; 20 Nov's noon is cancelled: 8 x 13/3 =
    34.666… off, 589.00 - 34.67 = 554.33 due; she paid 589.00, so 34.67 goes back."""
    from pathlib import Path
    examples = Path(__file__).resolve().parent.parent / "instances" / "examples"
    out = tmp_path / "plan-out"
    r = run("plan", "haijiang", "--out", out, "--skip", "all", "--time-limit", "2")
    assert r.exit_code in (0, 3), r.output
    assert run("attendance", "import", out, examples / "haijiang-attendance.csv").exit_code == 0
    assert run("payments", "import", out, examples / "haijiang-payments.csv").exit_code == 0
    assert run("cancel", out, "--dates", "2026-11-20", "--session", "午托", "--reason",
               "运动会").exit_code == 0
    p = {x["student"]: x for x in settle_json(out)["pupils"]}
    assert (p["S00002"]["due"], p["S00002"]["refund"]) == ("554.33", "34.67")
    assert "leave 7 @100%" in p["S00002"]["rule"] and "cancelled 1" in p["S00002"]["rule"]


def test_a_cancelled_date_leaves_the_calendars_and_shows_in_the_report(tmp_path):
    import recurring_ical_events
    from icalendar import Calendar
    folder, out = term(tmp_path)
    r = run("plan", folder, "--out", out, "--skip", "charts", "--time-limit", "1")
    assert r.exit_code == 0, r.output
    reason = "<img src=x onerror=alert(1)> =1+1"
    assert run("cancel", out, "--dates", TUE[1], "--reason", reason).exit_code == 0
    cal = Calendar.from_ical((out / "rosters" / "T1.ics").read_bytes())
    days = sorted(e["DTSTART"].dt.date().isoformat()
                  for e in recurring_ical_events.of(cal).between((2026, 9, 1), (2026, 10, 1)))
    assert days == sorted([TUE[0], TUE[2], *THU])  # five of six: the 15th is gone
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["happened"]["cancelled"] == [{"date": TUE[1], "session": None,
                                              "reason": reason}]
