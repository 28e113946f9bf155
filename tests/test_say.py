"""The commands' sentences: every key in both languages, with the same placeholders, and
no English word in a Chinese sentence."""
from __future__ import annotations

import re
import string

from afterschool.scheduler.say import CATALOGUE, say


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_sentence_in_both_languages_with_the_same_blanks():
    assert set(CATALOGUE["zh"]) == set(CATALOGUE["en"])
    for key in CATALOGUE["zh"]:
        assert fields(CATALOGUE["zh"][key]) == fields(CATALOGUE["en"][key]), key


def test_no_english_word_in_a_chinese_sentence():
    for key, text in CATALOGUE["zh"].items():
        words = re.sub(r"\{[a-z_]+\}", "", text)
        assert not re.search(r"[A-Za-z]{2,}", words), (key, text)


def test_say_fills_the_blanks():
    assert say("recorded_cancel", "zh", n=2) == "已记录停课 2 天"
    assert say("recorded_cancel", "en", n=2) == "recorded 2 cancelled date(s)"
