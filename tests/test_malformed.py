"""Malformed or odd requests never get a 5xx: a clear way forward instead."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

BAD_VOICE = [
    ("/voice", {}),
    ("/voice/answer", {}),
    ("/voice/answer?lang=xx&at=nowhere", {"Digits": "1"}),
    ("/voice/answer?lang=en&at=main", {"Digits": "A"}),
    ("/voice/answer?lang=en&at=main", {"Digits": "12345678901234567890123"}),
    ("/voice/answer?lang=en&at=main", {"Digits": "\x00\xff"}),
    ("/voice/answer?lang=en&at=main", {"SpeechResult": "ä" * 5000, "Confidence": "high"}),
    ("/voice/answer?lang=en&at=main&s=999&m=-1", {}),
    ("/voice/answer?lang=en&at=topic.nothing", {"Digits": "1"}),
    ("/voice/answer?lang=en&at=pick.risks.cost.benefits.recovery", {"Digits": "4"}),
    ("/voice/answer?lang=es&at=main&trail=x,y,,z", {"Digits": "*"}),
    ("/voice/answer?at=language", {"Digits": "7"}),
    ("/voice/answer?lang=en&at=%ZZ", {"Digits": "1"}),
    ("/voice/menu?lang=en&at=../../etc", {}),
]


@pytest.mark.parametrize("path,params", BAD_VOICE)
def test_odd_voice_requests_get_spoken_words_not_errors(client, signer, path, params):
    response = client.post(path, data=params, headers=signer.headers(path, params))
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert [s for s in root.iter("Say")], "the caller hears something"
    assert root.find("Gather") is not None or root.find("Hangup") is not None


BAD_SMS = [
    {},
    {"Body": ""},
    {"From": "+15005550009"},
    {"From": "", "Body": "hi"},
    {"From": "not a number", "Body": "risks"},
    {"From": "+15005550009", "Body": "x" * 1600},
    {"From": "+15005550009", "Body": "\U0001f600\U0001f600 emoji?"},
    {"From": "+15005550009", "Body": "\x00\x01\x02"},
    {"From": "+15005550009", "Body": "   "},
    {"From": "+15005550009", "Body": "<Response><Hangup/></Response>"},
    {"From": "+15005550009", "Body": "{label} {key} %s"},
    {"From": "+15005550009", "Body": "", "NumMedia": "1", "MediaUrl0": "https://x/y.jpg"},
]


@pytest.mark.parametrize("params", BAD_SMS)
def test_odd_texts_get_valid_twiml_not_errors(client, signer, params):
    response = client.post("/sms", data=params, headers=signer.headers("/sms", params))
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    # a body quoting TwiML is answered as text, never executed as TwiML
    assert root.find(".//Hangup") is None


def test_a_huge_body_is_refused_with_a_client_error_not_a_crash(client, signer):
    params = {"From": "+15005550009", "Body": "x" * 200_000}
    response = client.post("/sms", data=params, headers=signer.headers("/sms", params))
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("method,path", [("get", "/voice"), ("get", "/sms"),
                                         ("put", "/voice/answer")])
def test_wrong_methods_are_client_errors(client, method, path):
    assert 400 <= getattr(client, method)(path).status_code < 500
