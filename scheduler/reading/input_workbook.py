"""The input workbook ``afterschool init`` writes beside the template files: one ``.xlsx``
a school office fills in without reading anything else.

``write_input_workbook(path, school, lang, examples)`` writes, in the school's language:

- the four sheets the reader takes (``SHEET_NAMES``): 学校 (one setting a row: its name,
  its value, a note with the unit and the default), 学生, 教师 and 可用时间, each with a
  header row the reader knows (``tables.COLUMNS``) and the example rows of ``examples``;
- a dropdown on every column whose values form a closed list (优先类别, 收费类别, 状态,
  午餐, 自愿, 可任管理, 类型, 允许同日两段, 星期, 时段 with the school's own session names);
  columns whose cell may hold several values (weekdays, priorities) suggest the usual ones
  and accept anything the reader reads; every column has an input hint with its unit
  (每周上限（分钟）);
- 时段表: the school's sessions with grades, weekdays, times, billable minutes and slots;
- a hidden sheet with the dropdowns' lists.

``examples`` maps ``students``, ``teachers`` and ``availability`` to (header, rows) in the
sheet's language. Every text cell passes ``safe.neutralise``; sheet titles pass
``safe.sheet_title``; XlsxWriter's guessing of formulas, numbers and links is off.
``SCHOOL_KEYS`` names the settings of the 学校 sheet in Chinese; the reader maps them back.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from afterschool.models.school import WEEKDAYS, School, fmt_time
from afterschool.scheduler.handouts.labels import (EN_SESSIONS, day_name, has_cjk,
                                                   slot_label)
from afterschool.scheduler.handouts.output import write_atomic
from afterschool.scheduler.handouts.safe import neutralise, sheet_title
from afterschool.scheduler.rules.staffing import duty_windows

FILE_NAME = {"zh": "学校数据.xlsx", "en": "school-data.xlsx"}
ROWS = 1000  # rows of each table that carry the dropdowns and hints

# the 学校 sheet: dotted key -> (Chinese name, note zh, note en)
SCHOOL_KEYS: dict[str, tuple[str, str, str]] = {
    "school.name": ("学校名称", "公示、名单上印的校名", "the name printed on hand-outs"),
    "school.language": ("语言", "导出表格、公示和图表所用语言：中文 或 英文",
                        "language of the sheets, notices and charts: zh or en"),
    "term.start": ("学期开始", "日期，如 2026-09-01", "a date such as 2026-09-01"),
    "term.end": ("学期结束", "日期，不早于学期开始，一年以内", "a date after the start, within a year"),
    "term.holidays": ("假日", "学期中放假的日期，用逗号分隔；连续几天写 2026-10-01至2026-10-07",
                      "days off, separated by commas; a run of days as "
                      "2026-10-01 to 2026-10-07"),
    "term.makeup_days": ("调休上班日", "调休上班的周六或周日及其按星期几上课，如 "
                         "{ 2026-10-10 = \"周五\" }；没有写 {}",
                         "working Saturdays or Sundays and the weekday each follows, "
                         "such as { 2026-10-10 = \"Fri\" }; none: {}"),
    "term.official_holidays": ("自动扣除法定节假日", "是：日历包已知年份的法定节假日自动扣除",
                               "yes: official holidays of the years the calendar "
                               "package knows are days off"),
    "term.holidays_confirmed": ("假日已核对", "核对“假日”已列全本学期所有放假日期后改为 是，"
                                "不再提示法定节假日未知",
                                "yes once the holidays above list every day off; "
                                "silences the warning about unknown official holidays"),
    "rules.group_cap": ("每组人数上限", "人，1–45（国家班额标准）",
                        "pupils, 1-45 (the national class-size standard)"),
    "rules.students_per_teacher": ("每名教师对应学生数", "人，标准配备每多少名学生配 1 名教师",
                                   "pupils per teacher in the standard count"),
    "rules.remainder_threshold": ("余数单独配教师的人数", "人，余数超过此数也配 1 名教师",
                                  "pupils; a remainder above this gets its own teacher"),
    "rules.groups_per_manager": ("每名管理人员对应组数", "组，同时在岗每多少组配 1 名管理或辅导人员",
                                 "groups on duty at once per manager"),
    "rules.manager_remainder_threshold": ("余数单独配管理人员的组数",
                                          "组，余数超过此数也配 1 名",
                                          "groups; a remainder above this gets its own manager"),
    "rules.fee_per_hour": ("服务费", "元/生/小时", "yuan per pupil per hour"),
    "rules.pay_per_hour": ("劳务费", "元/人/小时", "yuan per person per hour"),
    "rules.lunch_price": ("午餐费", "元/餐，另行结算，不计入服务费",
                          "yuan per meal, charged apart from the service fee"),
    "rules.max_weekly_minutes": ("每周上限（分钟）", "每位教师每周服务分钟数上限（不是小时：5 小时填 300）",
                                 "a person's service minutes per week (not hours: 5 hours "
                                 "is 300)"),
    "rules.max_daily_minutes": ("每日上限（分钟）", "每位教师每日服务分钟数上限",
                                "a person's service minutes per day"),
}
_WORDS = {
    "zh": {"yes": "是", "no": "否", "lang": {"zh": "中文", "en": "英文"},
           "school_head": ("项目", "内容", "说明"), "lists": "选项", "sessions": "时段表",
           "session_head": ("时段", "年级", "星期", "开始", "结束", "计费（分钟/天）", "环节"),
           "to": "至", "window": "{name}：整个{name}时段（含管理或辅导；可任管理人员请填此项）",
           "pick": "请从下拉列表中选择", "note": "可用时间表的“时段”列填上表第一列的名称"},
    "en": {"yes": "yes", "no": "no", "lang": {"zh": "zh", "en": "en"},
           "school_head": ("key", "value", "note"), "lists": "lists", "sessions": "sessions",
           "session_head": ("session", "grades", "days", "start", "end",
                            "billable minutes a day", "slots"),
           "to": "-", "window": "{name}: the whole {name} window (managers: choose this)",
           "pick": "choose from the list", "note": "the session column of availability takes "
                                                   "the names of the first column"},
}
# column -> (zh hint, en hint); a hint is what the cell holds and in which unit
HINTS = {
    "students": {
        "id": ("每名学生唯一，如 S0001", "unique per pupil, such as S0001"),
        "name": ("学生全名（公示时打码为 张*明）", "full name (masked on notices)"),
        "grade": ("1–6", "1-6"),
        "class": ("如 3-2、3(2)、3年级2班", "such as 3-2"),
        "noon": ("参加午托的星期，如 周一至周五、周一 周三；不参加留空",
                 "weekdays of noon care, such as Mon-Fri or Mon Wed; empty: not taken"),
        "afternoon": ("参加晚托的星期，如 周二至周五；不参加留空",
                      "weekdays of afternoon care, such as Tue-Fri; empty: not taken"),
        "priority": ("优先保障类别，可填多项（空格分隔）；无则留空",
                     "priority categories, several separated by spaces; empty: none"),
        "fee_category": ("正常、减免（家庭经济困难）或 免收（建档立卡）；留空为正常",
                         "normal, reduced or exempt; empty: normal"),
        "fee_reduction": ("收费类别为减免时必填：百分比如 50%，或金额（元）如 30.00",
                          "when reduced: a percentage such as 50%, or yuan such as 30.00"),
        "lunch": ("是否在校午餐；留空时参加午托即为是", "school lunch; empty: yes with noon care"),
        "status": ("已录取才排班；已申请待录取；已退出不排班", "only enrolled pupils are scheduled"),
        "applied_on": ("日期，如 2026-08-20；同类优先者按此排序",
                       "a date such as 2026-08-20; orders applicants"),
    },
    "teachers": {
        "id": ("每人唯一，如 T001", "unique per person, such as T001"),
        "name": ("全名，印在值班表上", "full name, printed on duty lists"),
        "volunteer": ("只给自愿参加的人排班", "only volunteers get duties"),
        "can_manage": ("可担任管理或辅导人员；留空为否", "may serve as manager; empty: no"),
        "kind": ("本校教职工或外聘；留空为本校", "staff or external; empty: staff"),
        "hourly_rate": ("元/小时；留空按学校劳务费标准", "yuan an hour; empty: the school's rate"),
        "max_weekly_minutes": ("分钟/周（不是小时：5 小时填 300）；留空按学校上限",
                               "minutes a week (not hours: 5 hours is 300); empty: the "
                               "school's limit"),
        "classes": ("任教班级，如 3-2 3-3", "homeroom classes taught, such as 3-2 3-3"),
        "allow_double": ("同一天可既值午托又值晚托；留空为否",
                         "may serve noon and afternoon on one day; empty: no"),
    },
    "availability": {
        "teacher": ("教师表中的工号", "an id from the teachers sheet"),
        "day": ("一个星期，或 周二至周五 表示每一天", "a weekday, or Tue-Fri for each of them"),
        "session": ("时段表中的时段名称", "a session name from the sessions sheet"),
        "status": ("可以、优先（优先安排）或 不可；未填的时间视为不可",
                   "available, preferred or unavailable; times not listed: unavailable"),
    },
}
HEADERS_ZH = {  # the header the zh sheets show, where it says more than the plain name
    "max_weekly_minutes": "每周上限（分钟）", "hourly_rate": "课时费（元/小时）",
}


def _range_text(days: list[str], lang: str) -> str:
    """Mon..Fri -> 周一至周五 / Mon-Fri; days that do not follow one another, listed."""
    idx = [WEEKDAYS.index(d) for d in days]
    if len(days) > 1 and idx == list(range(idx[0], idx[-1] + 1)):
        sep = _WORDS[lang]["to"]
        return f"{day_name(days[0], lang)}{sep}{day_name(days[-1], lang)}"
    return " ".join(day_name(d, lang) for d in days)


def session_name(school: School, sid: str, lang: str) -> str:
    """The name the sheets show for a session: the school's, or English in an en sheet."""
    s = school.session(sid)
    return EN_SESSIONS.get(s.id, s.id) if lang != "zh" and has_cjk(s.name) else s.name


def _lists(school: School, lang: str) -> dict[str, list[str]]:
    zh = lang == "zh"
    w = _WORDS[lang]
    yes_no = [w["yes"], w["no"]]
    by_signup: dict[str, list[str]] = {}
    for s in school.sessions:
        by_signup.setdefault(s.signup, [])
        by_signup[s.signup] = [d for d in WEEKDAYS if d in s.days or d in by_signup[s.signup]]
    days = [day_name(d, lang) for d in WEEKDAYS]
    windows = [win for win in duty_windows(school.sessions) if len(win.sessions) > 1]
    window_words = {"noon": ("午间", "noon"), "afternoon": ("下午", "afternoon")}
    return {
        "grade": [str(g) for g in sorted({g for s in school.sessions for g in s.grades})],
        "noon": [_range_text(by_signup.get("noon", []), lang)] + days,
        "afternoon": [_range_text(by_signup.get("afternoon", []), lang)] + days,
        "priority": (["残疾儿童", "留守儿童", "随迁子女", "职工子女"] if zh else
                     ["disabled", "left_behind", "migrant", "staff_child"]),
        "fee_category": ["正常", "减免", "免收"] if zh else ["normal", "reduced", "exempt"],
        "status": ["已录取", "已申请", "已退出"] if zh else ["enrolled", "applied", "withdrawn"],
        "yes_no": yes_no,
        "kind": ["本校", "外聘"] if zh else ["staff", "external"],
        "day": days + [_range_text(sorted({d for s in school.sessions for d in s.days},
                                          key=WEEKDAYS.index), lang)],
        "session": [session_name(school, s.id, lang) for s in school.sessions] +
                   [window_words.get(win.id, (win.id, win.id))[0 if zh else 1]
                    for win in windows],
        "availability": ["可以", "优先", "不可"] if zh else ["available", "preferred",
                                                          "unavailable"],
        "language": [w["lang"]["zh"], w["lang"]["en"]],
    }


# column -> (list, strict): strict lists refuse anything else; the others suggest
DROPDOWNS = {
    "students": {"grade": ("grade", True), "noon": ("noon", False),
                 "afternoon": ("afternoon", False), "priority": ("priority", False),
                 "fee_category": ("fee_category", True), "lunch": ("yes_no", True),
                 "status": ("status", True)},
    "teachers": {"volunteer": ("yes_no", True), "can_manage": ("yes_no", True),
                 "kind": ("kind", True), "allow_double": ("yes_no", True)},
    "availability": {"day": ("day", False), "session": ("session", True),
                     "status": ("availability", True)},
}


def _text(value) -> object:
    return neutralise(value) if isinstance(value, str) else value


def _holiday_text(days: list[date], lang: str) -> str:
    """Holidays as the 假日 cell shows them: dates, runs of days as 2026-10-01至2026-10-07."""
    runs: list[list[date]] = []
    for d in days:
        if runs and (d - runs[-1][-1]).days == 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    sep = "至" if lang == "zh" else " to "
    return ("，" if lang == "zh" else ", ").join(
        r[0].isoformat() if len(r) == 1 else f"{r[0].isoformat()}{sep}{r[-1].isoformat()}"
        for r in runs)


def _school_rows(school: School, lang: str) -> list[tuple[str, object, str]]:
    """(key as the sheet shows it, value, note) of every setting of the 学校 sheet."""
    w = _WORDS[lang]
    t, r = school.term, school.rules
    holidays = sorted(t.holidays)
    values = {
        "school.name": school.name, "school.language": w["lang"][school.language],
        "term.start": t.start, "term.end": t.end,
        "term.holidays": _holiday_text(holidays, lang),
        "term.makeup_days": "{" + ", ".join(f'{d.isoformat()} = "{day_name(wd, lang)}"'
                                            for d, wd in t.makeup_days) + "}",
        "term.official_holidays": w["yes"] if t.official_holidays else w["no"],
        "term.holidays_confirmed": w["yes"] if t.holidays_confirmed else w["no"],
    }
    for key in SCHOOL_KEYS:
        if key.startswith("rules."):
            v = getattr(r, key.split(".", 1)[1])
            values[key] = f"{v:.2f}" if isinstance(v, Decimal) else v
    return [(SCHOOL_KEYS[k][0] if lang == "zh" else k, values[k],
             SCHOOL_KEYS[k][1 if lang == "zh" else 2]) for k in SCHOOL_KEYS]


def write_input_workbook(path: Path, school: School, lang: str,
                         examples: dict[str, tuple[list[str], list[list[str]]]]) -> Path:
    """Write the input workbook (see the module's docstring) atomically as ``path``."""
    return write_atomic(Path(path), lambda p: _write(p, school, lang, examples))


def _write(path: Path, school: School, lang: str, examples) -> None:
    from afterschool.scheduler.reading.tables import SHEET_NAMES
    zh = lang == "zh"
    w = _WORDS[lang]
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                         "strings_to_numbers": False,
                                         "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    day_fmt = wb.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    taken: set[str] = set()
    titles = {kind: sheet_title(names[1] if zh else names[0], taken)
              for kind, names in SHEET_NAMES.items()}
    sessions_title = sheet_title(w["sessions"], taken)
    lists_title = sheet_title(w["lists"], taken)
    lists = _lists(school, lang)

    # the school's settings: one a row
    ws = wb.add_worksheet(titles["school"])
    ws.write_row(0, 0, list(w["school_head"]), bold)
    ws.set_column(0, 0, 26 if zh else 34)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 2, 70)
    for n, (key, value, note) in enumerate(_school_rows(school, lang), start=1):
        ws.write_string(n, 0, _text(key))
        if isinstance(value, date):
            ws.write_datetime(n, 1, datetime(value.year, value.month, value.day), day_fmt)
        elif isinstance(value, int) and not isinstance(value, bool):
            ws.write_number(n, 1, value)
        else:
            ws.write_string(n, 1, _text(str(value)))
        ws.write_string(n, 2, _text(note), wrap)
        prompt = {"input_title": _text(key)[:32], "input_message": _text(note)[:255]}
        dotted = list(SCHOOL_KEYS)[n - 1]
        if dotted == "school.language":
            ws.data_validation(n, 1, n, 1, {"validate": "list", "source": lists["language"],
                                            **prompt})
        elif dotted.endswith(("official_holidays", "holidays_confirmed")):
            ws.data_validation(n, 1, n, 1, {"validate": "list", "source": lists["yes_no"],
                                            **prompt})
        elif isinstance(value, int):
            ws.data_validation(n, 1, n, 1, {"validate": "integer", "criteria": ">=",
                                            "value": 0, **prompt})
        else:
            ws.data_validation(n, 1, n, 1, {"validate": "any", **prompt})
    ws.freeze_panes(1, 0)

    # where the dropdowns' lists will stand: a column each of the hidden last sheet
    where = {name: f"='{lists_title}'!${xl_col_to_name(c)}$1:${xl_col_to_name(c)}"
                   f"${len(values)}" for c, (name, values) in enumerate(lists.items())}

    # the three tables
    from afterschool.scheduler.reading.tables import COLUMNS
    for kind in ("students", "teachers", "availability"):
        header, rows = examples[kind]
        ws = wb.add_worksheet(titles[kind])
        ws.write_row(0, 0, [_text(h) for h in header], bold)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                if v != "":
                    ws.write_string(r, c, _text(v))
        canon = _canonical(header, COLUMNS[kind])
        for c, col in enumerate(canon):
            width = max(len(header[c]) * (2 if zh else 1) + 4, 12)
            ws.set_column(c, c, min(width, 30))
            hint = HINTS[kind].get(col)
            prompt = {"input_title": _text(header[c])[:32],
                      "input_message": _text(hint[0 if zh else 1])[:255]} if hint else {}
            drop = DROPDOWNS[kind].get(col)
            if drop:
                name, strict = drop
                options = {"validate": "list", "source": where[name], **prompt}
                if strict:
                    options.update(error_title=_text(header[c])[:32],
                                   error_message=_text(w["pick"]))
                else:
                    options["error_type"] = "information"
                    options["show_error"] = False
                ws.data_validation(1, c, ROWS, c, options)
            elif kind == "availability" and col == "teacher":
                ws.data_validation(1, c, ROWS, c, {
                    "validate": "list", "source": f"='{titles['teachers']}'!$A$2:$A${ROWS}",
                    "show_error": False, **prompt})
            elif prompt:
                ws.data_validation(1, c, ROWS, c, {"validate": "any", **prompt})
        ws.freeze_panes(1, 0)

    # the session table, to read
    ws = wb.add_worksheet(sessions_title)
    ws.write_row(0, 0, list(w["session_head"]), bold)
    for r, s in enumerate(school.sessions, start=1):
        slots = "；".join(f"{fmt_time(x.start)}-{fmt_time(x.end)} {slot_label(x.name, lang)}"
                         for x in s.slots) if zh else "; ".join(
            f"{fmt_time(x.start)}-{fmt_time(x.end)} {slot_label(x.name, lang)}" for x in s.slots)
        ws.write_row(r, 0, [_text(session_name(school, s.id, lang)),
                            " ".join(map(str, s.grades)), _range_text(list(s.days), lang),
                            fmt_time(s.start), fmt_time(s.end)])
        ws.write_number(r, 5, s.billable_minutes)
        ws.write_string(r, 6, _text(slots), wrap)
    r = len(school.sessions) + 1
    for win in duty_windows(school.sessions):
        if len(win.sessions) > 1:
            word = lists["session"][len(school.sessions) +
                                    [x.id for x in duty_windows(school.sessions)
                                     if len(x.sessions) > 1].index(win.id)]
            ws.write_row(r, 0, [_text(word), "", "", fmt_time(win.start),
                                fmt_time(win.end)])
            ws.write_string(r, 6, _text(w["window"].format(name=word)), wrap)
            r += 1
    ws.write_string(r + 1, 0, _text(w["note"]))
    for c, width in enumerate((18, 12, 16, 8, 8, 12, 60)):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)

    lw = wb.add_worksheet(lists_title)  # the dropdowns' lists, hidden
    for c, values in enumerate(lists.values()):
        for r, v in enumerate(values):
            lw.write_string(r, c, _text(v))
    lw.hide()
    wb.close()


def _canonical(header: list[str], columns: dict[str, tuple[str, ...]]) -> list[str]:
    """The canonical column of each header cell, as the reader maps it."""
    from afterschool.scheduler.reading.tables import _norm_header
    aliases = {_norm_header(a): canon for canon, names in columns.items() for a in names}
    return [aliases.get(_norm_header(h), "") for h in header]
