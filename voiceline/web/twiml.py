"""TwiML: the one place the engines' decisions become what Twilio reads.

``render_step`` turns a call step into ``<Say>``/``<Play>``, ``<Gather>``, ``<Redirect>``
and ``<Hangup>``; ``reply`` wraps a text's answer in ``<Message>``; the last-resort words
(``engine.last_resort``) are rendered here too. ``answer_errors`` is the one error handler
the webhooks share: whatever goes wrong, Twilio gets words, never an HTTP 500.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import Blueprint, Response, current_app, url_for
from twilio.twiml import TwiML
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather as GatherVerb
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from ..catalog import Catalog, Language
from ..engine.call import Gather, Speech, Step
from ..engine.last_resort import EVERY_LANGUAGE, LAST_RESORT
from .audio import recording_url
from .services import services

log = logging.getLogger(__name__)

SSML_VOICE_PREFIXES = ("Polly.", "Google.")  # basic voices (man, woman, alice) take no SSML
SPEECH_RATE = "90%"  # a little slower than default: many callers are older or hard of hearing
MAX_HINTS = 400


def xml(body: str | TwiML) -> Response:
    return Response(str(body), mimetype="text/xml")


def answer_errors(bp: Blueprint, answer: Callable[[Exception], Response]) -> None:
    """Any unexpected error in ``bp`` is answered by ``answer``; a refusal (403, 404, 413)
    stays what it is."""
    @bp.errorhandler(Exception)
    def _answer(error: Exception) -> Response | HTTPException:
        if isinstance(error, HTTPException) and error.code and error.code < 500:
            return error
        return answer(error)


# ------------------------------------------------------------------------------ calls

def render_step(step: Step, catalog: Catalog) -> VoiceResponse:
    """Turn the engine's decision into TwiML."""
    response = VoiceResponse()
    for speech in step.say:
        add_speech(response, speech, catalog)
    if step.gather is not None:
        action = url_for("voice.answer_caller", **step.gather.state.to_query())  # type: ignore[arg-type]
        response.append(_gather_verb(step.gather, catalog, action))
        # Silence falls through to here: the same URL, with no Digits, means "no input".
        response.redirect(action, method="POST")
    if step.hangup:
        response.hangup()
    return response


def _gather_verb(gather: Gather, catalog: Catalog, action: str) -> GatherVerb:
    lang = catalog.language(gather.lang)
    verb = GatherVerb(
        input="dtmf speech", action=action, method="POST", num_digits=1,
        finish_on_key="",  # so '#' is a key like the others ("hear this again")
        timeout=services().limits.gather_timeout,
        speech_timeout="auto", language=lang.speech_tag, action_on_empty_result=False,
        hints=", ".join(gather.hints[:MAX_HINTS]) or None,
    )
    for speech in gather.prompt:
        add_speech(verb, speech, catalog)
    return verb


def add_speech(parent: TwiML, speech: Speech, catalog: Catalog) -> None:
    """A recorded file when the operator left a playable one for this prompt, else <Say>."""
    lang = catalog.language(speech.lang)
    recording = recording_url(lang, speech.key)
    if recording is not None:
        parent.play(recording)
        return
    voice = voice_for(lang)
    if voice.startswith(SSML_VOICE_PREFIXES):
        parent.say(voice=voice, language=lang.speech_tag).prosody(speech.text, rate=SPEECH_RATE)
    else:
        parent.say(speech.text, voice=voice, language=lang.speech_tag)


def voice_for(lang: Language) -> str:
    """The voice setting for a language (VOICELINE_VOICE_ES...), else the prompt file's."""
    configured: str | None = current_app.config.get(f"VOICELINE_VOICE_{lang.code.upper()}")
    return configured or lang.voice


# ------------------------------------------------------------------------ texts

def reply(body: str) -> Response:
    return Response(_reply_twiml(body), mimetype="text/xml")


def empty() -> Response:
    """No reply at all (silence), as Twilio understands it."""
    return xml(MessagingResponse())


@functools.lru_cache(maxsize=1024)  # the same few dozen replies, over and over
def _reply_twiml(body: str) -> str:
    response = MessagingResponse()
    response.message(body)
    return str(response)


# -------------------------------------------------------------------- last resort

def apology_twiml(codes: tuple[str, ...], voices: dict[str, str] | None = None) -> str:
    """Apology, disclaimer and physician prompt in each language, and only then the
    invitation to call back (which says goodbye) in each; then hang up."""
    response = VoiceResponse()
    for part in ("before", "farewell"):
        for code in codes:
            words = LAST_RESORT[code]
            voice = (voices or {}).get(code) or words.voice
            texts = ((words.apology, words.disclaimer, words.physician) if part == "before"
                     else (words.call_back,))
            for text in texts:
                response.say(text, voice=voice, language=words.speech_tag)
    response.hangup()
    return str(response)


def apology_text(codes: tuple[str, ...]) -> str:
    """The texted apology (GSM-7; with the short disclaimer) in each of ``codes``."""
    response = MessagingResponse()
    response.message("\n".join(LAST_RESORT[code].text for code in codes))
    return str(response)


# Built at import: what a fallback answers if even building its answer fails.
SAFEST_TWIML = apology_twiml(EVERY_LANGUAGE)
SAFEST_TEXT = apology_text(EVERY_LANGUAGE)


def spoken_apology(lang: str | None) -> str:
    """The built-in apology for a call, in ``lang`` if it is known, else in every language,
    with the voices configured for the line."""
    codes = (lang,) if lang in LAST_RESORT else EVERY_LANGUAGE
    voices = {code: current_app.config.get(f"VOICELINE_VOICE_{code.upper()}") or ""
              for code in codes}
    return apology_twiml(codes, voices)
