"""``afterschool init``: a commented, valid template instance a school office fills in.

It writes ``school.toml`` (every rule with its default and a comment in the school's
language), ``students.csv``, ``teachers.csv`` and ``availability.csv`` with one example row
each, and the same school as one input workbook (``input_workbook``: dropdowns, hints with
units, the session table), which the reader takes in place of the four files.
"""
from __future__ import annotations

import os
from pathlib import Path

from afterschool.scheduler.handouts.output import write_files

SCHOOL = {
    "en": """\
# School settings. Every rule below shows its default; delete a line to keep the default.
[school]
name = "My Primary School"
language = "en"          # zh | en: language of exported sheets, notices and charts

[term]
start = 2026-09-01
end = 2027-01-22
# Official Chinese holidays are applied automatically where the calendar package knows the
# year; list the school's own days off (and any the package does not know) here:
holidays = [2027-01-01]
holidays_confirmed = false  # true once the list above holds every day off of the term
# A working Saturday or Sunday (调休) and the weekday timetable it follows:
makeup_days = {}         # e.g. { 2026-10-10 = "Fri" }

[rules]
group_cap = 45                   # most students present in one group on a day
students_per_teacher = 45        # standard teacher count T(n)
remainder_threshold = 30         # a remainder over 30 gets its own teacher
groups_per_manager = 5           # managers M(c) for groups on duty at once
manager_remainder_threshold = 3
fee_per_hour = "2.00"            # yuan per student per hour
pay_per_hour = "60.00"           # yuan per staff member per hour of duty
lunch_price = "0.00"             # per meal, charged apart from the service fee
max_weekly_minutes = 300
max_daily_minutes = 130
# Omit [[sessions]] to use the standard noon / afternoon timetable.
""",
    "zh": """\
# 学校设置。下列规则均为默认值,删去某行即沿用默认值。
[school]
name = "某某小学"
language = "zh"          # zh | en:导出表格、公示和图表所用语言

[term]
start = 2026-09-01       # 学期开始
end = 2027-01-22         # 学期结束
# 法定节假日在日历包覆盖的年份内自动扣除;学校自定假日及日历包未覆盖的日期写在这里:
holidays = [2027-01-01]
holidays_confirmed = false  # 核对上面已列全本学期所有放假日期后改为 true
# 调休上班的周六或周日,及其按星期几上课:
makeup_days = {}         # 例如 { 2026-10-10 = "Fri" }

[rules]
group_cap = 45                   # 每组每日最多学生数(国家班额标准)
students_per_teacher = 45        # 每45名学生配1名教师
remainder_threshold = 30         # 余数超过30名也配1名教师
groups_per_manager = 5           # 每5班加配1名管理或辅导人员
manager_remainder_threshold = 3  # 超过3班也配1名
fee_per_hour = "2.00"            # 服务费 元/生/小时
pay_per_hour = "60.00"           # 劳务费 元/人/小时
lunch_price = "0.00"             # 午餐费 元/餐,另行结算
max_weekly_minutes = 300         # 每位教师每周服务上限(分钟)
max_daily_minutes = 130          # 每日上限(分钟)
# 不写 [[sessions]] 即采用标准的午托、晚托时间表。
""",
}
# the example rows, as (header, rows) per table: the CSV files and the workbook's sheets
EXAMPLES = {
    "en": {
        "students": (["id", "name", "grade", "class", "noon", "afternoon", "priority",
                      "fee_category", "fee_reduction", "lunch", "status", "applied_on"],
                     [["S0001", "Zhang Xiaoming", "3", "3-2", "Mon-Fri", "Tue-Fri", "",
                       "normal", "", "yes", "enrolled", "2026-08-20"]]),
        "teachers": (["id", "name", "volunteer", "can_manage", "kind", "hourly_rate",
                      "max_weekly_minutes", "classes", "allow_double"],
                     [["T001", "Li Hua", "yes", "yes", "staff", "", "", "3-2", "no"]]),
        "availability": (["teacher", "day", "session", "status"],
                         [["T001", "Tue", "afternoon care (upper grades)", "available"],
                          ["T001", "Mon", "noon care", "preferred"]]),
    },
    "zh": {
        "students": (["学号", "姓名", "年级", "班级", "午托", "晚托", "优先类别", "收费类别",
                      "减免", "午餐", "状态", "申请日期"],
                     [["S0001", "张小明", "3", "3-2", "周一至周五", "周二至周五", "", "正常",
                       "", "是", "已录取", "2026-08-20"]]),
        "teachers": (["工号", "姓名", "自愿", "可任管理", "类型", "课时费（元/小时）",
                      "每周上限（分钟）", "任教班级", "允许同日两段"],
                     [["T001", "李华", "是", "是", "本校", "", "", "3-2", "否"]]),
        "availability": (["教师", "星期", "时段", "状态"],
                         [["T001", "周二", "晚托(中高年级)", "可以"],
                          ["T001", "周一", "午托", "优先"]]),
    },
}


def _csv(header: list[str], rows: list[list[str]]) -> str:
    """A table as the CSV text Excel saves (no cell here needs quoting)."""
    return "".join(",".join(r) + "\n" for r in [header, *rows])


def write_template(folder: str | Path, lang: str = "en", force: bool = False) -> list[Path]:
    """Write the template instance and the input workbook holding the same school
    (``input_workbook``); refuses a non-empty folder unless ``force``, and never (not even
    with ``force``) overwrites an existing instance file."""
    from afterschool.scheduler.reading.generate import refuse_non_empty
    from afterschool.scheduler.reading.input_workbook import FILE_NAME, write_input_workbook
    from afterschool.scheduler.reading.school_config import parse_school
    folder = Path(folder)
    tables = EXAMPLES[lang]
    files = {"school.toml": SCHOOL[lang]} | {
        f"{kind}.csv": _csv(*tables[kind]) for kind in ("students", "teachers", "availability")}
    book = FILE_NAME[lang]
    clash = [n for n in [*files, book] if os.path.lexists(folder / n)]
    if clash:
        raise FileExistsError(f"{folder} already has {', '.join(clash)}; choose an empty folder")
    refuse_non_empty(folder, force)
    school, _ = parse_school(SCHOOL[lang])
    written = write_files(folder, files)
    return written + [write_input_workbook(folder / book, school, lang, tables)]
