"""Shared fixtures; the file helpers themselves live in ``school_files``."""
from __future__ import annotations

from pathlib import Path

import pytest

from school_files import students_rows, write_instance


@pytest.fixture
def tiny(tmp_path):
    """A valid one-class instance: 10 third-graders on Tue afternoons, one volunteer."""
    return write_instance(tmp_path / "tiny", students=students_rows(10),
                          teachers="T1,Li,yes,yes,staff,,,3-1,no\n",
                          availability="T1,Tue,after-upper,available\n")


def _bundled_digest() -> dict[str, str]:
    import hashlib
    root = Path(__file__).resolve().parent.parent / "instances"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="session", autouse=True)
def bundled_inputs_untouched():
    """The whole suite reads the bundled school; its files must be byte-identical after."""
    before = _bundled_digest()
    yield
    assert _bundled_digest() == before, "a test or command wrote into instances/"


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server for this test session (tests/pg_server.py), in a folder of
    its own under the system's temporary folder (pytest's own is private to root, and
    the server runs as ``postgres`` when the tests run as root)."""
    import os
    import shutil
    import tempfile
    import pg_server as pg
    root = Path(tempfile.mkdtemp(prefix="afterschool-pg-"))
    try:
        server = pg.start(root / "server")
    except Exception as exc:  # noqa: BLE001 - say why, and fail where CI promised a server
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL server did not start: {exc}")
        pytest.skip(f"no PostgreSQL server here: {exc}")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """Where a test's term record lives: ``None`` (record.sqlite in the term folder) or
    the URL of a fresh database on the test server."""
    if request.param == "sqlite":
        return None
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"t{abs(hash(str(tmp_path))) % 10**9}")


def _check_written_plans(monkeypatch, inherited_allowed: bool):
    """Patch replan/substitute and their folder writers so that every plan.json written is
    read back (through the plan schema) and checked against the instance it was made for.
    Returns the list that collects (folder, violations not allowed)."""
    import afterschool.scheduler.handouts.changes as changes
    import afterschool.scheduler.handouts.cover as cover
    import afterschool.scheduler.planning.replan as replan
    import afterschool.scheduler.planning.substitute as substitute
    from afterschool.scheduler.checker import check_plan
    from afterschool.scheduler.reading.plan_file import read_plan
    made_from: dict[int, tuple] = {}  # id(result.plan) -> (instance, input plan)
    checked: list[tuple[Path, list[str]]] = []

    def remember(real):
        def run(inst, plan, *args, **kwargs):
            result = real(inst, plan, *args, **kwargs)
            made_from[id(result.plan)] = (inst, plan)
            return result
        return run

    def check_after(real):
        def write(result, out_dir, *args, **kwargs):
            out = real(result, out_dir, *args, **kwargs)
            assert id(result.plan) in made_from, "a plan written that no command made"
            inst, before = made_from[id(result.plan)]
            had = {str(v) for v in check_plan(inst, before)} if inherited_allowed else set()
            found = check_plan(inst, read_plan(Path(out_dir) / "plan.json"))
            checked.append((Path(out_dir), [str(v) for v in found if str(v) not in had]))
            return out
        return write

    monkeypatch.setattr(replan, "replan", remember(replan.replan))
    monkeypatch.setattr(substitute, "substitute", remember(substitute.substitute))
    monkeypatch.setattr(changes, "write_replan_folder", check_after(changes.write_replan_folder))
    monkeypatch.setattr(cover, "write_cover_folder", check_after(cover.write_cover_folder))
    return checked


def _no_bad(checked) -> None:
    bad = [(str(path), found[:5]) for path, found in checked if found]
    assert not bad, f"replan/substitute wrote plans that check rejects: {bad}"


@pytest.fixture
def written_plans_pass_check(monkeypatch):
    """Every plan.json that ``replan`` or ``substitute`` writes during the test passes
    ``check`` against the instance it was made for: a command never writes a plan its own
    check rejects. Yields the list of (folder, violations) checked."""
    checked = _check_written_plans(monkeypatch, inherited_allowed=False)
    yield checked
    _no_bad(checked)


@pytest.fixture
def written_plans_add_no_violation(monkeypatch):
    """As ``written_plans_pass_check``, for tests that start from hand-made partial plans
    (groups left without teachers on purpose): a violation the input plan already had,
    word for word, is not the command's doing; any other fails the test."""
    checked = _check_written_plans(monkeypatch, inherited_allowed=True)
    yield checked
    _no_bad(checked)
