"""Synthetic schools for benchmarks and scenarios: ``afterschool generate``.

``generate_school(n_students, n_classes, n_teachers, seed)`` returns the four files of an
instance as text; ``write_school`` writes them, refusing a non-empty folder without
``force``. The same arguments give byte-identical files. The school name is written as a
TOML string with quotes and control characters escaped (``clean.toml_string``).

What it draws (``random.Random(seed)`` only, no global state):
- homeroom classes of 40–50 over grades 1–6; ``n_students`` sign-up rows spread over them;
- sign-up rates that differ by grade and session (lower grades take afternoon care more);
- weekday patterns that are not uniform: most take every day, some pick 2–4, Fridays less;
- about 8 % priority children, 3 % exempt, 5 % reduced, ~2 % ``applied`` and ~1.5 %
  ``withdrawn`` rows;
- with ``venues``: ``rooms.csv`` (one classroom of 50 seats per class, its homeroom), a
  playground for ``playground_groups`` groups, a gym for ``gym_groups``, a library for one,
  and the activities 体育锻炼 (playground or gym, once a week) and 阅读 (library, once);
- about 70 % of staff volunteering (``volunteer_rate``) with realistic availability (about
  half declare every day, ``open_days``; some preferred times), a handful who can manage,
  one or two external instructors at their own rate.
"""
from __future__ import annotations

import csv
import io
import math
import random
from datetime import date, timedelta
from pathlib import Path

from afterschool.scheduler.handouts.output import write_files
from afterschool.scheduler.reading.clean import toml_string

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "子梓浩宇轩涵欣怡一诺雨泽思晨佳琪博文俊杰睿明嘉懿心悦梦瑶诗语晓婷志强建华秀英丽娟伟芳敏静磊洋勇艳军杰涛超明刚平辉鹏华飞鑫波斌宁健彬俊峰雪梅红霞玉兰春燕海燕"
WEEK = ("Mon", "Tue", "Wed", "Thu", "Fri")
AFTER = ("Tue", "Wed", "Thu", "Fri")
# (noon rate, afternoon rate) of a sign-up row by grade
RATES = {1: (0.45, 0.88), 2: (0.45, 0.85), 3: (0.42, 0.80), 4: (0.40, 0.76),
         5: (0.36, 0.70), 6: (0.33, 0.64)}
DAY_WEIGHT = {"Mon": 1.0, "Tue": 1.1, "Wed": 1.15, "Thu": 1.05, "Fri": 0.7}
PRIORITY = (("left_behind", 0.40), ("migrant", 0.35), ("staff_child", 0.20), ("disabled", 0.05))

STUDENT_COLUMNS = ["id", "name", "grade", "class", "noon", "afternoon", "priority",
                   "fee_category", "fee_reduction", "lunch", "status", "applied_on"]
TEACHER_COLUMNS = ["id", "name", "volunteer", "can_manage", "kind", "hourly_rate",
                   "max_weekly_minutes", "classes", "allow_double"]
AVAIL_COLUMNS = ["teacher", "day", "session", "status"]


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def _pattern(rng: random.Random, days: tuple[str, ...], p_all: float) -> list[str]:
    if rng.random() < p_all:
        return list(days)
    k = rng.choice((2, 2, 3, 3, len(days) - 1)) if len(days) > 3 else rng.choice((2, 3))
    k = min(k, len(days))
    chosen: list[str] = []
    pool = list(days)
    while len(chosen) < k:  # weighted sampling without replacement
        pick = rng.choices(pool, weights=[DAY_WEIGHT[d] for d in pool])[0]
        pool.remove(pick)
        chosen.append(pick)
    return [d for d in days if d in chosen]


def _csv(columns: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def class_plan(n_students: int, n_classes: int | None, rng: random.Random) -> list[tuple[int, int, int]]:
    """(grade, class number, sign-ups) for each homeroom class; sizes 40–50."""
    if n_classes is None:
        n_classes = max(6, math.ceil(n_students / 36))
    n_classes = max(n_classes, math.ceil(n_students / 50))
    sizes = [rng.randint(40, 50) for _ in range(n_classes)]
    while sum(sizes) < n_students:  # every sign-up needs a seat in some class
        i = rng.randrange(n_classes)
        sizes[i] = min(50, sizes[i] + 1)
    grades = [1 + (i * 6) // n_classes for i in range(n_classes)]
    share = [sizes[i] * (RATES[grades[i]][1] + RATES[grades[i]][0] / 2) for i in range(n_classes)]
    total = sum(share)
    counts = [min(sizes[i], int(n_students * share[i] / total)) for i in range(n_classes)]
    i = 0
    while sum(counts) < n_students:  # hand out the rounding remainder, never above class size
        if counts[i % n_classes] < sizes[i % n_classes]:
            counts[i % n_classes] += 1
        i += 1
    out, number = [], {}
    for g, c in zip(grades, counts):
        number[g] = number.get(g, 0) + 1
        out.append((g, number[g], c))
    return out


def generate_school(n_students: int, n_classes: int | None = None, n_teachers: int | None = None,
                    seed: int = 1, name: str = "示例小学", volunteer_rate: float = 0.7,
                    open_days: float = 0.5, manage_rate: float = 0.22,
                    term_start: date = date(2026, 9, 1),
                    term_end: date = date(2027, 1, 22), venues: bool = False,
                    playground_groups: int = 4, gym_groups: int = 2) -> dict[str, str]:
    """The four files of a synthetic instance, as text keyed by file name. A ``name`` that
    ``validate`` would refuse (a line break or other control character, over 100
    characters) is bad input here too (``--name``): no school is written that its own
    validate refuses."""
    from afterschool.models.errors import InputError, Problem
    from afterschool.scheduler.reading.clean import LABEL_MAX, clean_text
    _, found = clean_text(name, LABEL_MAX)
    if found or not name.strip():
        raise InputError([Problem("--name", found[0] if found else "empty",
                                  expected=f"a school name of 1 to {LABEL_MAX} characters "
                                  "on one line")])
    rng = random.Random(seed)
    classes = class_plan(n_students, n_classes, rng)
    if n_teachers is None:
        n_teachers = max(len(classes) + 4, round(n_students / 20))
    students = []
    start = term_start - timedelta(days=30)
    for g, k, count in classes:
        p_noon, p_after = RATES[g]
        for _ in range(count):
            sid = f"S{len(students) + 1:05d}"
            noon = _pattern(rng, WEEK, 0.65) if rng.random() < p_noon else []
            after = _pattern(rng, AFTER, 0.70) if rng.random() < p_after else []
            if not noon and not after:
                after = _pattern(rng, AFTER, 0.70)
            pri = []
            if rng.random() < 0.08:
                pri.append(rng.choices([p for p, _ in PRIORITY], [w for _, w in PRIORITY])[0])
            r = rng.random()
            fee, red = ("exempt", "") if r < 0.03 else (
                ("reduced", rng.choice(("50%", "30.00", "50.00"))) if r < 0.08 else ("normal", ""))
            r = rng.random()
            status = "applied" if r < 0.02 else ("withdrawn" if r < 0.035 else "enrolled")
            lunch = ("yes" if rng.random() < 0.92 else "no") if noon else ""
            applied = start + timedelta(days=rng.randrange(20))
            students.append([sid, _name(rng), g, f"{g}-{k}", " ".join(noon), " ".join(after),
                             " ".join(pri), fee, red, lunch, status, applied.isoformat()])
    teachers, avail = [], []
    n_external = 1 if n_teachers < 40 else 2
    homeroom = [f"{g}-{k}" for g, k, _ in classes]
    for i in range(n_teachers):
        tid = f"T{i + 1:03d}"
        external = i >= n_teachers - n_external
        volunteer = external or rng.random() < volunteer_rate
        manage = volunteer and not external and rng.random() < manage_rate
        weekly = rng.choice(("", "", "", "", "240", "180")) if volunteer else ""
        classes_taught = homeroom[i] if i < len(homeroom) else ""
        teachers.append([tid, _name(rng), "yes" if volunteer else "no",
                         "yes" if manage else "no", "external" if external else "staff",
                         "80.00" if external else "", weekly, classes_taught,
                         "yes" if rng.random() < 0.25 else "no"])
        if not volunteer:
            continue
        does_noon = not external and rng.random() < 0.75
        does_after = external or rng.random() < 0.85
        if not does_noon and not does_after:
            does_after = True
        if does_noon:
            for d in _pattern(rng, WEEK, open_days - 0.05):
                avail.append([tid, d, "noon", "preferred" if rng.random() < 0.2 else "available"])
        if does_after:
            which = rng.choice(("afternoon", "afternoon", "after-lower", "after-upper"))
            if manage:
                which = "afternoon"
            for d in _pattern(rng, AFTER, open_days):
                avail.append([tid, d, which, "preferred" if rng.random() < 0.2 else "available"])
    school = SCHOOL_TEMPLATE.format(name=toml_string(name), start=term_start.isoformat(),
                                    end=term_end.isoformat())
    files = {"school.toml": school,
             "students.csv": _csv(STUDENT_COLUMNS, students),
             "teachers.csv": _csv(TEACHER_COLUMNS, teachers),
             "availability.csv": _csv(AVAIL_COLUMNS, avail)}
    if venues:  # SPEC §12: each class's homeroom, shared places, two activities
        files["school.toml"] += VENUES_TEMPLATE.format(pg=playground_groups, gym=gym_groups)
        files["rooms.csv"] = _csv(["id", "name", "capacity", "homeroom_class"],
                                  [[f"R{g}{k:02d}", f"{g}年级{k}班教室", 50, f"{g}-{k}"]
                                   for g, k, _ in classes])
    return files


VENUES_TEMPLATE = """
[[venues]]
id = "PG"
name = "操场"
kind = "playground"
capacity = 400
groups = {pg}

[[venues]]
id = "GYM"
name = "体育馆"
kind = "gym"
capacity = 200
groups = {gym}

[[venues]]
id = "LIB"
name = "图书馆"
kind = "library"
capacity = 60
groups = 1

[[activities]]
id = "sport"
name = "体育锻炼"
venue_kinds = ["playground", "gym"]
per_week = 1
rain_venue_kinds = ["gym"]

[[activities]]
id = "reading"
name = "阅读"
venue_kinds = ["library"]
per_week = 1
"""


SCHOOL_TEMPLATE = """\
# Generated by `afterschool generate`: a synthetic school for trials and benchmarks.
[school]
name = {name}
language = "zh"

[term]
start = {start}
end = {end}
# official holidays come from the chinese-calendar package where it covers the year;
# dates it does not cover are listed here
holidays = [2027-01-01]
"""


def refuse_non_empty(folder: Path, force: bool) -> None:
    """``generate`` and ``init`` never overwrite a school's files without ``--force``."""
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise FileExistsError(f"{folder} is not empty (an existing instance?); choose an "
                              "empty folder, or add --force to overwrite its files")


def write_school(folder: str | Path, files: dict[str, str], force: bool = False) -> list[Path]:
    """Write an instance's files into ``folder`` (each atomically); a non-empty folder is
    refused unless ``force``."""
    refuse_non_empty(Path(folder), force)
    return write_files(Path(folder), files)
