"""Text reaches charts as plain text (issue #22): ``$``, ``\\``, ``_``, ``^`` and ``{`` in
every label source — the school's name, people's names, session names, scenario and
instance names — plan fine and are drawn as typed, never as matplotlib mathtext.

Charts are saved as SVG with text kept as text (``svg.fonttype = none``), so the literal
label can be looked for in the file.
"""
from __future__ import annotations

import html
import json

import matplotlib.pyplot as plt
import pytest
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.models.plan import Plan
from afterschool.scheduler.handouts import charts
from school_files import SCHOOL, students_rows, write_instance

SCHOOL_NAME = "Price $x_{$ school"
TEACHER = "$\\undefinedcmd$"
SESSION = "care $a^b_c{$ \\x"
SECOND = "T2 $$ \\frac{1}{0}"


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    root = tmp_path_factory.mktemp("c")
    school = (SCHOOL.replace('name = "Test School"', 'name = "Price $x_{$ school"')
              + '[[sessions]]\nid = "after-upper"\nname = "care $a^b_c{$ \\\\x"\n'
                'grades = [3]\ndays = ["Tue"]\nstart = "16:20"\nend = "17:20"\n')
    folder = write_instance(root / "school", students=students_rows(10),
                            teachers=f"T1,{TEACHER},yes,yes,staff,,,3-1,no\n"
                                     f"T2,{SECOND},yes,yes,staff,,,3-1,no\n",
                            availability="T1,Tue,after-upper,available\n", school=school)
    r = CliRunner().invoke(main, ["plan", str(folder), "--out", str(root / "p")])
    assert r.exit_code == 0, r.output  # charts included: nothing stops the plan
    assert sorted(p.name for p in (root / "p").glob("chart-*.png")) == [
        "chart-gantt.png", "chart-load.png", "chart-sizes.png", "chart-staffing.png"]
    plan = Plan.from_dict(json.loads((root / "p" / "plan.json").read_text(encoding="utf-8")))
    assert plan.extra["school"] == SCHOOL_NAME
    assert plan.extra["sessions"]["after-upper"]["name"] == SESSION
    return plan


def _svg_text(fig) -> str:
    import io
    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    plt.close(fig)
    return html.unescape(buf.getvalue())


@pytest.mark.parametrize("kind, expected", [
    ("gantt", [SCHOOL_NAME, TEACHER, SESSION]),
    ("load", [SCHOOL_NAME, TEACHER]),
    ("staffing", [SCHOOL_NAME, SESSION]),
    ("sizes", [SCHOOL_NAME, SESSION]),
])
def test_every_label_is_drawn_as_typed(planned, kind, expected):
    fig, bars, _ = charts.draw(planned, kind, "en")
    assert bars > 0
    text = _svg_text(fig)
    for label in expected:
        assert label in text, (kind, label)


def test_scenario_names_are_drawn_as_typed():
    rows = [{"instance": SCHOOL_NAME, "scenario": name, "group_days": 3, "shortages": 0}
            for name in ("baseline", SECOND)]
    text = _svg_text(charts.scenario_chart(rows))
    assert SCHOOL_NAME in text and SECOND in text


def test_plain_leaves_text_without_dollars_alone():
    assert charts.plain("晚托 a_b^c{") == "晚托 a_b^c{"
    assert charts.plain("$x$") == "\\$x\\$"
    assert charts.plain(7) == "7"
