"""Health: ``GET /healthz`` says whether the line can answer, with no caller data.

503 only when the line cannot answer at all: no prompt files were ever served, so every
call gets the built-in apology. The store is probed with a durable write, given at most
``PROBE_SECONDS`` (so /healthz answers within a second whatever the database does): a
database that is down, hung, read-only, or whose SQLite file was deleted or replaced, or
STOPs waiting on disk for it, make it 200 with ``"status": "degraded"`` and ``"store"``
"unreachable" or "unwritable" (and ``"pending_opt_outs"``), not 503: calls are still
answered in full from memory (only texts go unanswered), every instance shares the one
database so restarting or unrouting them would not help, and a platform that takes a
503 instance out of rotation would silence the calls too. Alert on "degraded".
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from ..checks.provenance import awaiting_review
from .services import services

PROBE_SECONDS = 0.6  # the write probe; a read follows only when the write failed fast
bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    holder = services().catalogs
    catalog = holder.catalog
    store = store_state()
    waiting = len(services().pending.waiting())
    body = {
        "status": ("unavailable" if catalog is None else
                   "degraded" if store != "ok" or waiting else "ok"),
        "store": store,
        "pending_opt_outs": waiting,
        "catalog_version": catalog.version if catalog else None,
        # Errors in the prompt files on disk. Meanwhile the line serves the last good words
        # ("prompts_stale"), or its built-in apology if it never had any.
        "prompt_problems": [{"file": f.file, "line": f.line, "where": f.where,
                             "message": f.message, "fix": f.fix} for f in holder.errors()],
        "prompts_stale": bool(catalog is not None and holder.problem is not None),
        # Topics (per language) no clinician has checked in their current words.
        "topics_awaiting_review": len(awaiting_review(catalog)) if catalog else None,
    }
    return jsonify(body), 200 if catalog is not None else 503


def store_state() -> str:
    """"ok", "unwritable" (it answers reads, not writes) or "unreachable"."""
    store = services().store
    try:
        store.ping(seconds=PROBE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a health check answers, whatever the store does
        log.warning("health check: the database did not take a write (%s)", exc)
    else:
        return "ok"
    try:
        store.texter("health-probe", seconds=PROBE_SECONDS / 4)
    except Exception:  # noqa: BLE001
        return "unreachable"
    return "unwritable"
