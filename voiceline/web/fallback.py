"""The fallback webhooks, which speak the words of last resort (``engine.last_resort``).

Twilio asks the fallback URLs when a main webhook fails or does not answer in 15 s:
``POST /voice/fallback`` and ``POST /sms/fallback`` (``voiceline twilio configure`` sets
them). They read no prompt files, and the voice fallback no database, so they answer even
when whatever broke the main webhook is still broken; they are signed like every webhook.
The SMS fallback texts its apology only when it can read, within ``CHECK_SECONDS``, that
the number has not opted out (and no STOP of it waits on disk); otherwise it stays silent:
a number that sent STOP must never get a text. The caller's
language is known only mid-call (Twilio's ``ErrorUrl`` is the URL that failed, whose query
carries ``lang``); otherwise the apology is said in every language. A texter's language
lives in the database, so the SMS apology is in both languages (it fits two segments).
A STOP that reaches the SMS fallback gets no reply and is kept on disk with the SMS
webhook's pending STOPs (``storage.pending``), applied once the store takes writes;
Twilio's own opt-out handling blocks texts to that number meanwhile, and "text me this"
records Twilio's "unsubscribed" answer (error 21610) as an opt-out.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from ..engine.last_resort import EVERY_LANGUAGE
from ..engine.texts import is_opt_out
from ..errors import StoreError
from .security import verify_twilio_signature
from .services import key_of, message_key_of, services
from .twiml import SAFEST_TEXT, SAFEST_TWIML, answer_errors, apology_text, spoken_apology, xml

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0  # Twilio waits 15 s for the fallback too; the texter should not
bp = Blueprint("fallback", __name__)
bp.before_request(verify_twilio_signature)


@bp.post("/voice/fallback")
def voice_fallback() -> Response:
    _log_failure("voice")
    return xml(spoken_apology(_language_of_failed_call()))


@bp.post("/sms/fallback")
def sms_fallback() -> Response:
    _log_failure("sms")
    if is_opt_out(request.form.get("Body", "")[:2000], request.form.get("OptOutType", "")[:20]):
        _keep_opt_out()
        return xml(MessagingResponse())
    if not _known_not_opted_out():
        return xml(MessagingResponse())
    return xml(apology_text(EVERY_LANGUAGE))


def _keep_opt_out() -> None:
    """A STOP whose webhook failed (its worker killed, the database hung): kept on disk
    with the main webhook's pending STOPs, applied once the store takes writes."""
    pending = services().pending
    try:
        message = request.form.get("MessageSid", "")[:64]
        pending.add(key_of(request.form.get("From", "")[:64]),
                    message_key_of(message) if message else None)
    except OSError as exc:
        log.error("an opt-out reached the SMS fallback and could NOT be kept (%s); no reply "
                  "sent (Twilio's own opt-out handling still applies)", type(exc).__name__)
        return
    log.error("an opt-out reached the SMS fallback; it waits in %s and is applied once the "
              "database takes writes; no reply sent", pending.path)


def _known_not_opted_out() -> bool:
    """True only if the store says, quickly, that the sender has not opted out."""
    try:
        key = key_of(request.form.get("From", "")[:64])
        if key in services().pending.waiting():
            return False
        texter = services().store.texter(key, seconds=CHECK_SECONDS)
    except StoreError as exc:
        log.error("the SMS fallback could not read the opt-out (%s); no reply sent", exc)
        return False
    return texter is None or not texter.opted_out


def _answer_anyway(error: Exception) -> Response:
    log.exception("the fallback itself failed; answering with the built-in apology")
    return xml(SAFEST_TEXT if request.path.startswith("/sms") else SAFEST_TWIML)


answer_errors(bp, _answer_anyway)


def _language_of_failed_call() -> str:
    """The caller's language if the failed request was mid-call (its URL carries ``lang``)."""
    query = parse_qs(urlsplit(request.form.get("ErrorUrl", "")[:2000]).query)
    return (request.args.get("lang") or (query.get("lang") or [""])[0])[:10]


def _log_failure(channel: str) -> None:
    """What failed, for the operator: Twilio's error code and the failed path, no caller data."""
    code = re.sub(r"\D", "", request.form.get("ErrorCode", ""))[:8] or "none"
    path = re.sub(r"[^a-z/_-]", "", urlsplit(request.form.get("ErrorUrl", "")[:2000]).path)
    log.error("Twilio used the %s fallback: error %s at %s", channel, code, path[:60] or "?")
