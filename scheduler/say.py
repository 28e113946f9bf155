"""The tool's one language layer: every word a school reads — the commands' sentences, error
messages, CSV/xlsx headers and values, sheet titles, notices, charts, the office's page —
comes from one catalogue, one table per language (``say_zh.WORDS``, ``say_en.WORDS``) with
the same keys and the same ``{blanks}`` (a ``problem.*`` entry's Chinese may leave out a
blank that holds a library's English). Nothing is built from English fragments; numbers,
names and paths are passed in.

- ``say(key, lang, **values)``: the sentence ``key`` in ``lang`` filled with ``values``
  (``say("recorded_cancel", "zh", n=2)`` -> 已记录停课 2 天). ``lang`` None is zh: the
  tool's schools are Chinese unless they say otherwise.
- ``heads(lang)``: the column headers and labels of the hand-outs (keys ``label.*``).
- ``section(prefix, lang)`` / ``table(prefix)``: one module's words (``office.*`` ->
  ``{"done": …}``), for a module that looks words up many times; ``table`` gives both
  languages, a dotted rest (``value.kind.staff``) as nested dicts.
- ``bilingual(key, **values)``: zh and en on one line, where the language is not known yet
  (a school.toml that cannot be read).
- ``reword(prefix, text, lang)``: a text the code writes in English (an error message, a
  settlement rule) in ``lang``: the ``prefix.*`` entries' English forms are patterns
  (``{blanks}`` match any text, and are reworded in turn), their ``lang`` entries the words;
  a text no form matches is kept as written.

A key missing in one language is a bug the tests catch (``tests/test_say.py``), never a
fallback at run time. How to add a sentence or a language: docs/language.md.
"""
from __future__ import annotations

import re
from functools import lru_cache

from afterschool.scheduler import say_en, say_zh

CATALOGUE: dict[str, dict[str, str]] = {"zh": say_zh.WORDS, "en": say_en.WORDS}
LANGS = tuple(CATALOGUE)


def _lang(lang: str | None) -> str:
    return lang if lang in CATALOGUE else "zh"


def say(key: str, lang: str | None, **values) -> str:
    """The sentence ``key`` in ``lang`` (zh when not given), filled with ``values``."""
    return CATALOGUE[_lang(lang)][key].format(**values)


def section(prefix: str, lang: str | None) -> dict[str, str]:
    """The words under ``prefix.`` in ``lang``, keyed by the rest of the key."""
    head = prefix + "."
    return {k[len(head):]: v for k, v in CATALOGUE[_lang(lang)].items() if k.startswith(head)}


def heads(lang: str | None) -> dict[str, str]:
    """Column headers and labels of exported sheets, notices, charts and the report."""
    return section("label", lang)


def table(prefix: str) -> dict[str, dict]:
    """``section`` in every language, a dotted rest as nested dicts (``{"zh": {...}, …}``)."""
    out: dict[str, dict] = {}
    for lang in LANGS:
        tree: dict = {}
        for rest, text in section(prefix, lang).items():
            *path, last = rest.split(".")
            node = tree
            for part in path:
                node = node.setdefault(part, {})
            node[last] = text
        out[lang] = tree
    return out


def bilingual(key: str, **values) -> str:
    """Both languages, zh first: for messages before the school's language is known."""
    zh, en = say(key, "zh", **values), say(key, "en", **values)
    return zh if zh == en else f"{zh} / {en}"


@lru_cache(maxsize=None)
def _forms(prefix: str) -> list[tuple[re.Pattern, str]]:
    """(compiled English form, key) of every ``prefix.*`` entry: forms that begin with words
    before forms that begin with a blank (a prefix such as ``version A..B: `` is peeled
    before a blank could swallow it), then the most words first."""
    out = []
    for key, form in section(prefix, "en").items():
        parts, rx, seen = re.split(r"\{([a-z_]+)\}", form), "", set()
        for i, p in enumerate(parts):  # a blank written twice matches the same text twice
            if i % 2 == 0:
                rx += re.escape(p)
            elif p in seen:
                rx += f"(?P={p})"
            else:
                rx += f"(?P<{p}>.+?)"
                seen.add(p)
        words = len(re.sub(r"\{[a-z_]+\}", "", form))
        out.append((re.compile(rx + r"\Z", re.S), f"{prefix}.{key}",
                    (form.startswith("{"), -words)))
    return [(rx, key) for rx, key, _ in sorted(out, key=lambda x: x[2])]


@lru_cache(maxsize=None)
def _joiners(prefix: str) -> frozenset[str]:
    """The ``prefix.*`` keys whose English form is a range, two blanks around "to"
    (``{lo} to {hi}``): they join two tokens, and never cut a sentence at its word "to"."""
    return frozenset(f"{prefix}.{key}" for key, form in section(prefix, "en").items()
                     if re.fullmatch(r"\{[a-z_]+\} to \{[a-z_]+\}", form))


def reword(prefix: str, text: str, lang: str | None) -> str:
    """``text`` as the code writes it (English) in ``lang``, by the ``prefix.*`` forms."""
    if lang not in CATALOGUE or lang == "en":
        return text
    for rx, key in _forms(prefix):
        m = rx.match(text)
        if m and key in _joiners(prefix) and any(re.search(r"\s", v)
                                                 for v in m.groupdict().values()):
            continue  # a form that is blanks around a word ("{lo} to {hi}") joins tokens only
        if m:
            return say(key, lang, **{k: reword(prefix, v, lang)
                                     for k, v in m.groupdict().items()})
    return text
