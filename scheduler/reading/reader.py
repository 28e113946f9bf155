"""Read and validate an instance (SPEC §8): a folder or one ``.xlsx`` workbook.

Input: a folder with ``school.toml``, ``students.csv``, ``teachers.csv`` and
``availability.csv``, or a workbook with sheets ``school`` (key | value rows, keys dotted as in
the TOML: ``term.start``), ``students``, ``teachers`` and ``availability`` (Chinese sheet names
学校/学生/教师/可用时间 too). Optional (SPEC §12): ``rooms.csv`` or a sheet ``rooms`` (教室),
read by ``venue_config`` into classroom venues after the school's ``[[venues]]``.
Output: ``models.Instance``; or ``InputError`` carrying **all** problems, each naming file, row
(as Excel shows it, header = 1), column, the value found and what was expected.

Every cell passes the normalisation layer (``clean``: NFKC, format characters removed,
control characters refused, length caps, the id alphabet) in ``tables.table_from_rows``
before anything here reads it; ``school.toml`` strings pass it in ``school_config``. Files
that are folders, too large (``clean.MAX_FILE_BYTES``) or too long (``clean.MAX_ROWS``) are
refused up front; workbooks are read read-only within their used range.

Rules checked here: duplicate ids (compared ignoring case and width); the same child under
two ids (a warning); numbers finite and in range (rates, amounts, weekly minutes); dates ISO
or ``2026年8月13日``; a term with no service date; grade and class format, class agreeing with grade; weekdays
on which the session does not run; unknown priority, fee category, status; reduction missing,
negative or over 100 %; availability naming an unknown teacher, day or session (or duty
window), or repeated; everything ``school_config`` checks in ``school.toml``. Warnings (not
errors): a volunteer with no availability, availability given for a non-volunteer, unknown
extra columns, a weekly limit of 1–10 minutes (hours typed?), official holidays unknown for
part of the term (unless ``holidays_confirmed``).

What a clerk types is read as meant: availability's session column takes a session's name
from ``school.toml`` (午托, 晚托(低年级)) as well as its id, and a duty window's words (下午);
weekday cells take ranges (周一至周五, Mon-Fri), which for a session mean the days it runs
within the range; an availability row naming several days stands for one row per day.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from datetime import date, timedelta
from pathlib import Path

import openpyxl

from afterschool.models.errors import InputError, Problem
from afterschool.models.instance import Instance
from afterschool.models.people import Availability, Reduction, Student, Teacher
from afterschool.models.school import WEEKDAYS, School
from afterschool.scheduler.rules import calendar
from afterschool.scheduler.reading import clean, tables
from afterschool.scheduler.reading.language import written_language
from afterschool.scheduler.reading import clubs as club_files
from afterschool.scheduler.rules.staffing import duty_windows
from afterschool.scheduler.reading.school_config import _Ctx, parse_school, school_from_dict
from afterschool.scheduler.reading.tables import (VOCAB, parse_class, parse_days,
                                                  parse_days_ranged, parse_grade, parse_yes,
                                                  split_list)

FILES = {"students": "students.csv", "teachers": "teachers.csv",
         "availability": "availability.csv"}


def _bundled(path: Path) -> Path:
    """``instances/NAME`` or ``NAME`` falls back to the instances shipped with the package."""
    if path.exists():
        return path
    from afterschool import instances

    candidate = Path(instances.__file__).parent / path.name
    return candidate if candidate.exists() and path.name else path


def resolve(path: str | Path) -> Path:
    """The instance path a user meant, including bundled schools by name (``haijiang``)."""
    return _bundled(Path(path))


def read_instance(path: str | Path) -> Instance:
    """Read and validate an instance; raise InputError listing every problem found."""
    path = resolve(path)
    if not path.exists():
        raise InputError([Problem(str(path), "no such file or folder",
                                  expected="a folder with school.toml and three CSV files, "
                                  "or an .xlsx workbook")])
    problems: list[Problem] = []
    try:
        if path.is_dir():
            school, raw = _read_folder(path, problems)
        elif path.suffix.lower() in (".xlsx", ".xlsm"):
            school, raw = _read_workbook(path, problems)
        else:
            raise InputError([Problem(str(path), "not an instance", value=path.suffix,
                                      expected="a folder or an .xlsx workbook")])
    except PermissionError as exc:
        raise InputError([Problem(str(exc.filename or path), "permission denied",
                                  expected="a file you may read")]) from None
    except OSError as exc:
        raise InputError([Problem(str(exc.filename or path), f"cannot read: "
                                  f"{exc.strerror or exc}", expected="a readable file")]) from None
    if school is None:
        raise InputError(problems, lang=written_language(path))
    _service_dates(school, problems)
    if any(p.severity == "error" for p in problems if p.file.endswith(("school.toml",
                                                                        ":school"))):
        raise InputError(problems, lang=school.language)
    students = _students(school, *raw["students"], problems)
    school = _with_rooms(school, raw, students, problems)
    teachers = _teachers(*raw["teachers"], problems)
    named = {r["id"] for _, r in raw["teachers"][1]}  # bad rows too: no cascade of errors
    avail = _availability(school, teachers, named, *raw["availability"], problems)
    _ids_across_files(raw, problems)
    clubs, choices = club_files.read_clubs(school, students, teachers, raw, problems)
    if not any(p.severity == "error" for p in problems):
        _manager_windows(school, students, teachers, avail, problems)
    for text in calendar.calendar_warnings(school.term):
        problems.append(Problem("school.toml", text, column="term.holidays",
                                severity="warning"))
    if any(p.severity == "error" for p in problems):
        raise InputError(problems, lang=school.language)
    return Instance(school, tuple(students), tuple(teachers), tuple(avail), str(path),
                    tuple(p for p in problems if p.severity != "error"), tuple(clubs),
                    tuple(choices))


def _with_rooms(school: School, raw, students, problems: list[Problem]) -> School:
    """The school with ``rooms.csv``'s classrooms after its ``[[venues]]`` (SPEC §12)."""
    import dataclasses

    from afterschool.scheduler.reading import venue_config
    if "rooms" in raw:
        rooms = venue_config.read_rooms(*raw["rooms"], {s.klass for s in students},
                                        {v.id.casefold() for v in school.venues}, problems)
        school = dataclasses.replace(school, venues=school.venues + tuple(rooms))
    problems.extend(venue_config.kind_warnings(school.venues, school.activities))
    return school


def _service_dates(school: School, problems: list[Problem]) -> None:
    """A term in which no session has a single service date is a mistake, not a plan."""
    dates = calendar.term_dates(school.term)
    if not any(dates[d] for s in school.sessions for d in s.days):
        problems.append(Problem("school.toml", f"the term {school.term.start} .. "
                                f"{school.term.end} has no service date: every school day "
                                "is a holiday or no session runs on its weekdays",
                                column="term", expected="a term with at least one school day "
                                "on which a session runs"))


def _not_a_file(f: Path, name: str, problems: list[Problem]) -> bool:
    """True (and a problem) when ``f`` is missing, a folder or too large."""
    if not f.exists():
        problems.append(Problem(name, "file missing", expected=f"{f}"))
    elif not f.is_file():
        problems.append(Problem(name, "is a folder, not a file", expected=f"the file {name}"))
    elif f.stat().st_size > clean.MAX_FILE_BYTES:
        problems.append(Problem(name, f"file too large ({f.stat().st_size:,} bytes; at most "
                                f"{clean.MAX_FILE_BYTES:,})", expected="is this the right file?"))
    else:
        return False
    return True


def _read_folder(path: Path, problems: list[Problem]):
    toml_path = path / "school.toml"
    school = None
    if not _not_a_file(toml_path, "school.toml", problems):
        try:
            text, _ = tables.decode_bytes(toml_path.read_bytes(), "school.toml")
            school, found = parse_school(text, "school.toml")
            problems.extend(found)
        except tables.DecodeError as exc:
            problems.append(Problem("school.toml", str(exc), row=exc.row))
    raw = {}
    for kind, name in FILES.items():
        f = path / name
        rows: list = []
        if not _not_a_file(f, name, problems):
            try:
                rows = tables.table_from_rows(tables.read_csv_rows(f), name, kind, problems)
            except (tables.DecodeError, tables.CsvError) as exc:
                problems.append(Problem(name, str(exc), row=exc.row))
        raw[kind] = (name, rows)
    for kind, name in club_files.FILES.items():  # optional (SPEC §12)
        f = path / name
        raw[kind] = None
        if f.exists() and not _not_a_file(f, name, problems):
            try:
                raw[kind] = (name, tables.table_from_rows(tables.read_csv_rows(f), name, kind,
                                                          problems))
            except (tables.DecodeError, tables.CsvError) as exc:
                problems.append(Problem(name, str(exc), row=exc.row))
    rooms = path / "rooms.csv"  # optional (SPEC §12)
    if rooms.exists() and not _not_a_file(rooms, "rooms.csv", problems):
        try:
            raw["rooms"] = ("rooms.csv", tables.table_from_rows(
                tables.read_csv_rows(rooms), "rooms.csv", "rooms", problems))
        except (tables.DecodeError, tables.CsvError) as exc:
            problems.append(Problem("rooms.csv", str(exc), row=exc.row))
    return school, raw


def _check_workbook_size(path: Path) -> None:
    """Refuse a workbook over ``MAX_FILE_BYTES``, or one that unpacks to more than ten times
    that (a zip bomb), before openpyxl reads it."""
    import zipfile
    size = path.stat().st_size
    if size > clean.MAX_FILE_BYTES:
        raise InputError([Problem(path.name, f"file too large ({size:,} bytes; at most "
                                  f"{clean.MAX_FILE_BYTES:,})", expected="is this the right file?")])
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # openpyxl reports an unreadable file below
    if unpacked > 10 * clean.MAX_FILE_BYTES:
        raise InputError([Problem(path.name, f"workbook unpacks to {unpacked:,} bytes; at most "
                                  f"{10 * clean.MAX_FILE_BYTES:,}",
                                  expected="a workbook of one school's tables")])


def _read_workbook(path: Path, problems: list[Problem]):
    _check_workbook_size(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is bad input
        raise InputError([Problem(path.name, f"cannot open workbook: {type(exc).__name__}",
                                  expected="an .xlsx file saved by Excel or WPS")]) from None
    try:
        return _read_workbook_sheets(path, wb, formulas, problems)
    finally:
        wb.close()
        formulas.close()


def _read_workbook_sheets(path: Path, wb, formulas, problems: list[Problem]):
    sheets = {}
    for kind, names in tables.SHEET_NAMES.items():
        found = next((n for n in wb.sheetnames if n.strip().lower() in names), None)
        if found is None:
            problems.append(Problem(path.name, f"sheet '{kind}' missing",
                                    expected=f"a sheet named {' or '.join(names)}"))
        sheets[kind] = found
    school = None
    if sheets["school"]:
        from afterschool.scheduler.reading.input_workbook import SCHOOL_KEYS
        by_name = {tables._norm_header(zh): key for key, (zh, _, _) in SCHOOL_KEYS.items()}
        data: dict = {}
        for row in wb[sheets["school"]].iter_rows(max_col=2, values_only=True):
            if not row or row[0] is None or str(row[0]).strip() in ("", "key", "键", "项目"):
                continue
            key, value = clean.clean_text(row[0])[0], row[1] if len(row) > 1 else None
            key = by_name.get(tables._norm_header(key), key)  # 学期开始 -> term.start
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # an empty value keeps the default
            if key.endswith(("official_holidays", "holidays_confirmed",
                             "allow_above_standard")) and isinstance(value, str) and \
                    parse_yes(value) is not None:
                value = parse_yes(value)  # 是 / 否 in a cell
            elif key == "school.language" and isinstance(value, str):
                value = {"中文": "zh", "英文": "en"}.get(value.strip(), value)
            if hasattr(value, "date") and callable(value.date):
                value = value.date()
                if key == "term.holidays":
                    value = [value]  # one day off, typed as a date
            elif key == "term.holidays" and isinstance(value, str) and \
                    not value.strip().startswith("["):
                value = _holiday_cell(value)
            elif isinstance(value, str) and key.endswith(("holidays", "makeup_days",
                                                          "sessions", "grades", "days",
                                                          "venues", "activities")):
                import tomllib
                try:
                    value = tomllib.loads(f"v = {value}")["v"]
                except tomllib.TOMLDecodeError:
                    pass
            parts = key.split(".")
            target = data
            for p in parts[:-1]:
                target = target.setdefault(p, {})
            target[parts[-1]] = value
        school, found = school_from_dict(data, _Ctx(f"{path.name}:school", ""))
        problems.extend(found)
    raw = {}
    for kind in FILES:
        name = f"{path.name}:{kind}"
        rows = (tables.table_from_rows(tables.read_sheet_rows(wb, sheets[kind], name, problems,
                                                              formulas), name, kind,
                                       problems) if sheets[kind] else [])
        raw[kind] = (name, rows)
    for kind, names in club_files.SHEETS.items():  # optional sheets (SPEC §12)
        found = next((n for n in wb.sheetnames if n.strip().lower() in names), None)
        name = f"{path.name}:{kind}"
        raw[kind] = None if found is None else (name, tables.table_from_rows(
            tables.read_sheet_rows(wb, found, name, problems, formulas), name, kind, problems))
    rooms = next((n for n in wb.sheetnames if n.strip().lower() in ROOM_SHEETS), None)
    if rooms:  # optional (SPEC §12)
        name = f"{path.name}:rooms"
        raw["rooms"] = (name, tables.table_from_rows(tables.read_sheet_rows(
            wb, rooms, name, problems, formulas), name, "rooms", problems))
    return school, raw


ROOM_SHEETS = ("rooms", "教室")  # the optional sheet of classrooms (rooms.csv's columns)
_DAY_TEXT = r"\d{4}-\d{1,2}-\d{1,2}"
_HOLIDAY_RANGE = re.compile(rf"({_DAY_TEXT})\s*(?:至|到|~|～|—|to)\s*({_DAY_TEXT})")


def _holiday_cell(text: str):
    """A workbook's holiday cell as a clerk writes it, ``2026-09-25，2026-10-01至2026-10-07``,
    as the TOML list it stands for; anything unreadable stays text (and is reported)."""
    items: list = []
    rest = _HOLIDAY_RANGE.sub(lambda m: f" {m.group(1)}..{m.group(2)} ", text)
    try:
        for part in re.split(r"[\s,，、;；]+", rest.strip()):
            if not part:
                continue
            if ".." in part:
                lo, hi = part.split("..")
                items.append({"from": date.fromisoformat(_iso(lo)),
                              "to": date.fromisoformat(_iso(hi))})
            else:
                items.append(date.fromisoformat(_iso(part)))
    except ValueError:
        return text
    return items


def _iso(text: str) -> str:
    y, m, d = text.split("-")
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def _pick(vocab: str, text: str) -> str | None:
    return VOCAB[vocab].get(text.strip().lower(), VOCAB[vocab].get(text.strip()))


PRIVATE = tables.PRIVATE


def _reporter(problems: list[Problem], file: str, row: int, private=frozenset()):
    """A function that records one problem of this file and row."""
    def err(col, msg, value, expected, severity="error"):
        problems.append(Problem(file, msg, row=row, column=col, value=value, expected=expected,
                                severity=severity, private=col in private))
    return err


def _errors_since(problems: list[Problem], start: int) -> bool:
    """True when a problem recorded from ``start`` on is an error (warnings keep the row)."""
    return any(p.severity == "error" for p in problems[start:])


def _no_rows(file: str, rows, what: str, problems: list[Problem]) -> None:
    if not rows and not any(p.file == file and p.severity == "error" for p in problems):
        problems.append(Problem(file, f"no {what} listed: the table has only its header",
                                row=2, expected=f"one row per {what[:-1]}"))


def _students(school: School, file: str, rows, problems: list[Problem]) -> list[Student]:
    out, seen, children = [], {}, {}
    _no_rows(file, rows, "students", problems)
    for n, r in rows:
        bad = len(problems)
        err = _reporter(problems, file, n, PRIVATE)

        sid = r["id"]
        key = clean.id_key(sid)
        if not sid:
            err("id", "student id missing", sid, "a unique id such as S0001")
        elif key in seen:
            err("id", f"duplicate student id (also on row {seen[key][0]}, class "
                f"{seen[key][1]}): one row per student, in one class (ids are compared "
                "ignoring case and width)", sid, "a unique id")
        else:
            seen[key] = (n, r["class"])
        child = (r["name"].casefold(), parse_class(r["class"], parse_grade(r["grade"])),
                 tuple(parse_days(r["noon"])[0]), tuple(parse_days(r["afternoon"])[0]))
        if r["name"] and child in children:
            problems.append(Problem(file, f"same name, class and sign-up as row "
                                    f"{children[child][0]} (id {children[child][1]}): the same "
                                    "child entered twice under two ids?", row=n, column="id",
                                    value=sid, severity="warning"))
        elif r["name"]:
            children[child] = (n, sid)
        if not r["name"]:
            err("name", "name missing", r["name"], "the student's name")
        grade = parse_grade(r["grade"])
        grades = sorted({g for s in school.sessions for g in s.grades})
        if grade is None or grade not in grades:
            err("grade", "unknown grade", r["grade"], f"one of {grades}")
            grade = None
        klass = parse_class(r["class"], grade)
        if klass is None:
            err("class", "unknown class format", r["class"], "grade-number such as 3-2, "
                "3(2) or 3年级2班")
        elif grade is not None and int(klass.split("-")[0]) != grade:
            err("class", f"class is not in grade {grade}", r["class"], f"a class {grade}-N")
        taken = {}
        for col in ("noon", "afternoon"):
            days, unknown, ranged = parse_days_ranged(r[col])
            if unknown:
                err(col, "unknown weekday", " ".join(unknown), "Mon Tue Wed Thu Fri or 周一…周五 "
                    "(a range: 周一至周五, Mon-Fri)")
            session = school.session_for(col, grade) if grade is not None else None
            if days and grade is not None and session is None:
                err(col, f"no {col} session is offered to grade {grade}", r[col], "empty")
            elif session is not None:
                # a range means the days the session runs within it (周一至周五 for a
                # Tue–Fri session is Tue–Fri); a day named on its own must be one of them
                days = [d for d in days if d in session.days or d not in ranged]
                off = [d for d in days if d not in session.days]
                if off:
                    err(col, f"{session.name} ({session.id}) does not run on "
                        f"{' '.join(off)}", r[col], " ".join(session.days))
            taken[col] = tuple(days)
        priority = []
        for word in split_list(r.get("priority", "")):
            p = _pick("priority", word)
            if p is None:
                err("priority", "unknown priority category", word,
                    "disabled, left_behind, migrant or staff_child")
            else:
                priority.append(p)
        fee_cat = _pick("fee_category", r.get("fee_category", ""))
        if fee_cat is None:
            err("fee_category", "unknown fee category", r["fee_category"],
                "normal, exempt or reduced")
        reduction = None
        red_text = r.get("fee_reduction", "").strip()
        if fee_cat == "reduced":
            reduction = _reduction(red_text, lambda m, e: err("fee_reduction", m, red_text, e))
        elif red_text:
            problems.append(Problem(file, "reduction given but fee category is not 'reduced'; "
                                    "ignored", row=n, column="fee_reduction", value=red_text,
                                    severity="warning", private=True))
        lunch = parse_yes(r.get("lunch", "")) if r.get("lunch", "").strip() else bool(
            taken.get("noon"))
        if lunch is None:
            err("lunch", "not yes or no", r["lunch"], "yes or no")
        status = _pick("status", r["status"])
        if status is None:
            err("status", "unknown status", r["status"], "enrolled, applied or withdrawn")
        applied_on = None
        if r.get("applied_on", "").strip():
            applied_on = tables.parse_date(r["applied_on"])
            text = r["applied_on"].strip()
            if applied_on is None and re.fullmatch(r"[0-9]{5}(\.[0-9]+)?", text) and \
                    20000 < float(text) < 80000:
                as_date = date(1899, 12, 30) + timedelta(days=int(float(text)))
                err("applied_on", f"a number where a date belongs (Excel's day {text} is "
                    f"{as_date}); format the column as a date", text, "YYYY-MM-DD")
            elif applied_on is None:
                err("applied_on", "not a date", r["applied_on"], "YYYY-MM-DD or 2026年8月13日 "
                    "(year first; 13.8.2026 is ambiguous)")
        if not _errors_since(problems, bad):
            out.append(Student(sid, r["name"], grade, klass, taken["noon"], taken["afternoon"],
                               tuple(priority), fee_cat, reduction, bool(lunch), status,
                               applied_on))
    return out


MONEY_MAX = Decimal("100000.00")  # any amount of money, yuan
RATE_MAX = Decimal("10000")  # an hourly rate, yuan
WEEK_MINUTES = 7 * 24 * 60  # 10,080: the most minutes a weekly limit can name
HOURS_LIKE = 10  # a minutes field of 1 to this many was most likely typed in hours


def _reduction(text: str, err) -> Reduction | None:
    if not text:
        err("reduction missing for a 'reduced' student", "a percentage (50%) or an amount "
            "(30.00)")
        return None
    try:
        if text.endswith(("%", "％")):
            pct = Decimal(text[:-1].strip())
            if not pct.is_finite() or pct < 0 or pct > 100:
                err("reduction percentage out of range", "0% to 100%")
                return None
            return Reduction(percent=pct)
        amount = Decimal(text)
    except InvalidOperation:
        err("not a reduction", "a percentage (50%) or an amount (30.00)")
        return None
    if not amount.is_finite():
        err("not a reduction", "a percentage (50%) or an amount (30.00)")
        return None
    if amount < 0:
        err("reduction must not be negative", "an amount of 0 or more")
        return None
    if amount > MONEY_MAX:
        err("reduction out of range", f"an amount of at most {MONEY_MAX:,} yuan")
        return None
    return Reduction(amount=amount.quantize(Decimal("0.01")))


def _teachers(file: str, rows, problems: list[Problem]) -> list[Teacher]:
    out, seen = [], {}
    _no_rows(file, rows, "staff members", problems)
    for n, r in rows:
        bad = len(problems)
        err = _reporter(problems, file, n, frozenset({"name"}))

        tid = r["id"]
        key = clean.id_key(tid)
        if not tid:
            err("id", "staff id missing", tid, "a unique id such as T001")
        elif key in seen:
            err("id", f"duplicate staff id (also on row {seen[key]}) (ids are compared "
                "ignoring case and width)", tid, "a unique id")
        else:
            seen[key] = n
        if not r["name"]:
            err("name", "name missing", r["name"], "the person's name")
        flags = {}
        for col in ("volunteer", "can_manage", "allow_double"):
            text = r.get(col, "")
            flags[col] = parse_yes(text)
            if flags[col] is None or (col == "volunteer" and not text.strip()):
                err(col, "not yes or no", text, "yes or no")
        kind = _pick("kind", r.get("kind", ""))
        if kind is None:
            err("kind", "unknown kind", r["kind"], "staff or external")
        rate = None
        if r.get("hourly_rate", "").strip():
            try:
                rate = Decimal(r["hourly_rate"])
                if not rate.is_finite() or rate < 0 or rate > RATE_MAX:
                    raise InvalidOperation
                rate = rate.quantize(Decimal("0.01"))
            except InvalidOperation:
                rate = None
                err("hourly_rate", f"not an amount of 0 or more, at most {RATE_MAX:,} yuan an hour",
                    r["hourly_rate"], "yuan per hour such as 80.00, or blank for the school "
                    "rate")
        weekly = None
        if r.get("max_weekly_minutes", "").strip():
            text = r["max_weekly_minutes"]
            if re.fullmatch(r"[0-9]{1,5}", text) and int(text) <= WEEK_MINUTES:
                weekly = int(text)
                if 0 < weekly <= HOURS_LIKE:
                    err("max_weekly_minutes", f"{weekly} minutes a week looks like hours: "
                        f"{weekly} hours are {weekly * 60} minutes", text,
                        f"minutes, such as {weekly * 60} for {weekly} hours",
                        severity="warning")
            else:
                err("max_weekly_minutes", f"not a whole number from 0 to {WEEK_MINUTES:,} "
                    "(the minutes of a week)", text,
                    "minutes such as 300, or blank for the school limit")
        classes = []
        for word in split_list(r.get("classes", "")):
            k = parse_class(word, None)
            if k is None:
                err("classes", "unknown class format", word, "grade-number such as 3-2")
            else:
                classes.append(k)
        if not _errors_since(problems, bad):
            out.append(Teacher(tid, r["name"], bool(flags["volunteer"]),
                               bool(flags["can_manage"]), kind, rate, weekly, tuple(classes),
                               bool(flags["allow_double"])))
    return out


_EN_SESSION_NAMES = {"noon": "noon care", "after-lower": "afternoon care (lower grades)",
                     "after-upper": "afternoon care (upper grades)"}
_WINDOW_NAMES = {"noon": ("午间", "中午", "午托"), "afternoon": ("下午", "晚托")}


def _label_key(text: str) -> str:
    """How a session's name is compared: case, spaces and the width of brackets aside."""
    return re.sub(r"\s", "", clean.clean_text(text)[0]).casefold()


def session_names(school: School) -> tuple[dict[str, str], list[str]]:
    """What the 时段 column of availability may hold -> the session or duty window it
    means, and the names to suggest (display names first, then ids).

    Accepted: a session's id and its name in ``school.toml`` (午托, 晚托(低年级)), the
    English name of a standard session, a duty window's id (``noon``, ``afternoon``) and
    its words (午间, 下午; 晚托 for the afternoon window, as the students' sheet heads its
    column). An id wins over a name; a name two sessions share means neither."""
    windows = [w.id for w in duty_windows(school.sessions)]
    names: dict[str, str] = {}
    shared: set[str] = set()
    for s in school.sessions:
        for label in (s.name, _EN_SESSION_NAMES.get(s.id, "")):
            key = _label_key(label)
            if key and names.get(key, s.id) != s.id:
                shared.add(key)
            elif key:
                names[key] = s.id
    for w in windows:
        for label in _WINDOW_NAMES.get(w, ()):
            names.setdefault(_label_key(label), w)
    for key in shared:
        del names[key]
    for ident in [*windows, *(s.id for s in school.sessions)]:
        names[_label_key(ident)] = ident
        names[ident] = ident
    shown = [s.name for s in school.sessions if _label_key(s.name) in names
             and names[_label_key(s.name)] == s.id]
    shown += [label for w in windows for label in _WINDOW_NAMES.get(w, ())[:1]
              if names.get(_label_key(label)) == w and label not in shown]
    return names, shown


def _availability(school: School, teachers: list[Teacher], named: set[str], file: str, rows,
                  problems: list[Problem]) -> list[Availability]:
    by_id = {clean.id_key(t.id): t for t in teachers}
    named = {clean.id_key(t) for t in named}
    sessions = {s.id: s for s in school.sessions}
    windows = {w.id: w for w in duty_windows(school.sessions)}
    known, shown = session_names(school)
    out, seen = [], {}
    idle: dict[str, list[int]] = {}  # a non-volunteer's declared times: their rows
    for n, r in rows:
        bad = len(problems)
        err = _reporter(problems, file, n)

        teacher = by_id.get(clean.id_key(r["teacher"]))
        if clean.id_key(r["teacher"]) not in named:
            err("teacher", "unknown teacher", r["teacher"], "an id from teachers.csv")
        # one weekday, or several (周二 周四), or a range (周二至周五): a row for each
        days, unknown, ranged = parse_days_ranged(r["day"])
        if unknown or not days or any(d not in WEEKDAYS and d not in ranged for d in days):
            err("day", "unknown weekday", r["day"], "Mon … Fri or 周一…周五 (a range: "
                "周二至周五, Tue-Fri)")
        text = r["session"].strip()
        sid = known.get(text) or known.get(_label_key(text))
        if sid is None:
            err("session", "unknown session or duty window", text,
                ", ".join(shown + sorted(set(sessions) | set(windows))))
        status = _pick("availability", r["status"])
        if status is None:
            err("status", "unknown status", r["status"], "available, preferred or unavailable")
        if _errors_since(problems, bad) or teacher is None:
            continue
        runs = sessions[sid].days if sid in sessions else WEEKDAYS
        for day in days:
            if day in ranged and day not in runs:
                continue  # 周一至周五 for a Tue–Fri session: the days it runs
            key = (teacher.id, day, sid)
            if key in seen:
                err("session", f"repeated (also on row {seen[key]})",
                    f"{r['teacher']} {day} {text}", "one row per teacher, day and session")
                continue
            seen[key] = n
            if sid in sessions and day not in sessions[sid].days:
                err("day", f"{text} does not run on {day}; row ignored", r["day"],
                    " ".join(sessions[sid].days), severity="warning")
            if not teacher.volunteer and status != "unavailable":
                idle.setdefault(teacher.id, []).append(n)
            out.append(Availability(teacher.id, day, sid, status))
    for tid, at in idle.items():  # stopped volunteering (SPEC §9): kept, never used
        at = sorted(set(at))
        problems.append(Problem(
            file, f"{tid} does not volunteer (teachers.csv), so the {len(at)} time(s) declared "
            f"here (rows {', '.join(map(str, at[:5]))}{' ...' if len(at) > 5 else ''}) are not "
            "used: teachers serve only by choice; set volunteer = yes to use them",
            row=at[0], column="teacher", value=tid, expected="a volunteer's id",
            severity="warning"))
    declared = {a.teacher for a in out if a.status != "unavailable"}
    for t in teachers:
        if t.volunteer and t.id not in declared:
            problems.append(Problem("teachers.csv" if file.endswith(".csv") else file,
                                    f"volunteer {t.id} declared no available time and will "
                                    "not be assigned", column="id", value=t.id,
                                    severity="warning"))
    return out


def _ids_across_files(raw, problems: list[Problem]) -> None:
    """A student id that is also a staff id makes rosters and pay ambiguous."""
    staff = {clean.id_key(r["id"]): n for n, r in raw["teachers"][1] if r["id"]}
    file = raw["students"][0]
    for n, r in raw["students"][1]:
        if r["id"] and clean.id_key(r["id"]) in staff:
            problems.append(Problem(file, f"id is also a staff id ({raw['teachers'][0]} row "
                                    f"{staff[clean.id_key(r['id'])]})", row=n, column="id",
                                    value=r["id"],
                                    expected="ids unique across students and staff"))


def _manager_windows(school: School, students, teachers, avail, problems) -> None:
    """A duty window that needs a manager on some day (even with the fewest groups) but that
    no volunteer who can manage has declared: a warning, the plan lists it as a manager
    shortage (always a plan: a real school may have no manager volunteer that day)."""
    from afterschool.models.instance import Instance
    from afterschool.scheduler.reading.summary import manager_rows

    inst = Instance(school, tuple(students), tuple(teachers), tuple(avail))
    for row in manager_rows(inst):
        if row["managers_needed"] and not row["can_manage"]:
            d, w = row["day"], row["window"]
            problems.append(Problem(
                "availability.csv", f"{d} {w} needs a manager but no volunteer who "
                "can manage declared that time: the plan leaves it short; add rows such as "
                f"'T001,{d},{w},available' for a can_manage = yes volunteer",
                column="session", value=f"{d} {w}", severity="warning"))
