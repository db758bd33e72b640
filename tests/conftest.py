"""Shared fixtures: an app signed-for like production, a simulated caller and texter.

Store-using tests take ``database_url`` (or ``make_app``), which runs them on SQLite and
on PostgreSQL. PostgreSQL is the server at VOICELINE_TEST_POSTGRES_URL (default: user
postgres at 127.0.0.1:5432); each test session creates its own database there and drops
it at the end, so parallel runs never collide. Without a server those tests skip and say
why -- unless VOICELINE_REQUIRE_POSTGRES=1 (as .ci/run sets), which makes them fail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import responses
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from voiceline import create_app
from voiceline.checks import load_checked
from voiceline.settings import normalise_database_url
from voiceline.storage.store import MemoryStore, SqlStore
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter, TwilioSigner
from voiceline.web.services import services_of

AUTH_TOKEN = "test-auth-token-not-a-real-one-000"
BASE_URL = "https://line.example.org"
POSTGRES_URL = os.environ.get("VOICELINE_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
# Behaviour tests run on prompt files of their own, so an operator's edit of prompts/
# (a new topic, a reworded sentence) never turns them red.
FIXTURE_PROMPTS = Path(__file__).resolve().parent / "fixtures" / "prompts"
DATA_TABLES = ("texters", "allowances", "text_guard", "events", "handled_messages",
               "health_probe", "event_counts", "unanswered", "operators", "callers")


RUN_MARK = "VOICELINE_TEST_RUN"  # every process this test run starts inherits it


def wait_until(condition: Callable[[], object], seconds: float = 5.0) -> bool:
    """Whether ``condition`` comes true within ``seconds`` (background threads, other
    processes); asked once more at the end, so a slow machine's last chance counts."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def processes_marked(token: str) -> list[int]:
    """Live processes (other than this one) whose environment carries this run's mark, even
    if they outlived the parent that started them."""
    found = []
    needle = f"{RUN_MARK}={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="session", autouse=True)
def nothing_left_running():
    """After the whole run, no server, browser or database a test started may still run."""
    token = uuid.uuid4().hex
    os.environ[RUN_MARK] = token
    yield token
    left = processes_marked(token)
    commands = {pid: _command_of(pid) for pid in left}
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"the tests left processes running: {commands}"


def _command_of(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")[:120]
    except OSError:
        return "?"


@pytest.fixture(autouse=True)
def fixture_prompts(monkeypatch):
    """Anything that reads the default prompts folder (the simulator, the CLI, a server)
    reads the tests' own."""
    monkeypatch.setenv("VOICELINE_PROMPTS_DIR", str(FIXTURE_PROMPTS))


@pytest.fixture(autouse=True)
def no_dotenv(monkeypatch):
    """A developer's own .env (the README suggests one) never changes what a test sees."""
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")


@pytest.fixture(autouse=True)
def no_network():
    """Any HTTP request through `requests` that a test did not mock fails loudly."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(scope="session")
def catalog():
    return load_checked(FIXTURE_PROMPTS)


@pytest.fixture
def config(tmp_path):
    return {
        "TESTING": True,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": BASE_URL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'line.sqlite3'}",
        "VOICELINE_HASH_SECRET": "test-hash-secret",
        "VOICELINE_PROMPTS_DIR": str(FIXTURE_PROMPTS),
        # The line's own answers to HELP and START are what these tests hear; with
        # Twilio's keyword replies on (tests/test_keywords.py) the line stays silent.
        "VOICELINE_TWILIO_KEYWORD_REPLIES": "off",
        "VOICELINE_PENDING_DIR": str(tmp_path),
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
    return create_app(config, store=memory_store)


# ------------------------------------------------------------------- both database engines

class PostgresServer:
    """The test PostgreSQL server: makes and drops databases for this session."""

    def __init__(self, url: str):
        self.url = make_url(normalise_database_url(url))
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT",
                                      connect_args={"connect_timeout": 3})
        self.made: list[str] = []

    def create_database(self, migrate: bool = True) -> str:
        name = f"voiceline_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        url = self.url.set(database=name).render_as_string(hide_password=False)
        if migrate:
            store = SqlStore(url)
            store.upgrade()
            store.engine.dispose()
        return url

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.made:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer(POSTGRES_URL)
    try:
        with server.admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        where = server.url.render_as_string(hide_password=True)
        reason = (f"PostgreSQL not reachable at {where} ({type(exc).__name__}): set "
                  "VOICELINE_TEST_POSTGRES_URL")
        if os.environ.get("VOICELINE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (VOICELINE_REQUIRE_POSTGRES=1: these tests must run)")
        pytest.skip(reason)
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def postgres_session_db(postgres_server):
    """One migrated database for the session; each test empties its tables first."""
    url = postgres_server.create_database()
    engine = sa.create_engine(url)
    yield url, engine
    engine.dispose()


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path):
    """A database with the newest schema and no rows: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'line.sqlite3'}"
        store = SqlStore(url)
        store.upgrade()
        store.engine.dispose()
        return url
    url, engine = request.getfixturevalue("postgres_session_db")
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(DATA_TABLES)}"))
    return url


@pytest.fixture(params=ENGINES)
def empty_database_url(request, tmp_path):
    """A database with no tables at all (not even migrated): SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return request.getfixturevalue("postgres_server").create_database(migrate=False)


@pytest.fixture
def closing():
    """``closing(app)``: the app's events are written and its connections closed at the end."""
    apps = []
    yield lambda app: apps.append(app) or app
    for app in apps:
        services_of(app).events.flush(timeout=5)
        services_of(app).store.close()


@pytest.fixture
def make_app(config, database_url, closing):
    """Apps on ``database_url`` (closed after the test)."""
    return lambda **overrides: closing(create_app({**config, "DATABASE_URL": database_url,
                                                   **overrides}))
