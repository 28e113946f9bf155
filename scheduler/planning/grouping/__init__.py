"""Students into supervision groups, one session at a time (SPEC §4, issue 3).

Input: a session and the enrolled students taking it. Output: groups (one roster for the whole
week) with, per day, the students present, never more than the cap.

Counting, not students: students of one homeroom class with the same weekday pattern are
interchangeable, so a *unit* (class, pattern) has a count, and a placement says how many of
each unit go to each group.

Objectives, hierarchical: 1. fewest group-days (each is paid teacher time); then, among
placements with equal group-days, fewest manager minutes (``Prepared.managers``: M(peak
groups on duty) x window minutes with the other sessions held, so with group-days equal the
paid minutes decide, and an extra group-day goes where it needs no manager); 2. fewest
(class, group) pairs; 3. fewest (group, grade) pairs; 4. the largest smallest group. Group-days may exceed the fewest found
by a small tolerance shared over the sessions (``share_extra``; default 1 % of the bound, set
in ``solve``) where that saves class pairs — the way hierarchical solvers let a higher
objective degrade by a relative tolerance. Tolerance 0 is the strict order.
Bounds: group-days >= sum_d ceil(n_d / cap); pairs >= sum_c ceil(peak_c / cap). Both hold for
the real problem, so a reported gap of 0 proves optimality.

How (each step keeps the best placement so far, so the result is never worse than greedy):
1. ``prepare``: constructive starts — the greedy baseline (first fit by class), and starts
   on structures of presence days with exactly k_d groups on day d (``nested_activity``:
   group g present on d iff g < k_d; ``one_day_off_activity``), k_d = ceil(n_d / cap), or
   one to a few more on the emptiest days (fewer part-week groups, which must be filled
   from many classes). Part-week groups take only what the all-week groups cannot hold,
   from few classes (``_fill_part_week``). Then ``best_fit`` fills the all-week groups one
   at a time with the set of whole classes, among the next few in grade order (or in two
   orders that alternate light and heavy classes within a grade, ``_profile_orders``),
   plus part of at most one more that leaves fewest empty seat-days, then fewest pairs
   (``_best_combination``, all sets scored at once with numpy). At the bound a tight day
   has well under one empty seat per group, so seats wasted early come back as students
   with nowhere to go, who split classes: choosing classes that fit exactly keeps both
   low. ``nested_greedy`` (next fit, the classes in order, groups filled up, leftovers
   first fit) is kept as one more start: it opens fewest groups on tight structures.
   Students left over go where their class already is (``Packing.free_seat``: ejection
   chains that move students only between groups holding their class), else where most
   fit. ``Packing.merge`` then polishes every start: it takes split classes out of groups
   their other groups can absorb, or swaps them with a class sharing both groups.
   ``Prepared.menu[e]`` is the best start within e group-days of the fewest found;
2. where the start misses the bound and the session is small, ``exact_group_days``: the full
   counting model (x[u, g] counts, y[c, g] class-in-group, a[g, d] group present, with the
   per-day bound stated), whose proven bound replaces the simple one;
2b. ``day_structure``: a counting model over types (the set of days a group meets) and
   weekday patterns, classes ignored, bounds the smallest group present at the fewest
   group-days found and gives a structure reaching it; that structure, filled class by
   class (``best_fit``, ``nested_greedy``), is one more start. Among starts equal on
   group-days, managers, pairs and grades, the larger smallest group wins. The same model
   gives ``GroupingResult.smallest_bound`` at the final group-days;
3. ``improve_windows`` (sessions up to ``WINDOW_LIMIT`` unit-group pairs; on larger ones it
   found nothing after ``best_fit``): a deterministic large-neighbourhood search that
   re-solves the students of a few groups at a time exactly (the groups of a split class
   first), improving group-days, then class pairs, then grade pairs;
4. ``Packing.balance``: the smallest number present in a group on a day it meets is raised
   by moving students between groups that already hold their class (no group-day, no pair
   added); then ``balance_groups`` (``solve`` runs it last, for every band, on what the
   deadline leaves): a counting model over the fixed structure that moves students within
   their class's groups or into the small groups, with pairs at most as now, the small
   groups free to trade the days they meet (as many each day as now), maximising the
   smallest group present. A small group is left where the structure forces it. Where
   a band's smallest group stays below ``SMALL_TARGET`` (20) and below what its
   group-days allow (``day_structure``), a second ``balance_groups`` may spend up to
   ``SMALL_PAIRS`` (2) class pairs to lift it (the fewest for the most it finds): a
   tolerance on pairs for the smallest group, as group-days have one for pairs. Where it
   is still below ``LIFT_SHARE`` of that bound, ``lift_smallest`` moves pupils into it one
   at a time, spending up to ``LIFT_PAIRS`` of the band's class pairs; where the smallest
   group's days hold too few pupils who fit, the bound's structure filled class by class
   and lifted is taken if it keeps group-days and manager minutes, within those pairs.
Every step is anytime: ``Prepared.extend`` builds starts one at a time, the most promising
first, and stops at the deadline (``solve`` gives every band first fit and one best-fit
start before any band gets the rest). Sessions too large for that are split into bands of
whole classes by ``solve``.
"""
from __future__ import annotations

from afterschool.scheduler.planning.grouping.constants import (  # noqa: F401
    BALANCE_LIMIT, DEPTH, FIT_WHOLE, FIT_WINDOW, FULL_MODEL_LIMIT, LIFT_PAIRS, LIFT_SHARE,
    SMALL_GROUPS, SMALL_PAIRS, SMALL_TARGET, STRUCTURE_DET, TRIES, WHOLE_LIMIT, WINDOW_LIMIT,
)
from afterschool.scheduler.planning.grouping.units import (  # noqa: F401
    class_key, day_counts, evaluate, greedy, GroupingResult, groups_per_day, make_units,
    nested_activity, no_managers, one_day_off_activity, _present, _score, Unit,
)
from afterschool.scheduler.planning.grouping.packing import (  # noqa: F401
    Packing,
)
from afterschool.scheduler.planning.grouping.starts import (  # noqa: F401
    _best_combination, best_fit, _classes, _combinations, _fill_part_week, nested_greedy,
    _part_week_first, prepare, Prepared, _profile_orders, _raised, share_extra,
)
from afterschool.scheduler.planning.grouping.model import (  # noqa: F401
    exact_group_days, _from_placement, improve_windows, plan_groups, _solve_window,
    _split_windows,
)
from afterschool.scheduler.planning.grouping.balance import (  # noqa: F401
    balance_groups, balance_result, band_bound, lift_result, lift_smallest,
)
from afterschool.scheduler.planning.grouping.bounds import (  # noqa: F401
    day_structure, fewest_group_days,
)
