"""HELP and START are answered once: by Twilio when its keyword replies are on (its default
on long codes and toll-free numbers, or Advanced Opt-Out), else by the line."""

from __future__ import annotations

import pytest

from voiceline import create_app
from voiceline.engine.keywords import replies_by_default, twilio_answered
from voiceline.errors import SettingsError
from voiceline.storage.events import MemoryEventLog
from voiceline.testing import FlaskTransport, SimulatedTexter

LONG_CODE, TOLL_FREE, SHORT_CODE = "+15005550006", "+18005550100", "24680"


@pytest.mark.parametrize("number,default", [
    (LONG_CODE, True), (TOLL_FREE, True), ("+447700900123", True),
    (SHORT_CODE, False), ("123456", False),
])
def test_twilios_default_follows_the_number_type(number, default):
    assert replies_by_default(number) is default


@pytest.mark.parametrize("body,opt_out_type,line,setting,answered", [
    ("HELP", "", LONG_CODE, None, True),
    (" info ", "", TOLL_FREE, None, True),
    ("Start", "", LONG_CODE, None, True),
    ("yes", "", LONG_CODE, None, True),
    ("UNSTOP", "", LONG_CODE, None, True),
    ("HELP", "", SHORT_CODE, None, False),  # a standalone short code: nobody else answers
    ("HELP", "", SHORT_CODE, True, True),  # ...unless the setting says Twilio does
    ("HELP", "", LONG_CODE, False, False),
    ("help me", "", LONG_CODE, None, False),  # not a keyword: Twilio stays out of it
    ("help?", "", LONG_CODE, True, False),
    ("how much is it", "", LONG_CODE, True, False),
    ("AYUDA", "HELP", SHORT_CODE, False, True),  # Advanced Opt-Out names what it answered
    ("COMENZAR", "START", LONG_CODE, False, True),
    ("PARAR", "STOP", LONG_CODE, None, False),  # STOP is handled before this
])
def test_what_twilio_has_answered(body, opt_out_type, line, setting, answered):
    assert twilio_answered(body, opt_out_type, line, setting) is answered


@pytest.fixture
def line(config, closing):
    def make(setting: str | None):
        log = MemoryEventLog()
        app = closing(create_app({**config, "VOICELINE_TWILIO_KEYWORD_REPLIES": setting},
                                 events=log))
        return app, log

    return make


def texter_for(app, signer, number: str) -> SimulatedTexter:
    return SimulatedTexter(FlaskTransport(app.test_client()), signer, line=number)


@pytest.mark.parametrize("setting", [None, "auto"])
def test_by_default_a_long_code_leaves_help_and_start_to_twilio(line, signer, setting):
    app, log = line(setting)
    texter = texter_for(app, signer, LONG_CODE)
    assert texter.send("hi") is not None
    assert texter.send("HELP") is None
    assert texter.send("STOP") is None
    assert texter.send("MENU") is None  # opted out
    assert texter.send("START") is None  # Twilio confirms...
    assert texter.send("MENU") is not None  # ...and the line answers again
    assert texter.send("help me please") is not None  # not a keyword
    held = [e.outcome for e in log.events if e.kind == "sms_held"]
    assert held.count("twilio_replied") == 2
    assert "sms_opt_in" in [e.kind for e in log.events]


def test_by_default_a_short_code_gets_the_lines_own_help(line, signer, catalog):
    app, _ = line(None)
    reply = texter_for(app, signer, SHORT_CODE).send("HELP")
    assert reply is not None and reply.endswith(catalog.languages["en"].text["disclaimer"])


@pytest.mark.parametrize("setting,number,silent", [
    ("on", SHORT_CODE, True), ("off", LONG_CODE, False), ("OFF", TOLL_FREE, False),
    ("1", SHORT_CODE, True),
])
def test_the_setting_says_it_outright(line, signer, setting, number, silent):
    app, _ = line(setting)
    assert (texter_for(app, signer, number).send("INFO") is None) is silent


@pytest.mark.parametrize("value", ["maybe", "twilio", "2"])
def test_a_bad_setting_is_refused_with_what_to_set(config, value):
    with pytest.raises(SettingsError, match="VOICELINE_TWILIO_KEYWORD_REPLIES must be auto"):
        create_app({**config, "VOICELINE_TWILIO_KEYWORD_REPLIES": value})
