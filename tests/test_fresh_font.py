"""A fresh machine: no system font at all and an empty matplotlib cache. Chinese charts still
draw with the bundled Noto Sans SC, and the terminal stays free of glyph warnings."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

SCRIPT = """
import json, warnings
warnings.simplefilter("default")
from afterschool.models.plan import Plan
from afterschool.scheduler.handouts import charts
plan = Plan.from_dict(json.load(open({plan!r}, encoding="utf-8")))
fig, n, warning = charts.draw(plan, "gantt", "zh")
charts.save(fig, {png!r})
print("FONT", charts.cjk_font(), "WARNING", warning)
"""


def test_bundled_font_on_a_machine_without_fonts(tmp_path):
    if not (shutil.which("unshare") and hasattr(os, "geteuid") and os.geteuid() == 0):
        pytest.skip("needs root and unshare to hide the system fonts (a mount namespace)")
    from click.testing import CliRunner

    from afterschool.cli import main
    out = tmp_path / "plan"
    r = CliRunner().invoke(main, ["plan", "haijiang", "--out", str(out), "--skip", "all",
                                  "--time-limit", "2"])
    assert r.exit_code in (0, 3), r.output
    script = SCRIPT.format(plan=str(out / "plan.json"), png=str(tmp_path / "g.png"))
    hide = " && ".join(f"mount -t tmpfs none {d}" for d in
                       ("/usr/share/fonts", "/usr/local/share/fonts") if os.path.isdir(d))
    if not hide:
        pytest.skip("no system font folder to hide")
    env = dict(os.environ, MPLCONFIGDIR=str(tmp_path / "mpl"))
    (tmp_path / "mpl").mkdir()
    proc = subprocess.run(["unshare", "-m", "sh", "-c", f"{hide} && exec \"$0\" -c \"$1\"",
                           sys.executable, script], capture_output=True, text=True, env=env,
                          timeout=300)
    if proc.returncode != 0 and "mount" in proc.stderr:
        pytest.skip(f"cannot hide the system fonts here: {proc.stderr.strip()[:120]}")
    assert proc.returncode == 0, proc.stderr
    assert "FONT Noto Sans SC WARNING None" in proc.stdout
    assert "Glyph" not in proc.stderr and "missing from font" not in proc.stderr
