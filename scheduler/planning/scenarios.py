"""Staffing scenarios (SPEC §3–§6): what-if sweeps, the fewest extra volunteers, admission.

- ``Scenario``: a named variation of an instance — extra sign-ups drawn (seeded) from the
  instance's own grade, class and weekday mix (``students = 0.25``), volunteers withdrawn
  (``teachers = -3`` people or ``-0.1`` of them, seeded), the cap, the T(n) and M(c)
  thresholds, the weekdays served, the groups a venue holds at once (``venue_groups``,
  SPEC §12: a playground for 2 groups instead of 4). ``apply(instance, scenario)`` makes
  the varied instance.
- ``run_scenario(task)`` plans one (instance, scenario) and returns one comparison row:
  status, groups, group-days, standard teachers, managers, shortages by day and slot, fee
  income, pay, balance, solve time; with venues, groups in their homeroom, group-days
  without a room and activity slots missing. A plain function of picklable data, so any executor runs
  it: ``sweep`` uses the caller, a local process pool (``jobs``) or a Dask cluster
  (``scheduler`` address); rows come back in task order, identical whichever ran them.
- ``need(instance)``: the fewest extra volunteers, then the fewest extra minutes, that turn
  every shortage into a complete plan, with the duty windows each must cover.
- ``admit(instance)``: which ``applied`` students today's volunteers can take — priority
  categories first (disabled, left-behind, migrant, staff children), then application date —
  each with a reason; the rest wait, also with a reason.
- ``rain(instance, days)``: outdoor activities moved indoors on rainy days (SPEC §12): per
  day, how many moved and which groups stay in their rooms.
"""
from __future__ import annotations

import hashlib
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from afterschool.models.instance import Instance
from afterschool.models.people import Availability, Teacher
from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.planning.solve import solve

PRIORITY_ORDER = ("disabled", "left_behind", "migrant", "staff_child")


@dataclass(frozen=True)
class Scenario:
    name: str = "baseline"
    students: float = 0.0  # extra sign-ups as a fraction of the enrolled (0.25 = +25 %)
    teachers: float = 0.0  # volunteers withdrawn: -3 people, or -0.1 = 10 % of them
    cap: int | None = None
    students_per_teacher: int | None = None
    remainder_threshold: int | None = None
    groups_per_manager: int | None = None
    manager_remainder_threshold: int | None = None
    days: tuple[str, ...] | None = None  # weekdays served
    venue_groups: tuple[tuple[str, int], ...] | None = None  # (venue id, groups at once)
    seed: int = 0


def _rng(sc: Scenario, what: str) -> random.Random:
    digest = hashlib.sha256(f"{sc.seed}|{sc.name}|{what}".encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def apply(inst: Instance, sc: Scenario) -> Instance:
    """The instance as the scenario varies it (deterministic for the scenario's seed)."""
    school = inst.school
    rules = school.rules
    changes = {k: getattr(sc, k) for k in ("students_per_teacher", "remainder_threshold",
                                           "groups_per_manager", "manager_remainder_threshold")
               if getattr(sc, k) is not None}
    if sc.cap is not None:
        changes["group_cap"] = sc.cap
    if changes:
        school = replace(school, rules=replace(rules, **changes))
    if sc.venue_groups:  # SPEC §12; unknown ids are refused before a sweep (check_venue_ids)
        held = dict(sc.venue_groups)
        school = replace(school, venues=tuple(replace(v, groups=held.get(v.id, v.groups))
                                              for v in school.venues))
    students = list(inst.students)
    if sc.students > 0:
        rng = _rng(sc, "students")
        pool = sorted(inst.enrolled, key=lambda s: s.id)
        for k in range(round(len(pool) * sc.students)):
            model = rng.choice(pool)
            students.append(replace(model, id=f"X{k + 1:05d}", name=f"新报名{k + 1}",
                                    priority=(), fee_category="normal", fee_reduction=None))
    teachers = list(inst.teachers)
    if sc.teachers < 0:
        vols = sorted(t.id for t in inst.volunteers)
        n = round(-sc.teachers * len(vols)) if sc.teachers > -1 else int(-sc.teachers)
        gone = set(_rng(sc, "teachers").sample(vols, min(n, len(vols))))
        teachers = [replace(t, volunteer=False) if t.id in gone else t for t in teachers]
    avail = [a for a in inst.availability
             if not any(t.id == a.teacher and not t.volunteer for t in teachers)]
    if sc.days is not None:
        school = replace(school, sessions=tuple(
            replace(s, days=tuple(d for d in s.days if d in sc.days)) for s in school.sessions))
        students = [replace(s, noon=tuple(d for d in s.noon if d in sc.days),
                            afternoon=tuple(d for d in s.afternoon if d in sc.days))
                    for s in students]
    return replace(inst, school=school, students=tuple(students), teachers=tuple(teachers),
                   availability=tuple(avail))


def check_venue_ids(instances, scenarios, where: str) -> None:
    """Bad input (naming ``where``) when a scenario sets a venue a school does not list."""
    from afterschool.models.errors import InputError, Problem
    problems = []
    for inst in instances:
        ids = {v.id for v in inst.school.venues}
        for sc in scenarios:
            for vid, _ in sc.venue_groups or ():
                if vid not in ids:
                    problems.append(Problem(where, f"unknown venue of {inst.school.name}",
                                            value=vid, expected="a venue id of [[venues]] "
                                            "in school.toml or rooms.csv"))
    if problems:
        raise InputError(problems[:20])


def _shortage_text(plan) -> str:
    by: Counter = Counter()
    for s in plan.shortages:  # posts, not rows
        by[s.day, s.start, s.end, s.role] += s.count
    return "; ".join(f"{d} {a}-{b} {role} x{n}" for (d, a, b, role), n in
                     sorted(by.items(), key=lambda kv: (WEEKDAYS.index(kv[0][0]), kv[0][1:])))


def run_scenario(task: tuple[Instance, Scenario, float]) -> dict:
    """Plan one scenario; one row of the comparison table."""
    inst, sc, time_limit = task
    t0 = time.perf_counter()
    plan = solve(apply(inst, sc), time_limit=time_limit, seed=sc.seed)
    total = plan.extra["budget"][-1]
    return {"instance": inst.school.name, "scenario": sc.name, "status": plan.status,
            "students": len({s for g in plan.groups for s in g.students}),
            "groups": len(plan.groups),
            "group_days": sum(g["group_days"] for g in plan.extra["grouping"]),
            "standard_teachers": sum(r["standard_teachers"] for r in plan.staffing),
            "managers": sum(1 for d in plan.duties if d.role == "manager"),
            "shortages": sum(s.count for s in plan.shortages),
            "shortages_by_day": _shortage_text(plan),
            "fee_income": total["income"], "pay": total["pay"], "balance": total["balance"],
            "time_limit": time_limit, "solve_s": round(time.perf_counter() - t0, 2),
            **_venue_figures(plan)}


def _venue_figures(plan) -> dict:
    """With venues (SPEC §12): groups in their homeroom, group-days without a room, activity
    slots missing; nothing without."""
    v = plan.extra.get("venue_stats")
    if not v:
        return {}
    return {"in_homeroom": v["in_homeroom"], "no_room": v["no_room"],
            "activity_missing": v["activity_missing"]}


def sweep(tasks: list[tuple[Instance, Scenario, float]], jobs: int = 1,
          scheduler: str | None = None, progress=None) -> list[dict]:
    """Run every task; rows in task order. ``progress(n_done)`` is called as tasks finish.
    Each distinct instance travels to a worker once (pool initializer, Dask scatter), not
    once per scenario."""
    if jobs <= 1 and not scheduler:
        rows = []
        for n, task in enumerate(tasks, start=1):
            rows.append(run_scenario(task))
            if progress:
                progress(n)
        return rows
    instances: list[Instance] = []
    for inst, _, _ in tasks:
        if not any(inst is x for x in instances):
            instances.append(inst)
    light = [(next(k for k, x in enumerate(instances) if x is inst), sc, limit)
             for inst, sc, limit in tasks]
    rows: list = [None] * len(tasks)
    if scheduler:
        return _sweep_dask(scheduler, instances, light, rows, progress)
    from concurrent.futures import ProcessPoolExecutor, as_completed as done
    with ProcessPoolExecutor(max_workers=jobs, initializer=_keep_instances,
                             initargs=(instances,)) as pool:
        futures = {pool.submit(_run_kept, t): i for i, t in enumerate(light)}
        for n, fut in enumerate(done(futures), start=1):
            rows[futures[fut]] = fut.result()
            if progress:
                progress(n)
        return rows


CONNECT_TIMEOUT = "10s"  # how long to wait for a --scheduler address to answer


class ClusterLost(Exception):
    """The Dask cluster went away mid-sweep (after Dask's own retries): the message names
    the scheduler address, what was lost and how many scenarios had finished."""


def _sweep_dask(address: str, instances: list[Instance], light: list, rows: list,
                progress) -> list[dict]:
    """The sweep on a Dask cluster. Dask itself reschedules a task whose worker died
    (up to ``distributed.scheduler.allowed-failures``); only what it gives up on — the last
    worker gone with the scattered instances, a task killed too often, the scheduler
    unreachable — becomes one ``ClusterLost``. Every wait is bounded: the last worker's
    death cancels the scenarios at once (their scattered school data is gone with it; no
    waiting for a new worker), and a scheduler without any worker is given
    ``CONNECT_TIMEOUT`` for one to join (tests/test_cluster_loss.py kills a real worker
    mid-sweep)."""
    from distributed import Client, as_completed
    from distributed.client import FutureCancelledError
    from distributed.comm import CommClosedError
    from distributed.scheduler import KilledWorker
    done = 0

    def lost(what: str, exc: Exception, head: str = "lost the Dask cluster at") -> ClusterLost:
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        return ClusterLost(
            f"{head} {address}: {what}"
            + (f" ({detail})" if detail else "")
            + f"; {done} of {len(light)} scenario(s) had finished, none written. Start the "
            "scheduler and workers again (or use --jobs N on this machine) and re-run.")
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, CommClosedError) as exc:
        raise lost("no scheduler answers", exc, "cannot reach the Dask cluster at") from None
    try:
        with client:
            try:  # scatter would wait for a worker without end, or fail as a lost connection
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
            except TimeoutError as exc:
                raise lost(f"no worker joined the scheduler within {CONNECT_TIMEOUT}", exc,
                           "cannot run on the Dask cluster at") from None
            refs = client.scatter(instances, broadcast=True)
            futures = [client.submit(run_scenario, (refs[k], sc, limit), pure=False)
                       for k, sc, limit in light]
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                rows[index[fut.key]] = fut.result()
                done += 1
                if progress:
                    progress(done)
            return rows
    except KilledWorker as exc:
        raise lost("a scenario's worker died too often (Dask gave up retrying it)",
                   exc) from None
    except FutureCancelledError as exc:
        raise lost("the workers left and took the scattered school data with them", exc) \
            from None
    except (CommClosedError, OSError, TimeoutError) as exc:
        raise lost("the connection to the scheduler", exc) from None
    except Exception as exc:  # noqa: BLE001 - other cancellations name themselves
        if type(exc).__name__ in ("CancelledError", "CancelledFuture"):
            raise lost("the scenarios were cancelled by the cluster", exc) from None
        raise


_KEPT: list[Instance] = []  # a pool worker's copy of the sweep's instances


def _keep_instances(instances: list[Instance]) -> None:
    _KEPT[:] = instances


def _run_kept(task: tuple[int, Scenario, float]) -> dict:
    k, sc, limit = task
    return run_scenario((_KEPT[k], sc, limit))


def combine(base: Scenario, **lists) -> list[Scenario]:
    """The baseline, then every combination of the given value lists, named by them; text
    values (``"+10%"``, ``"-3"``, ``"40"``) are read by ``reading.options``."""
    from afterschool.scheduler.reading.options import students_change, teachers_change, whole
    from afterschool.scheduler.reading.options import venue_groups_value
    read = {"students": students_change, "teachers": teachers_change,
            "venue_groups": venue_groups_value}
    out = [base]
    keys = [k for k, v in lists.items() if v]
    combos: list[dict] = [{}]
    for k in keys:
        combos = [dict(c, **{k: v}) for c in combos for v in lists[k]]
    for c in combos:
        if c:
            name = ", ".join(f"{k} {v}" for k, v in c.items())
            out.append(replace(base, name=name, **{
                k: (read[k](v) if k in read else whole(k, v) if isinstance(v, str) else v)
                for k, v in c.items()}))
    return out


NEW = "NEW"


def need(inst: Instance, time_limit: float = 8.0, seed: int = 0, spare: int | None = None
         ) -> tuple[list[dict], object]:
    """The fewest extra volunteers (then minutes) for a complete plan: hypothetical people
    available everywhere are offered to the planner at a cost. Returns (advice, plan).
    ``time_limit`` is CPU seconds for both solves together (one deadline)."""
    from afterschool.scheduler.planning.cpsat import Deadline
    whole = Deadline.for_limit(time_limit)
    base = solve(inst, time_limit=time_limit, seed=seed, deadline=whole.part(0.45))
    short_minutes = base.extra["shortage_minutes_per_week"]
    if not base.shortages:
        return [], base
    k = spare or max(1, -(-short_minutes // inst.school.rules.max_weekly_minutes) + 2)
    people = [Teacher(f"{NEW}{i + 1:02d}", f"new volunteer {i + 1}", True, True, "staff")
              for i in range(k)]
    avail = [Availability(t.id, d, s.id, "available") for t in people for s in inst.school.sessions
             for d in s.days]
    from afterschool.scheduler.rules.staffing import duty_windows
    avail += [Availability(t.id, d, w.id, "available") for t in people for d in WEEKDAYS
              for w in duty_windows(inst.school.sessions, d) if w.id not in
              {s.id for s in inst.school.sessions}]
    more = Instance(inst.school, inst.students, inst.teachers + tuple(people),
                    inst.availability + tuple(avail), inst.source)
    plan = solve(more, time_limit=time_limit, seed=seed, deadline=Deadline(whole.left()),
                 new_people=frozenset(t.id for t in people))
    duties = defaultdict(list)
    for d in plan.duties:
        if d.staff.startswith(NEW):
            duties[d.staff].append(d)
    advice = []
    for staff, ds in sorted(duties.items()):
        ds.sort(key=lambda d: (WEEKDAYS.index(d.day), d.start))
        spans = []
        for d in ds:  # merge back-to-back slots of one day
            if spans and spans[-1][0] == d.day and spans[-1][2] == d.start:
                spans[-1][2] = d.end
            else:
                spans.append([d.day, d.start, d.end, d.role])
        advice.append({"person": staff, "minutes": sum(d.minutes for d in ds),
                       "windows": [f"{a} {b}-{c}" + (" (manager)" if r == "manager" else "")
                                   for a, b, c, r in spans],
                       "spans": [{"day": a, "start": b, "end": c, "role": r}
                                 for a, b, c, r in spans]})
    return advice, plan


def recruit_by_session(plan) -> list[dict]:
    """Per weekday and session (or managers' window) how many of ``need``'s new volunteers
    have a duty there: what a clerk recruits for ("周二晚托(低年级)：再招 2 人"), in weekday
    and time order."""
    people: dict[tuple, set[str]] = defaultdict(set)
    start: dict[tuple, str] = {}
    for d in plan.duties:
        if d.staff.startswith(NEW):
            key = (d.day, d.role, d.session if d.role == "teacher" else d.window)
            people[key].add(d.staff)
            start[key] = min(start.get(key, d.start), d.start)
    return [{"day": day, "role": role, "session": part if role == "teacher" else None,
             "window": part if role == "manager" else None, "people": len(who)}
            for (day, role, part), who in sorted(
                people.items(), key=lambda kv: (WEEKDAYS.index(kv[0][0]), start[kv[0]],
                                                kv[0][1] != "teacher", kv[0][2] or ""))]


def _priority_rank(st) -> tuple:
    ranks = [PRIORITY_ORDER.index(p) for p in st.priority if p in PRIORITY_ORDER]
    return (min(ranks) if ranks else len(PRIORITY_ORDER),)


def _posts_short(plan) -> Counter:
    """Unfilled posts by (day, start-end, role): what a plan leaves short."""
    out: Counter = Counter()
    for x in plan.shortages:
        out[x.day, f"{x.start}-{x.end}", x.role] += x.count
    return out


def admit(inst: Instance, time_limit: float = 4.0, seed: int = 0) -> list[dict]:
    """Admit ``applied`` students in priority order while admitting them adds no unfilled
    post: the first k of the line are admitted for the largest k whose plan leaves no more
    posts unfilled than today's (a short-staffed school still admits pupils whose days fit
    staffed seats). The first one waiting is told which posts they would leave unfilled;
    the others that they wait behind them, in the priority order."""
    applicants = sorted((s for s in inst.students if s.status == "applied"),
                        key=lambda s: (_priority_rank(s), s.applied_on or date.max, s.id))
    plans: dict[int, object] = {}

    def trial(k: int):
        if k not in plans:
            ids = {s.id for s in applicants[:k]}
            plans[k] = solve(replace(inst, students=tuple(
                replace(s, status="enrolled") if s.id in ids else s for s in inst.students)),
                time_limit=time_limit, seed=seed)
        return plans[k]

    base = sum(_posts_short(trial(0)).values())

    def fits(k: int) -> bool:
        return sum(_posts_short(trial(k)).values()) <= base

    lo, hi = 0, len(applicants)  # largest k adding no unfilled post (more pupils, more need)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    blocked, added = "", Counter()
    if lo < len(applicants):
        added = _posts_short(trial(lo + 1)) - _posts_short(trial(lo))
        blocked = "; ".join(f"{d} {span}: {n} {role}(s)" for (d, span, role), n in sorted(
            added.items(), key=lambda kv: (WEEKDAYS.index(kv[0][0]), kv[0][1:])))
    rows = []
    for i, s in enumerate(applicants):
        why = (f"priority: {', '.join(s.priority)}" if s.priority else
               f"applied on {s.applied_on}" if s.applied_on else "no priority, no date")
        if i < lo:
            reason = why
        elif i == lo:
            reason = ("admitting them adds posts nobody can fill: "
                      + (blocked or "more than today's plan leaves unfilled")
                      + f" (place {i + 1} in line; {why})")
        else:
            reason = (f"waits behind {applicants[lo].id} (place {lo + 1}), whom today's "
                      f"volunteers cannot take: admission follows the line (place {i + 1}; "
                      f"{why})")
        rows.append({"student": s.id, "class": s.klass,
                     "decision": "admitted" if i < lo else "waiting",
                     "reason": reason, "order": i + 1,
                     "why": {"priority": list(s.priority),
                             "applied_on": str(s.applied_on) if s.applied_on else None,
                             "case": "admitted" if i < lo else (
                                 "blocked" if i == lo else "behind"),
                             "posts": [[d, span, role, n] for (d, span, role), n in sorted(
                                 added.items(), key=lambda kv: (WEEKDAYS.index(kv[0][0]),
                                                                kv[0][1:]))]
                             if i == lo and lo < len(applicants) else [],
                             "behind": applicants[lo].id if i > lo else None,
                             "place": i + 1, "behind_place": lo + 1}})
    return rows


SCENARIO_KEYS = {"name", "students", "teachers", "cap", "students_per_teacher",
                 "remainder_threshold", "groups_per_manager", "manager_remainder_threshold",
                 "days", "venue_groups", "seed"}
_TOML_STRINGS = re.compile(rb'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
                           rb"|'[^'\n]*'|#[^\n]*")


def read_scenario_file(path: str, seed: int) -> list[Scenario]:
    """Named scenarios from a TOML file: ``[[scenario]]`` tables with the option names, every
    value checked by ``reading.options`` (ranges in its doc) before any is run; bad input
    names the table and key (``scenario[2].cap``)."""
    import tomllib

    from afterschool.models.errors import InputError, Problem
    from afterschool.scheduler.reading import options
    from afterschool.scheduler.reading.plan_file import read_capped, text_depth
    expected = "a UTF-8 TOML file of [[scenario]] tables"
    raw = read_capped(Path(path), options.MAX_SCENARIO_FILE_BYTES, expected)
    depth = text_depth(raw, _TOML_STRINGS)
    if depth > options.MAX_TOML_DEPTH:
        raise InputError([Problem(path, f"nested {depth:,} levels deep, at most "
                                  f"{options.MAX_TOML_DEPTH}", expected=expected)])
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError([Problem(path, "not UTF-8 text (saved as UTF-16 or GBK?)",
                                  expected=expected)]) from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise InputError([Problem(path, f"not TOML: {str(exc)[:200]}",
                                  expected=expected)]) from None
    tables = data.get("scenario", [])
    other = sorted(set(data) - {"scenario"})
    problems = [Problem(path, f"{k}: unknown table or key", expected="[[scenario]] tables")
                for k in other[:5]]
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(Problem(path, "scenario: not an array of tables", value=repr(tables),
                                expected="[[scenario]] tables"))
        raise InputError(problems)
    options.check_count(len(tables) + 1)
    out = []
    for n, raw_table in enumerate(tables):
        values: dict = {}
        for key, value in raw_table.items():
            at = f"scenario[{n}].{key}"
            try:
                if key not in SCENARIO_KEYS:
                    raise ValueError("unknown key (expected one of "
                                     f"{', '.join(sorted(SCENARIO_KEYS))})")
                if key == "name":
                    if not isinstance(value, str) or not value.strip() or len(value) > 100 \
                            or not value.isprintable():
                        raise ValueError(f"{value!r} is not a name of 1 to 100 characters")
                    values[key] = value.strip()
                elif key == "students":
                    values[key] = options.students_change(value)
                elif key == "teachers":
                    values[key] = options.teachers_change(value)
                elif key == "days":
                    values[key] = options.days_value(value)
                elif key == "venue_groups":
                    values[key] = options.venue_groups_value(value)
                else:
                    values[key] = options.whole(key, value)
            except ValueError as exc:
                problems.append(Problem(path, f"{at}: {str(exc)[:200]}"))
        values.setdefault("name", f"scenario {n + 1}")
        values.setdefault("seed", seed)
        out.append(values)
        if len(problems) >= 20:
            break
    if problems:
        raise InputError(problems)
    return [Scenario(**v) for v in out]


def rain(inst: Instance, days, *, time_limit: float = 4.0, seed: int = 0,
         plan=None) -> list[dict]:
    """``scenario --rain DAY…`` (SPEC §12): plan (or take ``plan``), then on each rainy
    day move every outdoor activity slot indoors (``venues.rain_plan``). One row per day:
    ``{"day", "outdoor", "moved", "unplaced": [{"group", "activity", "session"}]}``:
    ``outdoor`` activity slots that day, ``moved`` into a venue of their
    ``rain_venue_kinds``, the rest stay in their own rooms (listed)."""
    from afterschool.scheduler.planning.venues import head_counts, rain_plan
    plan = plan if plan is not None else solve(inst, time_limit=time_limit, seed=seed)
    rows = plan.extra.get("venues") or []
    present: dict = defaultdict(list)
    for r in rows:
        if r["group"] not in present[r["day"], r["session"]]:
            present[r["day"], r["session"]].append(r["group"])
    heads = head_counts(inst, plan.groups, present)
    moves = rain_plan(inst, rows, heads, (), tuple(days))
    out = []
    for d in sorted(set(days), key=WEEKDAYS.index):
        mine = [m for m in moves if m["day"] == d]
        out.append({"day": d, "outdoor": len(mine),
                    "moved": sum(1 for m in mine if m["venue"] is not None),
                    "unplaced": [{"group": m["group"], "activity": m["activity"],
                                  "session": m["session"]} for m in mine
                                 if m["venue"] is None]})
    return out
