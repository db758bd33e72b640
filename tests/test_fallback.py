"""The fallback webhooks: what Twilio asks when the main webhook failed or timed out.

They must answer whatever broke: a stopped database, prompt files that never loaded, even
a failure while building their own answer. Every call ends with the apology, the
disclaimer, the physician prompt and an invitation to call back, then <Hangup/>; every
text is GSM-7, at most three segments, with the disclaimer. The expected words come from
the built-in last-resort words (``fallback.LAST_RESORT``), which is what they must say.
"""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET

import pytest

from voiceline import create_app
from voiceline.engine.last_resort import LAST_RESORT
from voiceline.errors import StoreError
from voiceline.storage.events import MemoryEventLog
from voiceline.storage.languages import LanguageMemory
from voiceline.testing import FlaskTransport, SimulatedTexter
from voiceline.text import gsm
from voiceline.web.services import services_of

CALL = {"CallSid": "CA" + "c" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15005550009",
        "To": "+15005550006", "CallStatus": "in-progress", "ErrorCode": "11200"}
TEXT = {"MessageSid": "SM" + "d" * 32, "AccountSid": "AC" + "0" * 32, "From": "+15005550009",
        "To": "+15005550006", "Body": "what are the risks", "ErrorCode": "11205",
        "ErrorUrl": "https://line.example.org/sms"}


class UntouchableStore:
    """A store that records every use and fails it, like a database that is down."""

    def __init__(self):
        self.touched: list[str] = []

    def describe(self) -> str:
        return "a database that is down"  # naming it touches no database

    def language_memory(self, refresh_seconds: float) -> LanguageMemory:
        return LanguageMemory()  # callers' languages of this process only: no database

    def __getattr__(self, name: str):
        if name.startswith("__") or name == "engine":
            raise AttributeError(name)

        def fail(*args, **kwargs):
            self.touched.append(name)
            raise StoreError("the database is down (on purpose)")

        return fail


@pytest.fixture
def down_store():
    return UntouchableStore()


@pytest.fixture
def down_app(config, down_store):
    """The database is down: every store call fails."""
    return create_app(config, store=down_store, events=MemoryEventLog())


def post(app, signer, path: str, params: dict):
    return app.test_client().post(path, data=params, headers=signer.headers(path, params))


def said(response) -> list[tuple[str, str]]:
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return [(" ".join("".join(say.itertext()).split()), say.get("language", ""))
            for say in root.iter("Say")]


def expected_speech(*codes: str) -> list[tuple[str, str]]:
    """Apology, disclaimer and physician prompt in each language; only then the farewell
    (call back later, goodbye) in each."""
    before = [(text, LAST_RESORT[code].speech_tag) for code in codes
              for text in (LAST_RESORT[code].apology, LAST_RESORT[code].disclaimer,
                           LAST_RESORT[code].physician)]
    return before + [(LAST_RESORT[code].call_back, LAST_RESORT[code].speech_tag)
                     for code in codes]


def ends_with_hangup(response) -> bool:
    root = ET.fromstring(response.get_data(as_text=True))
    return [child.tag for child in root][-1] == "Hangup"


@pytest.mark.parametrize("error_url,heard", [
    ("https://line.example.org/voice/answer?lang=es&at=main", ("es",)),
    ("https://line.example.org/voice/answer?lang=en&at=topic.risks", ("en",)),
    ("https://line.example.org/voice", ("en", "es")),  # before a language was chosen
    ("", ("en", "es")),
    ("https://line.example.org/voice/answer?lang=xx&at=main", ("en", "es")),
    ("not a url at all ?lang=%%%", ("en", "es")),
])
def test_voice_fallback_apologises_in_the_callers_language_and_hangs_up(
        down_app, down_store, signer, error_url, heard):
    response = post(down_app, signer, "/voice/fallback", {**CALL, "ErrorUrl": error_url})
    assert response.status_code == 200
    assert said(response) == expected_speech(*heard)
    assert ends_with_hangup(response)
    assert down_store.touched == []  # no database at all


def test_voice_fallback_uses_the_configured_voice(config, signer):
    app = create_app({**config, "VOICELINE_VOICE_ES": "Polly.Mia"})
    response = post(app, signer, "/voice/fallback", {
        **CALL, "ErrorUrl": "https://line.example.org/voice/answer?lang=es&at=main"})
    root = ET.fromstring(response.get_data(as_text=True))
    assert {say.get("voice") for say in root.iter("Say")} == {"Polly.Mia"}


def test_sms_fallback_apologises_in_both_languages_within_the_sms_rules(app, signer):
    response = post(app, signer, "/sms/fallback", TEXT)
    assert response.status_code == 200
    root = ET.fromstring(response.get_data(as_text=True))
    (message,) = root.iter("Message")
    body = message.text
    assert body == "\n".join(LAST_RESORT[code].text for code in ("en", "es"))
    assert not gsm.non_gsm7(body) and gsm.segments(body) <= 3


def test_sms_fallback_is_silent_when_it_cannot_read_the_opt_out(down_app, down_store, signer):
    response = post(down_app, signer, "/sms/fallback", TEXT)
    assert response.status_code == 200
    assert list(ET.fromstring(response.get_data(as_text=True)).iter("Message")) == []
    assert down_store.touched == ["texter"]


@pytest.mark.parametrize("params", [{"Body": "STOP"}, {"Body": "stop please"},
                                    {"Body": "Cancel"}, {"Body": "x", "OptOutType": "STOP"}])
def test_sms_fallback_never_answers_an_opt_out_and_keeps_it_for_the_store(
        down_app, down_store, signer, caplog, params):
    caplog.set_level(logging.ERROR)
    response = post(down_app, signer, "/sms/fallback", {**TEXT, **params})
    assert response.status_code == 200
    assert list(ET.fromstring(response.get_data(as_text=True))) == []  # no reply at all
    assert "it waits in" in caplog.text
    assert "5005550009" not in caplog.text
    assert len(services_of(down_app).pending.waiting()) == 1


def test_fallbacks_answer_when_the_prompt_files_never_loaded(config, signer, tmp_path):
    app = create_app({**config, "VOICELINE_PROMPTS_DIR": str(tmp_path / "missing")})
    assert app.test_client().get("/healthz").status_code == 503  # the line cannot answer...
    response = post(app, signer, "/voice/fallback", CALL)
    assert said(response) == expected_speech("en", "es")  # ...but its fallback can
    assert "<Message>" in post(app, signer, "/sms/fallback", TEXT).get_data(as_text=True)


def test_fallbacks_answer_with_the_database_url_at_a_closed_port(config, signer):
    """The call gets its apology; the text gets none, since no one can tell whether the
    number opted out."""
    app = create_app({**config, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"})
    assert said(post(app, signer, "/voice/fallback", CALL)) == expected_speech("en", "es")
    started = time.monotonic()
    answer = post(app, signer, "/sms/fallback", TEXT)
    assert time.monotonic() - started < 2.5
    assert answer.status_code == 200 and "<Message>" not in answer.get_data(as_text=True)


def test_the_sms_fallback_never_texts_a_number_that_opted_out(app, signer):
    SimulatedTexter(FlaskTransport(app.test_client()), signer, number=TEXT["From"]).send("STOP")
    answer = post(app, signer, "/sms/fallback", TEXT)
    assert answer.status_code == 200 and "<Message>" not in answer.get_data(as_text=True)
    other = {**TEXT, "From": "+15005550010"}
    assert "<Message>" in post(app, signer, "/sms/fallback", other).get_data(as_text=True)


@pytest.mark.parametrize("path", ["/voice/fallback", "/sms/fallback"])
def test_fallback_failing_itself_still_answers_with_the_built_in_words(
        app, signer, monkeypatch, path):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("voiceline.web.twiml.apology_twiml", broken)
    monkeypatch.setattr("voiceline.web.fallback.apology_text", broken)
    response = post(app, signer, path, CALL if "voice" in path else TEXT)
    assert response.status_code == 200
    if "voice" in path:
        assert said(response) == expected_speech("en", "es") and ends_with_hangup(response)
    else:
        assert LAST_RESORT["en"].text in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/voice/fallback", "/sms/fallback"])
@pytest.mark.parametrize("case", ["unsigned", "wrong token", "tampered"])
def test_fallbacks_are_signed_like_every_webhook(down_app, signer, path, case):
    params = CALL if "voice" in path else TEXT
    headers = signer.headers(path, params)
    if case == "unsigned":
        headers = {}
    elif case == "wrong token":
        headers = {"X-Twilio-Signature": "bm90IGEgcmVhbCBzaWduYXR1cmU="}
    else:
        params = {**params, "ErrorCode": "99999"}
    response = down_app.test_client().post(path, data=params, headers=headers)
    assert response.status_code == 403


def test_fallback_logs_what_failed_without_caller_data(down_app, signer, caplog):
    caplog.set_level(logging.DEBUG)
    post(down_app, signer, "/voice/fallback", {
        **CALL, "ErrorUrl": "https://line.example.org/voice/answer?lang=en&at=main"})
    post(down_app, signer, "/sms/fallback", TEXT)
    assert "voice fallback: error 11200 at /voice/answer" in caplog.text
    assert "sms fallback: error 11205 at /sms" in caplog.text
    assert "5005550009" not in caplog.text and "what are the risks" not in caplog.text
