"""A real PostgreSQL server for the record's tests, started from Debian's binaries.

``start(root)`` runs ``initdb`` and ``pg_ctl`` in a temporary folder (as the ``postgres``
user when the tests run as root, which PostgreSQL refuses), listening on 127.0.0.1 at a
free port with trust authentication; ``stop`` ends it. pytest-postgresql does the same
but cannot run as root, which is how CI runs. Where no server binary is installed the
tests that need one are skipped with the reason, except under CI (``CI=true``), where
``.ci/run`` installs Debian's ``postgresql`` and a missing server is a failure.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path


def binaries() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``: Debian keeps them out of PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    root: Path
    port: int
    run_as: list[str]
    bindir: Path

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(self.run_as + [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                                      "-m", "immediate", "stop"], capture_output=True)


def start(root: Path) -> Server:
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server installed (apt-get install postgresql)")
    run_as: list[str] = []
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        os.chmod(root, 0o700)
        os.chmod(root.parent, 0o711)  # postgres must be able to reach its folder
    data, port = root / "data", _free_port()
    subprocess.run(run_as + [str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True)
    subprocess.run(run_as + [str(bindir / "pg_ctl"), "start", "-D", str(data), "-w", "-t", "60",
                             "-l", str(root / "server.log"), "-o",
                             f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off"],
                   check=True, capture_output=True)
    return Server(root, port, run_as, bindir)
