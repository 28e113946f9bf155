"""The school's language before its files are read: for messages that come first.

Inputs: a school folder (its ``school.toml``), or the words of a command line.
Outputs:
- ``written_language(folder)``: the ``language`` a ``school.toml`` names, even one with
  problems elsewhere (zh | en), or None when it cannot be read or names none.
- ``language_named(args)``: the language a command line points to, for a usage error
  (a bad option, a missing argument, an unknown command) said before any file is read:
  ``--lang zh|en`` if given; else the first word that is a school folder (its
  ``school.toml``: the language it names, zh when it names none; a bundled school by its
  name) or a term folder or a
  ``plan.json`` (the plan's ``language``); else None (not known: both languages).
- ``help_language(args, environ)``: the language of ``--help``: ``language_named(args)``
  (``--lang`` first, then the school, term folder or plan.json the command line names);
  else the environment's locale, the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is
  set (``zh…`` -> zh, ``en…`` -> en), or where none is set (Windows) ``locale.getlocale()``
  (``zh_CN``, ``Chinese…`` -> zh; ``en_US``, ``English…`` -> en); else zh, the tool's
  default language.
Nothing is written; a file that cannot be read or is not a regular file (a FIFO, a
device), a school.toml over ``clean.MAX_FILE_BYTES`` or a plan too large to read at once
for a usage error (``PLAN_MAX_BYTES``) is passed over.
"""
from __future__ import annotations

import json
import locale
import os
import tomllib
from pathlib import Path

LANGUAGES = ("zh", "en")
PLAN_MAX_BYTES = 20_000_000  # larger plan.json files are passed over for a usage error


def _read(path: Path, cap: int) -> str | None:
    """The text of a regular file of at most ``cap`` bytes (``plan_file.read_capped``: a
    FIFO or a device is not read), or None."""
    from afterschool.models.errors import InputError
    from afterschool.scheduler.reading.plan_file import read_capped
    try:
        return read_capped(path, cap, "").decode("utf-8-sig")
    except (InputError, UnicodeDecodeError):
        return None


def _school_table(folder: Path) -> dict | None:
    """``[school]`` of a folder's school.toml, or None when it cannot be read."""
    from afterschool.scheduler.reading.clean import MAX_FILE_BYTES
    text = _read(Path(folder) / "school.toml", MAX_FILE_BYTES)
    try:
        school = tomllib.loads(text).get("school", {}) if text is not None else None
    except (tomllib.TOMLDecodeError, RecursionError):
        return None
    return school if isinstance(school, dict) else None


def written_language(folder: Path) -> str | None:
    """The ``language`` a school.toml with problems still names (for its messages), if any."""
    lang = (_school_table(folder) or {}).get("language")
    return lang if lang in LANGUAGES else None


def _plan_language(path: Path) -> str | None:
    text = _read(path, PLAN_MAX_BYTES)
    try:
        data = json.loads(text) if text is not None else None
    except (ValueError, RecursionError):
        return None
    lang = data.get("language") if isinstance(data, dict) else None
    return lang if lang in LANGUAGES else None


def language_named(args: list[str]) -> str | None:
    """The language the command line ``args`` points to (see the module docstring)."""
    for i, word in enumerate(args):
        if word == "--lang" and i + 1 < len(args) and args[i + 1] in LANGUAGES:
            return args[i + 1]
        if word.startswith("--lang=") and word[len("--lang="):] in LANGUAGES:
            return word[len("--lang="):]
    from afterschool.scheduler.reading.reader import resolve  # bundled schools by name

    for word in args:
        if word.startswith("-") or not word or "\x00" in word:
            continue
        try:
            path = resolve(word)
            if (path / "school.toml").is_file():
                school = _school_table(path)  # zh when it names none (the default)
                lang = None if school is None else school.get("language", "zh")
            elif (path / "plan.json").is_file():
                lang = _plan_language(path / "plan.json")
            elif path.suffix.lower() == ".json" and path.is_file():
                lang = _plan_language(path)
            else:
                continue
        except (OSError, ValueError):
            continue
        if lang in LANGUAGES:
            return lang
    return None


def _locale_language(name: str | None) -> str | None:
    name = (name or "").lower()
    if name.startswith(("zh", "chinese")):
        return "zh"
    if name.startswith(("en", "english")):
        return "en"
    return None


def help_language(args: list[str], environ=None) -> str:
    """The language of ``--help`` for the command line ``args`` (see the module docstring)."""
    named = language_named(args)
    if named:
        return named
    environ = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(var):
            return _locale_language(environ[var]) or "zh"
    try:
        found = locale.getlocale()[0]
    except (ValueError, TypeError):
        found = None
    return _locale_language(found) or "zh"
