"""The app factory: settings, then the parts a request needs (``Services``), then one
blueprint per feature, all wired here.

Tests and the simulator hand in their own parts: ``store`` (e.g. ``MemoryStore``),
``events`` (e.g. ``MemoryEventLog``), ``sms_client`` (anything with
``messages.create``) and ``limits``. Anything not handed in is made from the settings; the
memory of callers' languages is the store's own.
``phone`` makes the operators' browser phone (``voiceline.create_app`` hands in the
simulator's); without it the operator area has no phone.
"""

from __future__ import annotations

import ctypes
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import settings
from ..catalog import Catalog
from ..catalog.holder import CatalogHolder
from ..checks import load_for_serving
from ..engine.understand import prepare
from ..storage import open_store
from ..storage.events import EventLog
from ..storage.languages import LanguageMemory
from ..storage.pending import PendingOptOuts
from ..storage.store import Store
from . import audio, dashboard, fallback, health, observability, operator, sms, voice
from . import phone as phone_page
from .phone import MakePhone
from .services import EXTENSION, Limits, Services, SmsClient, pin_catalog
from .textme import twilio_client

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None, *, store: Store | None = None,
               events: EventLog | None = None, sms_client: SmsClient | None = None,
               limits: Limits | None = None, phone: MakePhone | None = None) -> Flask:
    app = _flask()
    app.config.from_mapping(settings.from_environment())
    # Twilio's bodies are small; a huge one is refused before it is parsed.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    if test_config is not None:
        app.config.update(test_config)
    settings.validate(app.config)

    catalogs = _catalog_holder(app)
    if store is None:
        store = open_store(settings.normalise_database_url(
            database_url(app.config, app.instance_path)))
    if events is None:
        events = store.event_log(settings.count(app.config, "VOICELINE_EVENT_RETENTION_DAYS"))
    config = app.config
    app.extensions[EXTENSION] = Services(
        catalogs=catalogs, store=store, events=events, limits=limits or _limits(app),
        hash_secret=_hash_secret(app),
        make_sms_client=(lambda: sms_client) if sms_client is not None else
        (lambda: twilio_client(config)),
        # Named after the database, so every worker of every instance shares the file.
        pending=PendingOptOuts(config.get("VOICELINE_PENDING_DIR"),
                               _database_name(store)),
        metrics=observability.init_app(app),
        keep_unanswered=settings.is_on(config, "VOICELINE_KEEP_UNANSWERED"), make_phone=phone,
        languages=_language_memory(store, settings.count(
            config, "VOICELINE_LANGUAGE_REFRESH_SECONDS")))
    app.before_request(pin_catalog)
    # Read callers' languages now: this worker knows them before its first call.
    app.extensions[EXTENSION].languages.start()
    pending = app.extensions[EXTENSION].pending
    if pending.waiting():  # STOPs from before a restart: applied once the store takes them
        pending.watch(lambda key, once: store.set_opted_out(key, True, once))

    for blueprint in (voice.bp, sms.bp, audio.bp, health.bp, fallback.bp):
        app.register_blueprint(blueprint)
    if operator.init_app(app):  # only when VOICELINE_OPERATOR_KEY is set
        for blueprint in (operator.bp, dashboard.bp, phone_page.bp):
            app.register_blueprint(blueprint)
    proxies = settings.count(app.config, "VOICELINE_TRUSTED_PROXIES")
    if proxies:
        # Behind a router or nginx: the scheme and host Twilio signed are in X-Forwarded-*.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    if settings.is_dev_mode(app.config) and not app.config.get("TWILIO_AUTH_TOKEN"):
        app.logger.warning("DEVELOPMENT MODE: webhook signatures are NOT checked. Never "
                           "point a real Twilio number at this server.")
    return app


def _load_and_prepare(root: Path) -> Catalog:
    """The prompt files loaded for serving, and their readers built beside the line's
    answers: a worker answers /healthz, keys and menus at once, and requests that come
    while it learns from the examples (seconds) are understood by the words and the
    filed examples, built within about a second (``engine.understand``)."""
    catalog = load_for_serving(root)
    threading.Thread(target=_prepare_and_give_back, args=(catalog,), name="voiceline-readers",
                     daemon=True).start()
    return catalog


def _prepare_and_give_back(catalog: Catalog) -> None:
    prepare(catalog)
    give_back_freed_heap()


def give_back_freed_heap() -> bool:
    """Hand the heap that learning freed back to the system (glibc's ``malloc_trim``).
    Learning in a thread of its own leaves megabytes freed but kept in that thread's
    malloc arena (3-4 MB per worker, measured): without this, each worker stays that
    much larger for its whole life. False where the C library has no such call."""
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the process runs on
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        return False
    trim(0)
    return True


def _catalog_holder(app: Flask) -> CatalogHolder:
    root = settings.prompts_dir(app.config)
    holder = CatalogHolder(root, _load_and_prepare,
                           settings.count(app.config, "VOICELINE_PROMPTS_RELOAD_SECONDS"))
    if not holder.load() or holder.catalog is None:
        app.logger.error("prompt files in %s cannot be served; the line answers with its "
                         "built-in apology until they are fixed:\n%s", root, holder.problem)
    else:
        for warning in holder.catalog.warnings:
            app.logger.info("prompt warning: %s", warning)
    return holder


def _flask() -> Flask:
    # Named as the package, so the instance folder and the logger are "voiceline"'s.
    return Flask("voiceline", instance_relative_config=True)


def instance_path() -> str:
    """Where the default SQLite file lives (the ``voiceline db`` commands use it too)."""
    return _flask().instance_path


def database_url(config: settings.Config, instance: str) -> str:
    url: str | None = config.get("DATABASE_URL")
    if url:
        return url
    os.makedirs(instance, exist_ok=True)  # for the default SQLite file only
    return f"sqlite:///{instance}/voiceline.sqlite3"


def _language_memory(store: Store, refresh_seconds: int) -> LanguageMemory:
    """The store's memory of callers' languages; a store that cannot make one (a stand-in
    for a database that is down) gets one that remembers only this process's calls."""
    try:
        return store.language_memory(refresh_seconds)
    except Exception as exc:  # noqa: BLE001 - calls are answered whatever the store does
        log.warning("callers' languages are remembered in this process only (%s)",
                    type(exc).__name__)
        return LanguageMemory()


def _database_name(store: Store) -> str:
    """What names the store's pending STOPs: the database (shared by every worker and
    instance on it), or this one in-memory store."""
    name = store.describe()
    return name if name != "memory" else f"memory-{id(store)}"


def _hash_secret(app: Flask) -> str:
    """VOICELINE_HASH_SECRET; in development mode without it, a key kept in the instance
    folder (never in the database: a dump alone must not be searchable for a number)."""
    configured = str(app.config.get("VOICELINE_HASH_SECRET") or "").strip()
    if configured:
        return configured
    path = Path(app.instance_path) / "hash-secret"
    os.makedirs(app.instance_path, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    app.logger.warning("DEVELOPMENT MODE: VOICELINE_HASH_SECRET is not set; using the key "
                       "in %s. %s", path, settings.HASH_SECRET_HOW_TO)
    return path.read_text().strip()


def _limits(app: Flask) -> Limits:
    return Limits(replies_per_hour=settings.count(app.config, "VOICELINE_SMS_REPLIES_PER_HOUR"),
                  texts_per_hour=settings.count(app.config, "VOICELINE_TEXTS_PER_HOUR"),
                  gather_timeout=settings.count(app.config, "VOICELINE_GATHER_TIMEOUT"))
