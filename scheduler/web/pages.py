"""The office's pages, thin like the commands: each reads the term's record, calls the same
library functions as the command that does the same, and renders a template.

Routes (GET shows, POST changes; every POST needs the form's ``csrf`` token):
- ``/login`` (GET, POST), ``/logout`` (POST).
- ``/today?date=D``: per duty of the date who is on duty, who is absent and who covers,
  shortages, each group's pupils and whether marks were recorded (``questions.who``,
  ``attendance_on``). A teacher sees only their own duties.
- ``/roll?group=G&date=D`` and POST ``/roll``: one group's pupils that date with one choice
  each (到 迟 早退 假 缺), recorded as ``attendance import`` records a filled sheet
  (``happened.roll_call_entries`` then ``term.record_attendance``; the term folder written
  again). A teacher only for a group they supervise that date.
- ``/absence``, POST ``/absence`` (the covers ``substitute`` would choose, nothing
  recorded) and POST ``/absence/confirm`` (run and recorded as the command does:
  ``planning.substitute`` then ``term.record_substitute``; the term folder written again
  with the cover list). Office only.
- ``/week?date=D&group=G|teacher=T``: the week's duties per date; a teacher their own.
- ``/money``: the settlement (totals, per pupil, per person; office only);
  ``/download/handouts.zip``, ``/download/settlement.xlsx``,
  ``/download/roll-call.xlsx?week=D``: written from the record on request into a temporary
  folder, sent, and deleted (office only).
- ``/history``: every entry with its time and author; a teacher the entries touching them.
What a teacher never gets: another group's pupils, pupils' priority or fee categories,
fees, payments, pay or the settlement.
"""
from __future__ import annotations

import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.routing import Route

from afterschool.models.errors import InputError, Problem
from afterschool.scheduler.handouts.labels import day_name, group_label
from afterschool.scheduler.record import questions as Q
from afterschool.scheduler.record import term as T
from afterschool.scheduler.web import accounts as A
from afterschool.scheduler.web.app import current
from afterschool.scheduler.web.words import STATUSES, status_word, words


# substitute as the command runs it by default (--time-limit 2, --seed 0): the same covers
SUBSTITUTE = {"time_limit": 2.0, "seed": 0}


def routes() -> list[Route]:
    return [Route("/", home), Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["POST"]), Route("/today", today),
            Route("/roll", roll, methods=["GET", "POST"]),
            Route("/absence", absence, methods=["GET", "POST"]),
            Route("/absence/confirm", absence_confirm, methods=["POST"]),
            Route("/week", week), Route("/money", money), Route("/history", history),
            Route("/download/{name}", download)]


# --- helpers ---------------------------------------------------------------------------
def _lang(request: Request) -> str:
    return request.app.state.lang()


def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    lang = _lang(request)
    html = request.app.state.env.get_template(name).render(
        w=words(lang), lang=lang, csrf=request.session.get("csrf", ""), **ctx)
    return HTMLResponse(html, status_code=status)


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _day(text: str | None, option: str = "date") -> date:
    if not text:
        return _today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError([Problem(option, "not a date", value=text[:40],
                                  expected="YYYY-MM-DD")]) from None




async def _read_form(request: Request) -> dict[str, str]:
    from urllib.parse import parse_qsl
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True, max_num_fields=2000))


def _names(plan, kind: str) -> dict[str, dict]:
    return plan.extra.get("people", {}).get(kind, {})


def _read(request: Request):
    term = request.app.state.term
    with term.record.read() as r:
        plan = term.current(r)
        absences = r.absences(term.term_id)
        marks = r.attendance(term.term_id)
    return term, plan, absences, marks


def _duty_rows(plan, day: date, absences, account: A.Account) -> list[dict]:
    staff = account.staff if account.role == "teacher" else None
    rows = Q.who(plan, day, absences, teacher=staff, clubs=True)  # clubs: SPEC §12
    if staff:  # a teacher: their own duties (and their absence), never a bare shortage
        rows = [r for r in rows if staff in (r["staff"], r["absent"])]
    return rows


def _my_groups(rows: list[dict], account: A.Account) -> set[str] | None:
    """Groups whose roll the account may take that date (None: any, for the office)."""
    if account.role == "office":
        return None
    return {r["group"] for r in rows if r["group"] and r["role"] != "club"
            and r["staff"] == account.staff}


# --- login ------------------------------------------------------------------------------
def home(request: Request):
    current(request)
    return RedirectResponse("/today", status_code=303)


async def login(request: Request):
    w = words(_lang(request))
    if request.method == "GET":
        return render(request, "login.html", user=None, message=None)
    form = await _read_form(request)
    name, password = form.get("name", "").strip()[:200], form.get("password", "")[:1000]
    try:
        name = A.check_name(name)  # as the account was named when added (NFKC)
    except InputError:
        pass
    state = request.app.state
    if state.limiter.blocked(name):
        return render(request, "login.html", 429, user=None, message=w["too_many"])
    from starlette.concurrency import run_in_threadpool
    account = (await run_in_threadpool(A.accounts, state.term)).get(name)
    ok = await run_in_threadpool(A.verify, account, password)
    if not ok:
        state.limiter.fail(name)
        return render(request, "login.html", 401, user=None, message=w["wrong_login"])
    state.limiter.clear(name)
    state.sessions.end(request.session.get("sid"))
    request.session.clear()
    import secrets
    request.session["sid"] = state.sessions.start(account)
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse("/today", status_code=303)


def logout(request: Request):
    request.app.state.sessions.end(request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# --- today --------------------------------------------------------------------------------
def today(request: Request):
    account = current(request)
    lang = _lang(request)
    day = _day(request.query_params.get("date"))
    term, plan, absences, marks = _read(request)
    rows = _duty_rows(plan, day, absences, account)
    mine = _my_groups(rows, account)
    duties = [{"time": f"{r['start']}-{r['end']}" if r["start"] else "",
               "where": Q.where(plan, r, lang), "staff": Q.on_duty(plan, r, lang),
               "absent": Q.named(plan, r["absent"], lang), "short": r["staff"] is None
               and r["start"] is not None, "group": r["group"],
               "pupils": r["pupils"]} for r in rows]
    groups = sorted({r["group"] for r in rows if r["group"] and r["role"] != "club"}
                    if mine is None else mine)  # a club's roll is its own sheet
    pupils = Q.attendance_on(plan, day, marks, set(groups))
    recorded = {g: sum(1 for p in pupils if p["group"] == g and
                       (day.isoformat(), p["session"], p["student"]) in marks)
                for g in groups}
    cards = [{"id": g, "label": group_label(plan, g, lang),
              "pupils": sum(1 for p in pupils if p["group"] == g),
              "recorded": recorded[g]} for g in groups]
    wd = Q.weekday_of(plan, day)
    return render(request, "today.html", user=account, day=day.isoformat(),
                  dayname=day_name(wd, lang) if wd else "", service=wd is not None,
                  prev=(day - timedelta(days=1)).isoformat(),
                  next=(day + timedelta(days=1)).isoformat(), duties=duties, groups=cards)


# --- roll call ----------------------------------------------------------------------------
def _roll_access(request: Request, account: A.Account, plan, absences, day: date,
                 group: str) -> None:
    rows = _duty_rows(plan, day, absences, account)
    mine = _my_groups(rows, account)
    if mine is not None and group not in mine:
        raise HTTPException(403)


async def roll(request: Request):
    from starlette.concurrency import run_in_threadpool
    if request.method == "POST":
        form = await _read_form(request)
        return await run_in_threadpool(_roll_save, request, form)
    return await run_in_threadpool(_roll_show, request, request.query_params.get("group", ""),
                                   request.query_params.get("date"), None)


def _roll_show(request: Request, group: str, day_text: str | None, message: str | None):
    account = current(request)
    lang = _lang(request)
    day = _day(day_text)
    term, plan, absences, marks = _read(request)
    _roll_access(request, account, plan, absences, day, group)
    pupils = Q.attendance_on(plan, day, marks, {group})
    if not pupils:
        raise InputError([Problem("group", "this group has no pupils on that date",
                                  value=group[:60])])
    names = _names(plan, "students")
    people = sorted(({"id": p["student"], "name": names.get(p["student"], {}).get("name", ""),
                      "class": names.get(p["student"], {}).get("class", ""),
                      "status": p["status"]} for p in pupils),
                    key=lambda p: (p["class"], p["name"], p["id"]))
    choices = [(s, status_word(s, lang)) for s in STATUSES]
    return render(request, "roll.html", user=account, group=group, day=day.isoformat(),
                  label=group_label(plan, group, lang), pupils=people, choices=choices,
                  message=message)


def _roll_save(request: Request, form: dict[str, str]):
    from afterschool.scheduler.record.happened import roll_call_entries
    account = current(request)
    group, day = form.get("group", ""), _day(form.get("date"))
    term, plan, absences, _ = _read(request)
    _roll_access(request, account, plan, absences, day, group)
    marks = {k[2:]: v for k, v in form.items() if k.startswith("p:")}
    with term.record.write(account.name, "attendance import", T.lock_key(term.key)) as w:
        entries = roll_call_entries(term.current(w), day.isoformat(), group, marks,
                                    f"roll-call page {group} {day.isoformat()}")
        pupils, staff = T.record_attendance(w, term, entries,
                                            f"roll-call page {group} {day.isoformat()}")
    if pupils or staff:
        T.rewrite(term)
    w_ = words(_lang(request))
    return _roll_show(request, group, day.isoformat(),
                      w_["saved"].format(p=pupils) if pupils or staff else w_["nothing_new"])


# --- absence ------------------------------------------------------------------------------
@contextmanager
def latest_sheets(term):
    """The sheets of the latest entry that read them, as files in a temporary folder for
    the length of the block (``record_substitute`` keeps them by content: the same files
    are the same instance version)."""
    from afterschool.scheduler.reading.reader import read_instance
    with term.record.read() as r:
        rows = r.instance_rows(term.term_id)
        if not rows:
            raise InputError([Problem("TERM", "the record holds no sheets for this term")])
        files = r.instance_files(rows[-1]["id"])
    with tempfile.TemporaryDirectory(prefix="afterschool-sheets-") as tmp:
        root = Path(tmp) / "sheets"
        root.mkdir()
        for name, content in files.items():
            if "/" not in name and "\\" not in name and not name.startswith("."):
                (root / name).write_bytes(content)
        books = [n for n in files if n.lower().endswith((".xlsx", ".xlsm"))]
        yield read_instance(root / books[0] if books and "school.toml" not in files
                            else root)


def _staff_choices(plan, lang: str) -> list[tuple[str, str]]:
    on_duty = {d.staff for v in plan.versions() for d in v.duties}
    return [(sid, Q.named(plan, sid, lang)) for sid in sorted(on_duty)]


def _cover_rows(plan, result, lang: str) -> list[dict]:
    return [{"date": x["date"], "time": f"{x['start']}-{x['end']}",
             "where": Q.where(plan, {"role": x["role"], "window": x.get("window"),
                                    "group": x.get("group"), "session": x.get("session"),
                                    "slot": x.get("slot")}, lang),
             "staff": Q.named(plan, x.get("staff"), lang), "short": x.get("staff") is None}
            for x in result.added]


async def absence(request: Request):
    from starlette.concurrency import run_in_threadpool
    form = await _read_form(request) if request.method == "POST" else None
    return await run_in_threadpool(_absence, request, form)


def _absence(request: Request, form: dict | None):
    from afterschool.scheduler.planning.substitute import substitute as cover
    account = current(request, "office")
    lang = _lang(request)
    term, plan, _, _ = _read(request)
    choices = _staff_choices(plan, lang)
    if form is None:
        return render(request, "absence.html", user=account, choices=choices, person="",
                      dates="", covers=None, result=None, recorded=False)
    person, dates = form.get("person", "")[:100], form.get("dates", "")[:400]
    with latest_sheets(term) as inst:
        result = cover(inst, plan, person, dates.split(","), **SUBSTITUTE)
    return render(request, "absence.html", user=account, choices=choices,
                  person=result.absent, dates=dates,
                  covers=_cover_rows(result.plan, result, lang), result=result,
                  absent_name=Q.named(plan, result.absent, lang), recorded=False)


async def absence_confirm(request: Request):
    from starlette.concurrency import run_in_threadpool
    form = await _read_form(request)
    return await run_in_threadpool(_absence_confirm, request, form)


def _absence_confirm(request: Request, form: dict):
    from afterschool.scheduler.handouts.cover import write_cover_folder
    from afterschool.scheduler.planning.substitute import substitute as cover
    account = current(request, "office")
    lang = _lang(request)
    term = request.app.state.term
    person, dates = form.get("person", "")[:100], form.get("dates", "")[:400]
    with latest_sheets(term) as inst:
        with term.record.write(account.name, "substitute", T.lock_key(term.key)) as w:
            result = cover(inst, term.current(w), person, dates.split(","),
                           **SUBSTITUTE)
            T.record_substitute(w, term, inst, result)
    for folder in T.export_folders(term, None):
        write_cover_folder(result, folder, None, set(), **T.export_args(term, folder))
    _, plan, _, _ = _read(request)
    return render(request, "absence.html", user=account, choices=_staff_choices(plan, lang),
                  person=result.absent, dates=dates,
                  covers=_cover_rows(result.plan, result, lang), result=result,
                  absent_name=Q.named(plan, result.absent, lang), recorded=True)


# --- week ---------------------------------------------------------------------------------
def week(request: Request):
    from afterschool.scheduler.record.happened import week_dates
    account = current(request)
    lang = _lang(request)
    day = _day(request.query_params.get("date"))
    term, plan, absences, _ = _read(request)
    group = request.query_params.get("group") or None
    teacher = request.query_params.get("teacher") or None
    groups = sorted({g.id for v in plan.versions() for g in v.groups})
    if account.role == "teacher":
        group, teacher = None, account.staff
    if group is not None and group not in groups:
        raise InputError([Problem("group", "not a group of this term", value=group[:60])])
    if teacher is not None and teacher not in _names(plan, "staff"):
        raise InputError([Problem("teacher", "not a person of this term",
                                  value=teacher[:60])])
    days = []
    for d, wd in week_dates(plan, day):
        rows = Q.who(plan, d, absences, group=group, teacher=teacher, clubs=True)
        if teacher is not None:
            rows = [r for r in rows if teacher in (r["staff"], r["absent"])]
        days.append({"date": d.isoformat(), "day": day_name(wd, lang),
                     "rows": [{"time": f"{r['start']}-{r['end']}" if r["start"] else "",
                               "where": Q.where(plan, r, lang),
                               "staff": Q.on_duty(plan, r, lang),
                               "absent": Q.named(plan, r["absent"], lang),
                               "short": r["staff"] is None and r["start"] is not None}
                              for r in rows]})
    return render(request, "week.html", user=account, day=day.isoformat(), days=days,
                  group=group or "", teacher=teacher or "",
                  groups=[(g, group_label(plan, g, lang)) for g in groups],
                  teachers=_staff_choices(plan, lang),
                  prev=(day - timedelta(days=7)).isoformat(),
                  next=(day + timedelta(days=7)).isoformat())


# --- money and downloads ------------------------------------------------------------------
def _settlement(term):
    from afterschool.scheduler.money.settlement import settle
    with term.record.read() as r:
        plan = term.current(r)
        facts = T.facts(r, term.term_id)
    return plan, settle(term.latest_instance(), plan, facts)


def money(request: Request):
    from afterschool.scheduler.handouts.settlement import totals_lines
    account = current(request, "office")  # fees, payments and pay: the office only
    term = request.app.state.term
    plan, result = _settlement(term)
    start, end = term.key[1], term.key[2]
    week = min(max(_today().isoformat(), start), end)  # a week of the term
    from afterschool.scheduler.handouts.settlement import HEADERS, settlement_sheets
    lang = _lang(request)
    heads = HEADERS.get(lang, HEADERS["en"])
    tables = [{"title": title, "heads": [heads.get(c, c) for c in cols],
               "rows": [[r.get(c, "") for c in cols] for r in rows]}
              for title, rows, cols, _ in settlement_sheets(result, lang)]
    return render(request, "money.html", user=account, lines=totals_lines(result, lang),
                  week=week, tables=tables)


DOWNLOADS = {"handouts.zip": "application/zip",
             "settlement.xlsx": "application/vnd.openxmlformats-officedocument."
                                "spreadsheetml.sheet",
             "roll-call.xlsx": "application/vnd.openxmlformats-officedocument."
                               "spreadsheetml.sheet",
             "bureau.xlsx": "application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet"}


def download(request: Request):
    account = current(request, "office")
    name = request.path_params["name"]
    if name not in DOWNLOADS:
        raise HTTPException(404)
    term = request.app.state.term
    lang = _lang(request)
    tmp = Path(tempfile.mkdtemp(prefix="afterschool-download-"))
    try:
        if name == "handouts.zip":
            from afterschool.scheduler.handouts.bundle import write_plan_folder
            out = tmp / "term"
            write_plan_folder(None, out, None, set(), **T.export_args(term, out))
            path = tmp / name
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                for f in sorted(out.rglob("*")):
                    if f.is_file() and not f.name.startswith("."):
                        z.write(f, f.relative_to(out).as_posix())
        elif name == "bureau.xlsx":  # the reports upward for this school's term
            from afterschool.scheduler.handouts.bureau import write_bureau
            from afterschool.scheduler.record.bureau import school_report, totals
            report = school_report(T.record_address(term))
            written = write_bureau([report], totals([report["row"]]), tmp, lang)
            path = next(p for p in written if p.suffix == ".xlsx")
        elif name == "settlement.xlsx":
            from afterschool.scheduler.handouts.settlement import write_settlement
            _, result = _settlement(term)
            written = write_settlement(result, tmp, lang)
            path = next(p for p in written if p.suffix == ".xlsx")
        else:
            from afterschool.scheduler.record.happened import write_roll_call
            day = _day(request.query_params.get("week"), "week")
            with term.record.read() as r:
                plan = term.current(r)
            path = tmp / name
            write_roll_call(plan, day, path, lang)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FileResponse(path, media_type=DOWNLOADS[name], filename=name,
                        background=BackgroundTask(shutil.rmtree, tmp, True))


# --- history ------------------------------------------------------------------------------
def history(request: Request):
    account = current(request)
    lang = _lang(request)
    w = words(lang)
    term = request.app.state.term
    teacher = account.staff if account.role == "teacher" else None
    with term.record.read() as r:
        plan = term.current(r)
        entries = r.entries(term.term_id)
        docs = {row["entry_id"]: r.document(row["id"]) for row in r.plan_rows(term.term_id)
                if row["kind"] == "plan"} if teacher else {}
    rows = Q.history(entries, docs, teacher=teacher)
    out = []
    for h in reversed(rows):
        s = h["summary"]
        lines = []
        if h["kind"] in ("plan", "replan", "substitute"):
            text = Q.history_lines(plan, [h], lang)
            head = text[0].split(" ", 2)[-1].rsplit(" (", 1)[0].split(": ", 1)[-1]
            lines = [t.strip() for t in text[1:]]
        elif h["kind"] == "attendance":
            head = w["attendance_line"].format(p=s.get("pupils", 0), s=s.get("staff", 0),
                                               d="、".join(s.get("dates", [])))
        elif h["kind"] == "cancel":
            head = w["cancel_line"].format(d="、".join(s.get("dates", [])),
                                           r=s.get("reason", ""))
        elif h["kind"] == "payments":
            head = w["payments_line"].format(n=s.get("rows", 0), t=s.get("total", ""))
        else:
            head = ""
        out.append({"when": Q.local_time(h["recorded_at"]), "by": h["by"],
                    "kind": w.get("kind_" + h["kind"], h["kind"]), "head": head,
                    "lines": lines})
    return render(request, "history.html", user=account, rows=out)
