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

The same transaction adds each batch to ``event_counts`` (per day and detail), which is
what reports read (``counts``): the dashboard stays fast at millions of events. The words
of requests not understood (``UnansweredWords``, only when the operator keeps them) go
through the same queue into ``unanswered`` and are deleted after 30 days.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from .background import CAPACITY, BackgroundWriter
from .schema import event_counts, events, unanswered
from .sql import STORE_ERRORS, upsert

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=24)
UNANSWERED_DAYS = 30  # kept words of requests not understood go after this, whatever else
NO_SECONDS = -1  # event_counts.seconds for events that have no length
COUNTED_WITH_NODE = {"reprompt", "invalid_key", "not_understood"}
# A report reads the counts twice, added up by the database: per day by these details
# (the daily table), and over the whole range by the others (everything else).
DETAIL_DEFAULTS = {"day": "", "channel": "", "kind": "", "language": "", "topic": "",
                   "outcome": "", "node": "", "seconds": NO_SECONDS}
DAILY_DETAILS = {"day", "channel", "kind", "outcome"}
RANGE_DETAILS = set(DETAIL_DEFAULTS) - {"day"}

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
    node: str = ""  # where in the call (a menu id, "language", "topic.<id>")

    def row(self) -> dict:
        """The event as a database row, every field cleaned to what it may hold."""
        seconds = self.seconds if isinstance(self.seconds, int) and self.seconds >= 0 else None
        code = self.code if str(self.code).isdigit() else ""
        return {"at": self.at, "channel": _word(self.channel, 8), "kind": _word(self.kind, 32),
                "language": _word(self.language, 16) or None,
                "topic": _word(self.topic, 64) or None,
                "outcome": _word(self.outcome, 32) or None,
                "seconds": min(seconds, 10**6) if seconds is not None else None,
                "code": str(code)[:8] or None, "node": _word(self.node, 64) or None}


@dataclass(frozen=True)
class UnansweredWords:
    """A request the line did not understand, already scrubbed (``text.scrub``); no caller."""

    channel: str
    language: str
    node: str
    words: str
    at: datetime = field(default_factory=_now)

    def row(self) -> dict:
        return {"at": self.at, "channel": _word(self.channel, 8),
                "language": _word(self.language, 16), "node": _word(self.node, 64),
                "words": str(self.words)[:80]}


@dataclass(frozen=True, order=True)
class CountRow:
    """Events of one day with the same details, counted (a row of ``event_counts``)."""

    day: str  # YYYY-MM-DD, UTC
    channel: str
    kind: str
    language: str = ""
    topic: str = ""
    outcome: str = ""
    node: str = ""
    seconds: int = NO_SECONDS  # only call_status keeps its seconds (for the median)
    count: int = 1


@dataclass(frozen=True)
class WordsRow:
    """Kept words of requests not understood, counted over a date range."""

    words: str
    channel: str
    language: str
    count: int


def count_rows(rows: Iterable[dict]) -> list[CountRow]:
    """Event rows (``Event.row``) counted per day and details, in key order."""
    counted: Counter[tuple] = Counter()
    for row in rows:
        kind = row["kind"]
        seconds = row["seconds"] if kind == "call_status" else None
        # The place in the call matters to reports only where callers get lost: counted
        # for every kind, it would multiply the rows for nothing.
        node = (row["node"] or "") if kind in COUNTED_WITH_NODE else ""
        counted[(row["at"].astimezone(UTC).date().isoformat(), row["channel"], kind,
                 row["language"] or "", row["topic"] or "", row["outcome"] or "", node,
                 NO_SECONDS if seconds is None else seconds)] += 1
    return [_count_row(key, n) for key, n in sorted(counted.items())]


def _words_rows(found: Iterable[tuple[str, str, str]]) -> list[WordsRow]:
    counted = Counter(found)
    return [WordsRow(w, c, lang, n) for (w, c, lang), n in
            sorted(counted.items(), key=lambda item: (-item[1], item[0]))]


class EventLog(Protocol):
    def record(self, event: Event) -> None: ...
    def record_words(self, words: UnansweredWords) -> None: ...
    def prune(self, older_than_days: int) -> int: ...
    def flush(self, timeout: float = 5.0) -> bool: ...
    def counts(self, first: date, last: date, per_day: bool = True) -> list[CountRow]: ...
    def words(self, first: date, last: date, limit: int = 100) -> list[WordsRow]: ...


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

    def record_words(self, words: UnansweredWords) -> None:
        self.put(words)

    def write_batch(self, batch: list[Event | UnansweredWords]) -> None:
        rows = [item.row() for item in batch if isinstance(item, Event)]
        kept = [item.row() for item in batch if isinstance(item, UnansweredWords)]
        with self.engine.begin() as conn:
            if rows:
                conn.execute(events.insert(), rows)
                # In key order, so two instances adding to the same counts never deadlock.
                conn.execute(_add_counts(conn.dialect.name),
                             [vars(row) for row in count_rows(rows)])
            if kept:
                conn.execute(unanswered.insert(), kept)
        self._maybe_prune()

    def counts(self, first: date, last: date, per_day: bool = True) -> list[CountRow]:
        """The counted events from day ``first`` to day ``last`` (both included, UTC),
        added up in the database: ``per_day``, by day, channel, kind and outcome only;
        else over the whole range, by every other detail (see ``summed``)."""
        with self.engine.connect() as conn:
            return [_count_row(tuple(row[:-1]), int(row[-1]))
                    for row in conn.execute(_summed_query(per_day), {
                        "first": first.isoformat(), "last": last.isoformat()})]

    def words(self, first: date, last: date, limit: int = 100) -> list[WordsRow]:
        """Kept words of requests not understood, most frequent first."""
        n = sa.func.count().label("n")
        query = (sa.select(unanswered.c.words, unanswered.c.channel, unanswered.c.language, n)
                 .where(unanswered.c.at >= _start_of(first),
                        unanswered.c.at < _start_of(last + timedelta(days=1)))
                 .group_by(unanswered.c.words, unanswered.c.channel, unanswered.c.language)
                 .order_by(n.desc(), unanswered.c.words).limit(limit))
        with self.engine.connect() as conn:
            return [WordsRow(*row) for row in conn.execute(query)]

    def _maybe_prune(self) -> None:
        if self._last_prune and _now() - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = _now()
        try:
            if self.retention_days > 0:
                self.prune(self.retention_days)
            else:
                self.prune_words()
        except STORE_ERRORS as exc:
            log.warning("could not prune old usage events (%s)", type(exc).__name__)

    def prune(self, older_than_days: int) -> int:
        """Delete events older than ``older_than_days`` days, their counts (whole days
        before the cutoff's) and kept words older than 30 days; returns how many events
        went."""
        cutoff = _now() - timedelta(days=older_than_days)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # not a webhook: no need to hurry
                conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
            conn.execute(event_counts.delete().where(
                event_counts.c.day < cutoff.date().isoformat()))
            _delete_old_words(conn)
            return conn.execute(events.delete().where(events.c.at < cutoff)).rowcount

    def prune_words(self) -> int:
        with self.engine.begin() as conn:
            return _delete_old_words(conn)


def _delete_old_words(conn: sa.Connection) -> int:
    """Kept words go after 30 days, whatever the events' retention."""
    cutoff = _now() - timedelta(days=UNANSWERED_DAYS)
    return conn.execute(unanswered.delete().where(unanswered.c.at < cutoff)).rowcount


def _summed_query(per_day: bool) -> sa.Select:
    c = event_counts.c
    kept = DAILY_DETAILS if per_day else RANGE_DETAILS
    columns = [c[name] if name in kept else sa.literal(default).label(name)
               for name, default in DETAIL_DEFAULTS.items()]
    return (sa.select(*columns, sa.func.sum(c.count))
            .where(c.day >= sa.bindparam("first"), c.day <= sa.bindparam("last"))
            .group_by(*(c[name] for name in DETAIL_DEFAULTS if name in kept)))


def summed(rows: Iterable[CountRow], per_day: bool) -> list[CountRow]:
    """Rows added up as ``SqlEventLog.counts`` adds them, for the in-memory log."""
    kept = DAILY_DETAILS if per_day else RANGE_DETAILS
    total: Counter[tuple] = Counter()
    for row in rows:
        total[tuple(getattr(row, name) if name in kept else default
                    for name, default in DETAIL_DEFAULTS.items())] += row.count
    return [_count_row(key, n) for key, n in sorted(total.items())]


def _count_row(details: tuple, count: int) -> CountRow:
    day, channel, kind, language, topic, outcome, node, seconds = details
    return CountRow(day, channel, kind, language, topic, outcome, node, seconds, count)


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _add_counts(dialect: str) -> sa.Insert:
    insert = upsert(dialect, event_counts)
    keys = [c.name for c in event_counts.primary_key.columns]
    return insert.on_conflict_do_update(
        index_elements=keys, set_={"count": event_counts.c.count + insert.excluded["count"]})


class MemoryEventLog:
    """Events kept in a list, for tests."""

    def __init__(self):
        self.events: list[Event] = []
        self.kept_words: list[UnansweredWords] = []

    def record(self, event: Event) -> None:
        self.events.append(event)

    def record_words(self, words: UnansweredWords) -> None:
        self.kept_words.append(words)

    def counts(self, first: date, last: date, per_day: bool = True) -> list[CountRow]:
        return summed((row for row in count_rows(e.row() for e in list(self.events))
                       if first.isoformat() <= row.day <= last.isoformat()), per_day)

    def words(self, first: date, last: date, limit: int = 100) -> list[WordsRow]:
        start, end = _start_of(first), _start_of(last + timedelta(days=1))
        return _words_rows((w.words, w.channel, w.language) for w in list(self.kept_words)
                           if start <= w.at < end)[:limit]

    def flush(self, timeout: float = 5.0) -> bool:
        return True

    def prune(self, older_than_days: int) -> int:
        cutoff = _now() - timedelta(days=older_than_days)
        kept = [e for e in self.events if e.at >= cutoff]
        gone, self.events = len(self.events) - len(kept), kept
        words_cutoff = _now() - timedelta(days=UNANSWERED_DAYS)
        self.kept_words = [w for w in self.kept_words if w.at >= words_cutoff]
        return gone
