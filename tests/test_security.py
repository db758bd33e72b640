"""Every webhook is refused with 403 unless Twilio signed exactly this request."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from voiceline import create_app
from voiceline.errors import SettingsError
from voiceline.testing import ACCOUNT_SID, FlaskTransport, SimulatedTexter, TwilioSigner
from voiceline.web.services import services_of

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


def test_in_development_mode_without_public_base_url_the_request_host_is_used(config):
    app = create_app({**config, "PUBLIC_BASE_URL": None, "VOICELINE_DEV_MODE": "1"})
    signer = TwilioSigner(AUTH_TOKEN, "http://localhost")
    texter = SimulatedTexter(FlaskTransport(app.test_client()), signer)
    assert texter.send("hi") is not None


@pytest.mark.parametrize("proxies", [None, "", "0"])
def test_the_line_refuses_to_start_without_knowing_the_address_twilio_signs(config, proxies):
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL") as refused:
        create_app({**config, "PUBLIC_BASE_URL": None, "VOICELINE_TRUSTED_PROXIES": proxies})
    assert "VOICELINE_TRUSTED_PROXIES=1" in str(refused.value)


def test_a_signature_made_for_one_webhook_does_not_pass_on_another_host(client):
    """With PUBLIC_BASE_URL set, a Host header cannot make another URL's signature fit."""
    params = {"AccountSid": ACCOUNT_SID, "From": "+15005550009", "Body": "hi"}
    elsewhere = TwilioSigner(AUTH_TOKEN, "https://evil.example.org").headers("/sms", params)
    answer = client.post("/sms", data=params, headers=elsewhere,
                         base_url="https://evil.example.org")
    assert answer.status_code == 403


@pytest.mark.parametrize("given,expected", [(ACCOUNT_SID, 200), ("AC" + "1" * 32, 403),
                                            ("", 403), (None, 403)])
def test_a_request_naming_another_account_is_refused(config, given, expected):
    app = create_app({**config, "TWILIO_ACCOUNT_SID": ACCOUNT_SID})
    params = {"From": "+15005550009", "Body": "hi", "MessageSid": "SM" + "2" * 32}
    if given is not None:
        params["AccountSid"] = given
    headers = TwilioSigner(AUTH_TOKEN, BASE_URL).headers("/sms", params)
    assert app.test_client().post("/sms", data=params, headers=headers).status_code == expected


@pytest.mark.parametrize("missing", ["VOICELINE_HASH_SECRET"])
def test_the_line_refuses_to_start_without_a_hash_secret_and_says_how(config, missing):
    with pytest.raises(SettingsError, match=missing) as refused:
        create_app({**config, missing: None})
    assert "secrets.token_hex" in str(refused.value)


def test_development_mode_keeps_its_hash_secret_outside_the_database(config, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "i"))
    dev = {**config, "VOICELINE_HASH_SECRET": None, "VOICELINE_DEV_MODE": "1"}
    first, second = create_app(dev), create_app(dev)
    secret = services_of(first).secret()
    assert len(secret) >= 64 and services_of(second).secret() == secret
    assert (Path(first.instance_path) / "hash-secret").read_text().strip() == secret


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
