"""Every error path of the school.toml reader (issue #12), through ``afterschool validate``.

Each case breaks the tiny valid school of ``school_files.SCHOOL`` in one way and states what
the office must see: exit code 2 and one line naming the file, the row of the key (counted
by hand in the text below) and the column ``table.key``, with the value found. Never a
traceback or an "internal error" (exit 1), never a silently accepted file.

The base file, with its row numbers::

    1 [school]
    2 name = "Test School"
    3 language = "en"
    4 [term]
    5 start = 2026-09-07          <- a Monday
    6 end = 2026-09-11            <- the Friday of the same week
    7 official_holidays = false

``term(...)`` inserts lines right after ``[term]`` (the first becomes row 5, ``start``
moves down); ``tail`` text starts at row 8; ``session(...)`` appends one ``[[sessions]]``
block at row 8, its keys on rows 9 (id), 10 (name), 11 (grades), 12 (days), 13 (start),
14 (end), 15 and on (any extra key, in the order given).
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.models.school import Session, Slot
from afterschool.scheduler.reading.school_config import parse_school
from school_files import ONE_AVAILABILITY, ONE_VOLUNTEER, SCHOOL, students_rows, write_instance


def term(*lines: str, tail: str = "") -> str:
    return SCHOOL.replace("[term]\n", "[term]\n" + "".join(f"{x}\n" for x in lines)) + tail


def session(tail_before: str = "", **over: str) -> str:
    keys = {"id": '"after-upper"', "name": '"care"', "grades": "[3]", "days": '["Tue"]',
            "start": '"16:20"', "end": '"17:20"'}
    keys.update(over)
    block = "[[sessions]]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items() if v is not None)
    return SCHOOL + tail_before + block


def without(key_line: str) -> str:
    assert key_line in SCHOOL
    return SCHOOL.replace(key_line, "")


TWO_SESSIONS = ('[[sessions]]\nid = "after-a"\ngrades = [3]\ndays = ["Tue"]\n'
                'start = "16:20"\nend = "17:20"\n'
                '[[sessions]]\nid = "{second}"\ngrades = [{grades}]\ndays = ["Tue"]\n'
                'start = "16:20"\nend = "17:20"\n')

# (case, school.toml text, the line the office must see on stderr)
CASES = [
    # -- the shape of the file: a table where a table belongs (each was an internal error)
    ("school is a string", 'school = "x"\n' + SCHOOL.replace(
        '[school]\nname = "Test School"\nlanguage = "en"\n', ""),
     "school.toml, row 1, column 'school': not a table (found 'x'"),
    ("term is a number", 'term = 5\n[school]\nname = "Test School"\n',
     "school.toml, row 1, column 'term': not a table (found '5'"),
    ("rules is a number", "rules = 5\n" + SCHOOL,
     "school.toml, row 1, column 'rules': not a table (found '5'"),
    ("sessions is a string", 'sessions = "after-upper"\n' + SCHOOL,
     "school.toml, row 1, column 'sessions': not an array of tables (found 'after-upper'"),
    # a single [sessions] (one bracket) used to leave the school with no session at all,
    # reported only as "the term has no service date"
    ("[sessions] with single brackets", SCHOOL + '[sessions]\nid = "after-upper"\n',
     "school.toml, row 8, column 'sessions': not an array of tables (expected [[sessions]]"),
    ("a session that is a number", "sessions = [1]\n" + SCHOOL,
     "school.toml, row 1, column 'sessions': session 1 is not a table (found '1'"),
    # -- [school]
    ("school name is a number", SCHOOL.replace('name = "Test School"', "name = 5"),
     "school.toml, row 2, column 'school.name': not a text (found '5'"),
    ("unknown language", SCHOOL.replace('"en"', '"fr"'),
     "school.toml, row 3, column 'school.language': unknown language (found 'fr'; "
     "expected zh or en)"),
    # -- [term]
    ("term start missing", without("start = 2026-09-07\n"),
     "school.toml, column 'term.start': required key missing"),
    ("term start is a date and time", SCHOOL.replace("2026-09-07", "2026-09-07T08:00:00"),
     "school.toml, row 5, column 'term.start': not a date (found '2026-09-07 08:00:00'"),
    ("holiday range backwards", term("holidays = [{ from = 2026-09-10, to = 2026-09-08 }]"),
     "school.toml, row 5, column 'term.holidays': holiday range ends before it starts"),
    ("holiday in quotes", term('holidays = ["2026-09-08"]'),
     "school.toml, row 5, column 'term.holidays': not a holiday (found '2026-09-08'; "
     "expected a date or { from = DATE, to = DATE })"),
    # a date-time is a Python date too: it used to be taken and then never matched a day
    ("holiday with a time", term("holidays = [2026-09-08T08:00:00]"),
     "school.toml, row 5, column 'term.holidays': not a holiday (found '2026-09-08 08:00:00'"),
    ("holiday range with a time", term(
        "holidays = [{ from = 2026-09-08T00:00:00, to = 2026-09-09 }]"),
     "school.toml, row 5, column 'term.holidays': not a holiday"),
    ("holidays not a list", term('holidays = "2026-09-08"'),
     "school.toml, row 5, column 'term.holidays': not a list (found '2026-09-08'"),
    ("make-up days not a table", term('makeup_days = "Sat"'),
     "school.toml, row 5, column 'term.makeup_days': not a table (found 'Sat'"),
    ("make-up day not a date", term('makeup_days = { soon = "Fri" }'),
     "school.toml, row 5, column 'term.makeup_days': make-up day is not a date (found 'soon'"),
    # 2026-09-12 is the Saturday after Monday 2026-09-07
    ("make-up day follows a Sunday", term('makeup_days = { 2026-09-12 = "Sun" }'),
     "school.toml, row 5, column 'term.makeup_days': make-up day 2026-09-12 follows an "
     "unknown weekday (found 'Sun'; expected Mon, Tue, Wed, Thu or Fri)"),
    # 2026-09-09 is the Wednesday of that week
    ("make-up day on a school day", term('makeup_days = { 2026-09-09 = "Fri" }'),
     "school.toml, row 5, column 'term.makeup_days': make-up day 2026-09-09 is a Wed, "
     "already a school day (found '2026-09-09'; expected a Saturday or Sunday)"),
    ("official_holidays in words", SCHOOL.replace("official_holidays = false",
                                                  'official_holidays = "no"'),
     "school.toml, row 7, column 'term.official_holidays': not true or false (found 'no'"),
    # -- [rules]: row 8 is [rules], row 9 the key
    ("group cap in quotes", SCHOOL + '[rules]\ngroup_cap = "40"\n',
     "school.toml, row 9, column 'rules.group_cap': not a whole number (found '40'"),
    ("daily minutes with a fraction", SCHOOL + "[rules]\nmax_daily_minutes = 90.5\n",
     "school.toml, row 9, column 'rules.max_daily_minutes': not a whole number (found '90.5'"),
    # -- [[sessions]]
    ("session without days", session(days=None),
     "school.toml, column 'sessions.days': session 1 (after-upper): required key missing"),
    ("grades a string", session(grades='"3"'),
     "school.toml, row 11, column 'sessions.grades': session 1 (after-upper): grades must be "
     "a list of grade numbers (found '3'; expected [1, 2])"),
    ("grades empty", session(grades="[]"),
     "school.toml, row 11, column 'sessions.grades': session 1 (after-upper): grades must be "
     "a list of grade numbers (found '[]'"),
    ("session on a Saturday", session(days='["Sat"]'),
     "school.toml, row 12, column 'sessions.days': session 1 (after-upper): unknown weekday "
     "(found 'Sat'; expected Mon … Fri)"),
    ("slot written as text", session(slots='["16:20-17:20"]'),
     "school.toml, row 15, column 'sessions.slots': session 1 (after-upper): slot is not a "
     "table (found '16:20-17:20'"),
    ("slots a number", session(slots="5"),
     "school.toml, row 15, column 'sessions.slots': session 1 (after-upper): slots is not a "
     "list (found '5'"),
    ("slot backwards", session(slots='[{ name = "a", start = "17:20", end = "16:20" }]'),
     "school.toml, row 15, column 'sessions.slots': session 1 (after-upper): slot ends before "
     "it starts (found '17:20-16:20'"),
    ("slot time in words", session(slots='[{ name = "a", start = "4pm", end = "17:20" }]'),
     "school.toml, row 15, column 'sessions.slots': session 1 (after-upper): not a time "
     "(found '4pm'; expected a time \"HH:MM\" such as \"16:20\")"),
    ("unknown sign-up column", session(signup='"evening"'),
     "school.toml, row 15, column 'sessions.signup': session 1 (after-upper): unknown sign-up "
     "column (found 'evening'; expected noon or afternoon)"),
    ("sign-up column a list", session(signup='["noon"]'),  # was: unhashable type 'list'
     "school.toml, row 15, column 'sessions.signup': session 1 (after-upper): unknown sign-up "
     "column"),
    # two blocks: rows 8-13 and 14-19; the row named is the first block's key (row 9, 10)
    ("two sessions with one id", SCHOOL + TWO_SESSIONS.format(second="after-a", grades=4),
     "school.toml, row 9, column 'sessions.id': two sessions have the same id "
     "(found 'after-a')"),
    ("grade 3 signs up twice", SCHOOL + TWO_SESSIONS.format(second="after-b", grades="4, 3"),
     "school.toml, row 10, column 'sessions.grades': grade 3 signs up for 'afternoon' in two "
     "sessions (after-a, after-b)"),
]


@pytest.mark.parametrize("case, text, expected", CASES, ids=[c[0] for c in CASES])
def test_school_toml_error_is_named(tmp_path, case, text, expected):
    folder = write_instance(tmp_path / "s", students=students_rows(3), teachers=ONE_VOLUNTEER,
                            availability=ONE_AVAILABILITY, school=text)
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 2, (case, r.exit_code, r.output)
    assert expected in r.stderr, (case, r.stderr)
    assert "Traceback" not in r.output and "internal error" not in r.output


def test_the_same_file_refuses_plan_before_writing(tmp_path):
    # the first case that used to be an internal error, through plan --out
    folder = write_instance(tmp_path / "s", students=students_rows(3), teachers=ONE_VOLUNTEER,
                            availability=ONE_AVAILABILITY, school="term = 5\n" + SCHOOL.replace(
                                "[term]\nstart = 2026-09-07\nend = 2026-09-11\n"
                                "official_holidays = false\n", ""))
    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out)])
    assert r.exit_code == 2 and "column 'term': not a table" in r.stderr
    assert not out.exists()


# -- the keeping side: the same keys, right, are taken as written

def test_a_make_up_saturday_and_a_fee_are_charged(tmp_path):
    # term Mon 2026-09-07 .. Sun 2026-09-13; Saturday 2026-09-12 runs Tuesday's timetable.
    # Three pupils on Tuesday afternoons (after-upper, 60 billable minutes) attend
    # Tue 09-08 and Sat 09-12: 2 x 60 min = 2 h, at fee_per_hour "3.5" -> 2 x 3.50 = 7.00.
    # (Without the make-up day, or with the default 2.00/h, the fee would be 3.50 or 4.00.)
    text = SCHOOL.replace("2026-09-11", "2026-09-13").replace(
        "official_holidays = false", 'official_holidays = false\nmakeup_days = { 2026-09-12 = '
        '"Tue" }') + '[rules]\nfee_per_hour = "3.5"\n'
    folder = write_instance(tmp_path / "s", students=students_rows(3), teachers=ONE_VOLUNTEER,
                            availability=ONE_AVAILABILITY, school=text)
    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out), "--skip", "all"])
    assert r.exit_code == 0, r.output
    fees = json.loads((out / "plan.json").read_text(encoding="utf-8"))["fees"]
    assert {f["student"]: f["service_fee"] for f in fees} == {
        "S0001": "7.00", "S0002": "7.00", "S0003": "7.00"}


def test_sessions_and_slots_as_written(tmp_path):
    # one session, two slots tiling 16:20-17:20 (980-1040 minutes), written out of order;
    # sign-up column "noon" given explicitly although the id does not start with "noon"
    text = session(slots='[{ name = "b", start = "16:50", end = "17:20" }, '
                         '{ name = "a", start = "16:20", end = "16:50" }]',
                   signup='"noon"', billable_minutes="45")
    school, problems = parse_school(text)
    assert problems == []
    assert school.sessions == (Session("after-upper", "care", (3,), ("Tue",), 980, 1040, 45,
                                       (Slot("a", 980, 1010), Slot("b", 1010, 1040)), "noon"),)
    assert school.term.start == date(2026, 9, 7) and school.term.end == date(2026, 9, 11)
    assert school.rules.fee_per_hour == Decimal("2.00")  # SPEC §8 default, untouched


def test_holidays_as_written(tmp_path):
    # a single day and a range that do not overlap: Tue 09-08, and Thu 09-10 .. Fri 09-11
    school, problems = parse_school(term(
        "holidays = [2026-09-08, { from = 2026-09-10, to = 2026-09-11 }]"))
    assert problems == []
    assert school.term.holidays == {date(2026, 9, 8), date(2026, 9, 10), date(2026, 9, 11)}
