"""The page's words in the school's language (zh | en): a zh page holds no English word
(apart from people's and the school's own names and ids)."""
from __future__ import annotations

from afterschool.scheduler.say import table

WORDS = table("web")  # words: scheduler/say_zh.py, say_en.py

STATUSES = ("present", "late", "early", "leave", "absent")


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def status_word(status: str, lang: str) -> str:
    w = words(lang)
    return w["absent_mark"] if status == "absent" else w[status]
