"""Reading tables from CSV or Excel with the row numbers a user sees, and their vocabulary.

``read_table`` returns the header and rows (row number as Excel shows it, header = 1) of a CSV
file in UTF-8, UTF-8 with BOM, GB18030 or UTF-16 tab-separated text, or of one sheet of an
``.xlsx`` workbook (through openpyxl). Blank rows are skipped but keep their numbers.
``COLUMNS`` maps the Chinese and English header names a school's sheet would have to the
canonical column names of SPEC §8; the ``parse_*`` helpers read one cell's vocabulary.
Every cell goes through ``clean_cell`` (the normalisation layer of ``clean``) in
``table_from_rows``; problems in ``PRIVATE`` columns hide their value. Workbook sheets are
streamed read-only within the header's width, and non-blank rows come back with their Excel
row numbers.
"""
from __future__ import annotations

import csv
import functools
import io
import re
from datetime import date, datetime
from pathlib import Path

from afterschool.models.errors import Problem
from afterschool.scheduler.reading import clean

csv.field_size_limit(clean.MAX_FILE_BYTES)  # a long value is reported by its length cap

# canonical column -> accepted header spellings (compared after normalising case and spaces)
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "students": {
        "id": ("id", "学号", "编号", "学生编号"),
        "name": ("name", "姓名", "学生姓名"),
        "grade": ("grade", "年级"),
        "class": ("class", "班级", "班"),
        "noon": ("noon", "午托", "午托日期", "午托(星期)"),
        "afternoon": ("afternoon", "晚托", "晚托日期", "晚托(星期)"),
        "priority": ("priority", "优先", "优先类别", "优先保障"),
        "fee_category": ("fee_category", "收费类别", "费用类别"),
        "fee_reduction": ("fee_reduction", "减免", "减免额度", "减免金额"),
        "lunch": ("lunch", "午餐"),
        "status": ("status", "状态", "报名状态"),
        "applied_on": ("applied_on", "申请日期", "报名日期"),
    },
    "teachers": {
        "id": ("id", "工号", "编号", "教师编号"),
        "name": ("name", "姓名", "教师姓名"),
        "volunteer": ("volunteer", "自愿", "自愿参加", "是否自愿"),
        "can_manage": ("can_manage", "可任管理", "管理", "可管理"),
        "kind": ("kind", "类型", "人员类型"),
        "hourly_rate": ("hourly_rate", "课时费", "每小时报酬", "时薪", "课时费(元/小时)"),
        "max_weekly_minutes": ("max_weekly_minutes", "每周上限", "每周最多分钟", "每周上限(分钟)"),
        "classes": ("classes", "任教班级", "班级"),
        "allow_double": ("allow_double", "允许同日两段", "可午晚同日"),
    },
    "availability": {
        "teacher": ("teacher", "教师", "工号", "教师编号"),
        "day": ("day", "星期", "日期"),
        "session": ("session", "时段", "服务时段"),
        "status": ("status", "状态", "意愿"),
    },
    "rooms": {"id": ("id", "编号", "教室编号", "教室"), "name": ("name", "名称", "教室名称"),
              "capacity": ("capacity", "容量", "座位数"),
              "homeroom_class": ("homeroom_class", "所属班级", "班级")},
}
REQUIRED = {
    "students": ("id", "name", "grade", "class", "noon", "afternoon", "status"),
    "teachers": ("id", "name", "volunteer"),
    "availability": ("teacher", "day", "session", "status"),
    "rooms": ("id", "capacity"),
}
SHEET_NAMES = {
    "school": ("school", "学校"),
    "students": ("students", "学生"),
    "teachers": ("teachers", "教师"),
    "availability": ("availability", "可用时间", "教师可用时间"),
}

_DAY_WORDS = {
    "mon": "Mon", "monday": "Mon", "周一": "Mon", "星期一": "Mon", "一": "Mon",
    "tue": "Tue", "tuesday": "Tue", "周二": "Tue", "星期二": "Tue", "二": "Tue",
    "wed": "Wed", "wednesday": "Wed", "周三": "Wed", "星期三": "Wed", "三": "Wed",
    "thu": "Thu", "thursday": "Thu", "周四": "Thu", "星期四": "Thu", "四": "Thu",
    "fri": "Fri", "friday": "Fri", "周五": "Fri", "星期五": "Fri", "五": "Fri",
    "sat": "Sat", "saturday": "Sat", "周六": "Sat", "星期六": "Sat",
    "sun": "Sun", "sunday": "Sun", "周日": "Sun", "星期日": "Sun", "星期天": "Sun",
}
_YES = {"yes", "y", "true", "1", "是", "√", "✓", "可以", "愿意"}
_NO = {"no", "n", "false", "0", "否", "×", "不", "不愿意", ""}
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
           "十": 10}
VOCAB = {
    "priority": {"disabled": "disabled", "残疾": "disabled", "残疾儿童": "disabled",
                 "left_behind": "left_behind", "留守": "left_behind", "留守儿童": "left_behind",
                 "migrant": "migrant", "随迁": "migrant", "随迁子女": "migrant",
                 "进城务工人员随迁子女": "migrant", "staff_child": "staff_child",
                 "干部职工子女": "staff_child", "职工子女": "staff_child"},
    "fee_category": {"normal": "normal", "正常": "normal", "普通": "normal", "": "normal",
                     "exempt": "exempt", "免收": "exempt", "建档立卡": "exempt",
                     "reduced": "reduced", "减免": "reduced", "家庭经济困难": "reduced"},
    "status": {"enrolled": "enrolled", "已录取": "enrolled", "在册": "enrolled",
               "已签约": "enrolled", "applied": "applied", "申请": "applied",
               "已申请": "applied", "withdrawn": "withdrawn", "退出": "withdrawn",
               "已退出": "withdrawn"},
    "kind": {"staff": "staff", "": "staff", "本校": "staff", "教职工": "staff",
             "external": "external", "外聘": "external"},
    "availability": {"available": "available", "可以": "available", "有空": "available",
                     "preferred": "preferred", "优先": "preferred", "希望": "preferred",
                     "unavailable": "unavailable", "不可": "unavailable", "没空": "unavailable"},
}


def _norm_header(text: str) -> str:
    return re.sub(r"[\s（）()]", "", str(text)).lower()


class DecodeError(ValueError):
    """Bytes that are no text in any encoding Excel writes; ``row`` is where it breaks."""

    def __init__(self, message: str, row: int):
        super().__init__(message)
        self.row = row


def decode_bytes(raw: bytes, file: str) -> tuple[str, str]:
    """Text and its encoding: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030.

    A file that is UTF-8 up to a broken or truncated character is reported there (row
    named) rather than read as GB18030, which would turn every name into nonsense.
    """
    def broken(start: int, why: str) -> DecodeError:
        row = raw[:start].count(b"\n") + 1
        return DecodeError(f"{why} (byte offset {start}); save the file from Excel as "
                           "'CSV UTF-8' and try again", row)

    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(codec if codec == "utf-8" else
                                             ("utf-16-le" if bom == b"\xff\xfe" else
                                              "utf-16-be")), codec
            except UnicodeDecodeError as exc:
                raise broken(exc.start + len(bom), f"broken {codec} text") from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        head = raw[: exc.start].decode("utf-8")
        cjk = sum(1 for ch in head if "\u4e00" <= ch <= "\u9fff")
        if exc.reason == "unexpected end of data" or cjk >= 2:  # UTF-8 Chinese, then a break
            raise broken(exc.start, "broken or truncated UTF-8 character") from None
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise broken(exc.start, "the file is not UTF-8, UTF-16 or GB18030 text") from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class CsvError(ValueError):
    """A malformed CSV record; ``row`` is where the reader stopped."""

    def __init__(self, message: str, row: int):
        super().__init__(message)
        self.row = row


def check_size(path: Path) -> None:
    """Refuse a file larger than ``MAX_FILE_BYTES`` before reading it."""
    size = path.stat().st_size
    if size > clean.MAX_FILE_BYTES:
        raise CsvError(f"file too large ({size:,} bytes; at most {clean.MAX_FILE_BYTES:,}): "
                       "is this the right file?", 1)


def read_csv_rows(path: Path) -> list[list[str]]:
    """Raw records of a CSV file (delimiter: tab for UTF-16 or tab-only headers).

    Files over ``MAX_FILE_BYTES`` or with more than ``MAX_ROWS`` records are refused."""
    check_size(path)
    text, _ = decode_bytes(path.read_bytes(), path.name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > clean.MAX_ROWS + 1:
                raise CsvError(f"more than {clean.MAX_ROWS:,} rows: too large for one "
                               "school's table", len(rows))
    except csv.Error as exc:
        raise CsvError(f"malformed CSV ({exc}): a quote is not closed or stands inside a "
                       "value", len(rows) + 1) from None
    return rows


def _merged_ranges(ws) -> list[str]:
    """``A1:B2`` references of the merged cells of a read-only sheet (streamed, bounded)."""
    from xml.etree.ElementTree import iterparse
    refs: list[str] = []
    try:
        with ws._get_source() as src:  # the sheet's XML inside the archive
            for _, el in iterparse(src, events=("end",)):
                if el.tag.endswith("}mergeCell") and el.get("ref"):
                    refs.append(el.get("ref"))
                el.clear()
    except Exception:  # noqa: BLE001 - merged cells are a hint; values are checked anyway
        return refs
    return refs


def read_sheet_rows(workbook, sheet: str, file: str, problems: list[Problem],
                    formulas=None) -> list[tuple[int, list[str]]]:
    """(Excel row, values) of the non-blank rows of one worksheet, within the used range.

    The workbook is opened read-only: rows are streamed, columns stop at the header's last
    named column, so a stray cell at XFD1048576 costs nothing. Merged cells and formulas
    without a saved value are problems (an unmerged copy of the sheet is what the reader
    needs); a formula's text is never printed (it may be a name)."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
    ws = workbook[sheet]
    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    named = [i for i, v in enumerate(header) if _cell_text(v)]
    width = min(named[-1] + 1 if named else 1, clean.MAX_COLUMNS)
    if named and named[-1] + 1 > clean.MAX_COLUMNS:
        problems.append(Problem(file, f"more than {clean.MAX_COLUMNS} columns", row=1))
    head = [_cell_text(v) for v in header[:width]]
    for ref in _merged_ranges(ws):
        col, row = coordinate_from_string(ref.split(":")[0])
        c = column_index_from_string(col)
        problems.append(Problem(file, f"merged cells {ref}: unmerge them and fill in every "
                                "row", row=row,
                                column=head[c - 1] if c <= len(head) and head[c - 1] else ref))
    rows: list[tuple[int, list[str]]] = []
    for n, row in enumerate(ws.iter_rows(max_col=width, values_only=True), start=1):
        if all(v is None or v == "" for v in row):
            continue
        if len(rows) > clean.MAX_ROWS:
            problems.append(Problem(file, f"more than {clean.MAX_ROWS:,} rows: too large for "
                                    "one school's table", row=n))
            return []
        rows.append((n, [_cell_text(v) for v in row]))
    if formulas is not None:
        values = dict(rows)
        for r, row in enumerate(formulas[sheet].iter_rows(max_col=width, values_only=True),
                                start=1):
            if r > (rows[-1][0] if rows else 0) and all(v is None for v in row):
                continue
            for c, v in enumerate(row, start=1):
                if isinstance(v, str) and v.startswith("=") and (
                        r not in values or c > len(values[r]) or values[r][c - 1] == ""):
                    problems.append(Problem(file, "formula without a saved value: open the "
                                            "file in Excel or WPS and save it again",
                                            row=r, column=head[c - 1] if c <= len(head)
                                            and head[c - 1] else str(c)))
    return rows


PRIVATE = frozenset({"name", "priority", "fee_category", "fee_reduction"})  # never printed
ID_COLUMNS = {"students": ("id",), "teachers": ("id",), "availability": ("teacher",),
              "rooms": ("id",)}


def clean_cell(text: str, column: str, kind: str, file: str, row: int,
               problems: list[Problem]) -> str:
    """One cell through ``clean.clean_text`` (and the id alphabet for id columns); problems
    name file, row and column, and hide the value of a private column."""
    limit = clean.LIMITS.get(column, clean.LABEL_MAX)
    if kind == "availability" and column == "session":
        limit = clean.LABEL_MAX  # a session's id or its name in school.toml
    value, found = clean.clean_text(text, limit)
    if column in ID_COLUMNS.get(kind, ()):
        why = clean.id_problem(value)
        if why and not found:
            found.append(why)
    for msg in found:
        problems.append(Problem(file, msg, row=row, column=column, value=text,
                                expected="plain text" if column not in ID_COLUMNS.get(kind, ())
                                else "letters, digits, - _ .",
                                private=column in PRIVATE))
    return value


def _numbered(records) -> list[tuple[int, list[str]]]:
    if records and isinstance(records[0], tuple):
        return list(records)
    return list(enumerate(records, start=1))


def table_from_rows(records, file: str, kind: str,
                    problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    """Map header names to canonical columns; return (excel row, {column: text}) pairs.

    ``records`` are the rows of a CSV file (row 1 first) or (Excel row, values) pairs of a
    sheet. Every cell passes ``clean_cell`` before anything else looks at it."""
    records = _numbered(records)
    if not records or records[0][0] != 1 or not any(c.strip() for c in records[0][1]):
        problems.append(Problem(file, "the table is empty: the first row must hold the "
                                "column names", row=1,
                                expected=", ".join(REQUIRED[kind])))
        return []
    head_cells = records[0][1]
    if len(head_cells) > clean.MAX_COLUMNS:
        problems.append(Problem(file, f"the header has {len(head_cells):,} columns; at most "
                                f"{clean.MAX_COLUMNS}", row=1))
        return []
    aliases = {_norm_header(a): canon for canon, names in COLUMNS[kind].items() for a in names}
    index: dict[str, int] = {}
    for i, raw_head in enumerate(head_cells):
        head, found = clean.clean_text(raw_head)
        if not head:
            continue
        canon = aliases.get(_norm_header(head))
        if canon is None:
            problems.append(Problem(file, "unknown column, ignored", row=1, column=head,
                                    severity="warning"))
        elif canon in index:
            problems.append(Problem(file, f"two columns mean '{canon}'", row=1, column=head,
                                    expected="each column once"))
        else:
            index[canon] = i
    missing = [c for c in REQUIRED[kind] if c not in index]
    for col in missing:
        problems.append(Problem(file, "required column missing", row=1, column=col,
                                expected=f"a column named '{col}' or "
                                f"'{COLUMNS[kind][col][1] if len(COLUMNS[kind][col]) > 1 else col}'"))
    if missing:
        return []
    width = len(head_cells)
    rows = []
    for n, rec in records[1:]:
        if not any(c.strip() for c in rec):
            continue
        if len(rec) > width and any(c.strip() for c in rec[width:]):
            problems.append(Problem(file, f"row has {len(rec)} values but the header has "
                                    f"{width} columns (a stray comma or quote?)", row=n))
            continue
        rows.append((n, {c: clean_cell(rec[i] if i < len(rec) else "", c, kind, file, n,
                                       problems) for c, i in index.items()}))
    return rows


def parse_yes(text: str) -> bool | None:
    t = text.strip().lower()
    if t in _YES:
        return True
    if t in _NO:
        return False
    return None


def parse_day(text: str) -> str | None:
    return _DAY_WORDS.get(text.strip().lower())


def split_list(text: str) -> list[str]:
    return [p for p in re.split(r"[\s,，、;；/]+", text.strip()) if p]


_WEEK = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_PATTERN = "|".join(sorted((re.escape(w) for w in _DAY_WORDS), key=len, reverse=True))
# a range of weekdays as a clerk types it: 周一至周五, 周二到周五, Mon-Fri, Tue – Thu, 一~五
_RANGE = re.compile(rf"(?<![a-z])({_DAY_PATTERN})\s*(?:至|到|~|～|-|–|—|to)\s*"
                    rf"({_DAY_PATTERN})(?![a-z])", re.IGNORECASE)


def parse_days(text: str) -> tuple[list[str], list[str]]:
    """Weekdays in a cell (``Tue Thu``, ``周二、周四``, ``周一至周五``, ``Mon-Fri``) ->
    (days in week order, bad words)."""
    days, bad, _ = parse_days_ranged(text)
    return days, bad


def parse_days_ranged(text: str) -> tuple[list[str], list[str], set[str]]:
    """``parse_days`` and the days that only a range named (``周一至周五`` for a session
    that runs Tue–Fri names Mon through the range, which the caller may drop). A range
    that runs backwards (``周五至周一``) is a bad word."""
    days, bad, only_ranged = _days_ranged(text)  # a sheet repeats a few cells many times
    return list(days), list(bad), set(only_ranged)


@functools.lru_cache(maxsize=4096)
def _days_ranged(text: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    ranged: set[str] = set()
    named: list[str] = []
    bad: list[str] = []

    def expand(m: re.Match) -> str:
        a, b = parse_day(m.group(1)), parse_day(m.group(2))
        i, j = _WEEK.index(a), _WEEK.index(b)
        if j < i:
            bad.append(m.group(0))
            return " "
        ranged.update(_WEEK[i:j + 1])
        return " "
    rest = _RANGE.sub(expand, text)
    for word in split_list(rest):
        d = parse_day(word)
        (named if d else bad).append(d or word)
    order = {d: i for i, d in enumerate(_WEEK)}
    days = sorted(set(named) | ranged, key=lambda d: order[d])
    return tuple(days), tuple(bad), frozenset(ranged - set(named))


def parse_grade(text: str) -> int | None:
    t = text.strip().replace("年级", "")
    if re.fullmatch(r"[0-9]{1,3}", t):
        return int(t)
    return _CN_NUM.get(t)


def parse_class(text: str, grade: int | None) -> str | None:
    """``3-2``, ``3(2)``, ``3年级2班``, ``三(2)班`` or just ``2`` -> ``3-2``."""
    t = text.strip().replace("（", "(").replace("）", ")").replace(" ", "")
    m = re.fullmatch(r"(\d+|[一二三四五六])(?:年级|-|\(|班|\.)?(\d+|[一二三四五六七八九十])\)?班?", t)
    if m:
        g = parse_grade(m.group(1))
        num = m.group(2)
        k = int(num) if num.isdigit() else _CN_NUM.get(num)
        return f"{g}-{k}" if g and k else None
    if re.fullmatch(r"\d+班?", t) and grade:
        return f"{grade}-{int(t.rstrip('班'))}"
    return None


_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)"
                   r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


def parse_date(text: str) -> date | None:
    """``2026-08-13`` (also ``2026/8/13``, ``2026.8.13``) or ``2026年8月13日``; anything else,
    day-first forms such as ``13.8.2026`` included, is None."""
    m = _DATE.fullmatch(text.strip())
    if not m:
        return None
    y, mo, d = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None
