"""Scenarios on a Dask cluster that is gone: one line naming the address, exit 1."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from afterschool.cli import main


def test_unreachable_cluster_is_one_line_exit_1(monkeypatch):
    """No scheduler at the address: one line naming it, exit 1, no 'report it'."""
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


def test_last_worker_killed_mid_sweep_is_one_line_exit_1():
    """A real scheduler (in this process) and one real worker (a subprocess, no nanny to
    restart it); `afterschool scenario` runs as the user runs it, in its own process, with a
    time limit far longer than the test. Once the worker is executing the scenario (asked of
    the worker itself), it is killed (SIGKILL). The command ends by itself, well within the
    bound: exit 1, one line naming the scheduler address and what was lost (the scattered
    school data, and the scenarios), no traceback, no 'report it'."""
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster
    afterschool = Path(sys.executable).with_name("afterschool")
    command = [str(afterschool)] if afterschool.exists() else [sys.executable, "-m",
                                                                  "afterschool"]
    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      scheduler_port=0, dashboard_address=None) as cluster, \
            Client(cluster.scheduler_address) as watcher:
        address = cluster.scheduler_address
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--no-nanny",
             "--nthreads", "1", "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run = None
        try:
            watcher.wait_for_workers(1, timeout=60)
            run = subprocess.Popen(
                [*command, "scenario", "haijiang", "--time-limit", "600", "--scheduler",
                 address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while not any(watcher.run(lambda dask_worker: [
                    str(t.key) for t in dask_worker.state.executing]).values()):
                assert run.poll() is None, run.communicate()
                assert time.monotonic() < deadline, "the scenario never started"
                time.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            try:
                out, err = run.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail("the sweep still waits 60 s after its last worker died")
        finally:
            for p in (worker, run):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.communicate()
    text = out + err
    assert run.returncode == 1, text
    named = [line for line in text.splitlines() if address in line]
    assert len(named) == 1, text
    assert "lost the Dask cluster" in named[0] and "scattered school data" in named[0]
    assert "0 of 1 scenario(s) had finished" in named[0]
    assert "Traceback" not in text and "report it" not in text


def test_scheduler_without_workers_is_one_line_exit_1(monkeypatch):
    """A scheduler with no worker at all: a bounded wait (CONNECT_TIMEOUT), then one line
    naming the address and that no worker joined, exit 1."""
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    from afterschool.scheduler.planning import scenarios
    monkeypatch.setattr(scenarios, "CONNECT_TIMEOUT", "1s")
    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      scheduler_port=0, dashboard_address=None) as cluster:
        r = CliRunner().invoke(main, ["scenario", "haijiang", "--time-limit", "1",
                                      "--scheduler", cluster.scheduler_address])
    assert r.exit_code == 1, r.output
    last = r.output.strip().splitlines()[-1]
    assert cluster.scheduler_address in last and "no worker joined" in last
    assert "report it" not in r.output and "Traceback" not in r.output
