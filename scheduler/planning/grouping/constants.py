"""The grouping's tuning constants, in one place: how far the heuristics search (ejection
chain depth, classes a group chooses from), up to which size the exact models run, how
many students balancing moves, and what lifting the smallest group may spend. Names only,
no logic; ``docs/planner.md`` says how each was measured.
"""
from __future__ import annotations


DEPTH = 2  # groups an ejection chain may pass through
TRIES = 30  # students and groups tried per seat
FIT_WINDOW = 10  # classes, next in order, a group chooses from
FIT_WHOLE = 4  # whole classes a group may take besides the one it splits
FULL_MODEL_LIMIT = 6000  # unit-group pairs up to which the exact model is tried
WINDOW_LIMIT = 3000  # unit-group pairs up to which the window search polishes the start
BALANCE_LIMIT = 400  # (class, group) pairs whose students the balancing model moves
WHOLE_LIMIT = 30  # (class, group) pairs up to which every student may move
SMALL_GROUPS = 4  # there: groups at least, the smallest first, that may trade their days
LIFT_SHARE = 0.8  # of the bound at the group-days: ``lift_smallest`` aims this high
LIFT_PAIRS = 0.3  # of a band's class pairs (rounded down): what lifting may spend
REFILL_LIMIT = 600  # units up to which lifting may refill the bound's structure
SMALL_TARGET = 20  # a smallest group below this (and below its bound) may cost pairs
SMALL_PAIRS = 2  # class pairs per band a smallest group below SMALL_TARGET may cost
STRUCTURE_DET = 0.05  # deterministic seconds for ``day_structure`` (milliseconds suffice)
