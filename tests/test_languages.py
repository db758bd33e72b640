"""The language memory (``storage.languages``): per process, bounded, filled by calls, by
texts and by a thread reading the database; a lookup is a dictionary read.

The web-level behaviour (a returning caller greeted in their language) is in
tests/test_returning_callers.py.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from voiceline.storage.languages import LanguageMemory, Remembered
from voiceline.storage.store import MemoryStore, SqlStore

from .conftest import wait_until


def key(n: int) -> str:
    """A number key as ``number_key`` makes them: 64 hex digits (the memory keeps the first
    16, so these differ there)."""
    return f"{n + 1:016x}" + "ab" * 24


@pytest.fixture
def sql_store(database_url):
    store = SqlStore(database_url)
    yield store
    store.close()


def test_a_choice_is_known_at_once_and_written_for_next_time(sql_store):
    memory = sql_store.language_memory(refresh_seconds=60)
    assert memory.known(key(1)) is None
    memory.chosen(key(1), "es")
    assert memory.known(key(1)) == "es"
    assert memory.flush()
    (row,) = sql_store.languages_since(None, 10)
    assert (row.key, row.language) == (key(1), "es")


def test_another_memory_on_the_same_database_learns_it_by_reading(database_url):
    first, second = SqlStore(database_url), SqlStore(database_url)
    try:
        on_second = second.language_memory(refresh_seconds=0.1)
        assert on_second.known(key(2)) is None  # starts its thread; never waits for it
        first.language_memory(refresh_seconds=60).chosen(key(2), "es")
        assert first.language_memory(60).flush()
        assert wait_until(lambda: on_second.known(key(2)) == "es")
    finally:
        first.close()
        second.close()


def test_a_texters_language_read_or_set_by_the_store_is_known(sql_store):
    memory = sql_store.language_memory(refresh_seconds=60)
    sql_store.set_language(key(3), "es")
    assert memory.known(key(3)) == "es"
    other = SqlStore(sql_store.url)
    try:
        later = other.language_memory(refresh_seconds=60)
        other.texter(key(3))  # a text from that number, on another instance
        assert later.known(key(3)) == "es"
    finally:
        other.close()


def test_the_first_read_loads_the_newest_choices_only_up_to_the_bound(sql_store):
    now = datetime.now(UTC)
    sql_store.write_callers([Remembered(key(n), "es", now - timedelta(minutes=10 - n))
                             for n in range(5)])
    memory = LanguageMemory(sql_store, refresh_seconds=60, size=3)
    memory.known(key(0))
    assert wait_until(lambda: memory.loads == 1)
    assert [memory.known(key(n)) for n in range(5)] == [None, None, "es", "es", "es"]
    memory.close()


def test_the_least_recently_used_key_is_forgotten_first():
    memory = LanguageMemory(size=3)
    for n in range(3):
        memory.chosen(key(n), "es")
    assert memory.known(key(0)) == "es"  # used again: now the most recent
    memory.chosen(key(3), "en")
    assert [memory.known(key(n)) for n in range(4)] == ["es", None, "es", "en"]
    assert len(memory) == 3


def test_older_news_never_replaces_a_newer_choice(sql_store):
    memory = sql_store.language_memory(refresh_seconds=0.1)
    sql_store.write_callers([Remembered(key(4), "en", datetime.now(UTC) - timedelta(hours=1))])
    memory.chosen(key(4), "es")
    memory.heard(key(4), "en")  # a texter's row read: what it says may be older
    assert wait_until(lambda: memory.loads >= 2)  # the old row was read again meanwhile
    assert memory.known(key(4)) == "es"
    memory.heard(key(4), "en", datetime.now(UTC))  # a text that switched to English
    assert memory.known(key(4)) == "en"


def test_a_database_that_is_down_is_logged_and_lookups_go_on(caplog):
    store = MemoryStore()
    memory = store.language_memory(refresh_seconds=0.1)
    memory.chosen(key(5), "es")
    assert memory.flush()
    assert wait_until(lambda: memory.loads >= 1)
    store.broken = True
    caplog.set_level(logging.WARNING)
    memory.chosen(key(6), "en")  # its write fails in the background: nothing raises here
    began = time.monotonic()
    assert memory.known(key(5)) == "es" and memory.known(key(6)) == "en"
    assert time.monotonic() - began < 0.01
    assert wait_until(lambda: "could not read callers' languages" in caplog.text)
    assert key(5) not in caplog.text and key(6) not in caplog.text
    store.broken = False
    assert wait_until(lambda: store.callers.get(key(5), ("",))[0] == "es")
    memory.close()


def test_the_reading_thread_ends_when_the_memory_is_closed():
    store = MemoryStore()
    memory = store.language_memory(refresh_seconds=0.05)
    memory.known(key(7))
    assert wait_until(lambda: any(t.name == "voiceline-languages" and t.is_alive()
                                for t in threading.enumerate()))
    thread = memory._thread
    memory.close()
    assert thread is not None
    thread.join(timeout=2)
    assert not thread.is_alive()


def test_nothing_but_keys_is_kept():
    memory = LanguageMemory()
    memory.chosen(key(8), "es")
    assert all(isinstance(slot, int) for slot in memory._map)
    assert {language for language, _ in memory._map.values()} == {"es"}
