"""Behind a platform's router or nginx, without PUBLIC_BASE_URL: the line sees http and an
inner host, Twilio signed https and the public host. X-Forwarded-* headers fix that only
when VOICELINE_TRUSTED_PROXIES says a proxy sets them; otherwise anyone could send them."""

from __future__ import annotations

import pytest

from voiceline import create_app
from voiceline.errors import SettingsError
from voiceline.testing import TwilioSigner

PARAMS = {"CallSid": "CA" + "e" * 32, "From": "+15005550009", "To": "+15005550006",
          "Body": "hi"}
PUBLIC = "https://line.example.org"


@pytest.fixture
def behind_proxy(config):
    def make(proxies: str):
        # Trusting no proxy and naming no address starts only in development mode.
        return create_app({**config, "PUBLIC_BASE_URL": None,
                           "VOICELINE_TRUSTED_PROXIES": proxies,
                           "VOICELINE_DEV_MODE": "1" if proxies in ("", "0") else "0"})
    return make


def token(app) -> str:
    return app.config["TWILIO_AUTH_TOKEN"]


@pytest.mark.parametrize("path", ["/voice", "/sms", "/voice/answer?lang=en&at=main"])
@pytest.mark.parametrize("proxies,expected", [("1", 200), ("0", 403), ("", 403)])
def test_https_signed_request_arriving_as_http_passes_only_behind_a_trusted_proxy(
        behind_proxy, path, proxies, expected):
    app = behind_proxy(proxies)
    headers = {**TwilioSigner(token(app), PUBLIC).headers(path, PARAMS),
               "X-Forwarded-Proto": "https"}
    response = app.test_client().post(path, data=PARAMS, headers=headers,
                                      base_url="http://line.example.org")
    assert response.status_code == expected


@pytest.mark.parametrize("proxies,expected", [("1", 200), ("0", 403)])
def test_the_forwarded_host_counts_only_behind_a_trusted_proxy(behind_proxy, proxies,
                                                               expected):
    # nginx passing to 127.0.0.1:8000 with X-Forwarded-Host instead of the Host header.
    app = behind_proxy(proxies)
    headers = {**TwilioSigner(token(app), PUBLIC).headers("/sms", PARAMS),
               "X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.org"}
    response = app.test_client().post("/sms", data=PARAMS, headers=headers,
                                      base_url="http://127.0.0.1:8000")
    assert response.status_code == expected


def test_a_trusted_proxy_does_not_let_a_forged_signature_through(behind_proxy):
    app = behind_proxy("1")
    headers = {**TwilioSigner("a-guessed-token", PUBLIC).headers("/sms", PARAMS),
               "X-Forwarded-Proto": "https"}
    response = app.test_client().post("/sms", data=PARAMS, headers=headers,
                                      base_url="http://line.example.org")
    assert response.status_code == 403


def test_only_the_nearest_proxys_word_counts(behind_proxy):
    # The client claimed https itself; the one trusted proxy (appending) says http.
    app = behind_proxy("1")
    headers = {**TwilioSigner(token(app), PUBLIC).headers("/sms", PARAMS),
               "X-Forwarded-Proto": "https, http"}
    response = app.test_client().post("/sms", data=PARAMS, headers=headers,
                                      base_url="http://line.example.org")
    assert response.status_code == 403


def test_public_base_url_wins_over_forwarded_headers(config):
    app = create_app({**config, "PUBLIC_BASE_URL": PUBLIC, "VOICELINE_TRUSTED_PROXIES": "1"})
    headers = {**TwilioSigner(token(app), PUBLIC).headers("/sms", PARAMS),
               "X-Forwarded-Proto": "http", "X-Forwarded-Host": "elsewhere.example.com"}
    response = app.test_client().post("/sms", data=PARAMS, headers=headers,
                                      base_url="http://10.0.0.5:8000")
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["yes", "-1", "one"])
def test_a_bad_trusted_proxies_setting_is_refused_by_name(config, value):
    with pytest.raises(SettingsError, match="VOICELINE_TRUSTED_PROXIES"):
        create_app({**config, "VOICELINE_TRUSTED_PROXIES": value})
