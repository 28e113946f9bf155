"""``afterschool init``: a commented, valid template instance a school office fills in."""
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
HEADERS = {
    "en": ("id,name,grade,class,noon,afternoon,priority,fee_category,fee_reduction,lunch,status,"
           "applied_on\nS0001,Zhang Xiaoming,3,3-2,Mon Tue Wed Thu Fri,Tue Wed Thu Fri,,normal,,"
           "yes,enrolled,2026-08-20\n",
           "id,name,volunteer,can_manage,kind,hourly_rate,max_weekly_minutes,classes,"
           "allow_double\nT001,Li Hua,yes,yes,staff,,,3-2,no\n",
           "teacher,day,session,status\nT001,Tue,afternoon,available\n"
           "T001,Mon,noon,preferred\n"),
    "zh": ("学号,姓名,年级,班级,午托,晚托,优先类别,收费类别,减免,午餐,状态,申请日期\n"
           "S0001,张小明,3,3-2,周一 周二 周三 周四 周五,周二 周三 周四 周五,,正常,,是,已录取,2026-08-20\n",
           "工号,姓名,自愿,可任管理,类型,课时费,每周上限,任教班级,允许同日两段\n"
           "T001,李华,是,是,本校,,,3-2,否\n",
           "教师,星期,时段,状态\nT001,周二,afternoon,可以\nT001,周一,noon,优先\n"),
}


def write_template(folder: str | Path, lang: str = "en", force: bool = False) -> list[Path]:
    """Write the template instance; refuses a non-empty folder unless ``force``, and never
    (not even with ``force``) overwrites an existing instance file."""
    from afterschool.scheduler.reading.generate import refuse_non_empty
    folder = Path(folder)
    students, teachers, avail = HEADERS[lang]
    files = {"school.toml": SCHOOL[lang], "students.csv": students, "teachers.csv": teachers,
             "availability.csv": avail}
    clash = [n for n in files if os.path.lexists(folder / n)]
    if clash:
        raise FileExistsError(f"{folder} already has {', '.join(clash)}; choose an empty folder")
    refuse_non_empty(folder, force)
    return write_files(folder, files)
