"""Words of last resort, built into the code, and the fallback webhooks that speak them.

The words depend on nothing (no database, no prompt files), so an apology, the disclaimer,
the physician prompt and an invitation to call back can always be spoken or texted, in
English or Spanish. The line uses them when its prompt files cannot be served.

Twilio asks the fallback URLs when a main webhook fails or does not answer in 15 s:
``POST /voice/fallback`` and ``POST /sms/fallback`` (``voiceline twilio configure`` sets
them). They read no database and no prompt files, so they answer even when whatever broke
the main webhook is still broken; they are signed like every webhook. The caller's
language is known only mid-call (Twilio's ``ErrorUrl`` is the URL that failed, whose query
carries ``lang``); otherwise the apology is said in every language. A texter's language
lives in the database, so the SMS apology is in both languages (it fits two segments).
A STOP that reaches the SMS fallback cannot be recorded here: it gets no reply, and the
failure is logged; Twilio's own opt-out handling still blocks texts to that number, and
"text me this" records Twilio's "unsubscribed" answer (error 21610) as an opt-out.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from .security import verify_twilio_signature

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LastResort:
    speech_tag: str
    voice: str
    apology: str
    disclaimer: str
    physician: str
    call_back: str
    text: str


LAST_RESORT = {
    "en": LastResort(
        speech_tag="en-US", voice="Polly.Joanna",
        apology="Sorry, this information line is having a problem right now.",
        disclaimer="This line gives general information only. It is not medical advice.",
        physician="Please talk with your doctor about your neck pain and any treatment.",
        call_back="Please call back later. Goodbye.",
        text="Sorry, our info line has a problem right now. Please try again later. "
             "General info only, not medical advice. Talk to your doctor.",
    ),
    "es": LastResort(
        speech_tag="es-US", voice="Polly.Lupe",
        apology="Lo sentimos, esta línea de información tiene un problema en este momento.",
        disclaimer="Esta línea da información general. No es un consejo médico.",
        physician="Por favor, hable con su médico sobre su dolor de cuello y cualquier "
                  "tratamiento.",
        call_back="Por favor, llame más tarde. Adiós.",
        text="Lo sentimos, nuestra linea tiene un problema. Intente mas tarde. "
             "Informacion general, no es consejo medico. Hable con su medico.",
    ),
}
EVERY_LANGUAGE = tuple(LAST_RESORT)  # English first: the line's default


def last_resort(lang: str | None) -> LastResort:
    return LAST_RESORT.get(lang or "en", LAST_RESORT["en"])


def apology_twiml(codes: tuple[str, ...], voices: dict[str, str] | None = None) -> str:
    """Apology, disclaimer, physician prompt and an invitation to call back; then hang up."""
    response = VoiceResponse()
    for code in codes:
        words = LAST_RESORT[code]
        voice = (voices or {}).get(code) or words.voice
        for text in (words.apology, words.disclaimer, words.physician, words.call_back):
            response.say(text, voice=voice, language=words.speech_tag)
    response.hangup()
    return str(response)


def apology_text(codes: tuple[str, ...]) -> str:
    """The texted apology (GSM-7; with the short disclaimer) in each of ``codes``."""
    response = MessagingResponse()
    response.message("\n".join(LAST_RESORT[code].text for code in codes))
    return str(response)


# Built at import: what the fallback answers if even building its answer fails.
SAFEST_TWIML = apology_twiml(EVERY_LANGUAGE)
SAFEST_TEXT = apology_text(EVERY_LANGUAGE)

# ------------------------------------------------------------------------- the webhooks

bp = Blueprint("fallback", __name__)
bp.before_request(verify_twilio_signature)


def spoken_apology(lang: str | None) -> str:
    """The built-in apology for a call, in ``lang`` if it is known, else in every language,
    with the voices configured for the line."""
    codes = (lang,) if lang in LAST_RESORT else EVERY_LANGUAGE
    voices = {code: current_app.config.get(f"VOICELINE_VOICE_{code.upper()}") or ""
              for code in codes}
    return apology_twiml(codes, voices)


@bp.post("/voice/fallback")
def voice_fallback() -> Response:
    _log_failure("voice")
    return _xml(spoken_apology(_language_of_failed_call()))


@bp.post("/sms/fallback")
def sms_fallback() -> Response:
    _log_failure("sms")
    from .sms import is_opt_out  # here: sms imports this module

    if is_opt_out(request.form.get("Body", "")[:2000], request.form.get("OptOutType", "")[:20]):
        log.error("an opt-out reached the SMS fallback and could NOT be recorded; no reply "
                  "sent (Twilio's own opt-out handling still applies)")
        return _xml(str(MessagingResponse()))
    return _xml(apology_text(EVERY_LANGUAGE))


@bp.errorhandler(Exception)
def answer_anyway(error: Exception):
    if isinstance(error, HTTPException) and error.code and error.code < 500:
        return error
    log.exception("the fallback itself failed; answering with the built-in apology")
    return _xml(SAFEST_TEXT if request.path.startswith("/sms") else SAFEST_TWIML)


def _language_of_failed_call() -> str:
    """The caller's language if the failed request was mid-call (its URL carries ``lang``)."""
    query = parse_qs(urlsplit(request.form.get("ErrorUrl", "")[:2000]).query)
    return (request.args.get("lang") or (query.get("lang") or [""])[0])[:10]


def _log_failure(channel: str) -> None:
    """What failed, for the operator: Twilio's error code and the failed path, no caller data."""
    code = re.sub(r"\D", "", request.form.get("ErrorCode", ""))[:8] or "none"
    path = re.sub(r"[^a-z/_-]", "", urlsplit(request.form.get("ErrorUrl", "")[:2000]).path)
    log.error("Twilio used the %s fallback: error %s at %s", channel, code, path[:60] or "?")


def _xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")
