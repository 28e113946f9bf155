"""Errors and violations in the school's language, through the one catalogue (``say``).

Inputs: a ``Problem`` (models/errors.py: file, row, column, message, value, expected), a
checker ``Violation`` (a stable rule code and a message), or a message as the reader, the
plan schema, the options, the record and the checker write it (English, with its numbers
and ids); and ``lang`` (zh | en | None: not known yet).
Outputs:
- ``message(text, lang)``: the message in ``lang``. The catalogue's ``problem.*`` entries
  pair the English form as written (``en``: the pattern, ``{blanks}`` matching any text) with
  the sentence of each language; a message no entry matches is kept as written.
- ``problem_text(p, lang)``: file, row, column, message, the value found and what was
  expected, framed in ``lang`` (en: exactly ``str(p)``); a private value stays hidden.
- ``violation_text(v, lang)``: ``[rule] message`` with the rule's name in ``lang``
  (``rule.*``); ``v.rule`` stays the machine code (``check --json``).
- ``lines(key, lang, **values)``: one line in ``lang``, or in both (zh / en) when ``lang``
  is None (the school.toml cannot be read, no --lang given).
The checker's rules and the reader's checks stay where they are; only their words pass here.
"""
from __future__ import annotations

import re

from afterschool.models.errors import SHOWN_MAX
from afterschool.scheduler.say import CATALOGUE, reword, say, section


def message(text, lang: str | None) -> str:
    """``text`` (a message as the code writes it) in ``lang``; unchanged in English or when
    no catalogue entry matches it (``say.reword`` over the ``problem.*`` entries)."""
    return reword("problem", "" if text is None else str(text), lang)


def _shown(value: str) -> str:
    shown = value if value.isprintable() else repr(value)[1:-1]
    return shown if len(shown) <= SHOWN_MAX else shown[:SHOWN_MAX] + "…"


def problem_text(p, lang: str | None) -> str:
    """One problem framed in ``lang`` (file, row, column; the value found, what is expected)."""
    if lang != "zh":
        return str(p)
    w = section("problem_frame", lang)
    where = w["term"] if p.file == "TERM" else p.file  # the argument, by its metavar
    if p.row is not None:
        where += w["row"].format(row=p.row)
    if p.column:
        m = re.fullmatch(r"character (\d+)", p.column)
        toml = p.file.endswith((".toml", ":school"))  # a key of school.toml, not a column
        where += (w["character"].format(n=m.group(1)) if m
                  else w["key" if toml else "column"].format(column=_shown(p.column)))
    text = w["text"].format(where=where, message=message(p.message, lang))
    expected = message(p.expected, lang) if p.expected else None
    if p.value is not None and p.private:
        text += w["hidden"]
        if expected:
            text += w["expected"].format(expected=expected)
    elif p.value is not None:
        text += (w["found_expected"] if expected else w["found"]).format(
            value=_shown(p.value), expected=expected)
    elif expected:
        text += w["expected"].format(expected=expected)
    return text


def violation_text(v, lang: str | None) -> str:
    """``[rule] message`` in ``lang``; the rule's code is what scripts match on."""
    if lang != "zh":
        return str(v)
    rules = section("rule", lang)
    return say("problem_frame.violation", lang, rule=rules.get(v.rule, v.rule),
               message=message(v.message, lang))


def lines(key: str, lang: str | None, **values) -> list[str]:
    """The line ``key`` in ``lang``; both languages, zh first, when ``lang`` is unknown."""
    if lang in CATALOGUE:
        return [say(key, lang, **values)]
    zh, en = say(key, "zh", **values), say(key, "en", **values)
    return [zh] if zh == en else [zh, en]
