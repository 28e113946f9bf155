"""Words of exported sheets, notices, calendars, charts and the report in the school's
language (zh | en), and the display names hand-outs show instead of ids.

- ``words(lang)``: every header and label; a zh hand-out holds no English word, an en one no
  Chinese (apart from people's and the school's names).
- ``session_label(plan, sid, lang)``: 午托 / 晚托(低年级) … from ``school.toml`` (the plan
  carries the names); in English the default sessions get English names.
- ``group_label(plan, gid, lang)``: 午托1组, "noon care group 1": the session's name and the
  group's number, never the id ``noon-01``.
"""
from __future__ import annotations

import re

DAYS = {"zh": {"Mon": "周一", "Tue": "周二", "Wed": "周三", "Thu": "周四", "Fri": "周五"},
        "en": {d: d for d in ("Mon", "Tue", "Wed", "Thu", "Fri")}}

EN_SESSIONS = {"noon": "noon care", "after-lower": "afternoon care (lower grades)",
               "after-upper": "afternoon care (upper grades)"}
EN_SLOTS = {"准备": "getting ready", "午餐": "lunch", "作业辅导、阅读": "homework help, reading",
            "午休": "nap", "作业辅导、体育锻炼、社团活动": "homework help, exercise, clubs"}
WINDOWS = {"zh": {"noon": "午间", "afternoon": "下午"},
           "en": {"noon": "noon", "afternoon": "afternoon"}}

WORDS = {
    "zh": {
        "summary": "概况", "groups": "组数", "groups_sheet": "分组名单", "grid": "值班表", "managers": "管理人员",
        "by_teacher": "教师值班", "fees": "服务费", "pay": "劳务费", "budget": "经费收支",
        "staffing": "师资配备", "group": "组别", "session": "时段", "student": "学号",
        "name": "姓名", "class": "班级", "days": "星期", "day": "星期", "slot": "环节",
        "time": "时间", "teacher": "教师", "staff": "工号", "role": "职责",
        "manager": "管理或辅导", "role_teacher": "看护教师", "window": "时段",
        "minutes": "分钟", "amount": "金额(元)", "count": "人数", "item": "项目",
        "value": "内容", "school": "学校", "status": "排班结果", "shortage": "缺员",
        "notice_title": "课后服务分组公示", "duty_title": "课后服务教师值班公示",
        "load": "每周服务分钟", "limit": "每周上限", "standard": "标准配备 T(n)",
        "formed": "实际组数", "present": "到场人数", "cap": "班额上限",
        "gantt_title": "一周值班安排", "load_title": "教师每周服务时长",
        "staffing_title": "标准配备与实际组数", "sizes_title": "各组每日人数",
        "room": "班级", "total": "合计", "students_n": "学生数",
        # columns of the workbook and the money tables
        "fee_category": "收费类别", "gross_fee": "应收服务费", "service_fee": "实收服务费",
        "lunch_fee": "午餐费", "kind": "人员类别", "rate": "课时费(元/时)",
        "part": "项目", "income": "服务费收入", "exemptions": "减免", "balance": "结余",
        "students": "学生数", "standard_teachers": "标准教师数", "extra_groups": "超标组数",
        "extra_teacher_minutes": "超标教师分钟", "extra_pay": "超标劳务费",
        "term": "学期", "duties": "值班人次", "group_days": "组·日", "bound": "下界",
        "grade": "年级", "week": "周次", "minutes_earned": "弹性时间(分钟)", "label": "说明",
        "date": "日期", "replaces": "替代", "parents": "家长版", "parents_title":
        "课后服务家长告知", "children": "人", "all_sessions": "全部", "none": "无",
        "kind_staff": "在编教师", "kind_external": "外聘", "status_ok": "已排满",
        "report_title": "课后服务排班报告", "week_of": "一周安排",
        "shortages_title": "缺员", "no_shortage": "所有组别与环节均已排满，管理人员到位。",
        "money_title": "经费", "staffing_std": "标准配备", "grid_title": "每日值班表",
        "teachers_title": "教师一周安排", "groups_title": "各时段每日组数",
        "cover": "封面", "generated_from": "数据来源", "page": "第&P页，共&N页",
        "alarm": "课后服务提醒", "slots": "环节", "substitute": "代课",
        "cancelled": "已取消", "group_count": "组数",
        "order": "顺序", "decision": "结果", "reason": "理由",
        "instance": "学校", "scenario": "情景", "shortages": "缺员岗位", "fee_income": "服务费收入",
        "time_limit": "时间上限(秒)", "solve_s": "用时(秒)", "shortages_by_day": "缺员(按天)",
        "club": "社团", "members": "人数", "club_income": "社团费收入",
        "venue": "地点", "activity": "活动", "homework": "作业辅导", "venues_sheet": "场地安排",
        "rain_sheet": "雨天安排", "rain_venue": "雨天地点", "stays_in_room": "留在本组教室",
        "no_room": "未安排场地", "venues_title": "场地与活动", "missing": "缺少次数",
    },
    "en": {
        "summary": "summary", "groups": "groups", "groups_sheet": "groups", "grid": "duty grid", "managers": "managers",
        "by_teacher": "by teacher", "fees": "fees", "pay": "pay", "budget": "budget",
        "staffing": "staffing", "group": "group", "session": "session", "student": "student",
        "name": "name", "class": "class", "days": "days", "day": "day", "slot": "slot",
        "time": "time", "teacher": "teacher", "staff": "staff", "role": "role",
        "manager": "manager", "role_teacher": "teacher", "window": "window",
        "minutes": "minutes", "amount": "amount (yuan)", "count": "count", "item": "item",
        "value": "value", "school": "school", "status": "status", "shortage": "SHORT",
        "notice_title": "After-school groups (public notice)",
        "duty_title": "After-school duty roster (public notice)",
        "load": "service minutes a week", "limit": "weekly limit",
        "standard": "standard T(n)", "formed": "groups formed", "present": "present",
        "cap": "cap", "gantt_title": "Duties of the week", "load_title": "Weekly load",
        "staffing_title": "Standard teachers and groups formed",
        "sizes_title": "Students present per group and day", "room": "class",
        "total": "total", "students_n": "students",
        "fee_category": "fee category", "gross_fee": "gross fee", "service_fee": "service fee",
        "lunch_fee": "lunch fee", "kind": "kind", "rate": "rate (yuan/h)",
        "part": "part", "income": "income", "exemptions": "exemptions", "balance": "balance",
        "students": "students", "standard_teachers": "standard teachers",
        "extra_groups": "extra groups", "extra_teacher_minutes": "extra teacher minutes",
        "extra_pay": "extra pay", "term": "term", "duties": "duties",
        "group_days": "group-days", "bound": "bound", "grade": "grade", "week": "week",
        "minutes_earned": "flex minutes earned", "label": "note", "date": "date",
        "replaces": "replaces", "parents": "for parents",
        "parents_title": "After-school care: notice to parents", "children": "children",
        "all_sessions": "all", "none": "none", "kind_staff": "staff",
        "kind_external": "external", "status_ok": "complete",
        "report_title": "After-school service plan", "week_of": "week",
        "shortages_title": "Shortages",
        "no_shortage": "Every group and slot is covered; every manager post is filled.",
        "money_title": "Money", "staffing_std": "Staffing against the standard",
        "grid_title": "Duty grid per day", "teachers_title": "Each teacher's week",
        "groups_title": "Groups per session and day", "cover": "cover",
        "generated_from": "source", "page": "page &P of &N",
        "alarm": "after-school duty", "slots": "slots", "substitute": "substitute",
        "cancelled": "cancelled", "group_count": "groups",
        "order": "order", "decision": "decision", "reason": "reason",
        "instance": "instance", "scenario": "scenario", "shortages": "shortages",
        "fee_income": "fee_income", "time_limit": "time_limit", "solve_s": "solve_s",
        "shortages_by_day": "shortages_by_day", "club": "club", "members": "members",
        "club_income": "club fee income",
        "venue": "place", "activity": "activity", "homework": "homework help",
        "venues_sheet": "venues", "rain_sheet": "rain plan", "rain_venue": "on a rainy day",
        "stays_in_room": "stays in its room", "no_room": "no room", "venues_title":
        "Places and activities", "missing": "missing",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def day_name(day: str, lang: str) -> str:
    return DAYS.get(lang, DAYS["en"]).get(day, day)


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a CJK ideograph or full-width punctuation."""
    return any("\u2e80" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" or
               "\u3000" <= c <= "\u303f" for c in str(text))


def session_label(plan, sid: str | None, lang: str) -> str:
    """The session's display name: the school's own name, or an English one in en."""
    if not sid:
        return ""
    name = plan.extra.get("sessions", {}).get(sid, {}).get("name", sid)
    if lang != "zh" and has_cjk(name):
        return EN_SESSIONS.get(sid, sid)
    return name


def slot_label(name: str | None, lang: str) -> str:
    """A slot's name; in English the default slots (SPEC §2) get their English words."""
    if not name:
        return ""
    return EN_SLOTS.get(name, name) if lang != "zh" else name


def window_label(window: str | None, lang: str) -> str:
    """A duty window (noon, afternoon) as a word of ``lang``."""
    return WINDOWS.get(lang, WINDOWS["en"]).get(window or "", window or "")


def group_number(plan, gid: str) -> int:
    """The group's number within its session: the id's trailing number, else its rank."""
    m = re.search(r"(\d+)$", gid or "")
    if m:
        return int(m.group(1))
    for g in plan.groups:
        if g.id == gid:
            same = [h.id for h in plan.groups if h.session == g.session]
            return same.index(gid) + 1
    return 0


def group_label(plan, gid: str | None, lang: str, session: str | None = None) -> str:
    """午托1组 / "noon care group 1" for a group id (ids never reach a hand-out)."""
    if not gid:
        return ""
    if session is None:
        session = next((g.session for g in plan.groups if g.id == gid), None)
        if session is None:  # a group of an earlier version
            session = next((s for s in plan.extra.get("sessions", {})
                            if gid.startswith(s + "-")), None)
    name = session_label(plan, session, lang) if session else ""
    n = group_number(plan, gid)
    return f"{name}{n}组" if lang == "zh" else f"{name} group {n}".strip()
