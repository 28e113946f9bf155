"""What-happened benchmark (issue 25): a 3,000-pupil school's whole term of roll calls.

    python bench/happened.py [--students 3000] [--teachers 150] [--schools 200]
                             [--school-students 300]

1. Plans the school, writes a CSV with one row for every pupil and date of the term
   (each pupil on every date their group meets: about 250,000 rows, one in twenty late,
   on leave or absent, the rest present), and times ``attendance import`` (CPU of the
   command, in-process) and ``settle``.
2. ``bureau`` over ``--schools`` generated small schools' term records: CPU and wall per
   school one by one, in a local pool of 2 and on a Dask LocalCluster of 2 workers; the
   rows must be identical three ways.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from afterschool.cli import main as cli
from afterschool.scheduler.reading.generate import generate_school, write_school


def run(*args) -> tuple[float, float, str]:
    c0, w0 = time.process_time(), time.perf_counter()
    r = CliRunner().invoke(cli, [str(a) for a in args])
    if r.exit_code not in (0, 3):
        sys.exit(f"{args[0]} failed: {r.output}")
    return time.process_time() - c0, time.perf_counter() - w0, r.stdout


def roll(term: Path, out: Path, seed: int = 1) -> int:
    """Every pupil-date of the term as a CSV row; returns the row count."""
    import json
    plan = json.loads((term / "plan.json").read_text(encoding="utf-8"))
    cal, people = plan["calendar"], plan["people"]["students"]
    sessions = plan["sessions"]
    rng = random.Random(seed)
    n = 0
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "session", "student", "status"])
        for g in plan["groups"]:
            col = sessions[g["session"]]["signup"]
            for s in g["students"]:
                for day in people[s][col]:
                    if day not in sessions[g["session"]]["days"]:
                        continue
                    for d in cal[day]:
                        r = rng.random()
                        status = ("late" if r < 0.02 else "leave" if r < 0.035 else
                                  "absent" if r < 0.05 else "present")
                        w.writerow([d, g["session"], s, status])
                        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=3000)
    ap.add_argument("--teachers", type=int, default=150)
    ap.add_argument("--schools", type=int, default=200)
    ap.add_argument("--school-students", type=int, default=300)
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-happened-"))
    write_school(root / "school", generate_school(a.students, None, a.teachers, 7), False)
    run("plan", root / "school", "--out", root / "term", "--skip", "all")
    rows = roll(root / "term", root / "attendance.csv")
    ci, wi, _ = run("attendance", "import", root / "term", root / "attendance.csv")
    cs, ws, _ = run("settle", root / "term", "--json")
    print(f"| school | attendance rows | import CPU s | import wall s | settle CPU s | "
          f"settle wall s |\n|---|---|---|---|---|---|\n| {a.students} pupils | {rows:,} | "
          f"{ci:.2f} | {wi:.2f} | {cs:.2f} | {ws:.2f} |")
    terms, seed = [], 100
    while len(terms) < a.schools:  # a generated school nobody can manage on a day is skipped
        i, seed = len(terms), seed + 1
        folder = root / f"s{seed}"
        write_school(folder, generate_school(a.school_students, None, None, seed,
                                             name=f"学校{i:03d}"), False)
        r = CliRunner().invoke(cli, ["plan", str(folder), "--out", str(root / f"t{i}"),
                                     "--skip", "all", "--time-limit", "1"])
        if r.exit_code in (0, 3):
            terms.append(root / f"t{i}")
    outs = {}
    for label, extra in (("one process", []), ("local pool of 2", ["--jobs", "2"])):
        c, w, text = run("bureau", *terms, "--json", *extra)
        outs[label] = (c, w, text)
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        outs["Dask LocalCluster of 2"] = run("bureau", *terms, "--json", "--scheduler",
                                             cluster.scheduler_address)
    same = len({text for _, _, text in outs.values()}) == 1
    print(f"\n| bureau over {a.schools} schools | CPU s (this process) | wall s | wall s per "
          f"school |\n|---|---|---|---|")
    for label, (c, w, _) in outs.items():
        print(f"| {label} | {c:.2f} | {w:.2f} | {w / a.schools:.3f} |")
    print(f"\nrows identical three ways: {same}")


if __name__ == "__main__":
    main()
