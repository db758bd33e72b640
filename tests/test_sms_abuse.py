"""Abuse and loops: an hourly reply limit per number, a guard against auto-responder loops,
and polite answers to texts the line cannot read. On SQLite and PostgreSQL (the counts live
in the store, shared by every instance)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from voiceline.engine.guards import LOOP_SILENCE
from voiceline.storage import store
from voiceline.testing import FlaskTransport, SimulatedTexter
from voiceline.text import gsm
from voiceline.web.services import services_of

NUMBER = "+15005550031"
DISTINCT = ["hi", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "cost", "risks"]


def texter_on(app, signer, number=NUMBER):
    return SimulatedTexter(FlaskTransport(app.test_client()), signer, number=number)


def send_and_write(app, signer, body: str) -> str | None:
    """Text ``app``: its counts are written by the text itself, so another instance sees
    them at once."""
    return texter_on(app, signer).send(body)


def assert_polite(reply, lang, key):
    assert reply is not None
    assert reply.startswith(gsm.to_gsm7(lang.text[key]))
    assert reply.endswith(gsm.to_gsm7(lang.text["disclaimer"]))
    assert not gsm.non_gsm7(reply) and gsm.segments(reply) <= 3


@pytest.fixture
def clock(monkeypatch):
    """The store's clock, which a test can move forward."""
    offset = [timedelta(0)]
    real_now = store._now
    monkeypatch.setattr(store, "_now", lambda: real_now() + offset[0])
    return offset


# --------------------------------------------------------------------------- reply limit

def test_replies_stop_at_the_hourly_limit_for_that_number_only(make_app, signer):
    app = make_app(VOICELINE_SMS_REPLIES_PER_HOUR="5")
    texter = texter_on(app, signer)
    replies = [texter.send(body) for body in DISTINCT[:7]]
    assert all(r is not None for r in replies[:5])
    assert replies[5:] == [None, None]
    assert texter_on(app, signer, "+15005550032").send("hi") is not None


def test_the_limit_is_shared_by_every_instance(make_app, signer):
    first, second = (make_app(VOICELINE_SMS_REPLIES_PER_HOUR="4") for _ in range(2))
    answered = [send_and_write((first, second)[i % 2], signer, body)
                for i, body in enumerate(DISTINCT[:6])]
    assert [a is not None for a in answered] == [True] * 4 + [False] * 2


def test_the_limit_opens_again_after_an_hour(make_app, signer, clock):
    app = make_app(VOICELINE_SMS_REPLIES_PER_HOUR="2")
    texter = texter_on(app, signer)
    assert [texter.send(b) is not None for b in DISTINCT[:3]] == [True, True, False]
    clock[0] = timedelta(hours=1, seconds=1)
    assert texter.send("cost") is not None


def test_stop_is_recorded_even_past_the_limit(make_app, signer):
    app = make_app(VOICELINE_SMS_REPLIES_PER_HOUR="1")
    texter = texter_on(app, signer)
    texter.send("hi")
    assert texter.send("4") is None
    assert texter.send("STOP") is None
    key = store.number_key("test-hash-secret", NUMBER)
    assert services_of(app).store.texter(key).opted_out


# ----------------------------------------------------------------------------- loop guard

def test_identical_texts_get_one_reply_then_silence(make_app, signer, clock):
    app = make_app()
    robot = texter_on(app, signer)
    auto_reply = "I am driving right now. I will text you back later."
    answered = [robot.send(auto_reply) for _ in range(6)]
    assert answered[0] is not None and answered[1:] == [None] * 5
    assert robot.send("4") is None  # the number is muted for a while
    assert texter_on(app, signer, "+15005550033").send(auto_reply) is not None
    clock[0] = LOOP_SILENCE + timedelta(minutes=11)
    assert robot.send("4") is not None  # the silence ends


def test_a_person_repeating_themselves_a_while_later_is_answered(make_app, signer, clock):
    texter = texter_on(make_app(), signer)
    assert texter.send("4") is not None
    clock[0] = timedelta(minutes=11)
    assert texter.send("4") is not None


def test_start_is_always_confirmed_even_twice(make_app, signer):
    texter = texter_on(make_app(), signer)
    for _ in range(2):
        assert texter.send("STOP") is None
        assert texter.send("START") is not None


def test_the_loop_guard_is_shared_by_every_instance(make_app, signer):
    first, second = make_app(), make_app()
    assert send_and_write(first, signer, "Out of office") is not None
    assert send_and_write(second, signer, "Out of office") is None
    assert send_and_write(first, signer, "Out of office") is None
    assert send_and_write(second, signer, "4") is None


# ------------------------------------------------------------------ texts it cannot read

@pytest.mark.parametrize("length", [1601, 1700, 5000])
def test_a_very_long_text_gets_a_short_polite_answer(make_app, signer, catalog, length):
    texter = texter_on(make_app(), signer)
    reply = texter.send(("what does it cost " * 400)[:length])
    assert_polite(reply, catalog.languages["en"], "too_long")


def test_a_text_of_1600_characters_is_read(make_app, signer, catalog):
    texter = texter_on(make_app(), signer)
    texter.send("hi")
    reply = texter.send(("cost " * 400)[:1600])
    assert reply.startswith(gsm.to_gsm7(catalog.languages["en"].topics["cost"].text))


@pytest.mark.parametrize("code", ["en", "es"])
@pytest.mark.parametrize("media", ["1", "3"])
def test_a_picture_gets_a_polite_answer_in_the_texters_language(make_app, signer, catalog,
                                                                 code, media):
    texter = texter_on(make_app(), signer)
    texter.send("hi" if code == "en" else "hola")
    reply = texter.send("", NumMedia=media, MediaUrl0="https://api.twilio.com/media/1",
                        MediaContentType0="image/jpeg")
    assert_polite(reply, catalog.languages[code], "media")


def test_a_picture_with_stop_still_stops(make_app, signer):
    texter = texter_on(make_app(), signer)
    assert texter.send("STOP", NumMedia="1") is None
    assert texter.send("4") is None


@pytest.mark.parametrize("media", ["0", "", "abc", "-1"])
def test_no_media_or_an_odd_count_is_read_as_a_text(make_app, signer, catalog, media):
    texter = texter_on(make_app(), signer)
    texter.send("hi")
    reply = texter.send("4", NumMedia=media)
    assert reply.startswith(gsm.to_gsm7(catalog.languages["en"].topics["risks"].text))
