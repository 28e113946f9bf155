"""Another writer holding a term's record (for the tests of "record busy", exit 5)."""
from __future__ import annotations

import threading
from contextlib import contextmanager


@contextmanager
def record_held(path, monkeypatch):
    """While inside, another writer holds the record at ``path``; a command waits 0.5 s."""
    from afterschool.scheduler.record import store
    monkeypatch.setattr(store, "DEFAULT_WAIT", 0.5)
    rec = store.Record.open(str(path))
    held, release = threading.Event(), threading.Event()

    def hold():
        with rec.write("other", "test", "x"):
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    try:
        yield
    finally:
        release.set()
        t.join()
