"""The page's words in the school's language (zh | en): a zh page holds no English word
(apart from people's and the school's own names and ids)."""
from __future__ import annotations

WORDS = {
    "zh": {
        "app": "课后服务", "login": "登录", "logout": "退出", "name": "用户名",
        "password": "密码", "today": "今日", "roll": "点名", "absence": "请假代课",
        "week": "一周", "money": "经费与下载", "history": "记录", "date": "日期",
        "show": "查看", "group": "组别", "time": "时间", "on_duty": "值班",
        "absent": "请假", "covers": "代 {who}", "nobody": "缺员（无人代课）",
        "pupils": "学生", "pupils_n": "{n} 人", "roll_taken": "已记录 {n} 条",
        "roll_none": "未记录（全到不记）", "take_roll": "点名",
        "not_service": "{d} 不是服务日", "no_duty": "这一天没有您的值班",
        "manager": "管理或辅导", "save": "保存", "saved": "已保存：{p} 名学生的记录",
        "nothing_new": "没有新的记录（与已有记录相同）", "class": "班级",
        "present": "到", "late": "迟", "early": "早退", "leave": "假", "absent_mark": "缺",
        "person": "请假人员", "dates": "请假日期", "dates_hint": "如 2026-09-15,2026-09-16 或 2026-09-14..2026-09-18",
        "preview": "查看代课安排", "confirm": "确认并记录", "cancel": "返回",
        "covers_found": "代课安排", "replaces": "请假人员", "cover_by": "代课人员",
        "recorded": "已记录：{who} 请假，{c} 个值班有人代，{u} 个缺员",
        "not_recorded": "尚未记录：请核对后确认", "advice": "建议",
        "whole_school": "全校", "teacher": "教师", "my_week": "我的一周",
        "settlement": "结算", "downloads": "下载", "handouts": "全部材料（压缩包）", "bureau_file": "报市备案表",
        "settlement_file": "结算表", "roll_sheet": "本周点名表",
        "when": "时间", "by": "记录人", "what": "内容",
        "kind_plan": "排班", "kind_replan": "调整排班", "kind_substitute": "代课安排",
        "kind_attendance": "考勤", "kind_cancel": "停课", "kind_payments": "缴费",
        "attendance_line": "{p} 条学生记录，{s} 条值班记录（{d}）",
        "cancel_line": "{d} 停课：{r}", "payments_line": "{n} 笔，合计 {t} 元",
        "error": "出错了", "bad_input": "输入有误", "forbidden": "无权查看或操作此页",
        "not_found": "没有此页", "too_many": "尝试次数过多，请十分钟后再试",
        "wrong_login": "用户名或密码不正确", "busy": "记录正被其他操作占用，请稍后再试",
        "internal": "内部错误：未保存任何内容，请联系管理员",
        "csrf": "表单已过期或来源不明，请刷新页面后重试", "too_large": "提交内容过大",
        "signed_in": "{name}（{role}）", "role_office": "办公室", "role_teacher": "教师",
        "shortage": "缺员", "status": "点名", "back": "返回今日", "prev": "前一天",
        "next": "后一天", "none": "（无）", "where": "值班位置",
        "prev_week": "上一周", "next_week": "下一周",
    },
    "en": {
        "app": "After-school service", "login": "Log in", "logout": "Log out",
        "name": "User name", "password": "Password", "today": "Today", "roll": "Roll call",
        "absence": "Absence", "week": "Week", "money": "Money and downloads",
        "history": "History", "date": "Date", "show": "Show", "group": "Group",
        "time": "Time", "on_duty": "On duty", "absent": "absent", "covers": "covering {who}",
        "nobody": "UNCOVERED (nobody to cover)", "pupils": "Pupils", "pupils_n": "{n}",
        "roll_taken": "{n} mark(s) recorded", "roll_none": "nothing recorded (all present)",
        "take_roll": "Roll call", "not_service": "{d} is not a service date",
        "no_duty": "You have no duty on this date", "manager": "manager", "save": "Save",
        "saved": "Saved: {p} pupil mark(s)", "nothing_new": "Nothing new (as recorded)",
        "class": "Class", "present": "present", "late": "late", "early": "early",
        "leave": "leave", "absent_mark": "absent", "person": "Absent person",
        "dates": "Dates", "dates_hint": "e.g. 2026-09-15,2026-09-16 or 2026-09-14..2026-09-18",
        "preview": "Show the covers", "confirm": "Confirm and record", "cancel": "Back",
        "covers_found": "Covers", "replaces": "Absent", "cover_by": "Covered by",
        "recorded": "Recorded: {who} absent, {c} duties covered, {u} uncovered",
        "not_recorded": "Not recorded yet: check, then confirm", "advice": "Advice",
        "whole_school": "Whole school", "teacher": "Teacher", "my_week": "My week",
        "settlement": "Settlement", "downloads": "Downloads",
        "handouts": "All hand-outs (zip)", "bureau_file": "Reports upward (workbook)", "settlement_file": "Settlement workbook",
        "roll_sheet": "This week's roll-call sheets", "when": "When", "by": "By",
        "what": "What", "kind_plan": "plan", "kind_replan": "re-plan",
        "kind_substitute": "cover", "kind_attendance": "attendance",
        "kind_cancel": "cancelled", "kind_payments": "payments",
        "attendance_line": "{p} pupil and {s} staff mark(s) ({d})",
        "cancel_line": "{d} cancelled: {r}", "payments_line": "{n} payment(s), {t} yuan",
        "error": "Error", "bad_input": "Bad input", "forbidden": "Not allowed",
        "not_found": "No such page", "too_many": "Too many attempts: try again in ten minutes",
        "wrong_login": "Wrong user name or password",
        "busy": "The record is busy: try again", "internal": "Internal error: nothing saved",
        "csrf": "The form expired or came from elsewhere: reload the page and try again",
        "too_large": "Too much data sent", "signed_in": "{name} ({role})",
        "role_office": "office", "role_teacher": "teacher", "shortage": "short",
        "status": "Roll call", "back": "Back to today", "prev": "Previous day",
        "next": "Next day", "none": "(none)", "where": "Where",
        "prev_week": "Previous week", "next_week": "Next week",
    },
}

STATUSES = ("present", "late", "early", "leave", "absent")


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def status_word(status: str, lang: str) -> str:
    w = words(lang)
    return w["absent_mark"] if status == "absent" else w[status]
