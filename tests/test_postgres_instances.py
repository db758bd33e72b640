"""Instances on one database share what they remember: opt-outs survive anything.

Every test runs on PostgreSQL and on SQLite. Two apps on one database stand for two
instances (or two gunicorn workers); a new app stands for a restart.
"""

from __future__ import annotations

import threading

import pytest

from voiceline.engine.guards import Texter
from voiceline.storage.store import SqlStore
from voiceline.testing import FlaskTransport, SimulatedTexter
from voiceline.text import gsm

NUMBER = "+15005550042"


def texter_on(app, signer, number=NUMBER):
    return SimulatedTexter(FlaskTransport(app.test_client()), signer, number=number)


def test_a_stop_on_one_instance_is_honoured_by_the_other_at_once(make_app, signer):
    first, second = make_app(), make_app()
    on_first, on_second = texter_on(first, signer), texter_on(second, signer)
    assert on_second.send("hi") is not None
    assert on_first.send("STOP") is None
    for body in ("MENU", "4", "HELP", "hola"):
        assert on_second.send(body) is None, body
    assert on_second.send("START") is not None
    assert on_first.send("4") is not None


def test_an_advanced_opt_out_on_one_instance_is_honoured_by_the_other(make_app, signer):
    first, second = make_app(), make_app()
    assert texter_on(first, signer).send("PARAR", OptOutType="STOP") is None
    assert texter_on(second, signer).send("4") is None
    assert texter_on(second, signer).send("COMENZAR", OptOutType="START") is None  # Twilio's
    assert texter_on(first, signer).send("4") is not None


def test_a_stop_survives_a_restart(make_app, signer):
    before = make_app()
    assert texter_on(before, signer).send("hi") is not None
    assert texter_on(before, signer).send("STOP") is None
    after = make_app()  # a new process on the same database
    assert texter_on(after, signer).send("MENU") is None
    assert texter_on(after, signer, number="+15005550043").send("MENU") is not None


def test_a_language_chosen_on_one_instance_is_used_by_the_other(make_app, signer, catalog):
    first, second = make_app(), make_app()
    texter_on(first, signer).send("hi")
    texter_on(first, signer).send("ES")
    reply = texter_on(second, signer).send("4")
    assert reply.endswith(gsm.to_gsm7(catalog.languages["es"].text["disclaimer"]))


def test_stops_and_starts_in_order_on_two_instances_end_in_the_last_ones_state(make_app,
                                                                              signer):
    """Many numbers at once, each texting STOP/START alternately to both instances."""
    apps = (make_app(), make_app())
    sequences = {f"+1500555{n:04d}": ["STOP", "START"] * 3 + (["STOP"] if n % 2 else [])
                 for n in range(8)}
    errors: list[BaseException] = []

    def converse(number: str, bodies: list[str]) -> None:
        try:
            for i, body in enumerate(bodies):  # each waits for the previous answer
                texter_on(apps[i % 2], signer, number).send(body)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=converse, args=item) for item in sequences.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for number, bodies in sequences.items():
        answered = texter_on(apps[1], signer, number).send("MENU") is not None
        assert answered == (bodies[-1] == "START"), number


def change_at_once(start: threading.Barrier, store: SqlStore, opted_out: bool,
                   results: list[tuple[int, bool]]) -> None:
    start.wait()
    results.append((store.set_opted_out("key", opted_out), opted_out))


@pytest.mark.parametrize("rounds", [40])
def test_concurrent_stops_and_starts_leave_the_last_committed_state(database_url, rounds):
    """STOP and START for one number at the same moment: changes are applied one at a time,
    and the final state is the one the database applied last."""
    stores = [SqlStore(database_url) for _ in range(4)]
    try:
        for _round in range(rounds):
            start = threading.Barrier(len(stores))
            results: list[tuple[int, bool]] = []
            threads = [threading.Thread(target=change_at_once,
                                        args=(start, store, i % 2 == 0, results))
                       for i, store in enumerate(stores)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            numbers = sorted(n for n, _ in results)
            assert numbers == list(range(numbers[0], numbers[0] + len(stores)))  # no lost change
            last = max(results)[1]
            assert stores[0].texter("key") == Texter(last, None)
    finally:
        for store in stores:
            store.engine.dispose()
