"""Synthetic clubs for a generated school (``afterschool generate --clubs N --choosing M``).

Input: the text of a school's ``students.csv`` and ``teachers.csv`` (as
``reading.generate.generate_school`` returns them), the number of clubs, the number of
pupils choosing, a seed.
Output: ``{"clubs.csv": text, "club_choices.csv": text}``. Clubs cycle through the kinds
below, over the afternoon sessions (lower grades 1–2, upper 3–6) on one or two weekdays
Tue–Fri; one in four has an external instructor at 150 yuan/h, the others a volunteering
staff member (each at most one club); capacities 20–40, minimums 5–12; some a fee.
Choosers are enrolled pupils with afternoon sign-ups, drawn with ``random.Random(seed)``;
each lists 1–3 clubs of their grade, popular kinds weighted higher (so some clubs are
oversubscribed and some under their minimum). Where the school's ``school.toml`` lists
venues, a club meets in a listed one with room that afternoon (its usual venue, else LIB,
GYM, PG: a generated school with ``--venues`` has no music or art room), never more clubs
at once than the venue's ``groups`` (else on one weekday where one has room; a club for
which no listed venue has room on any afternoon is not written). Same arguments, same
bytes.
"""
from __future__ import annotations

import csv
import io
import random

KINDS = (("合唱", "MUS", 3.0), ("美术", "ART", 2.5), ("篮球", "GYM", 3.5), ("足球", "PG", 3.0),
         ("围棋", "LIB", 1.0), ("书法", "ART", 0.6), ("舞蹈", "HALL", 1.5),
         ("科学实验", "LIB", 2.0))
AFTER = ("Tue", "Wed", "Thu", "Fri")
CLUB_COLUMNS = ["id", "name", "days", "session", "capacity", "min_size", "grades",
                "instructor", "venue", "fee", "instructor_rate"]


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _csv(columns, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def generate_clubs(students_csv: str, teachers_csv: str, n_clubs: int, n_choosing: int,
                   seed: int = 1, school_toml: str | None = None) -> dict[str, str]:
    import tomllib
    toml_venues = tomllib.loads(school_toml or "").get("venues", [])
    holds = {str(v.get("id")): int(v.get("groups", 1)) for v in toml_venues}
    used: dict[tuple[str, str], int] = {}  # (venue, weekday) -> clubs meeting there
    rng = random.Random(f"clubs:{seed}")
    staff = [t["id"] for t in _rows(teachers_csv)
             if t["volunteer"] == "yes" and t.get("kind", "staff") != "external"]
    clubs = []
    weight = {}
    for i in range(n_clubs):
        name, venue, w = KINDS[i % len(KINDS)]
        lower = i % 3 == 2
        session, grades = ("after-lower", "1-2") if lower else ("after-upper", "3-6")
        days = sorted(rng.sample(AFTER, 1 if rng.random() < 0.6 else 2), key=AFTER.index)
        if holds:
            place = _free_place(venue, days, holds, used)
            if place is None:
                continue  # every listed venue is taken on every afternoon
            venue, days = place
            for d in days:
                used[venue, d] = used.get((venue, d), 0) + 1
        external = i % 4 == 1 or not staff
        instructor = "external" if external else staff.pop(rng.randrange(len(staff)))
        cid = f"C{i + 1:02d}"
        label = name if i < len(KINDS) else f"{name}{i // len(KINDS) + 1}"
        fee = rng.choice(("", "", "60.00", "120.00"))
        clubs.append([cid, label, " ".join(days), session, rng.choice((20, 25, 30, 40)),
                      rng.choice((5, 8, 10, 12)), grades, instructor, venue, fee,
                      "150.00" if external else ""])
        weight[cid] = w
    return {"clubs.csv": _csv(CLUB_COLUMNS, clubs),
            "club_choices.csv": generate_choices(students_csv, clubs, weight, n_choosing, rng)}


def _free_place(venue: str, days: list[str], holds: dict[str, int],
                used: dict[tuple[str, str], int]) -> tuple[str, list[str]] | None:
    """A venue and days for a club that usually meets in ``venue`` on ``days``: the first
    listed venue (its own, then LIB, GYM, PG, then the others) with room on all of them;
    else one weekday where one has room; None when every listed venue is full every
    afternoon. Any two afternoon clubs of a day count as meeting at once (after-lower's
    15:35-16:35 and after-upper's 16:20-17:20 overlap)."""
    order = [v for v in dict.fromkeys([venue, "LIB", "GYM", "PG", *sorted(holds)])
             if v in holds]
    for v in order:
        if all(used.get((v, d), 0) < holds[v] for d in days):
            return v, days
    for d in AFTER:
        for v in order:
            if used.get((v, d), 0) < holds[v]:
                return v, [d]
    return None


def generate_choices(students_csv: str, clubs: list[list], weight: dict[str, float],
                     n_choosing: int, rng: random.Random) -> str:
    """``club_choices.csv`` for ``clubs`` (rows in ``CLUB_COLUMNS`` order): pupils who
    attend on every day of a club of their grade's session may list it."""
    pupils = [s for s in _rows(students_csv) if s["status"] == "enrolled" and s["afternoon"]]
    chosen = sorted(rng.sample(pupils, min(n_choosing, len(pupils))), key=lambda s: s["id"])
    choices = []
    for s in chosen:
        g = int(s["grade"])
        mine = [c for c in clubs if (g <= 2) == (c[3] == "after-lower") and str(g) in
                _grade_list(c[6]) and set(c[2].split()) <= set(s["afternoon"].split())]
        picks: list[str] = []
        for _ in range(rng.choice((1, 2, 3, 3))):
            left = [c for c in mine if c[0] not in picks]
            if not left:
                break
            picks.append(rng.choices(left, [weight[c[0]] for c in left])[0][0])
        if picks:
            choices.append([s["id"], *picks, *[""] * (3 - len(picks))])
    return _csv(["student", "choice1", "choice2", "choice3"], choices)


def _grade_list(text: str) -> list[str]:
    if "-" in text:
        a, b = text.split("-")
        return [str(g) for g in range(int(a), int(b) + 1)]
    return text.replace(",", " ").split()
