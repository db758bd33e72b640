"""What a caller hears: greeting, menus, topics by key and by voice, reprompts, endings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from voiceline import create_app
from voiceline.engine import call as call_engine
from voiceline.engine.understand import Understood
from voiceline.testing import FlaskTransport, SimulatedCall, SimulationError


def texts(heard):
    return [h.text for h in heard]


def ends_properly(call, lang):
    """The call said the disclaimer and the physician prompt, then goodbye, and hung up."""
    return call.hung_up and call.heard_text[-3:] == [
        lang.call["disclaimer"], lang.call["physician"], lang.call["goodbye"]]


def choose(call, catalog, code):
    call.start()
    return call.press(str(catalog.flow.languages.index(code) + 1))


def topic_path(catalog, topic_id):
    """The keys that reach a topic from the main menu."""
    def search(menu_id, keys):
        for option in catalog.flow.menus[menu_id].options:
            if option.topic == topic_id:
                return [*keys, option.key]
            if option.menu:
                found = search(option.menu, [*keys, option.key])
                if found:
                    return found
        return None
    return search(catalog.flow.main_menu, [])


def test_call_opens_with_emergency_notice_in_every_language(call, catalog):
    heard = call.start()
    said = texts(heard)
    for code in catalog.flow.languages:
        lang = catalog.languages[code]
        assert lang.call["emergency"] in said
        # the emergency notice comes before any menu is offered
        assert said.index(lang.call["emergency"]) < said.index(lang.choose.format(key="1")
                                                               if code == "en" else
                                                               lang.choose.format(key="2"))
    spanish = [h for h in heard if h.text == catalog.languages["es"].call["emergency"]][0]
    assert spanish.language == "es-US" and spanish.voice == catalog.languages["es"].voice


def test_language_choice_offers_spanish_in_spanish(call, catalog):
    heard = call.start()
    offer = [h for h in heard if h.text == catalog.languages["es"].choose.format(key="2")]
    assert offer and offer[0].language == "es-US"
    assert call.gather.get("input") == "dtmf speech"
    assert call.gather.get("numDigits") == "1"


@pytest.mark.parametrize("code,tag", [("en", "en-US"), ("es", "es-US")])
def test_main_menu_listens_for_keys_and_speech_in_the_callers_language(call, catalog, code,
                                                                       tag):
    heard = choose(call, catalog, code)
    lang = catalog.languages[code]
    gather = call.gather
    assert gather.get("input") == "dtmf speech"
    assert gather.get("numDigits") == "1"
    assert gather.get("language") == tag
    assert int(gather.get("timeout")) >= 5
    # barge-in: the menu is spoken inside the Gather
    inside = ["".join(say.itertext()) for say in gather.iter("Say")]
    assert lang.call["main_menu_intro"] in inside
    assert all(h.language == tag for h in heard)
    # the Spanish voice is a Spanish voice, with its language tag (never bare "es")
    assert all(s.get("voice") == lang.voice for s in gather.iter("Say"))


def test_main_menu_names_each_option_before_its_key_without_gaps(call, catalog):
    lang = catalog.languages["en"]
    heard = texts(choose(call, catalog, "en"))
    menu = catalog.flow.menus[catalog.flow.main_menu]
    offers = [t for t in heard if re.search(r"press \d\.$", t)]
    assert len(offers) == len(menu.options) <= 5
    for number, (option, offer) in enumerate(zip(menu.options, offers, strict=True), start=1):
        label = lang.menus[option.menu] if option.menu else lang.topics[option.topic].label
        assert offer == lang.option(label, str(number))
        assert offer.index(label) < offer.index(str(number))


@pytest.mark.parametrize("code", ["en", "es"])
def test_every_topic_is_reached_by_keypad(transport, signer, catalog, code):
    lang = catalog.languages[code]
    for n, topic_id in enumerate(catalog.flow.topics):
        # A first call from each number: the line would greet a returning one in its language.
        call = SimulatedCall(transport, signer, caller=f"+1500555{n:04d}")
        choose(call, catalog, code)
        heard = []
        for key in topic_path(catalog, topic_id):
            heard = texts(call.press(key))
        assert lang.topics[topic_id].spoken in heard, topic_id
        # every topic is followed by the short reminder to see a doctor
        assert lang.call["topic_reminder"] in heard


SPOKEN_REQUESTS = [
    ("en", "what are the dangers", "risks"),
    ("en", "price of the shots", "cost"),
    ("en", "does Medicaid pay for this", "insurance"),
    ("en", "How does it work?", "how_it_works"),
    ("en", "does it really work", "success_rate"),
    ("en", "what other options do I have", "alternatives"),
    ("en", "how long does recovery take", "recovery"),
    ("en", "Risks.", "risks"),
    ("es", "cuánto cuesta", "cost"),
    ("es", "cuáles son los riesgos", "risks"),
    ("es", "lo cubre mi seguro médico", "insurance"),
]


@pytest.mark.parametrize("code,request_text,topic_id", SPOKEN_REQUESTS)
def test_natural_requests_reach_the_right_topic(call, catalog, code, request_text, topic_id):
    choose(call, catalog, code)
    heard = texts(call.say(request_text))
    assert catalog.languages[code].topics[topic_id].spoken in heard


def test_a_request_naming_two_topics_asks_did_you_mean(call, catalog):
    lang = catalog.languages["en"]
    choose(call, catalog, "en")
    heard = texts(call.say("the risks and the cost"))
    assert not any(t.spoken in heard for t in lang.topics.values())
    assert lang.call["did_you_mean"].format(label=lang.topics["risks"].label) in heard
    assert lang.option(lang.topics["cost"].label, "2") in heard
    assert lang.topics["cost"].spoken in texts(call.press("2"))


def test_unsure_speech_is_confirmed_not_assumed(call, catalog):
    lang = catalog.languages["en"]
    choose(call, catalog, "en")
    heard = texts(call.say("risks", confidence=0.2))
    assert lang.topics["risks"].spoken not in heard
    assert lang.call["did_you_mean"].format(label=lang.topics["risks"].label) in heard
    assert lang.topics["risks"].spoken in texts(call.press("1"))


def test_speech_not_understood_offers_the_menu_again(call, catalog):
    lang = catalog.languages["en"]
    choose(call, catalog, "en")
    heard = texts(call.say("purple elephants"))
    assert heard[0] == lang.call["not_understood"]
    assert lang.call["main_menu_intro"] in heard


def test_after_a_topic_the_caller_can_repeat_go_back_go_to_main_or_end(transport, signer,
                                                                        catalog):
    lang = catalog.languages["en"]
    keys = topic_path(catalog, "risks")
    call = SimulatedCall(transport, signer)
    choose(call, catalog, "en")
    for key in keys:
        after = texts(call.press(key))
    # Only what is new after a topic, verb first; # (again) and 9 (main menu) are the
    # keys that work everywhere, and no numbered key duplicates them.
    assert lang.action(lang.call["text_label"], "1") in after
    assert lang.action(lang.call["end_label"], "2") in after
    assert lang.option(lang.menus[catalog.flow.main_menu], "9") in after
    assert lang.call["universal"] not in after
    assert lang.topics["risks"].spoken in texts(call.press("#"))
    back = texts(call.press("*"))
    sub_menu = catalog.flow.menus[catalog.flow.main_menu].option_for(keys[0]).menu
    assert lang.call["menu_intro"].format(label=lang.menus[sub_menu]) in back
    for key in keys[1:]:
        call.press(key)
    assert lang.call["main_menu_intro"] in texts(call.press("9"))
    for key in keys:
        call.press(key)
    call.press("2")
    assert ends_properly(call, lang)


def test_universal_keys_work_at_a_sub_menu(call, catalog):
    lang = catalog.languages["es"]
    choose(call, catalog, "es")
    call.press("1")
    helped = texts(call.press("0"))
    assert helped[0] == lang.call["help"]
    assert lang.call["main_menu_intro"] in texts(call.press("9"))
    assert lang.call["back_at_main"] in texts(call.press("*"))


def test_invalid_key_says_so_and_offers_the_menu_again(call, catalog):
    lang = catalog.languages["en"]
    choose(call, catalog, "en")
    heard = texts(call.press("7"))
    assert heard[0] == lang.call["invalid_key"].format(key="7")
    assert lang.call["main_menu_intro"] in heard
    assert not call.ended


@pytest.mark.parametrize("code", ["en", "es"])
def test_silence_reprompts_with_more_help_then_ends_politely(call, catalog, code):
    lang = catalog.languages[code]
    choose(call, catalog, code)
    first = texts(call.silence())
    assert first[0] == lang.no_input[0] and lang.call["main_menu_intro"] in first
    second = texts(call.silence())
    assert second[0] == lang.no_input[1] and lang.call["speak_hint"] in second
    last = texts(call.silence())
    assert last[0] == lang.no_input[2]
    assert ends_properly(call, lang)


def test_silence_at_the_language_choice_carries_on_in_english(call, catalog):
    call.start()
    call.silence()
    heard = texts(call.silence())
    assert catalog.languages["en"].call["main_menu_intro"] in heard


def test_saying_goodbye_ends_the_call_with_the_disclaimer(call, catalog):
    lang = catalog.languages["en"]
    choose(call, catalog, "en")
    call.say(lang.commands["end"][0])
    assert ends_properly(call, lang)


def test_an_internal_error_apologises_and_leads_back_to_the_menu(app, call, catalog,
                                                                 monkeypatch):
    lang = catalog.languages["en"]
    choose(call, catalog, "en")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("voiceline.web.voice.answer", broken)
    monkeypatch.setattr("voiceline.web.voice.resume", broken)
    heard = texts(call.press("1"))
    assert heard[:2] == [lang.call["error"], lang.call["disclaimer"]]
    # the redirect back to the menu fails again: the call ends kindly, not in a loop
    assert ends_properly(call, lang)
    assert lang.call["error"] in call.heard_text[-5:]


def test_after_one_internal_error_the_caller_is_back_at_the_main_menu(call, catalog,
                                                                      monkeypatch):
    lang = catalog.languages["en"]
    choose(call, catalog, "en")
    from voiceline.web import voice

    real, failures = voice.answer, []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr("voiceline.web.voice.answer", fails_once)
    heard = texts(call.press("1"))
    assert heard[0] == lang.call["error"]
    assert lang.call["main_menu_intro"] in heard and not call.ended
    assert lang.no_input[0] not in heard  # coming back is not mistaken for silence


def test_broken_prompt_files_at_start_still_answer_with_the_disclaimer(config, signer,
                                                                       tmp_path):
    app = create_app({**config, "VOICELINE_PROMPTS_DIR": str(tmp_path / "missing")})
    call = SimulatedCall(FlaskTransport(app.test_client()), signer)
    heard = " ".join(texts(call.start()))
    assert "not medical advice" in heard and "health care professional" in heard
    assert heard.index("not medical advice") < heard.index("Goodbye")
    assert "No es un consejo médico" in heard  # the language is not known yet: both
    assert call.hung_up
    assert app.test_client().get("/healthz").status_code == 503


def test_basic_voices_get_plain_say_and_polly_voices_get_slower_prosody(config, signer):
    app = create_app({**config, "VOICELINE_VOICE_EN": "woman"})
    call = SimulatedCall(FlaskTransport(app.test_client()), signer)
    call.start()
    call.press("1")
    says = list(call.gather.iter("Say"))
    assert all(s.get("voice") == "woman" and s.find("prosody") is None for s in says)
    call.press("*")
    spanish = SimulatedCall(FlaskTransport(app.test_client()), signer, caller="+15005550010")
    spanish.start()
    spanish.press("2")
    assert all(s.find("prosody") is not None for s in spanish.gather.iter("Say"))


def test_simulator_refuses_input_after_the_call_ended(call, catalog):
    choose(call, catalog, "en")
    for _ in range(3):
        call.silence()
    with pytest.raises(SimulationError):
        call.press("1")


def test_responses_are_twiml_documents(client, signer):
    params = {"CallSid": "CA1", "From": "+15005550009"}
    response = client.post("/voice", data=params, headers=signer.headers("/voice", params))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert ET.fromstring(response.data).tag == "Response"


@pytest.mark.parametrize("said,hears", [
    ("go back please", "back"),
    ("um could you go back", "back"),
    ("can you say that again please", "again"),
    ("sorry could you say that again", "again"),  # an apology is a small word too
    ("excuse me go back", "back"),
    ("repeat the risks", "risks"),  # a command beside a word of its own: the topic
])
def test_a_command_said_with_small_words_around_it_is_the_command(
        transport, signer, catalog, monkeypatch, said, hears):
    lang = catalog.languages["en"]
    keys = topic_path(catalog, "recovery")
    call = SimulatedCall(transport, signer)
    choose(call, catalog, "en")
    for key in keys:
        call.press(key)
    # Read as a topic, every one of these would be one ("go back" as going back to
    # work): the command must be heard first.
    monkeypatch.setattr(call_engine, "understand",
                        lambda *_: Understood("en", topic="risks"))
    heard = texts(call.say(said))
    sub_menu = catalog.flow.menus[catalog.flow.main_menu].option_for(keys[0]).menu
    if hears == "back":
        assert lang.call["menu_intro"].format(label=lang.menus[sub_menu]) in heard
    elif hears == "again":
        assert lang.topics["recovery"].spoken in heard
    if hears != "risks":
        assert lang.topics["risks"].spoken not in heard
    else:
        assert lang.topics["risks"].spoken in heard
