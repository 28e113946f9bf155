"""Every error path of ``output`` (issue #12), in process: what the office finds on disk.

Each test ends in one of the two promises of ``output``: after a failure the old files (the
old output set) are there byte for byte, after a success exactly the new ones; either way
no ``.tmp`` file and no ``.<out>.staging-*`` or ``.<out>.old-*`` folder is left beside them.

The kill tests of ``test_output_swap`` run the writer in a subprocess, which coverage does
not count; the same points are reached here in process, without any timing: the fallback
by ``AFTERSCHOOL_SWAP_NO_EXCHANGE``, a missing or failing ``renameat2`` by a stand-in libc,
an interruption between the two renames by the ``_hook`` at ``moved-old``, SIGTERM by
``signal.raise_signal`` (delivered synchronously to this thread), and the FIFO hook itself
by a helper thread whose ``open`` for writing returns only once the writer waits there.
"""
from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from afterschool.scheduler.handouts import output
from afterschool.scheduler.handouts.output import (swapped_folder,
                                                   sweep_leftovers, write_atomic, write_files,
                                                   write_text)

OLD = {"plan.json": "old plan", "rosters/T1.ics": "old T1", "rosters/T2.ics": "old T2"}
NEW = {"plan.json": "new plan", "rosters/T1.ics": "new T1", "summary.txt": "new"}


def files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) by its text."""
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def old_set(tmp_path: Path) -> Path:
    out = tmp_path / "o"
    for rel, text in OLD.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    return out


def write_new(stage: Path) -> None:
    for rel, text in NEW.items():
        write_text(stage / rel, text)


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    yield
    os.umask(before)


# -- single files

def test_a_failed_write_keeps_the_old_file_and_leaves_no_tmp(tmp_path):
    path = tmp_path / "report.html"
    path.write_text("old report")

    def half_then_full_disk(p: Path):
        p.write_text("half a rep")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, half_then_full_disk)
    assert files(tmp_path) == {"report.html": "old report"}


def test_written_files_get_the_usual_permissions(tmp_path, umask_022):
    # umask 022: a new file is 0o666 & ~0o022 = 0o644, as any editor or Excel would save
    # it; mkstemp's 0o600 used to reach every hand-out, readable by nobody else
    a = write_text(tmp_path / "a.txt", "x")
    b, = write_files(tmp_path / "t", {"b.csv": "id\n"})
    assert stat.S_IMODE(a.stat().st_mode) == 0o644
    assert stat.S_IMODE(b.stat().st_mode) == 0o644
    os.umask(0o077)  # a school that keeps its files private gets 0o600, as it asked
    c = write_text(tmp_path / "c.txt", "x")
    assert stat.S_IMODE(c.stat().st_mode) == 0o600


def test_a_failed_set_of_files_writes_none_and_leaves_no_tmp(tmp_path):
    # "a.txt" is staged, then "b.txt" cannot be encoded (a lone surrogate): neither file
    # may appear, and the half-written temporary of b.txt must go too (it used to stay,
    # as ".b.txt.<random>.tmp", because it was recorded only after a successful write)
    folder = tmp_path / "template"
    folder.mkdir()
    (folder / "readme.txt").write_text("mine")
    with pytest.raises(UnicodeEncodeError):
        write_files(folder, {"a.txt": "fine", "b.txt": "bad \ud800"})
    assert files(folder) == {"readme.txt": "mine"}
    assert write_files(folder, {"a.txt": "fine"}) == [folder / "a.txt"]
    assert files(folder) == {"readme.txt": "mine", "a.txt": "fine"}


# -- leftovers of other runs

def test_a_live_runs_folder_is_left_alone_until_it_ends(tmp_path):
    out = old_set(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        busy = tmp_path / f".o.staging-{child.pid}-abcd"
        busy.mkdir()
        (busy / "plan.json").write_text("being written")
        sweep_leftovers(out)
        assert siblings(out) == [busy.name]  # its writer is still running
    finally:
        child.stdin.close()
        child.wait()
    sweep_leftovers(out)  # the pid is gone now (and not reused: we reaped it just now)
    assert siblings(out) == [] and files(out) == OLD


def test_a_folder_of_another_users_run_is_left_alone(tmp_path, monkeypatch):
    # kill(pid, 0) answers EPERM for a live process of another user: it is alive
    out = old_set(tmp_path)
    theirs = tmp_path / ".o.staging-4242-abcd"
    theirs.mkdir()

    def eperm(pid, sig):
        assert (pid, sig) == (4242, 0)
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(output.os, "kill", eperm)
    sweep_leftovers(out)
    assert siblings(out) == [theirs.name] and files(out) == OLD


def test_sweeping_beside_a_missing_folder_creates_nothing(tmp_path):
    sweep_leftovers(tmp_path / "nowhere" / "o")
    assert list(tmp_path.iterdir()) == []


# -- the swap: the two-rename fallback and the exchange's failures

def test_the_fallback_swap_gives_exactly_the_new_set(tmp_path, monkeypatch):
    monkeypatch.setenv("AFTERSCHOOL_SWAP_NO_EXCHANGE", "1")
    out = old_set(tmp_path)
    with swapped_folder(out) as stage:
        write_new(stage)
    assert files(out) == NEW and siblings(out) == []  # rosters/T2.ics of the old set gone


class _Libc:
    """A C library whose ``renameat2`` fails with ``err`` (or that has none)."""

    def __init__(self, err: int | None):
        if err is not None:
            def renameat2(*args):
                ctypes.set_errno(err)
                return -1
            self.renameat2 = renameat2


def _no_libc():
    raise OSError("no C library to load")


@pytest.mark.parametrize("libc", [
    lambda *a, **k: _Libc(None),  # an older C library without renameat2
    lambda *a, **k: _no_libc(),
    lambda *a, **k: _Libc(errno.EINVAL),  # a file system that cannot exchange (NFS, FUSE)
    lambda *a, **k: _Libc(errno.ENOSYS),  # a kernel before 3.15
], ids=["no-renameat2", "no-libc", "EINVAL", "ENOSYS"])
def test_without_an_exchange_the_fallback_gives_the_new_set(tmp_path, monkeypatch, libc):
    monkeypatch.setattr(output.ctypes, "CDLL", libc)
    out = old_set(tmp_path)
    with swapped_folder(out) as stage:
        write_new(stage)
    assert files(out) == NEW and siblings(out) == []


def test_a_failing_exchange_keeps_the_old_set(tmp_path, monkeypatch):
    # an I/O error of the exchange itself is no reason to try the renames: it is reported,
    # naming --out, and the old set stays
    monkeypatch.setattr(output.ctypes, "CDLL", lambda *a, **k: _Libc(errno.EIO))
    out = old_set(tmp_path)
    with pytest.raises(OSError) as caught:
        with swapped_folder(out) as stage:
            write_new(stage)
    assert caught.value.errno == errno.EIO and caught.value.filename == str(out)
    assert files(out) == OLD and siblings(out) == []


def test_an_interrupt_between_the_two_renames_puts_the_old_set_back(tmp_path, monkeypatch):
    # Ctrl-C after ``out`` was moved aside and before the new set took its place: the
    # first rename is undone at once (a kill there is undone by the next run instead)
    monkeypatch.setenv("AFTERSCHOOL_SWAP_NO_EXCHANGE", "1")
    out = old_set(tmp_path)
    seen = []

    def interrupt(point):
        seen.append((point, out.exists()))
        if point == "moved-old":
            raise KeyboardInterrupt

    monkeypatch.setattr(output, "_hook", interrupt)
    with pytest.raises(KeyboardInterrupt):
        with swapped_folder(out) as stage:
            write_new(stage)
    assert seen == [("staged", True), ("moved-old", False)]
    assert files(out) == OLD and siblings(out) == []


def test_sigterm_while_writing_keeps_the_old_set(tmp_path):
    out = old_set(tmp_path)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as caught:
        with swapped_folder(out) as stage:
            write_text(stage / "plan.json", "half")
            signal.raise_signal(signal.SIGTERM)
            write_new(stage)  # never reached
    assert caught.value.code == 128 + signal.SIGTERM  # 143, the shell's code for SIGTERM
    assert files(out) == OLD and siblings(out) == []
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is put back


def test_the_fifo_hook_holds_the_writer_with_the_new_set_staged(tmp_path, monkeypatch):
    # the rendezvous of the kill tests, in process: while the writer waits at "staged",
    # --out still holds the old set and the staging folder the whole new one
    out = old_set(tmp_path)
    fifo = tmp_path / "hook.fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("AFTERSCHOOL_SWAP_PAUSE", "staged")
    monkeypatch.setenv("AFTERSCHOOL_SWAP_FIFO", str(fifo))
    seen = {}

    def look():
        with open(fifo, "w", encoding="utf-8"):  # returns once the writer reads the FIFO
            stage, = [p for p in tmp_path.iterdir() if p.name.startswith(".o.staging-")]
            seen["out"], seen["stage"] = files(out), files(stage)

    helper = threading.Thread(target=look, daemon=True)
    helper.start()
    with swapped_folder(out) as stage:
        write_new(stage)
    helper.join(timeout=300)  # a guard against a hung test, not an assertion on timing
    assert not helper.is_alive()
    assert seen == {"out": OLD, "stage": NEW}
    assert files(out) == NEW and siblings(out) == []


# -- files carried from the old set

def test_kept_files_are_copied_where_hard_links_fail(tmp_path, monkeypatch):
    # a USB stick (FAT) or a network share refuses hard links: the kept file is copied
    out = old_set(tmp_path)
    (out / "mine.txt").write_text("keep me")

    def no_links(src, dst, *a, **k):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(output.os, "link", no_links)
    with swapped_folder(out, keep=lambda rel: rel == "mine.txt") as stage:
        write_new(stage)
    assert files(out) == {**NEW, "mine.txt": "keep me"} and siblings(out) == []


def test_carried_files_stay_and_the_old_set_is_untouched_until_the_swap(tmp_path):
    # every old file carried: old files stay unless rewritten; rewriting a carried (hard-
    # linked) file in the staging folder must not change the old set before the swap
    out = old_set(tmp_path)
    with swapped_folder(out, keep=lambda rel: True) as stage:
        write_new(stage)
        assert files(out) == OLD
        assert hashlib.sha256((stage / "rosters/T2.ics").read_bytes()).hexdigest() == \
            hashlib.sha256(b"old T2").hexdigest()
    assert files(out) == {**OLD, **NEW} and siblings(out) == []


def test_a_swap_outside_the_main_thread_leaves_sigterm_alone(tmp_path):
    # only the main thread may set a signal handler: elsewhere (a server's worker thread)
    # the swap runs without one, and still gives exactly the new set
    out = old_set(tmp_path)
    before = signal.getsignal(signal.SIGTERM)
    during, failed = [], []

    def work():
        try:
            with swapped_folder(out) as stage:
                during.append(signal.getsignal(signal.SIGTERM))
                write_new(stage)
        except BaseException as exc:  # reported below: a thread's exception is silent
            failed.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert failed == [] and during == [before]
    assert files(out) == NEW and siblings(out) == []
