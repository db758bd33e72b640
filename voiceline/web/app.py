"""The app factory: settings, then the parts a request needs (``Services``), then one
blueprint per feature, all wired here.

Tests and the simulator hand in their own parts: ``store`` (e.g. ``MemoryStore``),
``events`` (e.g. ``MemoryEventLog``), ``sms_client`` (anything with
``messages.create``) and ``limits``. Anything not handed in is made from the settings.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import settings
from ..catalog.holder import CatalogHolder
from ..checks import load_checked
from ..storage import open_store
from ..storage.events import EventLog
from ..storage.pending import PendingOptOuts
from ..storage.store import Store
from . import audio, fallback, health, observability, sms, voice
from .services import EXTENSION, Limits, Services, SmsClient, pin_catalog
from .textme import twilio_client


def create_app(test_config: dict[str, Any] | None = None, *, store: Store | None = None,
               events: EventLog | None = None, sms_client: SmsClient | None = None,
               limits: Limits | None = None) -> Flask:
    # Named as the package, so the instance folder and the logger are "voiceline"'s.
    app = Flask("voiceline", instance_relative_config=True)
    app.config.from_mapping(settings.from_environment())
    # Twilio's bodies are small; a huge one is refused before it is parsed.
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    if test_config is not None:
        app.config.update(test_config)
    settings.validate(app.config)

    catalogs = _catalog_holder(app)
    if store is None:
        store = open_store(settings.normalise_database_url(_database_url(app)))
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
        metrics=observability.init_app(app))
    app.before_request(pin_catalog)
    pending = app.extensions[EXTENSION].pending
    if pending.waiting():  # STOPs from before a restart: applied once the store takes them
        pending.watch(lambda key, once: store.set_opted_out(key, True, once))

    for blueprint in (voice.bp, sms.bp, audio.bp, health.bp, fallback.bp):
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


def _catalog_holder(app: Flask) -> CatalogHolder:
    root = Path(app.config.get("VOICELINE_PROMPTS_DIR") or settings.REPO_PROMPTS)
    holder = CatalogHolder(root, load_checked,
                           settings.count(app.config, "VOICELINE_PROMPTS_RELOAD_SECONDS"))
    if not holder.load() or holder.catalog is None:
        app.logger.error("prompt files in %s cannot be served; the line answers with its "
                         "built-in apology until they are fixed:\n%s", root, holder.problem)
    else:
        for warning in holder.catalog.warnings:
            app.logger.info("prompt warning: %s", warning)
    return holder


def _database_url(app: Flask) -> str:
    url: str | None = app.config.get("DATABASE_URL")
    if url:
        return url
    os.makedirs(app.instance_path, exist_ok=True)  # for the default SQLite file only
    return f"sqlite:///{app.instance_path}/voiceline.sqlite3"


def _database_name(store: Store) -> str:
    url = getattr(store, "url", None)
    return url if isinstance(url, str) else f"store-{id(store)}"


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
