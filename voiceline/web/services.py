"""What a request needs, in one typed object: ``Services``, wired by ``create_app``.

The catalog holder, the store, the usage-event log, the memory of callers' languages, the
SMS client ("text me this"), the limits and the per-catalog memo live here, not under
loose string keys. Tests and the simulator hand in their own parts through
``create_app(store=..., events=..., sms_client=..., limits=...)``. The helpers below read
them for the current request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app, g, has_request_context

from ..catalog import Catalog
from ..catalog.holder import CatalogHolder
from ..storage.events import Event, EventLog, UnansweredWords
from ..storage.languages import LanguageMemory
from ..storage.pending import PendingOptOuts
from ..storage.store import Store, message_key, number_key, text_digest
from ..text.scrub import scrub
from .memo import CatalogMemo
from .metrics import Metrics

log = logging.getLogger(__name__)
EXTENSION = "voiceline"


class MessageSender(Protocol):
    def create(self, *, to: str, body: str, **options: Any) -> object: ...


class SmsClient(Protocol):
    """What "text me this" needs of Twilio's REST client: ``messages.create``."""

    @property
    def messages(self) -> MessageSender: ...


@dataclass(frozen=True)
class Limits:
    """The guards' numbers (from the settings, or handed in by the simulator)."""

    replies_per_hour: int = 20
    texts_per_hour: int = 3
    loop_guard: bool = True  # off only in the simulator, where operators repeat texts
    gather_timeout: int = 8


@dataclass
class Services:
    catalogs: CatalogHolder
    store: Store
    events: EventLog
    limits: Limits
    hash_secret: str  # VOICELINE_HASH_SECRET (or, in development mode, the instance's own)
    make_sms_client: Callable[[], SmsClient]
    pending: PendingOptOuts
    metrics: Metrics | None = None
    keep_unanswered: bool = False  # VOICELINE_KEEP_UNANSWERED: keep scrubbed words
    # The browser phone's simulated line for a prompts folder (``create_app(phone=...)``).
    make_phone: Callable[[Path], Any] | None = None
    memo: CatalogMemo = field(default_factory=CatalogMemo)
    # Callers' languages by number key, in this process: calls read it, never the database.
    languages: LanguageMemory = field(default_factory=LanguageMemory)
    _sms_client: SmsClient | None = None

    @property
    def sms_client(self) -> SmsClient:
        """One client per app (it keeps its HTTP connections), made on first use."""
        if self._sms_client is None:
            self._sms_client = self.make_sms_client()
        return self._sms_client

    def secret(self) -> str:
        return self.hash_secret


def services_of(app: Flask) -> Services:
    found: Services = app.extensions[EXTENSION]
    return found


def services() -> Services:
    return services_of(current_app)


def current_catalog() -> Catalog | None:
    """The catalog pinned for this request (a reload mid-request changes nothing for it)."""
    if has_request_context() and "voiceline_catalog" in g:
        pinned: Catalog | None = g.voiceline_catalog
        return pinned
    return services().catalogs.catalog


def pin_catalog() -> None:
    """A ``before_request`` hook: look for edits, then fix this request's catalog."""
    holder = services().catalogs
    holder.refresh()
    g.voiceline_catalog = holder.catalog


def key_of(number: str) -> str:
    """A number's key: the keyed hash that stands for it in the database."""
    return number_key(services().secret(), number[:64])


def text_digest_of(body: str, key: str = "") -> str:
    return text_digest(services().secret(), body, key)


def message_key_of(message_sid: str) -> str:
    """The key under which a handled MessageSid is remembered."""
    return message_key(services().secret(), message_sid[:64])


def note(kind: str, channel: str, **details: Any) -> None:
    """Record a usage event for the current app. Never raises, never waits. The request's
    events are also kept in ``g`` (see ``noted``): its log line repeats them."""
    try:
        event = Event(kind, channel, **details)
        if has_request_context():
            g.setdefault("voiceline_noted", []).append(event)
        services().events.record(event)
    except Exception:  # noqa: BLE001 - counting must never break a webhook
        log.warning("could not note a usage event", exc_info=True)


def noted() -> list[Event]:
    """The usage events noted so far in this request."""
    found: list[Event] = g.get("voiceline_noted", [])
    return found


def keep_unanswered(channel: str, language: str, node: str, words: str) -> None:
    """Keep the words of a request not understood, scrubbed, when the operator turned it
    on (VOICELINE_KEEP_UNANSWERED). No caller identity goes with them. Never raises."""
    try:
        found = services()
        if not found.keep_unanswered:
            return
        kept = scrub(words[:500])
        if kept:
            found.events.record_words(UnansweredWords(channel, language, node, kept))
    except Exception:  # noqa: BLE001 - keeping words must never break a webhook
        log.warning("could not keep the words of a request not understood", exc_info=True)
