"""The floor: the least any secure Twilio webhook can do, to measure the line against.

A bare Flask app that checks each request's ``X-Twilio-Signature`` with the twilio
library (the URL Twilio called plus the form parameters) and answers one fixed TwiML
document. ``bench/webhooks.py`` runs it under the same gunicorn settings as the line:
``gunicorn -c python:voiceline.web.gunicorn_conf --pythonpath bench 'floor_app:create_app()'``.
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Say>This line gives general '
         'information only. It is not medical advice.</Say><Hangup /></Response>')


def create_app(auth_token: str | None = None, public_base_url: str | None = None) -> Flask:
    """The floor app; by default its token and address come from the line's settings."""
    validator = RequestValidator(auth_token or os.environ["TWILIO_AUTH_TOKEN"])
    base = (public_base_url or os.environ["PUBLIC_BASE_URL"]).rstrip("/")
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status": "ok"}', mimetype="application/json")

    @app.post("/<path:anything>")
    def webhook(anything: str) -> Response:
        query = request.query_string.decode("latin-1")
        url = base + request.path + (f"?{query}" if query else "")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(url, request.form, signature):
            abort(403)
        return Response(TWIML, mimetype="text/xml")

    return app
