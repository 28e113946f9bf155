"""Venues and activities (SPEC §12), hand-worked.

Most cases call ``planning.venues.place`` on groups written by hand (so the groups are known
without the grouping search); the plan-level cases run ``solve`` on a tiny school. Every
expected room, count and bound below follows from the few venues and pupils of the case.
"""
from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.models.plan import Group, Plan
from afterschool.models.venues import Reserved
from afterschool.scheduler.checker import check_plan
from afterschool.scheduler.planning.cpsat import Deadline, SolveOptions
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.planning.venues import place
from afterschool.scheduler.reading.plan_schema import validate_plan_dict
from afterschool.scheduler.reading.reader import read_instance
from school_files import (ONE_AVAILABILITY, ONE_VOLUNTEER, SCHOOL, base, digest,
                          students_rows, write_instance)

UPPER = "after-upper"


def school_with(tmp_path, venues: str, students: str, rooms: str | None = None,
                sessions: str = "", name: str = "s"):
    folder = write_instance(tmp_path / name, students=students, teachers=ONE_VOLUNTEER,
                            availability=ONE_AVAILABILITY, school=SCHOOL + sessions + venues)
    if rooms is not None:
        (folder / "rooms.csv").write_text("id,name,capacity,homeroom_class\n" + rooms,
                                          encoding="utf-8")
    return read_instance(folder)


def opts(seed: int = 0) -> SolveOptions:
    return SolveOptions(time_limit=5, seed=seed, deadline=Deadline.for_limit(5))


def rows_of(vp, group):
    return [r for r in vp.rows if r["group"] == group]


def test_two_groups_one_homeroom_other_gets_next_best_room(tmp_path):
    # both groups' largest class is 3-1, whose homeroom is R1; R2 is another classroom,
    # LIB a library (a room too, but not a classroom: one point dearer)
    kids = students_rows(10, klass="3-1") + students_rows(6, klass="3-1", start=11) \
        + students_rows(4, klass="3-2", start=17)
    inst = school_with(tmp_path, '[[venues]]\nid = "LIB"\nname = "Library"\nkind = "library"\n'
                       'capacity = 60\n', kids,
                       rooms="R1,Room 1,45,3-1\nR2,Room 2,45,\n")
    ids = [s.id for s in inst.students]
    groups = [Group("G1", UPPER, tuple(ids[:10])), Group("G2", UPPER, tuple(ids[10:]))]
    present = {("Tue", UPPER): ["G1", "G2"]}
    vp = place(inst, groups, present, opts())
    rooms = {r["group"]: r["venue"] for r in vp.rows}
    assert sorted(rooms.values()) == ["R1", "R2"]  # one has the homeroom, the other R2
    assert vp.no_room == [] and vp.stats["in_homeroom"] == 1
    assert vp.stats["in_homeroom_bound"] == 1  # R1 holds one group at a time
    again = place(inst, groups, present, opts())
    assert again.rows == vp.rows  # same input and seed, same rooms


OVERLAP_SESSIONS = """
[[sessions]]
id = "after-lower"
name = "Lower"
grades = [1, 2]
days = ["Tue"]
start = "15:35"
end = "{lower_end}"
billable_minutes = 60
[[sessions]]
id = "after-upper"
name = "Upper"
grades = [3, 4, 5, 6]
days = ["Tue"]
start = "16:20"
end = "17:20"
billable_minutes = 60
"""


@pytest.mark.parametrize("lower_end, both", [("16:35", False), ("16:20", True)])
def test_the_1620_1635_overlap_in_one_room(tmp_path, lower_end, both):
    # one room; the lower group 15:35-16:35 and the upper group 16:20-17:20 overlap for
    # 15 minutes, so one of them has no room; ending the lower session at 16:20 frees it
    kids = students_rows(10, grade=1) + students_rows(10, grade=3, start=11)
    sessions = OVERLAP_SESSIONS.replace("{lower_end}", lower_end)
    if lower_end == "16:20":
        sessions = sessions.replace("billable_minutes = 60\n[[", "billable_minutes = 45\n[[", 1)
    inst = school_with(tmp_path, "", kids, rooms="R1,Room 1,45,\n", sessions=sessions)
    ids = [s.id for s in inst.students]
    groups = [Group("L1", "after-lower", tuple(ids[:10])), Group("U1", UPPER, tuple(ids[10:]))]
    present = {("Tue", "after-lower"): ["L1"], ("Tue", UPPER): ["U1"]}
    vp = place(inst, groups, present, opts())
    placed = [r["group"] for r in vp.rows if r["venue"] == "R1"]
    if both:
        assert sorted(placed) == ["L1", "U1"] and vp.no_room == []
    else:
        assert len(placed) == 1 and len(vp.no_room) == 1
        assert vp.no_room[0]["group"] != placed[0]


def test_room_too_small_is_not_used_and_no_room_is_a_shortfall(tmp_path):
    # 42 pupils present: R1 (their homeroom, 40 seats) is refused, R2 (45 seats) taken
    kids = students_rows(42, klass="3-1")
    inst = school_with(tmp_path, "", kids, rooms="R1,Room 1,40,3-1\nR2,Room 2,45,\n")
    groups = [Group("G1", UPPER, tuple(s.id for s in inst.students))]
    present = {("Tue", UPPER): ["G1"]}
    vp = place(inst, groups, present, opts())
    assert [r["venue"] for r in vp.rows] == ["R2"]
    assert vp.stats["in_homeroom_bound"] == 0
    small = school_with(tmp_path, "", kids, rooms="R1,Room 1,40,3-1\n", name="small")
    vp = place(small, groups, present, opts())
    assert vp.no_room == [{"day": "Tue", "session": UPPER, "group": "G1", "pupils": 42}]
    assert vp.rows[0]["venue"] is None and vp.rows[0]["room"] is None


PLAYGROUND = """
[[venues]]
id = "PG"
name = "Playground"
kind = "playground"
capacity = 200
groups = {groups}
available = [{{ days = [{days}], start = "15:00", end = "18:00" }}]
[[venues]]
id = "GYM"
name = "Gym"
kind = "gym"
capacity = 100
[[activities]]
id = "sport"
name = "Sport"
venue_kinds = ["playground"]
per_week = {per_week}
rain_venue_kinds = ["gym"]
"""


def test_an_activity_that_fits_only_on_two_days(tmp_path):
    # the group comes Tue-Fri; the playground is open Tue and Wed only: 2 of 3 given,
    # 1 missing, and the bound says 1 must be missing
    kids = students_rows(20, afternoon="Tue Wed Thu Fri")
    venues = PLAYGROUND.format(groups=1, days='"Tue", "Wed"', per_week=3)
    inst = school_with(tmp_path, venues, kids, rooms="R1,Room 1,45,3-1\n")
    groups = [Group("G1", UPPER, tuple(s.id for s in inst.students))]
    present = {(d, UPPER): ["G1"] for d in ("Tue", "Wed", "Thu", "Fri")}
    vp = place(inst, groups, present, opts())
    sport = sorted(r["day"] for r in vp.rows if r["activity"] == "sport")
    assert sport == ["Tue", "Wed"]
    assert vp.shortfalls == [{"group": "G1", "activity": "sport", "missing": 1}]
    assert vp.stats["activities"] == [{"activity": "sport", "needed": 3, "given": 2,
                                       "missing": 1, "missing_bound": 1}]
    # homework help on the other days, in the group's room
    assert {r["venue"] for r in vp.rows if r["activity"] is None} == {"R1"}


def test_rain_plan_moves_into_the_gym_while_it_has_room(tmp_path):
    # two groups on the playground at once (it holds 2) on Tuesday; the gym holds 1:
    # on a rainy Tuesday one moves to the gym, the other stays in its room
    kids = students_rows(20, klass="3-1") + students_rows(20, klass="3-2", start=21)
    venues = PLAYGROUND.format(groups=2, days='"Tue"', per_week=1)
    inst = school_with(tmp_path, venues, kids, rooms="R1,Room 1,45,3-1\nR2,Room 2,45,3-2\n")
    ids = [s.id for s in inst.students]
    groups = [Group("G1", UPPER, tuple(ids[:20])), Group("G2", UPPER, tuple(ids[20:]))]
    vp = place(inst, groups, {("Tue", UPPER): ["G1", "G2"]}, opts())
    assert sorted(r["group"] for r in vp.rows if r["activity"] == "sport") == ["G1", "G2"]
    assert sorted((r["group"], r["venue"]) for r in vp.rain) == [("G1", "GYM"), ("G2", None)]
    assert vp.stats["rain_unplaced"] == 1


def test_reserved_occupancy_counts_against_the_limit(tmp_path):
    # a club holds R1 on Tuesday 16:00-17:00: the group goes to R2
    kids = students_rows(20, klass="3-1")
    inst = school_with(tmp_path, "", kids, rooms="R1,Room 1,45,3-1\nR2,Room 2,45,\n")
    groups = [Group("G1", UPPER, tuple(s.id for s in inst.students))]
    present = {("Tue", UPPER): ["G1"]}
    assert place(inst, groups, present, opts()).rows[0]["venue"] == "R1"
    club = (Reserved("Tue", "clubs", "R1", 16 * 60, 17 * 60),)
    assert place(inst, groups, present, opts(), reserved=club).rows[0]["venue"] == "R2"


# ---- input errors: exit 2 naming file, row and column (or the TOML key) --------------------

VENUE = '\n[[venues]]\nid = "PG"\nname = "P"\nkind = "playground"\ncapacity = 100\n'
ACT = '\n[[activities]]\nid = "a"\nname = "A"\nvenue_kinds = ["playground"]\nper_week = 1\n'
BAD = [
    ("unknown kind", VENUE.replace('"playground"', '"pool"'), None,
     "school.toml, row 12, column 'venues.kind': venue 1: unknown venue kind (found 'pool'"),
    ("capacity 0", VENUE.replace("100", "0"), None,
     "row 13, column 'venues.capacity': venue 1: capacity out of range"),
    ("groups 0", VENUE + "groups = 0\n", None,
     "row 14, column 'venues.groups': venue 1: groups out"),
    ("duplicate ids", VENUE + VENUE, None, "two venues have the same id"),
    ("unknown key", VENUE + "seats = 3\n", None, "unknown key"),
    ("unknown kind in activity", VENUE + ACT.replace('["playground"]', '["beach"]'), None,
     "row 18, column 'activities.venue_kinds': activity 1: unknown venue kind (found 'beach'"),
    ("bad window", VENUE + 'available = [{ days = ["Tue"], start = "17:00", end = "16:00" }]\n',
     None, "a window ends before it starts"),
    ("homeroom of an unknown class", "", "R1,Room,45,3-9\n",
     "rooms.csv, row 2, column 'homeroom_class': homeroom of an unknown class (found '3-9'"),
    ("room capacity", "", "R1,Room,4000,\n", "rooms.csv, row 2, column 'capacity': capacity out"),
    ("duplicate room", VENUE, "PG,Room,45,\n", "duplicate venue id (also in school.toml)"),
    ("two homerooms", "", "R1,Room,45,3-1\nR2,Room,45,3-1\n", "already has a homeroom"),
]


@pytest.mark.parametrize("name, toml, rooms, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_venue_input_exits_2_naming_the_place(tmp_path, name, toml, rooms, expected):
    folder = base(tmp_path / "school")
    (folder / "school.toml").write_text(SCHOOL + toml, encoding="utf-8")
    if rooms is not None:
        (folder / "rooms.csv").write_text("id,name,capacity,homeroom_class\n" + rooms,
                                          encoding="utf-8")
    before = digest(folder)
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 2, (name, r.output)
    assert expected in r.stderr, (name, r.stderr)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out)])
    assert r.exit_code == 2 and not out.exists() and digest(folder) == before


def test_good_venue_input_keeps_every_field(tmp_path):
    folder = base(tmp_path / "school")
    (folder / "school.toml").write_text(
        SCHOOL + VENUE + "groups = 3\n" + 'available = [{ days = ["Tue", "Wed"], '
        'start = "15:30", end = "17:30" }]\n' + ACT + 'rain_venue_kinds = ["gym", "hall"]\n',
        encoding="utf-8")
    (folder / "rooms.csv").write_text("教室编号,名称,容量,所属班级\nR1,三(1)班,45,3年级1班\n",
                                      encoding="utf-8")
    s = read_instance(folder).school
    pg, r1 = s.venues
    assert (pg.id, pg.kind, pg.capacity, pg.groups, pg.outdoor) == ("PG", "playground", 100, 3,
                                                                   True)
    assert pg.available == (("Tue", 930, 1050), ("Wed", 930, 1050))
    assert (r1.id, r1.name, r1.kind, r1.capacity, r1.homeroom, r1.outdoor) == \
        ("R1", "三(1)班", "classroom", 45, "3-1", False)
    (a,) = s.activities
    assert (a.id, a.venue_kinds, a.per_week, a.rain_venue_kinds) == \
        ("a", ("playground",), 1, ("gym", "hall"))


# ---- in the plan: schema, checker, unchanged without venues ----------------------------------

TINY_VENUES = """
[[venues]]
id = "PG"
name = "Playground"
kind = "playground"
capacity = 200
groups = 2
[[activities]]
id = "sport"
name = "Sport"
venue_kinds = ["playground"]
per_week = 1
"""


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """40 + 40 third-graders on Tuesday (2 groups), two volunteers; rooms R1, R2 (45 seats,
    homerooms of 3-1 and 3-2), R3 (30 seats), a playground for 2 groups; sport once a week."""
    tmp = tmp_path_factory.mktemp("planned")
    kids = students_rows(40, klass="3-1") + students_rows(40, klass="3-2", start=41)
    teachers = ONE_VOLUNTEER + "T2,Wang,yes,yes,staff,,,3-2,no\n"
    avail = ONE_AVAILABILITY + "T2,Tue,after-upper,available\n"
    plain = write_instance(tmp / "plain", students=kids, teachers=teachers,
                           availability=avail)
    rooms = write_instance(tmp / "rooms", students=kids, teachers=teachers,
                           availability=avail, school=SCHOOL + TINY_VENUES)
    (rooms / "rooms.csv").write_text("id,name,capacity,homeroom_class\nR1,Room 1,45,3-1\n"
                                     "R2,Room 2,45,3-2\nR3,Room 3,30,\n", encoding="utf-8")
    a, b = read_instance(plain), read_instance(rooms)
    return a, solve(a, time_limit=5), b, solve(b, time_limit=5)


def test_plan_without_venues_is_unchanged(planned):
    a, pa, b, pb = planned
    da, db = pa.to_dict(), pb.to_dict()
    for key in ("venues", "venue_shortfalls", "venue_no_room", "rain_plan", "venue_stats",
                "venue_list", "activity_list"):
        assert key not in da and key in db
        del db[key]
    for d in (da, db):
        del d["solve_stats"]
        d["parts"] = [p for p in d["parts"] if p["part"] != "venues"]
    assert json.dumps(da, sort_keys=True) == json.dumps(db, sort_keys=True)


def test_plan_rooms_activities_and_a_clean_check(planned):
    _, _, inst, plan = planned
    d = plan.to_dict()
    assert validate_plan_dict(json.loads(json.dumps(d))) == []
    assert check_plan(inst, plan) == []
    rows = d["venues"]
    assert len(rows) == 2 and {r["activity"] for r in rows} == {"sport"}
    assert {r["venue"] for r in rows} == {"PG"}
    # each group holds its homeroom (40 pupils: R3 with 30 seats is too small)
    by_class = {r["group"]: r["room"] for r in rows}
    assert sorted(by_class.values()) == ["R1", "R2"]
    assert d["venue_shortfalls"] == [] and d["venue_stats"]["in_homeroom"] == 2


def _mutated(plan: Plan, edit) -> Plan:
    d = copy.deepcopy(plan.to_dict())
    edit(d)
    return Plan.from_dict(d)


def _rules(inst, plan):
    return sorted({v.rule for v in check_plan(inst, plan)})


def test_checker_catches_mutated_venue_rows(planned):
    _, _, inst, plan = planned

    def same_room(d):  # both groups in R1 for the whole session
        for r in d["venues"]:
            r["room"] = "R1"

    def too_small(d):  # the first group's room is R3 (30 seats) with 40 present
        d["venues"][0]["room"] = "R3"

    def no_sport(d):  # the first group does homework instead, nothing declared missing
        d["venues"][0]["activity"] = None
        d["venues"][0]["venue"] = d["venues"][0]["room"]

    def three_on_pg(d):  # the playground holds 2: a third use at the same time
        d["venues"].append(dict(d["venues"][0]))

    assert _rules(inst, _mutated(plan, same_room)) == ["venue groups"]
    assert _rules(inst, _mutated(plan, too_small)) == ["venue capacity"]
    assert _rules(inst, _mutated(plan, no_sport)) == ["activity count"]
    declared = _mutated(plan, lambda d: (no_sport(d), d["venue_shortfalls"].append(
        {"group": d["venues"][0]["group"], "activity": "sport", "missing": 1})))
    assert _rules(inst, declared) == []
    assert "venue rows" in _rules(inst, _mutated(plan, three_on_pg))

    def room_on_pg(d):  # homework help on the playground
        d["venues"][0]["room"] = d["venues"][0]["venue"] = "PG"
        d["venues"][0]["activity"] = None
        d["venue_shortfalls"].append({"group": d["venues"][0]["group"], "activity": "sport",
                                      "missing": 1})
    assert _rules(inst, _mutated(plan, room_on_pg)) == ["venue rows"]
    # the playground open on Wednesdays only: Tuesday's sport is outside its times
    from dataclasses import replace
    pg = replace(inst.school.venue("PG"), available=(("Wed", 900, 1080),))
    wed_only = replace(inst, school=replace(inst.school, venues=tuple(
        pg if v.id == "PG" else v for v in inst.school.venues)))
    assert _rules(wed_only, plan) == ["venue availability"]


def test_hostile_venue_rows_are_named_by_json_path(planned, tmp_path):
    _, plan, _, vplan = planned
    d = copy.deepcopy(vplan.to_dict())
    d["venues"][0]["venue"] = "=HYPERLINK(\"x\")"
    d["venues"][1]["day"] = "Sun"
    found = [p.message for p in validate_plan_dict(json.loads(json.dumps(d)))]
    assert any(m.startswith("venues[0].venue") for m in found)
    assert any(m.startswith("venues[1].day") for m in found)
    d = copy.deepcopy(vplan.to_dict())
    d["venues"].append(dict(d["venues"][0]))
    found = [p.message for p in validate_plan_dict(json.loads(json.dumps(d)))]
    assert found == ["venues[2]: a second row for the same group, day and slot"]


# ---- the term: a re-plan keeps rooms; who says where a group was ----------------------------

def _two_weeks(tmp_path, rooms: str, name: str):
    from school_files import school_until
    folder = write_instance(tmp_path / name, students=students_rows(40, klass="3-1"),
                            teachers=ONE_VOLUNTEER, availability=ONE_AVAILABILITY,
                            school=school_until("2026-09-18"))
    (folder / "rooms.csv").write_text("id,name,capacity,homeroom_class\n" + rooms,
                                      encoding="utf-8")
    return read_instance(folder)


def test_replan_keeps_the_room_unless_a_rule_forces_a_move(tmp_path):
    from datetime import date

    from afterschool.scheduler.handouts.changes import room_rows
    from afterschool.scheduler.planning.replan import replan
    from afterschool.scheduler.record.questions import who
    first = _two_weeks(tmp_path, "R1,Room 1,45,\n", "a")
    old = solve(first, time_limit=3)
    assert [r["room"] for r in old.extra["venues"]] == ["R1"]
    # the class's homeroom R9 is added: a fresh plan would take it (0 against 4 points),
    # the re-plan keeps R1 (a move costs 20)
    more = _two_weeks(tmp_path, "R1,Room 1,45,\nR9,Room 9,45,3-1\n", "b")
    assert solve(more, time_limit=3).extra["venues"][0]["room"] == "R9"
    kept = replan(more, old, date(2026, 9, 15), time_limit=3)
    assert kept.plan.extra["venues"][0]["room"] == "R1"
    assert kept.stats["rooms_moved"] == 0 and room_rows(kept.plan, "en") == []
    assert check_plan(more, kept.plan) == []
    # R1 now seats 30: the 40 pupils must move, and changes.csv says so
    small = _two_weeks(tmp_path, "R1,Room 1,30,\nR9,Room 9,45,3-1\n", "c")
    moved = replan(small, old, date(2026, 9, 15), time_limit=3)
    assert moved.plan.extra["venues"][0]["room"] == "R9"
    assert moved.stats["rooms_moved"] == 1
    (row,) = room_rows(moved.plan, "en")
    assert (row["day"], row["old"], row["new"]) == ("Tue", "Room 1", "Room 9")
    # who: the first week in R1 (the earlier version), the second in R9
    gid = moved.plan.groups[0].id
    assert [r["venue"] for r in who(moved.plan, date(2026, 9, 8), [], group=gid)] == ["Room 1"]
    assert [r["venue"] for r in who(moved.plan, date(2026, 9, 15), [], group=gid)] == \
        ["Room 9"]
    assert validate_plan_dict(json.loads(json.dumps(moved.plan.to_dict()))) == []


def test_a_replan_whose_rooms_the_clock_decided_says_so(tmp_path, monkeypatch):
    # the rooms are placed after the re-plan's other searches: when the CPU clock (not a
    # budget) decides their search, solve_stats names the stage like plan does
    from datetime import date

    from afterschool.scheduler.planning import replan as R
    first = _two_weeks(tmp_path, "R1,Room 1,45,\n", "a")
    old = solve(first, time_limit=3)
    quiet = R.replan(first, old, date(2026, 9, 15), time_limit=3)
    assert quiet.plan.extra["solve_stats"]["cut_by_time_limit"] == []
    place = R.venues.place

    def clock_decides(inst, groups, present, opts, *args, **kwargs):
        opts.deadline.cut()  # as det_budget does when less is left than the budget
        return place(inst, groups, present, opts, *args, **kwargs)

    monkeypatch.setattr(R.venues, "place", clock_decides)
    cut = R.replan(first, old, date(2026, 9, 15), time_limit=3)
    assert cut.plan.extra["solve_stats"]["cut_by_time_limit"] == ["venues"]


def test_scenario_rain_says_who_does_not_fit_indoors(tmp_path):
    # 80 pupils (2 groups) on the playground together on Tuesday; the gym holds 1 group:
    # rain on Tuesday moves one group into the gym, the other stays in its room
    kids = students_rows(40, klass="3-1") + students_rows(40, klass="3-2", start=41)
    folder = write_instance(tmp_path / "rain", students=kids,
                            teachers=ONE_VOLUNTEER + "T2,Wang,yes,yes,staff,,,3-2,no\n",
                            availability=ONE_AVAILABILITY + "T2,Tue,after-upper,available\n",
                            school=SCHOOL + PLAYGROUND.format(groups=2, days='"Tue"',
                                                              per_week=1))
    (folder / "rooms.csv").write_text("id,name,capacity,homeroom_class\nR1,Room 1,45,3-1\n"
                                      "R2,Room 2,45,3-2\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["scenario", str(folder), "--rain", "Tue",
                                  "--time-limit", "3"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "rain on Tue: 2 outdoor activity slot(s), 1 moved indoors"
    assert len(lines) == 2 and lines[1].endswith("(Sport): no indoor venue free, stays in "
                                                 "its room")
    r = CliRunner().invoke(main, ["scenario", str(folder), "--rain", "Sun"])
    assert r.exit_code == 2


def test_generated_school_with_venues_reads_back(tmp_path):
    from afterschool.scheduler.reading.generate import generate_school, write_school
    files = generate_school(300, 6, 20, seed=3, venues=True)
    assert files == generate_school(300, 6, 20, seed=3, venues=True)  # same seed, same bytes
    write_school(tmp_path / "g", files)
    s = read_instance(tmp_path / "g").school
    rooms = [v for v in s.venues if v.kind == "classroom"]
    assert len(rooms) == 6 and all(v.homeroom for v in rooms)
    pg = s.venue("PG")
    assert (pg.groups, pg.outdoor, s.venue("GYM").groups) == (4, True, 2)
    assert [a.id for a in s.activities] == ["sport", "reading"]


def test_a_chinese_school_sees_rooms_in_every_hand_out(tmp_path):
    import openpyxl

    from test_language import english_words
    kids = students_rows(40, klass="3-1") + students_rows(40, klass="3-2", start=41)
    zh = SCHOOL.replace('language = "en"', 'language = "zh"').replace(
        'name = "Test School"', 'name = "试验小学"')
    venues = PLAYGROUND.format(groups=2, days='"Tue"', per_week=1).replace(
        'name = "Playground"', 'name = "操场"').replace('name = "Gym"', 'name = "体育馆"') \
        .replace('name = "Sport"', 'name = "体育锻炼"')
    folder = write_instance(tmp_path / "学校", students=kids,
                            teachers=ONE_VOLUNTEER + "T2,Wang,yes,yes,staff,,,3-2,no\n",
                            availability=ONE_AVAILABILITY + "T2,Tue,after-upper,available\n",
                            school=zh + venues)
    (folder / "rooms.csv").write_text("教室编号,名称,容量,所属班级\nR1,=HYPERLINK(\"x\"),45,3-1\n"
                                      "R2,三(2)班教室,45,3-2\n", encoding="utf-8")
    term = tmp_path / "本学期"
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(term), "--skip", "charts",
                                  "--time-limit", "3"])
    assert r.exit_code in (0, 3), r.output
    plan = json.loads((term / "plan.json").read_text(encoding="utf-8"))
    assert {x["room"] for x in plan["venues"]} == {"R1", "R2"}
    wb = openpyxl.load_workbook(term / "timetable.xlsx")
    assert "场地安排" in wb.sheetnames and "雨天安排" in wb.sheetnames
    cells = [c for row in wb["场地安排"].iter_rows() for c in row if c.value]
    assert all(c.data_type != "f" for c in cells)  # a hostile room name stays text
    texts = " ".join(str(c.value) for c in cells)
    assert "操场" in texts and "体育锻炼" in texts and english_words(texts, "") == []
    ics = "".join(p.read_text(encoding="utf-8") for p in (term / "rosters").glob("*.ics"))
    assert "LOCATION:操场 (体育锻炼)" in ics
    html = (term / "report.html").read_text(encoding="utf-8")
    assert "场地与活动" in html and "=HYPERLINK(&quot;x&quot;)" in html  # escaped, as text
    parents = openpyxl.load_workbook(term / "notice-parents.xlsx")
    words = " ".join(str(c.value) for ws in parents for row in ws.iter_rows() for c in row
                     if c.value)
    assert "地点" in words and "体育锻炼 周二 (操场)" in words
    r = CliRunner().invoke(main, ["scenario", str(folder), "--rain", "Tue",
                                  "--time-limit", "3"])
    assert r.exit_code == 0 and r.stdout.startswith("周二下雨：2 组次室外活动，1 组次移入室内场地")
    assert english_words(r.stdout, str(tmp_path)) == []
    # the record keeps them: export writes the same rows again
    r = CliRunner().invoke(main, ["export", str(term), "--out", str(tmp_path / "副本"),
                                  "--skip", "all"])
    assert r.exit_code == 0, r.output
    again = json.loads((tmp_path / "副本" / "plan.json").read_text(encoding="utf-8"))
    assert again["venues"] == plan["venues"] and again["rain_plan"] == plan["rain_plan"]


def test_a_workbook_school_takes_venues_and_a_rooms_sheet(tmp_path):
    from school_files import write_workbook

    def edit(wb):
        ws = wb["school"]
        ws.append(["venues", '[{ id = "PG", name = "操场", kind = "playground", capacity = 400, '
                   "groups = 8 }]"])
        ws.append(["activities", '[{ id = "sport", name = "体育锻炼", venue_kinds = '
                   '["playground"], per_week = 2 }]'])
        rooms = wb.create_sheet("教室")
        rooms.append(["教室编号", "名称", "容量", "所属班级"])
        rooms.append(["R1", "三(1)班", 45, "3-1"])
        rooms.append(["R2", "三(2)班", 45, "3-9"])
    path = write_workbook(tmp_path, edit)
    r = CliRunner().invoke(main, ["validate", str(path)])
    assert r.exit_code == 2
    # a zh school: the frame in Chinese, the place (sheet, row, column) and the value found
    assert "school.xlsx:rooms 第 3 行「homeroom_class」列" in r.stderr and "3-9" in r.stderr

    def good(wb):
        edit(wb)
        wb["教室"].delete_rows(3)
    (tmp_path / "ok").mkdir()
    s = read_instance(write_workbook(tmp_path / "ok", good)).school
    assert [v.id for v in s.venues] == ["PG", "R1"] and s.venue("R1").homeroom == "3-1"
    assert s.activities[0].per_week == 2 and s.venue("PG").groups == 8


def test_scenario_sweeps_how_many_groups_a_venue_holds(tmp_path):
    # generate --venues: 1,500 pupils, about 30 afternoon groups, each to read once a week in
    # the library (LIB, one group at once). LIB=1 cannot give every group its slot (4 days,
    # at most a handful of slot times a day); LIB=8 can give more: fewer slots missing.
    # An unknown venue or 0 groups is bad input naming the option.
    from afterschool.scheduler.planning.scenarios import Scenario, apply
    school = tmp_path / "g"
    assert CliRunner().invoke(main, ["generate", str(school), "--students", "1500", "--seed",
                                     "3", "--venues"]).exit_code == 0
    inst = read_instance(school)
    varied = apply(inst, Scenario(venue_groups=(("LIB", 8),)))
    assert {v.id: v.groups for v in varied.school.venues}["LIB"] == 8
    assert {v.id: v.groups for v in inst.school.venues}["LIB"] == 1
    done = CliRunner().invoke(main, ["scenario", str(school), "--venue-groups", "LIB=1,LIB=8",
                                     "--time-limit", "2", "--json"])
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout[done.stdout.index("["):])
    by = {r["scenario"]: r for r in rows}
    assert by["venue_groups LIB=1"]["activity_missing"] > 0
    assert by["venue_groups LIB=8"]["activity_missing"] < by["venue_groups LIB=1"][
        "activity_missing"]
    for bad in ("NOPE=2", "LIB=0", "LIB"):
        done = CliRunner().invoke(main, ["scenario", str(school), "--venue-groups", bad])
        assert done.exit_code == 2, (bad, done.output)
        assert "--venue-groups" in done.output + (done.stderr or ""), bad
