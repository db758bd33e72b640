"""One JSON log line per webhook (never a number or a message), and /metrics for Prometheus
(404 when off, 401 without the token), per process and across gunicorn's workers."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from voiceline import create_app
from voiceline.testing import HttpTransport, SimulatedCall, SimulatedTexter, TwilioSigner
from voiceline.testing.processes import start_group, stop_group
from voiceline.web.observability import REQUEST_LOG

from .conftest import FIXTURE_PROMPTS

ROOT = Path(__file__).resolve().parent.parent
NUMBER = "+15005550177"
METRICS_TOKEN = "metrics-token-for-tests"


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def parsed(self) -> list[dict]:
        return [json.loads(r.getMessage()) for r in self.records]


@pytest.fixture
def request_log():
    handler = Lines()
    REQUEST_LOG.addHandler(handler)
    yield handler
    REQUEST_LOG.removeHandler(handler)


@pytest.fixture
def metrics_app(config):
    return create_app({**config, "VOICELINE_METRICS_TOKEN": METRICS_TOKEN})


def first_topic_path(catalog) -> tuple[list[str], str, str]:
    """Keys from the main menu to a topic, the sub-menu on the way, and the topic's id."""
    flow = catalog.flow
    option = flow.menus[flow.main_menu].options[0]
    sub = flow.menus[option.menu]
    return [str(option.key), str(sub.options[0].key)], sub.id, sub.options[0].topic


def test_each_webhook_logs_one_json_line_with_where_the_caller_went(call, catalog,
                                                                     request_log):
    keys, submenu, topic = first_topic_path(catalog)
    call.start()
    call.press(str(catalog.flow.languages.index("es") + 1))
    for key in keys:
        call.press(key)
    lines = request_log.parsed()
    assert len(lines) == 4  # one per request Twilio made
    assert all(line["status"] == 200 and line["method"] == "POST" for line in lines)
    assert all(line["call_sid"] == call.params["CallSid"] for line in lines)
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    start, language, menu, heard = lines
    assert start["route"] == "/voice" and start["next"] == "language"
    assert language["route"] == "/voice/answer" and language["lang"] == "es"
    assert language["next"] == catalog.flow.main_menu
    assert "language_chosen" in language["events"]
    assert (menu["at"], menu["next"]) == (catalog.flow.main_menu, submenu)
    assert (heard["at"], heard["next"], heard["topic"]) == (submenu, f"topic.{topic}", topic)
    assert "topic_heard" in heard["events"]


def test_a_text_logs_its_message_sid_topic_and_language(texter, catalog, request_log):
    texter.send("hello")
    texter.send("1")
    first, second = request_log.parsed()
    assert first["route"] == second["route"] == "/sms"
    assert re.fullmatch(r"SM[0-9a-f]{32}", second["message_sid"])
    assert second["topic"] == catalog.flow.topics[0]
    assert second["lang"] == catalog.flow.languages[0]
    assert "sms_answered:topic" in second["events"]


def test_health_and_metrics_are_not_logged(metrics_app, request_log):
    client = metrics_app.test_client()
    client.get("/healthz")
    client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert request_log.records == []
    client.get("/nothing-here")
    assert [line["route"] for line in request_log.parsed()] == ["unmatched"]


FORGED_PATHS = [f"/voice/answer?lang={NUMBER}&at={NUMBER}",
                f"/voice/answer?lang=en&at=topic.{NUMBER[1:]}&trail={NUMBER}",
                f"/voice/{NUMBER}", f"/sms?x={NUMBER}"]


def test_no_phone_number_or_message_body_reaches_any_log(transport, signer, client, caplog,
                                                         request_log, monkeypatch):
    caplog.set_level(logging.DEBUG)
    bodies = ["my private question about risks", "STOP", "START", "HELP", "1", "hola"]
    texter = SimulatedTexter(transport, signer, number=NUMBER)
    for body in bodies:
        texter.send(body)
    call = SimulatedCall(transport, signer, caller=NUMBER)
    call.start()
    call.press("1")
    call.say("tell me about the price " + NUMBER)
    for path in FORGED_PATHS:  # signed, and unsigned (403): numbers in the URL
        params = {"From": NUMBER, "Body": "secret words", "CallSid": "CA" + NUMBER[2:] * 3}
        client.post(path, data=params, headers=signer.headers(path, params))
        client.post(path, data=params)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("voiceline.web.sms.answer_text", broken)
    texter.send("another private message")
    everything = [r.getMessage() for r in caplog.records + request_log.records]
    everything += [str(r.args) for r in caplog.records + request_log.records]
    logged = "\n".join(everything)
    assert len(request_log.records) >= len(bodies) + 2 + 2 * len(FORGED_PATHS)
    assert NUMBER[2:] not in logged and NUMBER[-7:] not in logged
    for body in [*bodies[:1], "secret words", "price", "another private message"]:
        assert body not in logged


def test_metrics_are_off_unless_a_token_is_set(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer wrong",
                                           f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x",
                                           f"bearer{METRICS_TOKEN}"])
def test_metrics_need_the_bearer_token(metrics_app, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = metrics_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "voiceline_requests" not in response.get_data(as_text=True)


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text format (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_and_durations_per_route(metrics_app, signer):
    client = metrics_app.test_client()
    path = "/voice"
    params = {"CallSid": "CA" + "f" * 32, "From": NUMBER, "To": "+15005550006"}
    for _ in range(3):
        client.post(path, data=params, headers=signer.headers(path, params))
    client.post(path, data=params)  # unsigned: 403
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert metric(text, "voiceline_requests_total", route="/voice", status="200") == 3
    assert metric(text, "voiceline_requests_total", route="/voice", status="403") == 1
    assert metric(text, "voiceline_request_duration_seconds_count", route="/voice") == 4
    assert NUMBER[2:] not in text


def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """Started as the Procfile says, with two workers: whichever answers /metrics, it counts
    the requests both answered. The JSON log lines there hold no number either."""
    port = _free_port()
    token = "procfile-metrics-token"
    web = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    env = {**os.environ, "PORT": str(port), "TWILIO_AUTH_TOKEN": token, "WEB_CONCURRENCY": "2",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'line.sqlite3'}",
           "VOICELINE_METRICS_TOKEN": METRICS_TOKEN,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("VOICELINE_DEV_MODE", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    env["VOICELINE_HASH_SECRET"] = "procfile-test-hash-secret"
    env["VOICELINE_PROMPTS_DIR"] = str(FIXTURE_PROMPTS)
    env["FLASK_SKIP_DOTENV"] = "1"
    log_path = tmp_path / "web.log"
    with open(log_path, "wb") as log:
        process = start_group(["sh", "-c", web.removeprefix("web:").strip()], cwd=ROOT,
                              env=env, output=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/healthz")
        signer = TwilioSigner(token, base)
        transport = HttpTransport(base)
        for _ in range(6):
            SimulatedCall(transport, signer, caller=NUMBER).start()
        readings = {metric(_get_metrics(base), "voiceline_requests_total", route="/voice",
                           status="200") for _ in range(6)}
        assert readings == {6.0}
    finally:
        stop_group(process, timeout=5)
    output = log_path.read_text()
    json_lines = [line for line in output.splitlines() if line.startswith("{")]
    assert len(json_lines) == 6 and NUMBER[2:] not in output
    assert "?" not in "".join(x for x in output.splitlines() if '"POST ' in x)  # no queries


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer")


def _get_metrics(base: str) -> str:
    request = urllib.request.Request(base + "/metrics",
                                     headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()
