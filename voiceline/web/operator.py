"""The operator area's door: ``/operator/login`` and ``/operator/logout``, and the guard
every operator page stands behind.

It exists only when ``VOICELINE_OPERATOR_KEY`` is set (``init_app``). Accounts come from
``voiceline operator add NAME`` (werkzeug's scrypt hash in the ``operators`` table). The
session is a signed cookie (Secure, HttpOnly, SameSite=Lax, 8 hours) that holds the
operator's name and a keyed digest of the account's hash, so a changed password or a
removed account ends every session at once. Every form carries a CSRF token; logins are
limited per address and per name (in the store, so on every instance alike). A Twilio
signature counts for nothing here. Pages are never cached and run no script but the
app's own (a strict Content-Security-Policy).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import StoreError
from .services import key_of, services

bp = Blueprint("operator", __name__, url_prefix="/operator", template_folder="templates",
               static_folder="static", static_url_path="/static")
log = logging.getLogger(__name__)

SESSION_HOURS = 8
LOGIN_TRIES = 5  # wrong or right, per address and per name, in LOGIN_WINDOW
LOGIN_WINDOW = timedelta(minutes=15)
HASH_METHOD = "scrypt"
MIN_PASSWORD = 12


@functools.cache
def _dummy_hash() -> str:
    """A hash to check an unknown name's password against, so that a wrong name takes as
    long as a wrong password. Made when the sign-in page is first asked for, not when a
    worker starts: scrypt takes tens of milliseconds of every worker's cold start."""
    return generate_password_hash(secrets.token_hex(8), method=HASH_METHOD)


CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def init_app(app: Flask) -> bool:
    """Set the operator area's sessions up when it is configured; True if it is (then
    ``create_app`` registers its blueprints)."""
    key = app.config.get("VOICELINE_OPERATOR_KEY")
    if not key:
        return False
    app.secret_key = str(key).strip()
    app.config.update(
        SESSION_COOKIE_NAME="voiceline_operator", SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/operator",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))
    app.context_processor(lambda: {"csrf_token": csrf_token, "operator_name": signed_in()})
    return True


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"The password must be at least {MIN_PASSWORD} characters long."
    return None


# ---------------------------------------------------------------------------- sessions

def csrf_token() -> str:
    token: str | None = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def check_csrf() -> None:
    """Every POST carries the session's token (a ``before_request`` hook)."""
    if request.method != "POST":
        return
    given = request.form.get("csrf", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(str(given), str(expected)):
        abort(400, "This form has expired. Go back, reload the page and try again.")


def _account_mark(password_hash: str) -> str:
    """Ties a session to the account's current hash, without putting the hash in it."""
    key = str(current_app.secret_key).encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:24]


def signed_in() -> str | None:
    """The operator signed in on this request, or None (read once per request)."""
    if "voiceline_operator" not in g:
        g.voiceline_operator = _signed_in()
    found: str | None = g.voiceline_operator
    return found


def _signed_in() -> str | None:
    name = session.get("operator")
    if not isinstance(name, str):
        return None
    try:
        stored = services().store.operator_hash(name)
    except StoreError as exc:
        log.warning("operator area: could not read the account (%s)", exc)
        return None
    if stored is None or not hmac.compare_digest(session.get("account", ""),
                                                 _account_mark(stored)):
        return None
    return name


def require_operator() -> ResponseReturnValue | None:
    """A ``before_request`` hook for operator pages: the login page for anyone else."""
    if signed_in() is None:
        return redirect(url_for("operator.login", next=request.full_path.rstrip("?")))
    return None


def protect(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response


# ------------------------------------------------------------------------------ routes

bp.before_request(check_csrf)
bp.after_request(protect)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    _dummy_hash()  # made before any password is checked: every check then takes alike
    error = None
    status = 200
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "").strip()[:64]
        password = request.form.get("password", "")[:200]
        allowed = _may_try(name)
        if allowed is None:
            error, status = ("The database did not answer, so nobody can sign in just now. "
                             "Try again in a minute.", 503)
        elif not allowed:
            error, status = ("Too many sign-in attempts. Wait 15 minutes, then try again.",
                             429)
        elif _password_ok(name, password):
            stored = services().store.operator_hash(name) or ""
            session.clear()  # a new session: nothing from before the sign-in carries over
            session.permanent = True
            session.update(operator=name, account=_account_mark(stored),
                           csrf=secrets.token_urlsafe(24))
            g.pop("voiceline_operator", None)
            log.info("operator signed in")
            return redirect(_safe_next(request.args.get("next", "")))
        else:
            error, status = "That name and password do not match an account.", 401
    return render_template("operator/login.html", error=error, name=name), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    g.pop("voiceline_operator", None)
    return redirect(url_for("operator.login", out="1"))


def _password_ok(name: str, password: str) -> bool:
    try:
        stored = services().store.operator_hash(name) if name else None
    except StoreError as exc:
        log.warning("operator sign-in: could not read the account (%s)", exc)
        stored = None
    if stored is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(stored, password)


def _may_try(name: str) -> bool | None:
    """At most LOGIN_TRIES sign-ins per address and per name in 15 minutes; None when the
    database cannot count them (then nobody signs in: no guessing without a count)."""
    store = services().store
    try:
        by_address = store.take(key_of("operator-login:" + (request.remote_addr or "")),
                                "operator_login", LOGIN_TRIES, LOGIN_WINDOW)
        by_name = store.take(key_of("operator-name:" + name.casefold()), "operator_login",
                             LOGIN_TRIES, LOGIN_WINDOW)
    except StoreError as exc:
        log.warning("operator sign-in: the database did not answer (%s)", exc)
        return None
    return by_address and by_name


def _safe_next(target: str) -> str:
    """Only a path of this operator area: never another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/operator") or \
            target.startswith("//") or "\\" in target:
        return url_for("dashboard.overview")
    return target

