"""The word list the language tests keep: what may stand in Latin letters in a Chinese line
(the tool's and its commands' names, file kinds, option names), and how a line's English
words and Chinese characters are found."""
from __future__ import annotations

import re

# the tool's and the commands' names, file kinds and units a Chinese line may name
ALLOWED = {"afterschool", "need", "plan", "json", "sqlite", "record", "xlsx", "csv", "html",
           "ics", "png", "svg", "pdf", "toml", "validate", "replan", "substitute", "check", "who",
           "yyyy", "mm", "dd", "url", "ctrl", "user", "add",
           "excel", "wps", "pip", "install", "upgrade", "true", "false",
           "zh", "en",
           # the club draw's public notice names its hash and the command a parent re-runs
           "sha", "utf", "echo"}


def english_words(text: str, root: str | None = None) -> list[str]:
    """Words of two or more Latin letters, apart from options (--time-limit), paths and ids
    (letters glued to digits, dots, slashes or underscores) and the allowed names."""
    if root:
        text = text.replace(root, "")
    text = re.sub(r"--[a-z][a-z-]*", "", text)
    words = re.findall(r"(?<![A-Za-z0-9_./\\-])[A-Za-z]{2,}(?![A-Za-z0-9_/]|\.[A-Za-z])", text)
    return [w for w in words if w.lower() not in ALLOWED]


def has_chinese(text: str) -> bool:
    """A CJK ideograph or full-width punctuation."""
    return any("\u2e80" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" or
               "\u3000" <= c <= "\u303f" for c in str(text))
