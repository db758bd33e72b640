"""Returning callers when PostgreSQL hangs (SIGSTOP of a private cluster) under the
Procfile's gunicorn: a caller who chose Spanish is still greeted in Spanish at once, a new
caller gets the opening in every language at once, and a choice made during the hang is
written once the database wakes. The cluster and the server are the fault suite's
(tests/test_faults.py).
"""

from __future__ import annotations

import signal
import time

import pytest

from voiceline.storage.store import SqlStore, number_key
from voiceline.testing import HttpTransport, SimulatedCall, TwilioSigner

from .test_faults import SECRET, TOKEN, serving
from .test_faults import cluster as cluster  # the fixture: a private cluster of this module's

CHOSE_SPANISH = "+15005550601"


@pytest.fixture(scope="module")
def line(cluster, tmp_path_factory):
    with serving(cluster, tmp_path_factory.mktemp("returning-line"),
                 VOICELINE_LANGUAGE_REFRESH_SECONDS="1") as server:
        yield server


def timed_call(base: str, number: str, *keys: str) -> tuple[float, list[str]]:
    """Seconds for the whole call (its opening and each key), and what it heard first."""
    began = time.monotonic()
    call = SimulatedCall(HttpTransport(base, timeout=10), TwilioSigner(TOKEN, base),
                         caller=number)
    opening = [h.text for h in call.start()]
    for key in keys:
        call.press(key)
    return time.monotonic() - began, opening


def callers_language(url: str, number: str) -> str | None:
    store = SqlStore(url)
    try:
        found = store.languages_since(None, 1000)
    finally:
        store.close()
    return next((r.language for r in found if r.key == number_key(SECRET, number)), None)


def test_a_hung_database_holds_no_call_and_the_returning_caller_hears_spanish(cluster, line,
                                                                             catalog):
    es, en = catalog.languages["es"], catalog.languages["en"]
    spanish = [es.call["welcome"], es.call["emergency"], en.call["offer"].format(key="8")]
    timed_call(line.base, CHOSE_SPANISH, "2")
    # Every worker has read it (each reads every second) before the database hangs.
    in_a_row, deadline = 0, time.monotonic() + 30
    while in_a_row < 8:
        assert time.monotonic() < deadline, "the workers never learnt the choice"
        in_a_row = in_a_row + 1 if timed_call(line.base, CHOSE_SPANISH)[1][:3] == spanish else 0
    # Calls in a row may all reach one worker: give every worker a few of its one-second
    # reads after the choice was written, as a real line has minutes between calls.
    time.sleep(3.5)
    cluster.signal(signal.SIGSTOP)
    try:
        time.sleep(1.5)  # the workers' reads of the database hang now
        returning = [timed_call(line.base, CHOSE_SPANISH, "1") for _ in range(4)]
        new = timed_call(line.base, "+15005550602", "1", "2")
        choosing = timed_call(line.base, "+15005550603", "2", "1")
    finally:
        cluster.signal(signal.SIGCONT)
    for seconds, opening in returning:
        assert seconds < 2 and opening[:3] == spanish
    assert new[0] < 2 and new[1][:2] == [en.call["welcome"], en.call["emergency"]]
    assert en.choose.format(key="1") in new[1]
    assert choosing[0] < 2
    # The choice made while the database hung is written once it wakes.
    deadline = time.monotonic() + 20
    while callers_language(cluster.url, "+15005550603") != "es":
        assert time.monotonic() < deadline, "the choice made during the hang was lost"
        time.sleep(0.3)
