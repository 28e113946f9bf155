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
from afterschool.scheduler.say import table

PUPIL_COLUMNS = ["student", "name", "class", "due", "paid", "refund", "credit", "owed", "rule"]
STAFF_COLUMNS = ["staff", "name", "planned_minutes", "planned_pay", "delivered_minutes",
                 "delivered_pay"]
HEADERS = table("settlement")  # words: scheduler/say_zh.py, say_en.py
TOTALS = {lang: [w["pupils"], w["pay"]] for lang, w in table("settlement_total").items()}
_RULES_ZH = [
    (r"^plan$", "按计划"), (r"^attendance$", "按出勤"),
    (r"^cancelled (\d+)$", r"停课 \1 天"),
    (r"^leave (\d+) @([\d.]+)%$", r"连续请假 \1 天退 \2%"),
    (r"^withdrawn (\S+) after (\d+) days: ([\d.]+)% of (\d+) dates back$",
     r"\1 退出（在读 \2 天）：余下 \4 天退 \3%"),
    (r"^exempt$", "免收"), (r"^reduced$", "减免"),
]


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
    return [(w["pupils"], pupils, PUPIL_COLUMNS, ["due", "paid", "refund", "credit", "owed"]),
            (w["people"], result["staff"], STAFF_COLUMNS,
             ["planned_minutes", "planned_pay", "delivered_minutes", "delivered_pay"])]


def write_settlement(result: dict, folder: Path, lang: str) -> list[Path]:
    w = HEADERS.get(lang, HEADERS["en"])
    return write_tables(folder, "settlement", settlement_sheets(result, lang),
                        header_words=w, total_label=w["total"])


def totals_lines(result: dict, lang: str) -> list[str]:
    return [line.format(**result["totals"]) for line in TOTALS.get(lang, TOTALS["en"])]
