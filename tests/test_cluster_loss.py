"""Scenarios on a Dask cluster that is gone: one line naming the address, exit 1."""
from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from afterschool.cli import main


def test_unreachable_cluster_is_one_line_exit_1(monkeypatch):
    """No scheduler at the address: one line naming it, exit 1, no 'report it'. (A cluster
    whose last worker dies mid-run ends the same way, naming what was lost; checked by hand
    against a real `dask scheduler` and `dask worker`, too slow for the suite.)"""
    pytest.importorskip("distributed")
    from afterschool.scheduler.planning import scenarios
    monkeypatch.setattr(scenarios, "CONNECT_TIMEOUT", "1s")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = CliRunner().invoke(main, ["scenario", "haijiang", "--time-limit", "1", "--scheduler",
                                  f"tcp://127.0.0.1:{port}"])
    assert r.exit_code == 1
    last = r.output.strip().splitlines()[-1]
    assert f"tcp://127.0.0.1:{port}" in last and "report it" not in r.output
