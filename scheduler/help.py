"""``--help`` in the school's language: Click's help pages with every word from the catalogue.

Inputs: a Click command and its context (``ctx.meta["words"]``: the command line, kept by
the group's ``parse_args``). Outputs: the help page, written by Click's ``HelpFormatter``
in the language ``reading.language.help_language`` picks (the school, term folder or
plan.json the command line names, ``--lang``, else the locale, else zh).
Rules:
- a command's help is the catalogue's ``help.<command>`` (a subcommand ``help.user.add``,
  the group ``help.afterschool``), its line in a command list ``help.<command>.short``
  (shortened as Click shortens it); an option's help is the key its ``help=`` names
  (``help.--json``); Click's own options (``--help``, ``--version``) by their name;
- Click's frame words (``Usage:``, ``Options:``, ``Commands:``, ``[default: …]``,
  ``[required]``) are ``help.frame.*``, the metavars (``[OPTIONS]``, ``TERM``, ``INTEGER``)
  ``help.metavar.*``; ``{backstop}`` in a text is the CPU clock's backstop
  (``planning.backstop``) said in the language;
- a usage error's usage line stays Click's (``cli._SaidUsageError`` says the error);
- a command or option the catalogue has no entry for keeps Click's text (English) — a bug
  ``tests/test_help_language.py`` catches, never a crash.
"""
from __future__ import annotations

import inspect
import re

import click

try:
    from click.utils import _make_default_short_help
except ImportError:  # older Click names it without the underscore
    from click.utils import make_default_short_help as _make_default_short_help

from afterschool.scheduler.say import CATALOGUE, say

_METAVAR = re.compile(r"\b(?:INTEGER RANGE|FLOAT RANGE|[A-Z][A-Z_]+)\b")


def _path(ctx: click.Context) -> str:
    """``plan``, ``user.add``; the group itself ``afterschool``."""
    words = []  # the names below the root (whose own name may be "python -m afterschool")
    while ctx.parent is not None:
        words.insert(0, ctx.info_name)
        ctx = ctx.parent
    return ".".join(words) or "afterschool"


def _text(key: str, lang: str) -> str:
    from afterschool.scheduler.planning.backstop import backstop_text
    text = CATALOGUE[lang][key]
    if "{backstop}" in text:
        return text.format(backstop=backstop_text(lang))
    return text.format()


def _metavars(text: str, lang: str) -> str:
    if lang == "en":
        return text
    return _METAVAR.sub(lambda m: CATALOGUE[lang].get(f"help.metavar.{m.group(0)}",
                                                      m.group(0)), text)


def _option_help(param: click.Parameter, lang: str) -> str:
    help_ = getattr(param, "help", None) or ""
    if help_.startswith("help.") and help_ in CATALOGUE[lang]:
        return _text(help_, lang)
    name = next((o for o in param.opts if o.startswith("--")), "")
    key = f"help.{name}"
    if help_ and key in CATALOGUE["en"] and CATALOGUE["en"][key] == help_:
        return _text(key, lang)  # Click's own --help and --version
    return help_


def _extra(param: click.Parameter, ctx: click.Context, said: str) -> dict:
    """The default, range and required mark Click appends to an option's help."""
    if hasattr(param, "get_help_extra"):  # Click 8.2 and later
        return param.get_help_extra(ctx)
    found: dict = {}  # Click 8.1: read back from its record, "help  [default: 7.0; x>=1]"
    if said.endswith("]") and "[" in said:
        for item in said[said.rfind("[") + 1:-1].split("; "):
            if item.startswith("default: "):
                found["default"] = item[len("default: "):]
            elif item == "required":
                found["required"] = True
            elif not item.startswith("env var: "):
                found["range"] = item
    return found


def _language(ctx: click.Context) -> str:
    from afterschool.scheduler.reading.language import help_language
    return help_language(ctx.meta.get("words", []))


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_OPEN, _CLOSE = "（「『《“‘", "，。、；：！？）」』》”’]"
# a line breaks before a token: a CJK character, a Latin word (with its ASCII punctuation), or
# spaces; an opening bracket ("[" before a CJK character) sticks to what follows it, a closing
# one to what it follows
_TOKEN = re.compile(f"(?:[{re.escape(_OPEN)}]|\\[(?=[{_CJK}]))*"
                    f"(?:[^\\s{_CJK}{re.escape(_OPEN + _CLOSE)}]+|[{_CJK}])"
                    f"[{re.escape(_CLOSE)}]*|\\s+")


def _shown(ctx: click.Context) -> str:
    """The help page's language: chosen once per page (``SaidHelp.get_help``)."""
    if "help_lang" not in ctx.meta:
        ctx.meta["help_lang"] = _language(ctx)
    return ctx.meta["help_lang"]


def _cols(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap_lines(text: str, width: int) -> list[str]:
    """One line of Chinese text as lines of at most ``width`` columns on screen (a CJK
    character is two), broken between characters or at spaces, never inside a Latin word."""
    lines, line = [], ""
    for tok in _TOKEN.findall(text):
        if line.strip() and _cols(line + tok.rstrip()) > width:
            lines.append(line.rstrip())
            line = tok.lstrip()
        else:
            line += tok
    return [*lines, line.rstrip()]


def _wrap_wide(text: str, width: int) -> str:
    """Chinese text wrapped by its width on screen: each line of a paragraph on its own, a
    paragraph that begins with ``\\b`` kept as written; each paragraph marked ``\\b`` so
    that Click does not wrap it again."""
    out = []
    for para in text.split("\n\n"):
        if para.startswith("\b"):
            out.append(para)
            continue
        out.append("\n".join(["\b", *(w for line in para.split("\n")
                                        for w in _wrap_lines(line, width))]))
    return "\n\n".join(out)


def _write_dl(formatter: click.HelpFormatter, rows, col_max: int = 30,
              col_spacing: int = 2) -> None:
    """Click's ``write_dl`` measured in columns on screen, for Chinese rows."""
    first_col = min(max(_cols(a) for a, _ in rows), col_max) + col_spacing
    indent = formatter.current_indent
    for first, second in rows:
        formatter.write(f"{'':>{indent}}{first}")
        if not second:
            formatter.write("\n")
            continue
        if _cols(first) <= first_col - col_spacing:
            formatter.write(" " * (first_col - _cols(first)))
        else:
            formatter.write("\n" + " " * (first_col + indent))
        lines = [w for line in second.split("\n")
                 for w in _wrap_lines(line, max(formatter.width - first_col - 2, 10))]
        formatter.write(lines[0] + "\n")
        for line in lines[1:]:
            formatter.write(f"{'':>{first_col + indent}}{line}\n")


def _section(formatter: click.HelpFormatter, heading: str, rows, lang: str) -> None:
    formatter.write_paragraph()
    formatter.write(f"{'':>{formatter.current_indent}}{heading}\n")
    with formatter.indentation():
        if lang == "en":
            formatter.write_dl(rows)
        else:
            _write_dl(formatter, rows)


class SaidHelp:
    """The help page of a command or group from the catalogue (see the module docstring)."""

    def get_help(self, ctx: click.Context) -> str:
        ctx.meta["help_lang"] = _language(ctx)
        return super().get_help(ctx)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = ctx.meta.get("help_lang")
        if lang is None:  # a usage error: Click's usage line
            return super().format_usage(ctx, formatter)
        pieces = _metavars(" ".join(self.collect_usage_pieces(ctx)), lang)
        formatter.write_usage(ctx.command_path, pieces, prefix=say("help.frame.usage", lang))

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = _shown(ctx)
        if f"help.{_path(ctx)}" not in CATALOGUE[lang]:  # a command the catalogue lacks
            return super().format_help_text(ctx, formatter)
        text = inspect.cleandoc(_text(f"help.{_path(ctx)}", lang))
        if lang != "en":
            text = _wrap_wide(text, formatter.width - formatter.current_indent - 2)
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = _shown(ctx)
        rows = []
        for param in self.get_params(ctx):
            if isinstance(param, click.Argument) or param.hidden:
                continue
            spec, said = param.get_help_record(ctx)
            extra = _extra(param, ctx, said)
            items = []
            if "default" in extra:
                items.append(say("help.frame.default", lang, default=extra["default"]))
            if "range" in extra:
                items.append(extra["range"])
            if "required" in extra:
                items.append(say("help.frame.required", lang))
            help_ = _option_help(param, lang)
            if items:
                extra = "[" + say("help.frame.sep", lang).join(items) + "]"
                help_ = f"{help_}  {extra}" if help_ else extra
            rows.append((_metavars(spec, lang), help_))
        if rows:
            _section(formatter, say("help.frame.options", lang), rows, lang)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = _shown(ctx)
        names = [n for n in self.list_commands(ctx)
                 if (c := self.get_command(ctx, n)) is not None and not c.hidden]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        here = _path(ctx)
        rows = []
        for name in names:
            key = f"help.{name}.short" if here == "afterschool" else f"help.{here}.{name}.short"
            if key not in CATALOGUE[lang]:  # a command the catalogue lacks: Click's own line
                rows.append((name, self.get_command(ctx, name).get_short_help_str(limit)))
                continue
            text = _text(key, lang)
            rows.append((name, _make_default_short_help(text, limit) if lang == "en" else text))
        _section(formatter, say("help.frame.commands", lang), rows, lang)


class HelpCommand(SaidHelp, click.Command):
    """A command whose help page comes from the catalogue."""


class HelpGroup(SaidHelp, click.Group):
    """A group whose help page (and its commands') comes from the catalogue."""

    command_class = HelpCommand
    group_class = type
