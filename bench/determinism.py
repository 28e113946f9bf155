"""Same plan on a slower machine: ``python bench/determinism.py [S M L haijiang ...]
[--speeds 1 2] [--time-limit T]``.

Plans each school through ``afterschool plan`` (``--skip all``: plan.json only; the deadline
started before reading, as the command does) in a fresh subprocess, once per clock speed:
at speed ``k`` the deadline's CPU clock runs ``k`` times fast (``Deadline.for_limit``'s clock
replaced, as ``tests/test_planner.py`` ``_plan_on_clock`` does), which is what a machine
``k`` times slower or busier looks like to the time limit. S, M and L are ``bench/run.py``'s
generated schools (same sizes and seed), ``haijiang`` the bundled school (venues,
activities, clubs).

Prints one table: per school and speed the CPU seconds the limit counts (reading and
planning, ``solve_stats.cpu_seconds`` on the real clock, not the fast one) and the whole
command's (the record and plan.json too; Python's imports not), the stages the clock
decided (``solve_stats.cut_by_time_limit``), group-days against their bound, unfilled
posts against theirs, and whether plan.json (all but ``solve_stats``) is identical to the
first speed's.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"S": (300, 20), "M": (1200, 60), "L": (3000, 150)}  # as bench/run.py


def child(school: str, out: str, speed: float, limit: float) -> None:
    """In the subprocess: ``plan`` on a clock ``speed`` times fast; print the figures."""
    import time

    from click.testing import CliRunner

    from afterschool.cli import main
    from afterschool.scheduler.planning.cpsat import Deadline

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    real = Deadline.for_limit.__func__
    Deadline.for_limit = classmethod(  # type: ignore[method-assign]
        lambda cls, lim, clock=None: real(cls, lim, lambda: time.process_time() * speed))
    import afterschool.scheduler.handouts.bundle  # noqa: F401 - imports: not the limit's
    import afterschool.scheduler.planning.solve  # noqa: F401
    import afterschool.scheduler.reading.reader  # noqa: F401

    c0 = cpu()
    r = CliRunner().invoke(main, ["plan", school, "--out", out, "--seed", "0", "--skip", "all",
                                  "--time-limit", str(limit)])
    spent = cpu() - c0
    if r.exit_code not in (0, 3):
        raise SystemExit(f"plan failed ({r.exit_code}): {r.output}")
    data = json.loads((Path(out) / "plan.json").read_text())
    stats = data.pop("solve_stats")
    g = data["grouping"]
    print(json.dumps({
        "cpu_s": spent, "limit_cpu_s": stats["cpu_seconds"] / speed,
        "cuts": stats["cut_by_time_limit"],
        "group_days": sum(x["group_days"] for x in g),
        "bound": sum(x["group_days_bound"] for x in g),
        "unfilled": data["unfilled"]["posts"], "unfilled_bound": data["unfilled"]["posts_bound"],
        "plan": json.dumps(data, sort_keys=True)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("schools", nargs="*", default=["S", "M", "L", "haijiang"],
                    help="S M L (bench/run.py's) or a school folder; haijiang: the bundled one")
    ap.add_argument("--speeds", nargs="+", type=float, default=[1.0, 2.0])
    ap.add_argument("--time-limit", type=float, default=7.0)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        school, out, speed = args.child
        child(school, out, float(speed), args.time_limit)
        return
    from afterschool.scheduler.reading.generate import generate_school, write_school
    head = ("| school | speed | CPU s (limit's) | CPU s (command) | cut by the clock | "
            "group-days | bound | unfilled | bound | same plan |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for school in args.schools:
        folder = school
        if school in SIZES:
            n, k = SIZES[school]
            folder = str(ROOT / "bench" / "out" / school)
            write_school(Path(folder), generate_school(n, None, k, seed=11,
                                                       name=f"bench {school}"), force=True)
        elif school == "haijiang":
            folder = str(ROOT / "instances" / "haijiang")
        first = None
        for speed in args.speeds:
            out = ROOT / "bench" / "out" / f"det-{Path(folder).name}-{speed:g}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [sys.executable, __file__, "--child", folder, str(out), str(speed),
                   "--time-limit", str(args.time_limit)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(done.stderr[-2000:] + done.stdout[-2000:])
            r = json.loads(done.stdout.strip().splitlines()[-1])
            first = first or r["plan"]
            same = "yes" if r["plan"] == first else "NO"
            rows.append(f"| {school} | {speed:g}x | {r['limit_cpu_s']:.1f} | {r['cpu_s']:.1f} | "
                        f"{', '.join(r['cuts']) or '-'} | {r['group_days']} | {r['bound']} | "
                        f"{r['unfilled']} | {r['unfilled_bound']} | {same} |")
            print(rows[-1], file=sys.stderr)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
