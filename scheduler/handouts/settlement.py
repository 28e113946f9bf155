"""The settlement as the office files it (SPEC §11): a workbook with a sheet of pupils
(names beside ids, the rule in words) and one of staff, ``settlement.csv`` of the pupils,
and the printed totals — in the school's language.

Rules come from ``money.settlement`` as short codes (``plan; cancelled 2; leave 5 @100%;
withdrawn 2026-11-03 after 63 days: 50% of 10 dates back; reduced``); ``rule_text`` says
them in the school's language.
"""
from __future__ import annotations

from pathlib import Path

from afterschool.scheduler.handouts.sheets import write_tables
from afterschool.scheduler.say import reword, say, table

PUPIL_COLUMNS = ["student", "name", "class", "due", "paid", "refund", "credit", "owed", "rule"]
STAFF_COLUMNS = ["staff", "name", "planned_minutes", "planned_pay", "delivered_minutes",
                 "delivered_pay"]
HEADERS = table("settlement")  # words: scheduler/say_zh.py, say_en.py
TOTALS = {lang: [w["pupils"], w["pay"]] for lang, w in table("settlement_total").items()}
CLUB_COLUMNS = ["club", "staff", "planned_pay", "delivered_minutes", "delivered_pay"]


def rule_text(rule: str, lang: str) -> str:
    """A settlement rule (``plan; cancelled 2; leave 5 @100%``) in ``lang``, part by part
    (the ``settle_rule.*`` entries)."""
    if lang != "zh":
        return rule
    return say("settle_rule_sep", lang).join(reword("settle_rule", part, lang)
                                              for part in rule.split("; "))


def settlement_sheets(result: dict, lang: str) -> list:
    w = HEADERS.get(lang, HEADERS["en"])
    pupils = [dict(r, rule=rule_text(r["rule"], lang)) for r in result["pupils"]]
    out = [(w["pupils"], pupils, PUPIL_COLUMNS, ["due", "paid", "refund", "credit", "owed"]),
           (w["people"], result["staff"], STAFF_COLUMNS,
            ["planned_minutes", "planned_pay", "delivered_minutes", "delivered_pay"])]
    if result.get("clubs"):  # SPEC §12
        external = say("value.kind.external", lang)
        rows = [dict(r, staff=external if r["staff"] == "external" else r["staff"])
                for r in result["clubs"]]
        out.append((w["clubs"], rows, CLUB_COLUMNS,
                    ["planned_pay", "delivered_minutes", "delivered_pay"]))
    return out


def write_settlement(result: dict, folder: Path, lang: str) -> list[Path]:
    w = HEADERS.get(lang, HEADERS["en"])
    return write_tables(folder, "settlement", settlement_sheets(result, lang),
                        header_words=w, total_label=w["total"])


def totals_lines(result: dict, lang: str) -> list[str]:
    lines = [line.format(**result["totals"]) for line in TOTALS.get(lang, TOTALS["en"])]
    if "club_pay" in result["totals"]:
        lines.append(say("settlement_total.clubs", lang, **result["totals"]))
    return lines
