"""Text me this: after a topic, press 4 to get its text message; every failure is spoken.

The Twilio REST API is mocked with ``responses`` (``no_network``); each test asserts the
exact request, or that none was made. Runs on SQLite and PostgreSQL (opt-outs and the
hourly limit live in the store).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

import pytest
import requests

from voiceline.engine.call import TOPIC_END as END
from voiceline.engine.call import TOPIC_TEXT as TEXT_ME
from voiceline.engine.texts import compose_topic
from voiceline.testing import ACCOUNT_SID, LINE_NUMBER, FlaskTransport, SimulatedCall
from voiceline.testing import SimulatedTexter as Texter

MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
CALLER = "+15005550077"
TOPIC = "risks"


@pytest.fixture
def line(make_app):
    return make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, VOICELINE_SMS_FROM=LINE_NUMBER)


@pytest.fixture
def twilio(no_network):
    """The Messages endpoint, answering 201 unless a test says otherwise."""
    no_network.post(MESSAGES_URL, status=201,
                    json={"sid": "SM" + "1" * 32, "status": "queued"})
    return no_network


def keys_to(catalog, topic_id, menu_id=None, keys=()):
    menu_id = menu_id or catalog.flow.main_menu
    for option in catalog.flow.menus[menu_id].options:
        if option.topic == topic_id:
            return [*keys, option.key]
        if option.menu:
            found = keys_to(catalog, topic_id, option.menu, (*keys, option.key))
            if found:
                return found
    return None


def at_topic(app, signer, catalog, code="en", caller=CALLER, topic_id=TOPIC, **params):
    call = SimulatedCall(FlaskTransport(app.test_client()), signer, caller=caller)
    call.params.update(params)
    call.start()
    call.press(str(catalog.flow.languages.index(code) + 1))
    for key in keys_to(catalog, topic_id):
        call.press(key)
    return call


def sent(mock) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in parse_qs(c.request.body).items()} for c in mock.calls
            if c.request.url == MESSAGES_URL]


def then_the_topic_menu(heard, lang):
    """After the sentence, the caller is offered the topic's choices again."""
    said = [h.text for h in heard]
    for key, label in ((TEXT_ME, "text_label"), (END, "end_label")):
        assert lang.action(lang.call[label], key) in said
    return said


@pytest.mark.parametrize("code", ["en", "es"])
def test_pressing_4_texts_the_topic_to_the_caller_in_their_language(line, signer, catalog,
                                                                    twilio, code):
    lang = catalog.languages[code]
    call = at_topic(line, signer, catalog, code)
    heard = call.press(TEXT_ME)
    said = then_the_topic_menu(heard, lang)
    assert said[0] == lang.call["text_sent"]
    assert sent(twilio) == [{
        "To": CALLER, "From": LINE_NUMBER, "Body": compose_topic(lang, TOPIC),
        "StatusCallback": f"https://line.example.org/sms/status?lang={code}&topic={TOPIC}",
    }]
    request = twilio.calls[0].request
    assert request.headers["Authorization"].startswith("Basic ")
    assert 0 < request.req_kwargs["timeout"] <= 10  # the call must not wait on Twilio
    assert not call.ended
    call.press(END)
    assert call.hung_up and call.heard_text[-2:] == [lang.call["physician"], lang.call["goodbye"]]


def test_the_offer_is_the_fourth_choice_after_every_topic(line, signer, catalog):
    lang = catalog.languages["en"]
    call = at_topic(line, signer, catalog)
    assert lang.action(lang.call["text_label"], TEXT_ME) in call.heard_text


def test_a_messaging_service_sends_when_one_is_set(make_app, signer, catalog, twilio):
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_MESSAGING_SERVICE_SID="MG" + "2" * 32,
                   VOICELINE_SMS_FROM=LINE_NUMBER)
    at_topic(app, signer, catalog).press(TEXT_ME)
    (request,) = sent(twilio)
    assert request["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in request


def test_without_a_from_setting_the_dialled_number_sends(make_app, signer, catalog, twilio):
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID)
    at_topic(app, signer, catalog, To="+15005550100", Called="+15005550100").press(TEXT_ME)
    assert sent(twilio)[0]["From"] == "+15005550100"


TWILIO_FAILURES = [
    # (HTTP status, Twilio error code, what the caller hears)
    (400, 21211, "text_not_possible"),
    (400, 21614, "text_not_possible"),
    (400, 21610, "text_opted_out"),
    (429, 20429, "text_busy"),
    (500, None, "text_failed"),
    (503, None, "text_failed"),
    (401, 20003, "text_failed"),
]


@pytest.mark.parametrize("status,code,key", TWILIO_FAILURES)
def test_each_twilio_refusal_is_one_spoken_sentence_and_the_call_goes_on(
        line, signer, catalog, no_network, caplog, status, code, key):
    no_network.post(MESSAGES_URL, status=status, json={
        "code": code, "status": status, "more_info": "https://www.twilio.com/docs/errors",
        "message": f"The 'To' number {CALLER} cannot receive this message."})
    lang = catalog.languages["en"]
    call = at_topic(line, signer, catalog)
    with caplog.at_level(logging.INFO):
        said = then_the_topic_menu(call.press(TEXT_ME), lang)
    assert said[0] == lang.call[key]
    assert len(sent(no_network)) == 1
    assert CALLER not in caplog.text and CALLER[2:] not in caplog.text
    call.press("1")  # the call carries on
    assert lang.topics[TOPIC].spoken in call.heard_text


@pytest.mark.parametrize("error,key", [
    (requests.exceptions.ReadTimeout("slow"), "text_unconfirmed"),
    (requests.exceptions.ConnectTimeout("unreachable"), "text_failed"),
    (requests.exceptions.ConnectionError("reset"), "text_failed"),
])
def test_a_timeout_or_broken_connection_is_spoken_too(line, signer, catalog, no_network,
                                                      error, key):
    no_network.post(MESSAGES_URL, body=error)
    lang = catalog.languages["en"]
    said = then_the_topic_menu(at_topic(line, signer, catalog).press(TEXT_ME), lang)
    assert said[0] == lang.call[key]


def test_twilio_unsubscribed_is_remembered_as_an_opt_out(line, signer, catalog, no_network):
    no_network.post(MESSAGES_URL, status=400, json={"code": 21610, "status": 400,
                                                    "message": "unsubscribed"})
    lang = catalog.languages["en"]
    call = at_topic(line, signer, catalog)
    call.press(TEXT_ME)
    assert call.press(TEXT_ME)[0].text == lang.call["text_opted_out"]
    assert len(sent(no_network)) == 1  # the second time Twilio was not asked
    texter = Texter(FlaskTransport(line.test_client()), signer, number=CALLER)
    assert texter.send("MENU") is None


WITHHELD_OR_INVALID = ["anonymous", "Anonymous", "+266696687", "restricted", "+7378742833",
                       "+2562533", "+8656696", "+86282452253", "", "12345", "5005550077",
                       "+1 500 555 0077", "+0123456789", "sip:someone@example.org",
                       "client:alice", "+1500555007712345678"]


@pytest.mark.parametrize("caller", WITHHELD_OR_INVALID)
def test_a_withheld_or_unusable_caller_id_is_not_sent_to_twilio(line, signer, catalog,
                                                                twilio, caller):
    lang = catalog.languages["en"]
    said = then_the_topic_menu(at_topic(line, signer, catalog, caller=caller).press(TEXT_ME), lang)
    assert said[0] == lang.call["text_not_possible"]
    assert sent(twilio) == []


def test_a_number_that_texted_stop_gets_no_text(line, signer, catalog, twilio):
    texter = Texter(FlaskTransport(line.test_client()), signer, number=CALLER)
    assert texter.send("STOP") is None
    lang = catalog.languages["en"]
    said = then_the_topic_menu(at_topic(line, signer, catalog).press(TEXT_ME), lang)
    assert said[0] == lang.call["text_opted_out"]
    assert sent(twilio) == []
    texter.send("START")
    assert at_topic(line, signer, catalog).press(TEXT_ME)[0].text == lang.call["text_sent"]


def test_at_most_three_texts_per_number_per_hour(line, signer, catalog, twilio):
    lang = catalog.languages["en"]
    call = at_topic(line, signer, catalog)
    heard = [call.press(TEXT_ME)[0].text for _ in range(4)]
    assert heard == [lang.call["text_sent"]] * 3 + [lang.call["text_limit"]]
    assert len(sent(twilio)) == 3
    other = at_topic(line, signer, catalog, caller="+15005550078")
    assert other.press(TEXT_ME)[0].text == lang.call["text_sent"]


def test_the_hourly_limit_is_a_setting(make_app, signer, catalog, twilio):
    app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, VOICELINE_SMS_FROM=LINE_NUMBER,
                   VOICELINE_TEXTS_PER_HOUR="1")
    call = at_topic(app, signer, catalog)
    lang = catalog.languages["en"]
    assert [call.press(TEXT_ME)[0].text for _ in range(2)] == [lang.call["text_sent"],
                                                           lang.call["text_limit"]]


def test_without_twilio_credentials_the_caller_hears_it_failed(make_app, signer, catalog,
                                                               twilio, caplog):
    app = make_app()  # no TWILIO_ACCOUNT_SID
    lang = catalog.languages["en"]
    with caplog.at_level(logging.ERROR):
        said = then_the_topic_menu(at_topic(app, signer, catalog).press(TEXT_ME), lang)
    assert said[0] == lang.call["text_failed"]
    assert sent(twilio) == []
    assert "TWILIO_ACCOUNT_SID" in caplog.text


def test_a_broken_store_means_no_text_but_the_call_goes_on(config, memory_store, signer,
                                                           catalog, twilio, closing):
    from voiceline import create_app

    app = closing(create_app({**config, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                              "VOICELINE_SMS_FROM": LINE_NUMBER}, store=memory_store))
    call = at_topic(app, signer, catalog)
    memory_store.broken = True
    lang = catalog.languages["en"]
    said = then_the_topic_menu(call.press(TEXT_ME), lang)
    assert said[0] == lang.call["text_failed"]
    assert sent(twilio) == []
