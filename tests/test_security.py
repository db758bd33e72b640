"""Every webhook is refused with 403 unless Twilio signed exactly this request."""

from __future__ import annotations

import logging

import pytest
from twilio.request_validator import RequestValidator

from voiceline import create_app
from voiceline.errors import SettingsError
from voiceline.testing import FlaskTransport, SimulatedTexter, TwilioSigner

from .conftest import AUTH_TOKEN, BASE_URL

WEBHOOKS = ["/voice", "/voice/answer?lang=en&at=main", "/voice/menu?lang=en&at=main", "/sms"]
PARAMS = {"CallSid": "CA123", "MessageSid": "SM123", "From": "+15005550009",
          "To": "+15005550006", "Body": "hi", "Digits": "1"}


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_correctly_signed_request_is_answered(client, signer, path):
    response = client.post(path, data=PARAMS, headers=signer.headers(path, PARAMS))
    assert response.status_code == 200


@pytest.mark.parametrize("path", WEBHOOKS)
@pytest.mark.parametrize("case", ["unsigned", "forged", "wrong token", "tampered body",
                                  "tampered query", "other host", "sha256 claimed"])
def test_forged_unsigned_and_tampered_requests_get_403(client, signer, path, case):
    params, headers, sent_path = dict(PARAMS), signer.headers(path, PARAMS), path
    if case == "unsigned":
        headers = {}
    elif case == "forged":
        headers = {"X-Twilio-Signature": "bm90IGEgcmVhbCBzaWduYXR1cmU="}
    elif case == "wrong token":
        headers = TwilioSigner("not-the-token", BASE_URL).headers(path, PARAMS)
    elif case == "tampered body":
        params["Digits"] = "9"
    elif case == "tampered query":
        sent_path = path + ("&" if "?" in path else "?") + "at=topic.risks"
    elif case == "other host":
        headers = TwilioSigner(AUTH_TOKEN, "https://evil.example.com").headers(path, PARAMS)
    elif case == "sha256 claimed":
        headers = {**headers, "X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_SHA256"}
    response = client.post(sent_path, data=params, headers=headers)
    assert response.status_code == 403


def test_a_refused_request_does_no_work(memory_app, memory_store):
    response = memory_app.test_client().post("/sms", data={"From": "+15005550009",
                                                           "Body": "STOP"})
    assert response.status_code == 403
    assert memory_store.rows == {}  # not even an opt-out was recorded


def test_signature_covers_the_raw_query_string(client, signer):
    # Twilio signs the URL as it requested it; decoding %2C would break the match.
    path = "/voice/answer?lang=en&at=topic.risks&trail=main%2Csafety"
    response = client.post(path, data=PARAMS, headers=signer.headers(path, PARAMS))
    assert response.status_code == 200


def test_hmac_sha256_signatures_are_accepted_when_announced(client):
    url = BASE_URL + "/voice"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, PARAMS, "HMAC_SHA256")
    response = client.post("/voice", data=PARAMS, headers={
        "X-Twilio-Signature": signature,
        "X-Twilio-Webhooks-Signature-Settings": "key=wsk_1,algorithm=HMAC_SHA256"})
    assert response.status_code == 200


def test_without_public_base_url_the_request_host_is_used(config):
    app = create_app({**config, "PUBLIC_BASE_URL": None})
    signer = TwilioSigner(AUTH_TOKEN, "http://localhost")
    texter = SimulatedTexter(FlaskTransport(app.test_client()), signer)
    assert texter.send("hi") is not None


def test_the_line_refuses_to_start_without_an_auth_token(config):
    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN"):
        create_app({**config, "TWILIO_AUTH_TOKEN": None})


def test_development_mode_without_a_token_is_open_and_says_so(config, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app({**config, "TWILIO_AUTH_TOKEN": None, "VOICELINE_DEV_MODE": "1"})
    assert "signatures are NOT checked" in caplog.text
    assert app.test_client().post("/voice", data=PARAMS).status_code == 200


def test_development_mode_with_a_token_still_checks_signatures(config):
    app = create_app({**config, "VOICELINE_DEV_MODE": "1"})
    assert app.test_client().post("/voice", data=PARAMS).status_code == 403


@pytest.mark.parametrize("setting,value", [("VOICELINE_GATHER_TIMEOUT", "0"),
                                           ("VOICELINE_GATHER_TIMEOUT", "soon"),
                                           ("PUBLIC_BASE_URL", "line.example.org"),
                                           ("VOICELINE_SMS_FROM", "555-0100"),
                                           ("VOICELINE_SMS_FROM", "15551234567")])
def test_bad_settings_are_refused_with_a_sentence_naming_them(config, setting, value):
    with pytest.raises(SettingsError, match=setting):
        create_app({**config, setting: value})


def test_no_phone_number_or_message_body_reaches_the_log(transport, signer, caplog,
                                                         monkeypatch):
    caplog.set_level(logging.DEBUG)
    texter = SimulatedTexter(transport, signer, number="+15005550777")
    texter.send("my secret question about risks")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("voiceline.web.sms.answer_text", broken)
    texter.send("another private message")
    logged = caplog.text
    assert "boom" in logged  # the failure itself is logged...
    assert "5005550777" not in logged and "private message" not in logged  # ...no caller data
