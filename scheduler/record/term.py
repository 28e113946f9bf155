"""A school's term in its record (SPEC §10): where it is, what it holds, what each command
appends. The database itself is behind ``store.Record``; this module speaks in terms.

Shape
- ``locate(arg)``: what a user named as TERM — a term folder (holding ``record.sqlite``),
  an export folder pointing to its record (``.afterschool-record``), a record URL
  (``sqlite:///…``, ``postgresql://…``), the ``plan.json`` of a term folder, or a bare
  ``plan.json`` made without a record (``TermRef.plan_file``: read as a file, as before).
- ``Term``: an open record and the term's id; ``current(reader)``/``as_of`` give the
  whole-term plan in force; ``version_instances`` the sheets each plan version was made
  from (for ``check``).
- ``record_plan``, ``record_replan``, ``record_substitute``, ``record_clubs``: one
  command's entries, appended
  in the caller's ``Record.write`` transaction: the instance version read (its files, once
  per content), the plan document (the whole-term ``plan.json``), absences and covers.
- ``plan_guard``: ``plan --out DIR`` into a folder whose record holds more than a first
  plan is refused (exit 2, naming what it holds) unless ``--new-record``, which keeps the
  old record beside it under a dated name (``record-YYYYMMDD-HHMMSS.sqlite``) or, on a
  server, under a dated label.
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from afterschool.models.errors import InputError, Problem
from afterschool.models.instance import Instance
from afterschool.models.plan import Plan
from afterschool.scheduler.record.store import (RECORD_FILE, Reader, Record, RecordError,
                                                Writer, _duty_key, display_url)

# in a folder without the record: where it is (line 1), and "copy" (line 2) for a copy
# made by export; without it the folder is the term folder of a record kept on a server
POINTER_FILE = ".afterschool-record"
URL_PREFIXES = ("sqlite:", "postgresql:", "postgres:", "postgresql+psycopg:")
INSTANCE_FILE_MAX = 64 * 1024 * 1024


@dataclass(frozen=True)
class TermRef:
    """What TERM names: a record (``url``, with the term folder when it is one) or a plan
    file made without a record (``plan_file``)."""

    url: str | None = None
    folder: Path | None = None
    plan_file: Path | None = None
    copy: Path | None = None  # the export folder named, when it points to the record

    @property
    def has_record(self) -> bool:
        return self.url is not None


def folder_record(folder: Path) -> Path:
    return Path(folder) / RECORD_FILE


def locate(arg: str | Path) -> TermRef:
    """The term a user named (see the module docstring)."""
    text = str(arg)
    if text.startswith(URL_PREFIXES):
        return TermRef(url=text)
    path = Path(text)
    if path.is_file() and path.suffix == ".sqlite":
        return TermRef(url=str(path), folder=path.parent if path.name == RECORD_FILE
                       else None)
    folder = path if path.is_dir() else path.parent
    if path.is_dir() or path.name == "plan.json":
        if folder_record(folder).is_file():
            return TermRef(url=str(folder_record(folder)), folder=folder)
        pointer = folder / POINTER_FILE
        if pointer.is_file():
            lines = pointer.read_text(encoding="utf-8").splitlines() + ["", ""]
            target, role = lines[0].strip(), lines[1].strip()
            copy = folder if role == "copy" else None
            if target.startswith(URL_PREFIXES):
                return TermRef(url=target, folder=None if copy else folder, copy=copy)
            if target and Path(target).name == RECORD_FILE:
                return TermRef(url=target, folder=Path(target).parent, copy=copy)
    return TermRef(plan_file=path / "plan.json" if path.is_dir() else path)


def school_key(inst_or_plan) -> tuple[str, str, str]:
    """(school, term start, term end) of an instance or a plan."""
    if isinstance(inst_or_plan, Instance):
        s = inst_or_plan.school
        return s.name, s.term.start.isoformat(), s.term.end.isoformat()
    extra = inst_or_plan.extra if isinstance(inst_or_plan, Plan) else inst_or_plan
    term = extra.get("term") or {}
    return str(extra.get("school", "")), str(term.get("start", "")), str(term.get("end", ""))


def lock_key(key: tuple[str, str, str]) -> str:
    return "term:" + "\x1f".join(key)


@dataclass
class Term:
    """An open record and one term in it."""

    record: Record
    term_id: int
    key: tuple[str, str, str]
    folder: Path | None = None
    copy: Path | None = None

    def current_row(self, r: Reader) -> dict | None:
        rows = r.plan_rows(self.term_id)
        return rows[-1] if rows else None

    def current(self, r: Reader, written: dict | None = None) -> Plan:
        row = self.current_row(r)
        if row is None:
            raise InputError([Problem(display_url(self.record.url),
                                      "the record holds no plan for this term",
                                      expected="a term made by afterschool plan")])
        return self.plan_of(r, row["id"], written)

    def as_of(self, r: Reader, day: date) -> Plan:
        """The plan as the office had it for ``day``: the last one recorded whose current
        version started on or before that date (covers recorded with it included)."""
        start = self.key[1]
        chosen = None
        for row in r.plan_rows(self.term_id):
            if (row["valid_from"] or start) <= day.isoformat():
                chosen = row
        if chosen is None:
            raise InputError([Problem("--as-of", "no plan of the term was in force then",
                                      value=day.isoformat(), expected=f"a date from {start}")])
        return self.plan_of(r, chosen["id"])

    def plan_of(self, r: Reader, plan_id: int, written: dict | None = None) -> Plan:
        """A recorded plan, through the same schema as a plan file (a record is input too:
        a server may hold rows another program wrote); ``written``: the document this
        command has just recorded, which the record's, if equal, need not be checked
        against again (the schema's check of a large plan takes long: docs/benchmarks.md)."""
        from afterschool.scheduler.reading.plan_schema import validate_plan_dict
        doc = r.document(plan_id)
        problems = [] if written is not None and doc == written else validate_plan_dict(
            doc, f"{display_url(self.record.url)} plan {plan_id}")
        if problems:
            raise InputError(problems)
        return Plan.from_dict(doc)

    def version_instances(self, r: Reader, plan: Plan) -> list[Instance | None]:
        """Per version of ``plan`` (oldest first) the instance it was planned from: the
        sheets of the last plan or re-plan recorded with that ``valid_from``."""
        start = self.key[1]
        by_from: dict[str, int | None] = {}
        for row in r.plan_rows(self.term_id):
            if row["kind"] in ("plan", "replan", "clubs"):
                by_from[row["valid_from"] or start] = row["instance_id"]
        out: list[Instance | None] = []
        cache: dict[int, Instance] = {}
        for v in plan.versions():
            iid = by_from.get(v.valid_from or start)
            if iid is None:
                out.append(None)
                continue
            if iid not in cache:
                cache[iid] = instance_from_files(r.instance_files(iid))
            out.append(cache[iid])
        return out

    def latest_instance(self) -> Instance:
        """The sheets of the latest entry that read them."""
        with self.record.read() as r:
            rows = r.instance_rows(self.term_id)
            if not rows:
                raise InputError([Problem(display_url(self.record.url),
                                          "the record holds no sheets for this term")])
            return instance_from_files(r.instance_files(rows[-1]["id"]))

    def holds(self, r: Reader) -> dict[str, int]:
        """What the term holds beyond its first plan: re-plans, absences, covers…"""
        counts = r.counts(self.term_id)
        held = {k: n for k, n in counts.items() if k != "plan"}
        absent = len(r.absences(self.term_id))
        if absent:
            held["absences"] = absent
        return held


def open_term(ref: TermRef, key: tuple[str, str, str] | None = None, *,
              option: str = "TERM") -> Term:
    """The term ``ref`` names, in its record. ``key`` (school, start, end) picks the term
    when the record keeps several; without it the one current term, or ``?school=``."""
    assert ref.url is not None
    try:
        rec = Record.open(ref.url)
    except RecordError as exc:
        raise InputError([Problem(option, str(exc))]) from None
    with rec.read() as r:
        terms = [t for t in r.terms() if t["label"] == "current"]
    pick = rec.pick
    if key is not None:
        terms = [t for t in terms if (t["school"], t["term_start"], t["term_end"]) == key]
    if "school" in pick:
        terms = [t for t in terms if t["school"] == pick["school"]]
    if "term" in pick:
        terms = [t for t in terms if t["term_start"] == pick["term"]]
    if len(terms) != 1:
        what = "no term of this school" if not terms else f"{len(terms)} terms"
        raise InputError([Problem(option, f"the record {display_url(ref.url)} holds {what}",
                                  expected="a record of this school and term (add "
                                  "?school=NAME&term=START to a server's URL)")])
    t = terms[0]
    return Term(rec, t["id"], (t["school"], t["term_start"], t["term_end"]), ref.folder,
                ref.copy)


# --- instance versions -----------------------------------------------------------------
def snapshot(inst: Instance) -> dict[str, bytes]:
    """The files of the instance as imported: every regular file at the top of its folder
    (or the workbook itself)."""
    src = Path(inst.source)
    files: dict[str, bytes] = {}
    if src.is_file():
        return {src.name: src.read_bytes()}
    for p in sorted(src.iterdir()):
        if p.is_file() and not p.is_symlink() and not p.name.startswith(".") \
                and p.stat().st_size <= INSTANCE_FILE_MAX:
            files[p.name] = p.read_bytes()
    return files


def instance_from_files(files: dict[str, bytes]) -> Instance:
    """An instance read again from the files a record keeps."""
    from afterschool.scheduler.reading.reader import read_instance
    with tempfile.TemporaryDirectory(prefix="afterschool-instance-") as tmp:
        root = Path(tmp)
        for name, content in files.items():
            if "/" in name or name.startswith("."):
                continue
            (root / name).write_bytes(content)
        books = [n for n in files if n.lower().endswith((".xlsx", ".xlsm"))]
        path = root / books[0] if books and "school.toml" not in files else root
        return read_instance(path)


# --- what each command appends -----------------------------------------------------------
def _plan_summary(plan: Plan) -> dict[str, Any]:
    return {"groups": len(plan.groups), "duties": len(plan.duties),
            "shortages": sum(s.count for s in plan.shortages), "status": plan.status,
            "valid_from": plan.valid_from}


def record_plan(w: Writer, key: tuple[str, str, str], inst: Instance, plan: Plan,
                doc: dict | None = None) -> int:
    """The first plan of a term (or one that replaces a first plan): returns the term id.
    ``doc``: ``plan.to_dict()`` if the caller has it already."""
    term_id = w.term(*key)
    entry = w.entry(term_id, "plan", _plan_summary(plan)
                    | {"staff": sorted({d.staff for d in plan.duties})})
    iid = w.instance(term_id, entry, snapshot(inst), Path(inst.source).name)
    w.plan(term_id, entry, iid, "plan", plan.valid_from, plan.to_dict() if doc is None else doc)
    return term_id


def find_term(r: Reader, key: tuple[str, str, str]) -> int | None:
    for t in r.terms():
        if t["label"] == "current" and (t["school"], t["term_start"], t["term_end"]) == key:
            return t["id"]
    return None


def record_first_plan(url: str | None, folder: Path, key: tuple[str, str, str],
                      inst: Instance, plan: Plan, by: str) -> Plan:
    """``plan``'s entries in the record at ``url`` (None: ``folder``/record.sqlite, made
    when new); returns the plan read back from it. A term that came to hold more than its
    first plan while this one was planned is refused, as ``plan_guard`` would have."""
    rec = Record.open(url or str(folder_record(folder)), create=True)
    doc = plan.to_dict()  # once: recorded, then what the record is compared with
    with rec.write(by, "plan", lock_key(key)) as w:
        found = find_term(w, key)
        held = Term(rec, found, key).holds(w) if found is not None else {}
        if held:
            raise InputError([Problem("--out", "while this plan was made, the term's record "
                                      f"came to hold {_describe(held)}; nothing was written",
                                      expected="afterschool replan, or --new-record")])
        term_id = record_plan(w, key, inst, plan, doc)
    with rec.read() as r:
        return Term(rec, term_id, key, folder).current(r, written=doc)


def record_replan(w: Writer, term: Term, inst: Instance, result) -> None:
    """A re-plan: its changes (students moved, duties changed) with the new document."""
    plan = result.plan
    summary = _plan_summary(plan) | {
        "from": result.statistics.start,
        "students": [{k: r.get(k) for k in ("student", "change", "session", "old_group",
                                             "new_group")} for r in result.students],
        "duties": [{k: r.get(k) for k in ("day", "time", "session", "window", "slot",
                                           "group", "role", "old_staff", "new_staff")}
                   for r in result.duties]}
    entry = w.entry(term.term_id, "replan", summary)
    iid = w.instance(term.term_id, entry, snapshot(inst), Path(inst.source).name)
    # covers the re-plan found again for duties it changed (absences are facts: SPEC §9)
    had = {(c["date"], c["replaces"], json.dumps(c["duty"], sort_keys=True), c["staff"])
           for c in w.covers(term.term_id)}
    for x in plan.exceptions:
        key = (x["date"], x["replaces"], json.dumps(_duty_key(x), sort_keys=True),
               x.get("staff"))
        if key not in had:
            w.cover(term.term_id, entry, x)
    w.plan(term.term_id, entry, iid, "replan", plan.valid_from, plan.to_dict())


def record_substitute(w: Writer, term: Term, inst: Instance, result) -> None:
    """An absence (person, dates) and the covers found for it."""
    entry = w.entry(term.term_id, "substitute", {
        "absent": result.absent, "dates": result.dates,
        "covers": [{"date": c.date, "start": c.start, "end": c.end, "group": c.group,
                    "window": c.window, "staff": c.staff} for c in result.covers]})
    iid = w.instance(term.term_id, entry, snapshot(inst), Path(inst.source).name)
    for day in sorted({c.date for c in result.covers}):
        w.absence(term.term_id, entry, result.absent, day)
    for c in result.covers:
        w.cover(term.term_id, entry, c.as_dict())
    w.plan(term.term_id, entry, iid, "substitute", result.plan.valid_from,
           result.plan.to_dict())


def record_clubs(w: Writer, term: Term, inst: Instance, plan: Plan) -> None:
    """A club lottery (SPEC §12): the sheets it drew from and the plan with its result."""
    sec = plan.extra["clubs"]
    entry = w.entry(term.term_id, "clubs", {
        "seed": sec["seed"], "start": sec["start"], "assigned": len(sec["assigned"]),
        "waiting": len(sec["waiting"]), "cancelled": list(sec["cancelled"])})
    if Path(inst.source).exists():
        iid = w.instance(term.term_id, entry, snapshot(inst), Path(inst.source).name)
    else:  # the sheets came from the record itself (``Term.latest_instance``)
        iid = w.instance_rows(term.term_id)[-1]["id"]
    w.plan(term.term_id, entry, iid, "clubs", plan.valid_from, plan.to_dict())


# --- what happened (SPEC §11) ------------------------------------------------------------
def facts(r: Reader, term_id: int):
    """The settlement's inputs as the record holds them (the latest of each key)."""
    from afterschool.scheduler.money.settlement import Facts
    paid: dict[str, Decimal] = {}
    for p in r.payments(term_id):
        paid[p["student"]] = paid.get(p["student"], Decimal(0)) + Decimal(p["amount"])
    return Facts(attendance=r.attendance(term_id),
                 staff=[{"date": x["date"], "session": x["part"], "group": x["group"],
                         "staff": x["staff"], "status": x["status"]}
                        for x in r.staff_attendance(term_id)],
                 cancelled=[(c["date"], c["session"]) for c in r.cancellations(term_id)],
                 payments=paid)


def happened_summary(r: Reader, term_id: int, as_of: date | None = None) -> dict:
    """What the exports show of SPEC §11 (``plan.json`` key ``happened``): the cancelled
    dates with their reason, and per date and session the pupils late, early, on leave and
    absent; empty when nothing was recorded. ``as_of``: dates up to then."""
    last = as_of.isoformat() if as_of else "9999-12-31"
    cancelled = [{"date": c["date"], "session": c["session"], "reason": c["reason"]}
                 for c in r.cancellations(term_id) if c["date"] <= last]
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for (day, session, _), status in r.attendance(term_id).items():
        if status != "present" and day <= last:
            row = counts.setdefault((day, session), {"late": 0, "early": 0, "leave": 0,
                                                     "absent": 0})
            row[status] += 1
    out: dict = {}
    if cancelled:
        out["cancelled"] = cancelled
    if counts:
        out["attendance"] = [{"date": d, "session": s, **c}
                             for (d, s), c in sorted(counts.items())]
    return out


def record_attendance(w: Writer, term: Term, entries, source: str) -> tuple[int, int]:
    """The entries of an attendance file that the record does not hold yet; returns how
    many pupil and staff rows were new (0, 0: nothing recorded, no entry made)."""
    from afterschool.scheduler.record.happened import new_entries
    new = new_entries(entries, w.attendance(term.term_id),
                      w.staff_attendance(term.term_id))
    if not new.pupils and not new.staff:
        return 0, 0
    entry = w.entry(term.term_id, "attendance", {
        "file": source, "pupils": len(new.pupils), "staff": len(new.staff),
        "dates": sorted({p[0] for p in new.pupils} | {s["date"] for s in new.staff}),
        "statuses": {k: sum(1 for p in new.pupils if p[3] == k)
                     for k in sorted({p[3] for p in new.pupils})}})
    w.attendance_rows(term.term_id, entry, new.pupils)
    w.staff_rows(term.term_id, entry, new.staff)
    return len(new.pupils), len(new.staff)


def record_cancel(w: Writer, term: Term, days: list[str], session: str | None,
                  reason: str) -> int:
    """Cancelled service on ``days`` (one session, or the whole day); dates already
    cancelled the same way are not recorded again. Returns how many were new."""
    have = {(c["date"], c["session"]) for c in w.cancellations(term.term_id)}
    new = [d for d in days if (d, session) not in have and (d, None) not in have]
    if not new:
        return 0
    entry = w.entry(term.term_id, "cancel", {"dates": new, "session": session,
                                             "reason": reason})
    for d in new:
        w.cancellation(term.term_id, entry, d, session, reason)
    return len(new)


def record_payments(w: Writer, term: Term, rows: list[dict], source: str) -> int:
    """Payments not yet recorded (a receipt already recorded with the same content is
    skipped; with other content it is bad input). Returns how many were new."""
    have = {p["receipt"]: p for p in w.payments(term.term_id)}
    new, clash = [], []
    for row in rows:
        old = have.get(row["receipt"])
        if old is None:
            new.append(row)
        elif any(old[k] != row[k] for k in ("student", "date", "amount")):
            clash.append(row["receipt"])
    if clash:
        raise InputError([Problem(source, f"receipt {r} is recorded already with another "
                                  "pupil, date or amount", column="receipt",
                                  expected="a correction as a new receipt number")
                          for r in clash[:20]])
    if new:
        entry = w.entry(term.term_id, "payments", {"file": source, "rows": len(new),
                                                   "total": str(sum(Decimal(r["amount"])
                                                                    for r in new))})
        w.payment_rows(term.term_id, entry, new)
    return len(new)


# --- exports ---------------------------------------------------------------------------
def record_address(term: Term) -> str:
    """Where the term's record is, as an export folder's pointer names it."""
    url = term.record.url
    if url.startswith(URL_PREFIXES):
        return display_url(url)
    return str(Path(url).resolve())


def export_args(term: Term, out_dir: Path, as_of: date | None = None) -> dict[str, Any]:
    """How ``bundle.write_plan_folder`` writes the term into ``out_dir`` from the record
    (the latest plan, or the one in force on ``as_of``): into the term folder in place,
    into any other folder as a copy that points to the record."""
    mine = term.folder is not None and Path(out_dir).resolve() == Path(term.folder).resolve()
    if not mine and folder_record(Path(out_dir)).is_file():
        raise InputError([Problem("--out", f"{out_dir} holds the record of a term of its own",
                                  expected="the term's own folder, or a folder without a "
                                  "record")])

    def read_back(_folder: Path) -> Plan:
        with term.record.read() as r:
            plan = term.as_of(r, as_of) if as_of else term.current(r)
            happened = happened_summary(r, term.term_id, as_of)
        if happened:
            plan.extra["happened"] = happened
        return plan

    pointer = (None if folder_record(Path(out_dir)).is_file() else record_address(term)) \
        if mine else record_address(term) + "\ncopy"
    return {"record": read_back, "pointer": pointer}


def export_folders(term: Term, out: str | Path | None) -> list[Path]:
    """Where a command on the term writes: the term folder and ``out``. A copy the term was
    reached through stays as it was (an ``export --as-of`` is a snapshot of its date); a
    record on a server with no folder named is written nowhere."""
    folders: list[Path] = []
    for f in (term.folder, out):
        if f is not None and not any(Path(f).resolve() == g.resolve() for g in folders):
            folders.append(Path(f))
    return folders


def rewrite(term: Term) -> list[Path]:
    """The term folder written again from the record, after a command that changes what its
    files show (cancelled dates in the rosters, attendance in the report)."""
    from afterschool.scheduler.handouts.bundle import write_plan_folder
    folders = export_folders(term, None)
    for f in folders:
        write_plan_folder(None, f, None, set(), **export_args(term, f))
    return folders


# --- plan into a folder that may hold a record -----------------------------------------
def _describe(held: dict[str, int]) -> str:
    names = {"replan": "re-plan(s)", "substitute": "substitution run(s)",
             "absences": "absence date(s)"}
    return ", ".join(f"{n} {names.get(k, k)}" for k, n in sorted(held.items()))


def plan_guard(out_dir: Path, record_url: str | None, key: tuple[str, str, str],
               new_record: bool, by: str) -> str | None:
    """Before solving: the record ``plan`` will write to (its URL; None: a new record in
    the folder). Refuses a record that holds more than a first plan of this term unless
    ``new_record``, which first keeps the old one under a dated name."""
    url = record_url or (str(folder_record(out_dir)) if folder_record(out_dir).is_file()
                         else None)
    if url is None:
        return None
    try:
        rec = Record.open(url, create=record_url is not None)
    except RecordError as exc:
        raise InputError([Problem("--record" if record_url else "--out", str(exc))]) from None
    with rec.read() as r:
        found = [t for t in r.terms() if t["label"] == "current"
                 and (t["school"], t["term_start"], t["term_end"]) == key]
        held = Term(rec, found[0]["id"], key).holds(r) if found else {}
        others = [t for t in r.terms() if t["label"] == "current"
                  and (t["school"], t["term_start"], t["term_end"]) != key]
    if record_url is None and others and not found:
        what = others[0]
        raise InputError([Problem("--out", f"{out_dir} holds the record of another term "
                                  f"({what['school']} {what['term_start']}..{what['term_end']})",
                                  expected="a folder of its own for each school and term")])
    if not held and not (new_record and found):
        return url
    if not new_record:
        raise InputError([Problem(
            "--out" if record_url is None else "--record",
            f"the term's record ({display_url(url)}) holds more than its first plan: "
            f"{_describe(held)}; a new plan would start the term again",
            expected="afterschool replan to change the plan, or --new-record to start a new "
                     "record (the old one is kept beside it under a dated name)")])
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    if record_url is None:
        rec.dispose()
        _set_aside(folder_record(out_dir), out_dir / f"record-{stamp}.sqlite")
        return None
    with rec.write(by, "plan --new-record", lock_key(key)) as w:
        w.relabel_term(found[0]["id"], f"until-{stamp}")
    return url


def _set_aside(path: Path, dest: Path) -> None:
    """Keep an SQLite record under another name: its write-ahead log folded in first."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    n = 1
    while dest.exists():
        dest = dest.with_name(f"{dest.stem}-{n}.sqlite")
        n += 1
    os.rename(path, dest)
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
