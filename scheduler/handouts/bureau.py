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

TABLES = {
    "classes": ["school", "class", "pupils"],
    "staff": ["school", "staff", "name", "kind"],
    "payments": ["school", "student", "date", "amount", "channel", "receipt"],
    "refunds": ["school", "student", "refund", "credit"],
    "groups": ["school", "group", "session", "teachers", "pupils"],
    "attendance": ["school", "date", "session", "late", "early", "leave", "absent"],
    "staff_attendance": ["school", "date", "not_held", "replaced"],
}
HEADERS = {
    "zh": {"school": "学校", "pupils": "学生数", "enrolled": "参加人数",
           "participation_rate": "参与率", "five_day_share": "五天全参加占比",
           "staff": "教师数", "staff_on_duty": "参与教师", "external_staff": "外聘人员",
           "income": "服务费收入(元)", "refunds": "退费(元)", "pay": "劳务费(元)",
           "balance": "结余(元)", "class": "班级", "name": "姓名", "kind": "类别",
           "student": "学号", "date": "日期", "amount": "金额(元)", "channel": "方式",
           "receipt": "票据号", "refund": "退费(元)", "credit": "结转(元)", "group": "组别",
           "session": "时段", "teachers": "看护教师", "late": "迟到", "early": "早退",
           "leave": "请假", "absent": "缺勤", "not_held": "未开展", "replaced": "他人代",
           "total": "合计", "summary": "汇总", "classes_t": "参与班级", "staff_t": "参与教师",
           "payments_t": "缴费", "refunds_t": "退费", "groups_t": "教学组",
           "attendance_t": "学生考勤", "staff_attendance_t": "教师考勤",
           "line": "{school}：参加 {enrolled} 人{rate}，教师 {staff_on_duty} 人（外聘 "
                   "{external_staff}），收入 {income} 元，退费 {refunds} 元，劳务费 {pay} 元，"
                   "结余 {balance} 元", "rate": "（参与率 {p}）"},
    "en": {"total": "total", "summary": "summary", "classes_t": "classes", "staff_t": "staff",
           "payments_t": "payments", "refunds_t": "refunds", "groups_t": "groups",
           "attendance_t": "attendance", "staff_attendance_t": "staff attendance",
           "line": "{school}: {enrolled} pupils{rate}, {staff_on_duty} staff ({external_staff} "
                   "external), income {income}, refunds {refunds}, pay {pay}, balance {balance}",
           "rate": " ({p} of the school)"},
}


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
