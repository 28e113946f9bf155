"""Names where people need them: masked names told apart within a class, pupils by class
then pinyin, a name beside every id in fees, pay and admission. Expectations by hand."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.models.plan import Plan
from afterschool.scheduler.handouts.names import masked_in_class, pinyin_key, pupil_key
from afterschool.scheduler.handouts.publish import parents_notice, student_notice
from school_files import write_instance


def test_pinyin_order_not_code_point_order():
    names = ["赵六", "陈晨", "白雪", "安然", "Zoe", "曾国"]
    # code points: 安 5B89, 曾 66FE, 白 767D, 赵 8D75, 陈 9648; pinyin: an bai chen zeng zhao (曾 as a surname)
    assert sorted(names, key=pinyin_key) == ["安然", "白雪", "陈晨", "曾国", "赵六", "Zoe"]


def test_pupils_by_class_then_pinyin():
    pupils = [("3-10", "安然"), ("3-2", "赵六"), ("3-2", "白雪"), ("4-1", "阿依")]
    assert sorted(pupils, key=lambda p: pupil_key(*p)) == [
        ("3-2", "白雪"), ("3-2", "赵六"), ("3-10", "安然"), ("4-1", "阿依")]


def test_masked_names_told_apart_within_a_class():
    got = masked_in_class([("S0102", "3-2", "邵子明"), ("S0105", "3-2", "邵文明"),
                           ("S0107", "3-2", "邵明"), ("S0402", "3-1", "邵一明"),
                           ("S0202", "3-3", "李小红"), ("S1202", "3-3", "李大红")])
    assert got == {"S0102": "邵*明 (…02)", "S0105": "邵*明 (…05)",  # one class, one mask
                   "S0107": "邵*",  # another mask
                   "S0402": "邵*明",  # another class
                   "S0202": "李*红 (…0202)", "S1202": "李*红 (…1202)"}  # 02 and 202 tie


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("names")
    toml = ('[school]\nname = "名单小学"\nlanguage = "zh"\n[term]\nstart = 2026-09-07\n'
            'end = 2026-09-11\nofficial_holidays = false\n')
    rows = "".join(f"{sid},{name},3,{klass},,Tue,,normal,,,{status},2026-08-0{i % 9 + 1}\n"
                   for i, (sid, name, klass, status) in enumerate([
                       ("S0102", "邵子明", "3-2", "enrolled"), ("S0105", "邵文明", "3-2", "enrolled"),
                       ("S0110", "赵六", "3-2", "enrolled"), ("S0111", "安然", "3-2", "enrolled"),
                       ("S0112", "陈晨", "3-2", "enrolled"), ("S0402", "邵一明", "3-1", "enrolled"),
                       ("S0500", "白雪", "3-1", "applied")]))
    folder = write_instance(tmp / "i", students=rows, school=toml,
                            teachers="T1,王老师,yes,yes,staff,,,3-1,no\n",
                            availability="T1,周二,晚托(中高年级),可以\n")
    out = tmp / "out"
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(out), "--time-limit", "2"])
    assert r.exit_code == 0, r.output
    return folder, out, Plan.from_dict(json.loads((out / "plan.json").read_text()))


def test_parents_notice_tells_the_two_apart(school):
    _, _, plan = school
    notice = parents_notice(plan)
    assert list(notice) == ["3-1", "3-2"]
    assert [r["name"] for r in notice["3-2"]] == [
        "安*", "陈*", "邵*明 (…05)", "邵*明 (…02)", "赵*"]  # an, chen, shao wen, shao zi, zhao
    assert [r["name"] for r in notice["3-1"]] == ["邵*明"]


def test_public_notice_by_class_then_pinyin(school):
    _, _, plan = school
    assert [(r["class"], r["name"]) for r in student_notice(plan)] == [
        ("3-1", "邵*明"), ("3-2", "安*"), ("3-2", "陈*"), ("3-2", "邵*明 (…05)"),
        ("3-2", "邵*明 (…02)"), ("3-2", "赵*")]


def _csv(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_fees_pay_and_admission_name_everyone(school, tmp_path):
    folder, out, _ = school
    r = CliRunner().invoke(main, ["fees", str(folder), "--out", str(tmp_path / "f")])
    assert r.exit_code == 0, r.output
    fees = _csv(tmp_path / "f" / "fees.csv")
    assert fees[0][:3] == ["学号", "姓名", "班级"]
    assert [row[:3] for row in fees[1:-1]] == [
        ["S0402", "邵一明", "3-1"], ["S0111", "安然", "3-2"], ["S0112", "陈晨", "3-2"],
        ["S0105", "邵文明", "3-2"], ["S0102", "邵子明", "3-2"], ["S0110", "赵六", "3-2"]]
    r = CliRunner().invoke(main, ["pay", str(out / "plan.json"), "--out", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    pay = _csv(tmp_path / "p" / "pay.csv")
    assert pay[0][:2] == ["工号", "姓名"] and pay[1][:2] == ["T1", "王老师"]
    r = CliRunner().invoke(main, ["admit", str(folder), "--time-limit", "1", "--out",
                                  str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    admission = _csv(tmp_path / "a" / "admission.csv")
    assert admission[1][1:4] == ["S0500", "白雪", "3-1"]


def test_timetable_fees_and_groups_carry_names_in_order(school):
    import openpyxl
    _, out, _ = school
    wb = openpyxl.load_workbook(out / "timetable.xlsx")
    fees = [r for r in wb["服务费"].iter_rows(values_only=True)]
    assert fees[0][:3] == ("学号", "姓名", "班级")
    assert [r[1] for r in fees[1:-1]] == ["邵一明", "安然", "陈晨", "邵文明", "邵子明", "赵六"]
    groups = [r for r in wb["分组名单"].iter_rows(min_row=2, values_only=True)]
    assert [r[3] for r in groups] == ["邵一明", "安然", "陈晨", "邵文明", "邵子明", "赵六"]


def test_duty_notice_and_report_list_in_number_and_pinyin_order():
    from afterschool.models.plan import Group, Plan, _duties_from
    from afterschool.scheduler.handouts.publish import duty_notice
    from afterschool.scheduler.handouts.report import report_html
    staff = {"T1": "赵六", "T2": "安然", "T3": "陈晨"}  # pinyin: an, chen, zhao
    duties = [{"day": "Tue", "session": "after-upper", "group": f"after-upper-{g:02d}",
               "slot": "作业辅导", "start": "16:20", "end": "17:20", "staff": t,
               "role": "teacher"} for g, t in ((10, "T1"), (2, "T2"), (1, "T3"))]
    plan = Plan("OPTIMAL", [Group(f"after-upper-{g:02d}", "after-upper", ()) for g in (1, 2, 10)],
                _duties_from(duties), extra={
                    "school": "名单小学", "term": {"start": "2026-09-07", "end": "2026-09-11"},
                    "sessions": {"after-upper": {"name": "晚托(中高年级)", "start": "16:20",
                                                 "end": "17:20", "days": ["Tue"]}},
                    "people": {"staff": {k: {"name": v} for k, v in staff.items()},
                               "students": {}}})
    assert [r["group"] for r in duty_notice(plan)] == [
        "晚托(中高年级)1组", "晚托(中高年级)2组", "晚托(中高年级)10组"]  # not 1, 10, 2
    html = report_html(plan, "zh")
    teachers = html[html.index('id="teachers"'):html.index('id="money"')]
    week = teachers[teachers.index("<table"):]  # the week table, after the load chart
    assert week.index("安然") < week.index("陈晨") < week.index("赵六")
