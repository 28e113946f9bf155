"""The plan summary an office reads on the terminal after ``plan``: groups against their
bounds, paid minutes against their bound, the smallest group against its bound, managers,
shortages by day and slot (counting posts, in weekday order) with the lower bound on
unfilled posts, and the optimised objective terms and soft-rule costs by name."""
from __future__ import annotations

from collections import Counter

from afterschool.models.plan import Plan
from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.say import table



def clock_cuts(extra: dict) -> list[str]:
    """The stages the CPU clock, not a budget, decided (``solve_stats.cut_by_time_limit``),
    none when the run was interrupted (the summary says that instead)."""
    if extra.get("interrupted"):
        return []
    return list(extra.get("solve_stats", {}).get("cut_by_time_limit") or [])


def shortage_posts(plan: Plan) -> list[tuple[tuple[str, str, str, str], int]]:
    """Unfilled posts per (weekday, start, end, role), in weekday and time order: posts,
    not rows (a window missing 4 managers says 4)."""
    by: Counter = Counter()
    for s in plan.shortages:
        by[s.day, s.start, s.end, s.role] += s.count
    return sorted(by.items(), key=lambda kv: (
        WEEKDAYS.index(kv[0][0]) if kv[0][0] in WEEKDAYS else 9, kv[0][1:]))


def plan_summary(plan: Plan) -> str:
    """The short human summary of a plan (students, groups, gaps, shortages, costs)."""
    x = plan.extra
    lines = [f"{x.get('school', '')}: status {plan.status}"
             + (" (interrupted: best plan so far)" if x.get("interrupted") else "")
             + f", solved in {x['solve_stats']['seconds']:.1f}s"
             + (f" ({x['solve_stats']['cpu_seconds']:.1f}s CPU)"
                if "cpu_seconds" in x.get("solve_stats", {}) else "")]
    cuts = clock_cuts(x)
    if cuts:
        lines.append(f"  the time limit ({x['solve_stats'].get('time_limit')} s) cut short: "
                     f"{', '.join(cuts)}; a rerun may give another plan (a larger "
                     "--time-limit leaves the budgets, not the clock, to decide)")
    for g in x.get("grouping", []):
        lines.append(
            f"  {g['session']:<12} {g['students']:>5} students in {g['groups']:>3} groups; "
            f"group-days {g['group_days']} (bound {g['group_days_bound']}, gap "
            f"{100 * g['group_days_gap']:.1f}%; greedy {g['greedy_group_days']}); "
            f"class pairs {g['class_pairs']} for {g['classes']} classes"
            + (f"; {g['traded_group_days']} group-day(s) spent to keep classes together"
               if g.get("traded_group_days") else ""))
    note = x.get("group_days_tolerance", {})
    if note.get("why_not"):
        lines.append(f"  {note['allowance']} more group-day(s) allowed by the tolerance were "
                     f"not spent: {note['why_not']}")
    paid = x.get("paid_minutes")
    if paid:
        lines.append(f"  paid minutes a week {paid['total']} (bound {paid['bound']}, gap "
                     f"{100 * paid['gap']:.1f}%): groups {paid['group_minutes']} (bound "
                     f"{paid['group_minutes_bound']}), managers {paid['manager_minutes']} "
                     f"(bound {paid['manager_minutes_bound']})")
    small = x.get("smallest_group")
    if small and small.get("students") is not None:
        at = small.get("bound_at_group_days")
        held = ("" if at is None else
                f"with these group-days no grouping can do better than {at}"
                + (" (reached)" if at == small["students"] else "") + "; ")
        lines.append(f"  smallest group present: {small['students']} ({small['where']}); "
                     f"{held}with any number of groups at most {small['bound']} "
                     f"({small['bound_from']})")
    managers = Counter((d.day, d.window) for d in plan.duties if d.role == "manager")
    managers = dict(sorted(managers.items(), key=lambda kv: (WEEKDAYS.index(kv[0][0]),
                                                             kv[0][1])))
    teachers = {d.staff for d in plan.duties if d.role == "teacher"}
    short = sum(s.count for s in plan.shortages if s.role == "manager")
    lines.append(f"  {len(teachers)} teachers on duty; managers: "
                 + (", ".join(f"{d} {w} {n}" for (d, w), n in managers.items())
                    or ("none on duty" if short else "none needed"))
                 + (f" ({short} manager post(s) short)" if short else ""))
    if plan.shortages:
        lines.append(f"  SHORTAGES ({sum(s.count for s in plan.shortages)} posts unfilled):")
        for (d, a, b, role), n in shortage_posts(plan):
            lines.append(f"    {d} {a}-{b}: {n} {role}(s) missing")
        unfilled = x.get("unfilled")
        if unfilled:
            proof = "proved minimum" if unfilled["posts"] <= unfilled["posts_bound"] else \
                f"at least {unfilled['posts_bound']} must stay unfilled"
            lines.append(f"    {unfilled['posts']} unfilled posts ({proof}: "
                         f"{'; '.join(unfilled['proved_by'])}); {unfilled['minutes']} min "
                         f"a week (bound {unfilled.get('minutes_bound', 0)}); manager posts "
                         f"{unfilled['manager_posts']}, at least "
                         f"{unfilled['manager_posts_bound']} by manager capacity")
        lines.append("    'afterschool need INSTANCE' names the volunteers that would fill them")
    else:
        lines.append("  every group and slot is covered; every manager post is filled")
    terms = x.get("objective_terms", [])
    if terms:
        lines.append("  staffing objective, by term: " + "; ".join(
            f"{t['term']} {t['value']}" + (f" (cost {t['cost']})" if "cost" in t else
                                            f" (bound {t['bound']})")
            for t in terms))
    by_rule: dict[str, list[dict]] = {}
    for p in x.get("penalties", []):
        by_rule.setdefault(p["rule"], []).append(p)
    if by_rule:
        lines.append("  soft-rule costs (all of them in plan.json 'penalties'):")
        for rule, items in sorted(by_rule.items(), key=lambda kv: -sum(p["cost"] for p in kv[1])):
            worst = max(items, key=lambda p: (p["cost"], p["text"]))
            lines.append(f"    {rule}: {len(items)}x, cost {sum(p['cost'] for p in items)}; "
                         f"worst: {worst['text']}")
    return "\n".join(lines)


OFFICE = table("office")  # words: scheduler/say_zh.py, say_en.py


def office_summary(plan: Plan, lang: str) -> str:
    """What a school office reads after ``plan``, in the school's language: done or how
    many posts are unfilled, pupils and groups per session, who is on duty, each unfilled
    post by weekday and time; with venues, the homeroom share, group-days without a room and
    activity slots missing with their bound. Other bounds, gaps and costs stay in
    ``plan_summary`` (-v)."""
    from afterschool.scheduler.handouts.labels import day_name, session_label, window_label
    w = OFFICE["en" if lang == "en" else "zh"]
    x = plan.extra
    n_short = sum(s.count for s in plan.shortages)
    lines = [x.get("school", "") + w["colon"] + (w["short"].format(n=n_short) if n_short
                                                  else w["done"])]
    if x.get("interrupted"):
        lines.append("  " + w["interrupted"])
    for g in x.get("grouping", []):
        lines.append("  " + w["session"].format(name=session_label(plan, g["session"], lang),
                                                n=g["students"], g=g["groups"]))
    managers = Counter((d.day, d.window) for d in plan.duties if d.role == "manager")
    managers_text = ("、" if lang != "en" else ", ").join(
        w["manager_at"].format(day=day_name(d, lang), window=window_label(win, lang), n=n)
        for (d, win), n in sorted(managers.items(), key=lambda kv: (
            WEEKDAYS.index(kv[0][0]), kv[0][1] != "noon", kv[0][1])))
    short = sum(s.count for s in plan.shortages if s.role == "manager")
    managers_text = (managers_text or (w["none_on_duty"] if short else w["none"])) + (
        w["short_managers"].format(n=short) if short else "")
    lines.append("  " + w["staff"].format(n=len({d.staff for d in plan.duties
                                                 if d.role == "teacher"}),
                                          m=managers_text))
    if plan.shortages:
        lines.append("  " + w["gaps"])
        for (d, a, b, role), n in shortage_posts(plan):
            lines.append("    " + w["gap"].format(day=day_name(d, lang), start=a, end=b,
                                                  role=w[role], n=n))
        lines.append("  " + w["need"])
    v = x.get("venue_stats")
    if v:  # SPEC §12
        lines.append("  " + w["rooms"].format(g=v["groups"], home=v["in_homeroom"],
                                              no=v["no_room"], miss=v["activity_missing"],
                                              bound=v["activity_missing_bound"]))
    if clock_cuts(x):
        lines.append("  " + w["cut"])
    lines.append("  " + w["detail"])
    return "\n".join(lines)
