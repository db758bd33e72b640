"""Text me this: during a call, send a topic's SMS words to the number the caller calls from.

``send_topic`` sends with the Twilio REST client (``messages.create``, from the line's
Messaging Service or number) and returns an outcome the call turns into one short spoken
sentence; it never raises. It refuses withheld or malformed caller IDs before asking
Twilio, respects opt-outs, and allows a few texts per number per hour (counted in the
store by number key, so every instance shares the count). A short HTTP timeout keeps the
whole webhook well under Twilio's 15 seconds.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Config, current_app, url_for
from twilio.base.exceptions import TwilioException, TwilioRestException

from ..catalog import Language
from ..engine.outcomes import TextMeOutcome
from ..engine.texts import compose_topic
from ..errors import StoreError
from ..settings import E164
from .services import SmsClient, key_of, services

log = logging.getLogger(__name__)
# The twilio library logs each request at INFO; keep it quiet (it must never log a number).
_twilio_log = logging.getLogger("voiceline.textme.twilio")
_twilio_log.setLevel(logging.WARNING)


HTTP_TIMEOUT = 5.0  # seconds; Twilio waits 15 for the whole webhook
# What Twilio puts in From when the caller ID is withheld: words, and their keypad spellings.
WITHHELD = {"anonymous", "restricted", "blocked", "unavailable", "unknown", "private",
            "+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}
CANNOT_RECEIVE = {21211, 21612, 21614}  # invalid number, not reachable by SMS, not a mobile
UNSUBSCRIBED = 21610
TOO_MANY = 20429


def can_receive(number: str) -> bool:
    """Whether a caller ID could be texted at all (not withheld, a real E.164 number)."""
    number = (number or "").strip()
    return number.lower() not in WITHHELD and bool(E164.match(number))


def send_topic(lang: Language, topic_id: str, caller: str, dialled: str) -> TextMeOutcome:
    """Text topic ``topic_id`` in ``lang`` to ``caller``; returns how it went."""
    if not can_receive(caller):
        return TextMeOutcome.NOT_POSSIBLE
    config = current_app.config
    sender = _sender(config, dialled)
    if not (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN") and sender):
        log.error("text me this is not set up: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                  "TWILIO_MESSAGING_SERVICE_SID or VOICELINE_SMS_FROM")
        return TextMeOutcome.FAILED
    try:
        store = services().store
        key = key_of(caller)
        texter = store.texter(key)
        if texter is not None and texter.opted_out:
            return TextMeOutcome.OPTED_OUT
        if not store.take(key, "text_me", services().limits.texts_per_hour,
                          timedelta(hours=1)):
            return TextMeOutcome.LIMIT
    except StoreError as exc:
        log.error("text me this: the store failed, nothing sent: %s", exc)
        return TextMeOutcome.FAILED
    return _send(caller, compose_topic(lang, topic_id), sender,
                 _status_callback(config, lang.code, topic_id), key)


def _sender(config: Config, dialled: str) -> dict[str, str]:
    if config.get("TWILIO_MESSAGING_SERVICE_SID"):
        return {"messaging_service_sid": config["TWILIO_MESSAGING_SERVICE_SID"]}
    number = config.get("VOICELINE_SMS_FROM") or dialled
    return {"from_": number} if E164.match(number or "") else {}


def _status_callback(config: Config, lang: str, topic_id: str) -> dict[str, str]:
    base = config.get("PUBLIC_BASE_URL")
    if not base:
        return {}
    return {"status_callback": base.rstrip("/") + url_for("sms.message_status", lang=lang,
                                                          topic=topic_id)}


def _send(to: str, body: str, sender: dict[str, str], callback: dict[str, str], key: str
          ) -> TextMeOutcome:
    # Loaded with the REST client, on the first text a worker sends: requests costs each
    # worker about 5 MB, and a line may never be asked to text.
    import requests

    try:
        services().sms_client.messages.create(to=to, body=body, **sender, **callback)
    except TwilioRestException as exc:
        return _refused(exc, key)
    except requests.exceptions.ReadTimeout:
        log.warning("text me this: Twilio did not answer within %.0f s; the text may or may "
                    "not be sent", HTTP_TIMEOUT)
        return TextMeOutcome.UNCONFIRMED
    except (requests.exceptions.RequestException, TwilioException) as exc:
        log.warning("text me this: could not reach Twilio (%s)", type(exc).__name__)
        return TextMeOutcome.FAILED
    return TextMeOutcome.SENT


def _refused(exc: TwilioRestException, key: str) -> TextMeOutcome:
    # Only the status and code: Twilio's message quotes the number.
    log.warning("text me this: Twilio refused (HTTP %s, error %s)", exc.status, exc.code)
    if exc.code in CANNOT_RECEIVE:
        return TextMeOutcome.NOT_POSSIBLE
    if exc.code == UNSUBSCRIBED:
        # The carrier holds an opt-out we did not know: remember it, as if they texted STOP.
        try:
            services().store.set_opted_out(key, True)
        except StoreError as error:
            log.error("could not record an opt-out reported by Twilio: %s", error)
        return TextMeOutcome.OPTED_OUT
    if exc.status == 429 or exc.code == TOO_MANY:
        return TextMeOutcome.BUSY
    return TextMeOutcome.FAILED


def twilio_client(config: Config) -> SmsClient:
    """Twilio's REST client for "text me this", with a short timeout and a quiet log."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client: SmsClient = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                               http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT,
                                                            logger=_twilio_log))
    return client
