"""Everything a command writes, as library calls the CLI makes once each.

- ``check_out_dir``: ``--out`` is never the instance folder and never a folder of somebody
  else's files (without ``--force``); checked before any solving.
- ``write_plan_folder``: ``plan.json`` and every hand-out, staged and moved in as one run.
- ``write_handouts``: the office's hand-outs beside ``plan.json``: workbook, notices (the
  parents' notice per class too), rosters (.ics), report.html, charts; returns the paths and
  the warnings a user should see.
- ``write_rosters``: a person's (or everyone's) duties as tables or phone calendars.
- ``save_chart``: a figure written atomically in the format its name asks for.
"""
from __future__ import annotations

import json
from pathlib import Path

from afterschool.models.errors import InputError, Problem
from afterschool.models.plan import Plan
from afterschool.scheduler.handouts import charts
from afterschool.scheduler.handouts.output import staged_folder, write_atomic, write_text
from afterschool.scheduler.handouts.labels import words
from afterschool.scheduler.handouts.publish import (duty_notice, parents_sheets, roster_ics,
                                                    roster_rows, student_notice,
                                                    timetable_sheets)
from afterschool.scheduler.handouts.sheets import save_workbook, write_tables

MARKER = ".afterschool-output"
HANDOUTS = ("workbook", "notice", "rosters", "charts", "report")
STUDENT_NOTICE_COLUMNS = ["group", "session", "time", "class", "name", "days"]
DUTY_NOTICE_COLUMNS = ["day", "time", "session", "group", "role", "name"]
ROSTER_COLUMNS = ["staff", "name", "day", "time", "session", "slot", "group", "class", "role",
                  "minutes"]


def check_out_dir(out: Path, instance: Path, force: bool) -> None:
    """Refuse an ``--out`` that is the instance (inputs are never written) or that holds
    files this tool did not write (unless ``force``)."""
    if out.resolve() == instance.resolve() or instance.resolve() in out.resolve().parents:
        raise InputError([Problem("--out", "--out must not be the instance folder (inputs "
                                  "are never written)")])
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists() and not force:
        raise InputError([Problem("--out", f"{out} is not empty and was not written by "
                                  "afterschool; choose another --out or add --force")])


def save_chart(fig, path: Path) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format of the path's suffix."""
    def draw(tmp: Path) -> None:
        staged = tmp.with_name(tmp.name + path.suffix.lower())
        charts.save(fig, staged)
        staged.replace(tmp)
    return write_atomic(path, draw)


def notice_sheets(plan: Plan, kind: str, lang: str) -> list:
    """The public notice as one table: the students' groups, or the duty list."""
    w = words(lang)
    if kind == "students":
        return [(w["notice_title"], student_notice(plan, lang), STUDENT_NOTICE_COLUMNS, [],
                 {"break_on": "group", "pack": True, "title": plan.extra.get("school", "")})]
    return [(w["duty_title"], duty_notice(plan, lang), DUTY_NOTICE_COLUMNS, [],
             {"break_on": "day", "pack": True, "title": plan.extra.get("school", "")})]


def write_rosters(plan: Plan, people: list[str], fmt: str, out_dir: Path, lang: str,
                  name: str = "rosters", alarm: int = 15) -> list[Path]:
    """One ``.ics`` per person (a reminder ``alarm`` minutes before each duty; 0 for none),
    or one table (``name.csv``/``.xlsx``) of everyone's duties."""
    if fmt == "ics":
        cache: dict = {}
        return [write_atomic(out_dir / f"{sid}.ics",
                             lambda f, b=roster_ics(plan, sid, lang, alarm, cache):
                             f.write_bytes(b))
                for sid in people]
    rows = [r for sid in people for r in roster_rows(plan, sid, lang)]
    w = words(lang)
    return write_tables(out_dir, name, [(w["by_teacher"], rows, ROSTER_COLUMNS, ["minutes"])],
                        (fmt,), w, w["total"])


def write_handouts(plan: Plan, out_dir: Path, lang: str | None,
                   skip: set[str]) -> tuple[list[Path], list[str]]:
    """The office's hand-outs beside plan.json; returns (paths written, warnings)."""
    lang = lang or plan.extra.get("language", "zh")
    written: list[Path] = []
    warnings: list[str] = []
    if "workbook" not in skip:
        w = words(lang)
        written.append(write_atomic(out_dir / "timetable.xlsx", lambda p: save_workbook(
            timetable_sheets(plan, lang), p, w, w["total"])))
    if "notice" not in skip:
        w = words(lang)
        for kind in ("students", "duties"):
            written += write_tables(out_dir, f"notice-{kind}", notice_sheets(plan, kind, lang),
                                    header_words=w, total_label=w["total"])
        written += write_tables(out_dir, "notice-parents", parents_sheets(plan, lang),
                                ("xlsx",), w, w["total"])
    if "rosters" not in skip:
        people = {d.staff for v in plan.versions() for d in v.duties}
        people |= {e["staff"] for e in plan.exceptions if e.get("staff")}
        written += write_rosters(plan, sorted(people), "ics", out_dir / "rosters", lang)
    if "report" not in skip:
        from afterschool.scheduler.handouts.report import report_html
        written.append(write_text(out_dir / "report.html", report_html(plan, lang)))
    if "charts" not in skip:
        for kind in charts.KINDS:
            fig, _, warning = charts.draw(plan, kind, lang)
            if warning and kind == charts.KINDS[0]:
                warnings.append(warning)
            written.append(save_chart(fig, out_dir / f"chart-{kind}.png"))
    return written, warnings


def write_plan_folder(plan: Plan, out_dir: Path, lang: str | None = None,
                      skip: set[str] = frozenset()) -> tuple[list[Path], list[str]]:
    """``plan.json`` and the hand-outs, all or nothing: a failure keeps the old outputs."""
    text = json.dumps(plan.to_dict(), ensure_ascii=False, indent=1)
    skip = set(HANDOUTS) if "all" in skip else set(skip)
    with staged_folder(out_dir) as stage:
        write_text(stage / MARKER, "written by afterschool\n")
        write_text(stage / "plan.json", text + "\n")
        written, warnings = write_handouts(plan, stage, lang, skip)
    return [out_dir / p.relative_to(stage) for p in written], warnings
