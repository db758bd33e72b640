"""Understood the first time: a question as the first text or at the first prompt, in
either language, and the keywords and paging of the texted list (through the webhooks)."""

from __future__ import annotations

import pytest

from voiceline.engine.texts import menu_pages
from voiceline.testing import SimulatedCall, SimulatedTexter
from voiceline.text import gsm


def good(reply, lang, segments=3):
    assert reply is not None and not gsm.non_gsm7(reply)
    assert gsm.segments(reply) <= segments, (gsm.segments(reply), reply)
    assert reply.endswith(lang.text["disclaimer"])
    return reply


# (first text, topic, the language of the answer)
FIRST_QUESTIONS = [
    ("how much does it cost?", "cost", "en"),
    ("is it safe", "risks", "en"),
    ("will my insurrance pay", "insurance", "en"),
    ("cuanto cuesta", "cost", "es"),
    ("tiene efectos secundarios?", "risks", "es"),
]


@pytest.mark.parametrize("body,topic,code", FIRST_QUESTIONS)
def test_a_question_texted_first_gets_its_topic_and_one_welcome_line(texter, catalog, body,
                                                                     topic, code):
    lang = catalog.languages[code]
    reply = good(texter.send(body), lang)
    assert gsm.to_gsm7(" ".join(lang.topics[topic].text.split())[:40]) in reply
    assert gsm.to_gsm7(lang.text["first_answer"]) in reply
    assert gsm.to_gsm7(lang.text["emergency"]) in reply  # "Emergency? Call 911."
    # The welcome line is for the first text only.
    again = good(texter.send(body + "!"), lang)
    assert gsm.to_gsm7(lang.text["first_answer"]) not in again


@pytest.mark.parametrize("body", ["hello", "hola", "?", "", "asdf qwer", "x" * 1601])
def test_a_greeting_gibberish_empty_or_huge_first_text_gets_no_guessed_topic(texter, catalog,
                                                                             body):
    reply = texter.send(body)
    langs = catalog.languages.values()
    assert reply is not None
    assert not any(gsm.to_gsm7(t.text[:30]) in reply for lang in langs
                   for t in lang.topics.values())


def test_a_spanish_question_from_an_english_number_is_answered_in_spanish(texter, catalog):
    texter.send("hi")
    es = catalog.languages["es"]
    reply = good(texter.send("cuanto cuesta el tratamiento"), es)
    assert gsm.to_gsm7(es.topics["cost"].text[:30]) in reply
    reply = good(texter.send("what are the risks"), catalog.languages["en"])
    assert gsm.to_gsm7(catalog.languages["en"].topics["risks"].text[:30]) in reply


@pytest.mark.parametrize("word", ["ALTO", "parar", "Cancelar", "BAJA"])
def test_spanish_stop_words_opt_out_and_comenzar_opts_back_in(texter, catalog, word):
    assert texter.send("hola") is not None
    assert texter.send(word) is None
    assert texter.send("cuanto cuesta") is None
    back = texter.send("COMENZAR")
    assert back is not None and gsm.to_gsm7(catalog.languages["es"].text["resubscribed"]) in back


def test_ayuda_gets_help_in_spanish(texter, catalog):
    es = catalog.languages["es"]
    reply = good(texter.send("AYUDA"), es)
    assert gsm.to_gsm7(es.text["help"][:40]) in reply


def test_the_texted_list_pages_with_more_and_keeps_every_number(texter, catalog):
    en = catalog.languages["en"]
    pages = menu_pages(catalog, en, en.text["welcome"])
    first = good(texter.send("menu"), en, segments=2)
    listed = [line for line in first.splitlines() if line[:1].isdigit()]
    if len(pages) > 1:
        more = good(texter.send("MORE"), en, segments=2)
        listed += [line for line in more.splitlines() if line[:1].isdigit()]
    assert [int(line.split()[0]) for line in listed] == list(
        range(1, len(catalog.flow.topics) + 1))


def test_low_confidence_speech_is_confirmed_not_assumed(call, catalog):
    en = catalog.languages["en"]
    call.start()
    call.press("1")
    heard = [h.text for h in call.say("what are the risks", confidence=0.2)]
    assert en.topics["risks"].spoken not in heard
    assert en.call["did_you_mean"].format(label=en.topics["risks"].label) in heard
    assert en.topics["risks"].spoken in [h.text for h in call.press("1")]


@pytest.mark.parametrize("said,topic,code", [
    ("what are the risks", "risks", "en"),
    ("how much does it cost", "cost", "en"),
    ("cuales son los riesgos", "risks", "es"),
])
def test_a_question_at_the_first_prompt_goes_straight_to_its_topic(call, catalog, said,
                                                                   topic, code):
    call.start()
    heard = [h.text for h in call.say(said)]
    assert catalog.languages[code].topics[topic].spoken in heard
    # The call goes on in the language of the question.
    lang = catalog.languages[code]
    assert lang.call["goodbye"] in [h.text for h in call.press("2")]


def test_keys_still_choose_the_language_at_the_first_prompt(call, catalog):
    call.start()
    assert catalog.languages["es"].call["main_menu_intro"] in [h.text for h in call.press("2")]


@pytest.mark.parametrize("said", ["um", "asdf qwerty", "can i make an appointment"])
def test_speech_naming_no_topic_gets_the_way_forward(call, catalog, said):
    en = catalog.languages["en"]
    call.start()
    call.press("1")
    heard = [h.text for h in call.say(said)]
    assert en.call["not_understood"] in heard and en.call["universal"] in heard
    assert not any(t.spoken in heard for t in en.topics.values())


def test_a_key_said_as_a_word_is_that_key(call, catalog):
    en = catalog.languages["en"]
    call.start()
    call.press("1")
    option = catalog.flow.menus[catalog.flow.main_menu].option_for("5")
    assert option is not None and option.topic
    assert en.topics[option.topic].spoken in [h.text for h in call.say("five")]


def test_each_texter_is_answered_as_a_new_texter_once(transport, signer, catalog):
    one, two = SimulatedTexter(transport, signer), SimulatedTexter(transport, signer,
                                                                   number="+15005550199")
    assert catalog.languages["en"].text["first_answer"][:20] in one.send("pricey?")
    assert catalog.languages["en"].text["first_answer"][:20] in two.send("pricey?")


def test_the_call_fixture_is_a_simulated_call(call):
    assert isinstance(call, SimulatedCall)
