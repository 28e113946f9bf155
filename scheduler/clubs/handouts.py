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
from afterschool.scheduler.handouts.sheets import write_tables

WORDS = {
    "zh": {"title": "社团活动录取公示", "club": "社团", "days": "活动日", "time": "时间",
           "venue": "地点", "class": "班级", "name": "姓名", "place": "候补序号",
           "fee": "社团费(元)", "instructor": "指导教师", "members": "录取名单",
           "waiting": "候补名单", "cancelled": "未开班的社团（报名不足最少人数）",
           "external": "外聘教师", "seed": "抽签种子", "none": "无",
           "sheet_members": "录取", "sheet_waiting": "候补", "lists_title": "社团名单",
           "parents_title": "社团活动通知", "class_suffix": "班",
           "how": ("抽签方法（任何人可复核）：对每位报名学生，计算文字“{seed}:学号”"
                   "（UTF-8）的 SHA-256 值；优先保障学生（残疾、留守、随迁、干部职工子女）"
                   "排在前面，其余在后，各部分按该值从小到大排序。按此顺序，每人依次得到"
                   "志愿中第一个仍有名额、适合其年级、且在其参加晚托的日子活动的社团"
                   "（每人最多 {per} 个，同一天不重复）。人数不足最少人数的社团中人数最少的"
                   "一个不开班，其学生按下一志愿重新分配，重复至所有开班社团达到最少人数。"
                   "例：在命令行运行 echo -n '{seed}:S00001' | sha256sum。")},
    "en": {"title": "Club lottery result", "club": "club", "days": "days", "time": "time",
           "venue": "venue", "class": "class", "name": "name", "place": "waiting place",
           "fee": "club fee (yuan)", "instructor": "instructor", "members": "members",
           "waiting": "waiting lists", "cancelled": "clubs not opened (under their minimum)",
           "external": "external instructor", "seed": "seed", "none": "none",
           "sheet_members": "members", "sheet_waiting": "waiting", "lists_title": "club list",
           "parents_title": "clubs", "class_suffix": "",
           "how": ("How anyone can re-run the draw: for each pupil who chose, take the "
                   "SHA-256 of the text \"{seed}:<student id>\" (UTF-8); priority children "
                   "first, then the others, each part by ascending hash. In that order each "
                   "pupil gets the first of their choices with a free seat that takes their "
                   "grade and meets on days they attend (at most {per} each, never two on one "
                   "day). While a club is under its minimum, the smallest is not opened and "
                   "the draw runs again without it. Example: echo -n '{seed}:S00001' | "
                   "sha256sum")},
}


def _people(plan) -> tuple[dict, dict]:
    people = plan.extra.get("people", {})
    return people.get("students", {}), people.get("staff", {})


def _place(plan, venue_id: str) -> str:
    """The venue's name where the school lists its venues (SPEC §12), else what clubs.csv says."""
    return plan.extra.get("venue_list", {}).get(venue_id, {}).get("name", venue_id)


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
