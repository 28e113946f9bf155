"""Unfilled posts at their proved minimum, and the proof: hand-worked cases (issue #14)."""
from __future__ import annotations

from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.checker import check_plan
from afterschool.scheduler.planning import assign
from afterschool.scheduler.planning.cpsat import SolveOptions, lp_bound
from afterschool.scheduler.planning.solve import solve
from afterschool.scheduler.reading.reader import read_instance
from school_files import avail, students_rows, vol, write_instance

LIMIT = dict(time_limit=3, seed=0, workers=1)


def short_noon(tmp_path):
    # one noon group on Tue and one on Wed (10 pupils each day, below every manager
    # threshold): 8 posts, slots of 20, 40, 40 and 30 min each day. T1 alone volunteers,
    # both days, 90 min a week. Every post has a person available, so the per-post count
    # proves nothing (0). The four shortest posts need 20 + 20 + 30 + 30 = 100 > 90 min,
    # so at most 3 are filled: at least 8 - 3 = 5 stay unfilled. Three posts within 90 min
    # fill at most 20 + 30 + 40 = 90, so at least 2 x 130 - 90 = 170 minutes stay unfilled.
    # The LP relaxation fills the shortest first: 20 + 20 + 30 and 20/30 of the next 30,
    # 3 2/3 posts: unfilled >= 4 1/3, i.e. >= 5 posts, the minimum.
    rows = students_rows(10, noon="Tue Wed", afternoon="")
    f = write_instance(tmp_path / "i", students=rows, teachers=vol("T1", weekly="90"),
                       availability=avail("T1", "Tue Wed", "noon"))
    return f, read_instance(f)


def test_lp_bound_proves_what_the_per_post_count_cannot(tmp_path):
    f, inst = short_noon(tmp_path)
    present = {("Tue", "noon"): ["g1"], ("Wed", "noon"): ["g2"]}
    sm = assign.build(inst, present)
    assert sum(sm.demand.values()) == 8
    assert assign.unfilled_bound(sm).posts == 0  # the count and the flow: nothing
    value, _ = lp_bound(sm.model, assign.term_unfilled_posts(sm))
    assert abs(value - (8 - (3 + 20 / 30))) < 1e-6


def planned_at_minimum(inst, posts: int, minutes: int, proof: str):
    """Plan ``inst``: it keeps every rule, and leaves exactly ``posts`` posts and ``minutes``
    minutes unfilled, both equal to their reported bound, which ``proof`` helped prove."""
    plan = solve(inst, **LIMIT)
    assert check_plan(inst, plan) == []
    unfilled = plan.extra["unfilled"]
    assert unfilled["posts"] == unfilled["posts_bound"] == posts
    assert unfilled["minutes"] == unfilled["minutes_bound"] == minutes
    assert proof in unfilled["proved_by"]
    return plan


def test_lp_bound_is_reached_and_shown(tmp_path):
    f, inst = short_noon(tmp_path)
    plan = planned_at_minimum(inst, 5, 170, "LP relaxation")
    assert sum(s.count for s in plan.shortages) == 5
    def minute(hm: str) -> int:
        return 60 * int(hm[:2]) + int(hm[3:])

    assert len(plan.duties) == 3  # T1's 90 minutes, all of them
    assert sum(minute(d.end) - minute(d.start) for d in plan.duties) == 90
    r = CliRunner().invoke(main, ["-v", "plan", str(f), "--out", str(tmp_path / "o"),
                                  "--skip", "all", "--time-limit", "3"])
    assert r.exit_code == 3 and "5 unfilled posts (proved minimum" in r.stdout
    assert "LP relaxation" in r.stdout


def test_staffing_search_is_deterministic_with_one_worker_and_a_seed(tmp_path):
    # more posts than the volunteers' minutes can fill, so the local search runs its whole
    # (deterministic) budget: the same input and seed give the same duties twice
    teachers = "".join(vol(f"T{i}", weekly=str(w), double="yes" if i % 3 == 0 else "no")
                       for i, w in enumerate((300, 240, 180, 150, 120, 300, 90, 200), 1))
    av = "".join(avail(f"T{i}", "Mon Tue Wed Thu Fri", "noon") +
                 avail(f"T{i}", "Mon Wed Fri", "after-upper") for i in range(1, 9))
    inst = read_instance(write_instance(tmp_path / "i", students=students_rows(1),
                                        teachers=teachers, availability=av))
    present = {(d, s): [f"{s}-{d}-{k}" for k in range(3)]
               for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for s in ("noon", "after-upper")}
    classes = {g: set() for gs in present.values() for g in gs}
    runs = [assign.assign_staff(inst, present, classes, SolveOptions(seed=4, workers=1), 0.05)
            for _ in range(2)]
    first, second = ([(d.day, d.staff, d.start, d.group, d.window) for d in a.duties]
                     for a in runs)
    assert first == second and runs[0].unfilled_posts == runs[1].unfilled_posts
    assert runs[0].unfilled_posts >= runs[0].unfilled_bound.posts > 0


def test_an_integer_minimum_above_the_lp_is_proved_by_the_search(tmp_path):
    # One afternoon group on Tue, Wed and Thu (10 pupils): 3 posts of 60 min. T1 and T2 may
    # each serve 90 min a week: one post each (two would be 120), so 1 post and 60 minutes
    # stay unfilled. The per-post count (two people for each post) and the LP (1.5 posts
    # each, 180 >= 3 x 60) both say 0: only the search proves 1.
    rows = students_rows(10, afternoon="Tue Wed Thu")
    people = vol("T1", weekly="90") + vol("T2", weekly="90")
    av = avail("T1", "Tue Wed Thu", "after-upper") + avail("T2", "Tue Wed Thu", "after-upper")
    f = write_instance(tmp_path / "i", students=rows, teachers=people, availability=av)
    inst = read_instance(f)
    sm = assign.build(inst, {(d, "after-upper"): ["g"] for d in ("Tue", "Wed", "Thu")})
    assert assign.unfilled_bound(sm).posts == 0
    assert lp_bound(sm.model, assign.term_unfilled_posts(sm))[0] < 1e-6
    planned_at_minimum(inst, 1, 60, "search")
