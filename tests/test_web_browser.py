"""The office's page in a real browser (issue #27): Debian's Chromium driven by Playwright
against the app served by uvicorn in a thread on 127.0.0.1 (a free port; no other address).

Flows: the office logs in, takes a roll call and records an absence with its cover; the
covering teacher sees it on their page; a teacher finds no other group's pupils, no
categories and no fee data; a form posted without its CSRF token is refused (403); names
that are markup stay text on every page (no dialog fires, no image element appears); the
roll call fits 375 px and 1280 px without horizontal scrolling. What the page records is
compared with what the commands record on a copy of the same term.
The school: ``web_school``.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

from afterschool.scheduler.record import term as T
from afterschool.scheduler.web.app import make_app
from test_web import rows
from web_school import EVIL, PASSWORD, THU, TUE, copy_term, planned, run

BROWSERS = ("chromium-headless-shell", "chromium")


def _browser_path() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    path = _browser_path()
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install '.[test]')"
    if reason is None and path is None:
        reason = ("no Chromium installed (Debian: apt-get install chromium-headless-shell; "
                  ".ci/run installs it)")
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return planned(tmp_path_factory.mktemp("web-browser"))


class Served:
    """The app of a term folder on 127.0.0.1:<free port>, in a thread of this process."""

    def __init__(self, term_dir):
        import uvicorn
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        term = T.open_term(T.locate(str(term_dir)))
        config = uvicorn.Config(make_app(term), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def served(made, tmp_path):
    sheets, term_dir = copy_term(made, tmp_path)
    s = Served(term_dir)
    s.term_dir, s.sheets = term_dir, sheets
    yield s
    s.stop()


def open_page(browser, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(20_000)
    return page


def log_in(page, served, name: str):
    page.goto(served.url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")


def mark(page, pupil: str, word: str):
    """Tap the pupil's choice labelled ``word`` (到 迟 早退 假 缺)."""
    page.locator(f"fieldset[data-pupil='{pupil}'] label", has_text=word).first.click()


def test_office_roll_call_and_absence_then_the_teacher_sees_the_cover(browser, served,
                                                                       made, tmp_path):
    page = open_page(browser)
    log_in(page, served, "办公室")
    page.goto(f"{served.url}/today?date={TUE}")
    page.click("a.button:has-text('午托1组')")
    page.wait_for_url("**/roll?*")
    mark(page, "S0001", "缺")
    mark(page, "S0003", "迟")
    page.click("button.save")
    page.wait_for_selector("p.message")
    assert "已保存：2 名学生的记录" in page.inner_text("p.message")
    assert page.is_checked("fieldset[data-pupil='S0001'] input[value=absent]")
    page.goto(f"{served.url}/today?date={TUE}")
    assert "已记录 2 条" in page.inner_text("main")

    page.goto(served.url + "/absence")
    page.select_option("select[name=person]", "T2")
    page.fill("input[name=dates]", THU)
    page.click("button:has-text('查看代课安排')")
    page.wait_for_selector("table.covers")
    covers = page.inner_text("table.covers")
    assert EVIL + "（T3）" in covers and "16:20-17:20" in covers  # shown, not run
    page.click("button:has-text('确认并记录')")
    page.wait_for_selector("p.message")
    assert "1 个值班有人代，0 个缺员" in page.inner_text("p.message")
    page.context.close()

    teacher = open_page(browser)
    log_in(teacher, served, EVIL)  # T3, who covers
    teacher.goto(f"{served.url}/today?date={THU}")
    text = teacher.inner_text("main")
    assert "晚托(中高年级)1组" in text and "代 刘老师（T2）" in text
    teacher.click("a.button:has-text('晚托(中高年级)1组')")  # the roll of the covered group
    teacher.wait_for_url("**/roll?*")
    assert teacher.locator("fieldset.pupil").count() == 3
    assert teacher.dialogs == []
    teacher.context.close()

    # the same through the commands, on a copy of the same term
    (tmp_path / "cli").mkdir()
    sheets, cli_term = copy_term(made, tmp_path / "cli")
    csv = tmp_path / "roll.csv"
    csv.write_text(f"日期,时段,学号,状态\n{TUE},noon,S0001,缺\n{TUE},noon,S0003,迟\n",
                   encoding="utf-8")
    assert run("attendance", "import", cli_term, csv, "--by", "x").exit_code == 0
    assert run("substitute", sheets, cli_term, "--teacher", "T2", "--dates", THU,
               "--by", "x").exit_code == 0
    page_rows, cli_rows = rows(served.term_dir), rows(cli_term)
    assert page_rows.pop("authors") == ["教务处", "办公室", "办公室"]
    assert cli_rows.pop("authors") == ["教务处", "x", "x"]
    assert page_rows == cli_rows


def test_a_teacher_sees_no_other_group_no_categories_no_fees(browser, served):
    page = open_page(browser)
    log_in(page, served, "刘老师")  # T2: the afternoon group
    seen = []
    for path in (f"/today?date={TUE}", f"/roll?group=after-upper-01&date={TUE}",
                 f"/week?date={TUE}", "/history"):
        page.goto(served.url + path)
        seen.append(page.content())
    text = "\n".join(seen)
    assert "赵一" in text and "孙三" in text
    for word in ("王小明", "李小红", "S0001", "午托1组", "migrant", "收费", "费", "元"):
        assert word not in text, word
    for path in ("/money", f"/roll?group=noon-01&date={TUE}", "/absence"):
        response = page.goto(served.url + path)
        assert response.status == 403, path
        assert "王小明" not in page.content()


def test_a_form_without_its_csrf_token_is_refused(browser, served):
    page = open_page(browser)
    log_in(page, served, "办公室")
    before = rows(served.term_dir)
    page.goto(f"{served.url}/roll?group=noon-01&date={TUE}")
    mark(page, "S0002", "缺")
    page.locator("form.roll input[name=csrf]").evaluate("e => e.remove()")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button.save")
    assert posted.value.status == 403
    assert "表单已过期" in page.inner_text("main")
    assert rows(served.term_dir) == before


def test_markup_names_stay_text_on_every_page(browser, served):
    pages = [f"/today?date={TUE}", f"/today?date={THU}", f"/roll?group=noon-01&date={TUE}",
             f"/week?date={TUE}", "/absence", "/history", "/money"]
    office = open_page(browser)
    log_in(office, served, "办公室")
    for path in pages:
        office.goto(served.url + path)
        assert office.locator("main img").count() == 0, path
    office.goto(f"{served.url}/roll?group=noon-01&date={TUE}")
    assert EVIL in office.inner_text("main")  # shown as the text it is
    office.goto(served.url + "/absence")  # and after an absence: the history, the covers
    office.select_option("select[name=person]", "T2")
    office.fill("input[name=dates]", THU)
    office.click("button:has-text('查看代课安排')")
    office.click("button:has-text('确认并记录')")
    office.wait_for_selector("p.message")
    office.goto(served.url + "/history")
    assert EVIL in office.inner_text("main")
    evil = open_page(browser)
    log_in(evil, served, EVIL)
    for path in pages[:4] + ["/history"]:
        evil.goto(served.url + path)
        assert evil.locator("img").count() == 0, path
    assert office.dialogs == [] and evil.dialogs == []


@pytest.mark.parametrize("width", [375, 1280])
def test_the_roll_call_fits_the_screen(browser, served, tmp_path, width):
    page = open_page(browser, width)
    log_in(page, served, "办公室")
    page.goto(f"{served.url}/roll?group=noon-01&date={TUE}")
    page.screenshot(path=str(tmp_path / f"roll-{width}.png"), full_page=True)
    scroll, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner == width
    for path in (f"/today?date={TUE}", f"/week?date={TUE}", "/history", "/money",
                 "/absence"):
        page.goto(served.url + path)
        scroll, inner = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, path
