"""How fast the operators' dashboard answers with a million usage events.

    .venv/bin/python bench/dashboard.py [--events 1000000] [--days 90] [--postgres URL]
                                        [--no-sqlite] [--no-postgres]

Seeds the events through the line's own write path (``SqlEventLog.write_batch``: the
events table and its daily counts, in batches), into a fresh SQLite file and a fresh
PostgreSQL database (default: postgres@127.0.0.1:5432; dropped at the end), then signs in
and times ``GET /operator/`` (the whole page: query, figures, chart, HTML) and
``/operator/daily.csv`` over the default 30 days and over all the seeded days, and
``voiceline report``'s figures alone. Prints one table; the target is 1 s per page.
The recorded run is in docs/dashboard.md.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceline import create_app  # noqa: E402
from voiceline.settings import normalise_database_url  # noqa: E402
from voiceline.storage.events import Event, SqlEventLog  # noqa: E402
from voiceline.storage.reports import report  # noqa: E402
from voiceline.storage.store import SqlStore  # noqa: E402
from voiceline.web.operator import hash_password  # noqa: E402
from voiceline.web.services import services_of  # noqa: E402

DAYS = 90
BATCH = 20_000
TOPICS = ("what", "how", "benefits", "risks", "candidate", "recovery", "insurance", "cost",
          "success", "alternatives")
NODES = ("language", "main", "about", "treatment", "money", "topic.cost", "topic.risks")
# (kind, channel, weight): roughly what a month of a busy line leaves behind
KINDS = [("call_started", "voice", 10), ("language_chosen", "voice", 10),
         ("topic_heard", "voice", 18), ("reprompt", "voice", 6), ("invalid_key", "voice", 4),
         ("not_understood", "voice", 5), ("call_ended", "voice", 6),
         ("call_status", "voice", 10), ("topic_texted", "voice", 2),
         ("sms_answered", "sms", 20), ("sms_opt_out", "sms", 1), ("sms_opt_in", "sms", 1),
         ("sms_held", "sms", 1), ("sms_status", "sms", 3), ("red_flag", "voice", 1)]
OUTCOMES = {"call_ended": ("caller", "no_input", "error"),
            "call_status": ("completed", "completed", "completed", "busy", "no-answer"),
            "topic_texted": ("sent", "limit", "opted_out", "failed"),
            "sms_answered": ("topic", "topic", "menu", "unknown", "welcome", "choices"),
            "sms_held": ("repeat", "limit"), "sms_status": ("delivered", "sent", "failed"),
            "red_flag": ("emergency", "urgent")}


def make_events(count: int, days: int = DAYS, seed: int = 12) -> list[Event]:
    rng = random.Random(seed)
    end = datetime.now(UTC).replace(microsecond=0)
    kinds = rng.choices(KINDS, weights=[w for *_, w in KINDS], k=count)
    found = []
    for kind, channel, _ in kinds:
        outcome = rng.choice(OUTCOMES[kind]) if kind in OUTCOMES else ""
        found.append(Event(
            kind, channel, rng.choice(("en", "en", "en", "es")),
            topic=rng.choice(TOPICS) if kind in ("topic_heard", "topic_texted") or
            outcome == "topic" else "",
            outcome=outcome,
            seconds=int(rng.lognormvariate(4.5, 0.8)) if kind == "call_status" else None,
            node=rng.choice(NODES) if channel == "voice" else "",
            at=end - timedelta(seconds=rng.randrange(days * 86_400))))
    return found


def seed(url: str, events: list[Event]) -> float:
    store = SqlStore(url)
    store.upgrade()
    log = SqlEventLog(store.engine)
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        log.write_batch(events[start:start + BATCH])
    seconds = time.perf_counter() - started
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))
    store.close()
    return seconds


def timed(run, repeat: int = 5) -> tuple[float, float]:
    run()  # warm: connections, templates, the catalog
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def measure(name: str, url: str, events: list[Event], days: int
            ) -> list[tuple[str, str, float, float]]:
    seeding = seed(url, events)
    app = create_app({"TWILIO_AUTH_TOKEN": "bench", "DATABASE_URL": url,
                      "VOICELINE_OPERATOR_KEY": "b" * 40, "VOICELINE_HASH_SECRET": "bench"})
    services = services_of(app)
    services.store.set_operator("bench", hash_password("bench password 123"))
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/operator/login", data={"csrf": token, "name": "bench",
                                         "password": "bench password 123"})
    today = datetime.now(UTC).date()
    everything = f"?from={today - timedelta(days=days)}&to={today}"
    total = report(services.events, today - timedelta(days=days), today).totals["calls"]
    expected = sum(1 for e in events if e.kind == "call_started")
    assert total == expected, f"the dashboard counts {total} calls, the seed made {expected}"

    def get(path: str):
        def run():
            response = client.get(path)
            assert response.status_code == 200, response.status_code
        return run

    rows = [(name, f"seed {len(events):,} events (write path)", seeding, seeding)]
    for label, path in (("dashboard, last 30 days", "/operator/"),
                        (f"dashboard, all {days} days", "/operator/" + everything),
                        (f"daily CSV, all {days} days", "/operator/daily.csv" + everything)):
        rows.append((name, label, *timed(get(path))))
    rows.append((name, f"report figures only, {days} days", *timed(
        lambda: report(services.events, today - timedelta(days=days), today))))
    with services.store.engine.connect() as conn:  # type: ignore[attr-defined]
        counted = conn.execute(sa.text("SELECT count(*) FROM event_counts")).scalar()
    rows.append((name, f"daily-count rows for {len(events):,} events", float(counted or 0),
                 float(counted or 0)))
    services.store.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=DAYS, help="spread over this many days")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    events = make_events(args.events, args.days)
    rows = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            rows += measure("SQLite", f"sqlite:///{folder}/bench.sqlite3", events, args.days)
    if not args.no_postgres:
        admin = sa.create_engine(normalise_database_url(args.postgres),
                                 isolation_level="AUTOCOMMIT")
        name = f"voiceline_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            rows += measure("PostgreSQL", url, events, args.days)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"\n{'database':<11} {'what':<44} {'median':>10} {'worst':>10}")
    for database, what, median, worst in rows:
        if what.startswith("daily-count rows"):
            print(f"{database:<11} {what:<44} {int(median):>10,} {'':>10}")
        else:
            print(f"{database:<11} {what:<44} {median * 1000:>8.0f}ms {worst * 1000:>8.0f}ms")
    slow = [r for r in rows if r[1].startswith(("dashboard", "daily CSV")) and r[3] > 1.0]
    print("\ntarget: every page within 1 s:", "met" if not slow else f"MISSED {slow}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
