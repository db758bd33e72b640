"""SMS: the ``/sms`` webhook, and ``answer_text``, which decides what a text gets back.

Opt-outs come first: a STOP is committed to the store before anything else happens, and
the reply to it is an empty ``<Response/>`` (the carrier confirms). Every other reply is
plain GSM-7, at most three segments, and ends with the short disclaimer. Against loops
with auto-responders and abuse, the store's loop guard and an hourly reply limit per
number may answer with silence instead. ``/sms/status`` takes Twilio's message status
callbacks. Usage events never hold the number or the text.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from . import gsm
from .catalog import Catalog, Language
from .content import current_catalog
from .errors import StoreError
from .events import note
from .fallback import last_resort
from .guards import OPTED_OUT, REPLY, Admission, Texter
from .security import verify_twilio_signature
from .settings import count
from .store import Store, current_store, key_of, text_digest_of
from .understand import best_matches, normalise

bp = Blueprint("sms", __name__, url_prefix="/sms")
bp.before_request(verify_twilio_signature)
log = logging.getLogger(__name__)

# Twilio's standard keywords (its Advanced Opt-Out may add more through OptOutType).
OPT_OUT_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
OPT_IN_WORDS = {"start", "unstop", "yes"}
HELP_WORDS = {"help", "info"}
MENU_WORDS = {"menu", "list", "topics"}
MAX_SEGMENTS = 3
MENU_SEGMENTS = 2
MAX_BODY = 1600  # Twilio's longest incoming text; anything longer is not a question


@dataclass(frozen=True)
class TextAnswer:
    body: str
    language: str  # the texter's language from now on
    kind: str = ""  # what was answered (menu, topic, help...), for usage events
    topic: str = ""


def empty() -> Response:
    return Response(str(MessagingResponse()), mimetype="text/xml")


def reply(body: str) -> Response:
    return Response(_reply_twiml(body), mimetype="text/xml")


@functools.lru_cache(maxsize=1024)  # the same few dozen replies, over and over
def _reply_twiml(body: str) -> str:
    response = MessagingResponse()
    response.message(body)
    return str(response)


def is_opt_out(body: str, opt_out_type: str = "") -> bool:
    if opt_out_type.upper() == "STOP":
        return True
    words = normalise(body).split()
    return bool(words) and (" ".join(words) in OPT_OUT_WORDS or
                            (words[0] in {"stop", "stopall", "unsubscribe", "optout"}
                             and len(words) <= 4))


def is_opt_in(body: str, opt_out_type: str = "") -> bool:
    return opt_out_type.upper() == "START" or normalise(body) in OPT_IN_WORDS


@bp.post("")
def incoming_text() -> Response:
    body = request.form.get("Body", "")[:2000]
    opt_out_type = request.form.get("OptOutType", "")[:20]
    store: Store = current_store()
    if is_opt_out(body, opt_out_type):
        try:
            store.set_opted_out(_sender_key(), True)
        except StoreError as exc:
            log.error("STOP NOT RECORDED (no reply sent): %s", exc)
            return empty()
        note("sms_opt_out", "sms")
        return empty()
    try:
        key = _sender_key()
        opting_in = is_opt_in(body, opt_out_type)
        if opting_in:
            store.set_opted_out(key, False)
        admission = _admit(store, key, body, opting_in)
    except StoreError as exc:
        # Without the opt-out status, silence is the only safe answer.
        log.error("could not read a texter; no reply sent: %s", exc)
        return empty()
    texter = admission.texter
    known = texter.language if texter else None  # the language the texter chose, if any
    if opting_in:
        note("sms_opt_in", "sms", language=known or "")
    if admission.verdict != REPLY:
        if admission.verdict != OPTED_OUT:
            note("sms_held", "sms", language=known or "", outcome=admission.verdict)
        return empty()
    catalog = current_catalog()
    if catalog is None:
        return reply(last_resort(known).text)
    unreadable = _unreadable()
    if unreadable:
        lang = catalog.language(known)
        note("sms_unreadable", "sms", language=lang.code, outcome=unreadable)
        return reply(compose(lang, lang.text[unreadable]))
    answer = _answers(catalog).answer(texter, body, opting_in)
    if texter is None or texter.language != answer.language:
        try:
            store.set_language(key, answer.language)
        except StoreError as exc:
            log.error("could not record a texter's language: %s", exc)
    note("sms_answered", "sms", language=answer.language, topic=answer.topic,
         outcome=answer.kind)
    return reply(answer.body)


@bp.post("/status")
def message_status() -> Response:
    """Twilio's message status callback (for "text me this"): the outcome, counted."""
    note("sms_status", "sms", language=request.args.get("lang", "")[:10],
         topic=request.args.get("topic", "")[:64],
         outcome=request.form.get("MessageStatus", "")[:20],
         code=request.form.get("ErrorCode", "")[:8])
    return empty()


def _admit(store: Store, key: str, body: str, opting_in: bool) -> Admission:
    """May this text be answered? The loop guard (not for START: its confirmation is always
    due) and the hourly reply limit, in one transaction with the opt-out read."""
    digest = "" if opting_in else text_digest_of(body.strip().casefold())
    limit = count(current_app.config, "VOICELINE_SMS_REPLIES_PER_HOUR")
    return store.admit_text(key, digest, limit, timedelta(hours=1))


def _unreadable() -> str:
    """Why the line cannot answer this text (the [text] key to answer with), or nothing."""
    if len(request.form.get("Body", "")) > MAX_BODY:
        return "too_long"
    media = request.form.get("NumMedia", "0")[:4]
    return "media" if media.isdigit() and int(media) > 0 else ""


@bp.errorhandler(Exception)
def apologise(error: Exception):
    if isinstance(error, HTTPException) and error.code and error.code < 500:
        return error
    log.exception("sms webhook failed")
    return reply(last_resort(None).text)


def _sender_key() -> str:
    return key_of(request.form.get("From", "")[:64])


# ------------------------------------------------------------------------ deciding a reply

def answer_text(catalog: Catalog, texter: Texter | None, body: str,
                resubscribed: bool = False) -> TextAnswer:
    """The reply to one text (pure). ``texter`` is None for a number never seen before."""
    code = catalog.language(texter.language if texter else None).code
    words = normalise(body)
    for other in catalog.flow.languages:
        chosen = catalog.languages[other]
        if words in {normalise(w) for w in chosen.words}:
            return TextAnswer(compose_menu(catalog, chosen, chosen.text["language_set"]), other,
                              "language")
        if texter is None and words in {normalise(g) for g in chosen.greetings}:
            code = other  # "hola" as a first text: answer in Spanish
    lang = catalog.languages[code]
    if resubscribed:
        return TextAnswer(compose_menu(catalog, lang, lang.text["resubscribed"]), code,
                          "resubscribed")
    if words in HELP_WORDS or words in _command_words(catalog, "help"):
        return TextAnswer(compose(lang, lang.text["help"]), code, "help")
    if texter is None:
        return TextAnswer(compose_menu(catalog, lang, lang.text["welcome"]), code, "welcome")
    if words in MENU_WORDS or words in _command_words(catalog, "main_menu") or \
            words in {normalise(g) for c in catalog.flow.languages
                      for g in catalog.languages[c].greetings}:
        return TextAnswer(compose_menu(catalog, lang), code, "menu")
    if words.isdigit():
        number = int(words)
        if 1 <= number <= len(catalog.flow.topics):
            topic_id = catalog.flow.topics[number - 1]
            return TextAnswer(compose_topic(lang, topic_id), code, "topic", topic_id)
        return TextAnswer(compose_menu(catalog, lang, lang.text["unknown"]), code, "unknown")
    found = best_matches(body, _topic_phrases(catalog, lang))
    if len(found) == 1:
        return TextAnswer(compose_topic(lang, found[0]), code, "topic", found[0])
    if found:
        return TextAnswer(compose_choices(catalog, lang, found[:3]), code, "choices")
    return TextAnswer(compose_menu(catalog, lang, lang.text["unknown"]), code, "unknown")


class RememberedAnswers:
    """``answer_text``'s replies, remembered per catalog: many texters ask the same few
    things ("1", "menu", "how much does it cost"). A reloaded catalog starts afresh."""

    LIMIT = 4096

    def __init__(self):
        self.catalog: Catalog | None = None
        self.answers: dict[tuple, TextAnswer] = {}

    def answer(self, texter: Texter | None, body: str, resubscribed: bool) -> TextAnswer:
        key = (texter, normalise(body[:MAX_BODY]), resubscribed)
        found = self.answers.get(key)
        if found is None:
            if len(self.answers) >= self.LIMIT:
                self.answers.clear()
            found = self.answers[key] = answer_text(self.catalog, texter, body, resubscribed)
        return found


def _answers(catalog: Catalog) -> RememberedAnswers:
    memory = current_app.extensions.get("voiceline_sms_answers")
    if memory is None:
        memory = current_app.extensions["voiceline_sms_answers"] = RememberedAnswers()
    if memory.catalog is not catalog:
        memory.catalog, memory.answers = catalog, {}
    return memory


def _command_words(catalog: Catalog, command: str) -> set[str]:
    return {normalise(w) for lang in catalog.languages.values() for w in lang.commands[command]}


def _topic_phrases(catalog: Catalog, lang: Language) -> dict[str, tuple[str, ...]]:
    phrases: dict[str, tuple[str, ...]] = {}
    for other in catalog.languages.values():
        for topic in other.topics.values():
            phrases[topic.id] = phrases.get(topic.id, ()) + (topic.label, *topic.words)
    return phrases


def compose(lang: Language, text: str) -> str:
    """A reply: the text, then the short disclaimer; GSM-7, cut to fit three segments."""
    return _composed(text, lang.text["disclaimer"])


@functools.lru_cache(maxsize=1024)  # the same few dozen replies, over and over
def _composed(text: str, disclaimer: str) -> str:
    ending = "\n" + disclaimer
    text = gsm.to_gsm7(text)
    limit = gsm.MULTI_SEGMENT * MAX_SEGMENTS - gsm.septets(gsm.to_gsm7(ending))
    if gsm.septets(text) > limit:
        text = _shorten(text, limit)
    return gsm.to_gsm7(text + ending)


def _shorten(text: str, limit: int) -> str:
    """Cut at the last sentence that fits (the check command warns operators long before)."""
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return cut[: end + 1].rstrip() if end > 0 else cut[: limit - 3].rstrip() + "..."


def topic_body(lang: Language, topic_id: str) -> str:
    """A topic's text as sent, before the disclaimer (``check`` measures it too)."""
    return f"{lang.topics[topic_id].text}\n{lang.text['more']}"


def compose_topic(lang: Language, topic_id: str) -> str:
    return compose(lang, topic_body(lang, topic_id))


def compose_menu(catalog: Catalog, lang: Language, first_line: str = "") -> str:
    lines = [first_line] if first_line else []
    lines.append(lang.text["menu_header"])
    lines += [f"{n} {_capital(lang.topics[t].label)}"
              for n, t in enumerate(catalog.flow.topics, start=1)]
    lines.append(lang.text["menu_footer"])
    return compose(lang, "\n".join(lines))


def compose_choices(catalog: Catalog, lang: Language, topic_ids: list[str]) -> str:
    numbers = {t: n for n, t in enumerate(catalog.flow.topics, start=1)}
    lines = [lang.text["did_you_mean"]]
    lines += [f"{numbers[t]} {_capital(lang.topics[t].label)}" for t in topic_ids]
    return compose(lang, "\n".join(lines))


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]
