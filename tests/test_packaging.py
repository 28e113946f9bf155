"""The wheel installs one import name, ``afterschool`` (issue: generic top-level names such as
``scheduler`` or ``models`` clashed with other packages), and the tests run against it."""
from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import PurePosixPath

import pytest


def _editable(dist) -> bool:
    text = dist.read_text("direct_url.json")
    return bool(text) and json.loads(text).get("dir_info", {}).get("editable", False)


def test_only_afterschool_lands_in_site_packages():
    # the metadata in site-packages itself: an afterschool.egg-info that `pip install .`
    # leaves in the source tree (on sys.path when the tests run from there) would shadow it
    sites = [p for p in sys.path if p.endswith("site-packages")]
    dist = next((d for d in metadata.distributions(path=sites)
                 if d.metadata["Name"] == "afterschool"), None)
    if dist is None or _editable(dist):  # an editable install holds a finder, not the files
        pytest.skip("not an installed wheel: editable install or not installed")
    tops = set()
    for f in dist.files:
        parts = PurePosixPath(str(f)).parts
        if parts[0] == ".." or parts[0].endswith((".dist-info", ".pth")) or parts[0] == "__pycache__":
            continue  # the console script lives in bin/; metadata beside the package
        tops.add(parts[0])
    assert tops == {"afterschool"}


def test_console_script_points_into_the_package():
    entry = next(e for e in metadata.entry_points(group="console_scripts")
                 if e.name == "afterschool")
    assert entry.value == "afterschool.cli:main"


def test_bundled_school_ships_with_the_package():
    from afterschool import instances
    from pathlib import Path
    folder = Path(instances.__file__).parent / "haijiang"
    assert {p.name for p in folder.iterdir() if p.suffix in (".csv", ".toml")} == {
        "school.toml", "students.csv", "teachers.csv", "availability.csv", "clubs.csv",
        "club_choices.csv", "rooms.csv"}  # clubs, choices and classrooms (SPEC §12)


def test_cli_offers_every_hand_out_to_skip():
    from afterschool import cli
    from afterschool.scheduler.handouts.bundle import HANDOUTS
    assert set(cli.HANDOUT_CHOICES) == set(HANDOUTS) | {"all"}


def test_the_office_page_ships_its_templates_and_stylesheet():
    from pathlib import Path
    from afterschool.scheduler import web
    folder = Path(web.__file__).parent
    assert {p.name for p in (folder / "templates").iterdir()} >= {
        "base.html", "login.html", "today.html", "roll.html", "absence.html", "week.html",
        "money.html", "history.html", "error.html"}
    css = (folder / "static" / "style.css").read_text(encoding="utf-8")
    assert "@media print" in css and "http" not in css  # nothing fetched from elsewhere


def test_every_package_folder_is_listed_for_the_wheel():
    """A folder with an ``__init__.py`` missing from ``[tool.setuptools] packages`` is left
    out of the wheel (the editable install used by the tests still finds it)."""
    import tomllib
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    # the repository's own folders: not tests, benches, builds, nor a virtual environment
    # made inside the checkout (CI's .venv-ci) or any other hidden folder
    found = {".".join(("afterschool",) + p.parent.relative_to(root).parts)
             for p in root.rglob("__init__.py")
             if not {"tests", "bench", "build", "site-packages"} & set(p.relative_to(root).parts)
             and not any(part.startswith(".") for part in p.relative_to(root).parts)
             and "egg-info" not in str(p)}
    assert found - listed == set()
