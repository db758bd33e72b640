"""Twilio signature checks: every webhook is refused with 403 unless Twilio signed it.

The signature covers the exact URL Twilio requested. Behind a proxy or TLS terminator
the app sees another scheme or host, so ``PUBLIC_BASE_URL`` names the public address;
the query string is taken raw, because Werkzeug's ``request.url`` decodes it and a
decoded URL no longer matches what Twilio signed. Outside development mode the line does
not start unless ``PUBLIC_BASE_URL`` or ``VOICELINE_TRUSTED_PROXIES`` says which address
Twilio signs: a bare Host header would let a signature made for one webhook pass on
another. With ``TWILIO_ACCOUNT_SID`` set, a request naming another account is refused.
"""

from __future__ import annotations

from flask import abort, current_app, request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from ..settings import is_dev_mode


def signed_url() -> str:
    """The URL Twilio called, as Twilio signed it."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def verify_twilio_signature() -> None:
    """A ``before_request`` hook: abort with 403 unless the request carries a valid signature."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token and is_dev_mode(current_app.config):
        return  # development mode without a token: documented as unchecked
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not token or not signature:
        abort(403)
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    if not RequestValidator(token).validate(signed_url(), request.form, signature, algorithm):
        abort(403)
    account = current_app.config.get("TWILIO_ACCOUNT_SID")
    if account and request.form.get("AccountSid", "") != account:
        abort(403)
