"""``report.html``: the whole plan on one self-contained page an office opens in any browser
and prints (A4 landscape), from ``plan.json`` alone.

Sections: summary; staffing against the standard T(n) (table and chart); groups per session
and day; the duty grid per day (groups x slots, teachers' names); each teacher's week (one
continuous duty per cell, as in the calendars); fees, pay and budget totals; shortages; the
parents' notice per class (家长版, masked names). No network: no script, no external style,
font or image; charts are inline SVG drawn here (text as ``<text>``, so the browser's own
fonts show Chinese, and a printed PDF keeps the words searchable). Print CSS: A4 landscape,
each section on a new page, table headers repeated, rows never split.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from html import escape

from afterschool.models.plan import Plan
from afterschool.models.school import WEEKDAYS
from afterschool.scheduler.handouts.ics import merge
from afterschool.scheduler.handouts.names import pinyin_key
from afterschool.scheduler.handouts.labels import (day_name, session_label, slot_label,
                                                   window_label, words)
from afterschool.scheduler.handouts.rooms import group_places, has_venues, rain_rows
from afterschool.scheduler.handouts.publish import (_people, budget_part, group_classes,
                                                    group_labels, parents_notice, summary_rows)
from afterschool.scheduler.say import table

FONTS = ('"Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
         '"Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "SimHei", sans-serif')

CSS = """
@page { size: A4 landscape; margin: 12mm 10mm; }
* { box-sizing: border-box; }
body { font-family: %s; font-size: 10.5pt; color: #222; margin: 0 auto; max-width: 1200px;
       padding: 12px; }
h1 { font-size: 18pt; margin: 0 0 4px; }
h2 { font-size: 14pt; border-bottom: 2px solid #4C72B0; padding-bottom: 2px; margin: 18px 0 8px; }
h3 { font-size: 11.5pt; margin: 12px 0 4px; }
table { border-collapse: collapse; margin: 4px 0 10px; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eef2f8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.short { color: #b00; font-weight: bold; }
.muted { color: #666; }
.two { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
#parents td, #grid td, th, td:first-child { white-space: nowrap; }
svg text { font-family: %s; }
nav a { margin-right: 10px; }
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; }
  nav { display: none; }
  section { break-before: page; page-break-before: always; }
  section.first, section.same-page { break-before: auto; page-break-before: auto; }
  .cls { break-before: page; page-break-before: always; }
  .cls.first { break-before: auto; page-break-before: auto; }
  thead { display: table-header-group; }
  tr, .day, svg { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
}
""" % (FONTS, FONTS)


HAPPENED = table("happened")  # words: scheduler/say_zh.py, say_en.py


def _t(x) -> str:
    return escape(str(x))


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset(),
           short: str | None = None) -> str:
    head = "".join(f'<th class="num">{_t(h)}</th>' if i in numeric else f"<th>{_t(h)}</th>"
                   for i, h in enumerate(headers))
    body = []
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            cls = "num" if i in numeric else ("short" if short and v == short else "")
            cells.append(f'<td class="{cls}">{_t(v)}</td>' if cls else f"<td>{_t(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><thead><tr>{head}</tr></thead><tbody>" + "".join(body)
            + "</tbody></table>")


def bar_chart_svg(title: str, labels: list[str], series: list[tuple[str, str, list[float]]],
                  *, width: int = 1000, height: int = 260) -> str:
    """Grouped vertical bars as inline SVG: every label, value and legend entry is text."""
    n = max(len(labels), 1)
    left, right, top, bottom = 40, 10, 30, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max([v for _, _, vs in series for v in vs] + [1])
    scale = plot_h / (top_value * 1.1)
    slot = plot_w / n
    bar = slot * 0.8 / max(len(series), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_t(title)}">',
             f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13">{_t(title)}'
             "</text>"]
    for k in range(0, int(top_value) + 1, max(1, int(top_value) // 5 or 1)):
        y = top + plot_h - k * scale
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="10">{k}</text>')
    for i, label in enumerate(labels):
        x0 = left + i * slot + slot * 0.1
        for j, (_, colour, values) in enumerate(series):
            v = values[i]
            h = v * scale
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar - 1:.1f}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{_t(label)}: {v:g}</title></rect>")
        lines = str(label).split("\n")
        for k, line in enumerate(lines):
            parts.append(f'<text x="{x0 + slot * 0.4:.1f}" y="{top + plot_h + 13 + 12 * k}" '
                         f'text-anchor="middle" font-size="10">{_t(line)}</text>')
    x = left
    for name, colour, _ in series:
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" '
                     f'fill="{colour}"/><text x="{x + 14}" y="{height - 5}" '
                     f'font-size="11">{_t(name)}</text>')
        x += 20 + 8 * len(name) * (2 if any(ord(c) > 0x2E7F for c in name) else 1)
    parts.append("</svg>")
    return "".join(parts)


def load_chart_svg(title: str, people: list[tuple[str, int, int | None]], limit_word: str,
                   *, width: int = 1000) -> str:
    """Each person's weekly minutes as a horizontal bar, the weekly limit as a red tick."""
    row = 14
    left, top = 90, 28
    height = top + row * len(people) + 24
    top_value = max([m for _, m, _ in people] + [lim or 0 for *_, lim in people] + [1])
    scale = (width - left - 20) / top_value
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_t(title)}">',
             f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13">{_t(title)}'
             "</text>"]
    for i, (name, minutes, limit) in enumerate(people):
        y = top + i * row
        parts.append(f'<text x="{left - 4}" y="{y + 10}" text-anchor="end" font-size="10">'
                     f'{_t(name)}</text><rect x="{left}" y="{y + 1}" '
                     f'width="{minutes * scale:.1f}" height="{row - 3}" fill="#4C72B0"/>'
                     f'<text x="{left + minutes * scale + 3:.1f}" y="{y + 10}" '
                     f'font-size="9">{minutes}</text>')
        if limit:
            x = left + limit * scale
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + row - 1}" '
                         'stroke="#D62728" stroke-width="2"/>')
    parts.append(f'<line x1="{left}" x2="{left + 12}" y1="{height - 8}" y2="{height - 8}" '
                 f'stroke="#D62728" stroke-width="2"/><text x="{left + 16}" '
                 f'y="{height - 4}" font-size="11">{_t(limit_word)}</text></svg>')
    return "".join(parts)


def report_html(plan: Plan, lang: str | None = None) -> str:
    """The report page (see the module doc) in ``lang`` (default: the school's)."""
    lang = lang or plan.extra.get("language", "zh")
    w = words(lang)
    x = plan.extra
    school = x.get("school", "")
    staff_info, _ = _people(plan)
    names = {k: v.get("name", k) for k, v in staff_info.items()}
    labels = group_labels(plan, lang)
    classes = group_classes(plan)
    sessions = list(x.get("sessions", {}))
    out: list[str] = []
    add = out.append
    title = f"{school} {w['report_title']}"
    add(f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{_t(title)}</title><style>{CSS}</style></head><body>")
    nav = [("summary", w["summary"]), ("staffing", w["staffing_std"]),
           ("groups", w["groups_title"]), ("grid", w["grid_title"]),
           ("teachers", w["teachers_title"]), ("money", w["money_title"]),
           ("shortages", w["shortages_title"]), ("parents", w["parents_title"])]
    add("<nav>" + "".join(f'<a href="#{a}">{_t(b)}</a>' for a, b in nav) + "</nav>")

    # summary
    add(f'<section class="first" id="summary"><h1>{_t(title)}</h1>')
    add(_table([w["item"], w["value"]], [[r["item"], r["value"]]
                                         for r in summary_rows(plan, lang)]))
    add("</section>")

    # staffing against the standard
    add(f'<section id="staffing"><h2>{_t(w["staffing_std"])}</h2>')
    st = plan.staffing
    add(bar_chart_svg(w["staffing_title"],
                      [f"{session_label(plan, r['session'], lang)}\n"
                       f"{day_name(r['day'], lang)}" for r in st],
                      [(w["standard"], "#55A868", [r["standard_teachers"] for r in st]),
                       (w["formed"], "#4C72B0", [r["groups"] for r in st])]))
    cols = ["students", "standard_teachers", "groups", "extra_groups",
            "extra_teacher_minutes", "extra_pay"]
    add(_table([w["day"], w["session"]] + [w[c] for c in cols],
               [[day_name(r["day"], lang), session_label(plan, r["session"], lang)]
                + [r.get(c, "") for c in cols] for r in st], numeric=set(range(2, 8))))
    add("</section>")

    # groups per session and day
    add(f'<section id="groups"><h2>{_t(w["groups_title"])}</h2>')
    count = {(r["session"], r["day"]): r for r in st}
    add(_table([w["session"]] + [day_name(d, lang) for d in WEEKDAYS],
               [[session_label(plan, s, lang)]
                + [count[s, d]["groups"] if (s, d) in count else "" for d in WEEKDAYS]
                for s in sessions], numeric={1, 2, 3, 4, 5}))
    people = x.get("people", {}).get("students", {})
    rows = []
    for g in plan.groups:
        signup = x.get("sessions", {}).get(g.session, {}).get("signup")
        present = Counter(d for s in g.students for d in people.get(s, {}).get(signup, []))
        rows.append([labels[g.id], " ".join(classes.get(g.id, []))]
                    + [present.get(d, "") for d in WEEKDAYS])
    add(_table([w["group"], w["class"]] + [day_name(d, lang) for d in WEEKDAYS], rows,
               numeric={2, 3, 4, 5, 6}))
    add("</section>")

    # duty grid per day
    add(f'<section id="grid"><h2>{_t(w["grid_title"])}</h2>')
    cells: dict = defaultdict(dict)
    slots: dict = defaultdict(dict)
    for d in plan.duties:
        if d.role == "teacher":
            cells[d.day, d.session][d.group, d.start] = names.get(d.staff, d.staff)
            slots[d.day, d.session][d.start] = (f"{d.start}-{d.end} "
                                                f"{slot_label(d.slot, lang)}").strip()
    for s in plan.shortages:
        if s.role == "teacher" and s.session:
            cells[s.day, s.session][s.group, s.start] = w["shortage"]
            slots[s.day, s.session][s.start] = (f"{s.start}-{s.end} "
                                                f"{slot_label(s.slot, lang)}").strip()
    managers = defaultdict(list)
    for d in plan.duties:
        if d.role == "manager":
            managers[d.day].append(f"{window_label(d.window, lang)} {d.start}-{d.end} "
                                   f"{names.get(d.staff, d.staff)}")
    for day in WEEKDAYS:
        day_parts = []
        for s in sessions:
            if (day, s) not in slots:
                continue
            starts = sorted(slots[day, s])
            gids = [g.id for g in plan.groups if g.session == s
                    and any((g.id, a) in cells[day, s] for a in starts)]
            day_parts.append(f"<h3>{_t(day_name(day, lang))} · "
                             f"{_t(session_label(plan, s, lang))}</h3>")
            day_parts.append(_table([w["group"]] + [slots[day, s][a] for a in starts],
                                    [[labels[g]] + [cells[day, s].get((g, a), "")
                                                    for a in starts] for g in gids],
                                    short=w["shortage"]))
        if managers[day]:
            day_parts.append(f'<p>{_t(w["manager"])}: {_t("; ".join(managers[day]))}</p>')
        if day_parts:
            add('<div class="day">' + "".join(day_parts) + "</div>")
    add("</section>")

    # each teacher's week
    add(f'<section id="teachers"><h2>{_t(w["teachers_title"])}</h2>')
    minutes = Counter()
    for d in plan.duties:
        minutes[d.staff] += d.minutes
    limits = x.get("weekly_limits", {})
    order = sorted(minutes, key=lambda s: (-minutes[s], s))
    add(load_chart_svg(w["load_title"], [(names.get(s, s), minutes[s], limits.get(s))
                                         for s in order], w["limit"]))
    week: dict = defaultdict(lambda: defaultdict(list))
    for b in merge(plan.duties):
        what = (labels.get(b.group, b.group) if b.role == "teacher"
                else f"{w['manager']} {window_label(b.window, lang)}")
        week[b.staff][b.day].append((b.start, f"{b.start}-{b.end} {what}"))
    add(_table([w["name"]] + [day_name(d, lang) for d in WEEKDAYS] + [w["minutes"]],
               [[names.get(s, s)] + ["; ".join(t for _, t in sorted(week[s][d]))
                                     for d in WEEKDAYS] + [minutes[s]]
                for s in sorted(week, key=lambda s: (pinyin_key(names.get(s, s)), s))],
               numeric={6}))
    add("</section>")

    # money
    add(f'<section id="money"><h2>{_t(w["money_title"])}</h2>')
    budget = x.get("budget", [])
    add(_table([w["part"], w["income"], w["exemptions"], w["pay"], w["balance"]],
               [[budget_part(plan, b["part"], lang), b["income"], b["exemptions"], b["pay"],
                 b["balance"]] for b in budget],
               numeric={1, 2, 3, 4}))
    fee_total = sum((Decimal(str(f.get("service_fee", "0"))) for f in plan.fees),
                    Decimal("0.00"))
    pay_total = sum((Decimal(str(p.get("amount", "0"))) for p in plan.pay), Decimal("0.00"))
    add(_table([w["item"], w["value"]],
               [[w["fees"], f"{fee_total:.2f}"], [w["pay"], f"{pay_total:.2f}"],
                [w["count"], f"{len(plan.fees)} / {len(plan.pay)}"]], numeric={1}))
    add("</section>")

    # places and activities (SPEC §12)
    if has_venues(plan):
        add(f'<section id="venues"><h2>{_t(w["venues_title"])}</h2>')
        places = group_places(plan, lang)
        add(_table([w["group"], w["venue"]], [[labels.get(g, g), p] for g, p in
                                              sorted(places.items(), key=lambda kv: (
                                                  labels.get(kv[0], kv[0]), kv[0]))]))
        acts = {k: v.get("name", k) for k, v in (x.get("activity_list") or {}).items()}
        if x.get("venue_shortfalls"):
            add(_table([w["group"], w["activity"], w["missing"]],
                       [[labels.get(r["group"], r["group"]), acts.get(r["activity"],
                                                                      r["activity"]),
                         r["missing"]] for r in x["venue_shortfalls"]], numeric={2}))
        if x.get("rain_plan"):
            add(_table([w["day"], w["group"], w["activity"], w["venue"], w["rain_venue"]],
                       [[r["day"], r["group"], r["activity"], r["venue"], r["rain_venue"]]
                        for r in rain_rows(plan, lang)]))
        add("</section>")

    # shortages
    add(f'<section class="same-page" id="shortages"><h2>{_t(w["shortages_title"])}</h2>')
    if plan.shortages:
        add(_table([w["day"], w["time"], w["session"], w["group"], w["role"], w["count"]],
                   [[day_name(s.day, lang), f"{s.start}-{s.end}",
                     session_label(plan, s.session, lang) or window_label(s.window, lang),
                     labels.get(s.group, s.group or ""),
                     w["role_teacher"] if s.role == "teacher" else w["manager"], s.count]
                    for s in sorted(plan.shortages, key=lambda s: (WEEKDAYS.index(s.day),
                                                                   s.start))],
                   numeric={5}))
    else:
        add(f"<p>{_t(w['no_shortage'])}</p>")
    add("</section>")

    # what actually happened (SPEC §11), once the record holds it
    happened = x.get("happened") or {}
    if happened:
        h = HAPPENED.get(lang, HAPPENED["en"])
        add(f'<section id="happened"><h2>{_t(h["title"])}</h2>')
        if happened.get("cancelled"):
            add(_table([w["date"], w["session"], h["reason"]],
                       [[c["date"], session_label(plan, c["session"], lang)
                         if c["session"] else h["all"], c["reason"]]
                        for c in happened["cancelled"]]))
        if happened.get("attendance"):
            add(_table([w["date"], w["session"], h["late"], h["early"], h["leave"],
                        h["absent"]],
                       [[a["date"], session_label(plan, a["session"], lang), a["late"],
                         a["early"], a["leave"], a["absent"]]
                        for a in happened["attendance"]], numeric={2, 3, 4, 5}))
        add("</section>")

    # parents' notice per class
    # a class per printed page (what a head teacher posts), its children in two columns
    add(f'<section id="parents"><h2>{_t(w["parents_title"])}</h2>')
    for k, (c, rows) in enumerate(parents_notice(plan, lang).items()):
        head = w["class_of"].format(c=c)
        half = (len(rows) + 1) // 2
        add(f'<div class="cls{" first" if k == 0 else ""}"><h3>{_t(school)} '
            f'{_t(w["parents_title"])} · {_t(head)}</h3><div class="two">')
        for part in (rows[:half], rows[half:]):
            if part:
                add(_table([w["name"], w["group"], w["days"], w["time"]],
                           [[r["name"], r["group"], r["days"], r["time"]] for r in part]))
        add("</div></div>")
    add("</section></body></html>")
    return "".join(out)
