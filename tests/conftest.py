"""Shared fixtures: an app signed-for like production, a simulated caller and texter."""

from __future__ import annotations

import pytest
import responses

from voiceline import create_app
from voiceline.catalog import load_catalog
from voiceline.settings import REPO_PROMPTS
from voiceline.store import MemoryStore
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter, TwilioSigner

AUTH_TOKEN = "test-auth-token-not-a-real-one-000"
BASE_URL = "https://line.example.org"


@pytest.fixture(autouse=True)
def no_network():
    """Any HTTP request through `requests` that a test did not mock fails loudly."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(REPO_PROMPTS)


@pytest.fixture
def config(tmp_path):
    return {
        "TESTING": True,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": BASE_URL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'line.sqlite3'}",
        "VOICELINE_HASH_SECRET": "test-hash-secret",
        "VOICELINE_PROMPTS_DIR": str(REPO_PROMPTS),
    }


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def signer():
    return TwilioSigner(AUTH_TOKEN, BASE_URL)


@pytest.fixture
def transport(client):
    return FlaskTransport(client)


@pytest.fixture
def call(transport, signer):
    return SimulatedCall(transport, signer)


@pytest.fixture
def texter(transport, signer):
    return SimulatedTexter(transport, signer)


@pytest.fixture
def memory_store():
    return MemoryStore()


@pytest.fixture
def memory_app(config, memory_store):
    """An app whose store is the in-memory fake, so a test can break it on purpose."""
    return create_app({**config, "VOICELINE_STORE": memory_store})
