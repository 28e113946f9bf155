"""The office's page through Starlette's TestClient (issue #27): accounts, sessions, the
CSRF guard, the login limit, what each role may see, bad input, and that the page and the
commands make the same record entries. The school: ``web_school`` (hand-checked there)."""
from __future__ import annotations

import re
import warnings

import pytest

with warnings.catch_warnings():  # Starlette's note that a later TestClient moves off httpx
    warnings.filterwarnings("ignore", message=".*httpx.*")
    from starlette.testclient import TestClient

from afterschool.scheduler.record import term as T
from afterschool.scheduler.record.store import Record
from afterschool.scheduler.web.app import Limiter, make_app
from web_school import EVIL, PASSWORD, THU, TUE, copy_term, planned, run


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return planned(tmp_path_factory.mktemp("web"))


@pytest.fixture
def term_dir(made, tmp_path):
    return copy_term(made, tmp_path)[1]


def client(term_dir) -> TestClient:
    term = T.open_term(T.locate(str(term_dir)))
    return TestClient(make_app(term), raise_server_exceptions=False,
                      base_url="http://127.0.0.1")


def token(c: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def login(c: TestClient, name: str, password: str = PASSWORD):
    return c.post("/login", data={"name": name, "password": password, "csrf": token(c)},
                  follow_redirects=False)


def rows(term_dir):
    """The record's rows that commands append, without ids, times and authors."""
    with Record.open(str(term_dir / "record.sqlite")).read() as r:
        entries = [(e["kind"], e["command"], {k: v for k, v in e["summary"].items()
                                              if k != "file"})
                   for e in r.entries(1)]
        return {"entries": entries, "attendance": r.attendance(1),
                "absences": [(a["staff"], a["date"]) for a in r.absences(1)],
                "covers": [(c["date"], c["replaces"], c["staff"], c["duty"])
                           for c in r.covers(1)],
                "plans": [(p["kind"], p["valid_from"], p["sha256"]) for p in r.plan_rows(1)],
                "instances": [i["sha256"] for i in r.instance_rows(1)],
                "authors": [e["recorded_by"] for e in r.entries(1)]}


# --- accounts --------------------------------------------------------------------------
def test_accounts_are_rows_of_the_record_with_hashed_passwords(term_dir):
    with Record.open(str(term_dir / "record.sqlite")).read() as r:
        users = r.users(1)
    assert sorted(users) == sorted(["办公室", "刘老师", EVIL])
    assert users["刘老师"]["role"] == "teacher" and users["刘老师"]["staff"] == "T2"
    assert users["办公室"]["staff"] is None
    assert all(u["password_hash"].startswith("$argon2id$") for u in users.values())
    assert all(PASSWORD not in u["password_hash"] for u in users.values())
    assert run("user", "remove", term_dir, "刘老师", "--by", "x").exit_code == 0
    with Record.open(str(term_dir / "record.sqlite")).read() as r:
        assert "刘老师" not in r.users(1)
        with pytest.raises(Exception, match="append-only"):
            r.conn.exec_driver_sql("DELETE FROM users")


def test_user_add_refuses_bad_accounts(term_dir):
    r = run("user", "add", term_dir, "新老师", "--role", "teacher", "--staff", "T9",
            input=PASSWORD + "\n")
    assert r.exit_code == 2 and "--staff" in r.output
    r = run("user", "add", term_dir, "新老师", "--role", "office", input="short\n")
    assert r.exit_code == 2 and "password" in r.output
    r = run("user", "add", term_dir, "办公室", "--role", "office", input=PASSWORD + "\n")
    assert r.exit_code == 2 and "exists" in r.output
    r = run("user", "add", term_dir, "新老师", "--role", "teacher", "--staff", "t1",
            input=PASSWORD + "\n")  # ids in any case, as the commands take them
    assert r.exit_code == 0, r.output
    listed = run("user", "list", term_dir).output
    assert "新老师\t教师\tT1" in listed and PASSWORD not in listed


def test_serve_opens_to_the_network_only_with_accounts(made, tmp_path):
    sheets, _ = made
    bare = tmp_path / "bare"
    assert run("plan", sheets, "--out", bare, "--skip", "all", "--time-limit", "1") \
        .exit_code == 0
    r = run("serve", bare, "--host", "0.0.0.0")
    assert r.exit_code == 2 and "accounts" in r.output
    r = run("serve", tmp_path / "nowhere")
    assert r.exit_code == 2 and "no term record" in r.output


# --- sessions, CSRF, login limit ----------------------------------------------------------
def test_pages_need_a_login_and_the_cookie_is_httponly_strict(term_dir):
    c = client(term_dir)
    for path in ("/today", "/roll?group=noon-01&date=" + TUE, "/money", "/history", "/week",
                 "/download/handouts.zip"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    r = login(c, "办公室")
    assert r.status_code == 303 and r.headers["location"] == "/today"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = c.get("/today?date=" + TUE)
    assert page.status_code == 200
    assert "script-src" not in page.headers["content-security-policy"]  # none at all
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_post_without_the_csrf_token_is_refused(term_dir):
    c = client(term_dir)
    r = c.post("/login", data={"name": "办公室", "password": PASSWORD})
    assert r.status_code == 403 and "表单已过期" in r.text
    assert login(c, "办公室").status_code == 303
    before = rows(term_dir)
    form = {"group": "noon-01", "date": TUE, "p:S0001": "absent"}
    assert c.post("/roll", data=form).status_code == 403
    assert c.post("/roll", data=form | {"csrf": "forged"}).status_code == 403
    assert c.post("/absence/confirm", data={"person": "T2", "dates": THU}).status_code == 403
    assert c.post("/logout").status_code == 403
    assert rows(term_dir) == before
    # the session's own token from another session is refused too
    other = client(term_dir)
    assert login(other, "办公室").status_code == 303
    assert c.post("/roll", data=form | {"csrf": token(other, "/today")}).status_code == 403


def test_five_failed_logins_lock_the_name_for_ten_minutes(term_dir):
    now = [0.0]
    c = client(term_dir)
    c.app.state.limiter = Limiter(clock=lambda: now[0])
    for _ in range(5):
        assert login(c, "办公室", "wrong password").status_code == 401
    r = login(c, "办公室")  # the right password, but locked
    assert r.status_code == 429 and "十分钟" in r.text
    assert login(c, "刘老师").status_code == 303  # another name is not locked
    now[0] = 601
    assert login(c, "办公室").status_code == 303


def test_an_unknown_name_and_a_wrong_password_read_the_same(term_dir):
    c = client(term_dir)
    a, b = login(c, "nobody", "x" * 10), login(c, "办公室", "x" * 10)
    assert a.status_code == b.status_code == 401
    assert a.text.replace("nobody", "") == b.text.replace("办公室", "")


def test_logout_and_a_removed_account_end_the_session(term_dir):
    c = client(term_dir)
    assert login(c, "刘老师").status_code == 303
    cookie = dict(c.cookies)
    assert c.post("/logout", data={"csrf": token(c, "/today")},
                  follow_redirects=False).status_code == 303
    replay = client(term_dir)
    replay.app = c.app
    replay.cookies.update(cookie)  # the old cookie, signed and all, no longer opens a page
    assert replay.get("/today", follow_redirects=False).status_code == 303
    assert login(c, "刘老师").status_code == 303
    assert c.get("/today", follow_redirects=False).status_code == 200
    assert run("user", "password", term_dir, "刘老师", input="another pass 1\n").exit_code == 0
    assert c.get("/today", follow_redirects=False).status_code == 303


# --- roles -------------------------------------------------------------------------------
def test_a_teacher_sees_only_their_own_duties_and_group(term_dir):
    c = client(term_dir)
    assert login(c, "刘老师").status_code == 303  # T2: the afternoon group
    today = c.get("/today?date=" + TUE).text
    assert "晚托(中高年级)1组" in today and "午托1组" not in today and "T3" not in today
    roll = c.get("/roll?group=after-upper-01&date=" + TUE)
    assert roll.status_code == 200
    assert all(n in roll.text for n in ("赵一", "钱二", "孙三"))
    assert "王小明" not in roll.text
    assert c.get("/roll?group=noon-01&date=" + TUE).status_code == 403
    tok = token(c, "/today")
    r = c.post("/roll", data={"csrf": tok, "group": "noon-01", "date": TUE,
                              "p:S0002": "absent"})
    assert r.status_code == 403
    for path in ("/money", "/absence", "/download/handouts.zip", "/download/settlement.xlsx",
                 "/download/roll-call.xlsx?week=" + TUE):
        assert c.get(path).status_code == 403, path
    week = c.get("/week?date=" + TUE + "&group=noon-01&teacher=T3").text
    assert "午托1组" not in week and "刘老师" in week
    for path in ("/today?date=" + TUE, "/roll?group=after-upper-01&date=" + TUE,
                 "/week?date=" + TUE, "/history"):
        text = c.get(path).text
        for word in ("migrant", "normal", "收费", "费", "元", "S0001", "王小明"):
            assert word not in text, (path, word)


def test_the_office_sees_every_group_and_the_money(term_dir):
    c = client(term_dir)
    assert login(c, "办公室").status_code == 303
    today = c.get("/today?date=" + TUE).text
    assert "晚托(中高年级)1组" in today and "午托1组" in today
    money = c.get("/money")
    # six service dates (Tue, Thu); the noon's 130 billable minutes at 2.00 yuan an hour:
    # 3 x 6 x 130/60 x 2.00 = 78.00; the afternoon's 60: 3 x 6 x 2.00 = 36.00
    assert money.status_code == 200 and "应收合计 114.00 元" in money.text
    # per pupil: 26.00 at noon (6 x 130/60 x 2.00), 12.00 in the afternoon (6 x 2.00)
    assert re.search(r"<td>S0002</td><td>王小明</td><td>3-1</td><td>26.00</td>", money.text)
    assert re.search(r"<td>S0004</td><td>赵一</td><td>4-1</td><td>12.00</td>", money.text)
    r = c.get("/download/settlement.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "attachment" in r.headers["content-disposition"]
    import io

    import openpyxl
    r = c.get("/download/bureau.xlsx")  # the reports upward: this school's row, 114.00
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    summary = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert summary[0][0] == "学校" and 114 in summary[1]  # income, a number in the sheet


# --- hostile names and bad input ----------------------------------------------------------
def test_markup_in_names_is_text_on_every_page(term_dir):
    c = client(term_dir)
    assert login(c, "办公室").status_code == 303
    for path in ("/today?date=" + TUE, "/roll?group=noon-01&date=" + TUE, "/week?date=" + TUE,
                 "/absence", "/history", "/money"):
        text = c.get(path).text
        assert "<img" not in text, path
    assert "&lt;img src=x onerror=alert(1)&gt;" in c.get("/roll?group=noon-01&date=" + TUE).text
    e = client(term_dir)
    assert login(e, EVIL).status_code == 303  # an account named so, too
    assert "<img" not in e.get("/today?date=" + TUE).text


def test_bad_input_is_400_with_the_problem_and_nothing_recorded(term_dir):
    c = client(term_dir)
    assert login(c, "办公室").status_code == 303
    before = rows(term_dir)
    r = c.get("/today?date=2026-13-45")
    assert r.status_code == 400 and "输入有误" in r.text and "Traceback" not in r.text
    tok = token(c, "/today")
    # a pupil of the other group: the rules of 'attendance import', nothing of the form kept
    r = c.post("/roll", data={"csrf": tok, "group": "noon-01", "date": TUE,
                              "p:S0001": "absent", "p:S0004": "absent"})
    assert r.status_code == 400 and "S0004" in r.text
    r = c.post("/roll", data={"csrf": tok, "group": "noon-01", "date": TUE,
                              "p:S0001": "<script>"})
    assert r.status_code == 400 and "<script>" not in r.text
    r = c.post("/roll", data={"csrf": tok, "group": "noon-01", "date": "2026-09-14",
                              "p:S0001": "absent"})  # Monday: no noon group meets
    assert r.status_code == 400
    r = c.post("/absence", data={"csrf": tok, "person": "T9", "dates": THU})
    assert r.status_code == 400
    r = c.post("/roll", data={"csrf": tok, "group": "noon-01", "date": TUE,
                              "x": "y" * 300_000})
    assert r.status_code == 413
    assert c.get("/download/..%2Frecord.sqlite").status_code == 404
    assert rows(term_dir) == before


def test_a_zh_page_holds_no_english_word(term_dir):
    import html
    c = client(term_dir)
    assert login(c, "办公室").status_code == 303
    tok = token(c, "/today")
    pages = [c.get(p) for p in ("/login", f"/today?date={TUE}", "/today?date=2026-09-14",
                                f"/roll?group=noon-01&date={TUE}", f"/week?date={TUE}",
                                "/absence", "/money", "/history", "/today?date=2026-99-99",
                                "/nowhere")]
    pages.append(c.post("/absence", data={"csrf": tok, "person": "T2", "dates": THU}))
    pages.append(c.post("/absence", data={"csrf": tok, "person": "T2", "dates": "2026-09-14"}))
    pages.append(c.post("/roll", data={"csrf": tok, "group": "noon-01", "date": TUE,
                                       "p:S0004": "absent"}))
    pages.append(c.post("/roll", data={"group": "noon-01"}))  # no token
    assert [p.status_code for p in pages[-4:]] == [200, 400, 400, 403]
    for p in pages:
        body = p.text.split("<body>", 1)[1]
        text = html.unescape(re.sub(r"<[^>]+>", " ", body)).replace(EVIL, "")
        text = re.sub(r"\b(S\d{4}|T\d|noon-01|after-upper-01)\b", "", text)
        assert not re.findall(r"[A-Za-z]{2,}", text), (p.url, re.findall(r"[A-Za-z]{2,}", text))


def test_serve_refuses_a_record_it_cannot_lock(term_dir, monkeypatch):
    from record_held import record_held
    with record_held(term_dir / "record.sqlite", monkeypatch):
        r = run("serve", term_dir)
    assert r.exit_code == 5 and "记录正忙" in r.output  # said in the school's language


# --- the same entries as the commands ------------------------------------------------------
def test_a_roll_call_on_the_page_records_what_attendance_import_records(made, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, page_term = copy_term(made, tmp_path / "a")
    _, cli_term = copy_term(made, tmp_path / "b")
    c = client(page_term)
    assert login(c, "办公室").status_code == 303
    r = c.post("/roll", data={"csrf": token(c, "/today"), "group": "noon-01", "date": TUE,
                              "p:S0001": "absent", "p:S0002": "present",
                              "p:S0003": "late"})
    assert r.status_code == 200 and "已保存：2 名学生的记录" in r.text
    csv = tmp_path / "roll.csv"
    csv.write_text(f"日期,时段,学号,状态\n{TUE},noon,S0001,缺\n{TUE},noon,S0002,到\n"
                   f"{TUE},noon,S0003,迟\n", encoding="utf-8")
    r = run("attendance", "import", cli_term, csv, "--by", "someone")
    assert r.exit_code == 0, r.output
    page, cli = rows(page_term), rows(cli_term)
    assert page["authors"][-1] == "办公室" and cli["authors"][-1] == "someone"
    page.pop("authors"), cli.pop("authors")
    assert page == cli
    assert page["attendance"] == {(TUE, "noon", "S0001"): "absent",
                                  (TUE, "noon", "S0003"): "late"}
    # the same marks again: nothing new, as a file imported twice
    r = c.post("/roll", data={"csrf": token(c, "/today"), "group": "noon-01", "date": TUE,
                              "p:S0001": "absent", "p:S0003": "late"})
    assert "没有新的记录" in r.text and rows(page_term)["entries"] == page["entries"]


def test_an_absence_on_the_page_records_what_substitute_records(made, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, page_term = copy_term(made, tmp_path / "a")
    sheets, cli_term = copy_term(made, tmp_path / "b")
    c = client(page_term)
    assert login(c, "办公室").status_code == 303
    tok = token(c, "/today")
    before = rows(page_term)
    preview = c.post("/absence", data={"csrf": tok, "person": "T2", "dates": THU})
    assert preview.status_code == 200 and "尚未记录" in preview.text
    assert "&lt;img src=x onerror=alert(1)&gt;（T3）" in preview.text  # T3 covers
    assert rows(page_term) == before  # a preview records nothing
    done = c.post("/absence/confirm", data={"csrf": tok, "person": "T2", "dates": THU})
    assert done.status_code == 200 and "1 个值班有人代，0 个缺员" in done.text
    r = run("substitute", sheets, cli_term, "--teacher", "T2", "--dates", THU,
            "--by", "someone")
    assert r.exit_code == 0, r.output
    page, cli = rows(page_term), rows(cli_term)
    assert page["authors"][-1] == "办公室" and cli["authors"][-1] == "someone"
    page.pop("authors"), cli.pop("authors")
    assert page == cli
    assert page["absences"] == [("T2", THU)] and page["covers"][0][2] == "T3"
    assert (page_term / "cover.xlsx").is_file()  # the term folder written again
