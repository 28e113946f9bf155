"""What actually happened (SPEC §11): the roll-call workbook, and the files an office types
back — attendance and payments — read and checked against the term's plan.

- ``roll_call(plan, week, lang)``: per group meeting in the week of ``week`` one sheet
  (then one per club meeting that week: its members, its dates, its instructor, no row for
  who actually held it; ``clubs.meetings.roll_call_sheets``; a member's mark on a club date
  is read back like a group's, ``clubs.meetings.members_on``):
  full names and class, a column per date the group meets (grey where the pupil does not
  come that weekday), a row with who is on duty each date (covers applied), a row for who
  actually supervised (blank: as planned; an id, or 未开展/not held) and a row to sign. A
  hidden row keeps the group, the session and the dates, so the filled workbook is read
  back as it was printed. ``write_roll_call`` saves it (every cell through ``neutralise``).
- ``read_attendance(path, plan)``: the filled workbook, or the long CSV ``date, session,
  student, status`` (日期, 时段, 学号, 状态) with staff rows ``date, session|window, group,
  staff, status`` (状态: 值班 / 未开展 / the id of who actually did it). Pupil statuses:
  present (到, ✓), late (迟), early (早退), leave (假, 请假), absent (缺). Every problem —
  a date that is not a service date, a pupil not in that group that date or not coming that
  weekday, an unknown id or status — names file, row and column; one problem and nothing
  of the file is recorded (``InputError``).
- ``read_payments(path, plan)``: ``student, date, amount, channel, receipt`` (学号, 日期, 金额,
  方式, 票据号); amounts positive with at most two decimals, receipts unique in the file.
- ``new_entries``: only what differs from what the record already holds (importing the same
  file twice records nothing the second time; a later entry supersedes an earlier one).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from afterschool.models.errors import InputError, Problem
from afterschool.models.plan import Plan
from afterschool.scheduler.handouts.labels import day_name, group_label
from afterschool.scheduler.handouts.safe import neutralise, sheet_title
from afterschool.scheduler.record.questions import _presence, version_on, weekday_of, who
from afterschool.scheduler.reading.tables import DecodeError, decode_bytes, parse_date
from afterschool.scheduler.say import table

MARK = "afterschool-roll-call/1"
MAX_BYTES = 200_000_000
PUPIL_WORDS = {"present": "present", "到": "present", "✓": "present", "√": "present",
               "v": "present", "late": "late", "迟": "late", "迟到": "late",
               "early": "early", "早退": "early", "leave": "leave", "假": "leave",
               "请假": "leave", "absent": "absent", "缺": "absent", "缺勤": "absent"}
NOT_HELD = ("not held", "未开展", "未举行")
ON_DUTY = ("on duty", "值班", "按计划")
HEADERS = {
    "date": ("date", "日期"), "session": ("session", "时段", "window", "管理时段"),
    "student": ("student", "学号"), "status": ("status", "状态"), "group": ("group", "组别"),
    "staff": ("staff", "工号"), "amount": ("amount", "金额"), "channel": ("channel", "方式"),
    "receipt": ("receipt", "票据号"),
}
WORDS = table("roll")  # words: scheduler/say_zh.py, say_en.py


@dataclass
class Entries:
    pupils: list[tuple[str, str, str, str]] = field(default_factory=list)  # date, session, id, status
    staff: list[dict] = field(default_factory=list)  # date, part, group, staff, status


# --- the roll-call workbook ------------------------------------------------------------
def week_dates(plan: Plan, day: date) -> list[tuple[date, str]]:
    """The service dates of the calendar week holding ``day``, with their weekday."""
    monday = day - timedelta(days=day.weekday())
    out = []
    for i in range(7):
        d = monday + timedelta(days=i)
        wd = weekday_of(plan, d)
        if wd is not None:
            out.append((d, wd))
    return out


def roll_call(plan: Plan, day: date, lang: str) -> list[dict]:
    """One sheet per group meeting in the week: title, dates, pupils, duty rows."""
    people = plan.extra.get("people", {})
    names = people.get("students", {})
    staff_names = people.get("staff", {})
    sheets: dict[str, dict] = {}
    for d, wd in week_dates(plan, day):
        v = version_on(plan, d)
        present = _presence(plan, v, wd)
        duties = who(plan, d, [])
        for g in v.groups:
            coming = [s for s in g.students if present(s, g.session)]
            if not coming:
                continue
            sheet = sheets.setdefault(g.id, {"group": g.id, "session": g.session,
                                             "dates": [], "pupils": {}, "duty": {}})
            sheet["dates"].append((d, wd))
            for s in g.students:
                sheet["pupils"].setdefault(s, set())
                if present(s, g.session):
                    sheet["pupils"][s].add(d)
            held = sorted({r["staff"] or "" for r in duties if r["group"] == g.id})
            sheet["duty"][d] = "、".join(
                f"{staff_names.get(x, {}).get('name', x)}（{x}）" if x else
                WORDS.get(lang, WORDS["en"])["nobody"] for x in held)
    out = []
    for gid, sh in sheets.items():
        rows = sorted(sh["pupils"], key=lambda s: (names.get(s, {}).get("class", ""),
                                                   names.get(s, {}).get("name", s), s))
        out.append(sh | {"order": rows, "label": group_label(plan, gid, lang, sh["session"])})
    from afterschool.scheduler.clubs.meetings import roll_call_sheets  # then the clubs'
    clubs = [sh | {"order": sorted(sh["pupils"], key=lambda s: (
        names.get(s, {}).get("class", ""), names.get(s, {}).get("name", s), s))}
        for sh in roll_call_sheets(plan, week_dates(plan, day), lang, staff_names)]
    return sorted(out, key=lambda sh: (sh["session"], sh["group"])) + clubs


def write_roll_call(plan: Plan, day: date, path: Path, lang: str) -> int:
    """The roll-call workbook for the week of ``day``; returns the number of sheets."""
    import xlsxwriter

    from afterschool.scheduler.handouts.output import write_atomic
    w = WORDS.get(lang, WORDS["en"])
    sheets = roll_call(plan, day, lang)
    names = plan.extra.get("people", {}).get("students", {})

    def save(tmp: Path) -> None:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                              "strings_to_urls": False})
        head = book.add_format({"bold": True, "border": 1, "align": "center",
                                "font_size": 11})
        cell = book.add_format({"border": 1, "font_size": 11})
        grey = book.add_format({"border": 1, "bg_color": "#BFBFBF", "pattern": 1})
        title = book.add_format({"bold": True, "font_size": 14})
        small = book.add_format({"font_size": 10, "italic": True})
        taken: set[str] = set()
        for sh in sheets or [{"label": w["title"].format(g="", a="", b=""), "dates": [],
                              "order": [], "group": "", "session": "", "pupils": {},
                              "duty": {}}]:
            # a Chinese label fits a sheet tab; an English one is cut, so the id is used
            ws = book.add_worksheet(sheet_title(sh["label"] if lang == "zh" else sh["group"],
                                                taken))
            taken.add(ws.name)
            dates = sh["dates"]
            a = dates[0][0].isoformat() if dates else ""
            b = dates[-1][0].isoformat() if dates else ""
            ws.write_string(0, 0, neutralise(w["title"].format(g=sh["label"], a=a, b=b)), title)
            ws.write_row(1, 0, [MARK, sh["group"], sh["session"]]
                         + [d.isoformat() for d, _ in dates])
            ws.set_row(1, None, None, {"hidden": True})
            heads = [w["id"], w["name"], w["class"]] + [
                f"{d.month}月{d.day}日 {day_name(wd, 'zh')}" if lang == "zh"
                else f"{d.isoformat()} {wd}" for d, wd in dates]
            for c, text in enumerate(heads):
                ws.write_string(2, c, neutralise(text), head)
            r = 3
            for sid in sh["order"]:
                info = names.get(sid, {})
                ws.write_string(r, 0, neutralise(sid), cell)
                ws.write_string(r, 1, neutralise(info.get("name", "")), cell)
                ws.write_string(r, 2, neutralise(info.get("class", "")), cell)
                for c, (d, _) in enumerate(dates, start=3):
                    ws.write_blank(r, c, None, cell if d in sh["pupils"][sid] else grey)
                ws.set_row(r, 20)  # room to write a mark
                r += 1
            if sh["order"] and dates:
                choices = ["到", "迟", "早退", "假", "缺"] if lang == "zh" else \
                    ["present", "late", "early", "leave", "absent"]
                ws.data_validation(3, 3, r - 1, 2 + len(dates),
                                   {"validate": "list", "source": choices})
            for label, values in ((w["on_duty"], [sh["duty"].get(d, "") for d, _ in dates]),
                                  (w["actual"], [""] * len(dates)),
                                  (w["sign"], [""] * len(dates))):
                if sh.get("club") and label == w["actual"]:
                    continue  # a club's pay follows the dates held (cancellations)
                ws.write_string(r, 0, neutralise(label), head)
                ws.write_blank(r, 1, None, cell)
                ws.write_blank(r, 2, None, cell)
                for c, text in enumerate(values, start=3):
                    ws.write_string(r, c, neutralise(text), cell)
                ws.set_row(r, 28)  # room to sign
                r += 1
            ws.write_string(r + 1, 0, neutralise(w["legend"]), small)
            ws.set_column(0, 0, 14)
            ws.set_column(1, 1, 12)
            ws.set_column(2, 2, 8)
            ws.set_column(3, 2 + max(len(dates), 1), 13)
            ws.set_paper(9)
            ws.fit_to_pages(1, 0)
            ws.repeat_rows(2)
        book.close()

    write_atomic(path, save)
    return len(sheets)


# --- reading back ---------------------------------------------------------------------
class _Check:
    """Problems of one file, and what the plan says of a date, group or pupil."""

    def __init__(self, plan: Plan, file: str):
        self.plan, self.file, self.problems = plan, file, []
        self.sessions = plan.extra.get("sessions", {})
        self.by_name = {(v or {}).get("name"): k for k, v in self.sessions.items()}
        self.staff = set(plan.extra.get("people", {}).get("staff", {}))
        self.students = set(plan.extra.get("people", {}).get("students", {}))
        self._cache: dict = {}

    def err(self, row: int, column: str, message: str, value=None, expected=None) -> None:
        self.problems.append(Problem(self.file, message, row=row, column=column,
                                     value=None if value is None else str(value),
                                     expected=expected))

    def date(self, row: int, column: str, text: str) -> tuple[str, str] | None:
        d = parse_date(text) if text else None
        wd = weekday_of(self.plan, d) if d else None
        if d is None:
            self.err(row, column, "not a date", text, "YYYY-MM-DD")
        elif wd is None:
            self.err(row, column, "not a service date of the term", text,
                     "a school day on which a session runs")
            return None
        return (d.isoformat(), wd) if d else None

    def session(self, row: int, column: str, text: str) -> str | None:
        sid = text if text in self.sessions else self.by_name.get(text)
        if sid is None:
            self.err(row, column, "unknown session", text, ", ".join(sorted(self.sessions)))
        return sid

    def groups_of(self, day: str, wd: str):
        if day not in self._cache:
            v = version_on(self.plan, date.fromisoformat(day))
            present = _presence(self.plan, v, wd)
            self._cache[day] = {(s, g.session): g.id for g in v.groups for s in g.students
                                if present(s, g.session)}
        return self._cache[day]

    def clubs_of(self, day: str, wd: str) -> dict[tuple[str, str], str]:
        """(pupil, session) -> ``club-<id>``, for the clubs meeting that date."""
        from afterschool.scheduler.clubs.meetings import members_on
        key = ("clubs", day)
        if key not in self._cache:
            self._cache[key] = members_on(self.plan, date.fromisoformat(day), wd)
        return self._cache[key]


def _decode_csv(path: Path) -> list[list[str]]:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError([Problem(str(path), f"file too large ({size:,} bytes)",
                                  expected=f"at most {MAX_BYTES:,} bytes")])
    try:
        text, _ = decode_bytes(path.read_bytes(), path.name)
    except DecodeError as exc:
        raise InputError([Problem(str(path), str(exc))]) from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                               strict=True))
    except csv.Error as exc:
        raise InputError([Problem(str(path), f"malformed CSV ({exc})")]) from None


def _columns(header: list[str], want: tuple[str, ...], file: str) -> dict[str, int]:
    found = {}
    norm = [h.strip().lower() for h in header]
    for key in want:
        for alias in HEADERS[key]:
            if alias in norm:
                found[key] = norm.index(alias)
                break
    missing = [k for k in want if k not in found]
    if missing:
        raise InputError([Problem(file, "missing column(s): " + ", ".join(missing), row=1,
                                  expected=", ".join("/".join(HEADERS[k]) for k in want))])
    return found


def read_attendance(path: Path, plan: Plan) -> Entries:
    """Attendance from the filled roll-call workbook or the long CSV (see the module
    docstring); every problem at once, as ``InputError``."""
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "no such file", expected="a .csv or .xlsx file")])
    chk = _Check(plan, path.name)
    out = Entries()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        _read_roll_call(path, chk, out)
    else:
        rows = _decode_csv(path)
        if not rows:
            raise InputError([Problem(path.name, "empty file")])
        head = [h.strip().lower() for h in rows[0]]
        staff_form = any(h in HEADERS["staff"] for h in head)
        cols = _columns(rows[0], ("date", "session", "group", "staff", "status")
                        if staff_form else ("date", "session", "student", "status"), path.name)
        for n, raw in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in raw):
                continue
            get = {k: (raw[i].strip() if i < len(raw) else "") for k, i in cols.items()}
            (_staff_row if staff_form else _pupil_row)(chk, n, get, out)
    if chk.problems:
        raise InputError(chk.problems)
    return out


def _pupil_row(chk: _Check, n: int, get: dict, out: Entries, group: str | None = None) -> None:
    when = chk.date(n, "date", get["date"])
    session = chk.session(n, "session", get["session"])
    sid, word = get["student"], get["status"].strip()
    status = PUPIL_WORDS.get(word.lower() if word.isascii() else word)
    if status is None:
        chk.err(n, "status", "unknown status", word,
                "到 迟 早退 假 缺 (present late early leave absent)")
    if sid not in chk.students:
        chk.err(n, "student", "unknown pupil", sid, "a 学号 of the term's sign-ups")
        return
    if when is None or session is None or status is None:
        return
    placed = chk.groups_of(*when)
    gid = placed.get((sid, session))
    club = chk.clubs_of(*when).get((sid, session))
    if club is not None and (gid is None or group == club):
        gid = club  # in their club that day, not in care
    if gid is None or (group is not None and gid != group):
        chk.err(n, "student", "the pupil is not in this group on that date (not signed up "
                "for that weekday, or in another group)", sid)
        return
    out.pupils.append((when[0], session, sid, status))


def _staff_row(chk: _Check, n: int, get: dict, out: Entries) -> None:
    when = chk.date(n, "date", get["date"])
    part = get["session"]
    windows = {"noon", "afternoon"}
    if part not in windows:
        part = chk.session(n, "session", part)
    staff, word = get["staff"], get["status"]
    if staff not in chk.staff:
        chk.err(n, "staff", "unknown person", staff, "a 工号 of teachers.csv")
    if word in ON_DUTY or word.lower() in ON_DUTY:
        status = "on duty"
    elif word in NOT_HELD or word.lower() in NOT_HELD:
        status = "not held"
    elif word in chk.staff:
        status = word
    else:
        chk.err(n, "status", "unknown status", word, "值班, 未开展, or the 工号 of who did it")
        return
    if when is None or part is None or staff not in chk.staff:
        return
    held = who(chk.plan, date.fromisoformat(when[0]), [], teacher=staff)
    gid = get["group"] or None
    if not any((r["session"] == part or r["window"] == part) and r["group"] == gid
               for r in held):
        chk.err(n, "group", "that person has no such duty on that date", get["group"])
        return
    out.staff.append({"date": when[0], "part": part, "group": gid, "staff": staff,
                      "status": status})


def _read_roll_call(path: Path, chk: _Check, out: Entries) -> None:
    import openpyxl
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is bad input
        raise InputError([Problem(path.name, f"not a readable workbook ({exc})")]) from None
    for ws in book.worksheets:
        rows = [[("" if v is None else str(v)).strip() for v in r]
                for r in ws.iter_rows(values_only=True)]
        if len(rows) < 3 or not rows[1] or rows[1][0] != MARK:
            continue
        gid, session, dates = rows[1][1], rows[1][2], [d for d in rows[1][3:] if d]
        chk.file = f"{path.name}:{ws.title}"
        staff_rows = False
        for n, raw in enumerate(rows[3:], start=4):
            first = raw[0] if raw else ""
            if not first:
                continue
            if first not in chk.students:  # the duty rows below the pupils
                staff_rows = True
            if staff_rows:
                if first.startswith(("实际值班", "actually")):
                    for c, d in enumerate(dates, start=3):
                        text = raw[c] if c < len(raw) else ""
                        if text:
                            _actual(chk, n, c, d, gid, session, text, out)
                continue
            for c, d in enumerate(dates, start=3):
                text = raw[c] if c < len(raw) else ""
                if text:
                    _pupil_row(chk, n, {"date": d, "session": session, "student": first,
                                        "status": text}, out, group=gid)
    chk.file = path.name


def _actual(chk: _Check, n: int, c: int, day: str, gid: str, session: str, text: str,
            out: Entries) -> None:
    """The roll-call's row of who actually supervised: every person on duty in the group
    that date is replaced by ``text`` (an id) or marked not held."""
    rows = [r for r in who(chk.plan, date.fromisoformat(day), [], group=gid) if r["staff"]]
    status = "not held" if text in NOT_HELD or text.lower() in NOT_HELD else text
    if status != "not held" and status not in chk.staff:
        chk.err(n, f"column {c + 1}", "unknown person", text, "a 工号, or 未开展")
        return
    for r in rows:
        out.staff.append({"date": day, "part": session, "group": gid, "staff": r["staff"],
                          "status": status})


def new_entries(entries: Entries, recorded: dict[tuple[str, str, str], str],
                staff_recorded: list[dict]) -> Entries:
    """What ``entries`` adds to what the record holds (the latest of each key)."""
    out = Entries()
    seen: dict[tuple[str, str, str], str] = {}
    for d, s, p, st in entries.pupils:
        seen[d, s, p] = st
    out.pupils = [(d, s, p, st) for (d, s, p), st in seen.items()
                  if recorded.get((d, s, p), "present" if st == "present" else None) != st]
    have = {(r["date"], r["part"], r["group"], r["staff"]): r["status"]
            for r in staff_recorded}
    last: dict[tuple, dict] = {}
    for r in entries.staff:
        last[r["date"], r["part"], r["group"], r["staff"]] = r
    out.staff = [r for k, r in last.items() if have.get(k, "on duty" if r["status"] ==
                                                         "on duty" else None) != r["status"]]
    return out


def read_payments(path: Path, plan: Plan) -> list[dict]:
    """Payment rows (see the module docstring), checked; every problem at once."""
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "no such file", expected="a .csv file")])
    rows = _decode_csv(path)
    if not rows:
        raise InputError([Problem(path.name, "empty file")])
    cols = _columns(rows[0], ("student", "date", "amount", "channel", "receipt"), path.name)
    chk = _Check(plan, path.name)
    out, receipts = [], {}
    for n, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        get = {k: (raw[i].strip() if i < len(raw) else "") for k, i in cols.items()}
        if get["student"] not in chk.students:
            chk.err(n, "student", "unknown pupil", get["student"], "a 学号 of the sign-ups")
        d = parse_date(get["date"])
        if d is None:
            chk.err(n, "date", "not a date", get["date"], "YYYY-MM-DD")
        try:
            amount = Decimal(get["amount"].replace(",", ""))
            ok = amount.is_finite() and amount > 0 and amount == amount.quantize(
                Decimal("0.01")) and amount < Decimal("1000000")
        except InvalidOperation:
            ok = False
        if not ok:
            chk.err(n, "amount", "not an amount of money", get["amount"],
                    "yuan with at most two decimals, more than 0 (e.g. 144.00)")
        if not get["receipt"]:
            chk.err(n, "receipt", "missing receipt number")
        elif get["receipt"] in receipts:
            chk.err(n, "receipt", f"the same receipt as row {receipts[get['receipt']]}",
                    get["receipt"])
        receipts.setdefault(get["receipt"], n)
        if ok and d is not None:
            out.append({"student": get["student"], "date": d.isoformat(),
                        "amount": f"{amount:.2f}", "channel": get["channel"],
                        "receipt": get["receipt"]})
    if chk.problems:
        raise InputError(chk.problems)
    return out


def roll_call_entries(plan: Plan, day: str, group: str, marks: dict[str, str],
                      source: str) -> Entries:
    """One group's roll call on one date as the page sends it (pupil id -> status word),
    checked by the same rules as a filled sheet's column: a service date, a known status,
    and only pupils of that group that date; every problem at once, as ``InputError``."""
    chk = _Check(plan, source)
    out = Entries()
    when = chk.date(1, "date", day)
    session = None
    if when is not None:
        v = version_on(plan, date.fromisoformat(when[0]))
        session = next((g.session for g in v.groups if g.id == group), None)
        if session is None:
            chk.err(1, "group", "not a group of the plan on that date", group)
    if chk.problems:
        raise InputError(chk.problems)
    for n, (sid, word) in enumerate(marks.items(), start=1):
        _pupil_row(chk, n, {"date": when[0], "session": session, "student": sid,
                            "status": word}, out, group=group)
    if chk.problems:
        raise InputError(chk.problems)
    return out
