"""The store's engine: SQLite and PostgreSQL set up so that opt-outs are safe, counters
are cheap and no request waits long on a database that hangs, and transactions whose
failures say what could not be done (never with the statement's parameters, which hold
number hashes).

Every engine has short timeouts: connecting (2 s, libpq's least), a statement and a lock
(PostgreSQL ``statement_timeout``/``lock_timeout``; SQLite's busy timeout), a free pooled
connection (1 s). A server that hangs (stopped, or its disk stalled) enforces none of its
own timeouts, so the store also runs each piece of work through ``within``: the request
stops waiting after ``STORE_SECONDS`` whatever the database does.
"""

from __future__ import annotations

import importlib
import os
import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

STORE_ERRORS = (SQLAlchemyError, OSError)
STORE_SECONDS = 1.5  # the longest a request waits on the database, whatever it does
LOCK_SECONDS = 1.0
T = TypeVar("T")


def upsert(dialect: str, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT for ``table``, which has ON CONFLICT (PostgreSQL's, else
    SQLite's). Only the dialect in use is loaded: PostgreSQL's costs a SQLite line 2 MB."""
    name = "postgresql" if dialect == "postgresql" else "sqlite"
    return importlib.import_module(f"sqlalchemy.dialects.{name}").insert(table)


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``, SQLite or PostgreSQL, with the line's transaction rules."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, pool_timeout=1,
                                  connect_args={"timeout": LOCK_SECONDS})
        _immediate_transactions(engine)
    else:
        statement_ms, lock_ms = int(STORE_SECONDS * 1000), int(LOCK_SECONDS * 1000)
        engine = sa.create_engine(url, pool_pre_ping=True, pool_timeout=1, connect_args={
            "connect_timeout": 2, "options": f"-c statement_timeout={statement_ms} "
            f"-c lock_timeout={lock_ms} -c idle_in_transaction_session_timeout=5000",
            # A peer that vanished is noticed by the kernel, not in two hours.
            "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
            "keepalives_count": 2, "tcp_user_timeout": 5000})
    _durability(engine)
    return engine


def within(seconds: float, doing: str, work: Callable[[], T]) -> T:
    """``work()``, or StoreError once ``seconds`` pass. The work goes on in a thread of this
    process; work that waited its whole time in the queue is not started at all."""
    queued = time.monotonic()

    def run() -> T:
        if time.monotonic() - queued > seconds:
            raise StoreError(f"could not {doing}: no time left")
        return work()

    job = _Job(run)
    _runner().put(job)
    if not job.done.wait(seconds):
        raise StoreError(f"could not {doing}: the database did not answer within "
                         f"{seconds:g} s")
    if job.error is not None:
        raise job.error
    return job.result  # type: ignore[return-value]


class _Job:
    def __init__(self, run: Callable[[], object]):
        self.run, self.done = run, threading.Event()
        self.result: object = None
        self.error: BaseException | None = None


RUNNERS = 16  # threads per process; a hung database holds at most the pool's connections
_jobs: tuple[int, queue.Queue[_Job]] | None = None
_jobs_lock = threading.Lock()


def _runner() -> queue.Queue[_Job]:
    """The queue of this process's database threads (made again after a fork). Daemon
    threads: a worker that exits never waits for a database that hangs."""
    global _jobs
    with _jobs_lock:
        if _jobs is None or _jobs[0] != os.getpid():
            jobs: queue.Queue[_Job] = queue.Queue()
            for number in range(RUNNERS):
                threading.Thread(target=_serve, args=(jobs,), daemon=True,
                                 name=f"voiceline-db-{number}").start()
            _jobs = (os.getpid(), jobs)
        return _jobs[1]


def _serve(jobs: queue.Queue[_Job]) -> None:
    while True:
        job = jobs.get()
        try:
            job.result = job.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
            job.error = exc
        finally:
            job.done.set()


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
        # else a single SELECT, its own transaction: atomic without a write lock


def _durability(engine: sa.Engine) -> None:
    """Opt-outs are flushed to disk before their commit returns; counters need not be.

    SQLite keeps a rollback journal, not a write-ahead log: WAL's ``-shm`` file is mapped
    into memory, and a worker whose mapped file cannot be written dies of SIGBUS. Durable
    commits sync the disk (``synchronous = FULL``); counters are left to the OS
    (``NORMAL``: safe if the line crashes, may lose the last counts if the machine loses
    power). PostgreSQL commits counters with ``synchronous_commit = off`` (the same trade).
    """
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _rollback_journal(dbapi_connection, record):
            dbapi_connection.execute("PRAGMA journal_mode = DELETE")
        return

    @sa.event.listens_for(engine, "begin")
    def _relax_counters(conn):
        if not _is_durable(conn):
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")


def _is_durable(conn) -> bool:
    return conn.get_execution_options().get("voiceline_durable", True)
