"""Clubs (SPEC §12): the lottery by hand, and clubs.csv / club_choices.csv read or refused.

Draw numbers used below, from ``echo -n '7:S1' | sha256sum`` (first 8 hex digits):
seed 7: S1 da678bb8, S2 0d5943b5, S3 60c2a02c, S4 806c56e1, S5 279069cf
        -> order S2, S5, S3, S4, S1
seed 8: S1 2d543293, S2 5fff7e1e, S3 4784ff69, S4 717b7292, S5 9b22494d
        -> order S1, S3, S2, S4, S5
"""
from __future__ import annotations

import hashlib
import textwrap
from decimal import Decimal

import pytest

from afterschool.models.clubs import Club, ClubChoice
from afterschool.models.errors import InputError
from afterschool.models.people import Student
from afterschool.scheduler.clubs.lottery import run_lottery
from afterschool.scheduler.reading.reader import read_instance
from school_files import students_rows, vol, write_instance


def pupil(sid, grade=3, days=("Tue", "Wed", "Thu", "Fri"), priority=()):
    return Student(sid, f"Kid{sid}", grade, f"{grade}-1", (), tuple(days), tuple(priority))


def club(cid, capacity=10, min_size=0, days=("Tue",), grades=(3, 4, 5, 6)):
    return Club(cid, cid, tuple(days), "after-upper", capacity, min_size, tuple(grades), "T1")


def test_hash_order_is_sha256_of_seed_and_id():
    digest = hashlib.sha256(b"7:S1").hexdigest()
    assert digest.startswith("da678bb8")


def test_club_of_three_under_five_is_cancelled_and_its_pupils_take_their_second_choice():
    a, b = club("A", min_size=5), club("B", capacity=10, days=("Wed",))
    kids = [pupil(f"S{i}") for i in range(1, 9)]
    choices = [ClubChoice(f"S{i}", ("A", "B")) for i in (1, 2, 3)] + \
              [ClubChoice(f"S{i}", ("B",)) for i in (4, 5, 6, 7, 8)]
    lot = run_lottery([a, b], choices, kids, seed=7)
    assert lot.cancelled == ("A",)
    assert sorted(lot.members("B")) == [f"S{i}" for i in range(1, 9)]
    assert lot.members("A") == []
    assert lot.waiting == ()


def test_same_seed_same_draw_another_seed_another_and_waiting_places():
    kids = [pupil(f"S{i}") for i in range(1, 6)]
    choices = [ClubChoice(f"S{i}", ("A",)) for i in range(1, 6)]
    seven = run_lottery([club("A", capacity=2)], choices, kids, seed=7)
    assert seven.members("A") == ["S2", "S5"]
    assert seven.waiting == (("A", "S3", 1), ("A", "S4", 2), ("A", "S1", 3))
    assert run_lottery([club("A", capacity=2)], choices, kids, seed=7) == seven
    eight = run_lottery([club("A", capacity=2)], choices, kids, seed=8)
    assert eight.members("A") == ["S1", "S3"]
    assert eight.waiting == (("A", "S2", 1), ("A", "S4", 2), ("A", "S5", 3))


def test_priority_pupils_get_seats_first():
    kids = [pupil("S1", priority=("left_behind",))] + [pupil(f"S{i}") for i in range(2, 6)]
    choices = [ClubChoice(f"S{i}", ("A",)) for i in range(1, 6)]
    lot = run_lottery([club("A", capacity=2)], choices, kids, seed=7)
    # S1 is last in the draw of seed 7 but a priority child: first; then S2
    assert lot.members("A") == ["S1", "S2"]
    assert [s for _, s, _ in lot.waiting] == ["S5", "S3", "S4"]


def test_a_club_on_a_day_the_pupil_does_not_attend_is_skipped():
    kids = [pupil("S1", days=("Tue", "Thu"))]
    lot = run_lottery([club("A", days=("Wed",)), club("B", days=("Thu",))],
                      [ClubChoice("S1", ("A", "B"))], kids, seed=1)
    assert lot.assigned == (("S1", "B"),)
    assert lot.waiting == ()  # S1 cannot come on Wednesdays: on no list of A


def test_two_clubs_each_when_per_pupil_allows_never_two_on_one_day():
    kids = [pupil("S1")]
    clubs = [club("A", days=("Tue",)), club("B", days=("Tue", "Thu")), club("C", days=("Fri",))]
    lot = run_lottery(clubs, [ClubChoice("S1", ("A", "B", "C"))], kids, seed=1, per_pupil=2)
    assert sorted(c for _, c in lot.assigned) == ["A", "C"]
    one = run_lottery(clubs, [ClubChoice("S1", ("A", "B", "C"))], kids, seed=1)
    assert one.assigned == (("S1", "A"),)


def test_a_full_first_choice_puts_the_pupil_on_its_waiting_list_and_in_the_second():
    kids = [pupil("S1"), pupil("S2")]
    lot = run_lottery([club("A", capacity=1), club("B", days=("Wed",))],
                      [ClubChoice("S1", ("A", "B")), ClubChoice("S2", ("A", "B"))], kids,
                      seed=7)  # order S2, S1
    assert lot.assigned == (("S2", "A"), ("S1", "B"))
    assert lot.waiting == (("A", "S1", 1),)


# --- input files ------------------------------------------------------------------------
CLUB_HEAD = "id,name,days,session,capacity,min_size,grades,instructor,venue,fee,instructor_rate\n"


def school_with_clubs(tmp_path, clubs: str, choices: str, extra: str = ""):
    folder = write_instance(tmp_path / "s", students_rows(4, afternoon="Tue Wed Thu Fri"),
                            vol("T1"), "T1,Tue,after-upper,available\n")
    if extra:
        with open(folder / "school.toml", "a", encoding="utf-8") as f:
            f.write(extra)
    (folder / "clubs.csv").write_text(CLUB_HEAD + textwrap.dedent(clubs), encoding="utf-8")
    (folder / "club_choices.csv").write_text("student,choice1,choice2,choice3\n"
                                             + textwrap.dedent(choices), encoding="utf-8")
    return folder


GOOD = ("C1,Choir,Tue,after-upper,20,0,3-6,T1,MUS,80.00,\n"
        "C2,Chess,Wed,after-upper,20,0,3,external,LIB,,150\n")


def test_clubs_and_choices_are_read(tmp_path):
    inst = read_instance(school_with_clubs(tmp_path, GOOD, "S0001,C1,C2,\nS0002,C2,,\n"))
    assert [c.id for c in inst.clubs] == ["C1", "C2"]
    assert inst.clubs[0].fee == Decimal("80.00") and inst.clubs[0].grades == (3, 4, 5, 6)
    assert inst.clubs[1].external and inst.clubs[1].instructor_rate == Decimal("150.00")
    assert [c.choices for c in inst.club_choices] == [("C1", "C2"), ("C2",)]


@pytest.mark.parametrize("clubs,choices,where", [
    (GOOD, "S9999,C1,,\n", ("club_choices.csv", 2, "student")),
    (GOOD, "S0001,C9,,\n", ("club_choices.csv", 2, "choice1")),
    (GOOD, "S0001,C1,C1,\n", ("club_choices.csv", 2, "choice2")),
    (GOOD, "S0001,C1,,\nS0001,C2,,\n", ("club_choices.csv", 3, "student")),
    (GOOD.replace(",3,external", ",4,external"), "S0001,C2,,\n",
     ("club_choices.csv", 2, "choice1")),
    (GOOD.replace("C1,Choir,Tue", "C1,Choir,Mon"), "", ("clubs.csv", 2, "days")),
    (GOOD.replace("T1,MUS", "T9,MUS"), "", ("clubs.csv", 2, "instructor")),
    (GOOD.replace(",20,0,3-6", ",20,30,3-6"), "", ("clubs.csv", 2, "min_size")),
    (GOOD.replace(",20,0,3-6", ",0,0,3-6"), "", ("clubs.csv", 2, "capacity")),
    (GOOD.replace("3-6", "1-6"), "", ("clubs.csv", 2, "grades")),
    (GOOD.replace("80.00", "=1+1"), "", ("clubs.csv", 2, "fee")),
    (GOOD.replace(",,150", ",,"), "", ("clubs.csv", 3, "instructor_rate")),
    (GOOD.replace("C2,Chess", "C1,Chess"), "", ("clubs.csv", 3, "id")),
    (GOOD.replace("after-upper,20", "noon,20", 1), "", ("clubs.csv", 2, "session")),
])
def test_bad_club_input_is_refused_naming_file_row_column(tmp_path, clubs, choices, where):
    with pytest.raises(InputError) as exc:
        read_instance(school_with_clubs(tmp_path, clubs, choices))
    found = {(p.file, p.row, p.column) for p in exc.value.problems}
    assert where in found, exc.value


def test_clubs_section_in_school_toml(tmp_path):
    inst = read_instance(school_with_clubs(tmp_path, GOOD.replace(",,150", ",,"), "",
                                           '\n[clubs]\nper_pupil = 2\nrate = "150.00"\n'))
    assert inst.school.clubs.per_pupil == 2 and inst.school.clubs.rate == Decimal("150.00")
    with pytest.raises(InputError) as exc:
        read_instance(school_with_clubs(tmp_path / "b", GOOD, "", "\n[clubs]\nper_pupil = 9\n"))
    assert any(p.column == "clubs.per_pupil" for p in exc.value.problems)


# --- the command, the record, check, money ----------------------------------------------
import json  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from afterschool.cli import main  # noqa: E402
from afterschool.models.plan import Group, Plan  # noqa: E402
from afterschool.scheduler.check_clubs import check_term_plan as check_plan  # noqa: E402
from afterschool.scheduler.clubs.lottery import run_lottery as draw  # noqa: E402
from afterschool.scheduler.clubs.section import club_staffing  # noqa: E402
from school_files import school_until  # noqa: E402

TWO_WEEKS = school_until("2026-09-18")  # Tue 8, 15; Thu 10, 17 September
FROM = ["--from", "2026-09-15"]  # clubs meet in the second week
# C1 (Tue, minimum 5) is chosen first by S0001-S0003 only: cancelled, they go to C2 (Thu,
# external at 150 yuan/h, fee 45.50) with S0004
SMALL = ("C1,Choir,Tue,after-upper,10,5,3-6,T3,MUS,80.00,\n"
         "C2,Chess,Thu,after-upper,10,0,3-6,external,LIB,45.50,150\n")
PICKS = "S0001,C1,C2,\nS0002,C1,C2,\nS0003,C1,C2,\nS0004,C2,,\n"


def term_with_plan(tmp_path):
    folder = write_instance(tmp_path / "school", students_rows(8, afternoon="Tue Wed Thu Fri"),
                            vol("T1", manage="yes") + vol("T2") + vol("T3"),
                            "".join(f"{t},{d},after-upper,available\n" for t in ("T1", "T2")
                                    for d in ("Tue", "Wed", "Thu", "Fri")),
                            school=TWO_WEEKS)
    (folder / "clubs.csv").write_text(CLUB_HEAD + SMALL, encoding="utf-8")
    (folder / "club_choices.csv").write_text("student,choice1,choice2,choice3\n" + PICKS,
                                             encoding="utf-8")
    out = tmp_path / "term"
    done = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out), "--skip", "all"])
    assert done.exit_code in (0, 3), done.output
    return folder, out


def test_clubs_command_records_the_draw_and_check_passes(tmp_path):
    folder, out = term_with_plan(tmp_path)
    done = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    assert done.exit_code == 0, done.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    sec = plan["clubs"]
    assert sec["seed"] == 7 and sec["cancelled"] == ["C1"]
    assert sorted(a["student"] for a in sec["assigned"] if a["club"] == "C2") == \
        ["S0001", "S0002", "S0003", "S0004"]
    # from 15 September one Thursday (17th): 60 min at 150 yuan/h = 150.00; C1 does not
    # meet: not paid
    assert sec["pay"] == [{"club": "C2", "staff": "external", "minutes": 60,
                           "rate": "150.00", "amount": "150.00", "kind": "external"}]
    assert plan["valid_from"] == "2026-09-15" and sec["replanned"] is True
    # on Thursday the four members are in Chess, not in care
    care = {x for g in plan["groups"] for x in g["students"]}
    assert care == {f"S000{i}" for i in range(1, 9)}
    assert plan["people"]["students"]["S0001"]["afternoon"] == ["Tue", "Wed", "Fri"]
    assert {f["student"]: f["club_fee"] for f in sec["fees"]}["S0001"] == "45.50"
    for name in ("clubs-notice.html", "clubs-lists.xlsx", "clubs-parents.xlsx"):
        assert (out / name).is_file()
    checked = CliRunner().invoke(main, ["check", str(out)])
    assert checked.exit_code == 0, checked.output
    # the sheets from the record this time
    again = CliRunner().invoke(main, ["clubs", str(out), "--seed", "8", *FROM])
    assert again.exit_code == 0, again.output
    from afterschool.scheduler.record.store import Record
    with Record.open(str(out / "record.sqlite")).read() as r:
        kinds = [row["kind"] for t in r.terms() for row in r.plan_rows(t["id"])]
    assert kinds == ["plan", "clubs", "clubs"]  # the first draw is kept
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["clubs"]["seed"] == 8 and len(plan["history"]) == 1  # replaced from the 15th
    checked = CliRunner().invoke(main, ["check", str(out)])
    assert checked.exit_code == 0, checked.output


def test_the_statement_shows_the_club_fee(tmp_path):
    folder, out = term_with_plan(tmp_path)
    CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    done = CliRunner().invoke(main, ["settle", str(out), "--json"])
    assert done.exit_code == 0, done.output
    rows = {r["student"]: r for r in json.loads(done.output)["pupils"]}
    # care: Tue-Fri of the first week and Tue, Wed, Fri of the second (Thursday 17th in
    # Chess) = 7 dates x 60 min x 2 yuan/h = 14.00; plus Chess 45.50 = 59.50
    assert rows["S0001"]["due"] == "59.50" and "club fee 45.50" in rows["S0001"]["rule"]
    # no club: 8 dates = 16.00
    assert rows["S0005"]["due"] == "16.00"
    checked = CliRunner().invoke(main, ["check", str(out)])
    assert checked.exit_code == 0, checked.output


def test_check_catches_a_tampered_lottery(tmp_path):
    folder, out = term_with_plan(tmp_path)
    CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    inst = read_instance(folder)
    data = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert check_plan(inst, Plan.from_dict(data)) == []
    data["clubs"]["assigned"] = [a for a in data["clubs"]["assigned"]
                                 if a["student"] != "S0004"]
    data["clubs"]["assigned"].append({"student": "S0005", "club": "C2"})
    rules = {v.rule for v in check_plan(inst, Plan.from_dict(data))}
    assert "club lottery" in rules and "club choices" in rules
    data["clubs"]["assigned"] = json.loads((out / "plan.json").read_text())["clubs"]["assigned"]
    data["clubs"]["cancelled"] = []  # C1 (3 pupils, minimum 5) claimed to open
    assert {v.rule for v in check_plan(inst, Plan.from_dict(data))} >= {"club lottery"}
    data["clubs"]["cancelled"] = ["C1"]
    data["clubs"]["pay"][0]["amount"] = "150.01"
    assert {v.rule for v in check_plan(inst, Plan.from_dict(data))} == {"club pay"}
    data["clubs"]["pay"][0]["amount"] = "150.00"
    assert data["clubs"]["groups"][0]["id"] == "club-C2"
    data["clubs"]["groups"][0]["students"].pop()
    assert {v.rule for v in check_plan(inst, Plan.from_dict(data))} == {"club groups"}


def test_clubs_refuses_bad_input_with_exit_2(tmp_path):
    folder, out = term_with_plan(tmp_path)
    done = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7",
                                     "--from", "2027-03-01"])
    assert done.exit_code == 2 and "--from" in done.output
    (folder / "club_choices.csv").write_text("student,choice1,choice2,choice3\nS0001,C1,C1,\n",
                                             encoding="utf-8")
    done = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    assert done.exit_code == 2 and "club_choices.csv, row 2, column 'choice2'" in done.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert "clubs" not in plan  # nothing half-written


def test_clubs_count_as_groups_for_managers_on_their_days(tmp_path):
    """Three care groups of 10 on Thursday: M(3) = 0. A club meets on Thursday with one
    pupil of each group: the care groups still have pupils, so 3 + 1 = 4 groups at
    16:20, M(4) = 1. On Wednesday (no club) nothing is counted."""
    folder = write_instance(tmp_path / "s", students_rows(30, afternoon="Tue Wed Thu Fri"),
                            vol("T1"), "T1,Thu,after-upper,available\n", school=TWO_WEEKS)
    inst = read_instance(folder)
    ids = [s.id for s in inst.students]
    plan = Plan("OPTIMAL", [Group(f"G{k}", "after-upper", tuple(ids[k * 10:(k + 1) * 10]))
                            for k in range(3)])
    club_c = Club("C", "C", ("Thu",), "after-upper", 10, 0, (3,), "T1")
    lot = draw([club_c], [ClubChoice(ids[0], ("C",)), ClubChoice(ids[10], ("C",)),
                          ClubChoice(ids[20], ("C",))], inst.students, seed=1)
    from dataclasses import replace
    rows, managers, conflicts = club_staffing(replace(inst, clubs=(club_c,)), plan, lot)
    assert managers == [{"day": "Thu", "window": "afternoon", "peak": 4,
                         "managers_needed": 1, "managers_planned": 0, "managers_short": 1}]
    thu = next(r for r in rows if r["day"] == "Thu" and r["session"] == "after-upper")
    assert (thu["students"], thu["care_groups"], thu["club_groups"], thu["groups"]) == \
        (30, 3, 1, 4)


def test_the_re_plan_staffs_a_manager_for_a_club_counted_as_a_group(tmp_path):
    """100 pupils Tue-Fri in upper care: 3 groups (cap 45), M(3) = 0: no manager. From the
    15th a club meets on Thursday: 3 care groups + 1 club = 4 groups at once, M(4) = 1, so
    the re-plan puts the one manager on duty on Thursdays; on other days still none."""
    days = "Tue Wed Thu Fri"
    folder = write_instance(
        tmp_path / "school", students_rows(100, afternoon=days),
        vol("T1", manage="yes") + "".join(vol(f"T{i}") for i in range(2, 7)),
        "".join(f"T{i},{d},afternoon,available\n" for i in range(1, 7) for d in days.split()),
        school=TWO_WEEKS)
    (folder / "clubs.csv").write_text(
        CLUB_HEAD + "C1,Chess,Thu,after-upper,10,0,3,T6,LIB,,\n", encoding="utf-8")
    (folder / "club_choices.csv").write_text(
        "student,choice1,choice2,choice3\n" + "".join(f"S{i:04d},C1,,\n" for i in range(1, 6)),
        encoding="utf-8")
    out = tmp_path / "term"
    done = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out), "--skip", "all"])
    assert done.exit_code == 0, done.output
    before = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert not [d for d in before["duties"] if d["role"] == "manager"]
    done = CliRunner().invoke(main, ["clubs", str(out), "--seed", "1", *FROM])
    assert done.exit_code == 0, done.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    managers = [(d["day"], d["staff"]) for d in plan["duties"] if d["role"] == "manager"]
    assert managers == [("Thu", "T1")]
    assert not [d for d in plan["duties"] if d["staff"] == "T6" and d["day"] == "Thu"]
    assert CliRunner().invoke(main, ["check", str(out)]).exit_code == 0
    # without that manager the plan breaks M(c) with the club counted
    plan["duties"] = [d for d in plan["duties"] if d["role"] != "manager"]
    found = {v.rule for v in check_plan(read_instance(folder), Plan.from_dict(plan))}
    assert "managers per window" in found


def test_hostile_club_names_are_escaped_and_neutralised(tmp_path):
    folder, out = term_with_plan(tmp_path)
    (folder / "clubs.csv").write_text(CLUB_HEAD + SMALL.replace(
        "Chess", '"=HYPERLINK(""http://x"")<script>alert(1)</script>"'), encoding="utf-8")
    done = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    assert done.exit_code == 0, done.output
    page = (out / "clubs-notice.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    import openpyxl
    for name in ("clubs-notice.xlsx", "clubs-lists.xlsx", "clubs-parents.xlsx"):
        wb = openpyxl.load_workbook(out / name)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                 for c in row if isinstance(c, str)]
        assert not [c for c in cells if c.startswith("=")], name
        assert any(c.startswith("'=HYPERLINK") for c in cells) or name == "clubs-lists.xlsx"


def test_a_chinese_school_reads_no_english_in_the_club_handouts(tmp_path):
    folder, out = term_with_plan(tmp_path)
    with open(folder / "school.toml", "r+", encoding="utf-8") as f:
        text = f.read().replace('language = "en"', 'language = "zh"')
        f.seek(0)
        f.write(text)
        f.truncate()
    (folder / "clubs.csv").write_text(CLUB_HEAD + SMALL.replace("Choir", "合唱").replace(
        "Chess", "围棋"), encoding="utf-8")
    done = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    assert done.exit_code == 0, done.output
    import re
    import openpyxl
    ids = {"MUS", "LIB", "T1", "T2", "T3"} | {f"S000{i}" for i in range(1, 9)}
    # the notice names the algorithm and the command a parent re-runs it with
    allowed = {"SHA", "UTF", "echo", "sha", "sum", "Kid", "Test", "School"}  # + the names
    page = (out / "clubs-notice.html").read_text(encoding="utf-8")
    page = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", " ", page, flags=re.S))
    words = set(re.findall(r"[A-Za-z]{2,}", page)) - allowed
    assert not {w for w in words if not any(w in i for i in ids)}, words
    for name in ("clubs-notice.xlsx", "clubs-lists.xlsx", "clubs-parents.xlsx"):
        wb = openpyxl.load_workbook(out / name)
        text = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                        for c in row if c is not None) + " ".join(wb.sheetnames)
        words = {w for w in re.findall(r"[A-Za-z]{2,}", text)
                 if not any(w in i for i in ids)} - allowed
        assert not words, (name, words)


def test_generate_writes_the_same_clubs_for_the_same_seed(tmp_path):
    for d in ("a", "b"):
        done = CliRunner().invoke(main, ["generate", str(tmp_path / d), "--students", "300",
                                         "--clubs", "5", "--choosing", "100", "--seed", "3"])
        assert done.exit_code == 0, done.output
    for name in ("clubs.csv", "club_choices.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    inst = read_instance(tmp_path / "a")
    assert len(inst.clubs) == 5 and 0 < len(inst.club_choices) <= 100


def test_a_later_replan_keeps_the_draw_and_the_members_in_their_club(tmp_path):
    folder, out = term_with_plan(tmp_path)
    CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    done = CliRunner().invoke(main, ["replan", str(folder), "--previous", str(out),
                                     "--from", "2026-09-16"])
    assert done.exit_code in (0, 3), done.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["valid_from"] == "2026-09-16" and plan["clubs"]["seed"] == 7
    assert plan["people"]["students"]["S0004"]["afternoon"] == ["Tue", "Wed", "Fri"]
    checked = CliRunner().invoke(main, ["check", str(out)])
    assert checked.exit_code == 0, checked.output


def test_clubs_from_a_workbook_and_their_errors_by_sheet(tmp_path):
    from school_files import write_workbook

    def add(rows):
        def edit(wb):
            ws = wb.create_sheet("社团")
            ws.append(CLUB_HEAD.strip().split(","))
            ws.append("C1,Choir,Tue,after-upper,20,0,3-6,T1,MUS,,".split(","))
            ws = wb.create_sheet("社团志愿")
            ws.append(["student", "choice1", "choice2", "choice3"])
            for r in rows:
                ws.append(r)
        return edit
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    inst = read_instance(write_workbook(tmp_path / "a", add([["S0001", "C1", "", ""]])))
    assert [c.id for c in inst.clubs] == ["C1"] and inst.club_choices[0].choices == ("C1",)
    with pytest.raises(InputError) as exc:
        read_instance(write_workbook(tmp_path / "b", add([["S0001", "C9", "", ""]])))
    assert ("school.xlsx:club_choices", 2, "choice1") in {
        (p.file, p.row, p.column) for p in exc.value.problems}


def drawn_with_venues(tmp_path, venues: str):
    """``term_with_plan``'s school with ``venues`` appended to its school.toml, planned
    again (a new record) and drawn with seed 7; returns (the school, the term folder)."""
    folder, out = term_with_plan(tmp_path)
    with open(folder / "school.toml", "a", encoding="utf-8") as f:
        f.write(venues)
    done = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out), "--skip", "all",
                                     "--new-record"])
    assert done.exit_code in (0, 3), done.output
    done = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7", *FROM])
    assert done.exit_code == 0, done.output
    return folder, out


def test_the_notices_name_the_clubs_venue_where_the_school_lists_venues(tmp_path):
    # C2 meets in LIB; with [[venues]] LIB = "Reading Room" the notice, the instructor's list
    # and the parents' sheet say "Reading Room", never the id
    _, out = drawn_with_venues(tmp_path, '\n[[venues]]\nid = "LIB"\nname = "Reading Room"\n'
                            'kind = "library"\ncapacity = 60\n\n[[venues]]\nid = "MUS"\n'
                            'name = "Music Room"\nkind = "special"\ncapacity = 40\n')
    page = (out / "clubs-notice.html").read_text(encoding="utf-8")
    assert "Reading Room" in page and ": LIB<" not in page
    import zipfile
    for name in ("clubs-lists.xlsx", "clubs-parents.xlsx"):  # cells and the print titles
        with zipfile.ZipFile(out / name) as z:
            xml = " ".join(z.read(n).decode("utf-8") for n in z.namelist()
                           if n.endswith(".xml"))
        assert "Reading Room" in xml, name
        assert ">LIB<" not in xml and " LIB<" not in xml, name


def test_a_wrong_club_row_is_one_error_not_one_per_pupil_who_chose_it(tmp_path):
    # C1's venue is unknown: that row is the error; the three pupils who chose C1 are not
    folder, _ = term_with_plan(tmp_path)
    with open(folder / "school.toml", "a", encoding="utf-8") as f:
        f.write('\n[[venues]]\nid = "LIB"\nname = "Library"\nkind = "library"\ncapacity = 60\n')
    done = CliRunner().invoke(main, ["validate", str(folder)])
    assert done.exit_code == 2, done.output
    assert "MUS" in done.output
    assert "club_choices.csv" not in done.output, done.output


LIBRARY = ('\n[[venues]]\nid = "LIB"\nname = "Library"\nkind = "library"\ncapacity = 60\n'
           '\n[[venues]]\nid = "GYM"\nname = "Gym"\nkind = "gym"\ncapacity = 90\n'
           'groups = 2\n')


@pytest.mark.parametrize("clubs,row", [
    # two after-upper clubs in LIB on Tuesday at 16:20: LIB holds one group; row 3 is over
    ("C1,Choir,Tue,after-upper,20,0,3-6,external,LIB,,150\n"
     "C2,Chess,Tue,after-upper,20,0,3-6,external,LIB,,150\n", 3),
    # an after-lower club until 16:35 and an after-upper one from 16:20: at once at 16:20
    ("C1,Art,Tue,after-lower,20,0,1-2,external,LIB,,150\n"
     "C2,Chess,Thu Tue,after-upper,20,0,3-6,external,LIB,,150\n", 3),
    # the same with the later club listed first: still at once at 16:20, row 3 over
    ("C1,Chess,Thu Tue,after-upper,20,0,3-6,external,LIB,,150\n"
     "C2,Art,Tue,after-lower,20,0,1-2,external,LIB,,150\n", 3)])
def test_clubs_meet_in_a_venue_no_more_at_once_than_it_holds(tmp_path, clubs, row):
    folder = school_with_clubs(tmp_path, clubs, "S0001,C2,,\n", LIBRARY)
    done = CliRunner().invoke(main, ["validate", str(folder)])
    assert done.exit_code == 2, done.output
    assert f"clubs.csv, row {row}, column 'venue'" in done.output, done.output
    assert "LIB holds 1 group(s) at once: 2 clubs meet there on Tue at 16:20 (C1, C2)" \
        in done.output, done.output


def test_clubs_that_fit_their_venue_are_read(tmp_path):
    # the gym holds two groups; the library's clubs meet on different days
    clubs = ("C1,Ball,Tue,after-upper,20,0,3-6,external,GYM,,150\n"
             "C2,Dance,Tue,after-upper,20,0,3-6,external,GYM,,150\n"
             "C3,Chess,Wed,after-upper,20,0,3-6,external,LIB,,150\n"
             "C4,Go,Thu,after-upper,20,0,3-6,external,LIB,,150\n")
    folder = school_with_clubs(tmp_path, clubs, "S0001,C1,,\n", LIBRARY)
    done = CliRunner().invoke(main, ["validate", str(folder)])
    assert done.exit_code == 0, done.output
    # and in Chinese (Dance moved into LIB, Chess to Tuesday: two there at once): the day
    # in Chinese, the ids as written
    (folder / "clubs.csv").write_text(CLUB_HEAD + clubs.replace("GYM,,150\nC3", "LIB,,150\nC3")
                                      .replace("C3,Chess,Wed", "C3,Chess,Tue"),
                                      encoding="utf-8")
    toml = (folder / "school.toml").read_text(encoding="utf-8")
    (folder / "school.toml").write_text(toml.replace('language = "en"', 'language = "zh"'),
                                        encoding="utf-8")
    done = CliRunner().invoke(main, ["validate", str(folder)])
    assert done.exit_code == 2
    assert "LIB 同时最多容纳 1 个组：周二 16:20 有 2 个社团在这里活动（C2, C3）" in done.output, \
        done.output


def test_generated_clubs_meet_in_venues_the_generated_school_has(tmp_path):
    # 20 clubs: more than the library (one group at once) takes on four afternoons, so
    # they spread over the playground, the gym and the library without meeting at once
    # beyond what each holds (the reader refuses that, test above)
    done = CliRunner().invoke(main, ["generate", str(tmp_path / "g"), "--students", "300",
                                     "--seed", "2", "--venues", "--clubs", "20",
                                     "--choosing", "60"])
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(main, ["validate", str(tmp_path / "g")])
    assert done.exit_code == 0, done.output
    rows = (tmp_path / "g" / "clubs.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 20 and {r.split(",")[8] for r in rows} == {"LIB", "GYM", "PG"}


def test_a_club_holds_its_venue_the_care_group_meets_elsewhere_and_check_sees_it(tmp_path):
    # LIB (library, one group at once) is the only room that holds the care group of 8; R1
    # holds 4. On Thursday C2 (external, LIB, 4 members) meets: 4 stay in care, so the
    # group fits R1 that day, and must go there while the club holds LIB. Moving the group
    # back into LIB on Thursday is caught by check ('venue groups').
    folder, out = drawn_with_venues(tmp_path, '\n[[venues]]\nid = "LIB"\nname = "Library"\n'
                            'kind = "library"\ncapacity = 60\n\n[[venues]]\nid = "R1"\n'
                            'name = "Room 1"\nkind = "classroom"\ncapacity = 4\n\n'
                            '[[venues]]\nid = "MUS"\nname = "Music"\nkind = "special"\n'
                            'capacity = 2\n')
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    thu = {r["room"] for r in plan["venues"] if r["day"] == "Thu"}
    assert thu == {"R1"}, thu
    assert {r["room"] for r in plan["venues"] if r["day"] == "Tue"} == {"LIB"}
    assert CliRunner().invoke(main, ["check", str(folder), str(out)]).exit_code == 0
    for r in plan["venues"]:
        if r["day"] == "Thu":
            r["room"] = "LIB"
            r["venue"] = "LIB" if r["activity"] is None else r["venue"]
    from afterschool.models.plan import Plan
    from afterschool.scheduler.checker import check_plan
    found = {v.rule for v in check_plan(read_instance(folder), Plan.from_dict(plan))}
    assert "venue groups" in found, found


def test_clubs_without_a_start_date_say_which_date_to_give(tmp_path):
    # no --from and no [clubs] start on a plan from the term's first day: exit 2 naming
    # --from and what to give, nothing recorded
    folder, out = term_with_plan(tmp_path)
    before = (out / "plan.json").read_bytes()
    done = CliRunner().invoke(main, ["clubs", str(folder), str(out), "--seed", "7"])
    assert done.exit_code == 2, done.output
    assert "--from" in done.output and "after 2026-09-07" in done.output  # the term start
    assert (out / "plan.json").read_bytes() == before
