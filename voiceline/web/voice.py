"""Voice: the ``/voice`` webhooks.

Twilio posts ``/voice`` when a call comes in and ``/voice/answer`` for each key, spoken
request or silence; the call engine decides and ``twiml`` renders. No database is
touched here: the catalog is already in memory, and the call's state is in the URL.
(The one exception is "text me this", which must read the caller's opt-out; see
``textme``.) A returning caller's language comes from this process's memory of them
(``storage.languages``), by the keyed hash of their number; the language a caller picks
goes into it, and to the database in the background. Usage events are queued, never
written in the request. Whatever goes wrong,
the caller hears words and a way forward, never an HTTP 500. ``/voice/status`` takes
Twilio's call status callback.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from ..catalog import Catalog
from ..engine.call import (
    CallerInput,
    CallState,
    Speech,
    Step,
    after_text,
    answer,
    end_call,
    resume,
    start_call,
)
from ..engine.outcomes import CallEnd, EventKind
from ..text.digits import ascii_int
from . import textme
from .security import verify_twilio_signature
from .services import current_catalog, keep_unanswered, key_of, note, services
from .twiml import add_speech, answer_errors, render_step, spoken_apology, xml

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(verify_twilio_signature)
log = logging.getLogger(__name__)


@bp.post("")
def incoming_call() -> Response:
    catalog = current_catalog()
    note(EventKind.CALL_STARTED, "voice")
    if catalog is None:
        return xml(spoken_apology(None))
    known = _remembered_language(catalog)
    # The same for every caller whose language is the same (or unknown).
    step = services().memo.recall(catalog, "opening", known or "",
                                  lambda: start_call(catalog, known))
    _note_happened(step)
    return xml(rendered(step, catalog))


@bp.post("/answer")
def answer_caller() -> Response:
    catalog = current_catalog()
    if catalog is None:
        return xml(spoken_apology(request.args.get("lang")))
    digits = request.form.get("Digits", "")[:20]
    speech = request.form.get("SpeechResult", "")[:500]
    memo = services().memo
    decision = (request.query_string, digits)
    known: tuple[Step, str] | None = (memo.get(catalog, "decisions", decision)
                                      if not speech else None)
    if known is None:
        given = CallerInput(digits, speech, _confidence(request.form.get("Confidence")))
        state = CallState.from_query(request.args)
        step = answer(catalog, state, given)
        remembered = not speech and not step.send_text  # "text me this" acts each time
        if step.send_text:
            step = _text_me(catalog, state, step.send_text)
        known = (step, rendered(step, catalog))
        if remembered:
            memo.put(catalog, "decisions", decision, known)
    _note_happened(known[0])
    if known[0].remember:
        _remember_language(known[0].remember)
    return xml(known[1])


def _caller_key() -> str | None:
    """The keyed hash of the number calling, or None when the caller ID is withheld or is
    no phone number (every hidden caller would share one key, and one language)."""
    caller = request.form.get("From", "")[:64]
    return key_of(caller) if textme.can_receive(caller) else None


def _remembered_language(catalog: Catalog) -> str | None:
    """The language this caller chose last time, if this process knows it: a dictionary
    read, never the database. Nothing here may fail a call."""
    try:
        key = _caller_key()
        known = services().languages.known(key) if key is not None else None
    except Exception:  # noqa: BLE001 - an unknown caller hears the opening of every language
        log.warning("could not look up a caller's language", exc_info=True)
        return None
    return known if known in catalog.languages else None


def _remember_language(code: str) -> None:
    """A language the caller picked, for their next call (written in the background)."""
    try:
        key = _caller_key()
        if key is not None:
            services().languages.chosen(key, code)
    except Exception:  # noqa: BLE001 - remembering must never break a call
        log.warning("could not remember a caller's language", exc_info=True)


def _text_me(catalog: Catalog, state: CallState, topic_id: str) -> Step:
    """Text the topic to the number calling (the caller's From), then say how it went."""
    lang = catalog.language(state.lang)
    outcome = textme.send_topic(lang, topic_id, request.form.get("From", "")[:64],
                                request.form.get("To", "")[:64])
    return after_text(catalog, state, outcome)


def _note_happened(step: Step) -> None:
    at = CallState.from_query(request.args).at  # where the caller was: "per menu" reports
    for happened in step.happened:
        note(happened.kind, "voice", language=happened.lang, topic=happened.topic,
             outcome=happened.outcome, node=at)
        if happened.kind is EventKind.NOT_UNDERSTOOD:
            keep_unanswered("voice", happened.lang, at, request.form.get("SpeechResult", ""))


@bp.post("/status")
def call_status() -> Response:
    """Twilio's call status callback: how the call ended and how long it took, counted."""
    note(EventKind.CALL_STATUS, "voice", outcome=request.form.get("CallStatus", "")[:20],
         seconds=ascii_int(request.form.get("CallDuration", ""), 9))
    return xml(VoiceResponse())


@bp.post("/menu")
def offer_menu() -> Response:
    """The menu at the state in the URL, with no input read: where an apology leads back to."""
    catalog = current_catalog()
    if catalog is None:
        return xml(spoken_apology(request.args.get("lang")))
    return xml(rendered(resume(catalog, CallState.from_query(request.args)), catalog))


def _apologise(error: Exception) -> Response:
    """Any unexpected error: an apology, the disclaimer, and a way back to the menu."""
    log.exception("voice webhook failed on %s", request.path)
    lang_code = request.args.get("lang", "")[:10]
    try:
        catalog = current_catalog()
        if catalog is None:
            raise LookupError("no catalog")
        lang = catalog.language(lang_code)
        sorry = Speech(lang.code, lang.call["error"], "call.error")
        if request.args.get("err"):  # a second failure in a row: end kindly, not loop
            ending = end_call(lang, sorry, how=CallEnd.ERROR)
            _note_happened(ending)
            return xml(render_step(ending, catalog))
        response = VoiceResponse()
        for speech in (sorry, Speech(lang.code, lang.call["disclaimer"], "call.disclaimer")):
            add_speech(response, speech, catalog)
        query = {**CallState(lang.code, catalog.flow.main_menu).to_query(), "err": "1"}
        response.redirect(url_for("voice.offer_menu", **query),  # type: ignore[arg-type]
                          method="POST")
        return xml(response)
    except Exception:  # noqa: BLE001 - the last line of defence must not fail
        log.exception("voice apology failed; using the built-in words")
        return xml(spoken_apology(lang_code))


answer_errors(bp, _apologise)


def rendered(step: Step, catalog: Catalog) -> str:
    """A step's TwiML, remembered: a step always renders the same (for where the app is
    mounted: url_for's paths depend on it)."""
    return services().memo.recall(catalog, "twiml", (step, request.script_root),
                                  lambda: str(render_step(step, catalog)))


def _confidence(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None
