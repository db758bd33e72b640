"""What a texter reads: the list, topics by number, word or question, HELP, STOP, Spanish."""

from __future__ import annotations

import sqlite3

import pytest

from voiceline.testing import FlaskTransport, SimulatedTexter
from voiceline.text import gsm


def assert_good_reply(reply, lang, max_segments=3):
    """Every reply: plain GSM-7, within its segments, ending with the short disclaimer."""
    assert reply is not None
    assert not gsm.non_gsm7(reply), gsm.non_gsm7(reply)
    assert gsm.segments(reply) <= max_segments, (gsm.segments(reply), reply)
    assert reply.endswith(lang.text["disclaimer"])


def menu_lines(catalog, lang):
    return [f"{n} {lang.topics[t].label[:1].upper()}{lang.topics[t].label[1:]}"
            for n, t in enumerate(catalog.flow.topics, start=1)]


@pytest.mark.parametrize("first", ["hello", "MENU", "good morning", "?", "Hi there"])
def test_a_first_text_gets_the_numbered_list_in_two_segments(texter, catalog, first):
    lang = catalog.languages["en"]
    reply = texter.send(first)
    assert_good_reply(reply, lang, max_segments=2)
    for line in menu_lines(catalog, lang):
        assert line in reply.splitlines()


@pytest.mark.parametrize("code", ["en", "es"])
def test_every_topic_by_number_fits_three_segments_with_the_disclaimer(texter, catalog, code):
    lang = catalog.languages[code]
    texter.send("hi")
    if code == "es":
        texter.send("ES")
    for number, topic_id in enumerate(catalog.flow.topics, start=1):
        reply = texter.send(str(number))
        assert_good_reply(reply, lang)
        assert reply.startswith(gsm.to_gsm7(lang.topics[topic_id].text))


TEXTED_REQUESTS = [
    ("what are the dangers?", "risks"),
    ("How much does it cost", "cost"),
    ("does medicaid pay for this", "insurance"),
    ("RISKS", "risks"),
    ("recovery", "recovery"),
    ("Is it covered by insurance?", "insurance"),
    ("what are my other options", "alternatives"),
]


@pytest.mark.parametrize("body,topic_id", TEXTED_REQUESTS)
def test_words_and_questions_get_that_topic(texter, catalog, body, topic_id):
    lang = catalog.languages["en"]
    texter.send("hi")
    reply = texter.send(body)
    assert_good_reply(reply, lang)
    assert reply.startswith(gsm.to_gsm7(lang.topics[topic_id].text))


def test_a_question_naming_two_topics_lists_both_numbers(texter, catalog):
    lang = catalog.languages["en"]
    texter.send("hi")
    reply = texter.send("risks and cost")
    assert_good_reply(reply, lang)
    assert reply.startswith(lang.text["did_you_mean"])
    assert "4 Risks" in reply and "8 Cost" in reply


@pytest.mark.parametrize("body", ["banana", "0", "11", "99999", "..."])
def test_anything_else_gets_a_hint_and_the_list(texter, catalog, body):
    lang = catalog.languages["en"]
    texter.send("hi")
    reply = texter.send(body)
    assert_good_reply(reply, lang)
    assert reply.startswith(lang.text["unknown"])
    assert menu_lines(catalog, lang)[0] in reply


@pytest.mark.parametrize("word", ["HELP", "help", "INFO", " Info "])
def test_help_says_what_the_line_is_with_rates_and_stop(texter, catalog, word):
    lang = catalog.languages["en"]
    reply = texter.send(word)
    assert_good_reply(reply, lang)
    assert "Msg&data rates may apply" in reply
    assert "Reply STOP to opt out" in reply


@pytest.mark.parametrize("stop", ["STOP", "stop", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",
                                  "QUIT", "REVOKE", "OPTOUT", "Stop."])
@pytest.mark.parametrize("start", ["START", "UNSTOP", "yes"])
def test_stop_silences_everything_until_start(texter, catalog, stop, start):
    lang = catalog.languages["en"]
    assert texter.send("hi") is not None
    assert texter.send(stop) is None
    for body in ("MENU", "4", "HELP", "what are the risks", "hello"):
        assert texter.send(body) is None, body
    reply = texter.send(start)
    assert_good_reply(reply, lang)
    assert reply.startswith(lang.text["resubscribed"])
    assert texter.send("4").startswith(gsm.to_gsm7(lang.topics["risks"].text))


def test_twilio_advanced_opt_out_type_is_honoured(texter):
    assert texter.send("hi") is not None
    assert texter.send("PARAR", OptOutType="STOP") is None
    assert texter.send("4") is None
    # Advanced Opt-Out answered the START itself (one reply, not two); the texter is back.
    assert texter.send("COMENZAR", OptOutType="START") is None
    assert texter.send("4") is not None


def test_stop_is_remembered_by_a_new_app_on_the_same_database(app, config, signer, texter):
    from voiceline import create_app

    texter.send("hi")
    assert texter.send("STOP") is None
    restarted = create_app(config)
    again = SimulatedTexter(FlaskTransport(restarted.test_client()), signer)
    assert again.send("MENU") is None


@pytest.mark.parametrize("switch", ["ESPAÑOL", "espanol", "ES", "Español"])
def test_spanish_is_kept_for_that_number_and_english_switches_back(texter, catalog, switch):
    es, en = catalog.languages["es"], catalog.languages["en"]
    texter.send("hi")
    reply = texter.send(switch)
    assert_good_reply(reply, es, max_segments=2)
    assert reply.startswith(gsm.to_gsm7(es.text["language_set"]))
    topic = texter.send("4")
    assert_good_reply(topic, es)
    assert topic.startswith(gsm.to_gsm7(es.topics["risks"].text))
    assert_good_reply(texter.send("cuanto cuesta"), es)
    back = texter.send("ENGLISH")
    assert_good_reply(back, en, max_segments=2)
    assert texter.send("4").startswith(gsm.to_gsm7(en.topics["risks"].text))


def test_hola_as_a_first_text_answers_in_spanish(texter, catalog):
    es = catalog.languages["es"]
    reply = texter.send("Hola")
    assert_good_reply(reply, es, max_segments=2)
    assert_good_reply(texter.send("2"), es)


def test_each_number_has_its_own_language_and_opt_out(transport, signer, catalog):
    first = SimulatedTexter(transport, signer, number="+15005550001")
    second = SimulatedTexter(transport, signer, number="+15005550002")
    first.send("hi")
    second.send("hi")
    first.send("ES")
    second.send("STOP")
    assert first.send("1").endswith(catalog.languages["es"].text["disclaimer"])
    assert second.send("1") is None


def test_the_database_holds_no_phone_number(app, config, transport, signer):
    number = "+15005550123"
    texter = SimulatedTexter(transport, signer, number=number)
    for body in ("hi", "ES", "4", "STOP", "START"):
        texter.send(body)
    path = config["DATABASE_URL"].removeprefix("sqlite:///")
    dump = "\n".join(sqlite3.connect(path).iterdump())
    assert "5005550123" not in dump
    assert "texters" in dump  # the table really was written


def test_an_unreadable_store_means_no_reply_rather_than_an_error(memory_app, memory_store,
                                                                 signer):
    texter = SimulatedTexter(FlaskTransport(memory_app.test_client()), signer)
    assert texter.send("hi") is not None
    memory_store.broken = True
    assert texter.send("4") is None
    assert texter.send("STOP") is None  # logged; still no reply


def test_an_unexpected_error_gets_a_short_apology_with_the_disclaimer(texter, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("voiceline.web.sms.answer_text", broken)
    reply = texter.send("hi")
    assert "not medical advice" in reply and "doctor" in reply
    assert not gsm.non_gsm7(reply) and gsm.segments(reply) <= 1
