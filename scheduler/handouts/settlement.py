"""The settlement as the office files it (SPEC §11): a workbook with a sheet of pupils
(names beside ids, the rule in words) and one of staff, ``settlement.csv`` of the pupils,
and the printed totals — in the school's language.

Rules come from ``money.settlement`` as short codes (``plan; cancelled 2; leave 5 @100%;
withdrawn 2026-11-03 after 63 days: 50% of 10 dates back; reduced``); ``rule_text`` says
them in the school's language.
"""
from __future__ import annotations

import re
from pathlib import Path

from afterschool.scheduler.handouts.sheets import write_tables

PUPIL_COLUMNS = ["student", "name", "class", "due", "paid", "refund", "credit", "owed", "rule"]
STAFF_COLUMNS = ["staff", "name", "planned_minutes", "planned_pay", "delivered_minutes",
                 "delivered_pay"]
HEADERS = {
    "zh": {"student": "学号", "name": "姓名", "class": "班级", "due": "应收(元)",
           "paid": "已缴(元)", "refund": "应退(元)", "credit": "结转下学期(元)",
           "owed": "欠缴(元)", "rule": "依据", "staff": "工号",
           "planned_minutes": "计划分钟", "planned_pay": "计划劳务费(元)",
           "delivered_minutes": "实际分钟", "delivered_pay": "实发劳务费(元)",
           "pupils": "学生结算", "people": "教师劳务费", "total": "合计"},
    "en": {"pupils": "pupils", "people": "staff", "total": "total"},
}
TOTALS = {
    "zh": ["应收合计 {due} 元，已缴 {paid} 元，应退 {refund} 元，结转 {credit} 元，欠缴 {owed} 元",
           "劳务费：计划 {planned_pay} 元，实发 {delivered_pay} 元；专款结余 {fund_balance} 元"],
    "en": ["due {due}, paid {paid}, refunds {refund}, credits {credit}, still owed {owed}",
           "pay: planned {planned_pay}, delivered {delivered_pay}; fund balance {fund_balance}"],
}
_RULES_ZH = [
    (r"^plan$", "按计划"), (r"^attendance$", "按出勤"),
    (r"^cancelled (\d+)$", r"停课 \1 天"),
    (r"^leave (\d+) @([\d.]+)%$", r"连续请假 \1 天退 \2%"),
    (r"^withdrawn (\S+) after (\d+) days: ([\d.]+)% of (\d+) dates back$",
     r"\1 退出（在读 \2 天）：余下 \4 天退 \3%"),
    (r"^exempt$", "免收"), (r"^reduced$", "减免"),
    (r"^club fee ([\d.]+)$", r"社团费 \1 元"),
]
CLUB_COLUMNS = ["club", "staff", "planned_pay", "delivered_minutes", "delivered_pay"]
CLUB_WORDS = {"zh": {"club": "社团", "clubs": "社团指导教师报酬",
                     "line": "社团指导教师报酬：实发 {club_pay} 元（已计入专款结余）"},
              "en": {"clubs": "clubs", "line": "club instructors: delivered {club_pay} "
                                               "(in the fund balance)"}}


def rule_text(rule: str, lang: str) -> str:
    if lang != "zh":
        return rule
    out = []
    for part in rule.split("; "):
        for pattern, repl in _RULES_ZH:
            if re.match(pattern, part):
                part = re.sub(pattern, repl, part)
                break
        out.append(part)
    return "；".join(out)


def settlement_sheets(result: dict, lang: str) -> list:
    w = HEADERS.get(lang, HEADERS["en"])
    pupils = [dict(r, rule=rule_text(r["rule"], lang)) for r in result["pupils"]]
    out = [(w["pupils"], pupils, PUPIL_COLUMNS, ["due", "paid", "refund", "credit", "owed"]),
           (w["people"], result["staff"], STAFF_COLUMNS,
            ["planned_minutes", "planned_pay", "delivered_minutes", "delivered_pay"])]
    if result.get("clubs"):  # SPEC §12
        c = CLUB_WORDS["zh" if lang == "zh" else "en"]
        rows = [dict(r, staff="外聘" if lang == "zh" and r["staff"] == "external"
                     else r["staff"]) for r in result["clubs"]]
        out.append((c["clubs"], rows, CLUB_COLUMNS,
                    ["planned_pay", "delivered_minutes", "delivered_pay"]))
    return out


def write_settlement(result: dict, folder: Path, lang: str) -> list[Path]:
    w = HEADERS.get(lang, HEADERS["en"])
    if lang == "zh":
        w = dict(w, club=CLUB_WORDS["zh"]["club"])
    return write_tables(folder, "settlement", settlement_sheets(result, lang),
                        header_words=w, total_label=w["total"])


def totals_lines(result: dict, lang: str) -> list[str]:
    lines = [line.format(**result["totals"]) for line in TOTALS.get(lang, TOTALS["en"])]
    if "club_pay" in result["totals"]:
        lines.append(CLUB_WORDS["zh" if lang == "zh" else "en"]["line"].format(
            **result["totals"]))
    return lines
