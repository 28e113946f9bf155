"""Atomic file output: everything is written under a temporary name and renamed.

A run that fails part-way leaves earlier outputs intact and no half-written file.
A run that writes a whole output set (``plan --out``) uses ``swapped_folder``: every file is
written into a fresh sibling folder ``.<out>.staging-<pid>-*``, and the finished folder then
takes the place of ``--out`` as one unit — one atomic ``renameat2(RENAME_EXCHANGE)`` on
Linux; elsewhere two renames through ``.<out>.old-<pid>-*``, undone by the next run if a
kill falls between them. So a kill at any moment leaves the old set or the new set, never a
mix; files of an earlier run that the new run does not produce are gone; staging and old
folders of killed runs are removed by the next run (``sweep_leftovers``). SIGTERM during
the write is turned into a clean exit that removes the staging folder.

A term folder holds the term's record (``record.sqlite``, open to other commands at any
time), so it is never swapped as a whole: ``replaced_in_place`` stages the new set beside it
the same way, then moves each entry in (a file by one rename, a folder by one exchange)
and removes what an earlier run wrote and this one did not; the record and anybody else's
files stay. A kill while the entries move can leave some old and some new files (never a
half-written one): the record is the truth, and ``afterschool export`` writes the set
again. Two commands writing one folder take turns (``flock`` on the folder's parent), in
either form.

Test hook (fault tests only): with ``AFTERSCHOOL_SWAP_PAUSE=<point>`` and
``AFTERSCHOOL_SWAP_FIFO=<fifo>``, the writer blocks on reading the FIFO at that point
(``staged``: the new set is complete, ``--out`` still old; ``moved-old``: only in the
two-rename fallback; ``swapped``: ``--out`` is new, the old set not yet deleted), so a test
can kill it there without any sleep. ``AFTERSCHOOL_SWAP_NO_EXCHANGE=1`` forces the fallback.
"""
from __future__ import annotations

import ctypes
import errno
import glob
import os
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``. The file gets
    the permissions of any new file (``0o666`` less the umask), not ``mkstemp``'s 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_files(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write several text files; all are staged first, then renamed into place."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = []
    mode = _file_mode()
    try:
        for name, text in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            staged.append((Path(tmp), folder / name))  # before writing: a failed write goes too
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            os.chmod(tmp, mode)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)
    return [final for _, final in staged]


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftovers(out: Path, kind: str) -> list[Path]:
    """Sibling folders ``.<out>.<kind>-<pid>-*`` whose run is no longer alive."""
    found = []
    for p in out.parent.glob(f".{glob.escape(out.name)}.{kind}-*"):
        pid = p.name[len(f".{out.name}.{kind}-"):].split("-", 1)[0]
        if not (pid.isdigit() and _pid_alive(int(pid))):
            found.append(p)
    return sorted(found, key=lambda p: p.stat().st_mtime)


def sweep_leftovers(out: Path) -> None:
    """Clean up after killed runs: restore ``out`` from an ``.old`` sibling if a kill fell
    between the two renames of the fallback swap, then delete stale staging and old
    siblings. Folders of a run still alive are left alone."""
    out = Path(out).absolute()
    if not out.parent.is_dir():
        return
    olds = _leftovers(out, "old")
    if olds and not os.path.lexists(out):
        os.rename(olds[-1], out)
        olds = olds[:-1]
    for p in olds + _leftovers(out, "staging"):
        shutil.rmtree(p, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system cannot."""
    if os.environ.get("AFTERSCHOOL_SWAP_NO_EXCHANGE"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _hook(point: str) -> None:
    """Fault-test hook: block on the FIFO named in the environment at ``point``."""
    if os.environ.get("AFTERSCHOOL_SWAP_PAUSE") == point:
        with open(os.environ["AFTERSCHOOL_SWAP_FIFO"], encoding="utf-8") as fifo:
            fifo.read()


def _carry(old: Path, new: Path, keep: Callable[[str], bool]) -> None:
    """Hard-link (or copy) into ``new`` the files of ``old`` that ``keep`` names; symbolic
    links are carried as links (never followed); empty folders are not carried."""
    found = []
    for top, dirs, files in os.walk(old, followlinks=False):
        found += [Path(top) / n for n in files]
        found += [Path(top) / d for d in dirs if (Path(top) / d).is_symlink()]
    for src in sorted(found):
        rel = src.relative_to(old).as_posix()
        if not (src.is_symlink() or src.is_file()) or not keep(rel):
            continue
        dest = new / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dest)
            continue
        try:
            os.link(src, dest)
        except OSError:
            shutil.copy2(src, dest)


@contextmanager
def _sigterm_unwinds():
    """SIGTERM inside the block unwinds like an exception (main thread only)."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        def terminated(signum, frame):
            raise _Terminated(128 + signum)
        previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@contextmanager
def _turn(out: Path):
    """Writers of one output folder take turns: an exclusive ``flock`` on the folder's
    parent (a lock inside a folder that is swapped would not be the same file twice)."""
    import fcntl
    parent = Path(out).resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def replaced_in_place(out: Path, ours: Callable[[str], bool]):
    """Yield a fresh staging folder beside ``out`` (a folder that stays where it is); on
    success its entries replace those of ``out`` one by one, and what ``ours`` names
    (relative paths an earlier run wrote) and the new set lacks is removed."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with _turn(out):
        sweep_leftovers(out)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-{os.getpid()}-",
                                      dir=out.parent))
        try:
            with _sigterm_unwinds():
                yield stage
                new = {p.relative_to(stage).as_posix() for p in stage.rglob("*")
                       if p.is_file() or p.is_symlink()}
                tops = {n for n in os.listdir(stage) if (stage / n).is_dir()}
                _carry(out, stage, lambda rel: rel.split("/", 1)[0] in tops and "/" in rel
                       and not ours(rel))
                _hook("staged")
                for name in sorted(os.listdir(stage), key=lambda n: n == MARKER_NAME):
                    src, dst = stage / name, out / name
                    if src.is_dir() and dst.is_dir() and not dst.is_symlink():
                        if not _exchange(src, dst):
                            aside = stage / f".old-{name}"
                            os.rename(dst, aside)
                            os.rename(src, dst)
                    else:
                        if dst.is_dir() and not dst.is_symlink():
                            shutil.rmtree(dst)
                        os.replace(src, dst)
                for top, dirs, files in os.walk(out, topdown=False):
                    for n in files:
                        rel = (Path(top) / n).relative_to(out).as_posix()
                        if rel not in new and ours(rel):
                            (Path(top) / n).unlink(missing_ok=True)
                    if Path(top) != out and not os.listdir(top) and \
                            Path(top).relative_to(out).as_posix() not in tops:
                        os.rmdir(top)
                _hook("swapped")
        finally:
            shutil.rmtree(stage, ignore_errors=True)


MARKER_NAME = ".afterschool-output"


class _Terminated(SystemExit):
    """SIGTERM while writing: unwinds like an exception, so the staging folder goes."""


@contextmanager
def swapped_folder(out: Path, keep: Callable[[str], bool] = lambda rel: False):
    """Yield a fresh staging folder beside ``out``; on success it replaces ``out`` as one
    unit (files of ``out`` that ``keep`` names are carried over first: somebody else's
    files in a folder written with ``--force``). On failure ``out`` is untouched."""
    out = Path(out).resolve()
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _turn(out):
        yield from _swapped(out, parent, keep)


def _swapped(out: Path, parent: Path, keep: Callable[[str], bool]):
    sweep_leftovers(out)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-{os.getpid()}-", dir=parent))
    mode = (out.stat().st_mode & 0o7777) if out.is_dir() else (0o777 & ~_umask())
    previous = None
    if threading.current_thread() is threading.main_thread():
        def terminated(signum, frame):
            raise _Terminated(128 + signum)
        previous = signal.signal(signal.SIGTERM, terminated)
    garbage = stage  # whatever this path holds at the end is deleted
    old: Path | None = None
    try:
        if out.is_dir():
            _carry(out, stage, keep)
        yield stage
        os.chmod(stage, mode)  # the new folder keeps the old one's permissions
        _hook("staged")
        if not out.exists():
            os.rename(stage, out)
        elif not _exchange(stage, out):
            old = parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(out, old)
            _hook("moved-old")
            os.rename(stage, out)
            garbage, old = old, None
        _hook("swapped")
    except BaseException:
        if old is not None and old.exists() and not os.path.lexists(out):
            os.rename(old, out)  # undo the first of the two renames
        raise
    finally:
        shutil.rmtree(garbage, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _file_mode() -> int:
    """The mode ``open()`` would give a new file: ``0o666`` less the umask."""
    return 0o666 & ~_umask()
