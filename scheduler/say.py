"""The tool's one language layer: every word a school reads — the commands' sentences, error
messages, CSV/xlsx headers and values, sheet titles, notices, charts, the office's page —
comes from one catalogue, one table per language (``say_zh.WORDS``, ``say_en.WORDS``) with
the same keys and the same ``{blanks}``. Nothing is built from English fragments; numbers,
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

A key missing in one language is a bug the tests catch (``tests/test_say.py``), never a
fallback at run time. How to add a sentence or a language: docs/language.md.
"""
from __future__ import annotations

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
