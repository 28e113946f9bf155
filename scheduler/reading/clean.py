"""The one input-normalisation layer: every text value read from a sheet passes here first.

Sign-up sheets are typed by parents, copied from WeChat and pasted by a tired office; every
string is treated as hostile. ``clean_text`` applies, in this order:

1. Unicode NFKC (full-width ``Ｓ９００１`` -> ``S9001``, ``²`` -> ``2``, compatibility forms);
2. removal of format characters (Unicode category Cf: zero-width spaces and joiners, bidi
   embeddings, overrides and isolates, the BOM, soft hyphens);
3. leading and trailing white space stripped (a line break or tab at either end of a cell,
   as Excel copies leave them, is trimmed like a space);
4. a problem for any remaining control character (category Cc, line and paragraph
   separators, surrogates, non-characters): NUL, VT, ``\\x01``, a newline inside a quoted
   name. The cleaned value drops them so that later checks see plain text;
5. a problem for a value longer than its cap (``LIMITS``); the value is cut to the cap.

Ids (students, staff, sessions) are further limited to ``ID_MAX`` characters of an alphabet
that is safe in file names: letters of any script, digits, ``-``, ``_`` and ``.``, not
starting with ``.``. Ids are compared after NFKC and case-folding (``id_key``).
"""
from __future__ import annotations

import unicodedata

ID_MAX = 32
NAME_MAX = 50
LABEL_MAX = 100  # school, session and slot names; any other cell
LIMITS = {"id": ID_MAX, "teacher": ID_MAX, "session": ID_MAX, "name": NAME_MAX}
MAX_FILE_BYTES = 20_000_000  # a CSV or .xlsx file larger than this is refused up front
MAX_ROWS = 200_000  # rows of one table
MAX_COLUMNS = 200  # columns of one table's header
_CONTROL_CATEGORIES = {"Cc", "Zl", "Zp", "Cs"}


def _bad_char(ch: str) -> bool:
    return unicodedata.category(ch) in _CONTROL_CATEGORIES or _noncharacter(ch)


def _noncharacter(ch: str) -> bool:
    o = ord(ch)
    return 0xFDD0 <= o <= 0xFDEF or (o & 0xFFFE) == 0xFFFE


def clean_text(text: object, limit: int = LABEL_MAX) -> tuple[str, list[str]]:
    """The normalised text and the problems found (messages without the value)."""
    text = "" if text is None else str(text)
    problems: list[str] = []
    if len(text) > 4 * limit + 1000:  # a pasted document: no need to look at every character
        problems.append(f"too long: {len(text):,} characters, at most {limit}")
        text, _ = clean_text(text[:4 * limit], limit)
        return text[:limit], problems
    if text.isprintable() and unicodedata.is_normalized("NFKC", text):
        # the common case, checked in C: no format, control or non-character (none is
        # printable) and NFKC changes nothing, so steps 1, 2 and 4 leave the text as it is
        text = text.strip()
        if len(text) > limit:
            problems.append(f"too long: {len(text):,} characters, at most {limit}")
            text = text[:limit]
        return text, problems
    text = unicodedata.normalize("NFKC", text)
    if text.isprintable():  # no Cf, Cc, Zl, Zp, Cs or unassigned character: steps 2 and 4
        text, bad = text.strip(), None  # find nothing (a sheet's usual cell; 3x faster)
    else:
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()
        bad = sorted({ch for ch in text if _bad_char(ch)})
    if bad:
        names = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:3])
        problems.append(f"control character(s) {names} inside the value (a line break, tab "
                        "or invisible character pasted in?)")
        text = "".join(ch for ch in text if not _bad_char(ch)).strip()
    if len(text) > limit:
        problems.append(f"too long: {len(text):,} characters, at most {limit}")
        text = text[:limit]
    return text, problems


def id_problem(text: str) -> str | None:
    """Why ``text`` (already cleaned) is not a usable id, or None."""
    if not text:
        return None
    if text.startswith("."):
        return "an id must not start with '.'"
    odd = sorted({ch for ch in text if not (ch in "-_." or
                                            unicodedata.category(ch)[0] in "LNM")})
    if odd:
        shown = " ".join(repr(ch) for ch in odd[:5])
        return f"an id may hold letters, digits, '-', '_' and '.' only (found {shown})"
    return None


def id_key(text: str) -> str:
    """The form in which two ids are compared: NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, quotes and control characters escaped."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u2028\u2029\x7f":
            out.append(f"\\u{ord(ch):04X}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
