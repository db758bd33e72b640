"""The store: what the line remembers per phone number, keyed by a hash, on any instance.

A phone number never reaches the database: ``number_key`` turns it into an HMAC-SHA256
with a secret setting. Per number the line keeps the opt-out and language (``texters``),
how many texts it sent in the current hour (``allowances``) and a loop guard
(``text_guard``: a short keyed digest of the last text, never the text). The rules that
decide with them are in ``guards``.

``SqlStore`` runs on SQLite or PostgreSQL through SQLAlchemy Core (engine set-up in
``sql``). Opt-outs and languages change with the number's row locked (PostgreSQL:
``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE``) and are committed durably before
any reply, so concurrent webhooks for one number apply one after the other and the last
committed wins whole. A text's admission is one read; its new loop-guard and allowance
counts are written in the background (``DeferredCounts``). ``MemoryStore`` is the
in-memory fake with the same interface, for tests. The schema is made by the migrations
(``voiceline db upgrade``); a SQLite database is upgraded when the app starts.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..engine.guards import (
    OPTED_OUT,
    Admission,
    Allowance,
    Guard,
    Texter,
    admit,
    latest_counts,
    use_allowance,
)
from ..errors import StoreError
from .background import BackgroundWriter
from .events import EventLog, MemoryEventLog, SqlEventLog
from .schema import allowances, line_secrets, metadata, operators, text_guard, texters
from .sql import STORE_ERRORS, Transaction, make_engine

log = logging.getLogger(__name__)
SMS_REPLY = "sms_reply"  # the allowance of replies to texts (per number, per hour)
RECENT_SECONDS = 10.0  # how long a process trusts its own counts over the database's


class Store(Protocol):
    """Everything the line asks of its memory; ``SqlStore`` and ``MemoryStore`` have it."""

    def texter(self, key: str) -> Texter | None: ...
    def admit_text(self, key: str, digest: str | None, limit: int, per: timedelta
                   ) -> Admission: ...
    def set_opted_out(self, key: str, opted_out: bool) -> int: ...
    def set_language(self, key: str, language: str) -> None: ...
    def take(self, key: str, kind: str, limit: int, per: timedelta) -> bool: ...
    def hash_secret(self) -> str: ...
    def ping(self) -> None: ...
    def upgrade(self) -> bool: ...
    def describe(self) -> str: ...
    def event_log(self, retention_days: int) -> EventLog: ...
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


def text_digest(secret: str, body: str) -> str:
    """A short keyed digest that tells identical texts apart without keeping them."""
    return hmac.new(secret.encode(), b"text:" + body.encode(), hashlib.sha256).hexdigest()[:16]


def _now() -> datetime:
    return datetime.now(UTC)


# -------------------------------------------------------------------------- SQL store

class SqlStore:
    """The store on a relational database (SQLite or PostgreSQL)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._variants: dict[tuple[int, bool, bool], sa.Engine] = {}
        self._secret: str | None = None
        self._recent: dict[str, tuple[float, Guard, Allowance]] = {}
        self.counts = DeferredCounts(self)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> bool:
        """Create or migrate the schema to the newest version (``voiceline db upgrade``)."""
        from .migrations import upgrade

        upgrade(self.engine)
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

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the guards' deferred counts are written."""
        return self.counts.flush(timeout)

    def close(self) -> None:
        """Write what is waiting and close the database connections."""
        self.counts.flush(timeout=5)
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

    def texter(self, key: str) -> Texter | None:
        with self._transaction("read a texter") as conn:
            row = conn.execute(SELECT_TEXTER, {"k_number_key": key}).first()
        return Texter(bool(row.opted_out), row.language) if row else None

    def admit_text(self, key: str, digest: str | None, limit: int, per: timedelta
                   ) -> Admission:
        """One read per text (opt-out, loop guard, hourly allowance); the new counts are
        written in the background (``DeferredCounts``), the opt-out is never guessed."""
        with self._transaction("read a texter", reading=True) as conn:
            row = conn.execute(SELECT_ADMISSION, {"k_number_key": key}).one()
        texter = Texter(bool(row.opted_out), row.language) if row.opted_out is not None else None
        if texter is not None and texter.opted_out:
            return Admission(texter, OPTED_OUT)
        stored = (Guard(row.digest or "", row.repeats or 0, row.last_at, row.muted_until),
                  Allowance(row.window_start, row.used or 0))
        guard, allowance = latest_counts(stored, self._recent_counts(key))
        guard, allowance, verdict = admit(texter, guard, allowance, digest, limit, per, _now())
        self._remember(key, guard, allowance)
        self.counts.put((key, guard, allowance))
        return Admission(texter, verdict)

    def _recent_counts(self, key: str) -> tuple[Guard, Allowance] | None:
        entry = self._recent.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1], entry[2]

    def _remember(self, key: str, guard: Guard, allowance: Allowance) -> None:
        now = time.monotonic()
        if len(self._recent) >= 10_000:  # a flood of numbers: keep only the fresh ones
            # list(): a copy taken at once, safe beside threads of the development server
            self._recent = {k: e for k, e in list(self._recent.items()) if e[0] >= now}
        self._recent[key] = (now + RECENT_SECONDS, guard, allowance)

    def set_opted_out(self, key: str, opted_out: bool) -> int:
        """Record an opt-out (or opt-in); returns the change's number (last one highest)."""
        with self._transaction("record an opt-out") as conn:
            row = self._locked(conn, texters, {"number_key": key},
                               {"opted_out": False, "updated_at": _now(), "opt_version": 0})
            version = row.opt_version + 1
            _update(conn, texters, {"number_key": key}, opted_out=opted_out,
                    opt_version=version, updated_at=_now())
        return version

    def set_language(self, key: str, language: str) -> None:
        with self._transaction("record a language") as conn:
            self._locked(conn, texters, {"number_key": key},
                         {"opted_out": False, "updated_at": _now(), "opt_version": 0})
            _update(conn, texters, {"number_key": key}, language=language,
                    updated_at=_now())

    def take(self, key: str, kind: str, limit: int, per: timedelta) -> bool:
        """Use one of a number's ``limit`` per ``per``; False when none is left."""
        where = {"number_key": key, "kind": kind}
        with self._transaction("count a text", durable=False) as conn:
            row = self._locked(conn, allowances, where, {"used": 0})
            new, allowed = use_allowance(Allowance(row.window_start, row.used), limit, per,
                                         _now())
            _update(conn, allowances, where, window_start=new.window_start, used=new.used)
        return allowed

    def hash_secret(self) -> str:
        """A secret generated once and kept in the database, used when none is configured."""
        if self._secret is None:
            with self._transaction("read the hash secret") as conn:
                self._locked(conn, line_secrets, {"name": "hash"},
                             {"value": secrets.token_hex(32)})
                self._secret = conn.execute(sa.select(line_secrets.c.value).where(
                    line_secrets.c.name == "hash")).scalar_one()
        return self._secret

    def ping(self) -> None:
        """Raise StoreError unless the database answers ``SELECT 1`` (for /healthz). On the
        raw connection: a transaction here would BEGIN IMMEDIATE (take SQLite's write lock)."""
        try:
            connection = self.engine.raw_connection()
            try:
                connection.cursor().execute("SELECT 1")
            finally:
                connection.close()
        except (*STORE_ERRORS, self.engine.dialect.loaded_dbapi.Error) as exc:
            raise StoreError(f"could not reach the database: {type(exc).__name__}") from None

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


# Statements are built once and run with parameters: building one costs more than running
# it on SQLite, and a text runs seven of them.

def _where_key(table: sa.Table, names: tuple[str, ...]):
    return sa.and_(*(table.c[name] == sa.bindparam(f"k_{name}") for name in names))


SELECT_TEXTER = sa.select(texters.c.opted_out, texters.c.language).where(
    _where_key(texters, ("number_key",)))

_asked = sa.select(sa.bindparam("k_number_key", type_=sa.String).label("number_key")).subquery()
# Everything a text's admission reads, in one statement (a row of NULLs for a new number).
SELECT_ADMISSION = sa.select(
    texters.c.opted_out, texters.c.language, text_guard.c.digest, text_guard.c.repeats,
    text_guard.c.last_at, text_guard.c.muted_until, allowances.c.window_start,
    allowances.c.used,
).select_from(
    _asked.outerjoin(texters, texters.c.number_key == _asked.c.number_key)
    .outerjoin(text_guard, text_guard.c.number_key == _asked.c.number_key)
    .outerjoin(allowances, sa.and_(allowances.c.number_key == _asked.c.number_key,
                                   allowances.c.kind == SMS_REPLY)))


@functools.cache
def _upsert_statement(dialect: str, table_name: str, key: tuple[str, ...],
                      names: tuple[str, ...]):
    table = metadata.tables[table_name]
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(
        {name: sa.bindparam(f"v_{name}") for name in (*key, *names)})
    return insert.on_conflict_do_update(index_elements=list(key),
                                        set_={name: insert.excluded[name] for name in names})


class DeferredCounts(BackgroundWriter):
    """The SMS guards' new counts (loop guard, hourly replies), written off the hot path.

    A text's admission reads the counts and decides at once; the new counts are written by
    a background thread within about a second (``background.LINGER``), the latest per
    number winning. Until then this process remembers them itself (``SqlStore._recent``),
    so its own next text from that number sees them; another instance sees them once
    written. Opt-outs are never deferred: they are committed before any reply.
    """

    what = "SMS guard counts"

    def __init__(self, store: SqlStore):
        self.store = store
        super().__init__()

    def write_batch(self, batch: list[tuple[str, Guard, Allowance]]) -> None:
        latest = {key: (guard, allowance) for key, guard, allowance in batch}
        dialect = self.store.dialect
        guards = [{"v_number_key": key, "v_digest": g.digest, "v_repeats": g.repeats,
                   "v_last_at": g.last_at, "v_muted_until": g.muted_until}
                  for key, (g, _) in latest.items()]
        counts = [{"v_number_key": key, "v_kind": SMS_REPLY, "v_window_start": a.window_start,
                   "v_used": a.used} for key, (_, a) in latest.items()]
        with self.store._transaction("write SMS guard counts", durable=False) as conn:
            conn.execute(_upsert_statement(dialect, "text_guard", ("number_key",), (
                "digest", "repeats", "last_at", "muted_until")), guards)
            conn.execute(_upsert_statement(dialect, "allowances", ("number_key", "kind"),
                                           ("window_start", "used")), counts)


@functools.cache
def _lock_statements(dialect: str, table_name: str, key: tuple[str, ...],
                     defaults: tuple[str, ...]):
    table = metadata.tables[table_name]
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(
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
        self.broken = False
        self.operators: dict[str, str] = {}
        self._secret = secrets.token_hex(32)
        self._lock = threading.Lock()

    def _check(self) -> None:
        if self.broken:
            raise StoreError("the memory store is broken on purpose")

    def texter(self, key: str) -> Texter | None:
        self._check()
        return self.rows.get(key)

    def admit_text(self, key: str, digest: str | None, limit: int, per: timedelta
                   ) -> Admission:
        self._check()
        with self._lock:
            texter = self.rows.get(key)
            guard, allowance, verdict = admit(
                texter, self.guards.get(key, Guard()),
                self.allowances.get((key, SMS_REPLY), Allowance()), digest, limit, per,
                _now())
            if verdict != OPTED_OUT:
                self.guards[key], self.allowances[(key, SMS_REPLY)] = guard, allowance
            return Admission(texter, verdict)

    def set_opted_out(self, key: str, opted_out: bool) -> int:
        self._check()
        with self._lock:
            old = self.rows.get(key, Texter())
            self.rows[key] = Texter(opted_out, old.language)
            self.versions[key] = self.versions.get(key, 0) + 1
            return self.versions[key]

    def set_language(self, key: str, language: str) -> None:
        self._check()
        with self._lock:
            old = self.rows.get(key, Texter())
            self.rows[key] = Texter(old.opted_out, language)

    def take(self, key: str, kind: str, limit: int, per: timedelta) -> bool:
        self._check()
        with self._lock:
            row = self.allowances.get((key, kind), Allowance())
            self.allowances[(key, kind)], allowed = use_allowance(row, limit, per, _now())
            return allowed

    def hash_secret(self) -> str:
        self._check()
        return self._secret

    def ping(self) -> None:
        self._check()

    def upgrade(self) -> bool:
        return False  # nothing to create: the memory store has no schema

    def describe(self) -> str:
        return "memory"

    def event_log(self, retention_days: int) -> EventLog:
        return MemoryEventLog()

    def flush(self, timeout: float = 5.0) -> bool:
        return True

    def close(self) -> None:
        pass

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
