"""Recorded prompts: serves ``prompts/<lang>/audio/*`` files for ``<Play>``.

Only files the loaded catalog lists are served, so no other path on disk can be reached.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from .content import current_catalog

bp = Blueprint("audio", __name__, url_prefix="/audio")


@bp.get("/<lang>/<name>")
def prompt_audio(lang: str, name: str):
    catalog = current_catalog()
    language = catalog.languages.get(lang) if catalog else None
    path = next((p for p in (language.audio.values() if language else ()) if p.name == name),
                None)
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, max_age=300)
