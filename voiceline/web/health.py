"""Health: ``GET /healthz`` says whether the line can answer, with no caller data.

503 only when the line cannot answer at all: no prompt files were ever served, so every
call gets the built-in apology. A database that does not answer a cheap ``SELECT 1`` is
200 with ``"status": "degraded"`` and ``"store": "unreachable"``, not 503: calls are still
answered in full from memory (only texts go unanswered), every instance shares the one
database so restarting or unrouting them would not help, and a platform that takes a
503 instance out of rotation would silence the calls too. Alert on "degraded".
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from ..checks.provenance import awaiting_review
from .services import services

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    holder = services().catalogs
    catalog = holder.catalog
    store = store_state()
    body = {
        "status": ("unavailable" if catalog is None else
                   "degraded" if store == "unreachable" else "ok"),
        "store": store,
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
    """"ok" or "unreachable"."""
    try:
        services().store.ping()
    except Exception as exc:  # noqa: BLE001 - a health check answers, whatever the store does
        log.warning("health check: the database did not answer (%s)", type(exc).__name__)
        return "unreachable"
    return "ok"
