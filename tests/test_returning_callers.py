"""Returning callers: the language a caller chose is remembered by the keyed hash of their
number, so the next call from that number is greeted in it, with the other language
offered in its own words (key 8, or its name said). The lookup is this process's memory:
no call waits on the database for it, even when the database is down.

What is heard is read from the TwiML, as Twilio would say it (``SimulatedCall``).
A hung PostgreSQL under gunicorn is in tests/test_returning_faults.py.
"""

from __future__ import annotations

import logging
import re
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from voiceline.storage.store import number_key
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter
from voiceline.text import gsm
from voiceline.web.services import services_of

from .conftest import wait_until
from .test_database_down import TcpProxy

NUMBER = "+15005550177"
SECRET = "test-hash-secret"  # conftest's config


def calling(app, signer, number=NUMBER) -> SimulatedCall:
    return SimulatedCall(FlaskTransport(app.test_client()), signer, caller=number)


def said(heard) -> list[str]:
    return [h.text for h in heard]


def first_call_choosing(app, signer, key: str, number=NUMBER) -> None:
    call = calling(app, signer, number)
    call.start()
    call.press(key)


def greeted_in_spanish(heard, catalog) -> bool:
    es, en = catalog.languages["es"], catalog.languages["en"]
    return said(heard)[:2] == [es.call["welcome"], es.call["emergency"]] and \
        en.call["welcome"] not in said(heard)


def test_a_caller_who_chose_spanish_is_greeted_in_spanish_and_offered_english(app, signer,
                                                                             catalog):
    es, en = catalog.languages["es"], catalog.languages["en"]
    first_call_choosing(app, signer, "2")
    call = calling(app, signer)
    heard = call.start()
    # The welcome and the emergency notice first, in Spanish only.
    assert [(h.text, h.language) for h in heard[:2]] == [
        (es.call["welcome"], "es-US"), (es.call["emergency"], "es-US")]
    # Then the main menu, with one offer of English first, in English's own voice.
    assert (heard[2].text, heard[2].language, heard[2].voice) == (
        en.call["offer"].format(key="8"), "en-US", en.voice)
    assert heard[3].text == es.call["main_menu_intro"]
    assert es.call["menu_keys"] in said(heard)
    assert not any(lang.choose.format(key=k) in said(heard)
                   for lang in (en, es) for k in "12")  # no language question
    assert call.gather.get("language") == "es-US"
    assert "english" in call.gather.get("hints")


def test_pressing_8_switches_to_english_and_is_remembered(app, signer, catalog):
    es, en = catalog.languages["es"], catalog.languages["en"]
    first_call_choosing(app, signer, "2")
    call = calling(app, signer)
    call.start()
    heard = call.press("8")
    assert said(heard)[:2] == [es.call["offer"].format(key="8"), en.call["main_menu_intro"]]
    assert call.gather.get("language") == "en-US"
    call.press("2")  # results, in English now
    assert en.topics["benefits"].spoken in said(call.press("1"))
    again = calling(app, signer).start()
    assert said(again)[:2] == [en.call["welcome"], en.call["emergency"]]


@pytest.mark.parametrize("words", ["English", "inglés", "in English please"])
def test_saying_the_language_switches_to_it(app, signer, catalog, words):
    en = catalog.languages["en"]
    first_call_choosing(app, signer, "2")
    call = calling(app, signer)
    call.start()
    heard = call.say(words)
    assert en.call["main_menu_intro"] in said(heard)
    assert call.gather.get("language") == "en-US"


def test_an_english_caller_is_offered_spanish_in_spanish(app, signer, catalog):
    es, en = catalog.languages["es"], catalog.languages["en"]
    first_call_choosing(app, signer, "1")
    call = calling(app, signer)
    heard = call.start()
    assert said(heard)[:3] == [en.call["welcome"], en.call["emergency"],
                               es.call["offer"].format(key="8")]
    assert heard[2].language == "es-US"
    assert es.call["main_menu_intro"] in said(call.say("español"))


@pytest.mark.parametrize("request_text,lang", [
    ("my chest hurts", "en"),  # in the language offered, not the one greeted in
    ("no puedo respirar", "es"),
    ("english my chest hurts", "en"),  # a language's name does not hide the red flag
])
def test_a_red_flag_at_the_offering_main_menu_gets_its_wording_first(app, signer, catalog,
                                                                     request_text, lang):
    first_call_choosing(app, signer, "2")
    call = calling(app, signer)
    call.start()
    heard = said(call.say(request_text))
    words = catalog.languages[lang]
    assert heard[0] == words.red_flags.groups["emergency"].spoken
    assert not any(topic.spoken in heard for language in catalog.languages.values()
                   for topic in language.topics.values())
    assert not call.ended


def test_the_offer_is_only_at_that_main_menu(app, signer, catalog):
    """Key 8 anywhere else is what it always was: not a choice."""
    en = catalog.languages["en"]
    first_call_choosing(app, signer, "1")
    call = calling(app, signer)
    call.start()
    call.press("1")  # a sub-menu
    assert said(call.press("8"))[0] == en.said("invalid_key", key="8")
    call.press("*")
    assert en.call["offer"].format(key="8") not in said(call.press("#"))


def test_an_unknown_number_gets_todays_opening_in_every_language(app, signer, catalog):
    first_call_choosing(app, signer, "2")
    fresh = calling(app, signer, "+15005550178").start()
    assert said(fresh) == [
        catalog.languages["en"].call["welcome"], catalog.languages["en"].call["emergency"],
        catalog.languages["es"].call["welcome"], catalog.languages["es"].call["emergency"],
        catalog.languages["en"].choose.format(key="1"),
        catalog.languages["es"].choose.format(key="2")]


@pytest.mark.parametrize("caller", ["anonymous", "+266696687", "client:alice", ""])
def test_a_withheld_caller_id_is_never_remembered(app, signer, catalog, caller):
    """Every hidden caller has the same From: one language for all of them would be wrong."""
    first_call_choosing(app, signer, "2", number=caller)
    heard = calling(app, signer, caller).start()
    assert catalog.languages["en"].choose.format(key="1") in said(heard)


def test_a_language_is_remembered_when_a_question_chose_it(app, signer, catalog):
    call = calling(app, signer)
    call.start()
    call.say("cuánto cuesta")
    assert greeted_in_spanish(calling(app, signer).start(), catalog)


def test_the_default_after_two_silences_is_not_remembered(app, signer, catalog):
    call = calling(app, signer)
    call.start()
    call.silence()
    call.silence()  # the line carries on in English: the caller chose nothing
    assert catalog.languages["en"].choose.format(key="1") in said(calling(app, signer).start())


def test_a_texters_language_greets_their_call(app, signer, catalog):
    texter = SimulatedTexter(FlaskTransport(app.test_client()), signer, number=NUMBER)
    texter.send("hola")
    assert greeted_in_spanish(calling(app, signer).start(), catalog)


def test_the_remembered_language_is_counted_as_the_calls_language(memory_store, config,
                                                                  signer):
    from voiceline import create_app
    from voiceline.storage.events import MemoryEventLog

    events = MemoryEventLog()
    app = create_app(config, store=memory_store, events=events)
    first_call_choosing(app, signer, "2")
    calling(app, signer).start()
    chosen = [(e.language, e.outcome) for e in events.events if e.kind == "language_chosen"]
    assert chosen == [("es", ""), ("es", "remembered")]


# -------------------------------------------------------------- other instances, restarts

def test_another_instance_learns_the_choice_within_its_refresh(make_app, signer, catalog):
    first = make_app(VOICELINE_LANGUAGE_REFRESH_SECONDS="1")
    second = make_app(VOICELINE_LANGUAGE_REFRESH_SECONDS="1")
    assert not greeted_in_spanish(calling(second, signer).start(), catalog)  # not yet
    first_call_choosing(first, signer, "2")
    began = time.monotonic()
    assert wait_until(lambda: greeted_in_spanish(calling(second, signer).start(), catalog),
                      seconds=10)
    assert time.monotonic() - began < 5  # the write (0.5 s) and one refresh (1 s)


def test_a_restarted_line_remembers_after_its_first_read(make_app, signer, catalog):
    before = make_app()
    first_call_choosing(before, signer, "2")
    assert services_of(before).languages.flush()
    after = make_app()  # a new process on the same database
    # Its first call starts the reading and never waits for it.
    assert wait_until(lambda: greeted_in_spanish(calling(after, signer).start(), catalog),
                      seconds=10)


def test_the_database_holds_the_keyed_hash_and_no_number(make_app, signer, catalog):
    app = make_app()
    first_call_choosing(app, signer, "2")
    assert services_of(app).languages.flush()
    engine = services_of(app).store.engine
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM callers")).all()
        texters = conn.execute(sa.text("SELECT count(*) FROM texters")).scalar()
    assert [(r.number_key, r.language) for r in rows] == [(number_key(SECRET, NUMBER), "es")]
    dump = " ".join(map(str, rows[0]))
    for digits in ("15005550177", "5005550177", "5550177"):
        assert digits not in dump
    # A call made no texter: that number's first text still gets the welcome and 911.
    assert texters == 0
    reply = SimulatedTexter(FlaskTransport(app.test_client()), signer, number=NUMBER).send(
        "what are the risks")
    assert reply is not None and gsm.to_gsm7(catalog.languages["en"].text["emergency"]) in reply


def test_nothing_logged_holds_the_number_or_its_hash(make_app, signer, caplog):
    caplog.set_level(logging.DEBUG, logger="voiceline")
    app = make_app(VOICELINE_LANGUAGE_REFRESH_SECONDS="1")
    first_call_choosing(app, signer, "2")
    calling(app, signer).start()
    assert services_of(app).languages.flush()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not re.search(r"5005550177|555.?0177", logged)
    assert number_key(SECRET, NUMBER) not in logged and number_key(SECRET, NUMBER)[:16] \
        not in logged


# ------------------------------------------------------------------ the database is down

def test_a_broken_database_changes_nothing_for_calls(memory_store, memory_app, signer,
                                                     catalog):
    first_call_choosing(memory_app, signer, "2")
    memory_store.broken = True
    began = time.monotonic()
    heard = calling(memory_app, signer).start()
    assert time.monotonic() - began < 0.5
    assert greeted_in_spanish(heard, catalog)
    first_call_choosing(memory_app, signer, "1", number="+15005550179")  # written later
    assert said(calling(memory_app, signer, "+15005550179").start())[0] == \
        catalog.languages["en"].call["welcome"]


@pytest.mark.postgres
def test_calls_answer_at_once_when_postgresql_is_cut_off(config, postgres_session_db,
                                                         signer, catalog, closing):
    from voiceline import create_app

    url, engine = postgres_session_db
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE callers, texters"))
    real = make_url(url)
    proxy = TcpProxy(real.host, real.port or 5432)
    proxy.start()
    try:
        proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
        app = closing(create_app({**config, "VOICELINE_LANGUAGE_REFRESH_SECONDS": "1",
                                  "DATABASE_URL": proxied}))
        first_call_choosing(app, signer, "2")
        assert services_of(app).languages.flush()
        proxy.stop()  # the database is gone
        for number, key in (("+15005550180", "1"), (NUMBER, None)):
            began = time.monotonic()
            call = calling(app, signer, number)
            heard = call.start()
            if key:
                call.press(key)
                call.press("2")
            assert time.monotonic() - began < 0.5
        assert greeted_in_spanish(heard, catalog)
        assert said(calling(app, signer, "+15005550180").start())[0] == \
            catalog.languages["en"].call["welcome"]
    finally:
        proxy.stop()


# ----------------------------------------------------------------------------- simulator

def test_the_simulator_plays_a_returning_caller(catalog):
    from voiceline.testing.simulator import Line, run_call, simulator_app

    es, en = catalog.languages["es"], catalog.languages["en"]
    output: list[str] = []
    typed = iter(["8", "q"])
    code = run_call(Line(simulator_app()), lambda: next(typed, None), output.append,
                    returning="es")
    shown = [o.strip() for o in output]
    assert code == 0
    assert shown.index(es.call["welcome"]) < shown.index(en.call["offer"].format(key="8")) \
        < shown.index(es.call["main_menu_intro"]) < shown.index(en.call["main_menu_intro"])
    assert en.call["welcome"] not in shown


def test_a_script_calling_twice_hears_the_phone_greeted_in_its_language(catalog):
    from voiceline.testing.simulator import Line, run_script, simulator_app

    es, en = catalog.languages["es"], catalog.languages["en"]
    script = ["> call", en.choose.format(key="1"), "> 2", es.call["main_menu_intro"],
              "> call", es.call["welcome"], en.call["offer"].format(key="8"),
              "> say: English", en.call["main_menu_intro"],
              "> call", en.call["welcome"], es.call["offer"].format(key="8")]
    output: list[str] = []
    assert run_script(Line(simulator_app()), script, output.append) == 0, output


def test_simulate_call_takes_a_returning_callers_language(catalog):
    from click.testing import CliRunner

    from voiceline.cli import cli

    result = CliRunner().invoke(cli, ["simulate", "call", "--returning", "es"], input="q\n")
    assert result.exit_code == 0, result.output
    assert catalog.languages["es"].call["welcome"] in result.output
    assert catalog.languages["en"].call["offer"].format(key="8") in result.output
    refused = CliRunner().invoke(cli, ["simulate", "call", "--returning", "xx"], input="q\n")
    assert refused.exit_code == 1 and "no language 'xx'" in refused.output


def test_the_whole_call_tree_of_a_returning_caller_ends_safely(app, signer, catalog):
    """Every key and silence at every menu, starting as a caller who chose Spanish."""
    from voiceline.testing import CALLER_NUMBER, safe_ending, walk_calls

    services_of(app).languages.chosen(number_key(SECRET, CALLER_NUMBER), "es")
    walk = walk_calls(FlaskTransport(app.test_client()), signer)
    assert catalog.languages["en"].call["main_menu_intro"] in walk.heard  # by the offer
    for ending in walk.endings:
        said = [h.text for h in ending.heard]
        assert ending.hung_up and any(
            safe_ending(said, lang.call["disclaimer"], lang.call["physician"],
                        lang.call["goodbye"]) for lang in catalog.languages.values()), \
            (ending.path, said[-3:])
