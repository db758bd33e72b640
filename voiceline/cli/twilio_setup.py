"""``voiceline twilio configure``: point a Twilio phone number at the line, in one command.

It finds the number in the account (REST ``IncomingPhoneNumbers``, by ``PhoneNumber``) and
sets its voice URL, voice fallback URL, call status callback, SMS URL and SMS fallback
URL to the line's endpoints under ``--base-url``, every one by POST, printing each value
it changes (old -> new); ``--dry-run`` prints the same and changes nothing. A number
answered by a TwiML App ignores its own URLs, so the App is detached as well.

Credentials come from the environment: ``TWILIO_ACCOUNT_SID`` with ``TWILIO_AUTH_TOKEN``,
or with an API key pair (``TWILIO_API_KEY``/``TWILIO_API_SECRET``). The command needs no
prompt files and no database, so it works before the line is deployed. Every failure
(unknown number, refused credentials, no network) is one sentence and a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

import click
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..errors import VoicelineError
from ..settings import E164, from_environment

HTTP_TIMEOUT = 15.0  # seconds per REST request
BAD_CREDENTIALS = 20003

# (Twilio's name for the field, the client library's attribute, the value wanted; a path is
# joined to --base-url.) The order is the order they are printed in.
FIELDS = (
    ("VoiceUrl", "voice_url", "/voice"),
    ("VoiceMethod", "voice_method", "POST"),
    ("VoiceFallbackUrl", "voice_fallback_url", "/voice/fallback"),
    ("VoiceFallbackMethod", "voice_fallback_method", "POST"),
    ("StatusCallback", "status_callback", "/voice/status"),
    ("StatusCallbackMethod", "status_callback_method", "POST"),
    ("SmsUrl", "sms_url", "/sms"),
    ("SmsMethod", "sms_method", "POST"),
    ("SmsFallbackUrl", "sms_fallback_url", "/sms/fallback"),
    ("SmsFallbackMethod", "sms_fallback_method", "POST"),
    # A TwiML App, when set, answers instead of the URLs above: detach it.
    ("VoiceApplicationSid", "voice_application_sid", ""),
    ("SmsApplicationSid", "sms_application_sid", ""),
)


class SetupError(VoicelineError):
    """The number could not be configured; the message says why and what to do."""


@dataclass(frozen=True)
class Change:
    name: str  # Twilio's field name, as an operator sees it in the API docs
    attribute: str
    old: str
    new: str


def endpoint_values(base_url: str) -> dict[str, str]:
    """Every field's wanted value for a line served at ``base_url``."""
    base = base_url.rstrip("/")
    return {attribute: base + value if value.startswith("/") else value
            for _, attribute, value in FIELDS}


def changes_for(number, base_url: str) -> list[Change]:
    """What differs between the number as Twilio has it and the line's endpoints."""
    wanted = endpoint_values(base_url)
    found = []
    for name, attribute, _ in FIELDS:
        old = getattr(number, attribute, None) or ""
        if old != wanted[attribute]:
            found.append(Change(name, attribute, old, wanted[attribute]))
    return found


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise click.BadParameter("give the line's public https address, e.g. "
                                 "https://line.example.org (no query string)",
                                 param_hint="--base-url")
    return base_url.rstrip("/")


def check_number(number: str) -> str:
    number = number.strip()
    if not E164.match(number):
        raise click.BadParameter("give the number in E.164 form, e.g. +15551234567",
                                 param_hint="--number")
    return number


def client_from_environment(environ=None) -> Client:
    """A REST client with the account's auth token or an API key pair from the environment."""
    settings = from_environment(environ)
    account = settings.get("TWILIO_ACCOUNT_SID")
    key, secret = settings.get("TWILIO_API_KEY"), settings.get("TWILIO_API_SECRET")
    token = settings.get("TWILIO_AUTH_TOKEN")
    if not account or not ((key and secret) or token):
        raise SetupError("Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
                         "TWILIO_API_SECRET) to the Twilio account that owns the number.")
    username, password = (key, secret) if key and secret else (account, token)
    return Client(username, password, account,
                  http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT))


def configure(client: Client, number: str, base_url: str, dry_run: bool,
              echo=click.echo) -> list[Change]:
    """Find ``number`` and point it at the line; returns what was (or would be) changed."""
    try:
        found = client.incoming_phone_numbers.list(phone_number=number, limit=1)
        if not found:
            raise SetupError(f"The number {number} is not in Twilio account "
                             f"{client.account_sid}: check --number and that "
                             "TWILIO_ACCOUNT_SID is the account that owns it.")
        resource = found[0]
        changes = changes_for(resource, base_url)
        _print_plan(resource, changes, dry_run, echo)
        if changes and not dry_run:
            resource.update(**{c.attribute: c.new for c in changes})
    except requests.exceptions.RequestException as exc:
        raise SetupError(f"Could not reach Twilio ({type(exc).__name__}): check the "
                         "network connection and try again.") from None
    except TwilioException as exc:
        raise SetupError(_refused(exc)) from None
    if changes and not dry_run:
        echo(f"Done: {number} now calls the line at {base_url}.")
    return changes


def _print_plan(resource, changes: list[Change], dry_run: bool, echo) -> None:
    echo(f"{resource.phone_number} ({resource.sid}):")
    changed = {c.name: c for c in changes}
    for name, attribute, _ in FIELDS:
        if name in changed:
            change = changed[name]
            echo(f"  {name}: {change.old or '(none)'} -> {change.new or '(none)'}")
        elif getattr(resource, attribute, None):
            echo(f"  {name}: {getattr(resource, attribute)} (unchanged)")
    if not changes:
        echo("Nothing to change: the number already points at the line.")
    elif dry_run:
        echo("Dry run: nothing was changed.")


def _refused(exc: TwilioException) -> str:
    status, code, message = _error_of(exc)
    if status == 401 or code == BAD_CREDENTIALS:
        return (f"Twilio refused the credentials (HTTP {status}, error {code}): check "
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
                "TWILIO_API_SECRET).")
    return f"Twilio refused the request (HTTP {status}, error {code}): {message}"


def _error_of(exc: TwilioException) -> tuple[object, object, str]:
    """HTTP status, Twilio error code and message, wherever the library put them (a failed
    record fetch raises TwilioRestException; a failed page of a list, the bare response)."""
    if isinstance(exc, TwilioRestException):
        return exc.status, exc.code, exc.msg
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    try:
        payload = json.loads(getattr(response, "text", "") or "{}")
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    return status, payload.get("code"), str(payload.get("message") or exc.args[0])


@click.group("twilio")
def twilio_group() -> None:
    """Set up the Twilio side of the line."""


@twilio_group.command("configure")
@click.option("--number", required=True, help="The Twilio number, E.164 (+15551234567).")
@click.option("--base-url", required=True,
              help="The line's public https address, e.g. https://line.example.org.")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
def configure_command(number: str, base_url: str, dry_run: bool) -> None:
    """Point a number's voice, SMS, fallback and status URLs at the line."""
    number, base_url = check_number(number), check_base_url(base_url)
    try:
        configure(client_from_environment(), number, base_url, dry_run)
    except SetupError as exc:
        click.echo(f"voiceline twilio configure: {exc}", err=True)
        sys.exit(1)


def init_cli(cli: click.Group) -> None:
    # A plain click group, not an AppGroup: the command must run without the app.
    cli.add_command(twilio_group)
