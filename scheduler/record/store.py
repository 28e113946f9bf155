"""The term record's database (SPEC §10): the one door to it; no SQL anywhere else.

Shape
- ``Record.open(url)``: an SQLite file (a path, ``sqlite:///path``) or a PostgreSQL server
  (``postgresql://user@host/db``); the schema is migrated on open (``MIGRATIONS``: ordered
  small functions, recorded in ``record_migrations`` and, on SQLite, ``PRAGMA
  user_version``). A record made by a newer tool is refused (``RecordError``).
- ``Record.write(by, command)``: a context manager around one command's writes, one
  transaction, holding the term's write lock from the first read to the commit, so what the
  command computes from the record is what it appends to (two ``substitute`` runs at once
  land one after the other, the second seeing the first). SQLite: ``BEGIN IMMEDIATE``
  waiting up to ``wait`` seconds; PostgreSQL: a transaction-scoped advisory lock under
  ``lock_timeout``. Past the wait: ``RecordBusy`` and nothing written. A kill at any moment
  leaves the record as before or after the command (the database's own atomic commit).
- Append-only: the fact tables (entries, instances and their files, plans, absences,
  covers) refuse UPDATE and DELETE by trigger; a correction is a new row that supersedes.
  Each entry has its time (UTC, ISO) and its author.
- Accounts of the office's page (``users``, schema 4): per term, name, role (office or
  teacher), staff id, a password hash (never the password), append-only like the facts.
- Documents (a whole-term ``plan.json``) are stored zlib-compressed with their SHA-256.

Test hook (fault tests only): with ``AFTERSCHOOL_RECORD_PAUSE=<point>`` and
``AFTERSCHOOL_RECORD_FIFO=<fifo>`` a command blocks on reading the FIFO at that point:
``lock`` (just before asking for the write lock), ``locked`` (holding it, nothing written),
``written`` (every row written, not committed), ``committed`` (before the export).
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

RECORD_FILE = "record.sqlite"
DEFAULT_WAIT = float(os.environ.get("AFTERSCHOOL_RECORD_WAIT", "120"))


from afterschool.scheduler.record.errors import RecordBusy, RecordError  # noqa: F401


def _hook(point: str) -> None:
    if os.environ.get("AFTERSCHOOL_RECORD_PAUSE") == point:
        with open(os.environ["AFTERSCHOOL_RECORD_FIFO"], encoding="utf-8") as fifo:
            fifo.read()


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in a container: say so
        return "unknown"


# --- the schema, as the current tool reads and writes it ------------------------------
meta = sa.MetaData()


def _fact(name: str, *columns: sa.Column) -> sa.Table:
    """A table of one kind of recorded fact: its id, its term and the entry it came with."""
    return sa.Table(name, meta, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("term_id", sa.Integer, nullable=False),
                    sa.Column("entry_id", sa.Integer, nullable=False), *columns)


terms = sa.Table(
    "terms", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("school", sa.Text, nullable=False),
    sa.Column("term_start", sa.Text, nullable=False),
    sa.Column("term_end", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False))
entries = sa.Table(
    "entries", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("term_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("command", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False))
instances = _fact(
    "instances",
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False))
instance_files = sa.Table(
    "instance_files", meta,
    sa.Column("instance_id", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False))
plans = _fact(
    "plans",
    sa.Column("instance_id", sa.Integer),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("valid_from", sa.Text),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("document", sa.LargeBinary, nullable=False))
absences = _fact(
    "absences",
    sa.Column("staff", sa.Text, nullable=False),
    sa.Column("date", sa.Text, nullable=False))
covers = _fact(
    "covers",
    sa.Column("date", sa.Text, nullable=False),
    sa.Column("replaces", sa.Text, nullable=False),
    sa.Column("staff", sa.Text),
    sa.Column("duty", sa.Text, nullable=False))
attendance = _fact(
    "attendance",
    sa.Column("date", sa.Text, nullable=False),
    sa.Column("session", sa.Text, nullable=False),
    sa.Column("student", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False))
staff_attendance = _fact(
    "staff_attendance",
    sa.Column("date", sa.Text, nullable=False),
    sa.Column("part", sa.Text, nullable=False),
    sa.Column("grp", sa.Text),
    sa.Column("staff", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False))
cancellations = _fact(
    "cancellations",
    sa.Column("date", sa.Text, nullable=False),
    sa.Column("session", sa.Text),
    sa.Column("reason", sa.Text, nullable=False))
payments = _fact(
    "payments",
    sa.Column("student", sa.Text, nullable=False),
    sa.Column("date", sa.Text, nullable=False),
    sa.Column("amount", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("receipt", sa.Text, nullable=False))
users = sa.Table(
    "users", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("term_id", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("staff", sa.Text),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Integer, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False))
FACT_TABLES = ("entries", "instances", "instance_files", "plans", "absences", "covers",
               "attendance", "staff_attendance", "cancellations", "payments", "users")


# --- migrations: frozen DDL, one function per schema version --------------------------
def _ddl(dialect: str, text: str) -> list[str]:
    pk = ("INTEGER PRIMARY KEY AUTOINCREMENT" if dialect == "sqlite"
          else "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    blob = "BLOB" if dialect == "sqlite" else "BYTEA"
    return [s.strip() for s in text.format(pk=pk, blob=blob).split(";") if s.strip()]


def _append_only(conn, dialect: str, table: str) -> None:
    if dialect == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the record is append-only: {table}'); END")
        return
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION afterschool_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'the record is append-only: %%', TG_TABLE_NAME; END $$ "
        "LANGUAGE plpgsql")
    conn.exec_driver_sql(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION afterschool_append_only()")


def _migration_1(conn, dialect: str) -> None:
    """Terms, the audit log, instance versions with their files, whole-term plans."""
    for stmt in _ddl(dialect, """
        CREATE TABLE terms (id {pk}, school TEXT NOT NULL, term_start TEXT NOT NULL,
            term_end TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL,
            created_by TEXT NOT NULL, UNIQUE (school, term_start, term_end, label));
        CREATE TABLE entries (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            kind TEXT NOT NULL, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL,
            command TEXT NOT NULL, summary TEXT NOT NULL);
        CREATE TABLE instances (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            entry_id INTEGER NOT NULL REFERENCES entries (id), sha256 TEXT NOT NULL,
            source TEXT NOT NULL, UNIQUE (term_id, sha256));
        CREATE TABLE instance_files (instance_id INTEGER NOT NULL REFERENCES instances (id),
            name TEXT NOT NULL, content {blob} NOT NULL, PRIMARY KEY (instance_id, name));
        CREATE TABLE plans (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            entry_id INTEGER NOT NULL REFERENCES entries (id),
            instance_id INTEGER REFERENCES instances (id), kind TEXT NOT NULL,
            valid_from TEXT, sha256 TEXT NOT NULL, document {blob} NOT NULL);
        CREATE INDEX entries_term ON entries (term_id, id);
        CREATE INDEX plans_term ON plans (term_id, id)"""):
        conn.exec_driver_sql(stmt)
    for table in ("entries", "instances", "instance_files", "plans"):
        _append_only(conn, dialect, table)


def _migration_2(conn, dialect: str) -> None:
    """Absences and covers as rows of their own (SPEC §9: absences are facts), filled from
    the exceptions of every plan a version-1 record holds."""
    for stmt in _ddl(dialect, """
        CREATE TABLE absences (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            entry_id INTEGER NOT NULL REFERENCES entries (id), staff TEXT NOT NULL,
            date TEXT NOT NULL);
        CREATE TABLE covers (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            entry_id INTEGER NOT NULL REFERENCES entries (id), date TEXT NOT NULL,
            replaces TEXT NOT NULL, staff TEXT, duty TEXT NOT NULL);
        CREATE INDEX absences_term ON absences (term_id, date);
        CREATE INDEX covers_term ON covers (term_id, date)"""):
        conn.exec_driver_sql(stmt)
    for table in ("absences", "covers"):
        _append_only(conn, dialect, table)
    absent: set[tuple] = set()
    covered: set[tuple] = set()
    rows = conn.execute(sa.select(plans.c.term_id, plans.c.entry_id, plans.c.document)
                        .order_by(plans.c.id)).all()
    for term_id, entry_id, blob in rows:
        for x in decode_document(blob).get("exceptions", []):
            who = (term_id, x["date"], x["replaces"])
            duty = json.dumps(_duty_key(x), ensure_ascii=False, sort_keys=True)
            if who not in absent:
                absent.add(who)
                conn.execute(absences.insert().values(term_id=term_id, entry_id=entry_id,
                                                      staff=x["replaces"], date=x["date"]))
            if who + (duty,) not in covered:
                covered.add(who + (duty,))
                conn.execute(covers.insert().values(
                    term_id=term_id, entry_id=entry_id, date=x["date"],
                    replaces=x["replaces"], staff=x.get("staff"), duty=duty))


def _duty_key(x: dict) -> dict:
    """What identifies a covered duty on its date (an exception without its people)."""
    return {k: x.get(k) for k in ("day", "session", "window", "slot", "group", "start", "end",
                                  "role")}


def _migration_3(conn, dialect: str) -> None:
    """What actually happened (SPEC §11): pupil and staff attendance, cancelled service,
    payments. Money as a two-decimal string (exact)."""
    for stmt in _ddl(dialect, """
        CREATE TABLE attendance (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            entry_id INTEGER NOT NULL REFERENCES entries (id), date TEXT NOT NULL,
            session TEXT NOT NULL, student TEXT NOT NULL, status TEXT NOT NULL);
        CREATE TABLE staff_attendance (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            entry_id INTEGER NOT NULL REFERENCES entries (id), date TEXT NOT NULL,
            part TEXT NOT NULL, grp TEXT, staff TEXT NOT NULL, status TEXT NOT NULL);
        CREATE TABLE cancellations (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            entry_id INTEGER NOT NULL REFERENCES entries (id), date TEXT NOT NULL,
            session TEXT, reason TEXT NOT NULL);
        CREATE TABLE payments (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            entry_id INTEGER NOT NULL REFERENCES entries (id), student TEXT NOT NULL,
            date TEXT NOT NULL, amount TEXT NOT NULL, channel TEXT NOT NULL,
            receipt TEXT NOT NULL);
        CREATE INDEX attendance_key ON attendance (term_id, date, session, student);
        CREATE INDEX staff_attendance_key ON staff_attendance (term_id, date);
        CREATE INDEX cancellations_term ON cancellations (term_id, date);
        CREATE INDEX payments_term ON payments (term_id, student)"""):
        conn.exec_driver_sql(stmt)
    for table in ("attendance", "staff_attendance", "cancellations", "payments"):
        _append_only(conn, dialect, table)


def _migration_4(conn, dialect: str) -> None:
    """Accounts of the office's page (``afterschool user``), per term, append-only: a
    password change or a removal is a new row for the name (``active`` 0: removed)."""
    for stmt in _ddl(dialect, """
        CREATE TABLE users (id {pk}, term_id INTEGER NOT NULL REFERENCES terms (id),
            name TEXT NOT NULL, role TEXT NOT NULL, staff TEXT, password_hash TEXT NOT NULL,
            active INTEGER NOT NULL, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL);
        CREATE INDEX users_term ON users (term_id, name)"""):
        conn.exec_driver_sql(stmt)
    _append_only(conn, dialect, "users")


MIGRATIONS = [_migration_1, _migration_2, _migration_3, _migration_4]
SCHEMA_VERSION = len(MIGRATIONS)


def encode_document(doc: dict[str, Any]) -> tuple[bytes, str]:
    text = json.dumps(doc, ensure_ascii=False, sort_keys=False).encode("utf-8")
    return zlib.compress(text, 6), hashlib.sha256(text).hexdigest()


def decode_document(blob: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


# --- where a record lives -------------------------------------------------------------
def normalise_url(url: str) -> tuple[str, dict[str, str]]:
    """(SQLAlchemy URL, selectors) for a record named by a path or URL; ``?school=`` and
    ``?term=`` (a term's start date) pick one term of a server that keeps many."""
    if url.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        pick = {k: query.pop(k) for k in ("school", "term") if k in query}
        scheme = "postgresql+psycopg"
        return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), "")), pick
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    elif url.startswith("sqlite:"):
        raise RecordError(f"not a record URL: {url} (expected sqlite:///PATH)")
    else:
        path = url
    return f"sqlite:///{Path(path).absolute()}", {}


def display_url(url: str) -> str:
    """A URL as it may be printed or written into a marker: no password."""
    if "://" not in url or url.startswith("sqlite"):
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        cred, host = netloc.rsplit("@", 1)
        netloc = cred.split(":", 1)[0] + "@" + host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class Record:
    """One open record (SQLite file or PostgreSQL database); see the module docstring."""

    def __init__(self, engine: sa.Engine, url: str, pick: dict[str, str], wait: float):
        self.engine, self.url, self.pick, self.wait = engine, url, pick, wait
        self.dialect = engine.dialect.name

    @classmethod
    def open(cls, url: str, *, create: bool = False, wait: float | None = None,
             upto: int = SCHEMA_VERSION) -> "Record":
        """Open (``create``: or make) the record at ``url`` and migrate it (``upto``: to
        that schema version; tests make an old record with it)."""
        wait = DEFAULT_WAIT if wait is None else wait
        sa_url, pick = normalise_url(url)
        if sa_url.startswith("sqlite"):
            path = Path(sa_url[len("sqlite:///"):])
            if not create and not path.is_file():
                raise RecordError(f"no record at {path}")
            if path.exists() and not path.is_file():
                raise RecordError(f"{path} is not a file")
            if path.is_file():
                with open(path, "rb") as fh:
                    head = fh.read(16)
                if head and head != b"SQLite format 3\x00":
                    raise RecordError(f"{path} is not an afterschool record (not SQLite)")
            engine = sa.create_engine(sa_url, poolclass=NullPool,
                                      connect_args={"timeout": wait})
            sa.event.listen(engine, "connect", _sqlite_connect)
            sa.event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = sa.create_engine(sa_url, poolclass=NullPool,
                                      connect_args={"connect_timeout": 10})
        rec = cls(engine, url, pick, wait)
        try:
            rec._migrate(upto)
        except sa.exc.OperationalError as exc:
            if _busy(exc):
                raise RecordBusy(str(exc.orig)) from None
            raise RecordError(f"cannot open the record {display_url(url)}: "
                              f"{str(exc.orig).strip().splitlines()[0]}") from None
        except sa.exc.DatabaseError as exc:
            raise RecordError(f"{display_url(url)} is not an afterschool record: "
                              f"{str(exc.orig).strip().splitlines()[0]}") from None
        return rec

    def dispose(self) -> None:
        self.engine.dispose()

    # -- transactions --------------------------------------------------------------
    @contextmanager
    def _transaction(self, write: bool, lock_key: str = "afterschool") -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(afterschool_write=write)
                with conn.begin():
                    if self.dialect == "postgresql" and write:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(self.wait * 1000)}ms'")
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                                     {"k": _lock_number(lock_key)})
                    yield conn
        except sa.exc.OperationalError as exc:
            if _busy(exc):
                raise RecordBusy(str(exc.orig)) from None
            raise

    @contextmanager
    def read(self) -> Iterator["Reader"]:
        """A consistent snapshot for reading."""
        with self._transaction(False) as conn:
            yield Reader(conn)

    @contextmanager
    def write(self, by: str, command: str, lock_key: str = "afterschool"
              ) -> Iterator["Writer"]:
        """One command's writes, committed together at the end of the block."""
        _hook("lock")
        with self._transaction(True, lock_key) as conn:
            _hook("locked")
            w = Writer(conn, by, command)
            yield w
            _hook("written")
        _hook("committed")

    # -- migrations ----------------------------------------------------------------
    def _migrate(self, upto: int = SCHEMA_VERSION) -> None:
        with self._transaction(False) as conn:
            version = _version(conn, self.dialect)
        if version > SCHEMA_VERSION:
            raise RecordError(f"this record was written by a newer afterschool (record "
                              f"schema {version}; this one knows up to {SCHEMA_VERSION}): "
                              "upgrade afterschool (pip install --upgrade .) to open it")
        if version >= upto:
            return
        with self._transaction(True, "afterschool-migrations") as conn:
            version = _version(conn, self.dialect)  # another process may have migrated
            if version == 0:
                conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS record_migrations ("
                                     "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                     "applied_at TEXT NOT NULL)")
            for n, step in enumerate(MIGRATIONS[version:upto], start=version + 1):
                step(conn, self.dialect)
                conn.execute(sa.text("INSERT INTO record_migrations VALUES (:v, :n, :t)"),
                             {"v": n, "n": step.__name__, "t": now_iso()})
                if self.dialect == "sqlite":
                    conn.exec_driver_sql(f"PRAGMA user_version = {n}")

    @property
    def schema_version(self) -> int:
        with self._transaction(False) as conn:
            return _version(conn, self.dialect)


def _version(conn, dialect: str) -> int:
    if dialect == "sqlite":
        has = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table' AND "
                                   "name='record_migrations'").first()
        if has is None:
            tables = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            if tables:
                raise RecordError("not an afterschool record: an SQLite database of "
                                  "something else")
            return 0
    else:
        has = conn.exec_driver_sql("SELECT to_regclass('record_migrations')").scalar()
        if has is None:
            return 0
    return conn.exec_driver_sql("SELECT coalesce(max(version), 0) FROM "
                                "record_migrations").scalar() or 0


def _lock_number(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big",
                          signed=True)


def _busy(exc: sa.exc.OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "lock timeout" in text or \
        getattr(exc.orig, "sqlstate", None) == "55P03"  # PostgreSQL: lock_not_available


def _sqlite_connect(dbapi_conn: sqlite3.Connection, _record) -> None:
    dbapi_conn.isolation_level = None  # transactions begun by _sqlite_begin, not pysqlite
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get("afterschool_write")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Reader:
    """Queries on one snapshot of the record."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn

    def terms(self) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(terms).order_by(terms.c.id))]

    def entries(self, term_id: int) -> list[dict]:
        return [dict(r._mapping) | {"summary": json.loads(r.summary)}
                for r in self.conn.execute(sa.select(entries).where(
                    entries.c.term_id == term_id).order_by(entries.c.id))]

    def plan_rows(self, term_id: int) -> list[dict]:
        """Every plan recorded for the term, oldest first (without the document)."""
        cols = [plans.c.id, plans.c.entry_id, plans.c.instance_id, plans.c.kind,
                plans.c.valid_from, plans.c.sha256]
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(*cols).where(plans.c.term_id == term_id).order_by(plans.c.id))]

    def document(self, plan_id: int) -> dict[str, Any]:
        blob = self.conn.execute(sa.select(plans.c.document).where(
            plans.c.id == plan_id)).scalar_one()
        return decode_document(blob)

    def instance_files(self, instance_id: int) -> dict[str, bytes]:
        return {r.name: r.content for r in self.conn.execute(
            sa.select(instance_files).where(instance_files.c.instance_id == instance_id))}

    def instance_rows(self, term_id: int) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(instances).where(instances.c.term_id == term_id)
            .order_by(instances.c.id))]

    def absences(self, term_id: int) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(absences).where(absences.c.term_id == term_id)
            .order_by(absences.c.id))]

    def covers(self, term_id: int) -> list[dict]:
        return [dict(r._mapping) | {"duty": json.loads(r.duty)} for r in self.conn.execute(
            sa.select(covers).where(covers.c.term_id == term_id).order_by(covers.c.id))]

    def attendance(self, term_id: int, day: str | None = None
                   ) -> dict[tuple[str, str, str], str]:
        """(date, session, pupil) -> the latest status recorded (``day``: that date only)."""
        out: dict[tuple[str, str, str], str] = {}
        query = sa.select(attendance.c.date, attendance.c.session, attendance.c.student,
                          attendance.c.status).where(attendance.c.term_id == term_id)
        if day is not None:
            query = query.where(attendance.c.date == day)
        for r in self.conn.execute(query.order_by(attendance.c.id)):
            out[r.date, r.session, r.student] = r.status
        return out

    def staff_attendance(self, term_id: int) -> list[dict]:
        """The latest staff entry per (date, session or window, group, person)."""
        out: dict[tuple, dict] = {}
        for r in self.conn.execute(sa.select(staff_attendance).where(
                staff_attendance.c.term_id == term_id).order_by(staff_attendance.c.id)):
            out[r.date, r.part, r.grp, r.staff] = {"date": r.date, "part": r.part,
                                                    "group": r.grp, "staff": r.staff,
                                                    "status": r.status}
        return list(out.values())

    def cancellations(self, term_id: int) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(cancellations).where(cancellations.c.term_id == term_id)
            .order_by(cancellations.c.id))]

    def payments(self, term_id: int) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(payments).where(payments.c.term_id == term_id)
            .order_by(payments.c.id))]

    def users(self, term_id: int) -> dict[str, dict]:
        """The term's accounts as they stand: name -> the latest row (removed ones left
        out); each row's ``id`` changes with every password change."""
        out: dict[str, dict] = {}
        for r in self.conn.execute(sa.select(users).where(users.c.term_id == term_id)
                                   .order_by(users.c.id)):
            out[r.name] = dict(r._mapping)
        return {k: v for k, v in out.items() if v["active"]}

    def counts(self, term_id: int) -> dict[str, int]:
        """Entries of each kind recorded for the term."""
        return {k: n for k, n in self.conn.execute(
            sa.select(entries.c.kind, sa.func.count()).where(entries.c.term_id == term_id)
            .group_by(entries.c.kind))}


class Writer(Reader):
    """Appends within the command's transaction."""

    def __init__(self, conn: sa.Connection, by: str, command: str):
        super().__init__(conn)
        self.by, self.command = by, command

    def term(self, school: str, start: str, end: str, label: str = "current") -> int:
        """The id of the term (made when new)."""
        found = self.conn.execute(sa.select(terms.c.id).where(
            terms.c.school == school, terms.c.term_start == start, terms.c.term_end == end,
            terms.c.label == label)).scalar()
        if found is not None:
            return found
        return self.conn.execute(terms.insert().values(
            school=school, term_start=start, term_end=end, label=label, created_at=now_iso(),
            created_by=self.by).returning(terms.c.id)).scalar_one()

    def relabel_term(self, term_id: int, label: str) -> None:
        """Keep a term under another label (``--new-record`` on a shared server)."""
        self.conn.execute(terms.update().where(terms.c.id == term_id).values(label=label))

    def entry(self, term_id: int, kind: str, summary: dict) -> int:
        return self.conn.execute(entries.insert().values(
            term_id=term_id, kind=kind, recorded_at=now_iso(), recorded_by=self.by,
            command=self.command, summary=json.dumps(summary, ensure_ascii=False,
                                                     sort_keys=True)
        ).returning(entries.c.id)).scalar_one()

    def instance(self, term_id: int, entry_id: int, files: dict[str, bytes],
                 source: str) -> int:
        """The instance version with these files (recorded once per distinct content)."""
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
        sha = digest.hexdigest()
        found = self.conn.execute(sa.select(instances.c.id).where(
            instances.c.term_id == term_id, instances.c.sha256 == sha)).scalar()
        if found is not None:
            return found
        iid = self.conn.execute(instances.insert().values(
            term_id=term_id, entry_id=entry_id, sha256=sha, source=source
        ).returning(instances.c.id)).scalar_one()
        if files:
            self.conn.execute(instance_files.insert(), [
                {"instance_id": iid, "name": n, "content": c} for n, c in sorted(files.items())])
        return iid

    def plan(self, term_id: int, entry_id: int, instance_id: int | None, kind: str,
             valid_from: str | None, doc: dict[str, Any]) -> int:
        blob, sha = encode_document(doc)
        return self.conn.execute(plans.insert().values(
            term_id=term_id, entry_id=entry_id, instance_id=instance_id, kind=kind,
            valid_from=valid_from, sha256=sha, document=blob).returning(plans.c.id)
        ).scalar_one()

    def absence(self, term_id: int, entry_id: int, staff: str, day: str) -> None:
        self.conn.execute(absences.insert().values(term_id=term_id, entry_id=entry_id,
                                                   staff=staff, date=day))

    def attendance_rows(self, term_id: int, entry_id: int, rows: list[tuple]) -> None:
        """Pupil entries (date, session, pupil, status)."""
        if rows:
            self.conn.execute(attendance.insert(), [
                {"term_id": term_id, "entry_id": entry_id, "date": d, "session": s,
                 "student": p, "status": st} for d, s, p, st in rows])

    def staff_rows(self, term_id: int, entry_id: int, rows: list[dict]) -> None:
        if rows:
            self.conn.execute(staff_attendance.insert(), [
                {"term_id": term_id, "entry_id": entry_id, "date": r["date"],
                 "part": r["part"], "grp": r.get("group"), "staff": r["staff"],
                 "status": r["status"]} for r in rows])

    def cancellation(self, term_id: int, entry_id: int, day: str, session: str | None,
                     reason: str) -> None:
        self.conn.execute(cancellations.insert().values(
            term_id=term_id, entry_id=entry_id, date=day, session=session, reason=reason))

    def payment_rows(self, term_id: int, entry_id: int, rows: list[dict]) -> None:
        if rows:
            self.conn.execute(payments.insert(), [
                {"term_id": term_id, "entry_id": entry_id} | r for r in rows])

    def user(self, term_id: int, name: str, role: str, staff: str | None,
             password_hash: str, active: bool = True) -> int:
        """An account's new state (added, password changed, or removed)."""
        return self.conn.execute(users.insert().values(
            term_id=term_id, name=name, role=role, staff=staff, password_hash=password_hash,
            active=1 if active else 0, recorded_at=now_iso(), recorded_by=self.by
        ).returning(users.c.id)).scalar_one()

    def cover(self, term_id: int, entry_id: int, exception: dict) -> None:
        self.conn.execute(covers.insert().values(
            term_id=term_id, entry_id=entry_id, date=exception["date"],
            replaces=exception["replaces"], staff=exception.get("staff"),
            duty=json.dumps(_duty_key(exception), ensure_ascii=False, sort_keys=True)))
