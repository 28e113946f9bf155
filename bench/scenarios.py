"""Scenario executors benchmark: ``python bench/scenarios.py [--count 100] [--time-limit 1]``.

Runs COUNT scenarios of the M school (1,200 sign-ups, 60 staff; extra sign-ups 0–30 %, seeded)
in-process (1 worker), on a local pool of 2 processes, and on a Dask LocalCluster of 2
single-threaded worker processes, checks that all three give the same rows, and prints the
wall times, the pool's speed-up over one worker and Dask's overhead over the pool. The Dask
workers import the planner before the clock starts, as a long-lived cluster's workers have
(the pool's forked workers inherit it from this process).
Targets on 2 cores: speed-up >= 1.8x, Dask overhead <= 15 %.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _warm() -> None:
    import afterschool.scheduler.planning.solve  # noqa: F401


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--time-limit", type=float, default=1.0)
    args = ap.parse_args()
    from distributed import LocalCluster

    from afterschool.scheduler.reading.generate import generate_school, write_school
    from afterschool.scheduler.reading.reader import read_instance
    from afterschool.scheduler.planning.scenarios import Scenario, sweep

    folder = ROOT / "bench" / "out" / "M"
    write_school(folder, generate_school(1200, None, 60, seed=11, name="bench M"), force=True)
    inst = read_instance(folder)
    tasks = [(inst, Scenario(f"s{i}", students=(i % 7) * 0.05, seed=i), args.time_limit)
             for i in range(args.count)]
    times, rows = {}, {}
    for label, kw in (("1 worker", {"jobs": 1}), ("pool x2", {"jobs": 2})):
        t0 = time.perf_counter()
        rows[label] = sweep(tasks, **kw)
        times[label] = time.perf_counter() - t0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        from distributed import Client
        with Client(cluster.scheduler_address) as client:  # a long-lived cluster's workers
            client.run(_warm)                              # have the planner imported
        t0 = time.perf_counter()
        rows["dask x2"] = sweep(tasks, scheduler=cluster.scheduler_address)
        times["dask x2"] = time.perf_counter() - t0
    strip = [[{k: v for k, v in r.items() if k != "solve_s"} for r in rs] for rs in rows.values()]
    same = all(s == strip[0] for s in strip)
    print(f"{args.count} scenarios of M, --time-limit {args.time_limit}")
    print("executor   wall_s  per_scenario_s")
    for label, t in times.items():
        print(f"{label:<9} {t:>7.1f} {t / args.count:>15.2f}")
    print(f"speed-up pool x2 / 1 worker: {times['1 worker'] / times['pool x2']:.2f}x")
    print(f"dask overhead over pool: {100 * (times['dask x2'] / times['pool x2'] - 1):.1f} %")
    print(f"identical rows across executors: {same}")
    if not same:
        for label, rs in zip(rows, strip):
            for i, (a, b) in enumerate(zip(strip[0], rs)):
                if a != b:
                    print(f"  {label} differs on {a['scenario']}: " + ", ".join(
                        f"{k} {a[k]} vs {b[k]}" for k in a if a[k] != b[k]))


if __name__ == "__main__":
    main()
