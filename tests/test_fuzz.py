"""Property tests over every webhook (hypothesis): any form and any query gets a 200 with
TwiML Twilio accepts, or a 403 when not signed (or naming another account); every call
ending says the disclaimer. Then each reproduction of a wire number that is not ASCII
digits, and of a replayed STOP, START or HELP."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceline import create_app
from voiceline.storage.store import MemoryStore
from voiceline.testing import (
    ACCOUNT_SID,
    SimulatedTexter,
    TwilioSigner,
)
from voiceline.testing.fuzz import FIELDS, ODD, QUERY, WEBHOOKS, FuzzRequest, disclaimers, judge

from .conftest import AUTH_TOKEN, BASE_URL

VALUES = st.one_of(st.sampled_from(ODD), st.text(max_size=40).filter(
    lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t)))


@st.composite
def requests(draw) -> FuzzRequest:
    path = draw(st.sampled_from(WEBHOOKS))
    query = draw(st.dictionaries(st.sampled_from(QUERY), VALUES, max_size=4))
    form = draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8))
    if draw(st.booleans()):
        form["AccountSid"] = ACCOUNT_SID
    return FuzzRequest(path + ("?" + urlencode(query) if query else ""), form,
                       signed=draw(st.integers(0, 9)) > 0)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, catalog):
    folder = tmp_path_factory.mktemp("fuzz")
    from .conftest import FIXTURE_PROMPTS
    app = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL":
                      BASE_URL, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "VOICELINE_HASH_SECRET": "s",
                      "VOICELINE_PROMPTS_DIR": str(FIXTURE_PROMPTS),
                      "VOICELINE_PENDING_DIR": str(folder)}, store=MemoryStore())
    known = disclaimers(lang.call["disclaimer"] for lang in catalog.languages.values())
    return app.test_client(), TwilioSigner(AUTH_TOKEN, BASE_URL), known


def fire(client, signer, request: FuzzRequest) -> tuple[int, str]:
    headers = signer.headers(request.path, request.form) if request.signed else {}
    answer = client.post(request.path, data=request.form, headers=headers)
    return answer.status_code, answer.get_data(as_text=True)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=requests())
def test_any_request_to_any_webhook_gets_twiml_twilio_accepts(fuzzed, request):
    client, signer, known = fuzzed
    status, body = fire(client, signer, request)
    assert judge(request, status, body, known) is None, (request, status, body[:500])


# ------------------------------------------------------------- numbers from the wire

@pytest.mark.parametrize("odd", ["²", "٣", "１", "१", "1²"])
@pytest.mark.parametrize("field", ["Digits", "NumMedia", "CallDuration"])
def test_unicode_digits_are_not_numbers_and_never_the_apology(client, signer, catalog, odd,
                                                              field):
    lang = catalog.languages["en"]
    paths = {"Digits": "/voice/answer?lang=en&at=main", "NumMedia": "/sms",
             "CallDuration": "/voice/status"}
    params = {"AccountSid": ACCOUNT_SID, "From": "+15005550009", "Body": "hi", field: odd}
    answer = client.post(paths[field], data=params, headers=signer.headers(paths[field], params))
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert lang.call["error"] not in text and "problem right now" not in text


@pytest.mark.parametrize("odd", ["²", "٣", "1²"])
def test_a_unicode_count_in_the_query_hears_the_menu(call, catalog, transport, signer, odd):
    call.start()
    call.press("1")  # English, at the main menu
    path = "/voice/answer?" + urlencode({"lang": "en", "at": "main", "s": odd, "m": odd})
    params = {"AccountSid": ACCOUNT_SID, "Digits": "9"}
    status, text = transport.post(path, params, signer.headers(path, params))
    assert status == 200 and catalog.languages["en"].call["error"] not in text


# ------------------------------------------------------------------------- replays

def replay(texter: SimulatedTexter, body: str, sid: str) -> str | None:
    return texter.send(body, MessageSid=sid, SmsSid=sid)


def test_a_replayed_start_does_not_resubscribe(texter):
    assert replay(texter, "START", "SM" + "a" * 32) is not None
    assert replay(texter, "STOP", "SM" + "b" * 32) is None
    assert replay(texter, "START", "SM" + "a" * 32) is None  # the old START, replayed
    assert texter.send("MENU") is None  # still opted out


def test_a_replayed_stop_does_not_undo_a_later_start(texter):
    assert replay(texter, "STOP", "SM" + "c" * 32) is None
    assert texter.send("START") is not None
    assert replay(texter, "STOP", "SM" + "c" * 32) is None
    assert texter.send("MENU") is not None  # the START still holds


def test_a_replayed_help_is_not_answered_again(texter):
    assert replay(texter, "HELP", "SM" + "d" * 32) is not None
    assert replay(texter, "HELP", "SM" + "d" * 32) is None
    assert texter.send("MENU") is not None
    assert texter.send("HELP") is not None  # a new HELP is answered


def test_calls_end_with_the_disclaimer_even_after_odd_input(call, catalog):
    lang = catalog.languages["en"]
    call.start()
    call.press("1")
    call.press("²")
    call.press("0")
    for _ in range(6):
        if not call.hung_up:
            call.silence()
    assert call.hung_up and lang.call["disclaimer"] in call.heard_text
