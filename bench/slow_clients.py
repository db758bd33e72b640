"""Slow clients against the line's workers: do four sockets trickling headers block calls?

    .venv/bin/python bench/slow_clients.py [--slow 4] [--seconds 8]

Starts the Procfile's gunicorn (2 workers) once per worker type, opens ``--slow`` sockets
that send a request's headers one byte a second, and meanwhile places calls (the first
two webhooks of a call, signed) one after the other. Prints, per worker type, the calls
answered and their latency. gunicorn.conf.py uses gthread; sync is shown for comparison.
The recorded run is in docs/resilience.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceline.testing import HttpTransport, SimulatedCall, TwilioSigner  # noqa: E402
from voiceline.testing.processes import stop_group  # noqa: E402

TOKEN = "slow-clients-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(worker_class: str, folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PORT": str(port), "TWILIO_AUTH_TOKEN": TOKEN, "WEB_CONCURRENCY": "2",
           "PUBLIC_BASE_URL": base, "VOICELINE_HASH_SECRET": "slow-clients-secret",
           "DATABASE_URL": f"sqlite:///{folder / f'{worker_class}.sqlite3'}",
           "VOICELINE_PENDING_DIR": str(folder),
           "VOICELINE_PROMPTS_DIR": str(ROOT / "tests" / "fixtures" / "prompts"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VOICELINE_DEV_MODE", None)
    # gunicorn turns sync into gthread when threads > 1 (gunicorn.conf.py sets 8).
    threads = "--threads 1" if worker_class == "sync" else ""
    command = f"gunicorn -c gunicorn.conf.py -k {worker_class} {threads} 'voiceline:create_app()'"
    process = subprocess.Popen(["sh", "-c", command], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return process, base
        except OSError:
            time.sleep(0.2)
    stop_group(process)
    raise SystemExit(f"gunicorn ({worker_class}) did not start")


def trickle(port: int, stop: threading.Event) -> None:
    request = b"POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for byte in request:
            if stop.is_set():
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return
            stop.wait(1.0)


def measure(worker_class: str, slow: int, seconds: float, folder: Path) -> dict:
    process, base = start(worker_class, folder)
    stop = threading.Event()
    try:
        port = int(base.rsplit(":", 1)[1])
        slow_threads = [threading.Thread(target=trickle, args=(port, stop), daemon=True)
                        for _ in range(slow)]
        for thread in slow_threads:
            thread.start()
        time.sleep(1.0)  # the slow sockets are in
        latencies, failed = [], 0
        signer, transport = TwilioSigner(TOKEN, base), HttpTransport(base, timeout=15)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            began = time.monotonic()
            try:
                call = SimulatedCall(transport, signer)
                call.start()
                call.press("1")
                latencies.append(time.monotonic() - began)
            except Exception:  # noqa: BLE001 - a call that failed is counted, not raised
                failed += 1
        return {"worker": worker_class, "calls": len(latencies), "failed": failed,
                "median": statistics.median(latencies) if latencies else None,
                "max": max(latencies) if latencies else None}
    finally:
        stop.set()
        stop_group(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="voiceline-slow-"))
    rows = [measure(kind, args.slow, args.seconds, folder) for kind in ("sync", "gthread")]
    print(f"{args.slow} sockets trickling headers (1 byte/s), 2 workers, calls placed for "
          f"{args.seconds:g} s\n")
    print("| worker type | calls answered | calls failed | median s | max s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        median = f"{row['median']:.3f}" if row["median"] is not None else "-"
        longest = f"{row['max']:.3f}" if row["max"] is not None else "-"
        print(f"| {row['worker']} | {row['calls']} | {row['failed']} | {median} | {longest} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
