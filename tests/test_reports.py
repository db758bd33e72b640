"""Reports: the daily counts kept beside the events agree with them on both databases;
the figures; the scrubbing of kept words; ``voiceline report`` and ``voiceline operator``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from voiceline.storage.events import (
    Event,
    MemoryEventLog,
    SqlEventLog,
    UnansweredWords,
    count_rows,
)
from voiceline.storage.migrations import upgrade
from voiceline.storage.reports import build, report
from voiceline.storage.schema import event_counts
from voiceline.storage.store import SqlStore
from voiceline.text.scrub import MAX_KEPT, scrub
from voiceline.web.dashboard import closest_topic

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def some_events() -> list[Event]:
    earlier = NOW - timedelta(days=1)
    return [
        Event("call_started", "voice", at=earlier), Event("call_started", "voice", at=NOW),
        Event("topic_heard", "voice", "en", topic="cost", at=NOW, node="main"),
        Event("topic_heard", "voice", "en", topic="cost", at=NOW, node="main"),
        Event("call_status", "voice", outcome="completed", seconds=40, at=NOW),
        Event("call_status", "voice", outcome="completed", seconds=40, at=earlier),
        Event("call_status", "voice", outcome="busy", at=NOW),
        Event("not_understood", "voice", "es", node="more", at=NOW),
        Event("sms_answered", "sms", "es", outcome="unknown", at=NOW),
        Event("a_kind_not_yet_invented", "sms", outcome="whatever", at=NOW),
    ]


def test_the_daily_counts_agree_with_the_events(database_url):
    log = SqlEventLog(SqlStore(database_url).engine)
    for event in some_events() * 3:  # three batches' worth, added up
        log.record(event)
    assert log.flush()
    for event in some_events():
        log.record(event)
    assert log.flush()
    memory = MemoryEventLog()
    memory.events.extend(some_events() * 4)
    first = TODAY - timedelta(days=1)
    for per_day in (True, False):
        assert sorted(log.counts(first, TODAY, per_day)) == sorted(memory.counts(
            first, TODAY, per_day))
    figures = report(log, first, TODAY)
    assert figures.totals["calls"] == 8 and figures.totals["topics_heard"] == 8
    assert figures.median_call_seconds == 40
    assert figures.kinds["sms a_kind_not_yet_invented whatever"] == 4  # new kinds appear
    with log.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(event_counts)).scalar()
    assert stored == len(count_rows(e.row() for e in some_events()))  # per day and details


def test_kept_words_are_grouped_by_frequency_and_go_after_30_days(database_url):
    log = SqlEventLog(SqlStore(database_url).engine)
    for words in ("unicorn therapy", "unicorn therapy", "laser"):
        log.record_words(UnansweredWords("sms", "en", "", words))
    log.record_words(UnansweredWords("voice", "en", "main", "old words",
                                     at=NOW - timedelta(days=31)))
    assert log.flush()  # the writer prunes old words by itself, whatever the retention
    found = log.words(TODAY - timedelta(days=40), TODAY)
    assert [(w.words, w.count) for w in found] == [("unicorn therapy", 2), ("laser", 1)]


def test_the_migration_counts_the_events_already_kept(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = SqlStore(url).engine
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO events (at, channel, kind, topic, outcome, seconds) VALUES "
            "('2026-01-05 10:00:00.000000', 'voice', 'topic_heard', 'cost', NULL, NULL),"
            "('2026-01-05 11:00:00.000000', 'voice', 'topic_heard', 'cost', NULL, NULL),"
            "('2026-01-06 09:00:00.000000', 'voice', 'call_status', NULL, 'completed', 30)"))
    upgrade(engine)
    log = SqlEventLog(engine)
    figures = report(log, datetime(2026, 1, 5).date(), datetime(2026, 1, 6).date())
    assert figures.topics["cost"]["heard"] == 2 and figures.median_call_seconds == 30


def test_hung_up_calls_are_completed_calls_the_line_did_not_end():
    memory = MemoryEventLog()
    memory.events.extend([Event("call_status", "voice", outcome="completed", seconds=5)] * 3
                         + [Event("call_ended", "voice", "en", outcome="caller")])
    endings = report(memory, TODAY, TODAY).call_endings
    assert endings == {"chose to end": 1, "silence": 0, "error": 0, "hung up": 2}


def test_red_flags_are_shown_by_what_they_were_answered_with():
    figures = build([], [], TODAY, TODAY)
    assert figures.red_flags == {}
    memory = MemoryEventLog()
    memory.events.extend([Event("red_flag", "sms", "en", outcome="urgent"),
                          Event("red_flag", "voice", "en", outcome="emergency"),
                          Event("red_flag", "voice", "es", outcome="emergency")])
    figures = report(memory, TODAY, TODAY)
    assert figures.red_flags == {"emergency": 2, "urgent": 1}
    assert figures.totals["red_flags"] == 3


SCRUBBED = [
    # (said or written, kept)
    ("call me at 555-123-4567 about the cost", "call me at about the cost"),
    ("+1 (555) 123 4567", ""),
    ("my email is ana.b@example.com, is it safe", "my email is is it safe"),
    ("I live at 12 Oak Street apt 4B, do you take Medicare", "I live at do you take Medicare"),
    ("vivo en calle Mayor 5 y quiero saber el precio", "vivo en y quiero saber el precio"),
    ("see www.example.org/page for my question", "see for my question"),
    ("my number is five five five one two three four", "my number is"),
    ("es el 1234567 sí", "es el sí"),
]


@pytest.mark.parametrize("words,kept", SCRUBBED)
def test_kept_words_are_scrubbed(words, kept):
    assert scrub(words) == kept


def test_kept_words_are_at_most_80_characters_cut_at_a_word():
    kept = scrub("please tell me " * 20)
    assert len(kept) <= MAX_KEPT and kept.endswith("me") or kept.endswith("tell")


@pytest.mark.parametrize("asked,closest_to", [
    ("does my insurrance pay", "insurance"), ("recuvery time", "recovery"),
    ("side efects", "risks"), ("banana", None),
    ("can i make an appointment", None),  # off-topic only: no topic, and no error
    ("refill my prescription and how much does it cost", "cost")])
def test_the_closest_topic_forgives_typos(catalog, asked, closest_to):
    label = catalog.languages["en"].topics[closest_to].label if closest_to else ""
    assert closest_topic(catalog, "en", asked) == label


def test_operator_accounts_live_in_the_database(database_url):
    store = SqlStore(database_url)
    store.set_operator("clinic", "scrypt:fake")
    store.set_operator("clinic", "scrypt:new")
    assert store.operator_hash("clinic") == "scrypt:new"
    assert store.operator_names() == ["clinic"]
    assert store.remove_operator("clinic") and store.operator_hash("clinic") is None
