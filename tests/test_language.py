"""A Chinese school hears Chinese, an English one English: every command run on a zh school —
validate, plan, substitute, replan, attendance, cancel, payments, who, history, export, settle,
bureau, fees, pay, budget, admit, need, check, scenario, roster, report, notice, chart, user,
staffing — prints no English word but ids, file names and the command's own name (the word
list: tests/language_words.py), and its errors (a bad sheet, a bad option, a bad plan file, a
rule broken) are Chinese too; the same commands on an en school print no Chinese."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from language_words import english_words, has_chinese
from test_settlement import THU, TUE, school


def _school(tmp_path, lang: str):
    folder = school(tmp_path / ("学校" if lang == "zh" else "school"),
                    refunds='leave = { min_consecutive = 2, refund = "100%" }')
    (folder / "students.csv").write_text((folder / "students.csv").read_text().replace(
        "S0005,Kid5,3,3-1,,Tue Thu,,normal,,,enrolled,", "S0005,Kid5,3,3-1,,Tue Thu,,normal,,,"
        "applied,2026-08-01"), encoding="utf-8")
    if lang == "zh":
        toml = folder / "school.toml"
        toml.write_text(toml.read_text().replace('language = "en"', 'language = "zh"')
                        .replace('name = "Test School"', 'name = "试验小学"'))
        (folder / "teachers.csv").write_text((folder / "teachers.csv").read_text().replace(
            "NameT1", "李老师").replace("NameT2", "王老师"), encoding="utf-8")
    return folder


def _runs(tmp_path, folder, lang: str):
    zh = lang == "zh"
    term = tmp_path / ("本学期" if zh else "term")
    att = tmp_path / "att.csv"
    att.write_text(f"日期,时段,学号,状态\n{TUE[0]},{'晚托(中高年级)' if zh else 'after-upper'},"
                   "S0001,假\n", encoding="utf-8")
    pay = tmp_path / "pay.csv"
    pay.write_text("学号,日期,金额,方式,票据号\nS0001,2026-09-07,12.00,微信,R1\n", encoding="utf-8")
    by = ("--by", "教务处" if zh else "office")  # the author: a name, not a word
    return [("validate", folder),
            ("plan", folder, "--out", term, "--skip", "charts", "--time-limit", "1", *by),
            ("substitute", folder, term, "--teacher", "T1", "--dates", TUE[1], "--skip", "all",
             *by),
            ("replan", folder, "--previous", term, "--from", THU[1], "--skip", "all", *by),
            ("attendance", "sheet", term, "--week", TUE[0], "--out", tmp_path / "roll.xlsx"),
            ("attendance", "import", term, att, *by),
            ("cancel", term, "--dates", THU[2], "--reason", "运动会" if zh else "sports", *by),
            ("payments", "import", term, pay, *by), ("who", term, "--date", TUE[0]),
            ("history", term), ("export", term, "--out", tmp_path / "copy", "--skip", "all"),
            ("settle", term, "--out", tmp_path / "settled"), ("bureau", term),
            ("fees", folder), ("pay", term), ("budget", term),
            ("admit", folder, "--time-limit", "1"), ("need", folder, "--time-limit", "1"),
            ("check", term),
            ("scenario", folder, "--students", "+10%", "--time-limit", "0.5", "--out",
             tmp_path / "scen"),
            ("roster", term / "plan.json", "--all", "--out", tmp_path / "rosters"),
            ("report", term / "plan.json", "--out", tmp_path / "report.html"),
            ("notice", term / "plan.json", "--out", tmp_path / "notices"),
            ("chart", term / "plan.json", "--kind", "load", "--out", tmp_path / "load.png"),
            ("user", "add", term, "教务员" if zh else "clerk", "--role", "office", *by),
            ("user", "list", term),
            ("staffing", "--students", "76", *(() if zh else ("--lang", "en"))),
            ("staffing", "--groups", "9", *(() if zh else ("--lang", "en")))]


def _invoke(args, stdin=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin)


def test_a_chinese_school_hears_no_english(tmp_path):
    folder = _school(tmp_path, "zh")
    for args in _runs(tmp_path, folder, "zh"):
        r = _invoke(args, "a long enough secret 1\na long enough secret 1\n")
        assert r.exit_code in (0, 3), (args, r.output)
        assert english_words(r.stdout, str(tmp_path)) == [], (args[0], r.stdout)


def test_an_english_school_reads_no_chinese(tmp_path):
    folder = _school(tmp_path, "en")
    for args in _runs(tmp_path, folder, "en"):
        r = _invoke(args, "a long enough secret 1\na long enough secret 1\n")
        assert r.exit_code in (0, 3), (args, r.output)
        assert not has_chinese(r.stdout.replace(str(tmp_path), "")), (args[0], r.stdout)


def _zh_errors(r, tmp_path) -> list[str]:
    """English words of an error, apart from what the user typed (quoted “…” or 「…」)."""
    import re
    text = re.sub(r"“[^”]*”|「[^」]*」", "", r.stderr)
    return english_words(text, str(tmp_path))


def test_a_chinese_school_hears_its_errors_in_chinese(tmp_path):
    folder = _school(tmp_path, "zh")
    term = tmp_path / "本学期"
    assert _invoke(["plan", folder, "--out", term, "--skip", "all", "--time-limit",
                    "1"]).exit_code in (0, 3)
    # a bad sheet: a weekday, a date, a grade and a teacher nobody knows
    bad = tmp_path / "坏表"
    bad.mkdir()
    for f in folder.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    rows = (bad / "students.csv").read_text().splitlines()
    rows[1] = rows[1].replace("Tue Thu", "Tue Thx", 1)
    rows.append("S0099,Kid99,x,3-1,,Tue,,normal,,,applied,2026-13-45")
    (bad / "students.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (bad / "availability.csv").write_text((bad / "availability.csv").read_text()
                                          + "T999,Tue,noon,available\n", encoding="utf-8")
    cases = [
        ["validate", bad],  # the sheets
        ["substitute", folder, term, "--teacher", "T1", "--dates", "2026-13-01"],  # an option
        ["substitute", folder, term, "--teacher", "无此人", "--dates", TUE[1]],
        ["who", term, "--date", TUE[0], "--teacher", "T404"],
        ["history", tmp_path / "无记录", "--lang", "zh"],  # no record: no school's language
        ["staffing"],
    ]
    plan_file = tmp_path / "plan.json"
    plan_file.write_text('{"format": "afterschool-plan/1", "groups": 3}', encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{broken", encoding="utf-8")
    cases += [["report", plan_file, "--lang", "zh"], ["notice", broken, "--lang", "zh"]]
    att = tmp_path / "考勤.csv"  # a pupil nobody knows, a mark nobody uses
    att.write_text(f"日期,时段,学号,状态\n{TUE[0]},晚托(中高年级),S9999,嗯\n"
                   f"{TUE[0]},晚托(中高年级),S0001,嗯\n", encoding="utf-8")
    pay = tmp_path / "缴费.csv"  # an amount that is not money, no receipt
    pay.write_text("学号,日期,金额,方式,票据号\nS0001,2026-09-07,十二,微信,\n", encoding="utf-8")
    cases += [["attendance", "import", term, att, "--by", "教务处"],
              ["payments", "import", term, pay, "--by", "教务处"],
              ["cancel", term, "--dates", "2026-09-06", "--reason", "运动会", "--by", "教务处"]]
    for args in cases:
        r = _invoke(args)
        assert r.exit_code == 2, (args, r.output)
        assert "输入有" in r.stderr, (args, r.stderr)
        assert _zh_errors(r, tmp_path) == [], (args[0], r.stderr)
    r = _invoke(["validate", bad])
    for where in ("students.csv 第 2 行「afternoon」列：无法识别的星期（所填为“Thx”",
                  "students.csv 第 7 行「grade」列", "availability.csv 第 4 行「teacher」列"):
        assert where in r.stderr
    assert "不是日期" in r.stderr and "无法识别的星期" in r.stderr


def test_a_broken_rule_in_chinese_with_its_code_in_json(tmp_path):
    folder = _school(tmp_path, "zh")
    out = tmp_path / "方案"
    assert _invoke(["plan", folder, "--out", out, "--skip", "all", "--time-limit",
                    "1"]).exit_code in (0, 3)
    plan = json.loads((out / "plan.json").read_text())
    solo = tmp_path / "单独.json"  # a plan.json without its record: judged by the sheets
    solo.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    on_duty = plan["duties"][0]["staff"]
    rows = (folder / "teachers.csv").read_text().splitlines()
    head = rows[0].split(",")
    for i, row in enumerate(rows[1:], 1):
        cells = row.split(",")
        if cells[0] == on_duty:
            cells[head.index("volunteer")] = "no"
            rows[i] = ",".join(cells)
    (folder / "teachers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = _invoke(["check", folder, solo])
    assert r.exit_code == 1
    assert f"[只排志愿者] {on_duty} 不是志愿者" in r.stdout
    assert english_words(r.stdout, str(tmp_path)) == [], r.stdout
    codes = {v["rule"] for v in json.loads(_invoke(["check", folder, solo, "--json"]).stdout)}
    assert "volunteers only" in codes  # the machine code, the same in every language


def test_an_unreadable_school_toml_in_both_languages(tmp_path):
    folder = _school(tmp_path, "zh")
    (folder / "school.toml").write_text("this is [not toml\n", encoding="utf-8")
    r = _invoke(["validate", folder])
    assert r.exit_code == 2
    assert "输入有 1 处问题" in r.stderr and "1 problem(s) in the input" in r.stderr
    assert r.stderr.index("输入有") < r.stderr.index("problem(s)")  # zh first


@pytest.mark.parametrize("args, text", [
    (["staffing", "--students", "76"], "T(76) = 2：76 名学生的标准配备是看护教师 2 人"),
    (["staffing", "--groups", "9"], "M(9) = 2：同时值班 9 个组需要管理或辅导人员 2 人"),
    (["staffing", "--students", "76", "--lang", "en"], "T(76) = 2 teacher(s)"),
])
def test_staffing_in_either_language(args, text):
    assert _invoke(args).stdout.strip() == text


def test_a_busy_record_in_chinese(tmp_path, monkeypatch):
    from record_held import record_held
    folder = _school(tmp_path, "zh")
    term = tmp_path / "本学期"
    assert _invoke(["plan", folder, "--out", term, "--skip", "all", "--time-limit",
                    "1"]).exit_code in (0, 3)
    with record_held(term / "record.sqlite", monkeypatch):
        r = _invoke(["cancel", term, "--dates", THU[2], "--reason", "运动会", "--by", "教务处"])
    assert r.exit_code == 5 and "记录正忙" in r.output
    assert english_words(r.output, str(tmp_path)) == [], r.output


def test_a_bad_option_said_in_chinese_first():
    # options are read before any school: Chinese first, then Click's own words
    r = _invoke(["plan", "x", "--time-limit", "-1"])
    assert r.exit_code == 2
    assert "错误：选项 --time-limit 的值有误：-1 超出范围：0.1 到 86,400 秒" in r.output
    assert r.output.index("错误") < r.output.index("Invalid value for '--time-limit'")
    r = _invoke(["who", "x"])
    assert r.exit_code == 2 and "错误：缺少选项 --date" in r.output


def test_a_bad_option_in_the_language_the_command_line_points_to(tmp_path):
    # the school folder, the bundled school by name, the term folder, its plan.json or
    # --lang name the language before anything is read: a zh school hears only Chinese
    # (and where --help lists the options), an en school only Click's own English
    zh, en = _school(tmp_path, "zh"), _school(tmp_path, "en")
    term = tmp_path / "本学期"
    assert _invoke(["plan", zh, "--out", term, "--skip", "all", "--time-limit",
                    "1"]).exit_code in (0, 3)
    for args, said in ((["plan", zh, "--bogus"], "错误：没有选项 --bogus"),
                       (["plan", "haijiang", "--bogus"], "错误：没有选项 --bogus"),
                       (["plna", zh], "错误：没有命令 plna；是不是 'plan', 'replan' 之一？"),
                       (["--bogus", "plan", zh], "错误：没有选项 --bogus；是不是 --verbose？"),
                       (["who", term], "错误：缺少选项 --date"),
                       (["who", term / "plan.json"], "错误：缺少选项 --date"),
                       (["who", en, "--lang", "zh"], "错误：缺少选项 --date")):
        r = _invoke(args)
        assert r.exit_code == 2 and said in r.output, (args, r.output)
        said_back = r.output.replace("plna", "")  # the word typed, said back
        assert "--help" in r.output and english_words(said_back, str(tmp_path)) == [], r.output
    for args, said in ((["plan", en, "--bogus"], "No such option '--bogus'"),
                       (["who", term, "--lang", "en"], "Missing option '--date'")):
        r = _invoke(args)
        assert r.exit_code == 2 and said in r.output, (args, r.output)
        assert not has_chinese(r.output.replace(str(tmp_path), "")), r.output


def test_the_language_a_command_line_points_to(tmp_path):
    from afterschool.scheduler.reading import language

    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "school.toml").write_text('[school]\nname = "x"\n')  # no language: zh
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "school.toml").write_text("[school\n")
    plan = tmp_path / "p.json"
    plan.write_text(json.dumps({"language": "en", "groups": []}))
    assert language.language_named([str(plain)]) == "zh"
    assert language.language_named(["--out", str(broken), str(plan)]) == "en"
    assert language.language_named([str(plain), "--lang", "en"]) == "en"  # --lang first
    assert language.language_named(["--lang=zh", str(plan)]) == "zh"
    assert language.language_named(["nowhere", str(broken), "-v"]) is None
    assert language.written_language(plain) is None  # names none (the reader's default)
    # hostile files are passed over, never read whole or waited on
    import os
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "school.toml")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    assert language.written_language(fifo) is None  # a FIFO would block a plain read
    assert language.language_named([str(fifo), str(deep), str(zero), str(plan)]) == "en"


def test_a_record_that_is_not_one_in_chinese(tmp_path):
    term = tmp_path / "学期"
    term.mkdir()
    (term / "record.sqlite").write_bytes(b"not a database at all" * 10)
    r = _invoke(["who", term, "--date", TUE[0], "--lang", "zh"])
    assert r.exit_code == 2, r.output
    assert "不是 afterschool 的记录" in r.stderr, r.stderr
    assert english_words(r.stderr, str(tmp_path)) == [], r.stderr
    r = _invoke(["who", term, "--date", TUE[0]])  # no language known: both, zh first
    assert "不是 afterschool 的记录" in r.stderr and "is not an afterschool record" in r.stderr


def test_plan_on_a_terminal_shows_its_progress_in_chinese(tmp_path):
    # a clerk runs plan in a terminal: the line rewritten in place says the time used in
    # Chinese, no solver phase names (those are -v's, for an engineer)
    import os
    import pty
    import subprocess
    import sys

    folder = _school(tmp_path, "zh")
    parent, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "afterschool.cli", "plan", str(folder),
                             "--out", str(tmp_path / "本学期"), "--skip", "all",
                             "--time-limit", "2"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=child, cwd=tmp_path)
    os.close(child)
    err = b""
    while True:
        try:
            chunk = os.read(parent, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    proc.wait(120)
    os.close(parent)
    text = err.decode("utf-8", "replace")
    assert proc.returncode in (0, 3), text
    assert "正在排班" in text, text
    assert english_words(text.replace("\r", "\n"), str(tmp_path)) == [], text
