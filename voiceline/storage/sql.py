"""The store's engine: SQLite and PostgreSQL set up so that opt-outs are safe and counters
are cheap, and transactions whose failures say what could not be done (never with the
statement's parameters, which hold number hashes).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError

STORE_ERRORS = (SQLAlchemyError, OSError)


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``, SQLite or PostgreSQL, with the line's transaction rules."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 5})
        _immediate_transactions(engine)
    else:
        # Short timeouts: a webhook waiting on a dead database must still answer Twilio.
        engine = sa.create_engine(url, pool_pre_ping=True, pool_timeout=3, connect_args={
            "connect_timeout": 3, "options": "-c statement_timeout=5000 -c lock_timeout=3000"})
    _durability(engine)
    return engine


class Transaction:
    """``engine.begin()`` that turns any database failure into a StoreError naming the act."""

    def __init__(self, engine: sa.Engine, doing: str):
        self.engine, self.doing = engine, doing
        self.context: AbstractContextManager[sa.Connection] | None = None

    def __enter__(self) -> sa.Connection:
        try:
            self.context = self.engine.begin()
            return self.context.__enter__()
        except STORE_ERRORS as exc:
            raise StoreError(f"could not {self.doing}: {type(exc).__name__}") from None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> Literal[False]:
        try:
            if self.context is not None:
                self.context.__exit__(kind, exc, traceback)
        except STORE_ERRORS as error:
            raise StoreError(f"could not {self.doing}: {type(error).__name__}") from None
        if isinstance(exc, STORE_ERRORS):
            # Only the error's type: its text may quote the statement's parameters.
            raise StoreError(f"could not {self.doing}: {type(exc).__name__}") from None
        return False


def _immediate_transactions(engine: sa.Engine) -> None:
    """SQLite: every transaction takes the write lock at its start (``BEGIN IMMEDIATE``).

    Writers then queue on the busy timeout instead of failing when two transactions that
    read first both try to write, and migrations run one process at a time.
    """
    @sa.event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(conn):
        # Before BEGIN: SQLite refuses to change it inside a transaction.
        level = "FULL" if _is_durable(conn) else "NORMAL"
        if conn.connection.info.get("synchronous") != level:
            conn.exec_driver_sql(f"PRAGMA synchronous = {level}")
            conn.connection.info["synchronous"] = level
        if not conn.get_execution_options().get("voiceline_reading", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        # else a single SELECT, its own transaction: WAL gives it a consistent snapshot


def _durability(engine: sa.Engine) -> None:
    """Opt-outs are flushed to disk before their commit returns; counters need not be.

    SQLite runs in WAL mode (readers never wait for the writer), syncing the log on every
    durable commit (``synchronous = FULL``) and leaving counters to the OS (``NORMAL``:
    safe if the line crashes, may lose the last counts if the machine loses power).
    PostgreSQL commits counters with ``synchronous_commit = off`` (the same trade).
    """
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _write_ahead_log(dbapi_connection, record):
            dbapi_connection.execute("PRAGMA journal_mode = WAL")
        return

    @sa.event.listens_for(engine, "begin")
    def _relax_counters(conn):
        if not _is_durable(conn):
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")


def _is_durable(conn) -> bool:
    return conn.get_execution_options().get("voiceline_durable", True)
