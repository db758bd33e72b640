"""The store: what the line remembers per phone number, keyed by a hash, on any instance.

A phone number never reaches the database: ``number_key`` turns it into an HMAC-SHA256
with ``VOICELINE_HASH_SECRET``, which is never stored here, so a dump alone cannot be
searched for a number. Per number the line keeps the opt-out and language (``texters``),
the language chosen on the phone (``callers``), and, in one row (``text_guard``), a loop
guard (a short digest of the last text, keyed by the secret and the number, never the
text) and how many replies it sent this hour. The rules that decide with them are in
``guards``. Each store makes one ``languages.LanguageMemory`` (calls read it, never the
database), tells it the texters' languages it reads and sets, and serves its reads and
writes of ``callers``.

``SqlStore`` runs on SQLite or PostgreSQL through SQLAlchemy Core (engine set-up in
``sql``). Opt-outs and languages change with the number's row locked (PostgreSQL:
``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE``) and are committed durably before
any reply, so concurrent webhooks for one number apply one after the other and the last
committed wins whole. A STOP, START or HELP is remembered by its MessageSid in the same
transaction: a replay changes nothing. A text's admission reads the opt-out, then counts
the loop guard and the hourly allowance in one ``INSERT ... ON CONFLICT DO UPDATE ...
RETURNING`` statement: exact at any concurrency, across workers and instances. Every
operation gives up after ``sql.STORE_SECONDS``. A SQLite file deleted or replaced while
the line runs is noticed (never silently made anew and empty).

``MemoryStore`` is the in-memory fake with the same interface, for tests. The schema is
made by the migrations (``voiceline db upgrade``); a SQLite database is upgraded when the
app starts.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

import sqlalchemy as sa

from ..engine.guards import (
    CLOCK_SLACK,
    LOOP_REPEATS,
    LOOP_SILENCE,
    LOOP_WINDOW,
    Admission,
    Allowance,
    Guard,
    Texter,
    admit,
    use_allowance,
    verdict_of,
)
from ..engine.outcomes import Verdict
from ..errors import StoreError
from .events import EventLog, MemoryEventLog, SqlEventLog
from .languages import LanguageMemory, Remembered
from .schema import callers, handled_messages, metadata, operators, texters
from .sql import STORE_SECONDS, Transaction, make_engine, upsert, within

log = logging.getLogger(__name__)
SMS_REPLY = "sms_reply"  # the allowance of replies to texts (per number, per hour)
T = TypeVar("T")


class Store(Protocol):
    """Everything the line asks of its memory; ``SqlStore`` and ``MemoryStore`` have it."""

    def texter(self, key: str, seconds: float = STORE_SECONDS) -> Texter | None: ...
    def admit_text(self, key: str, digest: str | None, limit: int, per: timedelta
                   ) -> Admission: ...
    def set_opted_out(self, key: str, opted_out: bool, message: str | None = None
                      ) -> int | None: ...
    def claim_message(self, message: str) -> bool: ...
    def set_language(self, key: str, language: str) -> None: ...
    def take(self, key: str, kind: str, limit: int, per: timedelta) -> bool: ...
    def ping(self, seconds: float = STORE_SECONDS) -> None: ...
    def upgrade(self) -> bool: ...
    def describe(self) -> str: ...
    def event_log(self, retention_days: int) -> EventLog: ...
    # Callers' languages, for calls that never wait: one memory per store.
    def language_memory(self, refresh_seconds: float) -> LanguageMemory: ...
    def flush(self, timeout: float = 5.0) -> bool: ...
    def close(self) -> None: ...
    # Operator accounts (/operator): the password hash is made and checked by the web layer.
    def operator_hash(self, name: str) -> str | None: ...
    def set_operator(self, name: str, password_hash: str) -> None: ...
    def remove_operator(self, name: str) -> bool: ...
    def operator_names(self) -> list[str]: ...


def number_key(secret: str, number: str) -> str:
    """The keyed hash that stands for a phone number: HMAC-SHA256, hex."""
    plain = re.sub(r"[^0-9+a-zA-Z:]", "", number or "")
    return hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()


def text_digest(secret: str, body: str, key: str = "") -> str:
    """A short digest that tells one number's identical texts apart without keeping them;
    keyed by the secret and the number, so the same text from two numbers differs."""
    return hmac.new(secret.encode(), f"text:{key}:".encode() + body.encode(),
                    hashlib.sha256).hexdigest()[:16]


def message_key(secret: str, message_sid: str) -> str:
    """The keyed hash under which a handled MessageSid is remembered."""
    return hmac.new(secret.encode(), b"message:" + message_sid.encode(),
                    hashlib.sha256).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


# -------------------------------------------------------------------------- SQL store

class SqlStore:
    """The store on a relational database (SQLite or PostgreSQL)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._variants: dict[tuple[int, bool, bool], sa.Engine] = {}
        database = self.engine.url.database if self.dialect == "sqlite" else None
        self._file = os.path.abspath(database) if database and database != ":memory:" \
            else None
        self._identity: tuple[int, int] | None = None
        self._languages = LanguageMemory(self)  # its thread starts with the first lookup

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> bool:
        """Create or migrate the schema to the newest version (``voiceline db upgrade``)."""
        from .migrations import upgrade

        upgrade(self.engine)
        self._identity = None  # the file exists now; it is the one to keep using
        return True

    def is_current(self) -> bool:
        from .migrations import is_current

        return is_current(self.engine)

    def describe(self) -> str:
        """The database, as an operator recognises it, without its password."""
        return self.engine.url.render_as_string(hide_password=True)

    def event_log(self, retention_days: int) -> EventLog:
        """Usage events go to the same database."""
        return SqlEventLog(self.engine, retention_days=retention_days)

    def language_memory(self, refresh_seconds: float) -> LanguageMemory:
        """This store's memory of callers' languages, reading every ``refresh_seconds``."""
        self._languages.refresh_seconds = refresh_seconds
        return self._languages

    def flush(self, timeout: float = 5.0) -> bool:
        return True  # nothing waits: every count is written by the text that made it

    def close(self) -> None:
        self._languages.close()
        self.engine.dispose()

    def operator_hash(self, name: str) -> str | None:
        with self._transaction("read an operator account", reading=True) as conn:
            return conn.execute(sa.select(operators.c.password_hash).where(
                operators.c.name == name)).scalar()

    def set_operator(self, name: str, password_hash: str) -> None:
        with self._transaction("save an operator account") as conn:
            conn.execute(operators.delete().where(operators.c.name == name))
            conn.execute(operators.insert().values(name=name, password_hash=password_hash,
                                                   created_at=_now()))

    def remove_operator(self, name: str) -> bool:
        with self._transaction("remove an operator account") as conn:
            return bool(conn.execute(operators.delete().where(operators.c.name == name))
                        .rowcount)

    def operator_names(self) -> list[str]:
        with self._transaction("list operator accounts", reading=True) as conn:
            return list(conn.execute(sa.select(operators.c.name).order_by(operators.c.name))
                        .scalars())

    # ------------------------------------------------------------------- per number

    def texter(self, key: str, seconds: float = STORE_SECONDS) -> Texter | None:
        def read() -> Texter | None:
            with self._transaction("read a texter", reading=True) as conn:
                row = conn.execute(SELECT_TEXTER, {"k_number_key": key}).first()
            return Texter(bool(row.opted_out), row.language) if row else None
        found = self._within("read a texter", read, seconds, writing=False)
        if found is not None and found.language:
            self._languages.heard(key, found.language)
        return found

    def admit_text(self, key: str, digest: str | None, limit: int, per: timedelta
                   ) -> Admission:
        """The opt-out read, then the loop guard and the hourly allowance counted in one
        statement; the verdict comes from the counts as they are after it."""
        texter = self.texter(key)
        if texter is not None and texter.opted_out:
            return Admission(texter, Verdict.OPTED_OUT)
        now = _now()
        values = {"key": key, "now": now, "per_cutoff": now - per,
                  "clock_back": now + CLOCK_SLACK}
        if digest is not None:
            values |= {"digest": digest, "window_cutoff": now - LOOP_WINDOW,
                       "silence_until": now + LOOP_SILENCE, "loop_repeats": LOOP_REPEATS}

        def count():
            with self._transaction("count a text", durable=False) as conn:
                return conn.execute(_admission_statement(self.dialect, digest is not None),
                                    values).one()
        row = self._within("count a text", count)
        return Admission(texter, verdict_of(row.repeats, row.muted_until, row.used, limit, now))

    def set_opted_out(self, key: str, opted_out: bool, message: str | None = None
                      ) -> int | None:
        """Record an opt-out (or opt-in); returns the change's number (last one highest),
        or None when ``message`` (a MessageSid's key) was handled before: a replay."""
        def record() -> int | None:
            with self._transaction("record an opt-out") as conn:
                if message is not None and not self._claim(conn, message):
                    return None
                row = self._locked(conn, texters, {"number_key": key},
                                   {"opted_out": False, "updated_at": _now(), "opt_version": 0})
                version: int = row.opt_version + 1
                _update(conn, texters, {"number_key": key}, opted_out=opted_out,
                        opt_version=version, updated_at=_now())
            return version
        return self._within("record an opt-out", record)

    def claim_message(self, message: str) -> bool:
        """True the first time ``message`` (a MessageSid's key) is seen, False on a replay."""
        def claim() -> bool:
            with self._transaction("remember a message", durable=False) as conn:
                return self._claim(conn, message)
        return self._within("remember a message", claim)

    def set_language(self, key: str, language: str) -> None:
        def record() -> None:
            with self._transaction("record a language") as conn:
                self._locked(conn, texters, {"number_key": key},
                             {"opted_out": False, "updated_at": _now(), "opt_version": 0})
                _update(conn, texters, {"number_key": key}, language=language,
                        updated_at=_now())
        self._within("record a language", record)
        self._languages.heard(key, language, _now())

    # --------------------------------------------- callers' languages (``languages``)

    def languages_since(self, since: datetime | None, limit: int) -> list[Remembered]:
        """The newest ``limit`` languages of texters and callers changed after ``since``
        (all when None), newest first. Only the language memory's own thread asks, never
        a request, so it runs in that thread, not through ``within``."""
        self._check_file()
        with self._transaction("read callers' languages", reading=True) as conn:
            rows = conn.execute(_languages_statement(since is not None),
                                {"since": since, "limit": limit}).all()
        return [Remembered(row.number_key, row.language, row.updated_at) for row in rows]

    def write_callers(self, chosen: list[Remembered]) -> None:
        """Callers' choices, for their next call (the language memory's writer thread): a
        choice older than the one stored changes nothing."""
        self._check_file()
        lock = _writers_of(self._file) if self._file is not None else None
        if lock is not None and not lock.acquire(timeout=STORE_SECONDS):
            raise StoreError("could not remember callers' languages: the database is busy")
        try:
            with self._transaction("remember callers' languages", durable=False) as conn:
                conn.execute(_callers_statement(self.dialect), [
                    {"v_number_key": c.key, "v_language": c.language, "v_updated_at": c.at}
                    for c in chosen])
        finally:
            if lock is not None:
                lock.release()

    def take(self, key: str, kind: str, limit: int, per: timedelta) -> bool:
        """Use one of a number's ``limit`` per ``per``; False when none is left. One
        statement: exact however many take at once."""
        now = _now()

        def count() -> int:
            with self._transaction("count a text", durable=False) as conn:
                used: int = conn.execute(_take_statement(self.dialect), {
                    "key": key, "kind": kind, "now": now, "per_cutoff": now - per,
                    "clock_back": now + CLOCK_SLACK}).scalar_one()
            return used
        return self._within("count a text", count) <= limit

    def ping(self, seconds: float = STORE_SECONDS) -> None:
        """Raise StoreError unless the database takes a durable write (for /healthz): a
        database that can be read but not written loses opt-outs."""
        def probe() -> None:
            with self._transaction("write to the database") as conn:
                conn.execute(_upsert_statement(self.dialect, "health_probe", ("name",),
                                               ("at",)), {"v_name": "healthz", "v_at": _now()})
        self._within("write to the database", probe, seconds)

    # ------------------------------------------------------------------- machinery

    def _within(self, doing: str, work: Callable[[], T], seconds: float = STORE_SECONDS,
                writing: bool = True) -> T:
        self._check_file()
        if self._file is None or not writing:
            return within(seconds, doing, work)
        lock = _writers_of(self._file)

        def one_writer_at_a_time() -> T:
            # SQLite lets one writer in at a time and wakes waiters late: this process's
            # threads queue here, fairly, and only processes meet at SQLite's lock.
            if not lock.acquire(timeout=seconds):
                raise StoreError(f"could not {doing}: the database is busy")
            try:
                return work()
            finally:
                lock.release()
        return within(seconds, doing, one_writer_at_a_time)

    def _check_file(self) -> None:
        """A SQLite file deleted or replaced under the running line: refuse, never write
        on into the old file (lost at the next start) or a new empty one."""
        if self._file is None:
            return
        try:
            found = os.stat(self._file)
        except OSError:
            raise StoreError("the SQLite database file is missing (deleted while the line "
                             "ran?); restore it and restart the line") from None
        identity = (found.st_dev, found.st_ino)
        if self._identity is None:
            self._identity = identity
        elif identity != self._identity:
            raise StoreError("the SQLite database file was replaced while the line ran; "
                             "restart the line to use the new one")

    def _claim(self, conn: sa.Connection, message: str) -> bool:
        insert = upsert(self.dialect, handled_messages).values(
            message_key=sa.bindparam("m"), at=sa.bindparam("at"))
        claimed = insert.on_conflict_do_nothing().returning(handled_messages.c.message_key)
        return conn.execute(claimed, {"m": message, "at": _now()}).first() is not None

    def _transaction(self, doing: str, durable: bool = True, reading: bool = False):
        """A transaction; ``durable=False`` for counters a crash may lose (never an opt-out),
        ``reading=True`` for one that only reads (SQLite: no write lock)."""
        if durable and not reading:
            return Transaction(self.engine, doing)
        key = (id(self.engine), durable, reading)  # tests swap the engine
        engine = self._variants.get(key)
        if engine is None:
            engine = self._variants[key] = self.engine.execution_options(
                voiceline_durable=durable, voiceline_reading=reading)
        return Transaction(engine, doing)

    def _locked(self, conn, table: sa.Table, key: dict, defaults: dict):
        """The row at ``key``, created if missing, locked until the transaction ends."""
        insert, select = _lock_statements(self.dialect, table.name, tuple(key), tuple(defaults))
        conn.execute(insert, {f"v_{name}": value for name, value in {**key, **defaults}.items()})
        return conn.execute(select, {f"k_{name}": value for name, value in key.items()}).one()


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


def _writers_of(path: str) -> threading.Lock:
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(path, threading.Lock())


# Statements are built once and run with parameters: building one costs more than running
# it on SQLite.

def _where_key(table: sa.Table, names: tuple[str, ...]):
    return sa.and_(*(table.c[name] == sa.bindparam(f"k_{name}") for name in names))


SELECT_TEXTER = sa.select(texters.c.opted_out, texters.c.language).where(
    _where_key(texters, ("number_key",)))

_MOMENTS = ("now", "per_cutoff", "window_cutoff", "silence_until", "clock_back")
_EXPIRED = ("(g.window_start IS NULL OR g.window_start <= :per_cutoff "
            "OR g.window_start > :clock_back)")
_SAME = "(g.digest = :digest AND COALESCE(g.last_at > :window_cutoff, FALSE))"
_MUTED = "COALESCE(g.muted_until > :now, FALSE)"


@functools.cache
def _admission_statement(dialect: str, guarded: bool):
    """One text counted: the loop guard (when ``guarded``) and the hourly allowance, as
    ``guards.admit`` counts them, in one upsert that returns the new counts. Every SET
    expression sees the row as it was before, under the row's lock."""
    if guarded:
        text = f"""
        INSERT INTO text_guard AS g (number_key, digest, repeats, last_at, muted_until,
                                     window_start, used)
        VALUES (:key, :digest, 1, :now, NULL, :now, 1)
        ON CONFLICT (number_key) DO UPDATE SET
          digest = :digest,
          repeats = CASE WHEN {_SAME} THEN g.repeats + 1 ELSE 1 END,
          last_at = :now,
          muted_until = CASE WHEN {_MUTED} AND {_SAME} THEN :silence_until
                             WHEN {_MUTED} THEN g.muted_until
                             WHEN {_SAME} AND g.repeats + 1 >= :loop_repeats THEN :silence_until
                             ELSE NULL END,
          window_start = CASE WHEN {_EXPIRED} THEN :now ELSE g.window_start END,
          used = CASE WHEN {_EXPIRED} THEN 0 ELSE g.used END
                 + CASE WHEN {_MUTED} OR {_SAME} THEN 0 ELSE 1 END
        RETURNING repeats, muted_until, used"""
    else:  # START, or a line without the loop guard: the allowance only
        text = f"""
        INSERT INTO text_guard AS g (number_key, digest, repeats, window_start, used)
        VALUES (:key, '', 0, :now, 1)
        ON CONFLICT (number_key) DO UPDATE SET
          window_start = CASE WHEN {_EXPIRED} THEN :now ELSE g.window_start END,
          used = CASE WHEN {_EXPIRED} THEN 1 ELSE g.used + 1 END
        RETURNING 1 AS repeats, muted_until, used"""
    moment = sa.DateTime(timezone=True)
    names = [n for n in _MOMENTS if f":{n}" in text]
    return sa.text(text).bindparams(*(sa.bindparam(n, type_=moment) for n in names)).columns(
        sa.column("repeats", sa.Integer), sa.column("muted_until", moment),
        sa.column("used", sa.Integer))


@functools.cache
def _take_statement(dialect: str):
    """One use of an allowance (``take``), counted in one upsert returning the count."""
    moment = sa.DateTime(timezone=True)
    expired = _EXPIRED.replace("g.", "a.")
    return sa.text(f"""
        INSERT INTO allowances AS a (number_key, kind, window_start, used)
        VALUES (:key, :kind, :now, 1)
        ON CONFLICT (number_key, kind) DO UPDATE SET
          window_start = CASE WHEN {expired} THEN :now ELSE a.window_start END,
          used = CASE WHEN {expired} THEN 1 ELSE a.used + 1 END
        RETURNING used""").bindparams(*(sa.bindparam(name, type_=moment)
                                        for name in ("now", "per_cutoff", "clock_back")))


@functools.cache
def _languages_statement(since: bool):
    """Texters' and callers' languages, newest first (changed after :since, if ``since``)."""
    moment = sa.DateTime(timezone=True)
    parts = []
    for table in (texters, callers):
        where: list[sa.ColumnElement[bool]] = [table.c.language.is_not(None)]
        if since:
            where.append(table.c.updated_at > sa.bindparam("since", type_=moment))
        parts.append(sa.select(table.c.number_key, table.c.language, table.c.updated_at)
                     .where(*where))
    both = sa.union_all(*parts).subquery()
    return sa.select(both).order_by(both.c.updated_at.desc()).limit(sa.bindparam("limit"))


@functools.cache
def _callers_statement(dialect: str):
    insert = upsert(dialect, callers).values(
        {name: sa.bindparam(f"v_{name}") for name in ("number_key", "language", "updated_at")})
    return insert.on_conflict_do_update(
        index_elements=["number_key"],
        set_={"language": insert.excluded.language, "updated_at": insert.excluded.updated_at},
        where=callers.c.updated_at <= insert.excluded.updated_at)


@functools.cache
def _upsert_statement(dialect: str, table_name: str, key: tuple[str, ...],
                      names: tuple[str, ...]):
    table = metadata.tables[table_name]
    insert = upsert(dialect, table).values(
        {name: sa.bindparam(f"v_{name}") for name in (*key, *names)})
    return insert.on_conflict_do_update(index_elements=list(key),
                                        set_={name: insert.excluded[name] for name in names})


@functools.cache
def _lock_statements(dialect: str, table_name: str, key: tuple[str, ...],
                     defaults: tuple[str, ...]):
    table = metadata.tables[table_name]
    insert = upsert(dialect, table).values(
        {name: sa.bindparam(f"v_{name}") for name in (*key, *defaults)}).on_conflict_do_nothing()
    select = sa.select(table).where(_where_key(table, key))
    return insert, select.with_for_update() if dialect == "postgresql" else select


@functools.cache
def _update_statement(table_name: str, key: tuple[str, ...], names: tuple[str, ...]):
    table = metadata.tables[table_name]
    return sa.update(table).where(_where_key(table, key)).values(
        {name: sa.bindparam(f"s_{name}") for name in names})


def _update(conn, table: sa.Table, key: dict, **values) -> None:
    conn.execute(_update_statement(table.name, tuple(key), tuple(values)),
                 {**{f"k_{name}": value for name, value in key.items()},
                  **{f"s_{name}": value for name, value in values.items()}})


# ------------------------------------------------------------------------- memory fake

class MemoryStore:
    """An in-memory store with SqlStore's interface, for tests. ``broken`` makes it fail."""

    def __init__(self):
        self.rows: dict[str, Texter] = {}
        self.allowances: dict[tuple[str, str], Allowance] = {}
        self.guards: dict[str, Guard] = {}
        self.versions: dict[str, int] = {}
        self.handled: set[str] = set()
        self.broken = False
        self.operators: dict[str, str] = {}
        self.unwritable = False  # reads work, writes fail (a read-only database)
        self.callers: dict[str, tuple[str, datetime]] = {}  # callers' languages, and when
        self.changed: dict[str, datetime] = {}  # a texter's updated_at
        self._languages = LanguageMemory(self)
        self._lock = threading.Lock()

    def _check(self) -> None:
        if self.broken:
            raise StoreError("the memory store is broken on purpose")

    def _check_write(self) -> None:
        self._check()
        if self.unwritable:
            raise StoreError("the memory store is read-only on purpose")

    def texter(self, key: str, seconds: float = STORE_SECONDS) -> Texter | None:
        self._check()
        found = self.rows.get(key)
        if found is not None and found.language:
            self._languages.heard(key, found.language)
        return found

    def admit_text(self, key: str, digest: str | None, limit: int, per: timedelta
                   ) -> Admission:
        self._check_write()
        with self._lock:
            texter = self.rows.get(key)
            guard, allowance, verdict = admit(
                texter, self.guards.get(key, Guard()),
                self.allowances.get((key, SMS_REPLY), Allowance()), digest, limit, per,
                _now())
            if verdict != Verdict.OPTED_OUT:
                self.guards[key], self.allowances[(key, SMS_REPLY)] = guard, allowance
            return Admission(texter, verdict)

    def set_opted_out(self, key: str, opted_out: bool, message: str | None = None
                      ) -> int | None:
        self._check_write()
        with self._lock:
            if message is not None:
                if message in self.handled:
                    return None
                self.handled.add(message)
            old = self.rows.get(key, Texter())
            self.rows[key] = Texter(opted_out, old.language)
            self.changed[key] = _now()
            self.versions[key] = self.versions.get(key, 0) + 1
            return self.versions[key]

    def claim_message(self, message: str) -> bool:
        self._check_write()
        with self._lock:
            first = message not in self.handled
            self.handled.add(message)
            return first

    def set_language(self, key: str, language: str) -> None:
        self._check_write()
        with self._lock:
            old = self.rows.get(key, Texter())
            self.rows[key] = Texter(old.opted_out, language)
            self.changed[key] = _now()
        self._languages.heard(key, language, self.changed[key])

    def languages_since(self, since: datetime | None, limit: int) -> list[Remembered]:
        self._check()
        with self._lock:
            found = [Remembered(k, t.language, self.changed.get(k, _now()))
                     for k, t in self.rows.items() if t.language]
            found += [Remembered(k, language, at) for k, (language, at) in self.callers.items()]
        found = [r for r in found if since is None or r.at > since]
        return sorted(found, key=lambda r: r.at, reverse=True)[:limit]

    def write_callers(self, chosen: list[Remembered]) -> None:
        self._check_write()
        with self._lock:
            for c in chosen:
                if c.key not in self.callers or self.callers[c.key][1] <= c.at:
                    self.callers[c.key] = (c.language, c.at)

    def take(self, key: str, kind: str, limit: int, per: timedelta) -> bool:
        self._check_write()
        with self._lock:
            row = self.allowances.get((key, kind), Allowance())
            self.allowances[(key, kind)], allowed = use_allowance(row, limit, per, _now())
            return allowed

    def ping(self, seconds: float = STORE_SECONDS) -> None:
        self._check_write()

    def upgrade(self) -> bool:
        return False  # nothing to create: the memory store has no schema

    def describe(self) -> str:
        return "memory"

    def event_log(self, retention_days: int) -> EventLog:
        return MemoryEventLog()

    def language_memory(self, refresh_seconds: float) -> LanguageMemory:
        self._languages.refresh_seconds = refresh_seconds
        return self._languages

    def flush(self, timeout: float = 5.0) -> bool:
        return True

    def close(self) -> None:
        self._languages.close()

    def operator_hash(self, name: str) -> str | None:
        self._check()
        return self.operators.get(name)

    def set_operator(self, name: str, password_hash: str) -> None:
        self._check()
        self.operators[name] = password_hash

    def remove_operator(self, name: str) -> bool:
        self._check()
        return self.operators.pop(name, None) is not None

    def operator_names(self) -> list[str]:
        self._check()
        return sorted(self.operators)
