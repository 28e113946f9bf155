"""The term record (SPEC §10), on SQLite and on a real PostgreSQL server.

The small term school: 50 third-graders on Tuesday and Thursday afternoons (after-upper,
16:20-17:20) from 2026-09-07 to 2026-10-02, four volunteers free both days. The cap of 45
makes two groups, so each Tuesday and Thursday has two teacher posts and no manager
(M(2) = 0); one person cannot hold both posts (same time), so two people are on duty each
day and each absent person has exactly one duty per date to cover.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from afterschool.cli import main
from afterschool.scheduler.record import store
from afterschool.scheduler.record.store import Record, RecordError
from school_files import avail, school_until, students_rows, vol, wait_at_fifo, write_instance

TUE = ("2026-09-08", "2026-09-15", "2026-09-22", "2026-09-29")


def term_school(folder: Path, volunteers=("T1", "T2", "T3", "T4"), extra: str = "") -> Path:
    return write_instance(folder, students=students_rows(50, afternoon="Tue Thu"),
                          teachers="".join(vol(t) for t in ("T1", "T2", "T3", "T4")),
                          availability="".join(avail(t, "Tue Thu", "after-upper")
                                               for t in volunteers),
                          school=school_until("2026-10-02", extra))


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def record_of(out: Path, url: str | None) -> Record:
    return Record.open(url or str(out / "record.sqlite"))


def planned(tmp_path: Path, url: str | None, **kw) -> tuple[Path, Path]:
    school = term_school(tmp_path / "s", **kw)
    out = tmp_path / "term"
    r = run("plan", school, "--out", out, "--skip", "all", "--time-limit", "1",
            *(["--record", url] if url else []))
    assert r.exit_code == 0, r.output
    return school, out


def on_duty(out: Path, day: str = "Tue") -> list[str]:
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    return sorted(d["staff"] for d in plan["duties"] if d["day"] == day)


def counts(out: Path, url: str | None) -> tuple[int, int, int]:
    """(entries, absences, covers) in the term's record."""
    rec = record_of(out, url)
    with rec.read() as r:
        (t,) = [t["id"] for t in r.terms() if t["label"] == "current"]
        return len(r.entries(t)), len(r.absences(t)), len(r.covers(t))


# -- nothing recorded is lost ----------------------------------------------------------

def test_plan_then_substitute_then_plan_keeps_the_covers(tmp_path, backend):
    school, out = planned(tmp_path, backend)
    absent = on_duty(out)[0]
    r = run("substitute", school, out, "--teacher", absent, "--dates",
            f"{TUE[1]},{TUE[2]}", "--skip", "all", "--json", "--by", "Clerk Wang")
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["exceptions"]) == 2  # one duty on each Tuesday
    assert counts(out, backend) == (2, 2, 2)  # plan + substitute; 2 absence dates, 2 covers
    again = run("plan", school, "--out", out, "--skip", "all", "--time-limit", "1",
                *(["--record", backend] if backend else []))
    assert again.exit_code == 2
    assert "2 absence date(s)" in again.output and "--new-record" in again.output
    assert counts(out, backend) == (2, 2, 2)
    assert len(json.loads((out / "plan.json").read_text())["exceptions"]) == 2
    fresh = run("plan", school, "--out", out, "--skip", "all", "--time-limit", "1",
                "--new-record", *(["--record", backend] if backend else []))
    assert fresh.exit_code == 0, fresh.output
    assert counts(out, backend) == (1, 0, 0)
    assert "exceptions" not in json.loads((out / "plan.json").read_text())
    if backend is None:  # the old record beside the new one, under a dated name
        (old,) = out.glob("record-*.sqlite")
        kept = Record.open(str(old))
    else:  # on the server, under a dated label
        kept = Record.open(backend)
    with kept.read() as r:
        (t,) = [t for t in r.terms() if (t["label"] != "current") == (backend is not None)]
        assert t["label"].startswith("until-") or backend is None
        assert len(r.covers(t["id"])) == 2
        assert [e["recorded_by"] for e in r.entries(t["id"])][-1] == "Clerk Wang"


def test_a_first_plan_may_be_made_again(tmp_path):
    school, out = planned(tmp_path, None)
    r = run("plan", school, "--out", out, "--skip", "all", "--time-limit", "1", "--seed", "2")
    assert r.exit_code == 0, r.output
    rec = record_of(out, None)
    with rec.read() as rd:
        assert [p["kind"] for p in rd.plan_rows(1)] == ["plan", "plan"]  # both kept


def _start(args, pause: str, fifo: Path, extra_env=None):
    env = dict(os.environ, AFTERSCHOOL_RECORD_PAUSE=pause, AFTERSCHOOL_RECORD_FIFO=str(fifo),
               PYTHONWARNINGS="ignore", **(extra_env or {}))
    return subprocess.Popen([sys.executable, "-m", "afterschool", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_substitutes_at_once_are_both_recorded(tmp_path, backend):
    school, out = planned(tmp_path, backend)
    a, b = on_duty(out)
    fa, fb = tmp_path / "a.fifo", tmp_path / "b.fifo"
    os.mkfifo(fa)
    os.mkfifo(fb)
    pa = _start(["substitute", school, out, "--teacher", a, "--dates", TUE[1], "--skip",
                 "all"], "locked", fa)
    hold_a = wait_at_fifo(pa, fa)  # A holds the term's write lock
    pb = _start(["substitute", school, out, "--teacher", b, "--dates", TUE[2], "--skip",
                 "all"], "lock", fb)
    os.close(wait_at_fifo(pb, fb))  # B goes on to ask for the lock that A holds
    os.close(hold_a)
    assert pa.wait(timeout=300) == 0, pa.communicate()[1].decode()
    assert pb.wait(timeout=300) == 0, pb.communicate()[1].decode()
    pa.communicate(), pb.communicate()
    rec = record_of(out, backend)
    with rec.read() as r:
        (t,) = [t["id"] for t in r.terms() if t["label"] == "current"]
        assert sorted((x["staff"], x["date"]) for x in r.absences(t)) == sorted(
            [(a, TUE[1]), (b, TUE[2])])
    plan = json.loads((out / "plan.json").read_text())  # the export shows both
    assert sorted((x["replaces"], x["date"]) for x in plan["exceptions"]) == sorted(
        [(a, TUE[1]), (b, TUE[2])])


def test_a_busy_record_is_one_line_and_writes_nothing(tmp_path, backend, monkeypatch):
    school, out = planned(tmp_path, backend)
    a, b = on_duty(out)
    fa = tmp_path / "a.fifo"
    os.mkfifo(fa)
    pa = _start(["substitute", school, out, "--teacher", a, "--dates", TUE[1], "--skip",
                 "all"], "locked", fa)
    hold = wait_at_fifo(pa, fa)
    try:
        monkeypatch.setattr(store, "DEFAULT_WAIT", 0.5)
        r = run("substitute", school, out, "--teacher", b, "--dates", TUE[2], "--skip", "all")
        assert r.exit_code == 5 and "record busy" in r.output
        assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    finally:
        os.close(hold)
        pa.wait(timeout=300)
        pa.communicate()
    assert counts(out, backend) == (2, 1, 1)  # the plan and A's absence only


@pytest.mark.parametrize("point, landed", [("written", False), ("committed", True)])
def test_a_kill_during_a_write_leaves_the_record_before_or_after(tmp_path, backend, point,
                                                                  landed):
    school, out = planned(tmp_path, backend)
    before = counts(out, backend)
    fifo = tmp_path / "k.fifo"
    os.mkfifo(fifo)
    proc = _start(["substitute", school, out, "--teacher", on_duty(out)[0], "--dates",
                   TUE[1], "--skip", "all"], point, fifo)
    hold = wait_at_fifo(proc, fifo)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.communicate()
    os.close(hold)
    after = counts(out, backend)
    assert after == ((before[0] + 1, 1, 1) if landed else before)
    if backend is None:
        con = sa.create_engine(f"sqlite:///{out / 'record.sqlite'}")
        with con.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # and the record goes on: the next command appends and exports
    r = run("substitute", school, out, "--teacher", on_duty(out)[1], "--dates", TUE[3],
            "--skip", "all")
    assert r.exit_code == 0, r.output
    assert counts(out, backend)[0] == after[0] + 1


# -- the schema ---------------------------------------------------------------------------

def _exception(day: str, staff: str, slot_start: str, cover: str | None) -> dict:
    return {"date": day, "day": "Tue", "session": "noon", "window": None, "slot": "s",
            "group": "noon-01", "start": slot_start, "end": "12:00", "role": "teacher",
            "staff": cover, "replaces": staff}


def test_a_version_1_record_is_migrated(tmp_path, backend):
    url = backend or str(tmp_path / "old.sqlite")
    old = Record.open(url, create=True, upto=1)
    assert old.schema_version == 1
    # version 1 kept covers only inside the plan documents: three covers, two of them for
    # one person on one date (two slots), so two absences (person, date) and three covers
    doc = {"schema": "afterschool-plan/1", "exceptions": [
        _exception("2026-09-08", "T1", "11:20", "T2"),
        _exception("2026-09-08", "T1", "11:40", None),
        _exception("2026-09-15", "T1", "11:20", "T3")]}
    with old.write("clerk", "test") as w:
        t = w.term("Old School", "2026-09-01", "2027-01-22")
        e = w.entry(t, "substitute", {"absent": "T1"})
        w.plan(t, e, None, "substitute", None, doc)
    rec = Record.open(url)
    assert rec.schema_version == store.SCHEMA_VERSION == 4
    with rec.read() as r:
        assert sorted((a["staff"], a["date"]) for a in r.absences(t)) == [
            ("T1", "2026-09-08"), ("T1", "2026-09-15")]
        assert sorted((c["date"], c["staff"] or "-") for c in r.covers(t)) == [
            ("2026-09-08", "-"), ("2026-09-08", "T2"), ("2026-09-15", "T3")]
        assert r.document(1) == doc


def test_a_record_of_a_newer_tool_is_refused(tmp_path):
    school, out = planned(tmp_path, None)
    rec = record_of(out, None)
    with rec.write("test", "test") as w:
        w.conn.exec_driver_sql("INSERT INTO record_migrations VALUES (99, 'future', 'x')")
    with pytest.raises(RecordError, match="newer afterschool"):
        record_of(out, None)
    r = run("who", out, "--date", TUE[1])
    assert r.exit_code == 2 and "newer afterschool" in r.output


def test_facts_are_append_only(tmp_path, backend):
    school, out = planned(tmp_path, backend)
    rec = record_of(out, backend)
    for sql in ("UPDATE entries SET recorded_by = 'x'", "DELETE FROM plans",
                "DELETE FROM instance_files"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with rec.write("test", "test") as w:
                w.conn.exec_driver_sql(sql)
    assert counts(out, backend)[0] == 1


def test_not_a_record_is_bad_input(tmp_path):
    out = tmp_path / "term"
    out.mkdir()
    (out / "record.sqlite").write_text("not a database")
    r = run("who", out, "--date", TUE[1])
    assert r.exit_code == 2 and "not an afterschool record" in r.output


# -- questions months later -----------------------------------------------------------------

def test_who_on_a_cover_a_holiday_and_across_a_replan(tmp_path, backend):
    school, out = planned(tmp_path, backend, extra="holidays = [2026-09-24]")
    absent, other = on_duty(out)
    assert run("substitute", school, out, "--teacher", absent, "--dates", TUE[1],
               "--skip", "all", "--by", "Clerk Wang").exit_code == 0
    r = run("who", out, "--date", TUE[1], "--teacher", absent, "--json")
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.stdout)["duties"]
    assert row["absent"] == absent and row["staff"] not in (None, absent, other)
    assert row["pupils"] in (5, 25, 45)
    text = run("who", out, "--date", TUE[1], "--lang", "en").stdout
    assert f"covering Name{absent} ({absent})" in text.replace("（", " (").replace("）", ")")
    holiday = run("who", out, "--date", "2026-09-24")
    assert holiday.exit_code == 0 and "not a service date (a holiday)" in holiday.stdout
    assert json.loads(run("who", out, "--date", "2026-09-24", "--json").stdout)["duties"] == []
    # re-plan from Tuesday 22nd: the absent person stops volunteering
    (school / "availability.csv").write_text(
        "teacher,day,session,status\n" + "".join(avail(t, "Tue Thu", "after-upper")
                                                for t in ("T1", "T2", "T3", "T4")
                                                if t != absent), encoding="utf-8")
    r = run("replan", school, "--previous", out, "--from", TUE[2], "--skip", "all")
    assert r.exit_code == 0, r.output
    before = json.loads(run("who", out, "--date", TUE[0], "--json").stdout)["duties"]
    after = json.loads(run("who", out, "--date", "2026-09-24", "--json").stdout)["duties"]
    later = json.loads(run("who", out, "--date", TUE[3], "--json").stdout)["duties"]
    assert absent in {d["staff"] for d in before} and after == []  # 24th: the holiday
    assert absent not in {d["staff"] for d in later} and len(later) == 2
    hist = run("history", out, "--teacher", absent, "--json")
    kinds = [h["kind"] for h in json.loads(hist.stdout)]
    assert kinds == ["plan", "substitute", "replan"]
    assert "Clerk Wang" in run("history", out).stdout


def test_export_as_of_an_earlier_date_gives_that_version(tmp_path):
    school, out = planned(tmp_path, None)
    first = json.loads((out / "plan.json").read_text())
    gone = on_duty(out)[0]
    (school / "availability.csv").write_text(
        "teacher,day,session,status\n" + "".join(avail(t, "Tue Thu", "after-upper")
                                                for t in ("T1", "T2", "T3", "T4")
                                                if t != gone), encoding="utf-8")
    assert run("replan", school, "--previous", out, "--from", TUE[2], "--skip",
               "all").exit_code == 0
    assert json.loads((out / "plan.json").read_text())["valid_from"] == TUE[2]
    r = run("export", out, "--as-of", "2026-09-16", "--out", tmp_path / "sept", "--skip", "all")
    assert r.exit_code == 0, r.output
    then = json.loads((tmp_path / "sept" / "plan.json").read_text())
    assert then["duties"] == first["duties"] and "valid_from" not in then
    # deleting the term folder's export loses nothing: export writes it again
    (out / "plan.json").unlink()
    assert run("export", out, "--out", out, "--skip", "all").exit_code == 0
    assert json.loads((out / "plan.json").read_text())["valid_from"] == TUE[2]


def test_a_copy_points_to_the_record(tmp_path):
    school, out = planned(tmp_path, None)
    copy = tmp_path / "copy"
    assert run("export", out, "--out", copy, "--skip", "all").exit_code == 0
    assert not (copy / "record.sqlite").exists()
    a = on_duty(out)[0]
    r = run("substitute", school, copy / "plan.json", "--teacher", a, "--dates", TUE[1],
            "--skip", "all")
    assert r.exit_code == 0, r.output
    assert counts(out, None) == (2, 1, 1)  # appended to the one record of the term
    assert len(json.loads((out / "plan.json").read_text())["exceptions"]) == 1
    assert "exceptions" not in json.loads((copy / "plan.json").read_text())  # a snapshot


def test_no_command_writes_over_what_it_reads(tmp_path):
    school, out = planned(tmp_path, None)
    before = (out / "plan.json").read_bytes()
    for args in (("report", out / "plan.json", "--out", out / "plan.json"),
                 ("report", out, "--out", out / "record.sqlite"),
                 ("chart", out / "plan.json", "--out", out / "plan.json")):
        r = run(*args)
        assert r.exit_code == 2 and "reads" in r.output, (args, r.output)
    assert (out / "plan.json").read_bytes() == before
    assert counts(out, None)[0] == 1


def test_check_judges_each_version_by_the_sheets_recorded_for_it(tmp_path):
    """The plan gives a Tuesday duty to someone; a record that says the sheets in force
    then had that person unavailable is caught, the true record passes."""
    from afterschool.scheduler.reading.plan_file import read_plan
    from afterschool.scheduler.reading.reader import read_instance
    from afterschool.scheduler.record import term as T
    _, out = planned(tmp_path, None)
    assert run("check", out).exit_code == 0
    someone = on_duty(out)[0]
    forged = term_school(tmp_path / "forged",
                         volunteers=[t for t in ("T1", "T2", "T3", "T4") if t != someone])
    inst = read_instance(forged)
    rec = Record.open(str(tmp_path / "forged.sqlite"), create=True)
    with rec.write("test", "test") as w:
        T.record_plan(w, T.school_key(inst), inst, read_plan(out / "plan.json"))
    r = run("check", tmp_path / "forged.sqlite")
    assert r.exit_code == 1 and someone in r.output and "availab" in r.output, r.output
