"""docs/input-files.md is the whole file contract: every key, header name and word the reader
accepts appears in it, and nothing in the documents points outside the repository."""
from __future__ import annotations

import re
from pathlib import Path

from afterschool.scheduler.reading.school_config import SCHEMA
from afterschool.scheduler.reading.tables import COLUMNS, SHEET_NAMES, VOCAB

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "input-files.md").read_text(encoding="utf-8")


def _cells() -> set[str]:
    """Every `code` span and every comma-separated word of a table cell."""
    words = set(re.findall(r"`([^`]+)`", DOC))
    for line in DOC.splitlines():
        if line.startswith("|"):
            for cell in line.strip("|").split("|"):
                words.update(w.strip(" ()`") for w in re.split(r"[,;:（）()]", cell))
    return words


def test_every_key_of_school_toml_is_documented():
    for table, keys in SCHEMA.items():
        for key in keys:
            spelled = (f"`[{key}]`", f"`[[{key}]]`") if table == "" else (f"`{key}`",
                                                                          f"{key} = ")
            assert any(s in DOC for s in spelled), f"[{table}] {key} is not documented"


def test_every_header_name_and_sheet_name_is_documented():
    words = _cells()
    for kind, columns in COLUMNS.items():
        for canon, names in columns.items():
            for name in names:
                assert name in words or name in DOC, f"{kind}.{canon}: {name}"
    for names in SHEET_NAMES.values():
        for name in names:
            assert name in DOC


def test_every_accepted_word_is_documented():
    for vocab, table in VOCAB.items():
        for word in table:
            if word:
                assert word in DOC, f"{vocab}: {word}"


def test_the_minutes_unit_is_stated():
    row = next(line for line in DOC.splitlines() if line.startswith("| `max_weekly_minutes` |")
               and "每周上限" in line)
    assert "minutes" in row and "10,080" in row


def test_nothing_points_outside_the_repository():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/SPEC" not in text, path.name
    assert "(input-files.md)" in (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert "(docs/input-files.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
