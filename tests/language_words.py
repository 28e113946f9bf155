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


# what a Chinese --help may show as typed: the commands' names (afterschool plan), the bundled
# school's name, the values options take as they are (--pin groups, --days 'Tue Thu', --role
# teacher, a [[scenario]] table's keys, a school.toml table's key), URL schemes, the CPU
HELP_TYPED = {"haijiang", "init", "generate", "admit", "scenario", "fees", "pay", "budget",
              "roster", "report", "notice", "chart", "staffing", "clubs", "export", "history",
              "attendance", "sheet", "import", "cancel", "payments", "settle", "bureau", "serve",
              "password", "list", "remove", "printf", "pw", "teacher", "office", "postgresql",
              "tcp", "dask", "mon", "tue", "wed", "thu", "fri", "name", "students", "teachers",
              "cap", "days", "seed", "start", "refunds", "groups", "duties", "cpu", "mb",
              "workbook", "rosters", "charts", "all", "gantt", "load", "sizes", "none",
              "replan", "no"}


def english_words(text: str, root: str | None = None, allow=()) -> list[str]:
    """Words of two or more Latin letters, apart from options (--time-limit), paths and ids
    (letters glued to digits, dots, slashes or underscores), the allowed names and
    ``allow``."""
    if root:
        text = text.replace(root, "")
    text = re.sub(r"--[a-z][a-z-]*", "", text)
    words = re.findall(r"(?<![A-Za-z0-9_./\\-])[A-Za-z]{2,}(?![A-Za-z0-9_/]|\.[A-Za-z])", text)
    return [w for w in words if w.lower() not in ALLOWED and w.lower() not in allow]


def has_chinese(text: str) -> bool:
    """A CJK ideograph or full-width punctuation."""
    return any("\u2e80" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" or
               "\u3000" <= c <= "\u303f" for c in str(text))
