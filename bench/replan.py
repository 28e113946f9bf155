"""Re-plan benchmark (issue 15): the L school (3,000 pupils, 150 staff), planned, then 5 %
churn from a mid-term date — withdrawals, new enrolments, 3 volunteers gone — re-planned.

    python bench/replan.py [--students 3000] [--teachers 150] [--from 2026-11-10]
                           [--churn 0.05] [--time-limit 2] [--command-limit 7] [--no-fresh]

Prints one table: re-plan CPU seconds (target <= 3), continuing students moved (target
<= 1 % of enrolled), duties of still-available people unchanged (target >= 95 %), and the
same figures for a fresh ``plan`` of the edited school (its groups matched one-to-one to the
old ones by most shared students, so its moves are counted as kindly as possible).
"""
from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from afterschool.scheduler.planning.replan import replan
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.reading.generate import generate_school, write_school
from afterschool.scheduler.reading.reader import read_instance


def churn(src: Path, dst: Path, plan, share: float, seed: int) -> dict:
    """Copy ``src`` to ``dst`` with ``share`` of enrolled students changed: half withdrawn,
    half new rows (copies of random pupils' class and weekdays under new ids), and the three
    volunteers with most duty minutes withdrawn (volunteer = no, their availability
    rows deleted)."""
    rng = random.Random(seed)
    shutil.copytree(src, dst)
    with open(dst / "students.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    enrolled = [r for r in rows if r["status"] == "enrolled"]
    n = round(len(enrolled) * share / 2)
    for r in rng.sample(enrolled, n):
        r["status"] = "withdrawn"
    top = max(int(r["id"][1:]) for r in rows)
    for i, r in enumerate(rng.sample(enrolled, n), start=1):
        new = dict(r, id=f"S{top + i:05d}", status="enrolled", priority="",
                   applied_on="2026-10-20")
        rows.append(new)
    with open(dst / "students.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    load: dict[str, int] = {}
    for d in plan.duties:
        load[d.staff] = load.get(d.staff, 0) + d.minutes
    gone = sorted(load, key=lambda t: (-load[t], t))[:3]
    with open(dst / "teachers.csv", encoding="utf-8-sig") as fh:
        staff = list(csv.DictReader(fh))
    for r in staff:
        if r["id"] in gone:
            r["volunteer"] = "no"
    with open(dst / "teachers.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(staff[0]))
        w.writeheader()
        w.writerows(staff)
    with open(dst / "availability.csv", encoding="utf-8-sig") as fh:
        avail = [r for r in csv.DictReader(fh) if r["teacher"] not in gone]
    with open(dst / "availability.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(avail[0]))
        w.writeheader()
        w.writerows(avail)
    return {"withdrawn": n, "new": n, "volunteers_gone": gone}


def fresh_changes(old, fresh, inst) -> tuple[int, int, int]:
    """(continuing students moved, available duties kept, available duties) of a fresh plan,
    its groups matched one-to-one to the old ones by most shared students."""
    enrolled = {s.id for s in inst.enrolled}
    overlap = []
    for g in old.groups:
        members = set(g.students) & enrolled
        for h in fresh.groups:
            if h.session == g.session:
                k = len(members & set(h.students))
                if k:
                    overlap.append((-k, g.id, h.id))
    match, used = {}, set()
    for _, g, h in sorted(overlap):
        if g not in match and h not in used:
            match[g] = h
            used.add(h)
    now = {(x, h.session): h.id for h in fresh.groups for x in h.students}
    moved = sum(1 for g in old.groups for x in g.students if x in enrolled
                and (x, g.session) in now and now[x, g.session] != match.get(g.id))
    volunteers = {t.id for t in inst.volunteers}
    new = {(d.day, d.session, d.slot, d.group, d.window, d.staff) for d in fresh.duties}
    avail = [d for d in old.duties if d.staff in volunteers]
    kept = sum(1 for d in avail if (d.day, d.session, d.slot, match.get(d.group, d.group),
                                    d.window, d.staff) in new)
    return moved, kept, len(avail)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=3000)
    ap.add_argument("--teachers", type=int, default=150)
    ap.add_argument("--from", dest="start", default="2026-11-10")
    ap.add_argument("--churn", type=float, default=0.05)
    ap.add_argument("--time-limit", type=float, default=2.0,
                    help="the limit the re-plan's budgets come from")
    ap.add_argument("--command-limit", type=float, default=None,
                    help="the command's --time-limit whose backstop the search runs under, "
                    "as `afterschool replan` runs it (its budgets at the limit "
                    "reserve.searching leaves, 2 s on this school; default: --time-limit)")
    ap.add_argument("--plan-time-limit", type=float, default=7.0)
    ap.add_argument("--no-fresh", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-replan-"))
    write_school(work / "L", generate_school(args.students, None, args.teachers, 1, "示例小学"))
    inst0 = read_instance(work / "L")
    t = time.process_time()
    old = solve(inst0, time_limit=args.plan_time_limit, seed=0)
    plan_cpu = time.process_time() - t
    info = churn(work / "L", work / "L2", old, args.churn, 1)
    inst = read_instance(work / "L2")
    t = time.process_time()
    from afterschool.scheduler.planning.cpsat import Deadline
    result = replan(inst, old, date.fromisoformat(args.start), time_limit=args.time_limit,
                    deadline=Deadline.for_limit(args.command_limit or args.time_limit))
    cpu = time.process_time() - t
    s = result.statistics
    rows = [("re-plan CPU s (<= 3)", f"{cpu:.2f}"),
            ("enrolled after churn", s.enrolled),
            ("withdrawn / new / volunteers gone",
             f"{info['withdrawn']} / {info['new']} / {len(info['volunteers_gone'])}"),
            ("continuing students moved (<= 1 %)",
             f"{s.students_moved} ({100 * s.students_moved / s.enrolled:.2f} %)"),
            ("duties of still-available people unchanged (>= 95 %)",
             f"{s.available_duties_kept}/{s.available_duties_before} "
             f"({100 * s.available_duties_kept / max(s.available_duties_before, 1):.1f} %)"),
            ("duties changed (removed + added)", s.duties_changed),
            ("shortage min/week before -> after",
             f"{old.extra['shortage_minutes_per_week']} -> {s.shortage_minutes_per_week}"),
            ("solver", f"{s.solver['status']} gap {s.solver['gap']}")]
    if not args.no_fresh:
        t = time.process_time()
        fresh = solve(inst, time_limit=args.plan_time_limit, seed=0)
        fcpu = time.process_time() - t
        moved, kept, avail = fresh_changes(old, fresh, inst)
        rows += [("fresh plan CPU s", f"{fcpu:.2f} (first plan {plan_cpu:.2f})"),
                 ("fresh plan: continuing students moved",
                  f"{moved} ({100 * moved / s.enrolled:.1f} %)"),
                 ("fresh plan: available duties unchanged",
                  f"{kept}/{avail} ({100 * kept / max(avail, 1):.1f} %)"),
                 ("fresh plan: shortage min/week",
                  fresh.extra["shortage_minutes_per_week"])]
    width = max(len(a) for a, _ in rows)
    print(f"{'measure':<{width}}  value")
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
