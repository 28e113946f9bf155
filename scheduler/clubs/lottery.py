"""The club lottery (SPEC §12): who gets a seat in which club, from a published seed.

Input: the clubs, the pupils' choices (best first), the students (grade, afternoon weekdays,
priority categories), ``per_pupil`` and an integer seed.
Output: ``models.clubs.Lottery``: assigned (student, club) pairs, numbered waiting lists,
cancelled clubs, and the draw order.

The procedure, exactly (``docs/clubs.md`` says it for parents):
1. The draw: each pupil who chose gets the number ``SHA-256("<seed>:<student id>")`` (the
   UTF-8 text, hex digest). Priority children (any category of SPEC §3) come first, then
   everyone else; within each part, ascending digest (ties, impossible in practice: by id).
2. A pupil can take a club when it is open, has a free seat, the pupil's grade is one it
   takes, the pupil attends the club's session on every day the club meets (the weekdays of
   the afternoon sign-up), and it shares no weekday with a club the pupil already holds.
3. Rounds 1 … ``per_pupil``: in each round, in draw order, each pupil takes the first choice
   (best first) they can take and do not hold yet; a pupil with none takes nothing in it.
4. Minimum sizes: when an open club has fewer members than its ``min_size``, the one with
   the fewest members (ties: the smaller id) is cancelled and steps 3–4 run again from
   nothing with the clubs still open. This stops when every open club reaches its minimum
   (a fixed point: each pass cancels one club).
5. Waiting lists: for each open club, in draw order, every pupil who chose it, could take it
   by grade and days, does not hold it, and holds fewer than ``per_pupil`` clubs or holds
   one they ranked lower; places are numbered 1, 2, … per club.
Rules kept: capacity, grades, days, per_pupil, no two clubs on one weekday, min_size. The
same seed and input give the same result on any machine (no global state, no float).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict

from afterschool.models.clubs import Club, ClubChoice, Lottery


def draw_key(seed: int, student: str) -> str:
    """The hex SHA-256 of ``"<seed>:<student id>"``: a pupil's number in the draw."""
    return hashlib.sha256(f"{seed}:{student}".encode("utf-8")).hexdigest()


def draw_order(seed: int, choices, students: dict) -> list[str]:
    """Priority pupils first, then the rest, each part by ascending ``draw_key``."""
    ids = [c.student for c in choices]
    return sorted(ids, key=lambda s: (0 if students[s].priority else 1, draw_key(seed, s), s))


def eligible(club: Club, student) -> bool:
    """The pupil's grade is one the club takes and they attend on every day it meets."""
    return student.grade in club.grades and all(d in student.afternoon for d in club.days)


def _assign(order, wants, clubs: dict[str, Club], open_: set[str], students, per_pupil: int
            ) -> dict[str, list[str]]:
    held: dict[str, list[str]] = defaultdict(list)
    count: dict[str, int] = defaultdict(int)
    for _ in range(per_pupil):
        for s in order:
            days = {d for c in held[s] for d in clubs[c].days}
            for c in wants[s]:
                club = clubs[c]
                if c in open_ and c not in held[s] and count[c] < club.capacity and \
                        eligible(club, students[s]) and not days & set(club.days):
                    held[s].append(c)
                    count[c] += 1
                    break
    return held


def run_lottery(clubs: list[Club], choices: list[ClubChoice], students, seed: int,
                per_pupil: int = 1) -> Lottery:
    """The lottery of the module docstring. ``students``: Student objects (any iterable)."""
    by_id = {c.id: c for c in clubs}
    pupils = {s.id: s for s in students}
    order = draw_order(seed, choices, pupils)
    wants = {c.student: list(c.choices) for c in choices}
    open_ = set(by_id)
    cancelled: list[str] = []
    while True:
        held = _assign(order, wants, by_id, open_, pupils, per_pupil)
        size = defaultdict(int)
        for cs in held.values():
            for c in cs:
                size[c] += 1
        under = sorted((size[c], c) for c in open_ if size[c] < by_id[c].min_size)
        if not under:
            break
        open_.discard(under[0][1])
        cancelled.append(under[0][1])
    assigned = [(s, c) for s in order for c in held[s]]
    waiting = []
    for club in sorted(open_):
        place = 0
        for s in order:
            ranked = wants[s]
            if club not in ranked or club in held[s] or not eligible(by_id[club], pupils[s]):
                continue
            better = ranked[:ranked.index(club)]
            kept = [c for c in held[s] if c in better]
            if any(set(by_id[c].days) & set(by_id[club].days) for c in kept):
                continue  # a club they like more already takes that day
            if len(held[s]) < per_pupil or any(c not in better for c in held[s]):
                place += 1
                waiting.append((club, s, place))
    pos = {s: i for i, s in enumerate(order)}
    assigned.sort(key=lambda p: (p[1], pos[p[0]]))
    return Lottery(seed, tuple(assigned), tuple(waiting), tuple(cancelled), tuple(order))
