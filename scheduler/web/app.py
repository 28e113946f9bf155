"""The office's page (``afterschool serve TERM``): a Starlette application over the term's
record, server-rendered, every asset shipped in the package.

Shape
- ``make_app(term, secret=None) -> Starlette``: ``term`` an open ``record.term.Term``;
  ``secret`` signs the session cookie (default: random per process, so a restart logs
  everyone out). The routes live in ``pages.py``; this module holds what every request
  passes through.
- Security, by construction: Jinja2 auto-escapes every value (names are hostile); a
  Content-Security-Policy allows no script at all and only the package's own stylesheet;
  the session is a random id in a signed, HttpOnly, SameSite=Strict cookie, known to this
  process only (logging out ends it for good); every POST carries the session's CSRF token
  in its form (``csrf``), checked here once for all routes (missing or wrong: 403), bodies
  over 256 KiB are refused (413); after 5 failed logins for one name within 10 minutes
  that name is refused (429) until the window passes.
- ``current(request, role=None)``: the one dependency for who is asking: the account of
  the session as it stands in the record now (a removed account or a changed password ends
  its sessions), or a redirect to the login page; a role other than ``role`` is 403.
- Errors: bad input is 400 with every problem, a busy record 503, anything else 500 with
  one line and nothing saved; never a traceback.
"""
from __future__ import annotations

import collections
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from afterschool.models.errors import InputError
from afterschool.scheduler.record.errors import RecordBusy
from afterschool.scheduler.web import accounts as A
from afterschool.scheduler.say import say, section
from afterschool.scheduler.web.words import words

HERE = Path(__file__).resolve().parent
MAX_BODY = 256 * 1024
SESSION_HOURS = 10
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


class LoginNeeded(Exception):
    pass


class Limiter:
    """Failed logins per name: ``limit`` within ``window`` seconds, then refused."""

    def __init__(self, limit: int = 5, window: float = 600.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.fails: dict[str, collections.deque] = {}
        self.lock = threading.Lock()

    def _recent(self, key: str) -> collections.deque:
        q = self.fails.setdefault(key, collections.deque())
        now = self.clock()
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, name: str) -> bool:
        with self.lock:
            return len(self._recent(name.casefold())) >= self.limit

    def fail(self, name: str) -> None:
        with self.lock:
            if len(self.fails) > 10_000:  # names sprayed at the form: forget the oldest
                self.fails.pop(next(iter(self.fails)))
            self._recent(name.casefold()).append(self.clock())

    def clear(self, name: str) -> None:
        with self.lock:
            self.fails.pop(name.casefold(), None)


class Sessions:
    """Live sessions of this process: id -> (account name, account row id, expiry)."""

    def __init__(self):
        self.live: dict[str, tuple[str, int, float]] = {}
        self.lock = threading.Lock()

    def start(self, account: A.Account) -> str:
        sid = secrets.token_urlsafe(32)
        with self.lock:
            now = time.time()
            self.live = {k: v for k, v in self.live.items() if v[2] > now}
            self.live[sid] = (account.name, account.id, now + SESSION_HOURS * 3600)
        return sid

    def get(self, sid: str | None) -> tuple[str, int] | None:
        with self.lock:
            found = self.live.get(sid or "")
        if found is None or found[2] < time.time():
            return None
        return found[0], found[1]

    def end(self, sid: str | None) -> None:
        with self.lock:
            self.live.pop(sid or "", None)


def current(request: Request, role: str | None = None) -> A.Account:
    """The account asking (see the module docstring)."""
    state = request.app.state
    found = state.sessions.get(request.session.get("sid"))
    if found is None:
        raise LoginNeeded()
    account = A.accounts(state.term).get(found[0])
    if account is None or account.id != found[1]:
        state.sessions.end(request.session.get("sid"))
        raise LoginNeeded()
    if role is not None and account.role != role:
        raise HTTPException(403)
    return account


class Guard:
    """Pure ASGI middleware inside the session one: security headers on every response;
    a CSRF token in every session; on POST the body read (at most ``MAX_BODY``), its
    ``csrf`` field compared with the session's, and handed on unchanged."""

    def __init__(self, app, lang_of):
        self.app, self.lang_of = app, lang_of

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"x-frame-options", b"DENY"),
                            (b"cache-control", b"no-store")]
                message = dict(message, headers=headers)
            await send(message)

        session = scope.get("session")
        if session is not None and "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send_headers)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                await self._refuse(scope, send_headers, 413, "too_large")
                return
        ctype = dict(scope.get("headers", [])).get(b"content-type", b"").split(b";")[0]
        token = None
        if ctype.strip() == b"application/x-www-form-urlencoded":
            try:
                fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                   max_num_fields=2000)
            except (UnicodeDecodeError, ValueError):
                fields = []
            token = next((v for k, v in fields if k == "csrf"), None)
        expected = session.get("csrf") if session is not None else None
        if not token or not expected or not secrets.compare_digest(token, expected):
            await self._refuse(scope, send_headers, 403, "csrf")
            return
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send_headers)

    async def _refuse(self, scope, send, status: int, key: str) -> None:
        w = words(self.lang_of())
        html = render_error(self.lang_of(), w["error"], [w[key]])
        response = HTMLResponse(html, status_code=status)
        await response(scope, None, send)


FIELDS_ZH = section("web_field", "zh")  # words: scheduler/say_zh.py (web_field.*)
# (what the library's message holds, what a zh page says), first match: web_problem.* keys
# in order, the English entry the words looked for
MESSAGES_ZH = tuple((en, section("web_problem", "zh")[k])
                    for k, en in section("web_problem", "en").items())


def problem_lines(problems, lang: str) -> list[str]:
    """Each problem in the school's language: on a zh page the field and what is wrong in
    Chinese, with the value found (never a private one)."""
    if lang != "zh":
        return [str(p) for p in problems]
    out = []
    for p in problems:
        field = FIELDS_ZH.get(p.column or "", FIELDS_ZH.get(p.file, FIELDS_ZH["input"]))
        text = p.message.lower()
        what = next((zh for en, zh in MESSAGES_ZH if en in text), say("web.unusable", "zh"))
        shown = f"：{p.value[:60]}" if p.value is not None and not p.private else ""
        out.append(f"{field}{what}{shown}")
    return out


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    return env


ENV = _env()


def render_error(lang: str, title: str, lines: list[str]) -> str:
    return ENV.get_template("error.html").render(w=words(lang), lang=lang, title=title,
                                                 lines=lines, user=None, csrf="")


def make_app(term, secret: str | None = None) -> Starlette:
    from afterschool.scheduler.web import pages
    state_lang = {"lang": "zh"}
    try:
        with term.record.read() as r:
            state_lang["lang"] = term.current(r).extra.get("language", "zh")
    except InputError:
        pass

    def lang_of() -> str:
        return state_lang["lang"]

    def page_error(request: Request, status: int, key: str, lines=()):
        w = words(lang_of())
        return HTMLResponse(render_error(lang_of(), w[key], list(lines)), status_code=status)

    async def on_login_needed(request, exc):
        return RedirectResponse("/login", status_code=303)

    async def on_http(request, exc):
        key = {403: "forbidden", 404: "not_found", 405: "not_found",
               429: "too_many"}.get(exc.status_code, "error")
        return page_error(request, exc.status_code, key,
                          [exc.detail] if exc.status_code == 400 else [])

    async def on_input(request, exc):
        return page_error(request, 400, "bad_input", problem_lines(exc.problems, lang_of()))

    async def on_busy(request, exc):
        return page_error(request, 503, "busy")

    async def on_any(request, exc):
        return page_error(request, 500, "internal")

    app = Starlette(
        routes=pages.routes() + [Mount("/static", StaticFiles(directory=str(HERE / "static")),
                                       name="static")],
        middleware=[Middleware(SessionMiddleware, secret_key=secret or secrets.token_hex(32),
                               session_cookie="afterschool_session",
                               max_age=SESSION_HOURS * 3600, same_site="strict",
                               https_only=False),
                    Middleware(Guard, lang_of=lang_of)],
        exception_handlers={LoginNeeded: on_login_needed, HTTPException: on_http,
                            InputError: on_input, RecordBusy: on_busy, Exception: on_any})
    app.state.term = term
    app.state.lang = lang_of
    app.state.sessions = Sessions()
    app.state.limiter = Limiter()
    app.state.env = ENV
    return app
