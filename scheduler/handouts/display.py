"""The office tables (``fees``, ``pay``, ``budget``, ``admit``) as a school reads them: sheet
titles and the values of closed lists in the school's language — 正常/免收/减免, 在编教师/
外聘, 午托 and 管理或辅导(下午) for budget parts, 周一 for days, 录取/候补 and the reason
in words. The headers are translated by ``labels.words`` where the tables are written.
``--json`` keeps the ids and codes (for scripts); only what people read is translated.
"""
from __future__ import annotations

from afterschool.scheduler.handouts.labels import day_name, session_label
from afterschool.scheduler.handouts.publish import budget_part
from afterschool.scheduler.say import section, table

TITLES = table("title")  # words: scheduler/say_zh.py, say_en.py
VALUES = table("value")
PRIORITY = table("priority")["zh"]
ROLE = table("role")["zh"]


def reason_text(why: dict, lang: str) -> str:
    """Why a pupil is admitted or waits (admit's ``why``), in ``lang``; in English it is the
    planner's own sentence (``tests/test_say.py`` checks the two agree)."""
    lang = "zh" if lang == "zh" else "en"
    w = section("admit", lang)
    names, roles = section("priority", lang), section("role", lang)
    first = (w["priority"].format(list=w["sep"].join(names.get(p, p) for p in why["priority"]))
             if why["priority"] else w["applied"].format(date=why["applied_on"])
             if why["applied_on"] else w["none"])
    if why["case"] == "admitted":
        return first
    if why["case"] == "blocked":
        posts = w["post_sep"].join(w["post"].format(day=day_name(d, lang), span=span,
                                                    role=roles.get(r, r), n=n)
                                   for d, span, r, n in why["posts"]) or w["more"]
        return w["blocked"].format(posts=posts, place=why["place"], first=first)
    return w["behind"].format(behind=why["behind"], behind_place=why["behind_place"],
                              place=why["place"], first=first)


def localise(sheets: list, lang: str, plan=None, names: dict[str, str] | None = None
             ) -> list:
    """``sheets`` (title, rows, columns, totals[, layout]) with titles and closed-list values
    in ``lang``; ids, numbers and money unchanged. Sessions are named from ``plan``, or from
    ``names`` (id -> the school's name) for tables made from the sheets alone."""
    if lang != "zh" and lang != "en":
        return sheets
    values = VALUES[lang]
    out = []
    for sheet in sheets:
        title, rows, columns = sheet[0], sheet[1], sheet[2]
        shown = []
        for r in rows:
            r = dict(r)
            for col, said in values.items():
                if col == "label" and "label" in r:
                    r["label"] = said
                elif isinstance(said, dict) and col in r and r[col] in said:
                    r[col] = said[r[col]]
            if "day" in r and r["day"] in ("Mon", "Tue", "Wed", "Thu", "Fri"):
                r["day"] = day_name(r["day"], lang)
            if plan is not None and "part" in r:
                r["part"] = budget_part(plan, r["part"], lang)
            if "session" in columns and r.get("session"):
                r["session"] = (session_label(plan, r["session"], lang) if plan is not None
                                else (names or {}).get(r["session"], r["session"]))
            if lang == "zh" and isinstance(r.get("why"), dict):
                r["reason"] = reason_text(r["why"], lang)
            shown.append(r)
        out.append((TITLES[lang].get(title, title), shown, columns) + tuple(sheet[3:]))
    return out


SCENARIO_KEYS = table("scenario_key")["zh"]


def localise_scenarios(rows: list[dict], lang: str) -> list[dict]:
    """``scenario``'s rows as a Chinese school reads them: the scenario named in words, the
    outcome as 排班完成 / 有缺员 rather than a solver status, the shortages by weekday."""
    if lang != "zh":
        return rows
    import re
    out = []
    for r in rows:
        name = r["scenario"]
        for key in sorted(SCENARIO_KEYS, key=len, reverse=True):
            name = re.sub(rf"\b{key}\b", SCENARIO_KEYS[key], name)
        by_day = re.sub(r"\b(Mon|Tue|Wed|Thu|Fri)\b", lambda m: day_name(m.group(1), "zh"),
                        r.get("shortages_by_day") or "")
        w = section("scenario_words", lang)
        by_day = by_day.replace(" teacher x", w["teacher"]).replace(" manager x", w["manager"])
        out.append(dict(r, scenario=name.replace(", ", w["sep"]),
                        status=w["short"] if r.get("shortages") else w["done"],
                        shortages_by_day=by_day.replace("; ", w["list_sep"])))
    return out
