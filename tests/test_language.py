"""A Chinese school hears Chinese: every line the term's commands print on a zh school —
validate, plan, substitute, replan, attendance, cancel, payments, who, history, export, settle,
bureau, fees, pay, budget, admit, need, check, scenario — holds no English word but ids, file names
and the command's own name."""
from __future__ import annotations

import re

from click.testing import CliRunner

from afterschool.cli import main
from test_settlement import THU, TUE, school

# what may stand in Latin letters in a Chinese line: ids, file names, the tool's name
ALLOWED = {"afterschool", "need", "plan", "json", "sqlite", "record", "xlsx", "csv", "html",
           "time", "limit"}


def english_words(text: str, root: str) -> list[str]:
    text = text.replace(root, "")
    words = re.findall(r"(?<![A-Za-z0-9_./-])[A-Za-z]{2,}(?![A-Za-z0-9_])", text)
    return [w for w in words if w.lower() not in ALLOWED]


def test_a_chinese_school_hears_no_english(tmp_path):
    folder = school(tmp_path / "学校", refunds='leave = { min_consecutive = 2, refund = "100%" }')
    toml = folder / "school.toml"
    toml.write_text(toml.read_text().replace('language = "en"', 'language = "zh"')
                    .replace('name = "Test School"', 'name = "试验小学"'))
    (folder / "teachers.csv").write_text((folder / "teachers.csv").read_text().replace(
        "NameT1", "李老师").replace("NameT2", "王老师"), encoding="utf-8")
    (folder / "students.csv").write_text((folder / "students.csv").read_text().replace(
        "S0005,Kid5,3,3-1,,Tue Thu,,normal,,,enrolled,", "S0005,Kid5,3,3-1,,Tue Thu,,normal,,,"
        "applied,2026-08-01"), encoding="utf-8")
    term = tmp_path / "本学期"
    att = tmp_path / "考勤.csv"
    att.write_text(f"日期,时段,学号,状态\n{TUE[0]},晚托(中高年级),S0001,假\n", encoding="utf-8")
    pay = tmp_path / "缴费.csv"
    pay.write_text("学号,日期,金额,方式,票据号\nS0001,2026-09-07,12.00,微信,R1\n", encoding="utf-8")
    by = ("--by", "教务处")  # the author, else the login name (a name, not a word)
    runs = [("validate", folder), ("plan", folder, "--out", term, "--skip", "charts", "--time-limit", "1", *by),
            ("substitute", folder, term, "--teacher", "T1", "--dates", TUE[1], "--skip", "all",
             *by),
            ("replan", folder, "--previous", term, "--from", THU[1], "--skip", "all", *by),
            ("attendance", "sheet", term, "--week", TUE[0], "--out", tmp_path / "点名.xlsx"),
            ("attendance", "import", term, att, *by),
            ("cancel", term, "--dates", THU[2], "--reason", "运动会", *by),
            ("payments", "import", term, pay, *by), ("who", term, "--date", TUE[0]),
            ("history", term), ("export", term, "--out", tmp_path / "副本", "--skip", "all"),
            ("settle", term, "--out", tmp_path / "结算"), ("bureau", term),
            ("fees", folder), ("pay", term), ("budget", term), ("admit", folder,
                                                                "--time-limit", "1"),
            ("need", folder, "--time-limit", "1"), ("check", term),
            ("scenario", folder, "--students", "+10%", "--time-limit", "0.5", "--out",
             tmp_path / "情景")]
    for args in runs:
        r = CliRunner().invoke(main, [str(a) for a in args])
        assert r.exit_code in (0, 3), (args, r.output)
        assert english_words(r.stdout, str(tmp_path)) == [], (args[0], r.stdout)
