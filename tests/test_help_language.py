"""--help in the language the command line points to: a zh school's folder (or a zh locale,
or none) gives a help page with no English word, an en school's the English help as it was
(the texts below are the help pages before the catalogue held them); --lang wins."""
from __future__ import annotations

import click
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.reading.language import help_language
from language_words import HELP_TYPED, english_words, has_chinese
from school_files import base

NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def _commands(group=main, path=()):
    for name, cmd in group.commands.items():
        yield (*path, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*path, name))


def _help(args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def _zh(tmp_path):
    folder = base(tmp_path / "学校")
    toml = folder / "school.toml"
    toml.write_text(toml.read_text().replace('language = "en"', 'language = "zh"'))
    return folder


def test_a_chinese_school_reads_its_help_in_chinese(tmp_path):
    zh = _zh(tmp_path)
    for path in [(), *_commands()]:
        group = isinstance(main.commands.get(path[0]) if path else main, click.Group) and (
            len(path) < 2)  # a group's --help comes before the word it would take as a command
        args = [*path, "--help", zh] if group else [*path, zh, "--help"]
        r = _help(args, env={"LANG": "en_US.UTF-8"})  # the school wins
        assert r.exit_code == 0, (path, r.output)
        words = english_words(r.output.replace("main", ""), str(tmp_path), allow=HELP_TYPED)
        assert words == [], (path, words, r.output)
        assert "用法：" in r.output and "选项：" in r.output, path


def _columns(line: str) -> int:
    """Columns on screen: a CJK character or full-width sign takes two (hand count below)."""
    return sum(2 if has_chinese(c) else 1 for c in line)


def test_chinese_help_fits_the_screen_width():
    # Click's pages are 80 columns at most; a Chinese character is two of them
    assert _columns("选项：") == 6 and _columns("--out 文件夹") == 12
    for path in [(), *_commands()]:
        r = _help([*path, "--help"], {**NO_LOCALE, "LANG": "zh_CN.UTF-8"})
        assert r.exit_code == 0, path
        wide = [line for line in r.output.splitlines() if _columns(line) > 80]
        assert wide == [], (path, wide)


def test_an_english_school_reads_today_s_english_help(tmp_path):
    en = base(tmp_path / "school")
    r = _help(["plan", en, "--help"], env={"LANG": "zh_CN.UTF-8"})
    assert r.exit_code == 0
    assert r.output.startswith(
        "Usage: main plan [OPTIONS] INSTANCE\n\n"
        "  Plan the term: groups, teachers per slot, managers; write OUT/plan.json.\n")
    assert ("  --out DIRECTORY                 Folder for plan.json (created; reused if\n"
            "                                  written by afterschool).  [required]\n"
            ) in r.output
    assert "  --seed INTEGER RANGE            [default: 0; 0<=x<=2147483647]\n" in r.output
    assert r.output.endswith("  -h, --help                      Show this message and exit.\n")
    assert not has_chinese(r.output.replace(str(tmp_path), ""))
    r = _help(["roster", en, "--help"])
    assert ("Options:\n"
            "  --teacher TEXT           One person: an id (any case) or a unique full name.\n"
            "  --all                    Everyone on duty.\n"
            "  --format [xlsx|csv|ics]  [default: xlsx]\n"
            "  --out DIRECTORY          [default: rosters]\n") in r.output
    assert not has_chinese(r.output.replace(str(tmp_path), ""))
    assert _help(["user", "remove", en, "--help"]).output == (
        "Usage: main user remove [OPTIONS] TERM NAME\n\n"
        "  Remove an account (kept in the record's history); its sessions end.\n\n"
        "Options:\n"
        "  --by NAME   Author of the record entries (default: your login name).\n"
        "  -h, --help  Show this message and exit.\n")
    assert _help(["payments", "--help", en]).output == (
        "Usage: main payments [OPTIONS] COMMAND [ARGS]...\n\n"
        "  Payments received from parents.\n\n"
        "Options:\n"
        "  -h, --help  Show this message and exit.\n\n"
        "Commands:\n"
        "  import  Record payments from a CSV of student, date, amount, channel,...\n")
    r = _help(["user", "--help", en])
    assert "Commands:\n  add       Add an account; the password is read from standard" in r.output


def test_the_backstop_in_words():
    from afterschool.scheduler.planning.backstop import backstop_text
    assert backstop_text() == backstop_text("en") == "1.5 x limit + 0.7 s"
    assert backstop_text("zh") == "1.5 × 时限 + 0.7 秒"


def test_the_help_says_the_backstop_in_chinese(tmp_path):
    r = _help(["plan", _zh(tmp_path), "--help"])
    assert "1.5 × 时限 + 0.7 秒" in r.output.replace("\n", "").replace(" " * 34, "")


def test_the_locale_picks_the_help_s_language_when_the_command_line_names_none(monkeypatch):
    assert "Show this message and exit." in _help(["--help"], {**NO_LOCALE, "LANG": "en_GB"}).output
    assert "显示本说明后退出" in _help(["--help"], {**NO_LOCALE, "LANG": "zh_CN.UTF-8"}).output
    assert "显示本说明后退出" in _help(["--help"], {**NO_LOCALE, "LANG": "C.UTF-8"}).output
    # none set (Windows): the system's locale, else zh
    import locale
    monkeypatch.setattr(locale, "getlocale", lambda *a: ("English_United States", "1252"))
    assert "Show this message and exit." in _help(["plan", "--help"], NO_LOCALE).output
    monkeypatch.setattr(locale, "getlocale", lambda *a: ("Chinese (Simplified)_China", "936"))
    assert "显示本说明后退出" in _help(["plan", "--help"], NO_LOCALE).output
    monkeypatch.setattr(locale, "getlocale", lambda *a: (None, None))
    assert "显示本说明后退出" in _help(["plan", "--help"], NO_LOCALE).output
    # LC_ALL before LC_MESSAGES before LANG
    env = {"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN", "LANG": "zh_CN"}
    assert help_language([], env) == "en"
    assert help_language([], {"LC_MESSAGES": "zh_TW", "LANG": "en_US"}) == "zh"
    assert help_language([], {"LANG": "fr_FR"}) == "zh"


def test_lang_wins(tmp_path):
    zh = _zh(tmp_path)
    r = _help(["who", zh, "--lang", "en", "--help"], {**NO_LOCALE, "LANG": "zh_CN"})
    assert r.exit_code == 0 and "Usage:" in r.output and not has_chinese(
        r.output.replace(str(tmp_path), ""))
    assert help_language(["staffing", "--lang", "zh"], {"LANG": "en_US"}) == "zh"


def test_a_usage_error_keeps_click_s_usage_line(tmp_path):
    r = _help(["plan", base(tmp_path / "school"), "--bogus"])
    assert r.exit_code == 2 and "Usage: main plan [OPTIONS] INSTANCE" in r.output


def test_a_group_alone_shows_its_help_once(tmp_path):
    # `afterschool user` with no command: the group's help, once, not an error around it
    r = _help(["user"], {**NO_LOCALE, "LANG": "zh_CN.UTF-8"})
    assert r.output.count("用法：") == 1 and "错误" not in r.output and "添加账号" in r.output
    r = _help(["attendance"], {**NO_LOCALE, "LANG": "en_US.UTF-8"})
    assert r.output.count("Usage:") == 1 and "错误" not in r.output


def test_the_help_whatever_the_program_is_called(tmp_path):
    # python -m afterschool: the root's name has spaces; the command's help is still found
    r = CliRunner().invoke(main, ["user", "add", "--help"], prog_name="python -m afterschool",
                           env={**NO_LOCALE, "LANG": "zh_CN.UTF-8"})
    assert r.output.startswith("用法：python -m afterschool user add [选项] 学期 姓名\n\n  添加账号")
