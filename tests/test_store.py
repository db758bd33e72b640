"""The store on SQLite and PostgreSQL: schema by migration, opt-outs, limits, privacy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from voiceline import create_app
from voiceline.cli import cli
from voiceline.engine.guards import (
    LOOP_SILENCE,
    LOOP_WINDOW,
    Admission,
    Allowance,
    Guard,
    Texter,
    screen,
    use_allowance,
)
from voiceline.engine.outcomes import Verdict
from voiceline.storage.events import events
from voiceline.storage.migrations import NEWEST, current, head, revisions
from voiceline.storage.schema import metadata, text_guard
from voiceline.storage.store import SqlStore, number_key
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter
from voiceline.web.services import services_of

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

REPLY, REPEAT, MUTED, LIMIT, OPTED_OUT = (Verdict.REPLY, Verdict.REPEAT, Verdict.MUTED,
                                          Verdict.LIMIT, Verdict.OPTED_OUT)


@pytest.fixture
def store(database_url):
    store = SqlStore(database_url)
    yield store
    # Write its deferred counts now: written late, they would land in the next test's
    # freshly emptied tables.
    store.close()


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_opt_out_and_language_are_kept_per_key(store):
    assert store.texter("a") is None
    store.set_language("a", "es")
    store.set_opted_out("a", True)
    store.set_opted_out("b", False)
    assert store.texter("a") == Texter(True, "es")
    assert store.texter("b") == Texter(False, None)
    store.set_opted_out("a", False)
    assert store.texter("a") == Texter(False, "es")


def test_each_opt_out_change_gets_a_higher_number(store):
    numbers = [store.set_opted_out("a", flag) for flag in (True, False, True)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_no_key_of_the_hashes_is_kept_in_the_database(database_url):
    store = SqlStore(database_url)
    try:
        assert not hasattr(store, "hash_secret")
        assert "line_secrets" not in table_names(store.engine)
    finally:
        store.close()


def test_a_replayed_message_changes_nothing(store):
    assert store.set_opted_out("a", True, "m1") is not None
    assert store.set_opted_out("a", False, "m2") is not None
    assert store.set_opted_out("a", True, "m1") is None  # the first STOP, replayed
    assert store.texter("a") == Texter(False, None)
    assert store.claim_message("h1") and not store.claim_message("h1")


def test_allowances_are_counted_per_number_and_kind(store):
    assert [store.take("a", "text_me", 3, HOUR) for _ in range(4)] == [True] * 3 + [False]
    assert store.take("b", "text_me", 3, HOUR)
    assert store.take("a", "sms_reply", 3, HOUR)


def verdicts(store, key: str, digests: list[str | None], limit: int = 20) -> list[str]:
    return [store.admit_text(key, digest, limit, HOUR).verdict for digest in digests]


def test_the_loop_guard_is_kept_in_the_database(store):
    assert verdicts(store, "a", ["d1", "d1", "d1"]) == [REPLY, REPEAT, MUTED]
    assert verdicts(store, "a", ["d2"]) == [MUTED]
    assert verdicts(store, "b", ["d1"]) == [REPLY]


def test_admission_counts_replies_and_reads_the_opt_out_in_one_go(store):
    assert verdicts(store, "a", ["d1", "d2", "d3"], limit=2) == [REPLY, REPLY, LIMIT]
    assert store.admit_text("a", "d4", 2, HOUR).texter is None  # never stored a choice
    store.set_language("b", "es")
    assert store.admit_text("b", "d1", 2, HOUR) == Admission(Texter(False, "es"), REPLY)
    store.set_opted_out("b", True)
    # An opted-out number is told nothing and uses none of its allowance.
    assert verdicts(store, "b", ["d2", "d3"]) == [OPTED_OUT, OPTED_OUT]
    store.set_opted_out("b", False)
    assert verdicts(store, "b", [None, None], limit=2) == [REPLY, LIMIT]  # START skips the guard


def stored_counts(store, key: str) -> tuple:
    with store.engine.connect() as conn:
        return tuple(conn.execute(sa.select(text_guard.c.repeats, text_guard.c.used).where(
            text_guard.c.number_key == key)).one())


def test_a_texts_counts_are_written_by_the_text_itself(store):
    """One statement per text counts the loop guard and the allowance: written at once."""
    assert verdicts(store, "a", ["d1", "d2", "d3"], limit=2) == [REPLY, REPLY, LIMIT]
    assert stored_counts(store, "a") == (1, 3)  # d3 is the first of its kind; 3 asked


def test_instances_share_the_counts_exactly(database_url):
    first, second = SqlStore(database_url), SqlStore(database_url)
    try:
        got = [instance.admit_text("a", None, 3, HOUR).verdict
               for instance in (first, second, first, second)]
        assert got == [REPLY, REPLY, REPLY, LIMIT]
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("digests,expected", [
    ("aab", [REPLY, REPEAT, REPLY]),
    ("aba", [REPLY, REPLY, REPLY]),  # "1", "2", "1": a conversation, never silenced
    ("aaa", [REPLY, REPEAT, MUTED]),
    ("aaab", [REPLY, REPEAT, MUTED, MUTED]),
])
def test_the_stores_guard_matches_the_pure_rules(store, digests, expected):
    assert verdicts(store, "a", list(digests)) == expected
    assert guard_run([timedelta(seconds=1)] * len(digests), digests) == expected


# ------------------------------------------------------------------------ the pure rules

ALLOWANCE_CASES = [
    # (window start, used, limit, now, allowed, used after)
    (None, 0, 3, NOW, True, 1),
    (NOW, 2, 3, NOW + timedelta(minutes=59), True, 3),
    (NOW, 3, 3, NOW + timedelta(minutes=59), False, 3),
    (NOW, 3, 3, NOW + HOUR, True, 1),  # a new hour
    (NOW.replace(tzinfo=None), 3, 3, NOW + HOUR, True, 1),  # SQLite's naive time
    (NOW + HOUR, 3, 3, NOW, True, 1),  # a clock that went back does not lock anyone out
    (None, 0, 0, NOW, False, 0),  # a limit of 0 allows nothing
]


@pytest.mark.parametrize("start,used,limit,now,allowed,after", ALLOWANCE_CASES)
def test_an_allowance_is_a_fixed_window(start, used, limit, now, allowed, after):
    row, ok = use_allowance(Allowance(start, used), limit, HOUR, now)
    assert ok is allowed and row.used == after


def guard_run(gaps: list[timedelta], digests: str) -> list[str]:
    row, moment, verdicts = Guard(), NOW, []
    for gap, digest in zip(gaps, digests, strict=True):
        moment += gap
        row, verdict = screen(row, digest, moment)
        verdicts.append(verdict)
    return verdicts


MINUTE = timedelta(minutes=1)
GUARD_CASES = [
    ([MINUTE] * 3, "aaa", [REPLY, REPEAT, MUTED]),
    ([MINUTE] * 4, "abab", [REPLY] * 4),  # a conversation, not a loop
    ([MINUTE, LOOP_WINDOW, LOOP_WINDOW], "aaa", [REPLY] * 3),  # the same text, far apart
    ([MINUTE] * 4, "aaab", [REPLY, REPEAT, MUTED, MUTED]),  # muted means all texts
    ([MINUTE, MINUTE, MINUTE, LOOP_SILENCE], "aaab", [REPLY, REPEAT, MUTED, REPLY]),
    # each identical text during the silence extends it
    ([MINUTE] * 3 + [9 * MINUTE] * 6 + [11 * MINUTE], "aaaaaaaaab",
     [REPLY, REPEAT] + [MUTED] * 8),
]


@pytest.mark.parametrize("gaps,digests,verdicts", GUARD_CASES)
def test_the_loop_guard_answers_once_then_falls_silent(gaps, digests, verdicts):
    assert guard_run(gaps, digests) == verdicts


@pytest.mark.parametrize("number", ["+15005550009", "+1 (500) 555-0009", "+1.500.555.0009"])
def test_a_number_has_one_key_however_it_is_written(number):
    assert number_key("s", number) == number_key("s", "+15005550009")
    assert number_key("other", number) != number_key("s", number)
    assert "5005550009" not in number_key("s", number)


# ----------------------------------------------------------------------------- migrations

def test_upgrade_makes_every_table_from_nothing_and_again_is_harmless(empty_database_url):
    store = SqlStore(empty_database_url)
    try:
        assert not store.is_current()
        store.upgrade()
        store.upgrade()
        assert store.is_current() and current(store.engine) == head()
        assert {"texters", "allowances", "text_guard", "events", "handled_messages",
                "health_probe"} <= table_names(store.engine)
    finally:
        store.engine.dispose()


def test_the_migrations_make_exactly_the_tables_the_code_uses(database_url):
    engine = sa.create_engine(database_url)
    try:
        assert events.name in metadata.tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_a_database_from_before_migrations_is_adopted_with_its_opt_outs(empty_database_url):
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as conn:  # the first release's schema, made by create_all
        conn.execute(sa.text("CREATE TABLE texters (number_key VARCHAR(64) PRIMARY KEY, "
                             "opted_out BOOLEAN NOT NULL, language VARCHAR(16), "
                             "updated_at TIMESTAMP NOT NULL)"))
        conn.execute(sa.text("CREATE TABLE line_secrets (name VARCHAR(64) PRIMARY KEY, "
                             "value VARCHAR(128) NOT NULL)"))
        conn.execute(sa.text("INSERT INTO texters VALUES ('k', TRUE, 'es', "
                             "CURRENT_TIMESTAMP)"))
    engine.dispose()
    store = SqlStore(str(engine.url))
    try:
        store.upgrade()
        assert store.texter("k") == Texter(True, "es")
        assert store.set_opted_out("k", False) == 1
    finally:
        store.engine.dispose()


def test_a_new_sqlite_line_needs_no_upgrade_step(config, tmp_path, signer, closing):
    app = closing(create_app({**config,
                              "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}))
    texter = SimulatedTexter(FlaskTransport(app.test_client()), signer)
    assert texter.send("hi") is not None
    assert services_of(app).store.is_current()



def test_the_newest_revision_the_line_checks_against_is_alembics_head():
    assert NEWEST == head() == revisions()[-1]


# The db commands need only DATABASE_URL: no Twilio token, no prompt files.
NO_SERVING = {"TWILIO_AUTH_TOKEN": None, "VOICELINE_DEV_MODE": None,
              "VOICELINE_PROMPTS_DIR": "/nowhere"}


def db_command(url: str, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["db", *args], env={**NO_SERVING, "DATABASE_URL": url},
                              input=input, prog_name="voiceline")


def test_the_upgrade_command_says_what_it_did(empty_database_url):
    result = db_command(empty_database_url, "upgrade")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    store = SqlStore(empty_database_url)
    try:
        assert store.is_current()
    finally:
        store.engine.dispose()
    assert "up to date" in db_command(empty_database_url, "upgrade").output  # again: harmless


def test_the_upgrade_command_fails_in_one_sentence_without_the_password():
    url = "postgresql://postgres:hunter2@127.0.0.1:9/nowhere"
    result = db_command(url, "upgrade")
    assert result.exit_code == 1
    assert "could not upgrade the database" in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output


def test_downgrade_goes_back_a_revision_and_upgrade_comes_forward(empty_database_url):
    first, *_ = revisions()
    assert db_command(empty_database_url, "upgrade").exit_code == 0
    refused = db_command(empty_database_url, "downgrade", first, input="n\n")
    assert refused.exit_code != 0 and current_revision(empty_database_url) == head()
    done = db_command(empty_database_url, "downgrade", first, "--yes")
    assert done.exit_code == 0, done.output
    assert current_revision(empty_database_url) == first
    assert "events" not in table_names_at(empty_database_url)
    status = db_command(empty_database_url, "status")
    assert first in status.output and "run `voiceline db upgrade`" in status.output
    assert db_command(empty_database_url, "upgrade").exit_code == 0
    assert current_revision(empty_database_url) == head()


def test_downgrade_names_the_revisions_it_knows(empty_database_url):
    result = db_command(empty_database_url, "downgrade", "9999", "--yes")
    assert result.exit_code == 2 and "base" in result.output
    assert all(r in result.output for r in revisions())


def current_revision(url: str) -> str | None:
    engine = sa.create_engine(url)
    try:
        return current(engine)
    finally:
        engine.dispose()


def table_names_at(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return table_names(engine)
    finally:
        engine.dispose()


# -------------------------------------------------------------------------------- privacy

def test_after_a_conversation_no_table_holds_the_number_or_a_text(make_app, signer,
                                                                  no_network):
    number = "+15005550123"
    secret_words = "my neck hurts since the accident"
    app = make_app(TWILIO_ACCOUNT_SID="AC" + "0" * 32)
    no_network.post(re.compile(r"https://api\.twilio\.com/.*/Messages\.json"), status=201,
                    json={"sid": "SM" + "0" * 32, "status": "queued"})
    transport = FlaskTransport(app.test_client())
    texter = SimulatedTexter(transport, signer, number=number)
    for body in ("hi", "ES", "4", secret_words, "STOP", "START", "1", "1", "1"):
        texter.send(body)
    call = SimulatedCall(transport, signer, caller=number)
    call.start()  # greeted in Spanish, the language the number texted: the main menu
    for key in ("1", "2", "1", "2"):  # a topic, then "text me this", then end
        call.press(key)
    assert len(no_network.calls) == 1
    services_of(app).events.flush()

    engine = services_of(app).store.engine
    dump = []
    with engine.connect() as conn:
        for name in table_names(engine):
            dump += [" ".join(map(str, row)) for row in conn.execute(sa.text(
                f"SELECT * FROM {name}"))]
    everything = "\n".join(dump)
    for digits in ("15005550123", "5005550123", "555-0123", "5550123"):
        assert digits not in everything
    assert secret_words not in everything and "accident" not in everything
    assert number_key("test-hash-secret", number) in everything  # the hash stands in
    # A dump alone cannot be searched: no value in it keys the hash of the number.
    for value in set(everything.split()):
        assert number_key(value, number) not in everything
    assert "topic_texted" in everything and "sms_opt_out" in everything  # events were kept


def test_upgrades_from_several_instances_at_once_take_turns(empty_database_url, tmp_path):
    """Release steps of several instances (or a retried deploy) start together: each waits
    for the migration lock, the first migrates, the others find nothing to do."""
    command = [str(Path(sys.executable).parent / "voiceline"), "db", "upgrade"]
    env = {**os.environ, "DATABASE_URL": empty_database_url, "FLASK_SKIP_DOTENV": "1"}
    env.pop("TWILIO_AUTH_TOKEN", None)
    outputs = [(tmp_path / f"upgrade-{n}.log").open("w+") for n in range(3)]
    processes = [subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
                 for out in outputs]
    codes = [p.wait(timeout=60) for p in processes]
    logs = []
    for out in outputs:
        out.seek(0)
        logs.append(out.read())
        out.close()
    assert codes == [0, 0, 0], logs
    assert all("up to date" in log for log in logs)
    assert current_revision(empty_database_url) == head()
    assert {"texters", "allowances", "text_guard", "events", "handled_messages"} <= \
        table_names_at(empty_database_url)
