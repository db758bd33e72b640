"""The fault suite: what production does to the line, each fault asserting that nothing
was lost (every STOP ends up recorded), no 5xx was answered and calls were answered.

- A hung PostgreSQL (SIGSTOP of a private cluster) under the Procfile's gunicorn: calls
  answered within 2 s, /healthz within 1 s, texts 200; a STOP sent meanwhile is recorded
  once the database wakes up.
- A worker killed in the middle of a STOP (SIGKILL while the STOP waits on the hung
  database): the STOP was kept on disk first, and is recorded.
- A stopped PostgreSQL (shut down, then started again).
- A read-only SQLite file and folder (``chattr +i``), and a SQLite file deleted while the
  line runs (never made anew and empty).
- Two instances racing on one database: the hourly limit is exact.

The private cluster lives in a temporary folder on a free port, in its own process group;
it is always woken (SIGCONT) and stopped, and the folder removed, whatever happens.
"""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from voiceline import create_app
from voiceline.engine.outcomes import Verdict
from voiceline.storage.store import SqlStore, number_key
from voiceline.testing import (
    FlaskTransport,
    HttpTransport,
    SimulatedCall,
    SimulatedTexter,
    TwilioSigner,
)
from voiceline.testing.processes import stop_group
from voiceline.web.services import services_of

from .conftest import FIXTURE_PROMPTS

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "fault-suite-auth-token"
SECRET = "fault-suite-hash-secret"
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateCluster:
    """A PostgreSQL cluster of this test's own, which it may hang, stop and start."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="voiceline-faults-pg-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        as_postgres = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
        self.run_as = as_postgres
        if as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run([f"{BINARIES[-1]}/initdb", "-D", str(self.folder / "data"), "-U",
                        "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, **as_postgres)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [f"{BINARIES[-1]}/postgres", "-D", str(self.folder / "data"), "-p", str(self.port),
             "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            **self.run_as)
        engine = sa.create_engine(self.url, connect_args={"connect_timeout": 2})
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with engine.connect() as conn:
                        conn.execute(sa.text("SELECT 1"))
                    return
                except sa.exc.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            engine.dispose()

    def signal(self, number: int) -> None:
        """Signal the postmaster and every backend: each backend is a process group of
        its own (PostgreSQL calls setsid in its children), so one killpg is not enough."""
        if self.process is None or self.process.poll() is not None:
            return
        postmaster = self.process.pid
        children = [pid for pid, parent in _parents().items() if parent == postmaster]
        for pid in [postmaster, *children] if number == signal.SIGSTOP else \
                [*children, postmaster]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)

    def stop(self) -> None:
        """Wake it if hung, then a fast shutdown (SIGINT); killed if it does not end."""
        if self.process is None:
            return
        self.signal(signal.SIGCONT)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for pid, parent in _parents().items():
                if parent == self.process.pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    if not BINARIES:
        reason = "no PostgreSQL binaries in /usr/lib/postgresql/*/bin"
        if os.environ.get("VOICELINE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (VOICELINE_REQUIRE_POSTGRES=1: the fault suite must run)")
        pytest.skip(reason)
    made = PrivateCluster()
    try:
        made.start()
        store = SqlStore(made.url)
        store.upgrade()
        store.close()
        yield made
    finally:
        made.remove()


class Gunicorn:
    """The Procfile's web process on the private cluster, in its own process group."""

    def __init__(self, database_url: str, pending: Path, log: Path,
                 settings: dict[str, str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        web = next(x for x in (ROOT / "Procfile").read_text().splitlines()
                   if x.startswith("web:"))
        env = {**os.environ, "PORT": str(self.port), "TWILIO_AUTH_TOKEN": TOKEN,
               "WEB_CONCURRENCY": "2", "DATABASE_URL": database_url,
               "PUBLIC_BASE_URL": self.base, "VOICELINE_HASH_SECRET": SECRET,
               "VOICELINE_PENDING_DIR": str(pending),
               "VOICELINE_PROMPTS_DIR": str(FIXTURE_PROMPTS),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               **(settings or {})}
        for name in ("VOICELINE_DEV_MODE", "PROMETHEUS_MULTIPROC_DIR",
                     "VOICELINE_METRICS_TOKEN", "TWILIO_ACCOUNT_SID"):
            env.pop(name, None)
        with open(log, "wb") as out:
            self.process = subprocess.Popen(["sh", "-c", web.removeprefix("web:").strip()],
                                            cwd=ROOT, env=env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    stop_group(self.process, timeout=15)
                    raise AssertionError("gunicorn did not start:\n" +
                                         log.read_text()[-3000:]) from None
                time.sleep(0.2)

    def workers(self) -> list[int]:
        """The worker processes: the group's processes whose parent is in the group too."""
        group = self.process.pid
        found = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
                pid, parent, pgid = int(stat.split("/")[2]), int(fields[1]), int(fields[2])
                if pgid == group and parent != group and parent != 1 and \
                        _pgid(parent) == group and _is_gunicorn(pid) and _is_gunicorn(parent):
                    found.append(pid)
        return found

    def stop(self) -> None:
        stop_group(self.process, timeout=15)


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc."""
    found = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            found[int(stat.split("/")[2])] = int(fields[1])
    return found


def _pgid(pid: int) -> int:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return -1


def _is_gunicorn(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return False


@contextlib.contextmanager
def serving(cluster, folder: Path, **settings: str) -> Iterator[Gunicorn]:
    """Gunicorn on ``cluster`` with ``settings``; stopped (the cluster woken) however the
    tests end."""
    server = Gunicorn(cluster.url, folder, folder / "gunicorn.log", settings)
    try:
        yield server
    finally:
        cluster.signal(signal.SIGCONT)
        server.stop()


@pytest.fixture(scope="module")
def line(cluster, tmp_path_factory):
    with serving(cluster, tmp_path_factory.mktemp("faults-line")) as server:
        yield server


def opted_out(database_url: str, number: str, within: float = 10.0) -> bool:
    """Whether ``number`` is recorded as opted out, waiting up to ``within`` seconds."""
    store = SqlStore(database_url)
    try:
        deadline = time.monotonic() + within
        while True:
            with contextlib.suppress(Exception):
                found = store.texter(number_key(SECRET, number))
                if found is not None and found.opted_out:
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.3)
    finally:
        store.close()


def timed_call(base: str) -> float:
    signer = TwilioSigner(TOKEN, base)
    began = time.monotonic()
    call = SimulatedCall(HttpTransport(base, timeout=10), signer)
    call.start()
    call.press("1")
    assert call.heard_text, "the call heard nothing"
    return time.monotonic() - began


def timed_health(base: str) -> tuple[float, str]:
    began = time.monotonic()
    with urllib.request.urlopen(base + "/healthz", timeout=10) as answer:
        body = answer.read().decode()
    return time.monotonic() - began, body


def text(base: str, number: str, body: str, path: str = "/sms") -> int:
    """POST a text; its HTTP status (0 when the connection broke, e.g. its worker died)."""
    signer = TwilioSigner(TOKEN, base)
    transport = HttpTransport(base, timeout=10)
    params = {"MessageSid": "SM" + os.urandom(16).hex(), "AccountSid": "AC" + "0" * 32,
              "From": number, "To": "+15005550006", "Body": body}
    try:
        status, _ = transport.post(path, params, signer.headers(path, params))
    except OSError:
        return 0
    return status


# ----------------------------------------------------------------------- PostgreSQL faults

def test_a_hung_database_holds_no_call_and_loses_no_stop(cluster, line):
    assert text(line.base, "+15005550301", "hi") == 200 and timed_call(line.base) < 2
    cluster.signal(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            texts = [pool.submit(text, line.base, f"+1500555040{n}", "risks") for n in range(6)]
            stop = pool.submit(text, line.base, "+15005550399", "STOP")
            time.sleep(0.2)  # the texts are waiting on the database now
            calls = [timed_call(line.base) for _ in range(4)]
            health_seconds, health = timed_health(line.base)
            statuses = [t.result() for t in texts] + [stop.result()]
    finally:
        cluster.signal(signal.SIGCONT)
    print(f"hung database: calls {', '.join(f'{c:.2f}' for c in calls)} s; "
          f"/healthz {health_seconds:.2f} s")
    assert max(calls) < 2.0, calls
    assert health_seconds < 1.0 and '"degraded"' in health
    assert statuses == [200] * 7
    assert opted_out(cluster.url, "+15005550399")
    assert text(line.base, "+15005550301", "hi") == 200


def test_a_worker_killed_in_the_middle_of_a_stop_loses_nothing(cluster, line):
    cluster.signal(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            stop = pool.submit(text, line.base, "+15005550398", "STOP")
            time.sleep(0.5)  # the STOP waits on the hung database
            workers = line.workers()
            assert workers
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            status = stop.result()
    finally:
        cluster.signal(signal.SIGCONT)
    assert status in (0, 200)  # its connection broke, or it answered: never a 5xx
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and text(line.base, "+15005550302", "hi") != 200:
        time.sleep(0.3)  # the master starts new workers
    # The number texts again: its STOP, kept on disk first, goes in before anything else.
    assert text(line.base, "+15005550398", "MENU") == 200
    assert opted_out(cluster.url, "+15005550398")
    assert timed_call(line.base) < 2.0


def test_a_stopped_database_loses_no_stop_and_holds_no_call(cluster, line):
    cluster.stop()
    try:
        assert text(line.base, "+15005550397", "STOP") == 200
        assert text(line.base, "+15005550303", "hi") == 200
        assert timed_call(line.base) < 2.0
        seconds, health = timed_health(line.base)
        assert seconds < 1.0 and '"degraded"' in health
    finally:
        cluster.start()
    assert text(line.base, "+15005550397", "MENU") == 200
    assert opted_out(cluster.url, "+15005550397")


# --------------------------------------------------------------------------- SQLite faults

@contextlib.contextmanager
def immutable(*paths: Path):
    """``chattr +i``: not even root may write, create or delete there; always undone."""
    done = []
    try:
        for path in paths:
            subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
            done.append(path)
        yield
    finally:
        for path in reversed(done):
            subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True)


def chattr_works(folder: Path) -> bool:
    probe = folder / "chattr-probe"
    probe.touch()
    try:
        return subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
    finally:
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
        probe.unlink()


def sqlite_line(config, folder: Path, pending: Path):
    app = create_app({**config, "DATABASE_URL": f"sqlite:///{folder / 'line.sqlite3'}",
                      "VOICELINE_PENDING_DIR": str(pending)})
    client = app.test_client()
    signer = TwilioSigner(config["TWILIO_AUTH_TOKEN"], config["PUBLIC_BASE_URL"])
    return app, client, lambda number: SimulatedTexter(FlaskTransport(client), signer,
                                                       number=number)


def test_a_read_only_sqlite_database_is_degraded_and_loses_no_stop(config, tmp_path, catalog):
    if shutil.which("chattr") is None or not chattr_works(tmp_path):
        pytest.skip("chattr +i is not available here")
    folder, pending = tmp_path / "db", tmp_path / "pending"
    folder.mkdir()
    pending.mkdir()
    app, client, texter = sqlite_line(config, folder, pending)
    assert texter("+15005550501").send("hi") is not None
    with immutable(*folder.iterdir(), folder):
        health = client.get("/healthz").get_json()
        assert health["status"] == "degraded" and health["store"] == "unwritable"
        stops = [f"+150055506{n:02d}" for n in range(20)]
        for number in stops:
            assert texter(number).send("STOP") is None
        assert texter("+15005550501").send("risks") is None  # counts cannot be written
        call = SimulatedCall(FlaskTransport(client), texter("x").signer)
        call.start()
        call.press("1")
        assert call.heard_text and catalog.language("en").call["error"] not in call.heard_text
    answered = texter(stops[0]).send("MENU")  # writable again: the STOPs go in first
    assert answered is None
    store, secret = services_of(app).store, services_of(app).secret()
    assert all(store.texter(number_key(secret, n)).opted_out for n in stops)
    assert not services_of(app).pending.waiting()


def test_a_deleted_sqlite_file_is_noticed_not_made_anew(config, tmp_path):
    folder, pending = tmp_path / "db", tmp_path / "pending"
    folder.mkdir()
    pending.mkdir()
    app, client, texter = sqlite_line(config, folder, pending)
    for n in range(10):
        texter(f"+150055507{n:02d}").send("STOP")
    backup = tmp_path / "backup.sqlite3"
    shutil.copy(folder / "line.sqlite3", backup)
    (folder / "line.sqlite3").unlink()
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and health["store"] == "unreachable"
    assert texter("+15005550700").send("MENU") is None  # opted out: never a reply
    assert texter("+15005550799").send("STOP") is None  # kept on disk meanwhile
    assert texter("+15005550800").send("hi") is None  # no opt-out can be read: silence
    assert not (folder / "line.sqlite3").exists()  # not recreated empty
    shutil.copy(backup, folder / "line.sqlite3")  # the operator restores it...
    assert client.get("/healthz").get_json()["store"] == "unreachable"  # (a new file)
    app, client, texter = sqlite_line(config, folder, pending)  # ...and restarts the line
    assert texter("+15005550800").send("hi") is not None
    deadline = time.monotonic() + 10
    while services_of(app).pending.waiting() and time.monotonic() < deadline:
        time.sleep(0.2)  # the STOP kept meanwhile is applied in the background
    store, secret = services_of(app).store, services_of(app).secret()
    assert all(store.texter(number_key(secret, f"+150055507{n:02d}")).opted_out
               for n in (*range(10), 99))


# -------------------------------------------------------------------- instances racing

def test_two_instances_racing_count_the_hourly_limit_exactly(make_app, signer):
    apps = (make_app(), make_app())
    number = "+15005550900"

    def send(i: int) -> str | None:
        client = apps[i % 2].test_client()
        return SimulatedTexter(FlaskTransport(client), signer, number=number).send(
            f"question number {i}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(send, range(40)))
    assert sum(r is not None for r in replies) == 20  # VOICELINE_SMS_REPLIES_PER_HOUR


def _admit_many(url: str, count: int, results) -> None:
    store = SqlStore(url)
    try:
        for i in range(count):
            results.put(store.admit_text("racer", f"digest-{os.getpid()}-{i}", 20,
                                         timedelta(hours=1)).verdict)
    finally:
        store.close()


def test_processes_racing_count_exactly(database_url):
    """Four processes, ten texts each, one number: exactly 20 replies."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [context.Process(target=_admit_many, args=(database_url, 10, results))
                 for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    verdicts = [results.get(timeout=5) for _ in range(40)]
    assert verdicts.count(Verdict.REPLY) == 20 and verdicts.count(Verdict.LIMIT) == 20


def test_the_loop_guard_silences_only_the_same_text_repeated(make_app, signer):
    """'1', '2', '1' are a conversation on any instance; '1', '1' is a repeat."""
    apps = (make_app(), make_app())
    for n in range(10):
        number = f"+150055510{n:02d}"
        replies = [SimulatedTexter(FlaskTransport(apps[i % 2].test_client()), signer,
                                   number=number).send(body)
                   for i, body in enumerate(["1", "2", "1", "1"])]
        assert [r is not None for r in replies] == [True, True, True, False], number


def test_sqlite_keeps_no_memory_mapped_file_to_die_on(config, tmp_path):
    """A read-only ``-shm`` killed workers with SIGBUS: the line keeps a rollback journal,
    so no ``-shm`` (or ``-wal``) file is ever made or mapped."""
    folder, pending = tmp_path / "db", tmp_path / "pending"
    folder.mkdir()
    pending.mkdir()
    app, client, texter = sqlite_line(config, folder, pending)
    for n in range(5):
        texter(f"+150055508{n:02d}").send("STOP" if n % 2 else "risks")
    assert client.get("/healthz").get_json()["status"] == "ok"
    assert sorted(p.name for p in folder.iterdir()) == ["line.sqlite3"]
    with services_of(app).store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
