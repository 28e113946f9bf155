"""Venues benchmark (issue 26, SPEC §12): the 3,000-pupil school with 60 classrooms (each a
class's homeroom), a playground for 4 groups, a gym for 2 and a library for 1; activities
体育锻炼 (playground or gym) and 阅读 (library), once a week each.

    python bench/venues.py [--students 3000] [--classes 60] [--teachers 150]
                           [--time-limit 7] [--seed 0]

Prints one table: CPU seconds of the whole ``plan`` against its ``--time-limit`` promise
(the deadline's backstop, 1.5 x limit + 0.7 s), the venue search's own status, groups in
their largest class's homeroom every day and with one room all week against the upper bounds
the planner computes (groups whose homeroom fits every day they meet, at most its
``groups`` at overlapping times; groups with one room that fits every day), activity slots
given against those needed with the shortfall's lower bound, group-days without a room, rain
moves with no indoor venue, and the checker's venue violations.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from afterschool.scheduler.checker import check_plan
from afterschool.scheduler.planning.cpsat import Deadline
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.reading.generate import generate_school, write_school
from afterschool.scheduler.reading.reader import read_instance


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=3000)
    ap.add_argument("--classes", type=int, default=60)
    ap.add_argument("--teachers", type=int, default=150)
    ap.add_argument("--time-limit", type=float, default=7.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "school"
        write_school(folder, generate_school(a.students, a.classes, a.teachers, seed=7,
                                             venues=True))
        t0 = time.process_time()
        deadline = Deadline.for_limit(a.time_limit)  # as the CLI: reading counts
        inst = read_instance(folder)
        plan = solve(inst, time_limit=a.time_limit, seed=a.seed, deadline=deadline)
        cpu = time.process_time() - t0
        st = plan.extra["venue_stats"]
        venue_rules = [v for v in check_plan(inst, plan) if v.rule.startswith(("venue",
                                                                                "activity"))]
    rows = [("pupils / classrooms", f"{a.students} / {len(inst.school.venues) - 3}"),
            ("CPU s (read + plan) / limit / backstop",
             f"{cpu:.1f} / {a.time_limit:g} / {Deadline.for_limit(a.time_limit).seconds:.1f}"),
            ("venue search", f"{st['search']['status']} (objective "
             f"{st['search']['objective']}, bound {st['search']['bound']})"),
            ("groups / group-days", f"{st['groups']} / {st['group_days']}"),
            ("in the largest class's homeroom every day / bound",
             f"{st['in_homeroom']} / {st['in_homeroom_bound']} "
             f"({st['in_homeroom'] / max(st['groups'], 1):.0%} / "
             f"{st['in_homeroom_bound'] / max(st['groups'], 1):.0%})"),
            ("one room all week / bound",
             f"{st['one_room_all_week']} / {st['one_room_all_week_bound']} "
             f"({st['one_room_all_week'] / max(st['groups'], 1):.0%} / "
             f"{st['one_room_all_week_bound'] / max(st['groups'], 1):.0%})"),
            *[(f"activity {x['activity']}: given / needed, missing (bound)",
               f"{x['given']} / {x['needed']}, {x['missing']} ({x['missing_bound']})")
              for x in st["activities"]],
            ("activity slots missing, all / bound",
             f"{st['activity_missing']} / {st['activity_missing_bound']}"),
            ("group-days without a room", st["no_room"]),
            ("rain: outdoor slots with no indoor venue", st["rain_unplaced"]),
            ("check: venue violations", len(venue_rules))]
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
