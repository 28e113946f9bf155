"""Term record benchmark (issue 21): a 3,000-pupil school's whole term in its record.

    python bench/record.py [--students 3000] [--teachers 150] [--replans 3] [--covers 50]
                           [--no-postgres]

The term is computed once — the first plan, re-plans from three mid-term dates (each after
5 % churn: withdrawals, new pupils, three volunteers gone), and single-date absences of a
person on duty until ``--covers`` covers are recorded — and then written into an SQLite
record and into a PostgreSQL database on a server started for the run (Debian's binaries,
as in the tests), each command in its own transaction as the CLI writes it. Printed per
back end: CPU and wall seconds to write the term, the record's size, and the CPU and wall
seconds to read it back (the current plan, every version's sheets for ``check``, every
entry for ``history``, a ``who`` on each Tuesday of the term).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from replan import churn  # noqa: E402

from afterschool.scheduler.planning.replan import replan  # noqa: E402
from afterschool.scheduler.planning.solve import solve  # noqa: E402
from afterschool.scheduler.planning.substitute import substitute  # noqa: E402
from afterschool.scheduler.reading.generate import generate_school, write_school  # noqa: E402
from afterschool.scheduler.reading.reader import read_instance  # noqa: E402
from afterschool.scheduler.record import questions as Q  # noqa: E402
from afterschool.scheduler.record import term as T  # noqa: E402
from afterschool.scheduler.record.store import Record  # noqa: E402
from afterschool.models.errors import InputError  # noqa: E402


def build_term(root: Path, n: int, staff: int, replans: int, covers: int):
    """The term's commands as (kind, instance, result), computed once."""
    write_school(root / "v0", generate_school(n, None, staff, 7), False)
    inst = read_instance(root / "v0")
    plan = solve(inst, time_limit=7, seed=0)
    steps = [("plan", inst, plan)]
    current = plan
    dates = [date(2026, 10, 13), date(2026, 11, 10), date(2026, 12, 8)][:replans]
    tuesdays = [d for d in current.extra["calendar"]["Tue"]]
    got, k, v = 0, 0, 0
    tuesdays = tuesdays * 3  # a second and third round of absences on the same dates
    for i, when in enumerate(dates + [None]):
        # absences before this re-plan's date, a person on duty that Tuesday each
        while got < covers * (i + 1) // (len(dates) + 1) and k < len(tuesdays):
            day = tuesdays[k]
            k += 1
            if when is not None and day >= when.isoformat():
                k -= 1
                break
            staff_on = sorted({d.staff for d in current.duties if d.day == "Tue"
                               and d.role == "teacher"})
            try:
                res = substitute(inst, current, staff_on[k % len(staff_on)], [day],
                                 time_limit=1.0)
            except InputError:
                continue
            current = res.plan
            got += len(res.added)
            steps.append(("substitute", inst, res))
        if when is None:
            break
        v += 1
        churn(root / f"v{v - 1}", root / f"v{v}", current, 0.05, v)
        inst = read_instance(root / f"v{v}")
        res = replan(inst, current, when, time_limit=3)
        current = res.plan
        steps.append(("replan", inst, res))
    return steps, got


def write_term(url: str, steps) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    rec = Record.open(url, create=True)
    key = T.school_key(steps[0][1])
    term = None
    for kind, inst, res in steps:
        with rec.write("bench", kind, T.lock_key(key)) as w:
            if kind == "plan":
                term = T.Term(rec, T.record_plan(w, key, inst, res), key)
            elif kind == "replan":
                T.record_replan(w, term, inst, res)
            else:
                T.record_substitute(w, term, inst, res)
    return time.process_time() - c0, time.perf_counter() - w0


def read_term(url: str) -> tuple[float, float, float, int, int]:
    """CPU and wall seconds to read the current plan, every entry and a ``who`` on each
    Tuesday; CPU seconds to read every version's sheets again (what ``check`` does)."""
    c0, w0 = time.process_time(), time.perf_counter()
    term = T.open_term(T.TermRef(url=url))
    with term.record.read() as r:
        plan = term.current(r)
        entries = r.entries(term.term_id)
        absences = r.absences(term.term_id)
    rows = sum(len(Q.who(plan, date.fromisoformat(d), absences))
               for d in plan.extra["calendar"]["Tue"])
    c1, w1 = time.process_time(), time.perf_counter()
    with term.record.read() as r:
        versions = term.version_instances(r, plan)
    assert len(versions) == len(plan.versions()) and all(versions)
    return c1 - c0, w1 - w0, time.process_time() - c1, len(entries), rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=3000)
    ap.add_argument("--teachers", type=int, default=150)
    ap.add_argument("--replans", type=int, default=3)
    ap.add_argument("--covers", type=int, default=50)
    ap.add_argument("--no-postgres", action="store_true")
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-record-"))
    t0 = time.process_time()
    steps, got = build_term(root, a.students, a.teachers, a.replans, a.covers)
    print(f"term computed in {time.process_time() - t0:.1f} s CPU: {len(steps)} commands "
          f"(1 plan, {sum(k == 'replan' for k, _, _ in steps)} re-plans, "
          f"{sum(k == 'substitute' for k, _, _ in steps)} absences with {got} covers)")
    backends = [("SQLite", str(root / "term" / "record.sqlite"))]
    server = None
    if not a.no_postgres:
        import pg_server
        server = pg_server.start(root / "pg")
        backends.append(("PostgreSQL", server.create_database("bench")))
    (root / "term").mkdir()
    print("| back end | write CPU s | write wall s | size MB | read CPU s | read wall s | "
          "sheets of every version CPU s | entries | who rows |")
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        for name, url in backends:
            wc, ww = write_term(url, steps)
            if name == "SQLite":
                size = sum(os.path.getsize(p) for p in (root / "term").glob("record.sqlite*"))
            else:
                import psycopg
                with psycopg.connect(url) as conn:
                    size = conn.execute("SELECT pg_database_size('bench')").fetchone()[0]
            rc, rw, sc, n, rows = read_term(url)
            print(f"| {name} | {wc:.2f} | {ww:.2f} | {size / 1e6:.1f} | {rc:.2f} | {rw:.2f} "
                  f"| {sc:.2f} | {n} | {rows} |")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
