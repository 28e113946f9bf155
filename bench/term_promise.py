"""Whole-command CPU of the term commands against their time promise (issue 23): ``plan``,
``substitute``, ``clubs`` and ``replan``, each run as a user runs it (a fresh process, the
CPU of the whole process as ``/usr/bin/time`` counts it: user + system, start-up imports,
reading, the search, the record and every file written).

    python bench/term_promise.py SCHOOL [SCHOOL ...] [--limit S] [--plan-limit S]
                                 [--work DIR]

For each school: ``plan SCHOOL --out TERM`` once, then each term command on a fresh copy of
that term: ``substitute`` (the 9th teacher row, 2026-09-22 and 2026-09-24, as
/work/term-run/run.sh), ``clubs --seed 20260901`` (a school with clubs.csv) and ``replan
--from 2026-11-03`` after the first volunteer who instructs no club and has duties stops
(``volunteer = no``). ``--limit`` (repeatable): the term commands' limits to run (default:
their default). Prints one row per command: limit, promise (1.5 x limit + 2 s), CPU, kept,
exit code, and for the re-plan the duties changed, teachers notified, unfilled posts and
still-available duties kept.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from afterschool.cli import CLUBS_LIMIT, TERM_LIMIT
from afterschool.scheduler.planning.reserve import promise

DEFAULTS = {"plan": 7.0, "substitute": TERM_LIMIT, "replan": TERM_LIMIT, "clubs": CLUBS_LIMIT}


def run(args: list[str]) -> tuple[float, int, str]:
    """(CPU seconds of the process, its exit code, its stdout)."""
    proc = subprocess.Popen([sys.executable, "-m", "afterschool", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, proc.returncode, out


def stop_one(school: Path, term: Path, dst: Path, rank: int = 0) -> str:
    """A copy of ``school`` where the first volunteer (from the third row) with a duty who
    instructs no club stops volunteering (``rank``: the rank-th most loaded by duty minutes
    instead); returns their id."""
    shutil.copytree(school, dst)
    plan = json.loads((term / "plan.json").read_text(encoding="utf-8"))
    on_duty = {d["staff"] for d in plan["duties"]}
    instructors = set()
    if (school / "clubs.csv").exists():
        with open(school / "clubs.csv", encoding="utf-8-sig") as fh:
            instructors = {r.get("instructor", "") for r in csv.DictReader(fh)}
    path = dst / "teachers.csv"
    with open(path, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    col = [k for k, x in enumerate(rows[0]) if x.strip().lower() in ("volunteer", "志愿")][0]
    load: dict[str, int] = {}
    for d in plan["duties"]:
        m = (int(d["end"][:2]) * 60 + int(d["end"][3:])) - (int(d["start"][:2]) * 60
                                                           + int(d["start"][3:]))
        load[d["staff"]] = load.get(d["staff"], 0) + m
    chosen = sorted(load, key=lambda t: (-load[t], t))[rank - 1] if rank else None
    for r in rows[3:] if rank == 0 else rows[1:]:
        if (r[0] == chosen) if rank else (r[0] in on_duty and r[0] not in instructors):
            r[col] = "no" if r[col].isascii() else "否"
            who = r[0]
            break
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return who


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("schools", nargs="+", type=Path)
    ap.add_argument("--limit", type=float, action="append", default=None)
    ap.add_argument("--plan-limit", type=float, default=None)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--stop", type=int, default=0,
                    help="stop the N-th most loaded volunteer instead (tests/"
                    "test_replan_budget.py: 2)")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="term-promise-"))
    rows = []
    for school in a.schools:
        base = work / (school.name + "-term")
        shutil.rmtree(base, ignore_errors=True)
        plan_args = ["plan", str(school), "--out", str(base)] + (
            ["--time-limit", str(a.plan_limit)] if a.plan_limit else [])
        cpu, code, _ = run(plan_args)
        rows.append((school.name, "plan", a.plan_limit or DEFAULTS["plan"], cpu, code, ""))
        with open(school / "teachers.csv", encoding="utf-8-sig") as fh:
            absent = list(csv.reader(fh))[9][0]
        edited = work / (school.name + "-edited")
        shutil.rmtree(edited, ignore_errors=True)
        who = stop_one(school, base, edited, a.stop)
        for limit in a.limit or [None]:
            lim = ["--time-limit", str(limit)] if limit else []
            commands = [("substitute", [str(school), "{T}", "--teacher", absent, "--dates",
                                        "2026-09-22,2026-09-24"]),
                        ("replan", [str(edited), "--previous", "{T}", "--from",
                                    "2026-11-03"])]
            if (school / "clubs.csv").exists():
                commands.insert(1, ("clubs", [str(school), "{T}", "--seed", "20260901",
                                              "--from", "2026-09-15"]))
            for name, args in commands:
                term = work / f"{school.name}-{name}"
                shutil.rmtree(term, ignore_errors=True)
                shutil.copytree(base, term)
                cpu, code, _ = run([name] + [x.replace("{T}", str(term)) for x in args]
                                   + lim)
                note = ""
                if name == "replan":
                    p = json.loads((term / "plan.json").read_text(encoding="utf-8"))
                    s = p["replan"]
                    with open(term / "changes-teachers.csv", encoding="utf-8-sig") as fh:
                        notified = max(len(list(csv.reader(fh))) - 1, 0)
                    note = (f"{who} stops: {s['duties_changed']} duties changed, "
                            f"{notified} notified, "
                            f"{sum(x['count'] for x in p['shortages'])} posts unfilled, "
                            f"{s['available_duties_kept']}/{s['available_duties_before']} "
                            f"kept, budgets' limit {p['solve_stats']['time_limit']:.2f}")
                rows.append((school.name, name, limit or DEFAULTS[name], cpu, code, note))
    print(f"machine load {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M')}")
    print("| school | command | limit | promise | CPU s | kept | exit | re-plan |")
    print("|---|---|---|---|---|---|---|---|")
    for school, name, limit, cpu, code, note in rows:
        print(f"| {school} | {name} | {limit:g} | {promise(limit):g} | {cpu:.1f} | "
              f"{'yes' if cpu <= promise(limit) else 'no'} | {code} | {note} |")


if __name__ == "__main__":
    main()
