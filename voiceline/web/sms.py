"""SMS: the ``/sms`` webhook. The SMS engine (``engine.texts``) decides; this reads and
writes the store around it.

Opt-outs come first: a STOP is committed to the store before anything else happens, and
the reply to it is an empty ``<Response/>`` (the carrier confirms). Every other reply is
plain GSM-7, at most three segments, and ends with the short disclaimer. Against loops
with auto-responders and abuse, the store's loop guard and an hourly reply limit per
number may answer with silence instead. ``/sms/status`` takes Twilio's message status
callbacks. Usage events never hold the number or the text.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, Response, current_app, request

from .. import settings
from ..catalog import Catalog
from ..engine.guards import Admission, Texter
from ..engine.keywords import twilio_answered
from ..engine.last_resort import last_resort
from ..engine.outcomes import Answered, EventKind, Verdict
from ..engine.texts import (
    HELP_WORDS,
    MAX_BODY,
    TextAnswer,
    answer_text,
    answer_unreadable,
    is_opt_in,
    is_opt_out,
    unreadable,
)
from ..errors import StoreError
from ..storage.store import Store
from ..text.digits import ascii_int
from ..text.matching import normalise
from .security import verify_twilio_signature
from .services import (
    current_catalog,
    keep_unanswered,
    key_of,
    message_key_of,
    note,
    services,
    text_digest_of,
)
from .twiml import answer_errors, empty, reply

bp = Blueprint("sms", __name__, url_prefix="/sms")
bp.before_request(verify_twilio_signature)
log = logging.getLogger(__name__)


@bp.post("")
def incoming_text() -> Response:
    body = request.form.get("Body", "")[:2000]
    opt_out_type = request.form.get("OptOutType", "")[:20]
    store = services().store
    # STOP, START and HELP are remembered by MessageSid: a replay changes nothing.
    message = request.form.get("MessageSid", "")[:64]
    once = message_key_of(message) if message else None
    if is_opt_out(body, opt_out_type):
        return _opt_out(store, _sender_key(), once)
    try:
        key = _sender_key()
        opting_in = is_opt_in(body, opt_out_type)
        if key in _waiting_opt_outs(store, key):
            return empty()  # its STOP waits for the database: no reply, not even to START
        if opting_in and store.set_opted_out(key, False, once) is None:
            return empty()  # a replayed START: the number stays as it is now
        if once is not None and _is_help(body, opt_out_type) and not store.claim_message(once):
            return empty()  # a replayed HELP
        admission = _admit(store, key, body, opting_in)
    except StoreError as exc:
        # Without the opt-out status, silence is the only safe answer.
        log.error("could not read a texter; no reply sent: %s", exc)
        return empty()
    texter = admission.texter
    known = texter.language if texter else None  # the language the texter chose, if any
    if opting_in:
        note(EventKind.SMS_OPT_IN, "sms", language=known or "")
    if _twilio_replied(body, opt_out_type):
        note(EventKind.SMS_HELD, "sms", language=known or "", outcome=Verdict.TWILIO_REPLIED)
        return empty()  # one reply, not two: Twilio's own already went out
    if admission.verdict is not Verdict.REPLY:
        if admission.verdict is not Verdict.OPTED_OUT:
            note(EventKind.SMS_HELD, "sms", language=known or "", outcome=admission.verdict)
        return empty()
    catalog = current_catalog()
    if catalog is None:
        return reply(last_resort(known).text)
    why = unreadable(len(request.form.get("Body", "")),
                     ascii_int(request.form.get("NumMedia", "0")[:4], 4) or 0)
    answer = (answer_unreadable(catalog, texter, why, body) if why is not None else
              _remembered_answer(catalog, texter, body, opting_in))
    if answer.changes_language_of(texter):
        try:
            store.set_language(key, answer.language)
        except StoreError as exc:
            log.error("could not record a texter's language: %s", exc)
    happened = answer.happened
    note(happened.kind, "sms", language=happened.lang, topic=happened.topic,
         outcome=happened.outcome)
    if happened.kind is EventKind.SMS_ANSWERED and happened.outcome == Answered.UNKNOWN:
        keep_unanswered("sms", happened.lang, "", body)
    return reply(answer.body)


@bp.post("/status")
def message_status() -> Response:
    """Twilio's message status callback (for "text me this"): the outcome, counted."""
    note(EventKind.SMS_STATUS, "sms", language=request.args.get("lang", "")[:10],
         topic=request.args.get("topic", "")[:64],
         outcome=request.form.get("MessageStatus", "")[:20],
         code=request.form.get("ErrorCode", "")[:8])
    return empty()


def _opt_out(store: Store, key: str, once: str | None) -> Response:
    """Record a STOP before anything else: first on disk (``pending``, synced), then in the
    store. A worker killed in between, or a store that refuses it, leaves it waiting on
    disk: no reply goes to the number meanwhile, and it is applied once the store takes
    writes. Only if both fail is it lost, and said so loudly. The texter is never told
    anything either way (the carrier confirms a STOP)."""
    pending = services().pending
    try:
        pending.add(key, once)
        kept = True
    except OSError as error:
        log.error("could not keep a STOP in %s (%s); recording it in the database only",
                  pending.path, type(error).__name__)
        kept = False
    try:
        store.set_opted_out(key, True, once)
    except StoreError as exc:
        if not kept:
            log.critical("STOP LOST: the database refused it (%s) and it could not be kept "
                         "in %s; no reply sent", exc, pending.path)
            return empty()
        log.error("STOP NOT RECORDED in the database yet: it refused it (%s); it waits in "
                  "%s and is applied once the database takes writes; no reply sent", exc,
                  pending.path)
        _waiting_opt_outs(store)
        return empty()
    if kept:
        pending.apply(lambda k, m: store.set_opted_out(k, True, m))  # recorded: empty it
    note(EventKind.SMS_OPT_OUT, "sms")
    return empty()


def _waiting_opt_outs(store: Store, key: str | None = None) -> frozenset[str]:
    """The keys of STOPs waiting on disk for the store; while any wait, this worker keeps
    trying to apply them, and at once when ``key`` (the sender) is among them: its STOP
    goes in before whatever it texts now."""
    pending = services().pending
    waiting = pending.waiting()
    if waiting:
        def record(waiting_key: str, once: str | None) -> object:
            return store.set_opted_out(waiting_key, True, once)
        if key in waiting:
            pending.apply(record, wait=True)
            waiting = pending.waiting()
        pending.watch(record)
    return waiting


def _is_help(body: str, opt_out_type: str) -> bool:
    return opt_out_type.upper() == "HELP" or normalise(body[:20]) in HELP_WORDS


def _admit(store: Store, key: str, body: str, opting_in: bool) -> Admission:
    """May this text be answered? The loop guard (not for START: its confirmation is always
    due) and the hourly reply limit, counted in one statement after the opt-out read."""
    limits = services().limits
    digest = (text_digest_of(body.strip().casefold(), key)
              if limits.loop_guard and not opting_in else None)
    return store.admit_text(key, digest, limits.replies_per_hour, timedelta(hours=1))


def _remembered_answer(catalog: Catalog, texter: Texter | None, body: str,
                       resubscribed: bool) -> TextAnswer:
    """``answer_text``'s reply, remembered: many texters ask the same few things."""
    key = (texter, normalise(body[:MAX_BODY]), resubscribed)
    return services().memo.recall(catalog, "texts", key,
                                  lambda: answer_text(catalog, texter, body, resubscribed))


def _apologise(error: Exception) -> Response:
    log.exception("sms webhook failed")
    return reply(last_resort(None).text)


answer_errors(bp, _apologise)


def _twilio_replied(body: str, opt_out_type: str) -> bool:
    """HELP or START that Twilio answers itself (VOICELINE_TWILIO_KEYWORD_REPLIES)."""
    setting = settings.twilio_keyword_replies(current_app.config)
    return twilio_answered(body, opt_out_type, request.form.get("To", "")[:20], setting)


def _sender_key() -> str:
    return key_of(request.form.get("From", "")[:64])
