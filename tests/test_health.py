"""GET /healthz: 200 with the catalog version and whether the database answers; "degraded"
(still 200) when it does not, since calls are still answered; 503 only when the line cannot
answer at all. Never caller data."""

from __future__ import annotations

import time

import pytest

from voiceline import create_app
from voiceline.web.services import services_of


def health(app):
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def test_a_healthy_line_reports_its_catalog_version_and_its_store(client, catalog):
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["catalog_version"] == catalog.version
    assert body["store"] == "ok"


def test_a_stopped_database_is_degraded_not_down(memory_app, memory_store):
    memory_store.broken = True
    status, body = health(memory_app)
    assert (status, body["status"], body["store"]) == (200, "degraded", "unreachable")
    assert body["catalog_version"]
    memory_store.broken = False  # the database is back: so is the line
    assert health(memory_app)[1]["status"] == "ok"


@pytest.mark.parametrize("url", [
    "postgresql://nobody@127.0.0.1:9/none",  # nothing listens on port 9
    "sqlite:////nonexistent-folder/line.sqlite3",
])
def test_a_database_that_cannot_be_reached_is_reported_quickly(config, url):
    app = create_app({**config, "DATABASE_URL": url})
    started = time.monotonic()
    status, body = health(app)
    assert time.monotonic() - started < 3.5  # the store's connect timeout, not a hang
    assert (status, body["status"], body["store"]) == (200, "degraded", "unreachable")


def test_without_any_servable_prompt_files_the_line_is_unavailable(config, tmp_path):
    app = create_app({**config, "VOICELINE_PROMPTS_DIR": str(tmp_path / "missing")})
    status, body = health(app)
    assert (status, body["status"], body["catalog_version"]) == (503, "unavailable", None)
    assert body["store"] == "ok"


def test_health_needs_no_signature_and_holds_no_caller_data(client, texter):
    texter.send("what are the risks")  # the line has seen a texter and a question
    response = client.get("/healthz")  # no X-Twilio-Signature: platforms ask it
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert texter.number not in text and "5005550009" not in text
    assert "what are the risks" not in text


def test_health_answers_within_a_second_while_another_worker_holds_the_write_lock(app):
    store = services_of(app).store
    with store.engine.begin() as conn:  # another worker holds SQLite's write lock...
        conn.exec_driver_sql("SELECT 1")
        started = time.monotonic()
        answer = app.test_client().get("/healthz")  # ...and the probe gives up in time
        assert time.monotonic() - started < 1.0
    assert answer.status_code == 200 and answer.get_json()["status"] == "degraded"
    assert app.test_client().get("/healthz").get_json()["status"] == "ok"

