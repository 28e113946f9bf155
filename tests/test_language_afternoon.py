"""A Chinese school with venues and clubs reads its errors in Chinese (issue #24): bad rows of
rooms.csv, [[venues]] and [[activities]], clubs.csv, club_choices.csv and [clubs]; a bad
``clubs --from`` or ``scenario --rain``; a tampered plan's venue and club violations. Each
error's output holds no English word (tests/language_words.py) apart from what the user typed
(quoted “…” or 「…」), ids and the command's own names; the bundled school's ``validate``,
``who``, ``scenario --rain`` and ``clubs`` print none either."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from language_words import english_words
from school_files import SCHOOL, base, school_until, students_rows, vol, write_instance

# the test school's ids: sessions, venues, activities, clubs, people (data, not words)
IDS = ("after-upper", "after-lower", "noon")


def _invoke(args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _english(text: str, root) -> list[str]:
    """English words of a zh output, apart from what the user typed and the school's ids."""
    text = re.sub(r"“[^”]*”|「[^」]*」", "", text)
    text = re.sub(r"[\w.]*\[\d+\][\w.\[\]]*", "", text)  # a JSON path: venues[5].group
    for i in IDS:
        text = text.replace(i, "")
    return english_words(text, str(root))


def _zh(toml: str) -> str:
    return toml.replace('language = "en"', 'language = "zh"').replace("Test School", "试验小学")


VENUE = '\n[[venues]]\nid = "V1"\nname = "操场"\nkind = "playground"\ncapacity = 100\n'
ACT = ('\n[[activities]]\nid = "A1"\nname = "体育锻炼"\nvenue_kinds = ["playground"]\n'
       "per_week = 1\n")
ROOMS = "id,name,capacity,homeroom_class\n"
BAD_VENUES = [
    ("homeroom of an unknown class", VENUE, "R1,一号,45,3-9\n", "所填班级不存在"),
    ("duplicate venue id", VENUE + VENUE, None, "两个场地编号相同"),
    ("duplicate room id", VENUE, "V1,一号,45,\n", "场地编号重复"),
    ("capacity out of range", VENUE.replace("100", "0"), None, "容量超出范围"),
    ("room capacity", VENUE, "R1,一号,4000,\n", "同时容纳的学生人数，1 到 1000 的整数"),
    ("two homerooms", VENUE, "R1,一号,45,3-1\nR2,二号,45,3-1\n", "已有本班教室"),
    ("unknown kind in an activity", VENUE + ACT.replace('["playground"]', '["beach"]'), None,
     "第 1 项活动：无法识别的场地类型"),
    ("unknown venue kind", VENUE.replace('"playground"', '"pool"'), None, "场地类型"),
    ("unknown key", VENUE + "seats = 3\n", None, "无法识别的项"),
    ("groups", VENUE + "groups = 0\n", None, "同时容纳组数超出范围"),
    ("bad window", VENUE + 'available = [{ days = ["Tue"], start = "17:00", end = "16:00" }]\n',
     None, "结束早于开始"),
    ("bad window day", VENUE + 'available = [{ days = ["Xyz"], start = "15:00", end = "16:00" }]'
     "\n", None, "无法识别的星期"),
    ("per_week", VENUE + ACT.replace("per_week = 1", "per_week = 11"), None, "每周次数"),
    ("bad id", VENUE.replace('"V1"', '"V 1!"'), None, "编号只能含"),
    ("no id", VENUE.replace('id = "V1"\n', ""), None, "缺少必填项"),
    ("name not text", VENUE.replace('"操场"', "3"), None, "名称不是文字"),
    ("not tables", "venues = 3\n", None, "双方括号"),  # at the top: before [school]
]


@pytest.mark.parametrize("name, toml, rooms, said", BAD_VENUES, ids=[b[0] for b in BAD_VENUES])
def test_bad_venue_input_said_in_chinese(tmp_path, name, toml, rooms, said):
    folder = base(tmp_path / "学校")
    text = toml + _zh(SCHOOL) if toml.startswith("venues") else _zh(SCHOOL) + toml
    (folder / "school.toml").write_text(text, encoding="utf-8")
    if rooms is not None:
        (folder / "rooms.csv").write_text(ROOMS + rooms, encoding="utf-8")
    r = _invoke(["validate", folder])
    assert r.exit_code == 2, (name, r.output)
    assert said in r.stderr and "输入有" in r.stderr, (name, r.stderr)
    assert _english(r.stderr, tmp_path) == [], (name, r.stderr)


CLUB_HEAD = "id,name,days,session,capacity,min_size,grades,instructor,venue,fee,instructor_rate\n"
GOOD = ("C1,合唱,Tue,after-upper,20,0,3-6,T1,V1,80.00,\n"
        "C2,围棋,Wed,after-upper,20,0,3,external,V1,,150\n")
BAD_CLUBS = [
    (GOOD, "S9999,C1,,\n", "无此学生"),
    (GOOD, "S0001,C9,,\n", "无此社团"),
    (GOOD, "S0001,C1,C1,\n", "同一社团填了两次"),
    (GOOD, "S0001,,C1,\n", "空着的志愿后面还有志愿"),
    (GOOD, "S0001,C1,,\nS0001,C2,,\n", "同一学生又出现"),
    (GOOD.replace(",3,external", ",4,external"), "S0001,C2,,\n", "不收 3 年级"),
    (GOOD.replace("C1,合唱,Tue", "C1,合唱,Mon"), "", "不开设"),
    (GOOD.replace("C1,合唱,Tue", "C1,合唱,Xyz"), "", "无法识别的星期"),
    (GOOD.replace("C1,合唱,Tue", "C1,合唱,"), "", "缺少活动日"),
    (GOOD.replace("T1,V1", "T9,V1"), "", "无此工号"),
    (GOOD.replace("T1,V1", ",V1"), "", "缺少指导教师"),
    (GOOD.replace(",20,0,3-6", ",20,30,3-6"), "", "最少人数"),
    (GOOD.replace(",20,0,3-6", ",0,0,3-6"), "", "不是名额数"),
    (GOOD.replace("3-6", "1-6"), "", "不收"),
    (GOOD.replace("3-6", "九"), "", "无法识别的年级"),
    (GOOD.replace("80.00", "=1+1"), "", "不是金额"),
    (GOOD.replace(",,150", ",,"), "", "外聘指导教师没有课时费"),
    (GOOD.replace(",,150", ",,abc"), "", "不是每小时报酬"),
    (GOOD.replace("80.00,", "80.00,150"), "", "在编指导教师不填课时费"),
    (GOOD.replace("C2,围棋", "C1,围棋"), "", "社团编号重复"),
    (GOOD.replace("C2,围棋", "S0001,围棋"), "", "社团编号与某个学号或工号相同"),
    (GOOD.replace("C2,围棋", "C2,"), "", "缺少社团名称"),
    (GOOD.replace("after-upper,20", "noon,20", 1), "", "不是晚托时段"),
    (GOOD.replace("T1,V1", "T1,V9"), "", "无此场地"),
    (GOOD.replace("T1,V1", "T1,"), "", "缺少场地"),
    (GOOD, None, "无人可抽签"),  # clubs without choices: a warning, then the rows' errors
]


def _club_school(tmp_path, clubs, choices, extra: str = "", teachers: str | None = None):
    folder = write_instance(tmp_path / "学校", students_rows(4, afternoon="Tue Wed Thu Fri"),
                            teachers or vol("T1") + "T2,NameT2,no,no,staff,,,,no\n",
                            "T1,Tue,after-upper,available\n",
                            school=_zh(SCHOOL) + VENUE + extra)
    (folder / "clubs.csv").write_text(CLUB_HEAD + clubs, encoding="utf-8")
    if choices is not None:
        (folder / "club_choices.csv").write_text("student,choice1,choice2,choice3\n" + choices,
                                                 encoding="utf-8")
    return folder


@pytest.mark.parametrize("clubs, choices, said", BAD_CLUBS)
def test_bad_club_input_said_in_chinese(tmp_path, clubs, choices, said):
    if choices is None:  # only a warning: make the rows wrong too, to see it among errors
        clubs = clubs.replace("T1,V1", "T9,V1")
    folder = _club_school(tmp_path, clubs, choices)
    r = _invoke(["validate", folder])
    assert r.exit_code == 2, (said, r.output)
    assert said in r.stderr, (said, r.stderr)
    assert _english(r.stderr, tmp_path) == [], (said, r.stderr)


@pytest.mark.parametrize("extra, said", [
    ("\n[clubs]\nper_pupil = 9\n", "不是社团个数"),
    ('\n[clubs]\nrate = "abc"\n', "不是每小时报酬"),
    ("\n[clubs]\nstart = 3\n", "不是日期"),
    ("\n[clubs]\nper_pupl = 2\n", "无法识别的项"),
])
def test_bad_clubs_table_said_in_chinese(tmp_path, extra, said):
    r = _invoke(["validate", _club_school(tmp_path, GOOD, "S0001,C1,,\n", extra)])
    assert r.exit_code == 2 and said in r.stderr, r.output
    assert _english(r.stderr, tmp_path) == [], r.stderr


def test_a_volunteer_instructor_and_choices_without_clubs_said_in_chinese(tmp_path):
    folder = _club_school(tmp_path, GOOD.replace("T1,V1", "T2,V1"), "S0001,C2,,\n")
    r = _invoke(["validate", folder])
    assert r.exit_code == 2 and "不是志愿者" in r.stderr, r.output
    assert _english(r.stderr, tmp_path) == [], r.stderr
    (folder / "clubs.csv").unlink()
    r = _invoke(["validate", folder])
    assert r.exit_code == 2 and "没有 clubs.csv" in r.stderr, r.output
    assert _english(r.stderr, tmp_path) == [], r.stderr


# --- the clubs command, check and scenario --rain on a zh term ---------------------------

SMALL = ("C1,合唱,Tue,after-upper,10,5,3-6,T3,V1,80.00,\n"
         "C2,围棋,Thu,after-upper,10,0,3-6,external,V1,45.50,150\n")
PICKS = "S0001,C1,C2,\nS0002,C1,C2,\nS0003,C1,C2,\nS0004,C2,,\n"


@pytest.fixture(scope="module")
def zh_term(tmp_path_factory):
    """A zh school with a playground and clubs, planned and drawn (C1 cancelled)."""
    tmp = tmp_path_factory.mktemp("午后")
    teachers = vol("T1", manage="yes") + vol("T2") + vol("T3")
    folder = write_instance(tmp / "学校", students_rows(8, afternoon="Tue Wed Thu Fri"),
                            teachers,
                            "".join(f"{t},{d},after-upper,available\n" for t in ("T1", "T2")
                                    for d in ("Tue", "Wed", "Thu", "Fri")),
                            school=_zh(school_until("2026-09-18")) + VENUE + ACT)
    (folder / "rooms.csv").write_text(ROOMS + "R1,一号教室,45,3-1\nR2,二号教室,45,\n",
                                      encoding="utf-8")
    (folder / "clubs.csv").write_text(CLUB_HEAD + SMALL, encoding="utf-8")
    (folder / "club_choices.csv").write_text("student,choice1,choice2,choice3\n" + PICKS,
                                             encoding="utf-8")
    term = tmp / "本学期"
    r = _invoke(["plan", folder, "--out", term, "--skip", "all", "--time-limit", "2",
                 "--by", "教务处"])
    assert r.exit_code in (0, 3), r.output
    r = _invoke(["clubs", folder, term, "--seed", "7", "--from", "2026-09-15", "--skip", "all",
                 "--by", "教务处"])
    assert r.exit_code in (0, 3), r.output
    assert _english(r.output, tmp) == [], r.output
    return tmp, folder, term


@pytest.mark.parametrize("when, said", [("2027-03-01", "不是本学期的日期"),
                                        ("2026-09-07", "不晚于上一版本的开始日期"),
                                        ("2026-09-12", "不是服务日")])
def test_clubs_from_out_of_range_said_in_chinese(zh_term, when, said):
    tmp, folder, term = zh_term
    r = _invoke(["clubs", folder, term, "--seed", "7", "--from", when, "--skip", "all",
                 "--by", "教务处"])
    assert r.exit_code == 2, r.output
    assert said in r.stderr, r.stderr
    assert _english(r.stderr, tmp) == [], r.stderr


def test_clubs_without_choices_said_in_chinese(zh_term, tmp_path):
    tmp, folder, term = zh_term
    copy = tmp_path / "无志愿"
    shutil.copytree(folder, copy)
    (copy / "club_choices.csv").unlink()
    r = _invoke(["clubs", copy, term, "--seed", "7", "--skip", "all", "--by", "教务处"])
    assert r.exit_code == 2 and "没有人报社团志愿" in r.stderr, r.output
    assert _english(r.stderr, tmp_path) == [], r.stderr


def _zh_part(stderr: str) -> str:
    """A plan's problems are said in both languages (read before the school): the Chinese."""
    return stderr.split("problem(s) in the input")[0]


def _tamper(plan: dict) -> dict:
    """Venue and club faults of a hand-edited plan.json that its schema lets through."""
    plan = json.loads(json.dumps(plan))
    rows = plan["venues"]
    act = next(r for r in rows if r.get("activity"))
    act["venue"] = act["room"]  # a classroom, not a playground
    plan.setdefault("venue_shortfalls", []).append(  # a slot given and declared missing
        {"group": act["group"], "activity": act["activity"], "missing": 1})
    home = next(r for r in rows if not r.get("activity"))
    home["venue"] = "V1"  # homework help on the playground, not in its room
    sec = plan["clubs"]
    sec["assigned"] = [a for a in sec["assigned"] if a["student"] != "S0004"]
    sec["assigned"].append({"student": "S0005", "club": "C2"})
    sec["cancelled"] = []
    sec["pay"][0]["amount"] = "1.00"
    sec["fees"][0]["club_fee"] = "1.00"
    sec["groups"][0]["students"].pop()
    for m in sec["managers"]:
        m["managers_needed"] = 99
    return plan


def test_a_tampered_plan_said_in_chinese(zh_term, tmp_path):
    tmp, folder, term = zh_term
    plan = json.loads((term / "plan.json").read_text(encoding="utf-8"))
    bad = tmp_path / "篡改.json"
    bad.write_text(json.dumps(_tamper(plan), ensure_ascii=False), encoding="utf-8")
    r = _invoke(["check", folder, bad])
    assert r.exit_code == 1, r.output
    for rule in ("[场地安排]", "[活动次数]", "[社团抽签]", "[社团指导报酬]", "[社团费]",
                 "[社团分组]"):
        assert rule in r.stdout, (rule, r.stdout)
    assert _english(r.stdout, tmp_path) == [], r.stdout
    codes = {v["rule"] for v in json.loads(_invoke(["check", folder, bad, "--json"]).stdout)}
    assert {"venue rows", "club lottery", "club pay"} <= codes  # the machine codes stay


def test_a_plan_with_unknown_clubs_and_venues_said_in_chinese(zh_term, tmp_path):
    tmp, folder, term = zh_term
    plan = json.loads((term / "plan.json").read_text(encoding="utf-8"))
    plan["clubs"]["assigned"].append({"student": "S9999", "club": "C9"})
    plan["venues"][0]["venue"] = "V404"
    plan["venues"].append(dict(plan["venues"][1]))
    bad = tmp_path / "坏方案.json"
    bad.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    r = _invoke(["check", folder, bad])
    assert r.exit_code == 2, r.output
    zh = _zh_part(r.stderr)
    for said in ("无此社团", "无此学生", "无此场地", "第二条安排"):
        assert said in zh, (said, r.stderr)
    assert _english(zh, tmp_path) == [], r.stderr


@pytest.mark.parametrize("days", ["Sat", "Xyz"])
def test_scenario_rain_bad_day_said_in_chinese_first(zh_term, days):
    tmp, folder, _ = zh_term
    r = _invoke(["scenario", folder, "--rain", days, "--time-limit", "0.5"])
    assert r.exit_code == 2, r.output
    first = r.stderr.splitlines()[0]  # a usage error: Chinese first, then as Click says it
    assert first.startswith("错误"), r.stderr
    assert _english(first.replace(days, ""), tmp) == [], r.stderr


def test_the_zh_term_with_venues_and_clubs_prints_no_english(zh_term):
    tmp, folder, term = zh_term
    for args in (["validate", folder], ["who", term, "--date", "2026-09-15"],
                 ["scenario", folder, "--rain", "Tue", "--time-limit", "1"], ["check", term]):
        r = _invoke(args)
        assert r.exit_code in (0, 3), (args, r.output)
        assert _english(r.output, tmp) == [], (args[0], r.output)


# --- the bundled school ------------------------------------------------------------------

HAIJIANG = Path(__file__).resolve().parents[1] / "instances" / "haijiang"


def test_the_bundled_school_speaks_chinese_with_venues_and_clubs(tmp_path):
    """haijiang (rooms, venues, activities, clubs): validate, plan, who, clubs, scenario
    --rain print no English word."""
    school = tmp_path / "海疆"
    shutil.copytree(HAIJIANG, school)
    term = tmp_path / "本学期"
    runs = [["validate", school],
            ["plan", school, "--out", term, "--skip", "all", "--time-limit", "3",
             "--by", "教务处"],
            ["who", term, "--date", "2026-09-15"],
            ["clubs", school, term, "--seed", "20260914", "--skip", "all", "--time-limit", "3",
             "--by", "教务处"],
            ["scenario", school, "--rain", "Tue", "--time-limit", "3"]]
    for args in runs:
        r = _invoke(args)
        assert r.exit_code in (0, 3), (args, r.output)
        assert _english(r.output, tmp_path) == [], (args[0], r.output)
    # the office's page lists the club meetings of a day (SPEC §12) as `who` does, with
    # their rooms and the external instructor, in Chinese; no roll-call card for a club
    import html

    from starlette.testclient import TestClient

    from afterschool.scheduler.record import term as T
    from afterschool.scheduler.web.app import make_app
    plan = json.loads((term / "plan.json").read_text())
    meets = [g for g in plan["clubs"]["groups"] if "Wed" in g["days"]]
    assert meets
    r = CliRunner().invoke(main, ["user", "add", str(term), "办公室", "--role", "office",
                                  "--by", "教务处"], input="correct horse 9\n")
    assert r.exit_code == 0, r.output
    c = TestClient(make_app(T.open_term(T.locate(str(term)))), base_url="http://127.0.0.1")
    tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"name": "办公室", "password": "correct horse 9", "csrf": tok})
    page = c.get("/today?date=2026-09-16").text.split("<body>", 1)[1]
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    for g in meets:
        assert f"社团活动 {plan['clubs']['clubs'][g['club']]['name']}（" in text, (g, text)
    assert _english(text, tmp_path) == [], text
    assert "点名 社团" not in text and "club-" not in page


# --- the messages no run above meets, as the code writes them (check_venues, check_clubs,
# venue_config, clubs.py): each has its Chinese words -------------------------------------

SAMPLES = [
    "the plan names venues but the school has none",
    "the school has venues but the plan gives none",
    "venues[3]: unknown group or session (G9, after-upper)",
    "venues[3]: group G1 has no slot 'x' on Tue",
    "venues[3]: unknown venue V9",
    "venues[3]: unknown activity A9",
    "venues[3]: activity A1 in R1, a classroom, not one of playground, gym",
    "venues[3]: homework help of G1 on Wed in V1, not its room R1",
    "group G1 has 2 rooms on Thu",
    "group G1 on Fri: V1 (playground, outdoor) is no room for homework",
    "group G1 on Fri: V2 (gym) is no room for homework",
    "group G1 on Tue, slot S2: 2 rows, expected 1",
    "V1 on Tue: G1 has 50 pupils, capacity 40",
    "V1 on Wed 15:30-16:20: outside its available times",
    "V1 on Thu at 16:20: 3 groups (G1 (A1), G2 (A1), G3), at most 2",
    "group G1, A1: 0 slot(s) given and 0 declared missing, per week 1",
    "the plan has a club lottery but the sheets have no clubs.csv",
    "2 assignment(s) name an unknown club or pupil, such as ('S9', 'C9')",
    "re-run from seed 7: the waiting lists differ",
    "S0001 (grade 3) in C1",
    "S0001 in C1 on a day without afternoon care",
    "C1: 11 members, capacity 10",
    "C1 is cancelled but has 3 members",
    "C1: 3 members, minimum 5",
    "S0001 holds 3 clubs",
    "S0001 holds two clubs on one weekday",
    "C1 does not meet but its instructor is paid",
    "C1: 60 min at 150.00 yuan/h = 150.00 due, stated None",
    "C1 does not meet but has a group",
    "T1 serves 700 min in the week of 2026-09-14 with their club (limit 600)",
    "Tue: 3 groups at the peak with clubs, M = 1; stated None",
    "clubs without club_choices.csv: nobody can be drawn",
    "no clubs listed: the table has only its header",
    "the instance has no clubs",
    "2026-09-20 is outside the term 2026-09-07..2026-09-18",
    "venue 2: an id must not start with '.'",
    "venue 2: a window's start or end is not a time",
    "venue 2: outdoor is not true or false",
    "activity 1: not a list of venue kinds",
    "activity 1: name is not a text",
    "activity A1: no venue of kind playground",
    "venues 2 is not a table",
    "clubs.waiting: the places of C1 are not 1, 2, …",
    "clubs.assigned[2]: the same pupil twice in a club",
    "C1 does not take grade(s) 1,2",
    "after-upper does not run on Mon Wed",
    "club C2 does not take grade 3",
    "club id missing",
    "not an enrolled student",
    "no choice",
    # what plan.json's venue and club sections expect (plan_schema.py)
    "a venue row {day, session, slot, group, venue, activity, room}",
    "an activity shortfall {group, activity, missing}",
    "a group-day without a room {day, session, group, pupils}",
    "a rain move {day, session, slot, group, activity, from, venue}",
    "a venue {name, kind, capacity, groups, outdoor}",
    "an activity {name, venue_kinds, per_week}",
    "an array of club ids", "a club pay row", "a club managers row",
    "the club lottery {seed, start, assigned, waiting, cancelled, …}",
    # scenario --venue-groups (main's options.py and scenarios.py, merged after this branch)
    "Invalid value for '--venue-groups': 'PG2' is not ID=N (expected ID=N such as PG=2: the "
    "groups a venue holds at once, 1 to 100)",
    "Invalid value for '--venue-groups': V1: 0 is out of range: 1 to 100 (expected ID=N such "
    "as PG=2: the groups a venue holds at once, 1 to 100)",
    "7 is not a table of venue ids and numbers",
    "unknown venue of 海疆小学", "a venue id of [[venues]] in school.toml or rooms.csv",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_every_afternoon_message_has_chinese_words(text):
    from afterschool.scheduler.say_errors import message
    said = message(text, "zh")
    assert said != text
    assert _english(re.sub(r"'[^']*'", "", said), "") == [], said
