"""Usage events: what happened on the line, for the operators' reports, with no caller identity.

An event holds a channel (voice or sms), a kind (call_started, topic_heard, sms_opt_out,
...), the language, the time and a few details (topic id, outcome, seconds, Twilio error
code) -- never a phone number, a number's hash or a message body. Every field is cleaned
to a short word, so nothing else fits in.

Writing an event must never slow or break a webhook: ``SqlEventLog.record`` only puts the
event on a bounded queue; a background thread per process (``background.BackgroundWriter``)
writes batches to the database. When the queue is full or the database is down, events
are dropped, counted and logged; nothing waits.
``MemoryEventLog`` is the in-memory fake with the same interface, for tests.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from .background import CAPACITY, BackgroundWriter
from .schema import events
from .sql import STORE_ERRORS

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=24)

_WORD = re.compile(r"[^a-z_.-]")  # no digits: a number cannot hide in a word


def _word(value: object, size: int) -> str:
    return _WORD.sub("", str(value or "").lower())[:size]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Event:
    kind: str
    channel: str  # "voice" or "sms"
    language: str = ""
    topic: str = ""
    outcome: str = ""
    seconds: int | None = None
    code: str = ""  # a Twilio error code, digits only
    at: datetime = field(default_factory=_now)

    def row(self) -> dict:
        """The event as a database row, every field cleaned to what it may hold."""
        seconds = self.seconds if isinstance(self.seconds, int) and self.seconds >= 0 else None
        code = self.code if str(self.code).isdigit() else ""
        return {"at": self.at, "channel": _word(self.channel, 8), "kind": _word(self.kind, 32),
                "language": _word(self.language, 16) or None,
                "topic": _word(self.topic, 64) or None,
                "outcome": _word(self.outcome, 32) or None,
                "seconds": min(seconds, 10**6) if seconds is not None else None,
                "code": str(code)[:8] or None}


class EventLog(Protocol):
    def record(self, event: Event) -> None: ...
    def prune(self, older_than_days: int) -> int: ...
    def flush(self, timeout: float = 5.0) -> bool: ...


class SqlEventLog(BackgroundWriter):
    """Events written to the database by a background thread; ``record`` never waits."""

    what = "usage events"

    def __init__(self, engine: sa.Engine, capacity: int = CAPACITY, retention_days: int = 0):
        # Events are counts for reports: a power cut may lose the last second of them
        # (see sql._durability), and no webhook waits for the disk because of them.
        self.engine = engine.execution_options(voiceline_durable=False)
        self.retention_days = retention_days
        self._last_prune: datetime | None = None
        super().__init__(capacity)

    def record(self, event: Event) -> None:
        self.put(event)

    def write_batch(self, batch: list[Event]) -> None:
        with self.engine.begin() as conn:
            conn.execute(events.insert(), [e.row() for e in batch])
        self._maybe_prune()

    def _maybe_prune(self) -> None:
        if self.retention_days <= 0:
            return
        if self._last_prune and _now() - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = _now()
        try:
            self.prune(self.retention_days)
        except STORE_ERRORS as exc:
            log.warning("could not prune old usage events (%s)", type(exc).__name__)

    def prune(self, older_than_days: int) -> int:
        """Delete events older than ``older_than_days`` days; returns how many went."""
        cutoff = _now() - timedelta(days=older_than_days)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # not a webhook: no need to hurry
                conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
            return conn.execute(events.delete().where(events.c.at < cutoff)).rowcount


class MemoryEventLog:
    """Events kept in a list, for tests."""

    def __init__(self):
        self.events: list[Event] = []

    def record(self, event: Event) -> None:
        self.events.append(event)

    def flush(self, timeout: float = 5.0) -> bool:
        return True

    def prune(self, older_than_days: int) -> int:
        cutoff = _now() - timedelta(days=older_than_days)
        kept = [e for e in self.events if e.at >= cutoff]
        gone, self.events = len(self.events) - len(kept), kept
        return gone
