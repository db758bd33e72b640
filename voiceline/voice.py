"""Voice: the ``/voice`` webhooks, and ``render_step``, the one place TwiML is written.

Twilio posts ``/voice`` when a call comes in and ``/voice/answer`` for each key, spoken
request or silence; the flow engine decides and this module renders. No database is
touched here: the catalog is already in memory, and the call's state is in the URL.
(The one exception is "text me this", which must read the caller's opt-out; see
``textme``.) Usage events are queued, never written in the request. Whatever goes wrong,
the caller hears words and a way forward, never an HTTP 500. ``/voice/status`` takes
Twilio's call status callback.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import Gather as GatherVerb
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from . import textme
from .audio import recording_url
from .catalog import Catalog, Language
from .content import current_catalog
from .events import note
from .fallback import spoken_apology
from .flow import (
    CallerInput,
    CallState,
    Gather,
    Speech,
    Step,
    after_text,
    answer,
    end_call,
    resume,
    start_call,
)
from .security import verify_twilio_signature

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(verify_twilio_signature)
log = logging.getLogger(__name__)

SSML_VOICE_PREFIXES = ("Polly.", "Google.")  # basic voices (man, woman, alice) take no SSML
SPEECH_RATE = "90%"  # a little slower than default: many callers are older or hard of hearing
MAX_HINTS = 400


def twiml(response: VoiceResponse | str) -> Response:
    return Response(str(response), mimetype="text/xml")


@bp.post("")
def incoming_call() -> Response:
    catalog = current_catalog()
    note("call_started", "voice")
    if catalog is None:
        return twiml(spoken_apology(None))
    memory = _rehearsed(catalog)
    if memory.opening is None:  # the same for every caller
        step = start_call(catalog)
        memory.opening = (step, memory.text(step, catalog))
    return twiml(memory.opening[1])


@bp.post("/answer")
def answer_caller() -> Response:
    catalog = current_catalog()
    if catalog is None:
        return twiml(spoken_apology(request.args.get("lang")))
    digits = request.form.get("Digits", "")[:20]
    speech = request.form.get("SpeechResult", "")[:500]
    memory = _rehearsed(catalog)
    known = memory.decisions.get((request.query_string, digits)) if not speech else None
    if known is None:
        given = CallerInput(digits, speech, _confidence(request.form.get("Confidence")))
        step = answer(catalog, CallState.from_query(request.args), given)
        remembered = not speech and not step.send_text  # "text me this" acts each time
        if step.send_text:
            step = _text_me(catalog, CallState.from_query(request.args), step.send_text)
        known = (step, memory.text(step, catalog))
        if remembered:
            memory.remember(request.query_string, digits, *known)
    _note_happened(known[0])
    return twiml(known[1])


def _text_me(catalog: Catalog, state: CallState, topic_id: str) -> Step:
    """Text the topic to the number calling (the caller's From), then say how it went."""
    lang = catalog.language(state.lang)
    outcome = textme.send_topic(lang, topic_id, request.form.get("From", "")[:64],
                                request.form.get("To", "")[:64])
    return after_text(catalog, state, outcome)


def _note_happened(step: Step) -> None:
    for happened in step.happened:
        note(happened.kind, "voice", language=happened.lang, topic=happened.topic,
             outcome=happened.outcome)


@bp.post("/status")
def call_status() -> Response:
    """Twilio's call status callback: how the call ended and how long it took, counted."""
    duration = request.form.get("CallDuration", "")[:9]
    note("call_status", "voice", outcome=request.form.get("CallStatus", "")[:20],
         seconds=int(duration) if duration.isdigit() else None)
    return twiml(VoiceResponse())


@bp.post("/menu")
def offer_menu() -> Response:
    """The menu at the state in the URL, with no input read: where an apology leads back to."""
    catalog = current_catalog()
    if catalog is None:
        return twiml(spoken_apology(request.args.get("lang")))
    return twiml(rendered(resume(catalog, CallState.from_query(request.args)), catalog))


@bp.errorhandler(Exception)
def apologise(error: Exception):
    """Any unexpected error: an apology, the disclaimer, and a way back to the menu."""
    if isinstance(error, HTTPException) and error.code and error.code < 500:
        return error
    log.exception("voice webhook failed on %s", request.path)
    lang_code = request.args.get("lang", "")[:10]
    try:
        catalog = current_catalog()
        if catalog is None:
            raise LookupError("no catalog")
        lang = catalog.language(lang_code)
        sorry = Speech(lang.code, lang.call["error"], "call.error")
        if request.args.get("err"):  # a second failure in a row: end kindly, not loop
            ending = end_call(lang, sorry, how="error")
            _note_happened(ending)
            return twiml(render_step(ending, catalog))
        response = VoiceResponse()
        for speech in (sorry, Speech(lang.code, lang.call["disclaimer"], "call.disclaimer")):
            add_speech(response, speech, catalog)
        query = {**CallState(lang.code, catalog.flow.main_menu).to_query(), "err": "1"}
        response.redirect(url_for("voice.offer_menu", **query), method="POST")
        return twiml(response)
    except Exception:  # noqa: BLE001 - the last line of defence must not fail
        log.exception("voice apology failed; using the built-in words")
        return twiml(spoken_apology(lang_code))


class Rehearsed:
    """What the line says, remembered per catalog: a key pressed (or silence) at a state
    always gets the same answer, and a step always the same TwiML. Deciding and building
    TwiML cost more than all the rest of a webhook; remembering keeps calls as fast as a
    webhook can be. Kept per app (its voice settings); a reloaded catalog starts afresh.
    Speech is never remembered: it varies without end."""

    LIMIT = 4096  # entries per table; a full table starts again (states are few in use)

    def __init__(self):
        self.catalog: Catalog | None = None
        self.texts: dict[tuple[Step, str], str] = {}
        self.decisions: dict[tuple[bytes, str], tuple[Step, str]] = {}
        self.opening: tuple[Step, str] | None = None

    def fresh_for(self, catalog: Catalog) -> Rehearsed:
        if catalog is not self.catalog:
            self.catalog, self.texts, self.decisions, self.opening = catalog, {}, {}, None
        return self

    def remember(self, query: bytes, digits: str, step: Step, text: str) -> None:
        _bounded(self.decisions)[(query, digits)] = (step, text)

    def text(self, step: Step, catalog: Catalog) -> str:
        key = (step, request.script_root)  # url_for's paths depend on where the app is mounted
        text = self.texts.get(key)
        if text is None:
            text = _bounded(self.texts)[key] = str(render_step(step, catalog))
        return text


def _bounded(table: dict) -> dict:
    if len(table) >= Rehearsed.LIMIT:
        table.clear()
    return table


def _rehearsed(catalog: Catalog) -> Rehearsed:
    memory = current_app.extensions.get("voiceline_rehearsed")
    if memory is None:
        memory = current_app.extensions["voiceline_rehearsed"] = Rehearsed()
    return memory.fresh_for(catalog)


def rendered(step: Step, catalog: Catalog) -> str:
    return _rehearsed(catalog).text(step, catalog)


def render_step(step: Step, catalog: Catalog) -> VoiceResponse:
    """Turn the engine's decision into TwiML."""
    response = VoiceResponse()
    for speech in step.say:
        add_speech(response, speech, catalog)
    if step.gather is not None:
        action = url_for("voice.answer_caller", **step.gather.state.to_query())
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
        timeout=int(current_app.config.get("VOICELINE_GATHER_TIMEOUT") or 8),
        speech_timeout="auto", language=lang.speech_tag, action_on_empty_result=False,
        hints=", ".join(gather.hints[:MAX_HINTS]) or None,
    )
    for speech in gather.prompt:
        add_speech(verb, speech, catalog)
    return verb


def add_speech(parent, speech: Speech, catalog: Catalog) -> None:
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
    return current_app.config.get(f"VOICELINE_VOICE_{lang.code.upper()}") or lang.voice


def _confidence(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None
