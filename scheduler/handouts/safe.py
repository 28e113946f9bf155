"""Output safety: what may be written into a cell, a file name or a sheet title, and where.

- ``neutralise(value)``: a text cell that a spreadsheet would run as a formula (it begins
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: the OWASP CSV-injection rule)
  gets a leading ``'``; characters that XLSX cannot hold are dropped; a carriage return
  inside the text becomes a line feed (which CSV quotes), so no cell starts a new row. Numbers stay numbers,
  and so does text that is a plain signed decimal (``-3.00``: a balance, not a formula).
  ``sheets.py`` calls it for every CSV and XLSX cell, headers included; it is the one
  chokepoint, so masked names (``=*2``) are neutralised too.
- ``safe_file_name(text)``: a file-name component built from an id, safe by construction:
  letters, digits, ``-``, ``_`` and inner ``.`` only, at most 64 characters, never empty,
  never hidden; when anything had to change, a short hash keeps two ids apart.
- ``sheet_title(text, taken)``: an Excel sheet title without ``[]:*?/\\``, at most 31
  UTF-16 units (as Excel and XlsxWriter count), not starting or ending with ``'``, unique
  in the workbook.
- ``inside(root, path)``: ``path`` resolved, and refused unless it lies inside ``root``.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")  # -3.00 is a number, not a formula
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\ufffe\uffff]")
SHEET_TITLE_MAX = 31  # UTF-16 units
FILE_NAME_MAX = 64


class UnsafePath(ValueError):
    """A path that would land outside the output folder."""


def neutralise(value):
    """``value`` safe for a spreadsheet cell: text that could start a formula is prefixed
    with ``'``; characters XLSX forbids are removed. Non-text values are returned as they
    are."""
    if not isinstance(value, str):
        return value
    if value.isprintable() and not value.startswith(FORMULA_START):
        return value  # the common case: no control character, nothing to quote
    value = _XLSX_ILLEGAL.sub("", value)
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        value = "'" + value
    # a bare CR is a row break to a CSV reader (and csv does not quote it): the text after
    # it would start a new row, and could start a formula there
    return value.replace("\r\n", "\n").replace("\r", "\n")


def is_neutral(value) -> bool:
    """True when ``value`` is not text, or text that no spreadsheet runs as a formula."""
    return not isinstance(value, str) or ((not value.startswith(FORMULA_START) or
                                           bool(_PLAIN_NUMBER.fullmatch(value))) and
                                          not _XLSX_ILLEGAL.search(value) and "\r" not in value)


def safe_file_name(text: str) -> str:
    """A file-name component for ``text`` (an id): safe by construction."""
    raw = str(text)
    norm = unicodedata.normalize("NFKC", raw)
    kept = "".join(ch if (ch in "-_." or unicodedata.category(ch)[0] in "LN") else "_"
                   for ch in norm).lstrip(".")
    kept = re.sub(r"\.{2,}", ".", kept)[:FILE_NAME_MAX - 9].rstrip(".")
    if kept != raw or not kept:
        digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        kept = f"{kept or 'id'}-{digest}"
    return kept


def sheet_title(text: str, taken: set[str] | None = None) -> str:
    """An Excel sheet title for ``text``: forbidden characters replaced, at most 31
    UTF-16 units, no ``'`` at either end, not yet in ``taken`` (compared case-blind, as Excel does)."""
    title = _SHEET_FORBIDDEN.sub("_", str(text)).strip("'").strip() or "sheet"
    title = _cut(title, SHEET_TITLE_MAX)
    taken = taken if taken is not None else set()
    base, n = title, 1
    while title.casefold() in {t.casefold() for t in taken}:
        n += 1
        suffix = f" ({n})"
        title = _cut(base, SHEET_TITLE_MAX - len(suffix)) + suffix
    taken.add(title)
    return title


def _cut(title: str, units: int) -> str:
    """``title`` cut to ``units`` UTF-16 units (Excel counts a character beyond U+FFFF as
    two), never ending in ``'``, never empty."""
    while len(title.encode("utf-16-le")) // 2 > units:
        title = title[:-1]
    return title.rstrip("'") or "sheet"


def inside(root: Path, path: Path) -> Path:
    """``path`` resolved; ``UnsafePath`` unless it is ``root`` itself or lies inside it."""
    base = Path(root).resolve()
    target = Path(path).resolve()
    if target != base and base not in target.parents:
        raise UnsafePath(f"refusing to write {path}: outside the output folder {root}")
    return target
