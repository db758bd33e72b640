"""The line started exactly as its Procfile says, driven over HTTP as Twilio would drive it."""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from voiceline.testing import HttpTransport, SimulatedCall, SimulatedTexter, TwilioSigner
from voiceline.testing.processes import start_group, stop_group
from voiceline.text import gsm

from .conftest import FIXTURE_PROMPTS
from .test_voice import topic_path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "procfile-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines()
               if line.startswith("web:"))
    port = free_port()
    env = {**os.environ, "PORT": str(port), "TWILIO_AUTH_TOKEN": TOKEN, "WEB_CONCURRENCY": "2",
           "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('web') / 'line.sqlite3'}",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VOICELINE_DEV_MODE", None)
    # Outside development mode the line must be told the address Twilio signs, and its key.
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    env["VOICELINE_HASH_SECRET"] = "procfile-test-hash-secret"
    env["VOICELINE_PROMPTS_DIR"] = str(FIXTURE_PROMPTS)
    env["FLASK_SKIP_DOTENV"] = "1"  # a developer's .env must not change what is tested
    env["VOICELINE_TWILIO_KEYWORD_REPLIES"] = "off"  # HELP and START: the line's own answers
    # A Procfile platform runs the command through a shell, which expands $PORT.
    log_path = tmp_path_factory.mktemp("web-log") / "web.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: nothing reads a pipe meanwhile
        process = start_group(["sh", "-c", web.removeprefix("web:").strip()], cwd=ROOT,
                              env=env, output=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        stop_group(process, timeout=5)
        pytest.fail("the Procfile's web process did not answer: " +
                    log_path.read_text(errors="replace")[-2000:])
    yield base
    stop_group(process, timeout=5)


@pytest.fixture
def signer(server):
    return TwilioSigner(TOKEN, server)


@pytest.mark.parametrize("code", ["en", "es"])
def test_all_ten_topics_by_keypad_over_http(server, signer, catalog, code):
    lang = catalog.languages[code]
    transport = HttpTransport(server)
    for n, topic_id in enumerate(catalog.flow.topics):
        # A first call from each number: the line would greet a returning one in its language.
        call = SimulatedCall(transport, signer, caller=f"+150055{code == 'es':d}{n:04d}")
        call.start()
        call.press(str(catalog.flow.languages.index(code) + 1))
        for key in topic_path(catalog, topic_id):
            heard = [h.text for h in call.press(key)]
        assert lang.topics[topic_id].spoken in heard
        call.press("2")  # end the call
        assert call.hung_up
        assert call.heard_text[-3:] == [lang.call["disclaimer"], lang.call["physician"],
                                        lang.call["goodbye"]]


def test_texts_over_http_stop_and_start(server, signer, catalog):
    lang = catalog.languages["en"]
    texter = SimulatedTexter(HttpTransport(server), signer, number="+15005550042")
    for body in ["hello", "1", "what are the dangers", "HELP", "price of the shots"]:
        reply = texter.send(body)
        assert reply.endswith(lang.text["disclaimer"])
        assert not gsm.non_gsm7(reply) and gsm.segments(reply) <= 3
    assert texter.send("STOP") is None
    assert texter.send("MENU") is None
    assert texter.send("START") is not None


@pytest.mark.parametrize("path", ["/voice", "/voice/answer?lang=en&at=main", "/sms"])
def test_forged_requests_over_http_get_403(server, path):
    forged = TwilioSigner("a-guessed-token", server)
    status, _ = HttpTransport(server).post(path, {"From": "+15005550009", "Body": "hi"},
                                           forged.headers(path, {"Body": "hi"}))
    assert status == 403
