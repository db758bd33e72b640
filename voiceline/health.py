"""Health: ``GET /healthz`` says whether the line can answer, with no caller data."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    holder = current_app.extensions["voiceline_catalog"]
    catalog = holder.catalog
    body = {
        "status": "ok" if catalog is not None else "unavailable",
        "catalog_version": catalog.version if catalog else None,
        "prompt_problems": [str(f) for f in holder.problem.findings] if holder.problem else [],
    }
    return jsonify(body), 200 if catalog is not None else 503
