"""The plan summary an office reads on the terminal after ``plan``: groups against their
bounds, managers, shortages by day and slot, and the soft-rule costs by name."""
from __future__ import annotations

from collections import Counter

from afterschool.models.plan import Plan
from afterschool.models.school import WEEKDAYS


def plan_summary(plan: Plan) -> str:
    """The short human summary of a plan (students, groups, gaps, shortages, costs)."""
    x = plan.extra
    lines = [f"{x.get('school', '')}: status {plan.status}"
             + (" (interrupted: best plan so far)" if x.get("interrupted") else "")
             + f", solved in {x['solve_stats']['seconds']:.1f}s"]
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
    managers = Counter((d.day, d.window) for d in plan.duties if d.role == "manager")
    managers = dict(sorted(managers.items(), key=lambda kv: (WEEKDAYS.index(kv[0][0]),
                                                             kv[0][1])))
    teachers = {d.staff for d in plan.duties if d.role == "teacher"}
    lines.append(f"  {len(teachers)} teachers on duty; managers: "
                 + (", ".join(f"{d} {w} {n}" for (d, w), n in managers.items()) or "none needed"))
    if plan.shortages:
        by = Counter((s.day, s.start, s.end, s.role) for s in plan.shortages)
        lines.append(f"  SHORTAGES ({sum(s.count for s in plan.shortages)} duties unfilled):")
        for (d, a, b, role), n in sorted(by.items()):
            lines.append(f"    {d} {a}-{b}: {n} {role}(s) missing")
    else:
        lines.append("  every group and slot is covered; every manager post is filled")
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
