"""Recorded prompts: which prompts have a recording to ``<Play>``, and serving the files.

An operator's file ``prompts/<lang>/audio/<key>.mp3`` (or ``.wav``; ``key`` like
``call.welcome`` or ``topic.risks``) stands in for that prompt's text. Calls play it from
``VOICELINE_AUDIO_BASE_URL`` when that is set, otherwise from ``GET /audio/<lang>/<name>``
here. A recording that is missing, empty or unreadable is never played: the caller hears
the text spoken instead, never silence. Only files the loaded catalog lists are served,
so no other path on disk can be reached.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, send_file, url_for

from ..catalog import Language
from .services import current_catalog

bp = Blueprint("audio", __name__, url_prefix="/audio")


def playable(path: Path) -> bool:
    """Whether a recording can be played: there, readable, and not empty."""
    try:
        with path.open("rb") as recording:
            return bool(recording.read(1))
    except OSError:
        return False


def recording_url(lang: Language, key: str) -> str | None:
    """Where Twilio fetches the recording for prompt ``key``, or None to speak the text."""
    path = lang.audio.get(key) if key else None
    if path is None or not playable(path):
        return None
    base = current_app.config.get("VOICELINE_AUDIO_BASE_URL")
    if base:
        return f"{base.rstrip('/')}/{quote(lang.code)}/{quote(path.name)}"
    return url_for("audio.prompt_audio", lang=lang.code, name=path.name)


@bp.get("/<lang>/<name>")
def prompt_audio(lang: str, name: str) -> Response:
    catalog = current_catalog()
    language = catalog.languages.get(lang) if catalog else None
    path = next((p for p in (language.audio.values() if language else ()) if p.name == name),
                None)
    if path is None or not playable(path):
        abort(404)
    return send_file(path, max_age=300)
