"""What ``substitute`` hands the office (SPEC §9): a one-page cover list and a short summary.

Input: a ``Substitution`` (``scheduler.planning.substitute``): the updated plan and the
exceptions this run added.
Output:
- ``cover_rows``: one row per covered span — date, weekday, time, session and group (or
  manager window), slots, the absent person, the substitute (or the shortage), the
  substitute's phone-calendar file, and advice where nobody covers. Back-to-back slots of
  one group taken by one person are one row (a noon duty is one line, not four).
- ``write_cover_folder``: ``plan.json`` with every hand-out ``plan`` writes (rosters/*.ics
  for the substitutes included) plus ``cover.csv``/``cover.xlsx``, as one output set
  (``bundle.write_plan_folder``: all or nothing).
- ``cover_summary``: the printed summary, per date and duty who covers and what is not.
Names come from the plan's ``people`` (full names: this list is for the office, not public).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from afterschool.models.school import parse_time
from afterschool.scheduler.handouts.bundle import write_plan_folder
from afterschool.scheduler.handouts.labels import day_name, group_label, window_label
from afterschool.scheduler.handouts.sheets import write_tables
from afterschool.scheduler.planning.substitute import Substitution, spans
from afterschool.scheduler.say import table

COLUMNS = ["date", "day", "time", "duty", "slots", "absent", "substitute", "calendar", "note"]
HEADERS = table("cover")  # words: scheduler/say_zh.py, say_en.py


def _name(result: Substitution, sid: str | None, lang: str = "en") -> str:
    staff = result.plan.extra.get("people", {}).get("staff", {})
    name = staff.get(sid, {}).get("name", sid)
    return f"{name}（{sid}）" if lang == "zh" else f"{name} ({sid})"


def _duty(span: dict, words: dict, plan=None, lang: str = "en") -> str:
    """The duty as the office reads it (午托3组; 管理或辅导 午间); ids when no plan given
    (the printed summary, which names what plan.json holds)."""
    if plan is None:
        return (f"{words['manager']} {span['window']}" if span["role"] == "manager"
                else f"{span['session']} {span['group']}")
    if span["role"] == "manager":
        return f"{words['manager']} {window_label(span['window'], lang)}"
    return group_label(plan, span["group"], lang, span["session"])


# why the others cannot cover (substitute.REASONS), and the advice's sentence parts, in
# the cover list's language
HELD = table("held")
ADVICE = table("cover_advice")


def advice_note(result: Substitution, advice: dict, lang: str) -> str:
    """The advice for a duty nobody covers, as the cover list's note, in the school's
    language: when one more volunteer would cover it, who is free then and could cover if
    they volunteered, what holds the others back (the facts ``substitute`` found)."""
    lang = "zh" if lang == "zh" else "en"
    w, held_words = ADVICE[lang], HELD[lang]
    duty = _duty({**advice, "session": None}, HEADERS[lang], result.plan, lang)
    slots = w["slots"].format(n=advice["slots"]) if advice["slots"] > 1 else ""
    text = w["need_manager" if advice["role"] == "manager" else "need"].format(
        day=day_name(advice["day"], lang), start=advice["start"], end=advice["end"],
        duty=duty, slots=slots)
    free = advice["could_volunteer"]
    if free:
        more = w["more"].format(rest=len(free) - 3) if len(free) > 3 else ""
        text += w["free"].format(names=w["sep"].join(_name(result, p, lang) for p in free[:3]),
                                 more=more)
    held = [w["held"].format(n=n, reason=held_words.get(r, r))
            for r, n in advice.get("held_back", {}).items()]
    if held:
        text += w["others"].format(held=w["sep2"].join(held))
    return text


def _advice_of(result: Substitution, lang: str = "en") -> dict[tuple, str]:
    return {_where(a): advice_note(result, a, lang) for a in result.advice}


def _where(span: dict) -> tuple:
    return (span["date"], span["start"], span["role"], span["group"] or span["window"])


def cover_rows(result: Substitution, lang: str = "zh") -> list[dict]:
    """The cover list: one row per date, duty span and substitute (see the module doc)."""
    words = HEADERS.get(lang, HEADERS["en"])
    advice = _advice_of(result, lang)
    rows = []
    for span in spans(result.added):
        staff = span["staff"]
        note = advice.get(_where(span), "")
        rows.append({"date": span["date"], "day": day_name(span["day"], lang),
                     "time": f"{span['start']}-{span['end']}",
                     "duty": _duty(span, words, result.plan, lang),
                     "slots": span["slots"], "absent": _name(result, span["replaces"], lang),
                     "substitute": _name(result, staff, lang) if staff else words["nobody"],
                     "calendar": f"rosters/{staff}.ics" if staff else "", "note": note})
    return rows


def cover_sheets(result: Substitution, lang: str = "zh") -> list:
    words = HEADERS.get(lang, HEADERS["en"])
    return [(words["title"], cover_rows(result, lang), COLUMNS, [], {"one_page": True})]


def write_cover_folder(result: Substitution, out_dir: Path, lang: str | None = None,
                       skip: set[str] = frozenset(), **record) -> tuple[list[Path], list[str]]:
    """``plan.json``, the hand-outs and ``cover.csv``/``cover.xlsx`` into ``out_dir``, all
    or nothing. Returns (paths written, warnings). ``record``: how a term's folder is
    written from its record (``record.term.export_args``)."""
    plan = result.plan
    lang = lang or plan.extra.get("language", "zh")
    words = HEADERS.get(lang, HEADERS["en"])

    def cover_list(stage: Path) -> list[Path]:
        return write_tables(stage, "cover", cover_sheets(result, lang), header_words=words)

    written, warnings = write_plan_folder(plan, out_dir, lang, skip, extra=cover_list,
                                          **record)
    return written, warnings


SUMMARY = table("cover_summary")


def cover_summary(result: Substitution, lang: str = "en") -> str:
    """Per date and duty who covers, what nobody covers (with advice), who was asked, in
    the school's language (``lang``: zh or en)."""
    zh = lang == "zh"
    w = SUMMARY["zh" if zh else "en"]
    plan, added = result.plan, result.added
    covered = sum(1 for x in added if x["staff"])
    lines = [w["head"].format(school=plan.extra.get("school", ""),
                              absent=_name(result, result.absent, lang),
                              dates=w["sep"].join(result.dates), n=len(added), c=covered,
                              u=len(added) - covered, asked=len(result.asked),
                              people="person" if len(result.asked) == 1 else "people")]
    advice = _advice_of(result, "zh" if zh else "en")
    for span in spans(added):
        slots = w["slots"].format(n=span["slots"]) if span["slots"] > 1 else ""
        duty = _duty(span, HEADERS["zh"], plan, "zh") if zh else _duty(span, HEADERS["en"])
        day = day_name(span["day"], "zh") if zh else span["day"]
        head = f"  {span['date']} {day} {span['start']}-{span['end']} {duty}{slots}{w['colon']}"
        if span["staff"]:
            lines.append(head + w["covers"].format(who=_name(result, span["staff"], lang)))
        else:
            lines.append(head + w["uncovered"])
            lines.append("      " + w["advice"].format(text=advice.get(_where(span), "")))
    if any(p["status"] != "OPTIMAL" for p in result.stats.get("phases", [])[:2]):
        lines.append("  " + w["cut"])
    if result.notes:
        lines.append("  " + w["nothing"].format(who=result.absent,
                                                notes=w["list"].join(result.notes)))
    minutes: dict[str, int] = defaultdict(int)
    for x in added:
        if x["staff"]:
            minutes[x["staff"]] += parse_time(x["end"]) - parse_time(x["start"])
    if result.asked:
        lines.append("  " + w["asked"].format(list=w["list"].join(
            w["minutes"].format(who=_name(result, t, lang), n=minutes[t]) for t in result.asked)))
    return "\n".join(lines)
