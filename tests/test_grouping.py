"""The grouping heuristics on tiny hand-worked cases, and their invariants on random ones."""
from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from afterschool.scheduler.planning.cpsat import SolveOptions
from afterschool.scheduler.planning.grouping import (
    Packing,
    Unit,
    _profile_orders,
    balance_groups,
    best_fit,
    day_counts,
    day_structure,
    evaluate,
    greedy,
    fewest_group_days,
    lift_smallest,
    nested_greedy,
    one_day_off_activity,
    share_extra,
)

TUE_FRI = ("Tue", "Wed", "Thu", "Fri")
ALL = frozenset(TUE_FRI)


def unit(klass: str, n: int, days=TUE_FRI, start: int = 0) -> Unit:
    return Unit(klass, int(klass.split("-")[0]), tuple(days),
                tuple(f"{klass}:{days}:{start + k}" for k in range(n)))


def test_free_seat_moves_a_split_class_instead_of_adding_a_pair():
    # group 0: A 20 + B 25 = 45 (full); group 1: A 10. One more B student must go to group
    # 0 (B's only group): one A student moves 0 -> 1, where A already is. Pairs stay 3.
    units = [unit("3-1", 30), unit("3-2", 26)]
    pk = Packing(units, TUE_FRI, 45, [ALL, ALL])
    pk.move(0, None, 0, 20)
    pk.move(0, None, 1, 10)
    pk.move(1, None, 0, 25)
    assert pk.room(1, 0) == 0 and pk.left == [0, 1]
    assert pk.free_seat(1, 0)
    pk._fill(1, 0)
    assert pk.left == [0, 0]
    assert pk.placed == [{0: 19, 1: 11}, {0: 26}]
    assert evaluate(units, pk.placed, TUE_FRI) == (8, 3)


def test_free_seat_fails_when_only_a_new_pair_would_help():
    # group 0 holds only class B (45, full); group 1 holds A. No B student may move to a
    # group without B, so no seat is freed in group 0 for the 46th B student.
    units = [unit("3-1", 10), unit("3-2", 46)]
    pk = Packing(units, TUE_FRI, 45, [ALL, ALL])
    pk.move(0, None, 1, 10)
    pk.move(1, None, 0, 45)
    assert not pk.free_seat(1, 0)
    assert pk.placed == [{1: 10}, {0: 45}]


def test_balancing_swaps_a_class_s_patterns_between_its_two_groups():
    # Tue and Wed, cap 45. Class 3-1: 42 pupils Tue+Wed, 3 Tue-only, 20 Wed-only; class
    # 3-2: 25 Wed-only. Group 0: 3-1's 42 Tue+Wed (42 / 42); group 1: 3-1's 3 Tue-only and
    # 20 Wed-only, and 3-2 (Tue 3, Wed 45: full). A group of 3 on Tue, and no single move
    # lifts it: a Tue+Wed pupil needs a Wed seat in group 1, which is full.
    # Moving t Tue+Wed pupils into group 1 and all but w Wed-only pupils out of it:
    # group 1 Tue 3 + t, Wed t + w + 25 <= 45; group 0 Tue 42 - t, Wed 62 - t - w <= 45.
    # 45 pupils on Tue in two groups: at best 22 and 23 (t = 19 or 20, w <= 20 - t).
    # Pairs stay 3 (3-1 in both groups, 3-2 in group 1); group-days stay 4.
    days = ("Tue", "Wed")
    units = [unit("3-1", 42, days), unit("3-1", 3, ("Tue",)), unit("3-1", 20, ("Wed",)),
             unit("3-2", 25, ("Wed",))]
    placed = [{0: 42}, {1: 3}, {1: 20}, {1: 25}]
    assert Packing.of(units, days, 45, placed).balance() == placed  # stuck one at a time
    opts = SolveOptions(seed=0, workers=1)
    new, phase = balance_groups(units, placed, days, 45, opts, 5.0, "smallest")
    assert phase.objective == 22 and phase.status == "OPTIMAL"
    assert evaluate(units, new, days) == (4, 3)
    loads = {(g, d): sum(new[i].get(g, 0) for i, u in enumerate(units) if d in u.days)
             for g in (0, 1) for d in days}
    assert sorted([loads[0, "Tue"], loads[1, "Tue"]]) == [22, 23]
    assert min(loads.values()) == 22 and max(loads.values()) <= 45


def test_merge_takes_a_class_out_of_a_group_its_other_group_can_hold():
    # A: 30 in group 0 and 5 in group 1; B: 20 in group 1. Group 0 has room for A's 5:
    # merging leaves A whole in group 0 (pairs 3 -> 2), group-days unchanged.
    units = [unit("3-1", 35), unit("3-2", 20)]
    placed = [{0: 30, 1: 5}, {1: 20}]
    merged = Packing.of(units, TUE_FRI, 45, placed).merge()
    assert merged == [{0: 35}, {1: 20}]
    assert evaluate(units, merged, TUE_FRI) == (8, 2)


def test_merge_swaps_two_classes_split_across_two_full_groups():
    # group 0: A 40 + B 5, group 1: B 40 + A 5, both full every day: nothing can move, but
    # A's 5 in group 1 and B's 5 in group 0 swap one for one: pairs 4 -> 2, loads unchanged.
    units = [unit("3-1", 45), unit("3-2", 45)]
    merged = Packing.of(units, TUE_FRI, 45, [{0: 40, 1: 5}, {0: 5, 1: 40}]).merge()
    assert merged == [{0: 45}, {1: 45}]
    assert evaluate(units, merged, TUE_FRI) == (8, 2)


def test_part_week_group_takes_only_what_is_needed_from_few_classes():
    # Tue 46 students, Fri 40: bound k = {Tue: 2, Wed: 1, Thu: 1, Fri: 1} (5 group-days).
    # The part-week group (Tue only) needs just 1 student; class 3-2 has 3 Tue-only ones,
    # so one class (not every class with a Tue-only student) goes there.
    units = [unit("3-1", 40), unit("3-2", 3, ("Tue",)), unit("3-3", 2, ("Tue",)),
             unit("3-4", 1, ("Tue",))]
    n = day_counts(units, TUE_FRI)
    k = {d: math.ceil(v / 45) for d, v in n.items()}
    assert sum(k.values()) == 5
    placed = nested_greedy(units, TUE_FRI, 45, k, margin=0)
    gd, pairs = evaluate(units, placed, TUE_FRI)
    assert gd == 5
    assert pairs == 4  # 3-1, 3-3, 3-4 whole in the all-week group; 3-2 whole in the other


def test_best_fit_takes_the_classes_that_fill_a_group_exactly():
    # per day (Tue, Wed, Thu, Fri): 3-1 = 30 all week + 10 on Tue/Wed -> (40, 40, 30, 30);
    # 3-2 = 30 all week + 10 on Thu/Fri -> (30, 30, 40, 40); 3-3 = 5 + 10 Thu/Fri ->
    # (5, 5, 15, 15); 3-4 = 5 + 10 Tue/Wed -> (15, 15, 5, 5). 90 a day: 2 groups, 8
    # group-days. 3-1 + 3-3 and 3-2 + 3-4 fill 45 on every day: 4 pairs, one per class.
    # Next fit in grade order puts 3-1 and part of 3-2 together first and splits 3-2: 5.
    tue_wed, thu_fri = ("Tue", "Wed"), ("Thu", "Fri")
    units = [unit("3-1", 30), unit("3-1", 10, tue_wed), unit("3-2", 30),
             unit("3-2", 10, thu_fri), unit("3-3", 5), unit("3-3", 10, thu_fri),
             unit("3-4", 5), unit("3-4", 10, tue_wed)]
    k = {d: math.ceil(v / 45) for d, v in day_counts(units, TUE_FRI).items()}
    assert evaluate(units, best_fit(units, TUE_FRI, 45, k, margin=0), TUE_FRI) == (8, 4)
    assert evaluate(units, nested_greedy(units, TUE_FRI, 45, k, margin=0), TUE_FRI) == (8, 5)


def test_best_fit_splits_the_class_whose_patterns_fill_what_is_left():
    # 3-1: 40 all week, so the first group has 5 seats a day left. 3-3 (35 pupils, all on
    # Tue-Thu only) would leave the 5 Friday seats empty; 3-2 (15 all week) fills all
    # four days. The window lists 3-3 first, but 3-2 is the class split into the first
    # group; the second holds 3-2's other 10 and 3-3 whole (45 on Tue-Thu, 10 on Fri).
    units = [unit("3-1", 40), unit("3-3", 35, ("Tue", "Wed", "Thu")), unit("3-2", 15)]
    k = {d: math.ceil(v / 45) for d, v in day_counts(units, TUE_FRI).items()}
    placed = best_fit(units, TUE_FRI, 45, k, margin=0, class_order=["3-1", "3-3", "3-2"])
    assert placed == [{0: 40}, {1: 35}, {0: 5, 1: 10}]
    assert evaluate(units, placed, TUE_FRI) == (8, 4)


@dataclass
class _Menu:
    pairs: list[int]

    @property
    def menu(self):
        return self.pairs

    def pairs_with(self, extra: int) -> int:
        return self.pairs[min(extra, len(self.pairs) - 1)]


def test_share_extra_spends_group_days_where_they_save_most_pairs():
    a, b = _Menu([10, 8, 3]), _Menu([20, 12, 11])
    assert share_extra([a, b], 0) == [0, 0]
    assert share_extra([a, b], 1) == [0, 1]  # b saves 8, a only 2
    assert share_extra([a, b], 2) == [1, 1]  # 2 + 8 = 10 beats a+2 (7) and b+2 (9)
    assert share_extra([a, b], 3) == [2, 1]  # 7 + 8
    assert share_extra([a, b], 9) == [2, 2]  # 7 + 9: all either menu offers
    assert share_extra([_Menu([5, 5, 5])], 2) == [0]  # saves nothing: fewest group-days


patterns = st.sampled_from([TUE_FRI, ("Tue", "Wed", "Thu"), ("Wed", "Thu", "Fri"),
                            ("Tue", "Thu"), ("Wed",), ("Fri",), ("Tue", "Wed", "Fri")])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), patterns, st.integers(1, 40)),
                min_size=1, max_size=25),
       st.sampled_from([0, 10, 45, None]))
def test_starts_place_everyone_within_the_cap(rows, margin):
    units, seen = [], set()
    for n, (klass_no, days, count) in enumerate(rows):
        if (klass_no, days) in seen:
            continue
        seen.add((klass_no, days))
        units.append(unit(f"3-{klass_no}", count, days, start=1000 * n))
    k = {d: math.ceil(v / 45) for d, v in day_counts(units, TUE_FRI).items()}
    activities = [None, one_day_off_activity(k, TUE_FRI)]
    starts = [lambda active: nested_greedy(units, TUE_FRI, 45, k, active, margin)]
    if margin is not None:
        starts.append(lambda active: best_fit(units, TUE_FRI, 45, k, active, margin))
    for active, start in ((a, f) for a in activities for f in starts):
        placed = start(active)
        for u, where in zip(units, placed):
            assert sum(where.values()) == len(u.students)
            assert all(v > 0 for v in where.values())
        load: dict[tuple[int, str], int] = {}
        for u, where in zip(units, placed):
            for g, v in where.items():
                for d in u.days:
                    load[g, d] = load.get((g, d), 0) + v
        assert max(load.values()) <= 45
        gd, _ = evaluate(units, placed, TUE_FRI)
        assert gd >= sum(k.values())
        polished = Packing.of(units, TUE_FRI, 45, placed).merge()
        assert evaluate(units, polished, TUE_FRI)[0] <= gd
        assert evaluate(units, polished, TUE_FRI)[1] <= evaluate(units, placed, TUE_FRI)[1]


def test_profile_orders_alternate_light_and_heavy_classes_within_a_grade():
    # grade 3: 3-1 has 20 pupils all week; 3-2 has 20, of whom 15 skip Tuesday (light on
    # Tue); 3-3 has 20, of whom 5 skip Tuesday. By Tuesday share: 3-2 (5/20), 3-3 (15/20),
    # 3-1 (20/20) -> lightest, heaviest, middle. Grade 4 comes after grade 3 whole.
    units = [unit("3-1", 20), unit("3-2", 5), unit("3-2", 15, ("Wed", "Thu", "Fri")),
             unit("3-3", 15), unit("3-3", 5, ("Wed", "Thu", "Fri")), unit("4-1", 30)]
    by_tuesday, by_emptiest_day = _profile_orders(units, TUE_FRI)
    assert by_tuesday == ["3-2", "3-1", "3-3", "4-1"]
    assert by_emptiest_day == by_tuesday  # Tuesday is each class's emptiest day here


def _plan(tmp_path, rows: str):
    """The real planner (grouping and staffing) on afternoon sign-ups ``rows``, two
    volunteers free Tue and Wed; the plan passes the checker."""
    from school_files import write_instance

    from afterschool.scheduler.checker import check_plan
    from afterschool.scheduler.planning.solve import solve
    from afterschool.scheduler.reading.reader import read_instance

    teachers = "".join(f"T{k},Name{k},yes,no,staff,,,,no\n" for k in range(1, 5))
    avail = "".join(f"T{k},{d},after-upper,available\n" for k in range(1, 5) for d in ("Tue", "Wed"))
    inst = read_instance(write_instance(tmp_path, students=rows, teachers=teachers,
                                        availability=avail))
    plan = solve(inst, time_limit=3, seed=0, workers=1)
    assert check_plan(inst, plan) == []
    return plan


def test_a_small_group_the_group_days_force(tmp_path):
    # Tue and Wed, cap 45: 90 pupils come both days (classes 3-1 and 3-2, 45 each), 3 of
    # class 3-3 on Tue only. Tue 93 needs ceil(93 / 45) = 3 groups, Wed 90 needs 2: the
    # fewest group-days are 5, and with 5 only two groups meet on Wed. The 90 who come
    # both days fill those two (45 + 45), so the third group meets on Tue alone and can
    # hold only the 3 who come on Tue alone: a group of 3 whatever the grouping. The
    # session-day bound says floor(93 / 3) = 31; the bound at 5 group-days says 3.
    from school_files import students_rows

    rows = (students_rows(45, klass="3-1", afternoon="Tue Wed")
            + students_rows(45, klass="3-2", afternoon="Tue Wed", start=46)
            + students_rows(3, klass="3-3", afternoon="Tue", start=91))
    plan = _plan(tmp_path, rows)
    small = plan.extra["smallest_group"]
    assert sum(g["group_days"] for g in plan.extra["grouping"]) == 5
    assert small["students"] == 3 and small["bound"] == 31
    assert small["bound_at_group_days"] == 3


def test_the_structure_model_bounds_and_finds_days_by_hand():
    # the case above as units: 4 group-days cannot seat Tue's 93; at 5 the best is the
    # forced 3 (two groups both days, one on Tue); at 6, three groups both days share
    # Wed's 90 (30 each) and Tue's 93 (31 each), while any Tue-only group holds at most
    # the 3: the most is 30.
    days = ("Tue", "Wed")
    units = [unit("3-1", 45, days), unit("3-2", 45, days), unit("3-3", 3, ("Tue",))]
    opts = SolveOptions(seed=0, workers=1)
    assert day_structure(units, days, 45, 4, opts, 1.0) == (0, None)
    bound, structure = day_structure(units, days, 45, 5, opts, 1.0)
    assert bound == 3
    assert sorted(map(sorted, structure)) == [["Tue"], ["Tue", "Wed"], ["Tue", "Wed"]]
    assert day_structure(units, days, 45, 6, opts, 1.0)[0] == 30


def test_a_small_group_the_planner_lifts(tmp_path):
    # Tue and Wed, cap 45. Class 3-1: 42 pupils Tue+Wed, 3 Tue-only, 20 Wed-only; class
    # 3-2: 25 Wed-only. Tue 45 (1 group), Wed 87 (2 groups): the fewest group-days are 3,
    # one group on both days and one on Wed alone. The first holds all of Tue's 45 and
    # 42 + w on Wed, the second the other 45 - w Wed-only pupils: w = 1 gives 43 and 44,
    # so 43 is the most (the bound at 3 group-days), with 3 class pairs (3-1 in both).
    # First fit leaves a small group (3-1 whole does not fit: 65 on Wed; its pupils go
    # one by one, 3-2's 25 on top) - the planner reaches 43.
    from school_files import students_rows

    rows = (students_rows(42, klass="3-1", afternoon="Tue Wed")
            + students_rows(3, klass="3-1", afternoon="Tue", start=43)
            + students_rows(20, klass="3-1", afternoon="Wed", start=46)
            + students_rows(25, klass="3-2", afternoon="Wed", start=66))
    plan = _plan(tmp_path, rows)
    small = plan.extra["smallest_group"]
    grouping = plan.extra["grouping"]
    assert sum(g["group_days"] for g in grouping) == 3
    assert sum(g["class_pairs"] for g in grouping) == 3
    assert small["students"] == small["bound_at_group_days"] == 43


def test_a_small_group_may_cost_a_class_pair():
    # Tue and Wed, cap 45: class 3-1 has 44 pupils, 3-2 has 4, all on both days; 48 do not
    # fit one group, so two groups meet both days: 3-1 in one, 3-2 (4) in the other. Every
    # move puts a class into a second group: with the pairs held the 4 stay 4. With one
    # pair to spend, 20 of 3-1 go with 3-2: 24 and 24, the most two groups of 48 allow.
    days = ("Tue", "Wed")
    units = [unit("3-1", 44, days), unit("3-2", 4, days)]
    placed = [{0: 44}, {1: 4}]
    opts = SolveOptions(seed=0, workers=1)
    held, phase = balance_groups(units, placed, days, 45, opts, 5.0, "smallest")
    assert held == placed and phase.objective == 4
    new, phase = balance_groups(units, placed, days, 45, opts, 5.0, "smallest", extra_pairs=1)
    assert phase.objective == 24
    assert evaluate(units, new, days) == (4, 3)
    assert sorted(new[0].values()) == [20, 24]  # 3-1 split 20 + 24, 3-2 with the 20
    assert {g: new[0].get(g, 0) + new[1].get(g, 0) for g in (0, 1)} == {0: 24, 1: 24}


def test_fewest_group_days_beats_the_day_count_where_patterns_cannot_share():
    # cap 3; Mon 4 students (2 groups), Tue 3, Wed 3: the day count says 2 + 1 + 1 = 4.
    # The two Mon-Tue-Wed students' group meets all three days (3 group-days); Mon's fourth
    # student is in a second group that meets Mon and Tue or Wed (2 more) -- or the Mon-Tue
    # and Mon-Wed students share a group meeting all three days: 5 at least, and 5 is
    # reached: {C, C, A} on Mon Tue Wed, {B} on Mon Wed.
    patterns = {("Mon", "Tue"): 1, ("Mon", "Wed"): 1, ("Mon", "Tue", "Wed"): 2}
    days = ("Mon", "Tue", "Wed")
    assert fewest_group_days(patterns, days, 3, SolveOptions(workers=1), 1.0) == 5
    # where the days' counts can be met, the bound is theirs: Tue 93 -> 3, Wed 90 -> 2
    assert fewest_group_days({("Tue", "Wed"): 90, ("Tue",): 3}, ("Tue", "Wed"), 45,
                             SolveOptions(workers=1), 1.0) == 5
    assert fewest_group_days({}, days, 45, SolveOptions(workers=1), 1.0) == 0


def _random_placement(rows, cap: int, gap: int):
    """Units from (class number, days, count) rows (one per class and days), placed first
    fit, every group g renumbered g * (gap + 1) so that groups 1..gap are empty (a group
    emptied by an earlier step)."""
    units, seen = [], set()
    for n, (klass_no, days, count) in enumerate(rows):
        if (klass_no, days) in seen:
            continue
        seen.add((klass_no, days))
        units.append(unit(f"3-{klass_no}", count, days, start=1000 * n))
    placed = greedy(units, TUE_FRI, cap)
    return units, [{g * (gap + 1): k for g, k in where.items()} for where in placed]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), patterns, st.integers(1, 30)),
                min_size=1, max_size=10),
       st.integers(1, 45), st.integers(0, 3), st.integers(0, 2))
def test_balancing_never_crashes_and_keeps_everyone_within_the_cap(rows, cap, gap, extra):
    # any cap 1-45, a placement whose group numbers leave gaps (a group emptied by an
    # earlier step): balancing returns a placement of everyone within the cap, never raises
    units, placed = _random_placement(rows, cap, gap)
    opts = SolveOptions(seed=0, workers=1)
    new, phase = balance_groups(units, placed, TUE_FRI, cap, opts, 0.5, "smallest",
                                extra_pairs=extra)
    load: dict[tuple[int, str], int] = {}
    for u, where in zip(units, new):
        assert sum(where.values()) == len(u.students)
        for g, v in where.items():
            for d in u.days:
                load[g, d] = load.get((g, d), 0) + v
    assert max(load.values()) <= cap


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 45), st.integers(0, 6), st.sampled_from([0.0, 0.01, 0.05, 1.0]))
def test_the_planner_never_crashes_on_a_small_cap_or_any_slack(cap, slack, tolerance):
    # 'plan haijiang --group-days-slack 2' and 'group_cap = 3' ended in "min() arg is an
    # empty sequence" (an empty group number in balancing); every cap, slack and
    # tolerance gives a plan that passes the checker
    import tempfile
    from pathlib import Path

    from school_files import students_rows, write_instance

    from afterschool.scheduler.checker import check_plan
    from afterschool.scheduler.planning.solve import solve
    from afterschool.scheduler.reading.reader import read_instance

    rows = (students_rows(7, klass="3-1", afternoon="Tue Wed")
            + students_rows(4, klass="3-1", afternoon="Tue", start=8)
            + students_rows(5, klass="3-2", afternoon="Wed Thu", start=12)
            + students_rows(3, klass="4-1", grade=4, afternoon="Tue Thu", start=17))
    teachers = "".join(f"T{k},Name{k},yes,{'yes' if k < 3 else 'no'},staff,,,,no\n"
                       for k in range(1, 9))
    avail = "".join(f"T{k},{d},after-upper,available\n" for k in range(3, 9)
                    for d in ("Tue", "Wed", "Thu"))
    avail += "".join(f"T{k},{d},afternoon,available\n" for k in (1, 2)
                     for d in ("Tue", "Wed", "Thu"))
    with tempfile.TemporaryDirectory() as tmp:
        inst = read_instance(write_instance(Path(tmp), students=rows, teachers=teachers,
                                            availability=avail, rules=f"group_cap = {cap}\n"))
        plan = solve(inst, time_limit=1, seed=0, workers=1, group_days_slack=slack,
                     group_days_tolerance=tolerance)
        assert check_plan(inst, plan) == []


def test_lifting_spends_a_pair_only_when_allowed_and_stops_at_the_target():
    # The case above (3-1: 44, 3-2: 4, both days, two groups): with no pair to spend
    # lifting moves nobody (every move puts 3-1 or 3-2 into a second group). With one pair,
    # the first of 3-1 into 3-2's group costs it, the next 19 are free: 24 and 24, and it
    # stops there even when aiming at 30 (the giver would drop to the receiver's 24).
    days = ("Tue", "Wed")
    units = [unit("3-1", 44, days), unit("3-2", 4, days)]
    placed = [{0: 44}, {1: 4}]
    assert lift_smallest(units, placed, days, 45, 24, 0) == placed
    for target in (24, 30):
        new = lift_smallest(units, placed, days, 45, target, 1)
        assert new == [{0: 24, 1: 20}, {1: 4}]
        assert evaluate(units, new, days) == (4, 3)
    # aiming lower stops lower: 10 present in the small group
    assert lift_smallest(units, placed, days, 45, 10, 1) == [{0: 38, 1: 6}, {1: 4}]


def test_lifting_exchanges_where_no_single_move_fits():
    # cap 3, Tue and Wed, one class. Group 0: 2 Wed-only pupils and 1 Tue+Wed (Tue 1, Wed
    # 3); group 1: 3 Tue+Wed (Tue 3, Wed 3). Both are full on Wed, so nobody can move in;
    # a Wed-only pupil of group 0 for a Tue+Wed pupil of group 1 gives Tue 2 and 2, Wed 3
    # and 3: the smallest 1 -> 2 (4 on Tue over two groups: 2 is the most), pairs as
    # they were.
    days = ("Tue", "Wed")
    units = [unit("3-1", 2, ("Wed",)), unit("3-1", 1, days), unit("3-1", 3, days, start=10)]
    placed = [{0: 2}, {0: 1}, {1: 3}]
    new = lift_smallest(units, placed, days, 3, 3, 0)
    assert new == [{0: 1, 1: 1}, {0: 1}, {0: 1, 1: 2}]
    assert evaluate(units, new, days) == evaluate(units, placed, days)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), patterns, st.integers(1, 30)),
                min_size=1, max_size=10),
       st.integers(1, 45), st.integers(0, 3), st.integers(0, 50), st.integers(0, 5))
def test_lifting_never_crashes_nor_adds_a_group_day_or_pairs_beyond_its_allowance(
        rows, cap, gap, target, pairs):
    # any cap 1-45, group numbers with gaps, any target and pair allowance: everyone
    # placed once, the cap kept, no group meets on a new day, pairs at most the allowance
    # more, and the smallest group present never lower than before
    units, placed = _random_placement(rows, cap, gap)

    def loads(placement):
        load: dict[tuple[int, str], int] = {}
        for u, where in zip(units, placement):
            for g, v in where.items():
                for d in u.days:
                    load[g, d] = load.get((g, d), 0) + v
        return {key: v for key, v in load.items() if v}

    new = lift_smallest(units, placed, TUE_FRI, cap, target, pairs)
    for u, where in zip(units, new):
        assert sum(where.values()) == len(u.students) and min(where.values()) > 0
    before, after = loads(placed), loads(new)
    assert max(after.values()) <= cap
    assert set(after) <= set(before)  # no group-day added
    assert evaluate(units, new, TUE_FRI)[1] <= evaluate(units, placed, TUE_FRI)[1] + pairs
    assert min(after.values()) >= min(before.values())
