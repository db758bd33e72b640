"""Prometheus metrics of the HTTP edge: requests by route, method and status, and a
duration histogram per route, in the app's own registry (or, under gunicorn, every
worker's shared files; see ``gunicorn.conf.py``)."""

from __future__ import annotations

import os

DURATION_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Request counts and durations per route, in this app's own Prometheus registry."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter("voiceline_requests", "Requests answered, by route, method "
                                "and HTTP status.", ["route", "method", "status"],
                                registry=self.registry)
        self.duration = Histogram("voiceline_request_duration_seconds", "Time to answer a "
                                  "request, by route.", ["route"], buckets=DURATION_BUCKETS,
                                  registry=self.registry)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.duration.labels(route).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            # Every gunicorn worker's counts, from the shared folder.
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
