"""report.html: self-contained, both languages, printed to PDF by a real headless Chromium."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.handouts.labels import group_label
from afterschool.scheduler.handouts.report import report_html
from test_publish import planned  # noqa: F401  (the module's planned school)

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")


def browser() -> str | None:
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


def cjk_font_installed() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    return bool(out.strip())


def print_pdf(html_path, pdf_path) -> None:
    subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}",
                    html_path.as_uri()], check=True, capture_output=True, timeout=120)


def pdf_text_and_pages(pdf_path) -> tuple[str, int]:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(pdf_path))
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
             for p in reader.pages}
    assert sizes == {(842, 595)}, sizes  # A4 landscape, in points
    return "\n".join(p.extract_text() or "" for p in reader.pages), len(reader.pages)


def test_report_is_self_contained(planned):  # noqa: F811
    _, plan = planned
    for lang in ("zh", "en"):
        html = report_html(plan, lang)
        assert "<script" not in html and "<link" not in html and "<img" not in html
        assert not re.findall(r"(?:src|href)=\"(?:https?:)?//", html)
        assert "@page { size: A4 landscape" in html
        assert html.count("<svg") == 2 and "<text" in html
        assert "S0900" not in html and "欧阳娜娜" not in html  # parents' notice is masked


def test_report_english_has_no_chinese_but_names(planned):  # noqa: F811
    _, plan = planned
    html = report_html(plan, "en")
    from afterschool.scheduler.handouts.publish import mask_name
    names = {v["name"] for v in plan.extra["people"]["staff"].values()}
    names |= {mask_name(v["name"]) for v in plan.extra["people"]["students"].values()}
    text = re.sub(r"font-family:[^;]+;", "", re.sub(r"<[^>]+>", " ", html))
    for name in names:
        text = text.replace(name, "")
    assert not re.findall(r"[\u4e00-\u9fff]", text)


def test_report_command(planned, tmp_path):  # noqa: F811
    out, _ = planned
    r = CliRunner().invoke(main, ["report", str(out), "--out", str(tmp_path / "r.html"),
                                  "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.skipif(browser() is None, reason="no headless Chromium installed (Debian: "
                    "apt-get install chromium-headless-shell; .ci/run installs it)")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_prints_in_chromium(planned, tmp_path, lang):  # noqa: F811
    if lang == "zh" and not cjk_font_installed():
        pytest.skip("no Chinese font for the browser (Debian: fonts-wqy-microhei)")
    out, plan = planned
    html = out / "report.html" if lang == "zh" else tmp_path / "report-en.html"
    if lang == "en":
        html.write_text(report_html(plan, "en"), encoding="utf-8")
    pdf = tmp_path / "r.pdf"
    print_pdf(html, pdf)
    text, pages = pdf_text_and_pages(pdf)
    flat = re.sub(r"\s+", "", text)
    assert 5 <= pages <= 20, pages  # one page per section and weekday, at most
    assert re.sub(r"\s+", "", plan.extra["school"]) in flat
    for g in plan.groups:
        assert re.sub(r"\s+", "", group_label(plan, g.id, lang, g.session)) in flat, g.id


def test_notice_command_prints_headers_in_the_school_language(planned):  # noqa: F811
    out, _ = planned
    r = CliRunner().invoke(main, ["notice", str(out)])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "组别,时段,时间,班级,姓名,星期"
    r = CliRunner().invoke(main, ["notice", str(out), "--kind", "duties", "--lang", "en"])
    assert r.output.splitlines()[0] == "day,time,session,group,role,name"
