"""The small zh school the office's page is tested on, planned once per session.

测试小学, 2026-09-07..09-25 (Tue and Thu service): 午托1组 (noon-01) S0001..S0003 (3-1),
晚托(中高年级)1组 (after-upper-01) S0004..S0006 (4-1). T3 supervises the noon group,
T2 the afternoon one; T1 (noon) and T3 (afternoon) are free to cover. S0001's and T3's
names are markup: ``EVIL``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from afterschool.cli import main
from school_files import school_until, write_instance

EVIL = "<img src=x onerror=alert(1)>"
TUE, THU = "2026-09-15", "2026-09-17"
PASSWORD = "correct horse 9"


def write_school(folder: Path) -> Path:
    school = school_until("2026-09-25").replace('language = "en"', 'language = "zh"') \
        .replace('name = "Test School"', 'name = "测试小学"')
    students = (f"S0001,{EVIL},3,3-1,Tue Thu,,migrant,normal,,,enrolled,\n"
                "S0002,王小明,3,3-1,Tue Thu,,,normal,,,enrolled,\n"
                "S0003,李小红,3,3-1,Tue Thu,,,normal,,,enrolled,\n"
                "S0004,赵一,4,4-1,,Tue Thu,,normal,,,enrolled,\n"
                "S0005,钱二,4,4-1,,Tue Thu,,normal,,,enrolled,\n"
                "S0006,孙三,4,4-1,,Tue Thu,,normal,,,enrolled,\n")
    teachers = ("T1,张老师,yes,no,staff,,,,no\n"
                "T2,刘老师,yes,no,staff,,,,no\n"
                f"T3,{EVIL},yes,no,staff,,,,no\n")
    avail = "".join(f"{t},{d},{s},available\n" for t, s in
                    (("T1", "noon"), ("T2", "after-upper"), ("T3", "noon"),
                     ("T3", "after-upper")) for d in ("Tue", "Thu"))
    return write_instance(folder, students=students, teachers=teachers,
                          availability=avail, school=school)


def run(*args, input: str | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def planned(root: Path) -> tuple[Path, Path]:
    """(sheets, term folder) with accounts (made by 教务处): 办公室 (office), 刘老师 (T2), evil (T3)."""
    sheets = write_school(root / "school")
    term = root / "term"
    r = run("plan", sheets, "--out", term, "--skip", "all", "--time-limit", "1",
            "--by", "教务处")
    assert r.exit_code == 0, r.output
    for name, role, staff in (("办公室", "office", None), ("刘老师", "teacher", "T2"),
                              (EVIL, "teacher", "T3")):
        args = ["user", "add", term, name, "--role", role, "--by", "教务处"]
        r = run(*args, *(["--staff", staff] if staff else []), input=PASSWORD + "\n")
        assert r.exit_code == 0, r.output
    return sheets, term


def copy_term(made: tuple[Path, Path], dest: Path) -> tuple[Path, Path]:
    sheets, term = made
    shutil.copytree(sheets, dest / "school")
    shutil.copytree(term, dest / "term")
    return dest / "school", dest / "term"
