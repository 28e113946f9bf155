"""Everything a command writes, as library calls the CLI makes once each.

- ``check_out_dir``: ``--out`` is never the instance folder, never holds the instance,
  never a folder of somebody else's files (without ``--force``), and must be writable
  (a folder can be created beside it); checked before any solving.
- ``write_plan_folder``: ``plan.json`` and every hand-out, written into a fresh folder that
  replaces ``--out`` as one unit (``output.swapped_folder``). The marker file lists what
  this tool wrote; anything else in the folder (somebody's files kept with ``--force``) is
  carried over, everything listed and not written again is gone. Every path written is
  checked to lie inside the folder; file names from ids go through ``safe.safe_file_name``.
- ``write_handouts``: the office's hand-outs beside ``plan.json``: workbook, notices (the
  parents' notice per class too), rosters (.ics), report.html, charts; returns the paths and
  the warnings a user should see. The objects alive when it starts (the plan, the school)
  are frozen out of Python's cyclic garbage collector while it runs (``gc.freeze``, undone
  at the end): writing a workbook makes 60,000 short-lived cells, and each full collection
  they set off otherwise walks every object of the plan again (70 ms each, three in a
  200-staff school's hand-outs).
- ``write_rosters``: a person's (or everyone's) duties as tables or phone calendars.
- ``save_chart``: a figure written atomically in the format its name asks for.
"""
from __future__ import annotations

import gc
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from afterschool.models.errors import InputError, Problem
from afterschool.models.plan import Plan
from afterschool.scheduler.handouts.ics import calendar_people
from afterschool.scheduler.handouts.output import (replaced_in_place, swapped_folder,
                                                   write_atomic, write_text)
from afterschool.scheduler.handouts.labels import words
from afterschool.scheduler.handouts.safe import inside, safe_file_name
from afterschool.scheduler.handouts.publish import (duty_notice, parents_sheets, roster_ics,
                                                    roster_rows, student_notice,
                                                    timetable_sheets)
from afterschool.scheduler.handouts.rooms import has_venues
from afterschool.scheduler.handouts.sheets import save_workbook, write_tables
from afterschool.scheduler.say import say, section

MARKER = ".afterschool-output"
HANDOUTS = ("workbook", "notice", "rosters", "charts", "report")
STUDENT_NOTICE_COLUMNS = ["group", "session", "time", "class", "name", "days"]
DUTY_NOTICE_COLUMNS = ["day", "time", "session", "group", "role", "name"]
ROSTER_COLUMNS = ["staff", "name", "day", "time", "session", "slot", "group", "class", "role",
                  "minutes"]


def check_out_dir(out: Path, instance: Path | None, force: bool) -> None:
    """Refuse an ``--out`` that is the instance (inputs are never written) or that holds
    files this tool did not write (unless ``force``). ``instance``: None for a command
    that reads no sheets (``export``)."""
    if instance is not None and (out.resolve() == instance.resolve()
                                 or instance.resolve() in out.resolve().parents):
        raise InputError([Problem("--out", "--out must not be the instance folder (inputs "
                                  "are never written)")])
    if instance is not None and out.resolve() in instance.resolve().parents:
        raise InputError([Problem("--out", f"--out {out} holds the instance {instance}; "
                                  "choose a folder of its own (inputs are never written)")])
    if out.exists() and not out.is_dir():
        raise InputError([Problem("--out", f"{out} is a file, not a folder")])
    cwd = Path.cwd().resolve()
    if out.resolve() == cwd or out.resolve() in cwd.parents:
        raise InputError([Problem("--out", f"--out {out} is the current folder or holds it; "
                                  "the outputs replace the whole folder, so choose a folder "
                                  "of their own such as plan-out")])
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists() and not force:
        raise InputError([Problem("--out", f"{out} is not empty and was not written by "
                                  "afterschool; choose another --out or add --force")])
    _check_writable(out)


def _check_writable(out: Path) -> None:
    """The new output set is built beside ``out`` and swapped in: its parent (or nearest
    existing ancestor) must take a new folder, and an existing ``out`` must be writable."""
    target = out.resolve()
    probe = target.parent
    while not probe.exists():
        probe = probe.parent
    problem = None
    if not probe.is_dir():
        problem = f"{probe} is a file, not a folder"
    elif target.exists() and not os.access(target, os.W_OK | os.X_OK):
        problem = f"{out} is read-only"
    else:
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".afterschool-probe-", dir=probe))
        except OSError as exc:
            problem = f"cannot create a folder in {probe}: {exc.strerror or exc}"
    if problem:
        raise InputError([Problem("--out", f"{problem}; the outputs cannot be written there",
                                  expected="a writable folder (checked before solving)")])


def _ours(out: Path) -> set[str] | None:
    """Files an earlier run listed in the marker (the marker included); an empty set when
    the marker predates the list (then every file there is treated as ours); None when no
    marker can be read (then every file is somebody else's)."""
    try:
        lines = (out / MARKER).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return set(lines[1:]) | {MARKER} if len(lines) > 1 else set()


def save_chart(fig, path: Path) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format of the path's suffix."""
    from afterschool.scheduler.handouts import charts  # matplotlib: only when drawing

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
        return [write_atomic(inside(out_dir, out_dir / f"{safe_file_name(sid)}.ics"),
                             lambda f, b=roster_ics(plan, sid, lang, alarm, cache):
                             f.write_bytes(b))
                for sid in people]
    rows = [r for sid in people for r in roster_rows(plan, sid, lang)]
    name = safe_file_name(name)
    inside(out_dir, out_dir / f"{name}.{fmt}")
    w = words(lang)
    columns = ROSTER_COLUMNS + (["venue"] if has_venues(plan) else [])  # SPEC §12
    return write_tables(out_dir, name, [(w["by_teacher"], rows, columns, ["minutes"])],
                        (fmt,), w, w["total"])


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Objects that exist now stay out of the garbage collector's walks until the block
    ends (``gc.freeze``); young garbage is collected as usual. A caller's own freeze is
    left alone."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def write_handouts(plan: Plan, out_dir: Path, lang: str | None,
                   skip: set[str]) -> tuple[list[Path], list[str]]:
    """The office's hand-outs beside plan.json; returns (paths written, warnings)."""
    with long_lived_frozen():
        return _write_handouts(plan, out_dir, lang, skip)


def _write_handouts(plan: Plan, out_dir: Path, lang: str | None,
                    skip: set[str]) -> tuple[list[Path], list[str]]:
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
        if plan.extra.get("clubs"):  # the club lottery's notices and lists (SPEC §12)
            from afterschool.scheduler.clubs.handouts import write_club_handouts
            written += write_club_handouts(plan, out_dir, lang)
    if "rosters" not in skip:
        written += write_rosters(plan, calendar_people(plan), "ics", out_dir / "rosters", lang)
    if "report" not in skip:
        from afterschool.scheduler.handouts.report import report_html
        written.append(write_text(out_dir / "report.html", report_html(plan, lang)))
    if "charts" not in skip:
        from afterschool.scheduler.handouts import charts  # matplotlib: 1 s of imports
        for kind in charts.KINDS:
            fig, _, warning = charts.draw(plan, kind, lang)
            if warning and kind == charts.KINDS[0]:
                warnings.append(warning)
            written.append(save_chart(fig, out_dir / f"chart-{kind}.png"))
    return written, warnings


def write_plan_folder(plan: Plan | None, out_dir: Path, lang: str | None = None,
                      skip: set[str] = frozenset(),
                      extra: Callable[[Path], list[Path]] | None = None, *,
                      record: Callable[[Path], Plan] | None = None,
                      pointer: str | None = None) -> tuple[list[Path], list[str]]:
    """``plan.json`` and the hand-outs, all or nothing: the new set replaces the old one as
    one unit, and a failure keeps the old outputs. ``extra(stage)`` writes a command's own
    tables (changes, cover list) into the same set and returns their paths.

    A folder holding a term's record is written in place (``output.replaced_in_place``).
    ``record(folder)``: called first with the folder the term's record lives in (the
    staging folder of a new term folder, so a failed run leaves no record either); it
    records and returns the plan to export, read back from the record. ``pointer``: the
    address of a record kept elsewhere, written as ``.afterschool-record``."""
    from afterschool.scheduler.record.term import POINTER_FILE, folder_record
    skip = set(HANDOUTS) if "all" in skip else set(skip)
    ours = _ours(out_dir) if (out_dir / MARKER).exists() else None
    in_place = folder_record(out_dir).is_file()

    def keep(rel: str) -> bool:  # somebody else's file (kept with --force) stays
        if rel.startswith(".staging-") or "/.staging-" in rel:
            return False
        return ours is None or (bool(ours) and rel not in ours)

    unit = replaced_in_place(out_dir, lambda rel: not keep(rel) and rel != MARKER) \
        if in_place else swapped_folder(out_dir, keep)
    with unit as stage:
        if record is not None:
            plan = record(out_dir.resolve() if in_place else stage)
        text = json.dumps(plan.to_dict(), ensure_ascii=False, indent=1)
        written = [write_text(stage / "plan.json", text + "\n")]
        more, warnings = write_handouts(plan, stage, lang, skip)
        written += more
        if extra is not None:
            written += extra(stage)
        if pointer is not None:
            written.append(write_text(stage / POINTER_FILE, pointer + "\n"))
        for p in written:
            inside(stage, p)
        listed = sorted(p.relative_to(stage).as_posix() for p in written)
        write_text(stage / MARKER, "written by afterschool\n" + "".join(f"{r}\n"
                                                                       for r in listed))
    return [out_dir / p.relative_to(stage) for p in written[1:]], warnings


def written_kinds(paths: list[Path], lang: str = "en") -> str:
    """What ``paths`` (the hand-outs written) are, for the "wrote …" line: only the kinds
    actually written, in the order they are written (``timetable.xlsx, notices, rosters/*.ics,
    report.html, charts``; in Chinese 总表、公示、值班日历、报告、图表)."""
    names = [p.name for p in paths]
    lang = "zh" if lang == "zh" else "en"
    w = section("kind", lang)
    kinds = [(w["timetable"], any(n.startswith("timetable.") for n in names)),
             (w["notices"], any(n.startswith("notice-") for n in names)),
             (w["rosters"], any(p.parent.name == "rosters" for p in paths)),
             (w["report"], "report.html" in names),
             (w["charts"], any(n.startswith("chart-") for n in names))]
    return say("list_sep", lang).join(k for k, there in kinds if there)

