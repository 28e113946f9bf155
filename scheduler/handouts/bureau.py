"""The reports upward as the office files them (SPEC §11): ``bureau.csv`` (one row per
school and the totals), ``bureau.xlsx`` (that table, then the tables city platforms
collect) and ``bureau.html`` (the summary as a page to open and print, every text
escaped), headers in the schools' language; the printed summary.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from afterschool.scheduler.handouts.output import write_text
from afterschool.scheduler.handouts.sheets import write_tables
from afterschool.scheduler.record.bureau import INDICATORS
from afterschool.scheduler.say import table

TABLES = {
    "classes": ["school", "class", "pupils"],
    "staff": ["school", "staff", "name", "kind"],
    "payments": ["school", "student", "date", "amount", "channel", "receipt"],
    "refunds": ["school", "student", "refund", "credit"],
    "groups": ["school", "group", "session", "teachers", "pupils"],
    "attendance": ["school", "date", "session", "late", "early", "leave", "absent"],
    "staff_attendance": ["school", "date", "not_held", "replaced"],
}
HEADERS = table("bureau")  # words: scheduler/say_zh.py, say_en.py


def _percent(x) -> str:
    return "" if x is None else f"{x * 100:.1f}%"


def summary_lines(rows: list[dict], total: dict, lang: str) -> list[str]:
    w = HEADERS.get(lang, HEADERS["en"])
    out = []
    for r in rows + [dict(total, school=w["total"])]:
        rate = w["rate"].format(p=_percent(r["participation_rate"])) \
            if r["participation_rate"] is not None else ""
        out.append(w["line"].format(**{**r, "rate": rate}))
    return out


def write_bureau(reports: list[dict], total: dict, folder: Path, lang: str) -> list[Path]:
    w = HEADERS.get(lang, HEADERS["en"])
    rows = [dict(r["row"], participation_rate=_percent(r["row"]["participation_rate"]),
                 five_day_share=_percent(r["row"]["five_day_share"])) for r in reports]
    last = dict(total, school=w["total"], participation_rate=_percent(
        total["participation_rate"]), five_day_share=_percent(total["five_day_share"]))
    sheets = [(w["summary"], rows + [last], INDICATORS, [])]
    for key, cols in TABLES.items():
        sheets.append((w[f"{key}_t"], [x for r in reports for x in r["tables"][key]], cols, []))
    paths = write_tables(folder, "bureau", sheets, header_words=w, total_label=w["total"])
    return paths + [write_text(folder / "bureau.html", bureau_html(rows + [last], lang))]


def bureau_html(rows: list[dict], lang: str) -> str:
    """The summary table as one self-contained page (A4 landscape when printed)."""
    w = HEADERS.get(lang, HEADERS["en"])
    head = "".join(f"<th>{escape(w.get(k, k))}</th>" for k in INDICATORS)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if r.get(k) is None else str(r[k]))}"
                                    "</td>" for k in INDICATORS) + "</tr>" for r in rows)
    title = escape(w["summary"])
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{title}</title><style>'
            "@page{size:A4 landscape;margin:12mm}body{font-family:sans-serif;font-size:11pt}"
            "table{border-collapse:collapse}th,td{border:1px solid #999;padding:3px 6px}"
            "td{text-align:right}td:first-child{text-align:left}"
            f"</style></head><body><h1>{title}</h1><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></body></html>")
