"""Words of exported sheets, notices, calendars, charts and the report in the school's
language (zh | en), and the display names hand-outs show instead of ids.

- ``words(lang)``: every header and label; a zh hand-out holds no English word, an en one no
  Chinese (apart from people's and the school's names).
- ``session_label(plan, sid, lang)``: 午托 / 晚托(低年级) … from ``school.toml`` (the plan
  carries the names); in English the default sessions get English names.
- ``group_label(plan, gid, lang)``: 午托1组, "noon care group 1": the session's name and the
  group's number, never the id ``noon-01``.
"""
from __future__ import annotations

import re

from afterschool.scheduler.say import table

DAYS = table("day")

EN_SESSIONS = {"noon": "noon care", "after-lower": "afternoon care (lower grades)",
               "after-upper": "afternoon care (upper grades)"}
EN_SLOTS = {"准备": "getting ready", "午餐": "lunch", "作业辅导、阅读": "homework help, reading",
            "午休": "nap", "作业辅导、体育锻炼、社团活动": "homework help, exercise, clubs"}
WINDOWS = table("window")

WORDS = table("label")  # the headers and labels: scheduler/say_zh.py, say_en.py


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def day_name(day: str, lang: str) -> str:
    return DAYS.get(lang, DAYS["en"]).get(day, day)


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a CJK ideograph or full-width punctuation."""
    return any("\u2e80" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" or
               "\u3000" <= c <= "\u303f" for c in str(text))


def session_label(plan, sid: str | None, lang: str) -> str:
    """The session's display name: the school's own name, or an English one in en."""
    if not sid:
        return ""
    name = plan.extra.get("sessions", {}).get(sid, {}).get("name", sid)
    if lang != "zh" and has_cjk(name):
        return EN_SESSIONS.get(sid, sid)
    return name


def slot_label(name: str | None, lang: str) -> str:
    """A slot's name; in English the default slots (SPEC §2) get their English words."""
    if not name:
        return ""
    return EN_SLOTS.get(name, name) if lang != "zh" else name


def window_label(window: str | None, lang: str) -> str:
    """A duty window (noon, afternoon) as a word of ``lang``."""
    return WINDOWS.get(lang, WINDOWS["en"]).get(window or "", window or "")


def group_number(plan, gid: str) -> int:
    """The group's number within its session: the id's trailing number, else its rank."""
    m = re.search(r"(\d+)$", gid or "")
    if m:
        return int(m.group(1))
    for g in plan.groups:
        if g.id == gid:
            same = [h.id for h in plan.groups if h.session == g.session]
            return same.index(gid) + 1
    return 0


def group_label(plan, gid: str | None, lang: str, session: str | None = None) -> str:
    """午托1组 / "noon care group 1" for a group id (ids never reach a hand-out)."""
    if not gid:
        return ""
    if session is None:
        session = next((g.session for g in plan.groups if g.id == gid), None)
        if session is None:  # a group of an earlier version
            session = next((s for s in plan.extra.get("sessions", {})
                            if gid.startswith(s + "-")), None)
    name = session_label(plan, session, lang) if session else ""
    n = group_number(plan, gid)
    return words(lang)["group_of"].format(name=name, n=n).strip()
