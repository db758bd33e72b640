"""Returning callers' languages, remembered in each process: a call never waits for them.

A caller who chose Spanish is greeted in Spanish the next time (and still offered
English). A call must not wait on the database, not even for a bounded time, so each
process keeps ``LanguageMemory``: number key -> language, for the ``SIZE`` keys used most
recently, looked up with a dictionary read. It is filled

- by the calls this process answers (``chosen``: the language a caller picked, also
  written to ``callers`` by a background writer that no call waits for);
- by the texts it answers (``heard``: the store reports the texters' languages it reads
  and sets);
- by a thread of its own that reads the database: first the ``SIZE`` newest languages of
  texters and callers, then every ``refresh_seconds`` the rows changed since (less
  ``OVERLAP``, for a row committed late or a clock a little behind), so a choice made on
  another worker or instance arrives within that time.

Each entry keeps when its language was chosen: news older than what is known changes
nothing. The thread is started by ``start`` (the app does, as it is made: in each gunicorn
worker, so the memory is loaded before the worker's first call) or by the first lookup in
a process that has none (a worker forked from a process that had one), and ends when the
memory is closed or dropped. A database that is down is logged and tried again less and
less often; lookups go on answering from what is in memory. Only keyed hashes are kept,
never a number, and nothing here logs a key.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from .background import BackgroundWriter

log = logging.getLogger(__name__)

SIZE = 100_000  # keys per process: about 20 MB when full
REFRESH_SECONDS = 10.0
OVERLAP = timedelta(seconds=60)
CHUNK = 1000  # rows applied per turn of the lock: a lookup never waits behind a whole load
MAX_BACKOFF = 60.0


class Remembered(NamedTuple):
    """A language chosen for a number key, and when."""

    key: str
    language: str
    at: datetime


class LanguageSource(Protocol):
    """Where the memory reads and writes languages: the store (``SqlStore``, ``MemoryStore``)."""

    def languages_since(self, since: datetime | None, limit: int) -> list[Remembered]: ...
    def write_callers(self, chosen: list[Remembered]) -> None: ...


class LanguageMemory:
    """Number key -> language, in this process; ``known`` never touches the database."""

    def __init__(self, source: LanguageSource | None = None,
                 refresh_seconds: float = REFRESH_SECONDS, size: int = SIZE):
        self.source = source
        self.refresh_seconds = refresh_seconds  # 0: read the database once, at start
        self.size = size
        self._map: OrderedDict[int | str, tuple[str, float]] = OrderedDict()
        self._writer = CallerWriter(source) if source is not None else None
        self._closed = threading.Event()
        self._newest: datetime | None = None  # the newest change read from the database
        self._failures = 0
        self.loads = 0  # reads of the database that succeeded (tests wait on it)
        self._reset()

    def _reset(self) -> None:
        """No thread, a fresh lock: at start, and in a process forked from this one (the
        map is kept: what the parent knew is still true)."""
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ for requests

    def start(self) -> None:
        """Start reading the database in this process (a no-op if it does already)."""
        self._keep_fresh()

    def known(self, key: str) -> str | None:
        """The language remembered for ``key``, or None. A dictionary read."""
        self._keep_fresh()
        slot = _slot(key)
        with self._lock:
            found = self._map.get(slot)
            if found is None:
                return None
            self._map.move_to_end(slot)
        return found[0]

    def chosen(self, key: str, language: str) -> None:
        """A caller chose ``language``: remembered now, and written down for every process
        and instance (in the background: nothing waits)."""
        at = _now()
        self._note(_slot(key), language, at.timestamp())
        if self._writer is not None:
            self._writer.put(Remembered(key, language, at))
        self._keep_fresh()

    def heard(self, key: str, language: str, at: datetime | None = None) -> None:
        """The store read (``at`` None) or set (``at``) a texter's language. A read only
        fills a gap: what it says may be older than a choice this process knows."""
        if at is None:
            self._note(_slot(key), language, 0.0, fill=True)
        else:
            self._note(_slot(key), language, at.timestamp())

    def __len__(self) -> int:
        return len(self._map)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the choices made here are written (tests, shutdown)."""
        return self._writer.flush(timeout) if self._writer is not None else True

    def close(self) -> None:
        """Write what waits, then stop reading the database."""
        self.flush(timeout=2.0)
        self._closed.set()

    # -------------------------------------------------------------------- machinery

    def _note(self, slot: int | str, language: str, at: float, fill: bool = False) -> None:
        with self._lock:
            self._put(slot, language, at, fill)

    def _put(self, slot: int | str, language: str, at: float, fill: bool = False) -> None:
        """Under the lock. Codes are interned: 100,000 entries share two strings."""
        old = self._map.get(slot)
        if old is not None and (fill or at < old[1]):
            return
        self._map[slot] = (sys.intern(language), at)
        self._map.move_to_end(slot)
        while len(self._map) > self.size:
            self._map.popitem(last=False)

    def _keep_fresh(self) -> None:
        """Start the reading thread in this process if it is not running (cheap when it is)."""
        if self._pid != os.getpid():
            self._reset()
        if self._thread is not None or self.source is None or self._closed.is_set():
            return
        with self._starting:
            if self._thread is None:
                # The thread holds only a weak reference: a memory nobody uses any more
                # (an app a test dropped) is not kept alive by its own thread.
                self._thread = threading.Thread(
                    target=_read_on, args=(weakref.ref(self), self._closed), daemon=True,
                    name="voiceline-languages")
                self._thread.start()

    def _turn(self) -> float | None:
        """One read of the database (in the thread): the seconds until the next, or None
        when the thread should end."""
        if self._pid != os.getpid():
            return None
        assert self.source is not None
        since = self._newest - OVERLAP if self._newest is not None else None
        try:
            rows = self.source.languages_since(since, self.size)
        except Exception as exc:  # noqa: BLE001 - the thread must survive anything
            self._failures += 1
            wait = min(MAX_BACKOFF, max(self.refresh_seconds, 1.0) * 2 ** self._failures)
            if self._failures == 1 or self._failures % 20 == 0:
                # The type only: a database's message may quote a statement's parameters.
                log.warning("could not read callers' languages (%s, %d time(s) in a row); "
                            "calls are answered with the %d remembered here; trying again "
                            "in %.0f s", type(exc).__name__, self._failures, len(self), wait)
            return wait
        if self._failures:
            log.info("callers' languages are read again after %d failure(s)", self._failures)
        self._failures = 0
        self._apply(rows)
        self.loads += 1
        if self.refresh_seconds <= 0:
            self._thread = None
            return None
        return self.refresh_seconds

    def _apply(self, rows: list[Remembered]) -> None:
        """Rows come newest first; applied oldest first, so the newest is used most recently."""
        for start in range(len(rows), 0, -CHUNK):
            chunk = rows[max(0, start - CHUNK):start]
            with self._lock:
                for row in reversed(chunk):
                    self._put(_slot(row.key), row.language, _utc(row.at).timestamp())
        if rows:
            newest = max(_utc(row.at) for row in rows)
            self._newest = newest if self._newest is None else max(self._newest, newest)


def _read_on(ref: weakref.ref[LanguageMemory], closed: threading.Event) -> None:
    wait = 0.0
    while not closed.wait(wait):
        memory = ref()
        if memory is None:
            return
        turn = memory._turn()
        del memory  # not kept alive while this thread sleeps
        if turn is None:
            return
        wait = turn


class CallerWriter(BackgroundWriter):
    """Callers' choices written to ``callers`` by a background thread; ``put`` never waits."""

    what = "callers' language choices"

    def __init__(self, source: LanguageSource):
        self.source = source
        super().__init__()

    def write_batch(self, batch: list[Remembered]) -> None:
        last: dict[str, Remembered] = {}
        for chosen in batch:  # a caller who switched twice: the last choice
            last[chosen.key] = chosen
        # In key order, so two instances writing the same keys never deadlock.
        self.source.write_callers(sorted(last.values()))


def _slot(key: str) -> int | str:
    """A key's first 64 bits as a number: a third of the memory of the hex text. Two of
    100,000 callers share one with a chance of about 3 in 10 billion (and would only be
    greeted in each other's language, the other still offered)."""
    try:
        return int(key[:16], 16)
    except ValueError:
        return key


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    """SQLite gives back times without their zone: they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
