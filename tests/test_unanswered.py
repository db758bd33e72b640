"""Requests the line did not understand: always counted with their menu, and their words
kept (scrubbed, with no caller) only when the operator turns it on."""

from __future__ import annotations

import pytest

from voiceline import create_app
from voiceline.storage.events import MemoryEventLog
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter

NUMBER = "+15005550077"
SAID = "my number is 555 867 5309 and tell me about purple zebras"


def line(config, keep: str):
    log = MemoryEventLog()
    app = create_app({**config, "VOICELINE_KEEP_UNANSWERED": keep}, events=log)
    return FlaskTransport(app.test_client()), log


def not_understood_call(transport, signer, catalog):
    call = SimulatedCall(transport, signer, caller=NUMBER)
    call.start()
    call.press("1")
    call.say(SAID)
    return catalog.flow.main_menu


@pytest.mark.parametrize("keep", ["0", "1"])
def test_a_request_not_understood_is_counted_at_its_menu(config, signer, catalog, keep):
    transport, log = line(config, keep)
    menu = not_understood_call(transport, signer, catalog)
    missed = [e for e in log.events if e.kind == "not_understood"]
    assert [(e.channel, e.node) for e in missed] == [("voice", menu)]


def test_the_words_are_kept_only_when_turned_on(config, signer, catalog):
    transport, log = line(config, "0")
    not_understood_call(transport, signer, catalog)
    SimulatedTexter(transport, signer, number=NUMBER).send("hello")
    SimulatedTexter(transport, signer, number=NUMBER).send("purple zebras?")
    assert log.kept_words == []


def test_kept_words_are_scrubbed_and_name_no_caller(config, signer, catalog):
    transport, log = line(config, "1")
    menu = not_understood_call(transport, signer, catalog)
    texter = SimulatedTexter(transport, signer, number=NUMBER)
    texter.send("hello")  # a first text is welcomed; the next is read
    texter.send("email me at ana@example.com about purple zebras")
    voice, sms = log.kept_words
    assert (voice.channel, voice.node, voice.language) == ("voice", menu, "en")
    assert voice.words == "my number is and tell me about purple zebras"
    assert (sms.channel, sms.words) == ("sms", "email me at about purple zebras")
    for kept in (voice, sms):
        assert set(vars(kept)) == {"channel", "language", "node", "words", "at"}


def test_a_request_understood_keeps_no_words(config, signer, catalog):
    transport, log = line(config, "1")
    call = SimulatedCall(transport, signer, caller=NUMBER)
    call.start()
    call.press("1")
    call.say(next(iter(catalog.language("en").topics.values())).label)
    assert log.kept_words == []
