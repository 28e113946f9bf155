"""The one catalogue (scheduler/say_zh.py, say_en.py): every key in both languages, with the
same placeholders; no English word in a Chinese entry, no Chinese in an English one."""
from __future__ import annotations

import re
import string

from afterschool.scheduler.say import CATALOGUE, bilingual, heads, say, section, table
from language_words import HELP_TYPED, english_words, has_chinese


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_in_both_languages_with_the_same_blanks():
    assert set(CATALOGUE["zh"]) == set(CATALOGUE["en"])
    for key in CATALOGUE["zh"]:
        zh, en = fields(CATALOGUE["zh"][key]), fields(CATALOGUE["en"][key])
        if key.startswith("problem."):  # a message as written: zh may drop a library's words
            assert zh <= en, key
        else:
            assert zh == en, key


def test_no_english_word_in_a_chinese_entry():
    for key, text in CATALOGUE["zh"].items():
        # placeholders are filled in; commands and options a sentence names are not words
        words = re.sub(r"\{[a-z_]+\}", "", text)
        allow = HELP_TYPED if key.startswith("help.") else ()  # --help names what is typed
        assert english_words(words, allow=allow) == [], (key, text)


# English help that lists the Chinese words a sheet may be written in (headers, marks)
CHINESE_INPUT_HELP = {"help.attendance.import", "help.attendance.import.short",
                      "help.payments.import", "help.payments.import.short", "help.init.--lang"}


def test_no_chinese_in_an_english_entry():
    for key, text in CATALOGUE["en"].items():
        if key.startswith("problem."):  # the forms the reader takes, 周一 and 2026年8月13日 too
            continue
        if key in CHINESE_INPUT_HELP:  # the Chinese column names and marks a sheet may use
            continue
        assert not has_chinese(text), (key, text)
        if key.startswith("help."):  # the docs a user has are docs/, not the SPEC
            assert "SPEC" not in text, (key, text)


def test_the_word_list_catches_english():
    assert english_words("已写出 plan.json（afterschool need，--time-limit）") == []
    assert english_words("3 个岗位 unfilled") == ["unfilled"]
    assert english_words("T(n) = 2") == []


def test_say_fills_the_blanks():
    assert say("recorded_cancel", "zh", n=2) == "已记录停课 2 天"
    assert say("recorded_cancel", "en", n=2) == "recorded 2 cancelled date(s)"
    assert say("recorded_cancel", None, n=2) == "已记录停课 2 天"  # a school is zh unless it says


def test_sections_and_tables():
    assert section("office", "zh")["done"] == "排班完成"
    assert heads("en")["student"] == "student" and heads("zh")["student"] == "学号"
    assert table("value")["zh"]["kind"]["staff"] == "在编教师"
    assert bilingual("user_none") == "还没有账号 / no accounts"


def test_messages_as_written_said_in_chinese():
    from afterschool.scheduler.say_errors import message
    cases = {  # the checker's and the reader's English, and the Chinese worked out by hand
        "T004 does not volunteer but is on duty Mon 11:20": "T004 不是志愿者，却排在 周一 11:20 值班",
        "version 2026-09-01..2026-10-09: T004 serves 400 min a week (limit 300)":
            "2026-09-01 至 2026-10-09 的版本：T004 每周服务 400 分钟（上限 300）",
        "T1 on Tue serves 200 min (limit 180)": "T1（周二） 服务 200 分钟（每日上限 180）",
        "pupil S0001: due 8.00 recomputed as 6.00": "学生 S0001：应收 为 8.00，重算为 6.00",
        "Invalid value for '--seed': 'x' is not a valid integer.":
            "选项 --seed 的值有误：'x' 不是整数",
        "not a date": "不是日期",
        "No such command 'wh'. Did you mean 'who'?": "没有命令 wh；是不是 who？",
        "a group cap above 45 breaks the national class-size standard; set "
        "allow_above_standard = true in [rules] to plan with it anyway":
            "每组上限超过 45 人，不符合国家班额标准；确需如此，请把 school.toml"
            "「rules.allow_above_standard」项设为 true",
        "group_cap = 50 is above the national class-size standard of 45 (allowed by "
        "allow_above_standard = true)":
            "group_cap = 50 超过国家班额标准 45 人（已由 allow_above_standard = true 允许）",
        "No such command 'plna'. (Did you mean one of: 'plan', 'replan'?)":
            "没有命令 plna；是不是 'plan', 'replan' 之一？",
    }
    for en, zh in cases.items():
        assert message(en, "zh") == zh
        assert message(en, "en") == en  # English is the message as written
    assert message("a message nobody has put into words", "zh") == \
        "a message nobody has put into words"  # kept as written, not lost


def test_admit_reasons_from_the_catalogue_agree_with_the_planner(tmp_path):
    # the same school as test_scenarios' short-staffed admission: admitted, blocked, behind
    from afterschool.scheduler.handouts.display import reason_text
    from afterschool.scheduler.planning.scenarios import admit
    from afterschool.scheduler.reading.reader import read_instance
    from school_files import short_staffed_applicants
    f = short_staffed_applicants(tmp_path / "i", first_priority="left_behind")
    out = {r["student"]: r for r in admit(read_instance(f), time_limit=2)}
    assert {r["why"]["case"] for r in out.values()} == {"admitted", "blocked", "behind"}
    for r in out.values():
        assert reason_text(r["why"], "en") == r["reason"]  # the planner's own sentence
    assert reason_text(out["A2"]["why"], "zh") == (  # worked out by hand
        "录取会增加无人可补的岗位：周三 16:20-17:20 看护教师 1 人（排第 2 位；申请日期 2026-08-02）")


def test_the_sheets_common_warnings_read_in_chinese_and_a_range_form_joins_tokens_only():
    from afterschool.scheduler.say import reword
    warnings = [
        "official holidays are not known for 2027-01-01..2027-01-22 (the chinese-calendar "
        "package covers years up to 2026); school.toml lists 2027-01-01 there: check it lists "
        "them all; once the list is complete, set holidays_confirmed = true in [term]",
        "same name, class and sign-up as row 5014 (id S05013): the same child entered twice "
        "under two ids?",
        "T003 does not volunteer (teachers.csv), so the 8 time(s) declared here (rows 20, 21, "
        "22, 23, 24 ...) are not used: teachers serve only by choice; set volunteer = yes to "
        "use them",
        "volunteer T5 declared no available time and will not be assigned"]
    for text in warnings + ["a volunteer's id"]:  # the last: what such a row expects
        zh = reword("problem", text, "zh")
        assert english_words(zh) == [], zh
    assert reword("problem", "1 to 45", "zh") == "1 到 45"
    # "{lo} to {hi}" joins two tokens; it never cuts a sentence at its word "to"
    assert reword("problem", "covers years up to 2026", "zh") == "covers years up to 2026"
