"""Read and validate the clubs of a school (SPEC §12): ``[clubs]`` of ``school.toml``,
``clubs.csv`` and ``club_choices.csv``.

Input: the instance folder's optional ``clubs.csv`` (``id, name, days, session, capacity,
min_size, grades, instructor, venue, fee``, optional ``instructor_rate``) and
``club_choices.csv`` (``student, choice1, choice2, choice3``) — in a workbook the optional
sheets ``clubs``/社团 and ``club_choices``/社团志愿 —, the school, its students and
staff as ``reader`` read them. Both files or neither (choices without clubs are an error;
clubs without choices a warning).
Output: ``(clubs, choices)`` as ``models.clubs`` objects; every problem is appended to the
caller's list, naming file, row (header = 1) and column.

Rules checked here: club id present, unique (ignoring case and width), not a student or
staff id; name present; days known weekdays on which the club's session runs; session a
session id or name taking afternoon sign-ups; capacity a whole number 1–500; min_size
0–capacity; grades 1–6 (``3,4``, ``3-6``, ``3至6``) all taken by the session; instructor a
staff id of teachers.csv or ``external`` (外聘); a staff instructor a volunteer; venue
present, and one of ``[[venues]]`` when the school lists any (the venue model is another
module's: ``school.venues`` when present); fee and instructor_rate exact money 0–100000 /
0–10000 yuan; an external instructor needs a rate (``instructor_rate`` or ``[clubs]
rate``). Choices: a known enrolled student, once per file; each choice a known club, not
repeated, for the pupil's grade; the first choice present.
``[clubs]``: ``per_pupil`` 1–5, ``rate`` money, ``start`` a date within the term.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from afterschool.models.clubs import EXTERNAL, Club, ClubChoice, ClubRules
from afterschool.models.errors import Problem
from afterschool.scheduler.reading import clean, tables

FILES = {"clubs": "clubs.csv", "club_choices": "club_choices.csv"}
SHEETS = {"clubs": ("clubs", "社团"), "club_choices": ("club_choices", "社团志愿")}  # a workbook
CHOICES = ("choice1", "choice2", "choice3")
MONEY_MAX = Decimal("100000.00")
RATE_MAX = Decimal("10000")
CAPACITY_MAX = 500
PER_PUPIL_MAX = 5

# the columns (and their Chinese headers) this module adds to ``tables``
tables.COLUMNS.setdefault("clubs", {
    "id": ("id", "编号", "社团编号"),
    "name": ("name", "名称", "社团名称", "社团"),
    "days": ("days", "星期", "活动日"),
    "session": ("session", "时段", "服务时段"),
    "capacity": ("capacity", "名额", "人数上限"),
    "min_size": ("min_size", "最少人数", "开班人数"),
    "grades": ("grades", "年级", "适合年级"),
    "instructor": ("instructor", "指导教师", "教师", "工号"),
    "venue": ("venue", "场地", "地点"),
    "fee": ("fee", "费用", "社团费"),
    "instructor_rate": ("instructor_rate", "外聘课时费", "外聘教师课时费"),
})
tables.COLUMNS.setdefault("club_choices", {
    "student": ("student", "学号", "学生编号"),
    "choice1": ("choice1", "第一志愿", "志愿1"),
    "choice2": ("choice2", "第二志愿", "志愿2"),
    "choice3": ("choice3", "第三志愿", "志愿3"),
})
tables.REQUIRED.setdefault("clubs", ("id", "name", "days", "session", "capacity", "min_size",
                                     "grades", "instructor", "venue"))
tables.REQUIRED.setdefault("club_choices", ("student", "choice1"))
tables.ID_COLUMNS.setdefault("clubs", ("id",))
tables.ID_COLUMNS.setdefault("club_choices", ("student",))


def _money(text: str, most: Decimal) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > most or value != value.quantize(
            Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"))


def club_rules(ctx, raw: dict[str, Any]) -> ClubRules:
    """``[clubs]`` of ``school.toml`` (``ctx``: ``school_config._Ctx``)."""
    ctx.check_keys(raw, "clubs", "clubs")
    per = raw.get("per_pupil", 1)
    if not isinstance(per, int) or isinstance(per, bool) or not 1 <= per <= PER_PUPIL_MAX:
        ctx.err("not a number of clubs", "per_pupil", "clubs", per,
                f"a whole number from 1 to {PER_PUPIL_MAX}")
        per = 1
    rate = None
    if "rate" in raw:
        value = raw["rate"]
        rate = None if isinstance(value, (bool, float)) else _money(str(value), RATE_MAX)
        if rate is None:
            ctx.err("not an hourly rate", "rate", "clubs", value,
                    f'yuan an hour in quotes, such as "150.00" (0 to {RATE_MAX:,})')
    start = raw.get("start")
    if start is not None and (not isinstance(start, date) or hasattr(start, "hour")):
        ctx.err("not a date", "start", "clubs", start, "a date such as 2026-09-14")
        start = None
    return ClubRules(per, rate, start)


def _grades(text: str) -> list[int] | None:
    out: list[int] = []
    for part in tables.split_list(text):
        m = re.fullmatch(r"(\w+?)(?:年级)?(?:-|至|到|~|～)(\w+?)(?:年级)?", part)
        if m:
            a, b = tables.parse_grade(m.group(1)), tables.parse_grade(m.group(2))
            if a is None or b is None or b < a:
                return None
            out.extend(range(a, b + 1))
        else:
            g = tables.parse_grade(part)
            if g is None:
                return None
            out.append(g)
    return sorted(set(out)) if out and all(1 <= g <= 6 for g in out) else None


def read_clubs(school, students, teachers, files: dict[str, tuple[str, list] | None],
               problems: list[Problem]) -> tuple[list[Club], list[ClubChoice]]:
    """Clubs and choices from the rows ``tables.table_from_rows`` gave (``files[kind]``:
    (file name, rows), or None when the file is absent)."""
    if files.get("clubs") is None:
        if files.get("club_choices") is not None:
            problems.append(Problem(files["club_choices"][0], "club choices without clubs.csv",
                                    expected="clubs.csv beside it, or no club_choices.csv"))
        return [], []
    clubs = _clubs(school, students, teachers, *files["clubs"], problems)
    if files.get("club_choices") is None:
        problems.append(Problem(FILES["clubs"], "clubs without club_choices.csv: nobody "
                                "can be drawn", severity="warning"))
        return clubs, []
    listed = {clean.id_key(r["id"]) for _, r in files["clubs"][1]}
    return clubs, _choices(clubs, students, *files["club_choices"], problems, listed)


def _clubs(school, students, teachers, file: str, rows, problems) -> list[Club]:
    from afterschool.scheduler.reading.reader import _reporter, _errors_since, session_names
    names, _ = session_names(school)
    sessions = {s.id: s for s in school.sessions}
    staff = {clean.id_key(t.id): t for t in teachers}
    pupils = {clean.id_key(s.id) for s in students}
    venues = {clean.id_key(str(getattr(v, "id", v))) for v in getattr(school, "venues", ()) or ()}
    seen: dict[str, int] = {}
    out: list[Club] = []
    row_of: dict[str, int] = {}
    for n, r in rows:
        bad = len(problems)
        err = _reporter(problems, file, n)
        cid, key = r["id"], clean.id_key(r["id"])
        if not cid:
            err("id", "club id missing", cid, "a unique id such as C01")
        elif key in seen:
            err("id", f"duplicate club id (also on row {seen[key]})", cid, "a unique id")
        elif key in staff or key in pupils:
            err("id", "club id is also a student or staff id", cid, "ids unique across files")
        else:
            seen[key] = n
        if not r["name"]:
            err("name", "club name missing", r["name"], "the club's name, such as 合唱")
        sid = names.get(r["session"].strip()) or names.get(
            re.sub(r"\s", "", r["session"]).casefold())
        session = sessions.get(sid) if sid else None
        if session is None or session.signup != "afternoon":
            err("session", "not an afternoon session", r["session"], "a session taking "
                "afternoon sign-ups: " + " or ".join(s.id for s in school.sessions
                                                      if s.signup == "afternoon"))
            session = None
        days, unknown, _ = tables.parse_days_ranged(r["days"])
        if unknown or not days:
            err("days", "unknown weekday" if unknown else "days missing",
                " ".join(unknown) or r["days"], "weekdays such as Tue Thu or 周二、周四")
        elif session is not None and any(d not in session.days for d in days):
            err("days", f"{session.id} does not run on "
                f"{' '.join(d for d in days if d not in session.days)}", r["days"],
                " ".join(session.days))
        cap = r["capacity"].strip()
        capacity = int(cap) if re.fullmatch(r"[0-9]{1,4}", cap) else None
        if capacity is None or not 1 <= capacity <= CAPACITY_MAX:
            err("capacity", "not a number of seats", cap, f"a whole number 1 to {CAPACITY_MAX}")
            capacity = None
        low = r["min_size"].strip()
        min_size = int(low) if re.fullmatch(r"[0-9]{1,4}", low) else None
        if min_size is None or (capacity is not None and min_size > capacity):
            err("min_size", "not a minimum from 0 to the capacity", low,
                f"a whole number 0 to {capacity if capacity is not None else CAPACITY_MAX}")
        grades = _grades(r["grades"])
        if grades is None:
            err("grades", "unknown grades", r["grades"], "grades 1 to 6 such as 3,4 or 3-6")
        elif session is not None and any(g not in session.grades for g in grades):
            err("grades", f"{session.id} does not take grade(s) "
                f"{','.join(str(g) for g in grades if g not in session.grades)}", r["grades"],
                ",".join(str(g) for g in session.grades))
        who = r["instructor"].strip()
        is_external = tables.VOCAB["kind"].get(who.lower()) == "external" if who else False
        instructor = EXTERNAL if is_external else who
        if not who:
            err("instructor", "instructor missing", who, "a staff id of teachers.csv or "
                "external (外聘)")
        elif not is_external and clean.id_key(who) not in staff:
            err("instructor", "unknown staff id", who, "a staff id of teachers.csv or "
                "external (外聘)")
        elif not is_external:
            t = staff[clean.id_key(who)]
            instructor = t.id
            if not t.volunteer:
                err("instructor", "not a volunteer (only volunteers are assigned)",
                    who, "a staff member with volunteer = yes, or external")
        venue = r["venue"].strip()
        if not venue:
            err("venue", "venue missing", venue, "a venue id such as GYM")
        elif venues and clean.id_key(venue) not in venues:
            err("venue", "unknown venue", venue, "a venue id of [[venues]] in school.toml")
        fee = Decimal("0")
        if r.get("fee", "").strip():
            fee = _money(r["fee"], MONEY_MAX)
            if fee is None:
                err("fee", "not an amount of money", r["fee"],
                    f"yuan such as 120.00, 0 to {MONEY_MAX:,}, or blank")
        rate = None
        if r.get("instructor_rate", "").strip():
            rate = _money(r["instructor_rate"], RATE_MAX)
            if rate is None:
                err("instructor_rate", "not an hourly rate", r["instructor_rate"],
                    f"yuan an hour such as 150.00, 0 to {RATE_MAX:,}")
            elif not is_external:
                err("instructor_rate", "a rate for a staff instructor (staff are paid the "
                    "school's rate)", r["instructor_rate"], "blank, or instructor external")
        elif is_external and school.clubs.rate is None:
            err("instructor_rate", "an external instructor without a rate", "",
                "yuan an hour here, or rate = \"150.00\" in [clubs] of school.toml")
        if not _errors_since(problems, bad):
            out.append(Club(cid, r["name"], tuple(days), session.id, capacity, min_size,
                            tuple(grades), instructor, venue, fee, rate))
            row_of[cid] = n
    _venue_at_once(school, out, row_of, file, problems)
    if not rows and not any(p.file == file and p.severity == "error" for p in problems):
        problems.append(Problem(file, "no clubs listed: the table has only its header", row=2,
                                expected="one row per club"))
    return out


def _choices(clubs: list[Club], students, file: str, rows, problems,
             listed: set[str] = frozenset()) -> list[ClubChoice]:
    """``listed``: every id clubs.csv names; a choice of a club whose own row is wrong is
    not a second error (that row's problems say what to fix)."""
    from afterschool.scheduler.reading.reader import _reporter, _errors_since
    by_id = {clean.id_key(c.id): c for c in clubs}
    pupils = {clean.id_key(s.id): s for s in students if s.status == "enrolled"}
    known = {clean.id_key(s.id) for s in students}
    seen: dict[str, int] = {}
    out: list[ClubChoice] = []
    for n, r in rows:
        bad = len(problems)
        err = _reporter(problems, file, n)
        key = clean.id_key(r["student"])
        pupil = pupils.get(key)
        if not r["student"]:
            err("student", "student id missing", r["student"], "a student id of students.csv")
        elif pupil is None:
            err("student", "not an enrolled student" if key in known else "unknown student",
                r["student"], "an enrolled student's id of students.csv")
        elif key in seen:
            err("student", f"the same pupil again (also on row {seen[key]})", r["student"],
                "one row per pupil")
        else:
            seen[key] = n
        picked: list[str] = []
        gap = False
        for col in CHOICES:
            text = r.get(col, "").strip()
            if not text:
                gap = True
                continue
            club = by_id.get(clean.id_key(text))
            if club is None and clean.id_key(text) in listed:
                picked.append(text)  # its own row's error stops the read: no second one
            elif club is None:
                err(col, "unknown club", text, "a club id of clubs.csv")
            elif club.id in picked:
                err(col, "the same club chosen twice", text, "a different club, or blank")
            elif gap:
                err(col, "a choice after a blank one", text, "choices from choice1 on")
            elif pupil is not None and pupil.grade not in club.grades:
                err(col, f"club {club.id} does not take grade {pupil.grade}", text,
                    f"a club for grade {pupil.grade}")
            else:
                picked.append(club.id)
        if not picked and not _errors_since(problems, bad):
            err("choice1", "no choice", r.get("choice1", ""), "a club id of clubs.csv")
        if not _errors_since(problems, bad) and pupil is not None:
            out.append(ClubChoice(pupil.id, tuple(picked)))
    return out


def _venue_at_once(school, clubs: list[Club], row_of: dict[str, int], file: str,
                   problems: list[Problem]) -> None:
    """SPEC §12: clubs meet in a listed venue no more at once than the groups it holds
    (``groups``), counted on real times (an after-lower club until 16:35 and an after-upper
    one from 16:20 meet at once): the row of each club beyond it is an error naming the
    others (clubs listed as alternatives must use different venues or days). ``clubs``
    come in row order, so each venue's are too."""
    from afterschool.models.school import fmt_time
    venues = {clean.id_key(v.id): v for v in getattr(school, "venues", ()) or ()}
    sessions = {s.id: s for s in school.sessions}
    by_place: dict[tuple[str, str], list[Club]] = {}
    for c in clubs:
        if clean.id_key(c.venue) in venues:
            for d in c.days:
                by_place.setdefault((clean.id_key(c.venue), d), []).append(c)
    for (key, day), here in by_place.items():
        v = venues[key]
        told: set[str] = set()
        # the most meeting at once is reached at some club's start: count every club there
        for start in sorted({sessions[c.session].start for c in here}):
            at = [x for x in here if sessions[x.session].start <= start
                  < sessions[x.session].end]
            for c in at[v.groups:]:  # the rows beyond what the venue holds, in file order
                if c.id in told:
                    continue
                told.add(c.id)
                problems.append(Problem(
                    file, f"{v.id} holds {v.groups} group(s) at once: {len(at)} clubs meet "
                    f"there on {day} at {fmt_time(start)} "
                    f"({', '.join(x.id for x in at)})", row=row_of[c.id], column="venue",
                    value=c.venue, expected=f"another venue or day for one of them, or a "
                    f"larger groups for {v.id} in [[venues]]"))
