"""``voiceline twilio configure``: point a Twilio phone number at the line, in one command.

It finds the number in the account (REST ``IncomingPhoneNumbers``, by ``PhoneNumber``) and
sets its voice URL, voice fallback URL, call status callback, SMS URL and SMS fallback
URL to the line's endpoints under ``--base-url``, every one by POST, printing each value
it changes (old -> new); ``--dry-run`` prints the same and changes nothing. A number
answered by a TwiML App ignores its own URLs, so the App is detached as well.

A number in a Messaging Service (as US numbers registered for A2P 10DLC are) gets its
texts through the service's incoming-message webhook, which overrides the number's own
SMS URL unless the service defers to it. So the command looks the number up in the
account's Messaging Services (REST ``messaging.v1``) and sets that service's inbound
request URL and fallback URL as well, or, with ``--leave-messaging-service``, says that
the number's own SMS URL is ignored and what to change by hand.

Credentials come from the environment: ``TWILIO_ACCOUNT_SID`` with ``TWILIO_AUTH_TOKEN``,
or with an API key pair (``TWILIO_API_KEY``/``TWILIO_API_SECRET``). The command needs no
prompt files and no database, so it works before the line is deployed. Every failure
(unknown number, refused credentials, no network) is one sentence and a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any
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


# The same for a Messaging Service that takes the number's texts.
SERVICE_FIELDS = (
    ("InboundRequestUrl", "inbound_request_url", "/sms"),
    ("InboundMethod", "inbound_method", "POST"),
    ("FallbackUrl", "fallback_url", "/sms/fallback"),
    ("FallbackMethod", "fallback_method", "POST"),
)


class SetupError(VoicelineError):
    """The number could not be configured; the message says why and what to do."""


@dataclass(frozen=True)
class Change:
    name: str  # Twilio's field name, as an operator sees it in the API docs
    attribute: str
    old: str
    new: str


def endpoint_values(base_url: str, fields=FIELDS) -> dict[str, str]:
    """Every field's wanted value for a line served at ``base_url``."""
    base = base_url.rstrip("/")
    return {attribute: base + value if value.startswith("/") else value
            for _, attribute, value in fields}


def changes_for(resource, base_url: str, fields=FIELDS) -> list[Change]:
    """What differs between a number (or service) as Twilio has it and the line's endpoints."""
    wanted = endpoint_values(base_url, fields)
    found = []
    for name, attribute, _ in fields:
        old = getattr(resource, attribute, None) or ""
        if old != wanted[attribute]:
            found.append(Change(name, attribute, old, wanted[attribute]))
    return found


@dataclass(frozen=True)
class ServiceMembership:
    service: Any  # the Messaging Service (twilio's ServiceInstance)
    numbers: int  # how many senders the service has, this number included


def messaging_service_of(client: Client, number) -> ServiceMembership | None:
    """The Messaging Service whose sender pool holds ``number``, if any (a number belongs
    to at most one)."""
    for service in client.messaging.v1.services.stream():
        members = client.messaging.v1.services(service.sid).phone_numbers.list()
        if any(m.sid == number.sid or m.phone_number == number.phone_number
               for m in members):
            return ServiceMembership(service, len(members))
    return None


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
              echo=click.echo, leave_service: bool = False) -> list[Change]:
    """Find ``number`` and point it (and the Messaging Service that takes its texts) at
    the line; returns what was (or would be) changed."""
    try:
        found = client.incoming_phone_numbers.list(phone_number=number, limit=1)
        if not found:
            raise SetupError(f"The number {number} is not in Twilio account "
                             f"{client.account_sid}: check --number and that "
                             "TWILIO_ACCOUNT_SID is the account that owns it.")
        resource = found[0]
        changes = changes_for(resource, base_url)
        membership = messaging_service_of(client, resource)
        service_changes = _service_changes(membership, base_url, leave_service)
        echo(f"{resource.phone_number} ({resource.sid}):")
        _print_fields(resource, changes, FIELDS, echo)
        if membership is not None:
            _print_service(membership, service_changes, leave_service, echo)
        if not changes and not service_changes:
            echo("Nothing to change: the number already points at the line.")
        elif dry_run:
            echo("Dry run: nothing was changed.")
        else:
            if changes:
                resource.update(**{c.attribute: c.new for c in changes})
            if service_changes and membership is not None:
                membership.service.update(**{c.attribute: c.new for c in service_changes})
            echo(f"Done: {number} now calls the line at {base_url}.")
    except requests.exceptions.RequestException as exc:
        raise SetupError(f"Could not reach Twilio ({type(exc).__name__}): check the "
                         "network connection and try again.") from None
    except TwilioException as exc:
        raise SetupError(_refused(exc)) from None
    return changes + service_changes


def _service_changes(membership: ServiceMembership | None, base_url: str,
                     leave_service: bool) -> list[Change]:
    if membership is None or leave_service or _defers_to_number(membership.service):
        return []
    return changes_for(membership.service, base_url, SERVICE_FIELDS)


def _defers_to_number(service) -> bool:
    """The service's "Defer to sender's webhook": the number's own SMS URL is used."""
    return bool(getattr(service, "use_inbound_webhook_on_number", False))


def _print_fields(resource, changes: list[Change], fields, echo) -> None:
    changed = {c.name: c for c in changes}
    for name, attribute, _ in fields:
        if name in changed:
            change = changed[name]
            echo(f"  {name}: {change.old or '(none)'} -> {change.new or '(none)'}")
        elif getattr(resource, attribute, None):
            echo(f"  {name}: {getattr(resource, attribute)} (unchanged)")


def _print_service(membership: ServiceMembership, changes: list[Change],
                   leave_service: bool, echo) -> None:
    service = membership.service
    title = f"Messaging Service {getattr(service, 'friendly_name', '')!r} ({service.sid})"
    if _defers_to_number(service):
        echo(f"{title} takes this number's texts and passes them to the number's own SMS "
             "URL (above).")
        return
    if leave_service:
        echo(f"WARNING: {title} takes this number's texts with its own webhook "
             f"({getattr(service, 'inbound_request_url', None) or 'none'}), so the number's "
             "SMS URL is ignored: texts will not reach the line. Run again without "
             "--leave-messaging-service, or in the Twilio Console open Messaging > Services "
             "> the service > Integration and choose \"Send a webhook\" with the line's "
             "/sms and /sms/fallback URLs (or \"Defer to sender's webhook\").")
        return
    echo(f"{title}, which takes this number's texts (its webhook overrides the number's "
         "SMS URL):")
    _print_fields(service, changes, SERVICE_FIELDS, echo)
    others = membership.numbers - 1
    if others > 0 and changes:
        echo(f"  Note: the service has {others} other number(s); their texts will reach "
             "the line too.")


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
@click.option("--leave-messaging-service", "leave_service", is_flag=True,
              help="Do not change the Messaging Service the number belongs to (if any); "
                   "only warn when its webhook overrides the number's SMS URL.")
def configure_command(number: str, base_url: str, dry_run: bool, leave_service: bool) -> None:
    """Point a number's voice, SMS, fallback and status URLs at the line (and its
    Messaging Service's incoming-message webhook, if it is in one)."""
    number, base_url = check_number(number), check_base_url(base_url)
    try:
        configure(client_from_environment(), number, base_url, dry_run,
                  leave_service=leave_service)
    except SetupError as exc:
        click.echo(f"voiceline twilio configure: {exc}", err=True)
        sys.exit(1)


def init_cli(cli: click.Group) -> None:
    # A plain click group, not an AppGroup: the command must run without the app.
    from . import twilio_keywords

    twilio_keywords.init_cli(twilio_group)
    cli.add_command(twilio_group)
