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
