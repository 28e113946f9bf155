"""Rebuild the bundled school: ``python instances/make_haijiang.py`` (byte-identical)."""
from pathlib import Path

from afterschool.scheduler.reading.generate import generate_school

SCHOOL = '''\
# 海江村小学 课后延时服务 — the bundled example school (an autumn term).
# Every rule not written here takes the default of the school's plan: see `afterschool init`.
[school]
name = "海江村小学"
language = "zh"
pupils = 1100  # 全校学生数: the participation rate of the reports upward

[term]
start = 2026-09-01
end = 2027-01-22
# 中秋 2026-09-25, 国庆 2026-10-01..07, 元旦 2027-01-01 (written out so the file reads alone;
# the official calendar package agrees for 2026 and does not know 2027 yet)
holidays = [2026-09-25, { from = 2026-10-01, to = 2026-10-07 }, 2027-01-01]
holidays_confirmed = true   # the list above is complete, 2027 included
# 调休: working weekend days and the weekday timetable each follows
makeup_days = { 2026-09-20 = "Fri", 2026-10-10 = "Fri" }

# 退费: fees by the plan, less cancelled days; a week or more of leave refunded; a pupil
# who withdraws within 30 days gets 80 % of the rest back, within 90 days 50 %
[refunds]
basis = "plan"
withdrawal = [{ within_days = 30, refund = "80%" }, { within_days = 90, refund = "50%" }]
leave = { min_consecutive = 5, refund = "100%" }
surplus = "refund"
'''

if __name__ == "__main__":
    files = generate_school(800, 18, 45, seed=2026, name="海江村小学", volunteer_rate=0.9, manage_rate=0.3,
                            open_days=0.8)
    files["school.toml"] = SCHOOL
    for name, text in files.items():
        Path(__file__).parent.joinpath("haijiang", name).write_text(text, encoding="utf-8")
