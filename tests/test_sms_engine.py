"""The SMS engine's decisions as tables (input -> decision), straight from the pure engine,
on the tests' own prompt files: no webhook, no database."""

from __future__ import annotations

import pytest

from voiceline.engine.guards import Texter
from voiceline.engine.outcomes import Answered, EventKind
from voiceline.engine.texts import (
    MAX_BODY,
    answer_text,
    answer_unreadable,
    is_opt_in,
    is_opt_out,
    unreadable,
)
from voiceline.text import gsm

ENGLISH, SPANISH = Texter(False, "en"), Texter(False, "es")


@pytest.mark.parametrize("body,opt_out_type,expected", [
    ("STOP", "", True),
    ("stop", "", True),
    (" Stop. ", "", True),
    ("UNSUBSCRIBE", "", True),
    ("cancel", "", True),
    ("quit", "", True),
    ("stop texting me", "", True),
    ("please stop", "", False),  # not a keyword: a question that says stop
    ("how do I stop the pain", "", False),
    ("", "STOP", True),  # Twilio's Advanced Opt-Out says so
    ("hola", "stop", True),
    ("risks", "", False),
])
def test_opt_out_words(body, opt_out_type, expected):
    assert is_opt_out(body, opt_out_type) is expected


@pytest.mark.parametrize("body,opt_out_type,expected", [
    ("START", "", True), ("unstop", "", True), ("yes", "", True), ("", "START", True),
    ("start over", "", False), ("risks", "", False),
])
def test_opt_in_words(body, opt_out_type, expected):
    assert is_opt_in(body, opt_out_type) is expected


@pytest.mark.parametrize("length,media,expected", [
    (10, 0, None),
    (MAX_BODY, 0, None),
    (MAX_BODY + 1, 0, Answered.TOO_LONG),
    (10, 1, Answered.MEDIA),
    (MAX_BODY + 1, 2, Answered.TOO_LONG),
])
def test_texts_that_cannot_be_read(length, media, expected):
    assert unreadable(length, media) == expected


def topic_number(catalog, topic_id: str) -> str:
    return str(catalog.flow.topics.index(topic_id) + 1)


# (texter, body, resubscribed) -> (what is answered, the topic, the language from now on)
DECISIONS = [
    (ENGLISH, "HELP", False, Answered.HELP, None, "en"),
    (SPANISH, "help", False, Answered.HELP, None, "es"),
    (ENGLISH, "menu", False, Answered.MENU, None, "en"),
    (ENGLISH, "MENU", False, Answered.MENU, None, "en"),
    (ENGLISH, "hi", False, Answered.MENU, None, "en"),  # a greeting later on: the list
    (ENGLISH, "ES", False, Answered.LANGUAGE, None, "es"),
    (ENGLISH, "español", False, Answered.LANGUAGE, None, "es"),
    (SPANISH, "english", False, Answered.LANGUAGE, None, "en"),
    (ENGLISH, "#risks", False, Answered.TOPIC, "risks", "en"),
    (ENGLISH, "#cost", False, Answered.TOPIC, "cost", "en"),
    (SPANISH, "#cost", False, Answered.TOPIC, "cost", "es"),
    (ENGLISH, "999", False, Answered.UNKNOWN, None, "en"),
    (ENGLISH, "0", False, Answered.UNKNOWN, None, "en"),
    (ENGLISH, "zzzz qqqq", False, Answered.UNKNOWN, None, "en"),
    (ENGLISH, "", False, Answered.UNKNOWN, None, "en"),
    (ENGLISH, "START", True, Answered.RESUBSCRIBED, None, "en"),
    (SPANISH, "START", True, Answered.RESUBSCRIBED, None, "es"),
]


@pytest.mark.parametrize("texter,body,resubscribed,kind,topic,language", DECISIONS)
def test_what_a_text_gets_back(catalog, texter, body, resubscribed, kind, topic, language):
    if body.startswith("#"):  # "#risks": the number the list gives that topic
        body = topic_number(catalog, body[1:])
    answer = answer_text(catalog, texter, body, resubscribed)
    assert (answer.kind, answer.topic or None, answer.language) == (kind, topic, language)
    lang = catalog.languages[language]
    assert answer.body.endswith(gsm.to_gsm7(lang.text["disclaimer"]))
    assert gsm.non_gsm7(answer.body) == []
    if topic:
        assert answer.body.startswith(gsm.to_gsm7(lang.topics[topic].text))


def test_every_topic_is_reached_by_its_number_in_every_language(catalog):
    for code in catalog.flow.languages:
        texter = Texter(False, code)
        for number, topic_id in enumerate(catalog.flow.topics, start=1):
            answer = answer_text(catalog, texter, str(number))
            assert (answer.kind, answer.topic, answer.language) == (Answered.TOPIC, topic_id,
                                                                    code)


def test_a_decision_names_the_usage_event_and_whether_the_language_is_kept(catalog):
    answer = answer_text(catalog, ENGLISH, "ES")
    assert answer.happened.kind is EventKind.SMS_ANSWERED
    assert answer.changes_language_of(ENGLISH) and not answer.changes_language_of(SPANISH)
    picture = answer_unreadable(catalog, SPANISH, Answered.MEDIA)
    assert picture.happened.kind is EventKind.SMS_UNREADABLE
    assert picture.language == "es" and not picture.changes_language_of(None)
    assert picture.body.startswith(gsm.to_gsm7(catalog.languages["es"].text["media"]))


@pytest.mark.parametrize("why", [Answered.MEDIA, Answered.TOO_LONG])
def test_a_red_flag_in_a_text_that_cannot_be_read_is_still_answered_first(catalog, why):
    answer = answer_unreadable(catalog, ENGLISH, why, "my chest hurts, here is a photo")
    english = catalog.languages["en"]
    assert answer.kind is Answered.RED_FLAG and answer.red_flag == "emergency"
    assert answer.body.startswith(gsm.to_gsm7(english.red_flags.groups["emergency"].text))
