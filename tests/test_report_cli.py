"""``voiceline report`` prints the dashboard's figures; ``voiceline operator`` keeps the
accounts of the operator area, with only a scrypt hash of the password."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from voiceline import create_app
from voiceline.cli import reports
from voiceline.storage.events import MemoryEventLog, UnansweredWords
from voiceline.storage.store import MemoryStore
from voiceline.web.services import services_of

from .test_reports import some_events

TODAY = datetime.now(UTC).date()


@pytest.fixture
def cli_app(config):
    store, log = MemoryStore(), MemoryEventLog()
    log.events.extend(some_events())
    log.record_words(UnansweredWords("sms", "en", "", "unicorn therapy"))
    return create_app({**config, "VOICELINE_KEEP_UNANSWERED": "1"}, store=store, events=log)


def invoke(app, args, input=None):
    command = {"report": reports.report_command, "operator": reports.operator_group}[args[0]]
    return app.test_cli_runner().invoke(command, args[1:], input=input)


def test_report_prints_the_figures_as_a_table(cli_app):
    result = invoke(cli_app, ["report", "--since", "7d"])
    assert result.exit_code == 0, result.output
    assert "calls" in result.output and "median call length: 40 s" in result.output
    assert "unicorn therapy" in result.output


def test_report_csv_is_the_daily_table(cli_app):
    result = invoke(cli_app, ["report", "--since", "2d", "--format",
                                                    "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["day"] for r in rows] == [(TODAY - timedelta(days=1)).isoformat(),
                                        TODAY.isoformat()]
    assert [int(r["calls"]) for r in rows] == [1, 1]


def test_report_json_has_everything(cli_app):
    result = invoke(cli_app, ["report", "--format", "json"])
    figures = json.loads(result.output)
    assert figures["totals"]["calls"] == 2 and figures["topics"]["cost"]["heard"] == 2
    assert figures["lost"][0]["not_understood"] == 1


@pytest.mark.parametrize("since", ["yesterday", "-3d", "7x"])
def test_report_names_a_wrong_since(cli_app, since):
    result = invoke(cli_app, ["report", "--since", since])
    assert result.exit_code == 2 and "7d" in result.output


def test_operator_add_keeps_only_a_scrypt_hash(cli_app):
    password = "a long enough password"
    result = invoke(cli_app, ["operator", "add", "clinic"], input=f"{password}\n{password}\n")
    assert result.exit_code == 0, result.output
    stored = services_of(cli_app).store.operator_hash("clinic")
    assert stored and stored.startswith("scrypt:") and password not in stored
    assert invoke(cli_app, ["operator", "list"]).output.strip() == "clinic"
    assert invoke(cli_app, ["operator", "remove", "clinic"]).exit_code == 0
    assert services_of(cli_app).store.operator_hash("clinic") is None


@pytest.mark.parametrize("name,password,says", [
    ("clinic", "short", "at least 12"), ("1bad name", "a long enough password", "letters")])
def test_operator_add_refuses_bad_names_and_short_passwords(cli_app, name, password, says):
    result = invoke(cli_app, ["operator", "add", name],
                                              input=f"{password}\n{password}\n")
    assert result.exit_code != 0 and says in result.output
