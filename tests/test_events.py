"""Usage events: what is counted, that no caller identity is, and that counting never gets in
the way of a call or a text (queued, written by a background thread, dropped if need be)."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from voiceline import create_app
from voiceline.cli import cli
from voiceline.storage.events import Event, MemoryEventLog, SqlEventLog, events
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter
from voiceline.web.services import services_of

NUMBER = "+15005550061"


@pytest.fixture
def counted(config, closing):
    """An app whose events are kept in memory, and that list."""
    log = MemoryEventLog()
    return closing(create_app(config, events=log)), log.events


def kinds(recorded):
    return [e.kind for e in recorded]


def test_a_call_is_counted_step_by_step(counted, signer, catalog):
    app, recorded = counted
    call = SimulatedCall(FlaskTransport(app.test_client()), signer, caller=NUMBER)
    call.start()
    call.press("1")
    call.press("7")
    call.silence()
    option = catalog.flow.menus[catalog.flow.main_menu].options[0]
    call.press(option.key)
    topic = catalog.flow.menus[option.menu].options[0].topic if option.menu else option.topic
    if option.menu:
        call.press(catalog.flow.menus[option.menu].options[0].key)
    call.press("1")  # text me this: no Twilio account set, not sent
    call.press("2")  # end the call
    assert kinds(recorded) == ["call_started", "language_chosen", "invalid_key", "reprompt",
                               "topic_heard", "topic_texted", "call_ended"]
    assert all(e.channel == "voice" for e in recorded)
    assert all(e.language == "en" for e in recorded[1:])
    heard, texted, ended = recorded[-3:]
    assert heard.topic == texted.topic == topic
    assert texted.outcome == "failed" and ended.outcome == "caller"


def test_every_caller_is_counted_though_the_line_remembers_its_answers(counted, signer,
                                                                       catalog):
    """The line answers a key at a menu from memory after the first caller; the second
    caller hears the same words and is counted all the same."""
    app, recorded = counted
    option = catalog.flow.menus[catalog.flow.main_menu].options[0]
    heard = []
    for number in (NUMBER, "+15005550062"):
        call = SimulatedCall(FlaskTransport(app.test_client()), signer, caller=number)
        call.start()
        call.press("1")
        heard.append([h.text for h in call.press(option.key)])
    assert heard[0] == heard[1] and heard[0]
    assert kinds(recorded).count("call_started") == 2
    assert kinds(recorded).count("language_chosen") == 2


def test_a_silent_call_ends_counted_as_no_input(counted, signer):
    app, recorded = counted
    call = SimulatedCall(FlaskTransport(app.test_client()), signer)
    call.start()
    call.press("2")
    while not call.ended:
        call.silence()
    assert recorded[-1].kind == "call_ended" and recorded[-1].outcome == "no_input"
    assert recorded[-1].language == "es"


def test_texts_are_counted_without_who_or_what(counted, signer):
    app, recorded = counted
    texter = SimulatedTexter(FlaskTransport(app.test_client()), signer, number=NUMBER)
    for body in ("hi", "4", "my husband John has neck pain", "STOP", "START", "ES"):
        texter.send(body)
    assert kinds(recorded) == ["sms_answered", "sms_answered", "sms_answered", "sms_opt_out",
                               "sms_opt_in", "sms_answered", "sms_answered"]
    assert [e.outcome for e in recorded if e.kind == "sms_answered"] == [
        "welcome", "topic", "unknown", "resubscribed", "language"]
    assert recorded[1].topic == "risks"
    fields = " ".join(str(value) for e in recorded for value in e.row().values())
    assert "5005550061" not in fields and "John" not in fields and "husband" not in fields


# ------------------------------------------------------------------------- status callbacks

def post(app, signer, path, params, signed=True):
    headers = signer.headers(path, params) if signed else {}
    return app.test_client().post(path, data=params, headers=headers)


def test_the_call_status_callback_is_counted_and_answered_empty(counted, signer):
    app, recorded = counted
    response = post(app, signer, "/voice/status", {
        "CallSid": "CA" + "3" * 32, "From": NUMBER, "CallStatus": "completed",
        "CallDuration": "93"})
    assert response.status_code == 200
    assert response.get_data(as_text=True).endswith("<Response />")
    assert (recorded[-1].kind, recorded[-1].outcome, recorded[-1].seconds) == (
        "call_status", "completed", 93)


def test_the_message_status_callback_is_counted_and_answered_empty(counted, signer):
    app, recorded = counted
    response = post(app, signer, "/sms/status?lang=es&topic=risks", {
        "MessageSid": "SM" + "3" * 32, "To": NUMBER, "MessageStatus": "undelivered",
        "ErrorCode": "30003"})
    assert response.status_code == 200
    assert response.get_data(as_text=True).endswith("<Response />")
    event = recorded[-1]
    assert (event.kind, event.channel, event.language, event.topic, event.outcome,
            event.code) == ("sms_status", "sms", "es", "risks", "undelivered", "30003")


@pytest.mark.parametrize("path", ["/voice/status", "/sms/status"])
def test_status_callbacks_need_twilios_signature(counted, signer, path):
    app, recorded = counted
    params = {"CallStatus": "completed", "MessageStatus": "sent"}
    assert post(app, signer, path, params, signed=False).status_code == 403
    forged = {"X-Twilio-Signature": signer.headers(path, params)["X-Twilio-Signature"]}
    response = app.test_client().post(path, data={**params, "CallDuration": "1"},
                                      headers=forged)
    assert response.status_code == 403
    assert recorded == []


ODD_FIELDS = [
    # (what came in, the field as stored)
    (Event("call_status", "voice", outcome=NUMBER), ("outcome", None)),
    (Event("call_status", "voice", outcome="in-progress"), ("outcome", "in-progress")),
    (Event("call_status", "voice", seconds=-5), ("seconds", None)),
    (Event("call_status", "voice", seconds="12"), ("seconds", None)),
    (Event("sms_status", "sms", code="30003"), ("code", "30003")),
    (Event("sms_status", "sms", code="30003; drop table"), ("code", None)),
    (Event("sms_status", "sms", language="es" * 40), ("language", "es" * 8)),
    (Event("topic_heard", "voice", topic="risks<script>"), ("topic", "risksscript")),
]


@pytest.mark.parametrize("event,stored", ODD_FIELDS)
def test_every_field_is_cleaned_to_a_short_word(event, stored):
    name, value = stored
    assert event.row()[name] == value


@pytest.mark.parametrize("duration", ["", "abc", "-3", "99999999999999"])
def test_an_odd_call_duration_is_still_answered(counted, signer, duration):
    app, recorded = counted
    response = post(app, signer, "/voice/status", {"CallStatus": "completed",
                                                   "CallDuration": duration})
    assert response.status_code == 200 and recorded[-1].kind == "call_status"


# ----------------------------------------------------------------- written to the database

def stored_events(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(
            sa.select(events).order_by(events.c.id))]


def test_events_reach_the_database_from_a_background_thread(make_app, signer):
    app = make_app()
    call = SimulatedCall(FlaskTransport(app.test_client()), signer)
    call.start()
    call.press("1")
    log = services_of(app).events
    assert isinstance(log, SqlEventLog)
    assert log.flush()
    rows = stored_events(services_of(app).store.engine)
    assert [r["kind"] for r in rows] == ["call_started", "language_chosen"]
    assert rows[1]["language"] == "en" and rows[1]["channel"] == "voice"
    assert log.dropped == 0


def test_a_stuck_writer_never_holds_up_a_call(make_app, signer, catalog, monkeypatch, caplog):
    release = threading.Event()
    original = SqlEventLog._write

    def stuck(self, batch):
        release.wait(10)
        original(self, batch)

    monkeypatch.setattr(SqlEventLog, "_write", stuck)
    app = make_app()
    log = services_of(app).events
    log.capacity = 3
    log._reset()
    call = SimulatedCall(FlaskTransport(app.test_client()), signer)
    try:
        with caplog.at_level(logging.WARNING):
            call.start()
            for key in ("1", "7", "7", "7"):  # more events than the queue holds
                call.press(key)
            call.say("goodbye")
        assert call.hung_up  # answered in full while the writer was stuck
        assert log.dropped > 0 and "usage events dropped" in caplog.text
    finally:
        release.set()
    assert log.flush()
    stored = stored_events(services_of(app).store.engine)
    assert len(stored) == log.written == 6 - log.dropped  # started, language, 3 keys, ended


def test_a_dead_database_drops_events_and_says_so(caplog):
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:9/nowhere",
                              connect_args={"connect_timeout": 1})
    log = SqlEventLog(engine)
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            log.record(Event("call_started", "voice"))
        assert log.flush(timeout=10)
    assert log.dropped == 5 and log.written == 0
    assert caplog.text.count("usage events dropped") == 1  # logged, not flooded


def _record_in_child(log: SqlEventLog, done) -> None:
    log.record(Event("call_started", "voice", outcome="child"))
    done.put(log.flush(timeout=10))


def test_a_forked_worker_writes_its_own_events(database_url):
    """gunicorn forks workers after the app is made: each starts its own writer thread."""
    engine = sa.create_engine(database_url)
    log = SqlEventLog(engine)
    log.record(Event("call_started", "voice", outcome="parent"))
    assert log.flush()
    engine.dispose()  # as gunicorn's workers would not share the parent's connections
    context = multiprocessing.get_context("fork")
    done = context.Queue()
    child = context.Process(target=_record_in_child, args=(log, done))
    child.start()
    child.join(30)
    assert child.exitcode == 0 and done.get(timeout=5) is True
    assert sorted(r["outcome"] for r in stored_events(engine)) == ["child", "parent"]
    engine.dispose()


# -------------------------------------------------------------------------------- retention

def insert_aged(engine, ages_in_days) -> None:
    """Events of the given ages, written directly (the writer would prune them itself)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(events.insert(), [
            Event("call_started", "voice", seconds=age, at=now - timedelta(days=age)).row()
            for age in ages_in_days])


def prune(database_url: str, *args: str, retention: str | None = None):
    """``voiceline events prune`` as an operator runs it: DATABASE_URL, no Twilio token."""
    env = {"DATABASE_URL": database_url, "VOICELINE_EVENT_RETENTION_DAYS": retention,
           "TWILIO_AUTH_TOKEN": None, "VOICELINE_DEV_MODE": None}
    return CliRunner().invoke(cli, ["events", "prune", *args], env=env, prog_name="voiceline")


def test_prune_deletes_events_older_than_the_retention_setting(make_app, database_url):
    app = make_app(VOICELINE_EVENT_RETENTION_DAYS="30")
    engine = services_of(app).store.engine
    insert_aged(engine, (1, 29, 31, 400))
    result = prune(database_url, retention="30")
    assert result.exit_code == 0, result.output
    assert "Deleted 2" in result.output
    assert sorted(r["seconds"] for r in stored_events(engine)) == [1, 29]


def test_prune_days_overrides_the_setting(make_app, database_url):
    app = make_app(VOICELINE_EVENT_RETENTION_DAYS="30")
    engine = services_of(app).store.engine
    insert_aged(engine, (1, 29, 31))
    result = prune(database_url, "--days", "10", retention="30")
    assert result.exit_code == 0 and "Deleted 2" in result.output
    assert [r["seconds"] for r in stored_events(engine)] == [1]


@pytest.mark.parametrize("days", ["-1", "ten"])
def test_prune_refuses_a_bad_number_of_days(database_url, days):
    result = prune(database_url, "--days", days)
    assert result.exit_code == 2 and "--days" in result.output


def test_a_retention_of_zero_keeps_everything(make_app, database_url):
    app = make_app(VOICELINE_EVENT_RETENTION_DAYS="0")
    log = services_of(app).events
    log.record(Event("call_started", "voice", at=datetime.now(UTC) - timedelta(days=900)))
    assert log.flush()  # the writer does not prune either
    result = prune(database_url, retention="0")
    assert result.exit_code == 0 and "nothing deleted" in result.output
    assert len(stored_events(services_of(app).store.engine)) == 1


def test_the_writer_prunes_old_events_by_itself(database_url):
    engine = sa.create_engine(database_url)
    old = datetime.now(UTC) - timedelta(days=91)
    with engine.begin() as conn:
        conn.execute(events.insert(), [Event("call_started", "voice", at=old).row()])
    log = SqlEventLog(engine, retention_days=90)
    log.record(Event("call_started", "voice", outcome="new"))
    assert log.flush()
    assert [r["outcome"] for r in stored_events(engine)] == ["new"]
    engine.dispose()


@pytest.mark.parametrize("value", ["-1", "ninety", "1.5"])
def test_a_bad_retention_setting_stops_the_line_with_a_sentence(config, value):
    from voiceline.errors import SettingsError

    with pytest.raises(SettingsError, match="VOICELINE_EVENT_RETENTION_DAYS"):
        create_app({**config, "VOICELINE_EVENT_RETENTION_DAYS": value})
