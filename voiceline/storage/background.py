"""Writing to the database behind the webhooks' backs: a queue and a thread per process.

A webhook must never wait for the disk, nor fail because the database does, for things
that can be a moment late: usage events.
``BackgroundWriter.put`` only puts an item on a bounded queue; a thread of this process
(started lazily, so it works after gunicorn forks its workers) waits ``LINGER`` for more,
then hands a whole batch to ``write_batch``: one commit per batch, not one per webhook.
When the queue is full or the database is down, items are dropped, counted and logged
(never with their content); nothing waits. ``flush`` waits until the queue is empty.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import weakref

log = logging.getLogger(__name__)

CAPACITY = 1000  # items waiting to be written, per process
BATCH = 200
# Items wait this long (seconds) to be written together, which keeps the writer's share
# of a busy worker's time small.
LINGER = 0.5
IDLE_EXIT = 5.0  # seconds: an idle thread ends; the next item starts another
MAX_BACKOFF = 30.0


class BackgroundWriter:
    """Items written in batches by a background thread; ``put`` never waits."""

    what = "items"  # for the log: "usage events dropped because..."

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self.written = self.dropped = 0
        self._backoff = 0.0
        self._reset()
        _WRITERS.add(self)

    def write_batch(self, batch: list) -> None:
        """Write ``batch`` to the database; raise on failure (the batch is then dropped)."""
        raise NotImplementedError

    def _reset(self) -> None:
        """A fresh queue and no thread: at start, and in a process forked from this one."""
        self._pid = os.getpid()
        self._queue: queue.Queue = queue.Queue(self.capacity)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._hurry = threading.Event()  # write now: a batch is full, or flush() waits
        self._pending = 0  # queued or being written

    def put(self, item) -> None:
        if self._pid != os.getpid():
            self._reset()
        with self._lock:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                self._drop(1, "the queue is full")
                return
            self._pending += 1
            if self._pending >= BATCH:
                self._hurry.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=f"voiceline-{type(self).__name__}")
                self._thread.start()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued item is written or dropped; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._pending:
            self._hurry.set()
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_EXIT)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            self._hurry.wait(LINGER)
            self._hurry.clear()
            batch = [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(batch)
            finally:
                with self._lock:
                    self._pending -= len(batch)
            if self._backoff:
                time.sleep(self._backoff)  # the database is down: let the queue absorb items

    def _write(self, batch: list) -> None:
        try:
            self.write_batch(batch)
        except Exception as exc:  # noqa: BLE001 - the writer thread must survive anything
            self._backoff = min(max(self._backoff * 2, 0.5), MAX_BACKOFF)
            self._drop(len(batch), f"the database failed ({type(exc).__name__})")
            return
        self.written += len(batch)
        self._backoff = 0.0

    def _drop(self, count: int, why: str) -> None:
        before, self.dropped = self.dropped, self.dropped + count
        if before == 0 or before // 100 != self.dropped // 100:  # log, but not a flood
            log.warning("%s dropped because %s (%d dropped so far)", self.what, why,
                        self.dropped)


_WRITERS: weakref.WeakSet[BackgroundWriter] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for writer in list(_WRITERS):
        if writer._pid == os.getpid():
            writer.flush(timeout=2.0)
