"""Words of exported sheets, notices and charts in the school's language (zh | en)."""
from __future__ import annotations

DAYS = {"zh": {"Mon": "周一", "Tue": "周二", "Wed": "周三", "Thu": "周四", "Fri": "周五"},
        "en": {d: d for d in ("Mon", "Tue", "Wed", "Thu", "Fri")}}

WORDS = {
    "zh": {
        "summary": "概况", "groups": "分组名单", "grid": "值班表", "managers": "管理人员",
        "by_teacher": "教师值班", "fees": "服务费", "pay": "劳务费", "budget": "经费收支",
        "staffing": "师资配备", "group": "组别", "session": "时段", "student": "学号",
        "name": "姓名", "class": "班级", "days": "星期", "day": "星期", "slot": "环节",
        "time": "时间", "teacher": "教师", "staff": "工号", "role": "职责",
        "manager": "管理或辅导", "role_teacher": "看护教师", "window": "时段",
        "minutes": "分钟", "amount": "金额(元)", "count": "人数", "item": "项目",
        "value": "内容", "school": "学校", "status": "求解状态", "shortage": "缺员",
        "notice_title": "课后服务分组公示", "duty_title": "课后服务教师值班公示",
        "load": "每周服务分钟", "limit": "每周上限", "standard": "标准配备 T(n)",
        "formed": "实际组数", "present": "到场人数", "cap": "班额上限",
        "gantt_title": "一周值班安排", "load_title": "教师每周服务时长",
        "staffing_title": "标准配备与实际组数", "sizes_title": "各组每日人数",
        "room": "班级", "total": "合计", "students_n": "学生数",
    },
    "en": {
        "summary": "summary", "groups": "groups", "grid": "duty grid", "managers": "managers",
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
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def day_name(day: str, lang: str) -> str:
    return DAYS.get(lang, DAYS["en"]).get(day, day)
