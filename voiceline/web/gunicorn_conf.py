"""Gunicorn settings for the line in production (the Procfile's ``web:`` line uses them).

- ``$PORT`` and ``$WEB_CONCURRENCY`` (worker processes) come from the platform, as a
  Procfile platform sets them; on your own host set them in the service's environment.
- Threaded workers (``gthread``, 8 threads each): a text
  waiting on the database (at most 1.5 s, see ``voiceline.storage.sql``) or a slow client
  holds one thread, never a whole worker, so calls are still answered. A 10 s timeout:
  Twilio gives a webhook 15 s, then asks the fallback URL (``/voice/fallback``,
  ``/sms/fallback``); a worker stuck for 10 s is killed early enough for the fallback.
  Put a buffering proxy in front (a platform's router, or nginx as in the README), so
  the slowest clients are the proxy's business, not the workers'.
- The access log never has a query string (a call's state travels in it) and never a
  form body (phone numbers and message texts); the app writes its own JSON line per
  webhook (see ``voiceline.observability``).
- With ``VOICELINE_METRICS_TOKEN`` set, every worker counts into one shared folder
  (Prometheus multiprocess mode), so ``/metrics`` adds up all workers whichever answers.
"""

import os
import tempfile

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
worker_class = "gthread"
threads = 8
timeout = 10
graceful_timeout = 10
keepalive = 5
# A full disk or a slow overlay filesystem must not stall the workers' heartbeat.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = "-"
errorlog = "-"
# %(U)s is the path without its query string; %(r)s and %(q)s would log the call state.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

if os.environ.get("VOICELINE_METRICS_TOKEN") and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Set before any worker imports prometheus_client, which reads it at import.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="voiceline-metrics-")


def child_exit(server, worker):
    """A worker that ended stops counting as a live process in the shared metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """The app is loaded: its objects (catalog, libraries) live as long as the worker, so
    the garbage collector need not walk them again and again under load."""
    import gc

    gc.freeze()
