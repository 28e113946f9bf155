"""The club hand-outs (SPEC §12), in the school's language, from a plan's ``"clubs"``.

Input: a plan whose ``extra["clubs"]`` ``section.club_section`` wrote (and its ``people``),
a folder, a language.
Output (``write_club_handouts``), each written atomically beside ``plan.json``:
- ``clubs-notice.html``: the public notice (公示): the seed, how anyone re-runs the draw,
  every club with its days, time, venue and members by class and masked name (张*明), the
  numbered waiting lists and the cancelled clubs; no id, no category; every text escaped;
- ``clubs-notice.xlsx``: the same tables (members, waiting lists) for the office to print;
- ``clubs-lists.xlsx``: one sheet per club that meets, for its instructor: full names,
  class, then the waiting list with places;
- ``clubs-parents.xlsx``: per homeroom class, each member's club, days, time, venue and
  club fee (masked names, as the parents' notice).
Every cell passes ``sheets`` (``safe.neutralise``); sheet titles ``safe.sheet_title``.
"""
from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from afterschool.scheduler.handouts.labels import day_name
from afterschool.scheduler.handouts.names import class_key, pupil_key
from afterschool.scheduler.handouts.output import write_text
from afterschool.scheduler.handouts.rooms import names as listed_names
from afterschool.scheduler.handouts.sheets import write_tables
from afterschool.scheduler.say import table

WORDS = table("club_notice")  # words: scheduler/say_zh.py, say_en.py


def _people(plan) -> tuple[dict, dict]:
    people = plan.extra.get("people", {})
    return people.get("students", {}), people.get("staff", {})


def _place(plan, venue_id: str) -> str:
    """The venue's name where the school lists its venues (SPEC §12), else what clubs.csv says."""
    return listed_names(plan, "venue_list").get(venue_id, venue_id)


def _days(days, lang) -> str:
    return ("、" if lang == "zh" else " ").join(day_name(d, lang) for d in days)


def _member_rows(plan, lang, masks) -> tuple[list[dict], list[dict]]:
    sec = plan.extra["clubs"]
    students, _ = _people(plan)
    info = sec["clubs"]

    def klass(s):
        return students.get(s, {}).get("class", "")
    members = sorted(({"club": info[a["club"]]["name"], "class": klass(a["student"]),
                       "name": masks.get(a["student"], "*"), "_k": (a["club"], class_key(
                           klass(a["student"])), masks.get(a["student"], ""))}
                      for a in sec["assigned"]), key=lambda r: r["_k"])
    waiting = [{"club": info[x["club"]]["name"], "place": x["place"],
                "class": klass(x["student"]), "name": masks.get(x["student"], "*")}
               for x in sorted(sec["waiting"], key=lambda x: (x["club"], x["place"]))]
    return [{k: v for k, v in r.items() if k != "_k"} for r in members], waiting


def notice_html(plan, lang: str, masks: dict[str, str]) -> str:
    w = WORDS["zh" if lang == "zh" else "en"]
    sec = plan.extra["clubs"]
    e = html.escape
    per = sec.get("per_pupil", 1)
    out = [f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
           f"<title>{e(w['title'])}</title><style>body{{font-family:sans-serif}}"
           "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}"
           "</style></head><body>",
           f"<h1>{e(str(plan.extra.get('school', '')))} {e(w['title'])}</h1>",
           f"<p>{e(w['seed'])}: <b>{sec['seed']}</b></p>",
           f"<p>{e(w['how'].format(seed=sec['seed'], per=per))}</p>"]
    members, waiting = _member_rows(plan, lang, masks)
    by_club = defaultdict(list)
    for r in members:
        by_club[r["club"]].append(r)
    wait_by = defaultdict(list)
    for r in waiting:
        wait_by[r["club"]].append(r)
    for cid, c in sec["clubs"].items():
        if not c["meets"]:
            continue
        out.append(f"<h2>{e(c['name'])}</h2><p>{e(w['days'])}: {e(_days(c['days'], lang))}"
                   f"　{e(w['time'])}: {e(c['start'])}-{e(c['end'])}　{e(w['venue'])}: "
                   f"{e(_place(plan, c['venue']))}</p>")
        out.append(f"<h3>{e(w['members'])}</h3><table><tr><th>{e(w['class'])}</th>"
                   f"<th>{e(w['name'])}</th></tr>")
        out += [f"<tr><td>{e(r['class'])}</td><td>{e(r['name'])}</td></tr>"
                for r in by_club[c["name"]]]
        out.append("</table>")
        if wait_by[c["name"]]:
            out.append(f"<h3>{e(w['waiting'])}</h3><table><tr><th>{e(w['place'])}</th>"
                       f"<th>{e(w['class'])}</th><th>{e(w['name'])}</th></tr>")
            out += [f"<tr><td>{r['place']}</td><td>{e(r['class'])}</td>"
                    f"<td>{e(r['name'])}</td></tr>" for r in wait_by[c["name"]]]
            out.append("</table>")
    gone = [sec["clubs"][c]["name"] for c in sec["cancelled"] if c in sec["clubs"]]
    out.append(f"<h2>{e(w['cancelled'])}</h2><p>"
               f"{e(('、' if lang == 'zh' else ', ').join(gone) or w['none'])}</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_club_handouts(plan, out_dir: Path, lang: str) -> list[Path]:
    from afterschool.scheduler.handouts.publish import masked
    lang = "zh" if lang == "zh" else "en"
    w = WORDS[lang]
    sec = plan.extra["clubs"]
    masks = masked(plan)
    students, staff = _people(plan)
    written = [write_text(out_dir / "clubs-notice.html", notice_html(plan, lang, masks))]
    members, waiting = _member_rows(plan, lang, masks)
    head = {k: w[k] for k in ("club", "class", "name", "place", "days", "time", "venue",
                              "fee", "instructor")}
    written += write_tables(out_dir, "clubs-notice",
                            [(w["sheet_members"], members, ["club", "class", "name"], []),
                             (w["sheet_waiting"], waiting, ["club", "place", "class", "name"],
                              [])], ("xlsx",), head, "")
    lists = []
    for cid, c in sec["clubs"].items():
        if not c["meets"]:
            continue
        who = staff.get(c["instructor"], {}).get("name", "") if c["instructor"] != "external" \
            else w["external"]
        rows = sorted(({"class": students.get(a["student"], {}).get("class", ""),
                        "name": students.get(a["student"], {}).get("name", ""), "place": ""}
                       for a in sec["assigned"] if a["club"] == cid),
                      key=lambda r: pupil_key(r["class"], r["name"]))
        rows += [{"class": students.get(x["student"], {}).get("class", ""),
                  "name": students.get(x["student"], {}).get("name", ""), "place": x["place"]}
                 for x in sec["waiting"] if x["club"] == cid]
        lists.append((c["name"], rows, ["place", "class", "name"], [],
                      {"title": f"{c['name']} {w['lists_title']} {w['instructor']}: {who} "
                                f"{_days(c['days'], lang)} {c['start']}-{c['end']} "
                                f"{_place(plan, c['venue'])}"}))
    if lists:
        written += write_tables(out_dir, "clubs-lists", lists, ("xlsx",), head, "")
    by_class = defaultdict(list)
    for a in sec["assigned"]:
        c = sec["clubs"][a["club"]]
        k = students.get(a["student"], {}).get("class", "")
        by_class[k].append({"name": masks.get(a["student"], "*"), "club": c["name"],
                            "days": _days(c["days"], lang), "time": f"{c['start']}-{c['end']}",
                            "venue": _place(plan, c["venue"]), "fee": c["fee"],
                            "_k": masks.get(a["student"], "")})
    parents = [(f"{k}{w['class_suffix']}" if lang == "zh" else k,
                [{x: v for x, v in r.items() if x != "_k"} for r in
                 sorted(rows, key=lambda r: r["_k"])],
                ["name", "club", "days", "time", "venue", "fee"], [],
                {"title": f"{plan.extra.get('school', '')} {w['parents_title']} {k}"})
               for k, rows in sorted(by_class.items(), key=lambda kv: class_key(kv[0]))]
    if parents:
        written += write_tables(out_dir, "clubs-parents", parents, ("xlsx",), head, "")
    return written
