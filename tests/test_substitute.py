"""Substitution for an absence (SPEC §9), on tiny schools whose answer is worked out by hand.

The school: a two-week term, Mon 2026-09-07 to Fri 2026-09-18, with a holiday on Wed
2026-09-16; default sessions (noon 11:20-13:30 in four slots; after-lower 15:35-16:35;
after-upper 16:20-17:20, so the two afternoon sessions overlap 16:20-16:35). Plans are
written by hand (``Duty`` lists) so each test knows who is on duty where; the library call
``substitute`` decides, and the CLI is exercised on the same plans with the extras a real
plan carries (taken from planning the same instance).
"""
from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.models.plan import Duty, Group, Plan
from afterschool.models.errors import InputError
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.handouts.cover import cover_rows
from afterschool.scheduler.planning.substitute import substitute
from afterschool.scheduler.reading.reader import read_instance
from school_files import SCHOOL, school_until, write_instance

# every plan.json the commands write here adds no violation to the (hand-made) plan it
# started from (conftest)
pytestmark = pytest.mark.usefixtures("written_plans_add_no_violation")

TWO_WEEKS = school_until("2026-09-18", "holidays = [2026-09-16]")
UPPER = "作业辅导、体育锻炼、社团活动"
NOON = (("准备", "11:20", "11:40"), ("午餐", "11:40", "12:20"),
        ("作业辅导、阅读", "12:20", "13:00"), ("午休", "13:00", "13:30"))
TUE1, THU1, TUE2, THU2 = "2026-09-08", "2026-09-10", "2026-09-15", "2026-09-17"


def person(tid, volunteer="yes", manage="no", weekly="", double="no"):
    return f"{tid},Name{tid},{volunteer},{manage},staff,,{weekly},,{double}\n"


def avail(tid, days, session, status="available"):
    return "".join(f"{tid},{d},{session},{status}\n" for d in days.split())


# S1: grade 3 (after-upper) Tue Thu and noon Tue; S2: grade 1 (after-lower) Tue
STUDENTS = ("S1,Kid1,3,3-1,Tue,Tue Thu,,normal,,,enrolled,\n"
            "S2,Kid2,1,1-1,,Tue,,normal,,,enrolled,\n")
GROUPS = [Group("up", "after-upper", ("S1",)), Group("low", "after-lower", ("S2",)),
          Group("nn", "noon", ("S1",))]


def school(tmp_path, teachers, availability, rules="", name="s"):
    folder = write_instance(tmp_path / name, students=STUDENTS, teachers=teachers,
                            availability=availability, school=TWO_WEEKS, rules=rules)
    return read_instance(folder)


def upper(staff, day="Tue"):
    return Duty(day=day, start="16:20", end="17:20", staff=staff, role="teacher",
                session="after-upper", group="up", slot=UPPER)


def lower(staff, day="Tue"):
    return Duty(day=day, start="15:35", end="16:35", staff=staff, role="teacher",
                session="after-lower", group="low", slot=UPPER)


def noon(staff, k, day="Tue"):
    name, a, b = NOON[k]
    return Duty(day=day, start=a, end=b, staff=staff, role="teacher", session="noon",
                group="nn", slot=name)


def manager(staff, day="Tue"):
    return Duty(day=day, start="15:35", end="17:20", staff=staff, role="manager",
                window="afternoon")


def plan_of(*duties, exceptions=()):
    return Plan(status="FEASIBLE", groups=list(GROUPS), duties=list(duties),
                exceptions=list(exceptions))


def covers(result):
    return [(x["date"], x["start"], x["staff"]) for x in result.added]


# ---- hard rules -----------------------------------------------------------------------

def test_a_candidate_on_duty_at_an_overlapping_time_is_not_chosen(tmp_path):
    # T1 has after-upper Tue 16:20-17:20, T2 after-lower Tue 15:35-16:35: they overlap
    # 16:20-16:35, so T2 cannot cover T1 although T2 is available for after-upper.
    # Only T3 (free) can: T3 covers. Without T3, nobody: a shortage on that date.
    av = avail("T1", "Tue Thu", "after-upper") + avail("T2", "Tue", "afternoon")
    inst = school(tmp_path, person("T1") + person("T2"), av)
    result = substitute(inst, plan_of(upper("T1"), lower("T2")), "T1", [TUE1])
    assert covers(result) == [(TUE1, "16:20", None)]
    inst = school(tmp_path, person("T1") + person("T2") + person("T3"),
                  av + avail("T3", "Tue", "after-upper"), name="t")
    result = substitute(inst, plan_of(upper("T1"), lower("T2")), "T1", [TUE1])
    assert covers(result) == [(TUE1, "16:20", "T3")] and result.asked == ["T3"]


def test_weekly_limit_counts_an_earlier_substitution_that_week(tmp_path):
    # T3 may serve 60 min a week and has no duty of their own. T1 (after-upper Tue, Thu)
    # is absent Tue of week 1: T3 covers (60 min). Absent again Thu of week 1: T3 would
    # reach 120 > 60, nobody else -> uncovered. Thu of week 2 is another week: T3 covers.
    av = avail("T1", "Tue Thu", "after-upper") + avail("T3", "Tue Thu", "after-upper")
    inst = school(tmp_path, person("T1") + person("T3", weekly="60"), av)
    first = substitute(inst, plan_of(upper("T1"), upper("T1", "Thu")), "T1", [TUE1])
    assert covers(first) == [(TUE1, "16:20", "T3")]
    second = substitute(inst, first.plan, "T1", [THU1, THU2])
    assert covers(second) == [(THU1, "16:20", None), (THU2, "16:20", "T3")]
    (advice,) = second.advice
    assert "the others: 1 at the weekly limit" in advice["text"]
    assert len(second.plan.exceptions) == 3  # the first substitution is kept
    # the cover list speaks the school's language: the same advice in Chinese (a real plan
    # carries the session names; this hand-made one is given the default name)
    second.plan.extra["sessions"] = {"after-upper": {"name": "晚托（高年级）"}}
    note = {r["date"]: r["note"] for r in cover_rows(second, "zh")}
    assert note == {THU2: "", THU1: "周四 16:20-17:20（晚托（高年级）1组）再有一位志愿者报名即可"
                    "补上；其他人：1人已达每周上限"}


@pytest.mark.parametrize("daily,expected", [(90, None), (100, "T3")])
def test_daily_limit_on_that_date(tmp_path, daily, expected):
    # T3 (allow_double) has the noon slot 12:20-13:00 (40 min) on Tue. Covering T1's
    # after-upper hour makes 100 min that day: over a daily limit of 90, within 100.
    av = avail("T1", "Tue", "after-upper") + avail("T3", "Tue", "noon") + \
        avail("T3", "Tue", "after-upper")
    inst = school(tmp_path, person("T1") + person("T3", double="yes"), av,
                  rules=f"max_daily_minutes = {daily}\n")
    result = substitute(inst, plan_of(upper("T1"), noon("T3", 2)), "T1", [TUE1])
    assert covers(result) == [(TUE1, "16:20", expected)]


@pytest.mark.parametrize("double,expected", [("no", None), ("yes", "T3")])
def test_no_noon_and_afternoon_without_allow_double(tmp_path, double, expected):
    # T3 has a noon slot Tue; covering the afternoon makes noon + afternoon on one day.
    av = avail("T1", "Tue", "after-upper") + avail("T3", "Tue", "noon") + \
        avail("T3", "Tue", "after-upper")
    inst = school(tmp_path, person("T1") + person("T3", double=double), av)
    result = substitute(inst, plan_of(upper("T1"), noon("T3", 2)), "T1", [TUE1])
    assert covers(result) == [(TUE1, "16:20", expected)]


def test_unavailable_and_non_volunteers_are_never_chosen(tmp_path):
    # T2 does not volunteer; T3 declared Tue after-upper unavailable; T4 declared only
    # Thu. Nobody may cover Tue. T5, available Tue, may.
    av = avail("T1", "Tue", "after-upper") + avail("T3", "Tue", "after-upper", "unavailable") \
        + avail("T3", "Thu", "after-upper") + avail("T4", "Thu", "after-upper")
    people = person("T1") + person("T2", volunteer="no") + person("T3") + person("T4")
    inst = school(tmp_path, people, av)
    result = substitute(inst, plan_of(upper("T1")), "T1", [TUE1])
    assert covers(result) == [(TUE1, "16:20", None)]
    assert result.advice[0]["could_volunteer"] == ["T2", "T3", "T4"]
    assert "could cover if they volunteered for it: NameT2 (T2), NameT3 (T3), NameT4 (T4)" \
        in result.advice[0]["text"]
    result.plan.extra["people"] = {"staff": {t: {"name": f"Name{t}"} for t in ("T2", "T3",
                                                                              "T4")}}
    (row,) = cover_rows(result, "zh")
    assert "当时空闲且未超上限、报名即可代课：NameT2（T2）、NameT3（T3）、NameT4（T4）" in row["note"]
    inst = school(tmp_path, people + person("T5"), av + avail("T5", "Tue", "after-upper"),
                  name="t")
    assert covers(substitute(inst, plan_of(upper("T1")), "T1", [TUE1])) == [
        (TUE1, "16:20", "T5")]


def test_a_manager_window_goes_only_to_a_manager_available_for_all_of_it(tmp_path):
    # T1 manages Tue's afternoon window 15:35-17:20. T2 is available for the window but
    # cannot manage; T3 can manage but declared only after-upper (not the whole window);
    # T4 can manage and declared the window: T4 covers, for the whole window.
    av = avail("T1", "Tue", "afternoon") + avail("T2", "Tue", "afternoon") + \
        avail("T3", "Tue", "after-upper") + avail("T4", "Tue", "afternoon")
    people = person("T1", manage="yes") + person("T2") + person("T3", manage="yes") + \
        person("T4", manage="yes")
    inst = school(tmp_path, people, av)
    result = substitute(inst, plan_of(manager("T1")), "T1", [TUE1])
    (x,) = result.added
    assert (x["role"], x["window"], x["start"], x["end"], x["staff"]) == (
        "manager", "afternoon", "15:35", "17:20", "T4")


# ---- objectives ---------------------------------------------------------------------

def test_a_noon_duty_goes_to_one_person_when_one_can_take_it_all(tmp_path):
    # T1 holds all four noon slots Tue (130 min). T3 prefers noon but may serve 60 min a
    # week (two slots at most); T2 is merely available and can take all four. Fewest
    # people asked comes before preferred times: T2 alone.
    av = avail("T1", "Tue", "noon") + avail("T2", "Tue", "noon") + \
        avail("T3", "Tue", "noon", "preferred")
    inst = school(tmp_path, person("T1") + person("T2") + person("T3", weekly="60"), av)
    result = substitute(inst, plan_of(*(noon("T1", k) for k in range(4))), "T1", [TUE1])
    assert [x["staff"] for x in result.added] == ["T2"] * 4 and result.asked == ["T2"]


def test_preferred_time_breaks_a_tie(tmp_path):
    av = avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-upper") + \
        avail("T3", "Tue", "after-upper", "preferred")
    inst = school(tmp_path, person("T1") + person("T2") + person("T3"), av)
    assert covers(substitute(inst, plan_of(upper("T1")), "T1", [TUE2])) == [
        (TUE2, "16:20", "T3")]


@pytest.mark.parametrize("earlier,expected", [("T2", "T3"), ("T3", "T2")])
def test_fairness_the_one_with_fewer_substitutions_so_far(tmp_path, earlier, expected):
    # T2 and T3 are alike; one of them covered T1 in week 1. In week 2 the other is asked.
    av = avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-upper") + \
        avail("T3", "Tue", "after-upper")
    inst = school(tmp_path, person("T1") + person("T2") + person("T3"), av)
    week1 = substitute(inst, plan_of(upper("T1")), "T1", [TUE1])
    before = plan_of(upper("T1"), exceptions=[{**week1.added[0], "staff": earlier}])
    assert covers(substitute(inst, before, "T1", [TUE2])) == [(TUE2, "16:20", expected)]


# ---- stacking -----------------------------------------------------------------------

def test_two_absences_stack_and_respect_each_other(tmp_path):
    # Tue week 1: T1 after-upper, T2 after-lower. T3 is available all afternoon, T4 only
    # after-lower. T1 absent -> T3 (the only one for after-upper). Then T2 absent: T3 now
    # holds 16:20-17:20 through the first exception, which overlaps after-lower -> T4.
    # Then T3 is absent too: T3's new duty (T1's) needs cover again, and T3 is in no way
    # asked; nobody is left for it -> a shortage, the chain T1 -> T3 -> nobody.
    av = avail("T1", "Tue", "after-upper") + avail("T2", "Tue", "after-lower") + \
        avail("T3", "Tue", "afternoon") + avail("T4", "Tue", "after-lower")
    inst = school(tmp_path, person("T1") + person("T2") + person("T3") + person("T4"), av)
    one = substitute(inst, plan_of(upper("T1"), lower("T2")), "T1", [TUE1])
    two = substitute(inst, one.plan, "T2", [TUE1])
    assert covers(two) == [(TUE1, "15:35", "T4")]
    three = substitute(inst, two.plan, "T3", [TUE1])
    assert [(x["replaces"], x["staff"]) for x in three.added] == [("T3", None)]
    pay = {r["staff"]: r["minutes"] for r in three.plan.pay}
    # T1: Tue week 2 only (60); T2: week 2 (60); T4: the covered hour (60); T3 nothing
    assert pay == {"T1": 60, "T2": 60, "T4": 60}


def test_a_person_absent_that_day_is_not_asked(tmp_path):
    # T3 was absent on Tue week 1 (an earlier exception replaced T3's after-lower duty);
    # T3 is not asked to cover T1 that day although free at 16:20-17:20.
    av = avail("T1", "Tue", "after-upper") + avail("T3", "Tue", "afternoon")
    inst = school(tmp_path, person("T1") + person("T3"), av)
    away = {"date": TUE1, "day": "Tue", "session": "after-lower", "window": None,
            "slot": UPPER, "group": "low", "start": "15:35", "end": "16:35",
            "role": "teacher", "staff": None, "replaces": "T3"}
    plan = plan_of(upper("T1"), lower("T3"), exceptions=[away])
    assert covers(substitute(inst, plan, "T1", [TUE1])) == [(TUE1, "16:20", None)]


# ---- money ---------------------------------------------------------------------------

def test_pay_moves_exactly_the_covered_minutes(tmp_path):
    # T1: after-upper Tue and Thu, both weeks; service dates Tue 09-08, 09-15, Thu 09-10,
    # 09-17 (Wed 09-16 is the holiday, no effect here) -> 4 x 60 = 240 min = 240.00 yuan
    # at 60 yuan/h. Absent Tue 09-08 and Thu 09-17, covered by T2: T1 keeps 240 - 120 =
    # 120 min = 120.00; T2 gains exactly those 120 min x 60/60 = 120.00.
    av = avail("T1", "Tue Thu", "after-upper") + avail("T2", "Tue Thu", "after-upper")
    inst = school(tmp_path, person("T1") + person("T2"), av)
    result = substitute(inst, plan_of(upper("T1"), upper("T1", "Thu")), "T1", [TUE1, THU2])
    pay = {r["staff"]: (r["minutes"], r["amount"]) for r in result.plan.pay}
    assert pay == {"T1": (120, "120.00"), "T2": (120, "120.00")}


# ---- the command -----------------------------------------------------------------------

def _plan_file(tmp_path, inst, plan, name="plan") -> str:
    """``plan`` written as plan.json with the extras of a real plan of ``inst``."""
    real = solve(inst, time_limit=1, seed=0, workers=1)
    plan.extra = real.extra
    folder = tmp_path / name
    folder.mkdir()
    (folder / "plan.json").write_text(json.dumps(plan.to_dict(), ensure_ascii=False))
    return str(folder / "plan.json")


def _run(*args):
    return CliRunner().invoke(main, ["substitute", *map(str, args)])


@pytest.fixture
def cli_school(tmp_path):
    av = avail("T1", "Tue Thu", "after-upper") + avail("T2", "Tue", "after-upper")
    folder = write_instance(tmp_path / "s", students=STUDENTS,
                            teachers=person("T1") + person("T2"), availability=av,
                            school=TWO_WEEKS)
    inst = read_instance(folder)
    plan = _plan_file(tmp_path, inst, plan_of(upper("T1"), upper("T1", "Thu")))
    return folder, plan


def test_command_covers_writes_the_cover_list_and_exits_0(cli_school, tmp_path):
    folder, plan = cli_school
    out = tmp_path / "out"
    r = _run(folder, plan, "--teacher", "T1", "--dates", TUE1, "--out", out, "--skip",
             "charts")
    assert r.exit_code == 0, r.output
    assert f"{TUE1} Tue 16:20-17:20 after-upper up: NameT2 (T2) covers" in r.stdout
    written = json.loads((out / "plan.json").read_text())
    assert [(x["staff"], x["replaces"]) for x in written["exceptions"]] == [("T2", "T1")]
    cover = (out / "cover.csv").read_text(encoding="utf-8-sig").splitlines()
    assert cover[0] == "date,day,time,duty,slots,absent,substitute,calendar,note"
    # the office reads display names: group 'up' is the session's first (and only) group
    assert cover[1].startswith(f"{TUE1},Tue,16:20-17:20,afternoon care (upper grades) group 1,"
                               "1,NameT1 (T1),NameT2 (T2),rosters/T2.ics")
    assert (out / "cover.xlsx").exists() and (out / "rosters" / "T2.ics").exists()


def test_command_nobody_available_exit_3_with_advice(cli_school, tmp_path):
    # Thu: only T1 declared Thu; T2 did not -> a shortage on that date, with advice
    folder, plan = cli_school
    out = tmp_path / "out"
    r = _run(folder, plan, "--teacher", "T1", "--dates", THU1, "--out", out, "--skip", "all")
    assert r.exit_code == 3, r.output
    assert "UNCOVERED" in r.stdout and "one volunteer available Thu 16:20-17:20" in r.stdout
    (x,) = json.loads((out / "plan.json").read_text())["exceptions"]
    assert x["staff"] is None and x["replaces"] == "T1" and x["date"] == THU1
    assert "UNCOVERED" in (out / "cover.csv").read_text(encoding="utf-8-sig")
    r = _run(folder, plan, "--teacher", "T1", "--dates", THU1, "--out", out, "--skip", "all",
             "--json")
    assert r.exit_code == 3
    data = json.loads(r.stdout)
    assert data["exceptions"][0]["staff"] is None and data["advice"][0]["day"] == "Thu"


@pytest.mark.parametrize("args,message", [
    (["--teacher", "T9", "--dates", TUE1], "no such person"),
    (["--teacher", "T1", "--dates", "2026-09-16"], "not a service date (a holiday"),
    (["--teacher", "T1", "--dates", "2026-09-12"], "not a service date (a weekend"),
    (["--teacher", "T1", "--dates", "2026-10-06"], "outside the term"),
    (["--teacher", "T1", "--dates", "2026-9-8x"], "not a date"),
    (["--teacher", "T1", "--dates", "2026-09-18..2026-09-08"], "not a range inside the term"),
    (["--teacher", "T2", "--dates", TUE1], "T2 has no duty left to cover on 2026-09-08"),
])
def test_command_bad_input_exit_2(cli_school, tmp_path, args, message):
    folder, plan = cli_school
    r = _run(folder, plan, *args, "--out", tmp_path / "out")
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert not (tmp_path / "out" / "plan.json").exists()


def test_command_refuses_a_plan_of_another_school(cli_school, tmp_path):
    folder, plan = cli_school
    data = json.loads(open(plan).read())
    data["school"] = "Another School"
    data["duties"][0]["staff"] = "X99"
    data["people"]["staff"]["X99"] = {"name": "Other", "kind": "staff"}  # its own person
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    r = _run(folder, other, "--teacher", "T1", "--dates", TUE1, "--out", tmp_path / "out")
    assert r.exit_code == 2
    assert "another school" in r.stderr and "X99" in r.stderr


def test_command_is_deterministic_and_stacks_in_place(cli_school, tmp_path):
    folder, plan = cli_school
    outs = []
    for name in ("a", "b"):
        r = _run(folder, plan, "--teacher", "T1", "--dates", f"{TUE1},{TUE2}", "--out",
                 tmp_path / name, "--skip", "all", "--seed", "3")
        assert r.exit_code == 0, r.output
        outs.append((tmp_path / name / "plan.json").read_bytes())
    assert outs[0] == outs[1]
    # the office updates the same folder: the second absence reads the first's output
    r = _run(folder, tmp_path / "a" / "plan.json", "--teacher", "T1", "--dates", THU2,
             "--out", tmp_path / "a", "--skip", "all")
    assert r.exit_code == 3  # Thu: T2 did not declare it
    written = json.loads((tmp_path / "a" / "plan.json").read_text())
    assert [x["date"] for x in written["exceptions"]] == [TUE1, TUE2, THU2]


def test_library_refuses_unknown_dates_all_at_once(tmp_path):
    inst = school(tmp_path, person("T1"), avail("T1", "Tue", "after-upper"))
    with pytest.raises(InputError) as err:
        substitute(inst, plan_of(upper("T1")), "T1", ["2026-09-16", "2026-09-19", "x"])
    assert len(err.value.problems) == 3


def test_days_are_counted_from_the_calendar(tmp_path):
    # a make-up Saturday counts as the weekday the school lists: T1's Tue duty is due then
    cal = TWO_WEEKS.replace("holidays = [2026-09-16]",
                            'holidays = [2026-09-16]\nmakeup_days = { 2026-09-12 = "Tue" }')
    folder = write_instance(tmp_path / "m", students=STUDENTS,
                            teachers=person("T1") + person("T2"),
                            availability=avail("T1", "Tue", "after-upper") +
                            avail("T2", "Tue", "after-upper"), school=cal)
    inst = read_instance(folder)
    result = substitute(inst, plan_of(upper("T1")), "T1", ["2026-09-12"])
    assert [(x["date"], x["day"], x["staff"]) for x in result.added] == [
        ("2026-09-12", "Tue", "T2")]
    assert date.fromisoformat(result.added[0]["date"]).weekday() == 5


# ---- the bundled school, re-checked independently -----------------------------------------

def _verify_substitutes(inst, plan) -> list[str]:
    """Every substitute in ``plan.exceptions`` re-checked in plain Python, apart from the
    module under test: volunteer, declared time (session or window row; a manager can
    manage and declared the window or every session in it), not absent that date, one
    place at a time, daily limit, weekly limit of the calendar week, noon and afternoon
    only with allow_double."""
    from datetime import timedelta
    from afterschool.models.school import parse_time
    teachers = {t.id: t for t in inst.teachers}
    rules = inst.school.rules
    calendar = {d: day for day, ds in plan.extra["calendar"].items() for d in ds}
    sessions = {s.id: s for s in inst.school.sessions}

    def held(iso):  # [key, holder, start, end] on that date after its exceptions, in order
        out = [[(d.role, d.session or d.window, d.group, d.start), d.staff,
                parse_time(d.start), parse_time(d.end)]
               for d in plan.duties if d.day == calendar.get(iso)]
        for x in plan.exceptions:
            if x["date"] == iso:
                key = (x["role"], x["session"] or x["window"], x["group"], x["start"])
                entry = next(e for e in out if e[0] == key and e[1] == x["replaces"])
                entry[1] = x["staff"]
        return out

    def declared(t, day, names):
        return any(inst.availability_of(t, day, n) != "unavailable" for n in names)

    problems = []
    for x in plan.exceptions:
        t, iso, day = x["staff"], x["date"], x["day"]
        if t is None:
            continue
        person = teachers[t]
        if x["role"] == "teacher":
            ok = declared(t, day, [x["session"], sessions[x["session"]].signup])
        else:
            inside = [s.id for s in inst.school.sessions if day in s.days
                      and s.signup == x["window"]]
            ok = person.can_manage and (declared(t, day, [x["window"]]) or all(
                declared(t, day, [s]) for s in inside))
        if not (person.volunteer and ok):
            problems.append(f"{t} not available {iso} {x['start']}")
        if any(y["replaces"] == t for y in plan.exceptions if y["date"] == iso):
            problems.append(f"{t} asked on {iso} while absent")
        mine = sorted((a, b) for _, h, a, b in held(iso) if h == t)
        if any(b1 > a2 for (_, b1), (a2, _) in zip(mine, mine[1:])):
            problems.append(f"{t} double-booked on {iso}")
        if sum(b - a for a, b in mine) > rules.max_daily_minutes:
            problems.append(f"{t} over the daily limit on {iso}")
        if not person.allow_double and min(a for a, _ in mine) < 14 * 60 <= max(a for a, _ in mine):
            problems.append(f"{t} noon and afternoon on {iso}")
        monday = date.fromisoformat(iso) - timedelta(days=date.fromisoformat(iso).weekday())
        week = [(monday + timedelta(days=k)).isoformat() for k in range(7)]
        minutes = sum(b - a for w in week for _, h, a, b in held(w) if h == t)
        limit = person.max_weekly_minutes or rules.max_weekly_minutes
        if minutes > limit:
            problems.append(f"{t} over the weekly limit in the week of {monday}")
    return problems


def test_haijiang_two_absences_keep_every_rule(tmp_path):
    # the bundled school: the busiest person away for a whole week, then the busiest of
    # the rest away on two of those dates; every substitute re-checked independently, and
    # the pay moved, not made: the term's paid minutes drop by exactly the uncovered ones.
    inst = read_instance("haijiang")
    plan = solve(inst, time_limit=2, seed=0, workers=1)
    load = {}
    for d in plan.duties:
        load[d.staff] = load.get(d.staff, 0) + d.minutes
    first, second = sorted(load, key=lambda t: (-load[t], t))[:2]
    week = sorted(d for d in sum(plan.extra["calendar"].values(), [])
                  if "2026-09-14" <= d <= "2026-09-18")
    assert len(week) == 5
    one = substitute(inst, plan, first, week)
    two = substitute(inst, one.plan, second, week[1:3])
    assert two.plan.exceptions[:len(one.added)] == one.added
    assert _verify_substitutes(inst, two.plan) == []
    from afterschool.scheduler.checker import check_plan
    assert check_plan(inst, two.plan) == []  # the independent checker: rules and money
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(two.plan.to_dict(), ensure_ascii=False), encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", "haijiang", str(path)])
    nobody = sum(1 for x in two.plan.exceptions if x["staff"] is None)
    assert checked.exit_code == 0 and f"代课日无人可代 {nobody} 个" in checked.stdout  # zh school
    paid = lambda p: sum(r["minutes"] for r in p.pay)  # noqa: E731
    gone = sum(parse_minutes(x) for x in one.uncovered + two.uncovered)
    assert paid(plan) - paid(two.plan) == gone
    assert two.plan.fees == plan.fees  # a substitution never touches the fees
    again = substitute(inst, one.plan, second, week[1:3])
    assert again.added == two.added  # deterministic


def parse_minutes(x):
    from afterschool.models.school import parse_time
    return parse_time(x["end"]) - parse_time(x["start"])


def test_the_version_in_force_on_that_date_decides_the_duties(tmp_path):
    # Version 1 (week 1): T1 has after-upper Tue. From 09-14 (week 2) T2 has it instead.
    # T1 absent on Tue 09-08 (week 1) has a duty to cover; on Tue 09-15 none (bad input).
    from afterschool.models.plan import version_json
    av = "".join(avail(t, "Tue", "after-upper") for t in ("T1", "T2", "T3"))
    inst = school(tmp_path, person("T1") + person("T2") + person("T3"), av)
    plan = Plan(status="FEASIBLE", groups=list(GROUPS), duties=[upper("T2")],
                valid_from="2026-09-14",
                history=[version_json("2026-09-07", "2026-09-13", GROUPS, [upper("T1")], [])])
    result = substitute(inst, plan, "T1", [TUE1])
    assert [(x["date"], x["replaces"]) for x in result.added] == [(TUE1, "T1")]
    assert result.added[0]["staff"] in ("T2", "T3")
    with pytest.raises(InputError, match="no duty left to cover on 2026-09-15"):
        substitute(inst, plan, "T1", [TUE2])


# ---- against brute force on random tiny schools ---------------------------------------------

def _random_school(tmp_path, rng, k):
    """Five people, Tue and Wed of one week; T1 (the absent one) holds 1-4 duties, the
    others a few; random volunteering, managing, limits, double duty and declared times."""
    people, av = "", ""
    for i in range(1, 6):
        t = f"T{i}"
        vol = "yes" if i == 1 or rng.random() < 0.85 else "no"
        people += person(t, vol, rng.choice(["yes", "no"]), rng.choice(["", "60", "130"]),
                         rng.choice(["yes", "no"]))
        if vol == "yes":
            for day in ("Tue", "Wed"):
                for sess in ("noon", "after-lower", "after-upper", "afternoon"):
                    if i == 1 or rng.random() < 0.45:
                        av += avail(t, day, sess, rng.choice(["available", "preferred"]))
    folder = write_instance(tmp_path / f"r{k}", students=STUDENTS, teachers=people,
                            availability=av, school=SCHOOL)
    inst = read_instance(folder)
    offers = [(d, f) for d in ("Tue", "Wed") for f in
              [lambda s, d: noon(s, 0, d), lambda s, d: noon(s, 1, d), lambda s, d: noon(s, 2, d),
               lambda s, d: noon(s, 3, d), lambda s, d: upper(s, d), lambda s, d: lower(s, d),
               lambda s, d: manager(s, d)]]
    rng.shuffle(offers)
    duties = [f("T1", d) for d, f in offers[:rng.randint(1, 4)]]
    for d, f in offers[4:4 + rng.randint(0, 5)]:
        duties.append(f(rng.choice(["T2", "T3", "T4", "T5"]), d))
    plan = plan_of(*duties)
    plan.extra = {"calendar": {"Mon": [], "Tue": ["2026-09-08"], "Wed": ["2026-09-09"],
                               "Thu": [], "Fri": []}}
    return inst, plan


@pytest.mark.parametrize("k", range(12))
def test_fewest_uncovered_then_fewest_people_against_brute_force(tmp_path, k):
    # every way of giving T1's duties to T2..T5 or nobody, kept only where the independent
    # re-check finds nothing wrong: the model's answer is valid and reaches the best
    # (uncovered minutes, people asked) of all of them
    import itertools
    import random
    from afterschool.models.school import parse_time
    rng = random.Random(k)
    inst, plan = _random_school(tmp_path, rng, k)
    result = substitute(inst, plan, "T1", ["2026-09-08", "2026-09-09"])
    assert _verify_substitutes(inst, result.plan) == []

    def score(xs):
        gap = sum(parse_time(x["end"]) - parse_time(x["start"]) for x in xs if not x["staff"])
        return gap, len({x["staff"] for x in xs if x["staff"]})

    best = None
    for pick in itertools.product([None, "T2", "T3", "T4", "T5"], repeat=len(result.added)):
        xs = [{**x, "staff": t} for x, t in zip(result.added, pick)]
        trial = Plan(status="", groups=plan.groups, duties=plan.duties, exceptions=xs,
                     extra=plan.extra)
        if _verify_substitutes(inst, trial) == []:
            best = score(xs) if best is None else min(best, score(xs))
    assert score(result.added) == best, (result.added, best)


def test_a_failed_write_leaves_the_previous_outputs(cli_school, tmp_path, monkeypatch):
    # all or nothing, like plan: the cover list fails last, after plan.json was staged;
    # the folder keeps the plan.json of the run before, byte for byte
    from afterschool.scheduler.handouts import cover
    folder, plan = cli_school
    out = tmp_path / "out"
    assert _run(folder, plan, "--teacher", "T1", "--dates", TUE1, "--out", out, "--skip",
                "all").exit_code == 0
    before = (out / "plan.json").read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cover, "write_tables", broken)
    r = _run(folder, out / "plan.json", "--teacher", "T1", "--dates", TUE2, "--out", out,
             "--skip", "all")
    assert r.exit_code == 1 and "disk full" in r.stderr
    assert (out / "plan.json").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


def test_a_date_range_stands_for_its_service_dates(tmp_path):
    # 09-07..09-18 holds T1's Tue and Thu duties of both weeks; Wed 09-16 (holiday) and
    # the weekend are simply not service dates inside a range
    av = avail("T1", "Tue Thu", "after-upper") + avail("T2", "Tue Thu", "after-upper")
    inst = school(tmp_path, person("T1") + person("T2", weekly="600"), av)
    result = substitute(inst, plan_of(upper("T1"), upper("T1", "Thu")), "T1",
                        ["2026-09-07..2026-09-18"])
    assert covers(result) == [(d, "16:20", "T2") for d in (TUE1, THU1, TUE2, THU2)]
    assert "2026-09-16" not in result.dates and len(result.dates) == 9
