"""Hand-out benchmark: ``python bench/handouts.py [--students 4000] [--teachers 200]
[--time-limit 20] [--repeat 3]``.

Generates the 200-staff school (``afterschool generate --students 4000 --teachers 200
--seed 1``) under ``bench/out/``, plans it once (skipping the hand-outs), then times
``write_handouts`` on the plan alone: CPU seconds in total and per part (workbook,
notices, rosters, report, charts), best of ``--repeat`` runs after one warm-up (imports,
font registration). Target: <= 1.5 s CPU in total. Timing lives here, never in tests.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("workbook", "notice", "rosters", "report", "charts")


def cpu(fn) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=4000)
    ap.add_argument("--teachers", type=int, default=200)
    ap.add_argument("--time-limit", type=float, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    out = ROOT / "bench" / "out"
    school = out / f"handouts-{args.students}-{args.teachers}"
    planned = out / f"handouts-{args.students}-{args.teachers}-plan"
    if not (planned / "plan.json").exists():
        subprocess.run([sys.executable, "-m", "afterschool", "generate", str(school),
                        "--students", str(args.students), "--teachers", str(args.teachers),
                        "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "afterschool", "plan", str(school), "--out",
                        str(planned), "--force", "--time-limit", str(args.time_limit),
                        "--skip", "all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from afterschool.models.plan import Plan
    from afterschool.scheduler.handouts.bundle import write_handouts
    plan = Plan.from_dict(json.loads((planned / "plan.json").read_text(encoding="utf-8")))

    def run(skip: set[str]) -> float:
        best = float("inf")
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                best = min(best, cpu(lambda: write_handouts(plan, Path(tmp), None, skip)))
        return best

    with tempfile.TemporaryDirectory() as tmp:
        write_handouts(plan, Path(tmp), None, set())  # warm-up
    staff = len({d.staff for d in plan.duties})
    print(f"school: {args.students} pupils, {staff} people on duty, {len(plan.groups)} groups, "
          f"{len(plan.duties)} duties a week")
    print(f"{'part':<10} {'CPU s':>7}")
    for part in PARTS:
        print(f"{part:<10} {run(set(PARTS) - {part}):>7.2f}")
    total = run(set())
    print(f"{'total':<10} {total:>7.2f}  (target <= 1.5)")
    shutil.rmtree(out / "tmp", ignore_errors=True)


if __name__ == "__main__":
    main()
