"""Red flags: someone in trouble hears or reads what to do first, in their own language,
then the usual way forward; never a topic, never "Sorry, we did not understand"."""

from __future__ import annotations

import shutil

import pytest

from voiceline import create_app
from voiceline.checks import read_checked
from voiceline.engine.red_flags import RedFlagKind, detect
from voiceline.storage.events import MemoryEventLog
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter
from voiceline.text import gsm

from .conftest import FIXTURE_PROMPTS

E, U = RedFlagKind.EMERGENCY, RedFlagKind.URGENT

# Requests written for these tests (not the benchmark's): plain, misspelled, run together,
# shouted, half in the other language.
DETECTED = [
    ("My chest hurts so much", "en", E, "en"),
    ("pressure in my chest and my left arm", "en", E, "en"),
    ("i can't breathe right now", "en", E, "en"),
    ("CANT BREATH", "en", E, "en"),
    ("my father fainted in the kitchen", "en", E, "en"),
    ("I passed out twice today", "en", E, "en"),
    ("i think im having a stroke", "en", E, "en"),
    ("her face is drooping on one side", "en", E, "en"),
    ("i want to end my life", "en", E, "en"),
    ("thinking about suicide", "en", E, "en"),
    ("my throat is swelling shut", "en", E, "en"),
    ("me duele mucho el pecho", "es", E, "es"),
    ("no puedo respirar", "es", E, "es"),
    ("mi mamá se desmayó", "es", E, "es"),
    ("ya no quiero vivir", "es", E, "es"),
    ("a veces pienso en matarme", "es", E, "es"),
    ("tengo ganas de lastimarme", "es", E, "es"),
    ("dolor de pexo", "es", E, "es"),
    ("my chest hurts", "es", E, "en"),  # a Spanish texter writing English: answered in English
    ("me duele el pecho", "en", E, "es"),
    ("I have a fever", "en", U, "en"),
    ("fevr since the injection", "en", U, "en"),
    ("the shot area is red and swollen", "en", U, "en"),
    ("my hand went numb after the procedure", "en", U, "en"),
    ("I have a bad headache after the shot", "en", U, "en"),
    ("the pain keeps getting worse", "en", U, "en"),
    ("tengo fiebre", "es", U, "es"),
    ("tengo calentura y escalofríos", "es", U, "es"),
    ("el cuello está hinchado y caliente", "es", U, "es"),
    ("siento hormigueo en la mano", "es", U, "es"),
    ("my chest hurts and I have a fever", "en", E, "en"),  # an emergency outranks
    # Typed without spaces, as the topics are read too: never a topic instead.
    ("MYCHESTHURTS", "en", E, "en"),
    ("tengofiebredespuesdelainyeccion", "es", U, "es"),
]

NOT_RED_FLAGS = [
    ("what are the risks", "en"), ("how much does it cost", "en"), ("is it safe", "en"),
    ("Is a fever a side effect?", "en"), ("could this mean fewer pills", "en"),
    ("what am i getting injected with", "en"), ("does the shot hurt", "en"),
    ("cuanto cuesta", "es"), ("es seguro", "es"), ("la fiebre es un efecto secundario", "es"),
    ("de que otra forma se puede tratar", "es"), ("", "en"), ("1", "en"),
    ("can it cause numbness?", "en"), ("Is a fevr a side effect?", "en"),
    # The line's own words, even misspelled, are not read as near red-flag words.
    ("what am i getting injectd with", "en"), ("can i get an infection", "en"),
    # "My neck is killing me" is pain, not a crisis ("matarme" and "mata" share a stem).
    ("el cuello me mata", "es"),
    # Hurt at work is an injury, not self-harm ("lastimé" and "lastimarme" share a stem).
    ("me lastimé el cuello en el trabajo cargando cajas", "es"),
    # A typo of a longer word is never read as a short red-flag word ("numbr", "numb").
    ("wrong numbr sorry", "en"),
    # A subject word misheard ("células mares") is not a near spelling of "mareos".
    ("cuanto cuesta lo de las celulas mares", "es"),
]


@pytest.mark.parametrize("request_text,hint,kind,lang", DETECTED)
def test_red_flags_are_found_in_plain_misspelled_and_mixed_words(catalog, request_text, hint,
                                                                 kind, lang):
    flag = detect(catalog, request_text, hint)
    assert flag is not None, request_text
    assert (flag.kind, flag.lang) == (kind, lang)


@pytest.mark.parametrize("request_text,hint", NOT_RED_FLAGS)
def test_questions_about_the_treatment_are_not_red_flags(catalog, request_text, hint):
    assert detect(catalog, request_text, hint) is None


def test_a_general_question_with_an_emergency_word_still_gets_the_emergency(catalog):
    assert detect(catalog, "what if i get chest pain after it", "en").kind is E


# ------------------------------------------------------------------------------ texts

@pytest.fixture
def counted(config, closing):
    log = MemoryEventLog()
    return closing(create_app(config, events=log)), log.events


def texter_of(app, signer, number="+15005550071"):
    return SimulatedTexter(FlaskTransport(app.test_client()), signer, number=number)


@pytest.mark.parametrize("body,lang,kind", [
    ("my chest hurts", "en", "emergency"),
    ("I feel dizzy and faint", "en", "emergency"),
    ("I have a fever", "en", "urgent"),
    ("me duele el pecho", "es", "emergency"),
    ("tengo fiebre", "es", "urgent"),
])
def test_a_texted_red_flag_gets_its_wording_first_then_the_list(counted, signer, catalog,
                                                                 body, lang, kind):
    app, recorded = counted
    texter = texter_of(app, signer)
    texter.send("MENU")  # a known texter, so this is not the first reply
    reply = texter.send(body)
    words = catalog.languages[lang]
    wording = gsm.to_gsm7(words.red_flags.groups[kind].text)
    assert reply.startswith(wording)
    assert "911" in reply and (kind != "emergency" or "988" in reply)
    assert gsm.to_gsm7(words.text["menu_header"]) in reply  # the usual way forward
    assert gsm.to_gsm7(words.text["unknown"]) not in reply
    assert not any(gsm.to_gsm7(t.text) in reply for t in words.topics.values())
    assert reply.endswith(gsm.to_gsm7(words.text["disclaimer"]))
    assert gsm.segments(reply) <= 3 and not gsm.non_gsm7(reply)
    flagged = [e for e in recorded if e.kind == "red_flag"]
    assert [(e.channel, e.language, e.outcome) for e in flagged] == [("sms", lang, kind)]
    assert not any(body in str(vars(e)) for e in recorded), "no words are kept"


def test_a_headache_after_the_shot_is_not_reassured_with_the_recovery_text(counted, signer,
                                                                          catalog):
    app, _ = counted
    texter = texter_of(app, signer)
    reply = texter.send("I have a bad headache after the shot")
    en = catalog.languages["en"]
    assert gsm.to_gsm7(en.topics["recovery"].text) not in reply
    assert reply.startswith(gsm.to_gsm7(en.red_flags.groups["urgent"].text))


def test_a_new_texter_with_a_red_flag_gets_the_wording_before_anything(counted, signer,
                                                                       catalog):
    app, _ = counted
    reply = texter_of(app, signer, "+15005550072").send("no puedo respirar")
    assert reply.startswith(gsm.to_gsm7(catalog.languages["es"].red_flags.groups[
        "emergency"].text))


# ------------------------------------------------------------------------------ calls

def caller_of(app, signer):
    return SimulatedCall(FlaskTransport(app.test_client()), signer)


def test_a_spoken_red_flag_at_a_menu_is_answered_then_the_menu_is_offered_again(counted,
                                                                                signer, catalog):
    app, recorded = counted
    call = caller_of(app, signer)
    call.start()
    call.press("1")
    en = catalog.languages["en"]
    heard = [h.text for h in call.say("um my chest really hurts")]
    assert heard[0] == en.red_flags.groups["emergency"].spoken
    assert en.call["main_menu_intro"] in heard and not call.ended
    assert en.call["not_understood"] not in heard
    assert not any(t.spoken in heard for t in en.topics.values())
    assert [e.outcome for e in recorded if e.kind == "red_flag"] == ["emergency"]


def test_a_red_flag_said_after_a_topic_is_never_answered_with_a_topic(counted, signer,
                                                                       catalog):
    app, _ = counted
    call = caller_of(app, signer)
    call.start()
    call.press("1")
    call.say("recovery")
    en = catalog.languages["en"]
    heard = [h.text for h in call.say("I have a fever after the shot")]
    assert heard[0] == en.red_flags.groups["urgent"].spoken
    assert en.topics["recovery"].spoken not in heard
    assert en.action(en.call["text_label"], "1") in heard  # the topic's choices again


def test_a_red_flag_said_at_the_language_choice_is_answered_in_its_language(counted, signer,
                                                                            catalog):
    app, recorded = counted
    call = caller_of(app, signer)
    call.start()
    es = catalog.languages["es"]
    heard = call.say("me duele el pecho")
    assert heard[0].text == es.red_flags.groups["emergency"].spoken
    assert heard[0].language == es.speech_tag
    assert es.call["main_menu_intro"] in [h.text for h in heard]
    assert "language_chosen" in [e.kind for e in recorded]


# ------------------------------------------------------------------------------ check

@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def test_check_warns_about_a_red_flag_word_that_is_also_a_topic_word(prompts):
    path = prompts / "en" / "red_flags.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"fever", ', '"fever", "side effects", ', 1), encoding="utf-8")
    catalog, findings = read_checked(prompts)
    assert catalog is not None, "a warning never stops the line"
    [overlap] = [f for f in findings if "side effects" in f.message]
    assert overlap.severity == "warning" and overlap.where == "urgent.words"
    assert overlap.file.endswith("en/red_flags.toml") and overlap.line
    assert "risks" in overlap.message


@pytest.mark.parametrize("damage,where", [
    (lambda t: t.replace("[urgent]", "[urgnet]"), "urgent"),
    (lambda t: t.replace('text = "This may be', 'txt = "This may be'), "emergency.text"),
    (lambda t: t.replace('words = [\n  # chest pain', 'words = "chest"\nold = [', 1),
     "emergency.words"),
])
def test_a_broken_red_flags_file_is_an_error_naming_its_place(prompts, damage, where):
    path = prompts / "en" / "red_flags.toml"
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    catalog, findings = read_checked(prompts)
    assert catalog is None
    assert any(f.where == where and f.file.endswith("en/red_flags.toml") for f in findings
               if f.severity == "error"), findings


def test_a_red_flag_in_another_language_does_not_change_the_texters_language(counted, signer,
                                                                             catalog):
    app, _ = counted
    texter = texter_of(app, signer, "+15005550073")
    texter.send("ES")
    reply = texter.send("chest pain really bad")
    assert reply.startswith(gsm.to_gsm7(catalog.languages["en"].red_flags.groups[
        "emergency"].text))
    assert texter.send("MENU").startswith(gsm.to_gsm7(catalog.languages["es"].text[
        "menu_header"]))


def test_a_red_flag_text_too_long_for_the_list_after_it_is_an_error(prompts):
    path = prompts / "es" / "red_flags.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("text = ", text.index("[urgent]"))
    end = text.index("\n", start)
    path.write_text(text[:start] + 'text = "' + "Llame a su medico hoy. " * 12 + '"'
                    + text[end:], encoding="utf-8")
    catalog, findings = read_checked(prompts)
    assert catalog is None
    [error] = [f for f in findings if f.where == "urgent.text"]
    assert "start of the topic list" in error.message and error.line


def test_a_long_emergency_line_that_pushes_the_first_reply_over_two_messages_is_an_error(
        prompts):
    path = prompts / "en" / "line.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'emergency = "Emergency? Call 911."',
        'emergency = "' + "If this is an emergency, call 911 right away. " * 5 + '"'),
        encoding="utf-8")
    _, findings = read_checked(prompts)
    assert any(f.where == "text.welcome" and "text.emergency" in f.fix for f in findings
               if f.severity == "error")


@pytest.mark.parametrize("request_text,hint,kind", [
    ("my chest is tight", "en", E), ("i took too many pills", "en", E),
    ("me falta el aire", "es", E), ("the injection site is bleeding", "en", U),
    ("I can't feel my arm", "en", U), ("estoy vomitando", "es", U),
])
def test_more_ways_of_saying_it(catalog, request_text, hint, kind):
    assert detect(catalog, request_text, hint).kind is kind


@pytest.mark.parametrize("request_text,hint,kind,lang", [
    ("my chest is hurting", "en", E, "en"),  # another form of "chest hurts"
    ("chest pian", "en", E, "en"),  # two letters swapped in a short word
    ("i have chils", "en", U, "en"),
    ("severe headaches", "en", U, "en"),
    ("tengo fiebres", "es", U, "es"),
])
def test_typos_and_other_forms_of_a_word_are_read_as_topics_are(catalog, request_text, hint,
                                                                 kind, lang):
    flag = detect(catalog, request_text, hint)
    assert flag is not None, request_text
    assert (flag.kind, flag.lang) == (kind, lang)


def test_an_operators_new_red_flag_word_is_heard_once_the_files_are_read_again(prompts,
                                                                              catalog):
    path = prompts / "en" / "red_flags.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"fever", ', '"fever", "rash", ', 1), encoding="utf-8")
    edited, _ = read_checked(prompts)
    assert edited is not None
    assert detect(edited, "I have a rash", "en") == detect(edited, "i got a rassh", "en")
    assert detect(edited, "I have a rash", "en").kind is U
    assert detect(catalog, "I have a rash", "en") is None  # the old words stay the old


@pytest.mark.parametrize("request_text,hint", [
    ("i cant feel any difference", "en"), ("no siento mejoria", "es"),
    ("Me puede hacer sangrar?", "es"),
])
def test_near_misses_are_not_red_flags(catalog, request_text, hint):
    assert detect(catalog, request_text, hint) is None
