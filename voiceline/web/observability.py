"""Observability: one JSON log line per webhook, and Prometheus metrics when turned on.

Each request (but the health check and /metrics) logs one line of JSON on the
``voiceline.requests`` logger, to stderr (the platform's log stream): route,
status, duration, the call or message SID, the language, where the caller was (``at``)
and where the answer leads (``next``, from the TwiML's Gather action), the topic and what
happened (the usage events noted during the request). Never a phone number or a message
body: every value is a route pattern, a number Flask computed, a SID of Twilio's shape
(from signed requests only), or a word cleaned of digits, as usage events are.

``/metrics`` (Prometheus text format) exists only when ``VOICELINE_METRICS_TOKEN`` is set
and answers only ``Authorization: Bearer <token>`` (401 otherwise; 404 when off). It
counts requests by route, method and status, with a duration histogram per route. Under
gunicorn each worker is a process: gunicorn.conf.py sets ``PROMETHEUS_MULTIPROC_DIR`` so
every worker counts into shared files and any worker's /metrics reports them all.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import re
import sys
import time
from urllib.parse import unquote

from flask import Flask, Request, Response, abort, current_app, g, request
from werkzeug.exceptions import HTTPException

from .metrics import Metrics
from .services import noted, services

REQUEST_LOG = logging.getLogger("voiceline.requests")
NOT_LOGGED = ("/healthz", "/metrics")
SID = re.compile(r"^(CA|SM|MM)[0-9a-f]{32}$")
NOT_A_WORD = re.compile(r"[^a-z_.,-]")  # no digits: a phone number cannot hide in a word
NEXT_URL = re.compile(rb'<Gather[^>]*?\saction="([^"]*)"|<Redirect[^>]*>([^<]*)</Redirect>')
# The URL as it stands in the XML: its "&" are "&amp;".
NEXT_QUERY = {name: re.compile(rb"[?;&]" + name.encode() + rb"=([^&\"<]*)")
              for name in ("lang", "at")}


def init_app(app: Flask) -> Metrics | None:
    """The request log for every request; /metrics when its token is set (the metrics
    then go into the app's services)."""
    _give_the_log_a_handler()
    app.before_request(_start_clock)
    app.after_request(_log_and_count)
    if not app.config.get("VOICELINE_METRICS_TOKEN"):
        return None
    app.add_url_rule("/metrics", "metrics", _metrics_view)
    return Metrics()


def word(value: object, size: int = 64) -> str:
    return NOT_A_WORD.sub("", str(value or "").lower())[:size]


# ------------------------------------------------------------------------------- the log

def _give_the_log_a_handler() -> None:
    """One bare JSON line per request, on stderr (the platform's log stream)."""
    REQUEST_LOG.setLevel(logging.INFO)
    # Not also through Flask's handler on "voiceline", which would print it twice.
    REQUEST_LOG.propagate = False
    if not any(getattr(h, "voiceline_json", False) for h in REQUEST_LOG.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.voiceline_json = True  # type: ignore[attr-defined]
        REQUEST_LOG.addHandler(handler)


def _start_clock() -> None:
    g.voiceline_started = time.perf_counter()


def _log_and_count(response: Response) -> Response:
    # Once, not per use: each use of a proxy looks the request up again.
    req, ctx = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
    started = ctx.get("voiceline_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = req.url_rule.rule if req.url_rule is not None else "unmatched"
    metrics = services().metrics
    if metrics is not None and route != "/metrics":
        metrics.observe(route, req.method, response.status_code, seconds)
    if route not in NOT_LOGGED and REQUEST_LOG.isEnabledFor(logging.INFO):
        fields = request_fields(req, route, response, seconds, noted())
        # A record made directly: Logger.info would walk the stack for the caller's line.
        REQUEST_LOG.handle(REQUEST_LOG.makeRecord(REQUEST_LOG.name, logging.INFO, __file__,
                                                  0, json.dumps(fields), (), None))
    return response


def request_fields(req: Request, route: str, response: Response, seconds: float,
                   noted=()) -> dict:
    """The log line's fields: nothing a caller typed or said, no number."""
    fields: dict = {"route": route, "method": req.method, "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2)}
    if response.status_code != 403:  # a refused request's SIDs may be anything
        fields.update(_sids(req))
    here = _state_in_query(req.query_string)
    lang, at = here.get("lang", ""), here.get("at", "")
    follow = _next_state(response)
    lang = lang or follow.get("lang", "") or next((word(e.language, 16) for e in noted
                                                   if e.language), "")
    topic = next((word(e.topic) for e in noted if e.topic), "")
    for key, value in (("lang", lang), ("at", at), ("next", follow.get("at", "")),
                       ("topic", topic)):
        if value:
            fields[key] = value
    if noted:
        fields["events"] = [word(e.kind, 32) + (f":{word(e.outcome, 32)}" if e.outcome else "")
                            for e in noted][:10]
    return fields


def _sids(req: Request) -> dict[str, str]:
    try:
        form = req.form
    except HTTPException:  # e.g. a body over MAX_CONTENT_LENGTH, already answered 413
        return {}
    found = {}
    for name, key in (("CallSid", "call_sid"), ("MessageSid", "message_sid")):
        sid = form.get(name, "")
        if SID.match(sid):
            found[key] = sid
    return found


def _next_state(response: Response) -> dict[str, str]:
    """Where the TwiML sends the caller next (its Gather action, else its Redirect)."""
    if response.mimetype != "text/xml" or response.is_streamed:
        return {}
    return _next_state_in(response.get_data())


@functools.lru_cache(maxsize=1024)  # a menu's TwiML is the same for every caller
def _next_state_in(twiml: bytes) -> dict[str, str]:
    found = NEXT_URL.search(twiml)
    if not found:
        return {}
    return _state_in_query(found.group(1) or found.group(2))


@functools.lru_cache(maxsize=1024)  # callers walk the same few states
def _state_in_query(query: bytes) -> dict[str, str]:
    """``lang`` and ``at`` from a URL's query (raw, or as it stands in TwiML), as words."""
    query = b"?" + query
    return {name: word(unquote(value.group(1).decode("ascii", "replace")), size)
            for (name, pattern), size in zip(NEXT_QUERY.items(), (16, 100), strict=True)
            if (value := pattern.search(query))}


def _metrics_view() -> Response:
    token = current_app.config.get("VOICELINE_METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if not token:
        abort(404)
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("Unauthorized\n", 401, {"WWW-Authenticate": "Bearer"},
                        mimetype="text/plain")
    metrics = services().metrics
    if metrics is None:
        abort(404)
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)
