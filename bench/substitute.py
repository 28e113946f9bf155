"""Substitution benchmark: ``python bench/substitute.py [--school DIR] [--plan DIR]``.

On the L school (3,000 pupils, 150 staff; ``--teachers 300`` for L300, whose volunteers have
room to spare: ``afterschool generate /tmp/L --students 3000
--teachers 150 --seed 1``, then ``afterschool plan /tmp/L --out /tmp/L-plan``; both are
made here when missing and reused when present), the busiest person (most duty minutes a
week) is absent for one week of five service dates. Prints CPU seconds (user + sys of this
process, solver threads included) for reading, for the substitution itself (candidates,
the CP-SAT model, money recomputed over versions and exceptions) and for writing the plan
folder with the hand-outs (charts only with ``--charts``); duties covered and uncovered;
people asked.
Target (2-core machine): the substitution itself <= 1 s CPU.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import warnings
from collections import defaultdict
from pathlib import Path


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def ensure(school: Path, plan: Path, teachers: int) -> None:
    exe = [sys.executable, "-m", "afterschool"]
    if not (school / "school.toml").exists():
        subprocess.run(exe + ["generate", str(school), "--students", "3000", "--teachers",
                              str(teachers), "--seed", "1"], check=True,
                       stdout=subprocess.DEVNULL)
    if not (plan / "plan.json").exists():
        subprocess.run(exe + ["plan", str(school), "--out", str(plan), "--skip", "all"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teachers", type=int, default=150,
                    help="staff of the generated school (300: L300, with volunteers to spare)")
    ap.add_argument("--school", default=None, help="default /tmp/L (or /tmp/L300 ...)")
    ap.add_argument("--plan", default=None, help="default SCHOOL-plan")
    ap.add_argument("--out", default=None, help="default SCHOOL-substitute")
    ap.add_argument("--charts", action="store_true",
                    help="also draw the charts in the hand-outs (about 10 s CPU more)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")  # a missing CJK font warns once per glyph
    school = Path(args.school or ("/tmp/L" if args.teachers == 150 else f"/tmp/L{args.teachers}"))
    plan_dir = Path(args.plan or f"{school}-plan")
    args.out = args.out or f"{school}-substitute"
    ensure(school, plan_dir, args.teachers)

    from afterschool.scheduler.handouts.cover import write_cover_folder
    from afterschool.scheduler.planning.substitute import DayBook, substitute
    from afterschool.scheduler.reading.plan_file import read_plan
    from afterschool.scheduler.reading.reader import read_instance

    t0 = cpu()
    inst = read_instance(school)
    plan = read_plan(plan_dir)
    t1 = cpu()
    load: dict[str, int] = defaultdict(int)
    for d in plan.duties:
        load[d.staff] += d.minutes
    busiest = min(load, key=lambda t: (-load[t], t))
    book = DayBook(inst, plan)
    weeks: dict = defaultdict(list)
    for when in sorted(book.day_of):
        weeks[when.isocalendar()[:2]].append(when)
    week = next(ds for _, ds in sorted(weeks.items()) if len(ds) == 5)
    t2 = cpu()
    result = substitute(inst, plan, busiest, [d.isoformat() for d in week])
    t3 = cpu()
    written, _ = write_cover_folder(result, Path(args.out),
                                    skip=set() if args.charts else {"charts"})
    t4 = cpu()
    covered = sum(1 for c in result.covers if c.staff)
    print(f"school {school} ({len(inst.enrolled)} enrolled, {len(inst.teachers)} staff); "
          f"absent: {busiest} ({load[busiest]} min a week) "
          f"{week[0]}..{week[-1]} ({len(week)} dates)")
    print(f"duties to cover {len(result.covers)}: covered {covered}, uncovered "
          f"{len(result.covers) - covered}; people asked {len(result.asked)}")
    print(f"CPU s: read {t1 - t0:.2f}; substitution {t3 - t2:.2f} (of which the choice "
          f"{result.statistics.choice_cpu_seconds:.2f}, money "
          f"{result.statistics.money_cpu_seconds:.2f}); hand-outs {t4 - t3:.2f} "
          f"({len(written)} files); total {t4 - t0:.2f}")
    for p in result.statistics.phases:
        print(f"  {p['part']}: {p['status']} {p['objective']}")


if __name__ == "__main__":
    main()
