"""Sentences the commands print, in the school's language: one catalogue keyed by a stable
id (``say("recorded_attendance", "zh", pupils=3, staff=0, file="a.csv")``), never built
from English fragments. Numbers and paths are passed in; the catalogue holds the words.
A key missing in one language is a bug the tests catch (``test_say``), not a fallback.
"""
from __future__ import annotations

CATALOGUE: dict[str, dict[str, str]] = {
    "zh": {
        "recorded_in": "已记入 {where}",
        "recorded_attendance": "已记录 {file} 中 {pupils} 条学生考勤、{staff} 条教师值班",
        "nothing_new": "{file} 中没有新内容：已记录过",
        "recorded_cancel": "已记录停课 {n} 天",
        "already_cancelled": "这些日期已记录为停课",
        "recorded_payments": "已记录 {file} 中 {n} 笔缴费",
        "rewritten": "已按记录重写 {path} 及全部材料",
        "wrote": "已写出 {path}",
        "wrote_chart": "已写出 {path}（{n} 个条形）",
        "init_next": "下一步：填写这些表格，然后运行 afterschool validate {folder}",
        "wrote_cover": "已写出 {path}、代课安排 {cover} 及 {n} 份材料（{kinds}）",
        "wrote_changes": "已写出 {path}、变动清单、教师通知及其他 {n} 个文件",
        "wrote_plan": "已写出 {path} 及 {n} 份材料（{kinds}）",
        "wrote_sheets": "已写出 {path}（{n} 个组的点名表）",
        "exported": "已写出 {path} 及其他 {n} 个文件",
        "check_ok": "检查通过：方案符合全部规则（每周申报缺员 {short} 个；代课日无人可代 {open} 个）",
        "check_bad": "发现 {n} 处违规",
        "user_added": "已添加账号 {name}（{role}{staff}）", "user_password": "已修改 {name} 的密码",
        "user_none": "还没有账号", "user_removed": "已删除账号 {name}",
        "role_office": "办公室", "role_teacher": "教师",
        "need_none": "不需要再招志愿者：现有志愿者已能覆盖所有值班",
        "need_head": "再招 {n} 名志愿者即可排满：",
        "need_head_partial": "再招 {n} 名志愿者可尽量排满：",
        "need_row": "{day}{where}：再招 {n} 人",
        "rain_none": "没有室外活动：下雨不影响安排",
        "rain_day": "{day}下雨：{outdoor} 组次室外活动，{moved} 组次移入室内场地",
        "rain_all_fit": "  全部组别都有室内场地",
        "rain_stays": "  {group}（{activity}）没有空余室内场地，留在本组教室",
        "need_managers": "{window}管理或辅导",
        "need_detail": "每位新志愿者需要的时间：",
        "need_person": "{windows}（每周 {minutes} 分钟）",
        "need_span": "{day} {start}-{end}", "need_as_manager": "（管理）", "list_sep": "、",
        "busy": "记录正忙：另一个命令正在写入本学期的记录；本次未写入任何内容，请稍后再试（{detail}）",
        "clubs_drawn": "社团抽签（种子 {seed}）：{choosing} 名报名学生中 {assigned} 人次录取，"
                       "候补 {waiting} 人次；未开班：{cancelled}",
        "clubs_managers_short": "注意：社团按组计入后，管理或辅导人员还差 {n} 人次（见 {path}）",
        "clubs_conflict": "注意：社团 {club} 的指导教师 {staff} 在{day} {time} 另有值班",
    },
    "en": {
        "recorded_in": "recorded in {where}",
        "recorded_attendance": "recorded {pupils} pupil and {staff} staff entr(ies) from {file}",
        "nothing_new": "nothing new in {file}: already recorded",
        "recorded_cancel": "recorded {n} cancelled date(s)",
        "already_cancelled": "already recorded as cancelled",
        "recorded_payments": "recorded {n} payment(s) from {file}",
        "rewritten": "wrote {path} and its hand-outs again",
        "wrote": "wrote {path}",
        "wrote_chart": "wrote {path} ({n} bars)",
        "init_next": "next: fill in the files, then run: afterschool validate {folder}",
        "wrote_cover": "wrote {path}, {cover} and {n} hand-out file(s) ({kinds})",
        "wrote_changes": "wrote {path}, changes.csv, changes.xlsx, changes-teachers.csv and "
                         "{n} other file(s)",
        "wrote_plan": "wrote {path} and {n} hand-out file(s) ({kinds})",
        "wrote_sheets": "wrote {path} ({n} group sheet(s))",
        "exported": "wrote {path} and {n} other file(s)",
        "check_ok": "OK: the plan keeps every rule ({short} declared shortage(s) a week; "
                    "{open} duty(ies) nobody covers on a substitution date)",
        "check_bad": "{n} violation(s)",
        "user_added": "added {name} ({role}{staff})", "user_password": "changed the password "
                      "of {name}", "user_none": "no accounts", "user_removed": "removed {name}",
        "role_office": "office", "role_teacher": "teacher",
        "need_none": "no extra volunteers needed: today's volunteers cover every duty",
        "need_head": "{n} more volunteer(s) would cover all groups:",
        "need_head_partial": "{n} more volunteer(s) would cover all groups as far as possible:",
        "need_row": "{day} {where}: recruit {n} more",
        "rain_none": "no outdoor activities: rain changes nothing",
        "rain_day": "rain on {day}: {outdoor} outdoor activity slot(s), {moved} moved indoors",
        "rain_all_fit": "  every group has an indoor venue",
        "rain_stays": "  {group} ({activity}): no indoor venue free, stays in its room",
        "need_managers": "managers ({window})",
        "need_detail": "the times each new volunteer would cover:",
        "need_person": "one for {windows} ({minutes} min a week)",
        "need_span": "{day} {start}-{end}", "need_as_manager": " (manager)", "list_sep": ", ",
        "busy": "record busy: another command is writing the term's record; nothing was "
                "written, try again ({detail})",
        "clubs_drawn": "club lottery (seed {seed}): {assigned} seat(s) for {choosing} pupil(s) "
                       "choosing, {waiting} on waiting lists; not opened: {cancelled}",
        "clubs_managers_short": "note: with clubs counted as groups, {n} manager post(s) are "
                                "short (see {path})",
        "clubs_conflict": "note: club {club}'s instructor {staff} has another duty on {day} "
                          "{time}",
    },
}


def say(key: str, lang: str | None, **values) -> str:
    """The sentence ``key`` in ``lang`` (zh when not given: the tool's schools are Chinese
    unless they say otherwise), filled with ``values``."""
    return CATALOGUE["en" if lang == "en" else "zh"][key].format(**values)
