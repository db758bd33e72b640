"""The browser phone: ``/operator/phone``, where an operator calls or texts the line as a
patient would, against the line's current prompt files.

It runs the real line in-process through its real webhooks (the simulator's
``Line``, handed in through ``create_app(phone=...)``): a store in memory, a stand-in for
Twilio's REST API, nothing sent anywhere, and nothing counted in the line's own events.
Every input is a plain form post (keypad keys, words to "say", silence, hang up, a text),
so it works without JavaScript; a small script of the app's own can read what the line
says aloud with the browser's speech synthesis.

A conversation lives in the process that answered it. The session keeps its inputs too
(at most ``MAX_INPUTS``), so another worker, or this one after a restart, replays them
and carries on where the operator was.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from ..engine.call import KEYPAD
from .operator import check_csrf, protect, require_operator
from .services import services

bp = Blueprint("phone", __name__, url_prefix="/operator/phone")
bp.before_request(require_operator)
bp.before_request(check_csrf)
bp.after_request(protect)

MAX_INPUTS = 30  # then the conversation starts again (the session cookie stays small)
MAX_KEPT = 2400  # characters of inputs in the session cookie (browsers keep 4096 bytes)
MAX_WORDS = 120
MAX_TEXT = 160
MAX_CONVERSATIONS = 32  # per process; the least recently used goes first
MAX_SHOWN = 200


class Phone(Protocol):
    """What the browser phone needs of a simulated line (``testing.simulator.Line``)."""

    def dial(self) -> list[str]: ...
    def act(self, action: str, words: str = "") -> list[str]: ...
    def text(self, body: str) -> str | None: ...
    def hang_up(self) -> None: ...
    @property
    def in_call(self) -> bool: ...


MakePhone = Callable[[Path], Phone]


@dataclass
class Turn:
    who: str  # "you", "line", "you-text", "line-text", "note"
    text: str


@dataclass
class Conversation:
    phone: Phone
    inputs: list[list[str]] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    fresh: int = 0  # how many of ``turns`` answered the last input
    # One input at a time (a double click sends two): the simulated line is not shared.
    lock: threading.Lock = field(default_factory=threading.Lock)


_conversations: OrderedDict[str, Conversation] = OrderedDict()
_lock = threading.Lock()


@bp.get("")
def show() -> str:
    conversation = _conversation()
    holder = services().catalogs
    turns = conversation.turns[-MAX_SHOWN:] if conversation else []
    fresh = conversation.fresh if conversation else 0
    return render_template(
        "operator/phone.html", turns=turns[:len(turns) - fresh],
        latest=turns[len(turns) - fresh:] if fresh else [],
        in_call=bool(conversation and conversation.phone.in_call),
        available=services().make_phone is not None, problems=holder.errors(),
        stale=holder.catalog is not None and holder.problem is not None,
        keys=("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"),
        max_words=MAX_WORDS, max_text=MAX_TEXT)


@bp.post("")
def act() -> ResponseReturnValue:
    action = request.form.get("action", "")
    if action == "key":
        value = request.form.get("key", "")
    elif action == "say":
        value = " ".join(request.form.get("words", "").split())[:MAX_WORDS]
    elif action == "text":
        value = " ".join(request.form.get("body", "").split())[:MAX_TEXT]
    else:
        value = ""
    if action == "reset":
        _forget()
    elif action in ACTIONS and services().make_phone is not None:
        conversation = _conversation(create=True)
        assert conversation is not None
        if len(conversation.inputs) >= MAX_INPUTS or _size(conversation.inputs) > MAX_KEPT:
            _forget()
            conversation = _conversation(create=True)
            assert conversation is not None
            conversation.turns.append(Turn("note", "After so many inputs the phone starts "
                                                   "again (call or text once more)."))
        with conversation.lock:
            before = len(conversation.turns)
            _do(conversation, action, value)
            conversation.inputs.append([action, value])
            conversation.fresh = len(conversation.turns) - before
            session["phone_inputs"] = list(conversation.inputs)
    return redirect(url_for("phone.show", _anchor="latest"))


def _do(conversation: Conversation, action: str, value: str) -> None:
    phone, turns = conversation.phone, conversation.turns
    calling = action in ("call", "key", "say", "silence") and (phone.in_call or action == "call")
    try:
        if action == "call":
            if phone.in_call:
                phone.hang_up()
            turns.append(Turn("note", "You call the line."))
            _heard(turns, phone.dial())
        elif action == "text":
            if not value:
                turns.append(Turn("note", "Write a text first."))
                return
            turns.append(Turn("you-text", value))
            reply = phone.text(value)
            turns.append(Turn("line-text", reply) if reply is not None else
                         Turn("note", "The line sent no reply."))
        elif not phone.in_call:
            turns.append(Turn("note", "No call is in progress. Press “Call the line” first."))
        elif action == "hangup":
            phone.hang_up()
            turns.append(Turn("note", "You hung up."))
        elif action == "key":
            if value not in KEYPAD or len(value) != 1:
                turns.append(Turn("note", "Press one key: 0 to 9, * or #."))
                return
            turns.append(Turn("you", f"(presses {value})"))
            _heard(turns, phone.act("press", value))
        elif action == "say":
            if not value:
                turns.append(Turn("note", "Write what you would say first."))
                return
            turns.append(Turn("you", f"“{value}”"))
            _heard(turns, phone.act("say", value))
        elif action == "silence":
            turns.append(Turn("you", "(says nothing)"))
            _heard(turns, phone.act("silent"))
    except Exception as exc:  # noqa: BLE001 - show what went wrong, as a caller would find it
        turns.append(Turn("note", f"The line could not go on: {exc}"))
    if calling and not phone.in_call:
        turns.append(Turn("note", "The line ended the call."))


def _heard(turns: list[Turn], said: list[str]) -> None:
    for text in said:
        sms = text.startswith("[text message to your phone] ")
        turns.append(Turn("line-text" if sms else "line",
                          text.removeprefix("[text message to your phone] ")))


ACTIONS = {"call", "key", "say", "silence", "hangup", "text"}


def _conversation(create: bool = False) -> Conversation | None:
    """This session's conversation: from this process, else replayed from the session."""
    maker = services().make_phone
    if maker is None:
        return None
    ident = session.get("phone_id")
    inputs: list[Any] = session.get("phone_inputs") or []
    with _lock:
        found = _conversations.get(ident) if isinstance(ident, str) else None
        if found is not None and found.inputs == inputs:
            _conversations.move_to_end(ident)  # type: ignore[arg-type]
            return found
    if not inputs and not create:
        return None
    if not isinstance(ident, str):
        ident = session["phone_id"] = secrets.token_urlsafe(12)
    conversation = Conversation(maker(services().catalogs.root))
    for action, value in [i for i in inputs if isinstance(i, list) and len(i) == 2][
            :MAX_INPUTS]:
        before = len(conversation.turns)
        _do(conversation, str(action), str(value))
        conversation.inputs.append([str(action), str(value)])
        conversation.fresh = len(conversation.turns) - before
    with _lock:
        _conversations[ident] = conversation
        while len(_conversations) > MAX_CONVERSATIONS:
            _conversations.popitem(last=False)
    return conversation


def _size(inputs: list[list[str]]) -> int:
    return sum(len(action) + len(value) + 8 for action, value in inputs)


def _forget() -> None:
    ident = session.pop("phone_id", None)
    session.pop("phone_inputs", None)
    with _lock:
        _conversations.pop(ident, None)
