"""Opt-outs the database could not take, kept on disk until it can: nothing is lost.

A STOP whose commit fails (database down, hung, read-only, its file gone) is appended to
a small file beside the line, not the database (``VOICELINE_PENDING_DIR``), and synced
to disk before the webhook answers. Every worker of every instance sharing that folder
reads it before admitting a text, so a number in it gets no reply; and a worker applies
it to the store as soon as the store takes writes again (``apply``: under a file lock,
one worker at a time, each entry with its MessageSid so a replay changes nothing), then
empties it. An entry holds only the number's keyed hash, never the number.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import StoreError

log = logging.getLogger(__name__)
RETRY_SECONDS = 2.0


class PendingOptOuts:
    """The pending STOPs of one database (the file is named after it)."""

    def __init__(self, folder: str | None, database: str):
        name = hashlib.sha256(database.encode()).hexdigest()[:12]
        self.path = Path(folder or tempfile.gettempdir()) / f"voiceline-pending-{name}.jsonl"
        self._seen: tuple[int, int] | None = None
        self._keys: frozenset[str] = frozenset()
        self._watcher = 0
        self._lock = threading.Lock()

    def add(self, key: str, message: str | None) -> None:
        """Keep a STOP durably; raises OSError if even this file cannot be written."""
        line = json.dumps({"key": key, "message": message, "at": time.time()}) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # not while a worker applies and empties it
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def waiting(self) -> frozenset[str]:
        """The numbers' keys waiting; cheap when nothing changed (one ``stat``)."""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return frozenset()
        seen = (found.st_mtime_ns, found.st_size)
        if seen != self._seen:
            self._keys = frozenset(entry["key"] for entry in self._entries())
            self._seen = seen
        return self._keys

    def watch(self, record: Callable[[str, str | None], object]) -> None:
        """Apply waiting STOPs with ``record`` from a thread of this process, every
        ``RETRY_SECONDS`` while there are any (started once per process, also after fork)."""
        with self._lock:
            if self._watcher == os.getpid():
                return
            self._watcher = os.getpid()

        def loop() -> None:
            while True:
                time.sleep(RETRY_SECONDS)
                if self.waiting():
                    self.apply(record)
        threading.Thread(target=loop, daemon=True, name="voiceline-pending").start()

    def apply(self, record: Callable[[str, str | None], object], wait: bool = False) -> int:
        """Give every waiting STOP to ``record`` (the store's opt-out); on success empty the
        file. Returns how many were applied. Another worker applying them meanwhile is
        left to it, unless ``wait``: then this waits for it to finish, then looks again."""
        try:
            with open(self.path, "a+") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
                entries = self._entries()
                for entry in entries:
                    record(entry["key"], entry.get("message"))
                handle.truncate(0)
                os.fsync(handle.fileno())
            log.warning("%d opt-out(s) that had waited for the database are now recorded",
                        len(entries))
            return len(entries)
        except (BlockingIOError, StoreError, OSError):
            return 0  # another worker is at it, or the store still refuses: later

    def _entries(self) -> list[dict]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return []
        entries = []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line (power loss mid-write): the rest still counts
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                entries.append(entry)
        return entries
