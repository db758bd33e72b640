"""Storage: what the line remembers, beside the engines (it imports only their guards).

``schema`` declares every table once; ``store`` keeps per-number rows (by keyed hash) on
SQLite or PostgreSQL (``sql`` sets up the engines), with an in-memory fake; ``events``
keeps usage events; ``background`` writes what may be a moment late; ``migrations`` make
and change the schema. Nothing here imports Flask: the web layer wires a store in.
"""

from __future__ import annotations

import logging

from .sql import STORE_ERRORS
from .store import MemoryStore, SqlStore, Store

log = logging.getLogger(__name__)

__all__ = ["MemoryStore", "SqlStore", "Store", "open_store"]


def open_store(url: str) -> SqlStore:
    """The store at ``url``, its schema ready: a SQLite database is migrated here, so the
    line runs with no extra step; PostgreSQL is migrated by ``voiceline db upgrade`` (the
    Procfile's release step), and only checked. A database that cannot be reached is
    logged, not raised: calls are answered without it."""
    store = SqlStore(url)
    try:
        if store.dialect == "sqlite":
            if not store.is_current():  # Alembic is loaded only when there is work for it
                store.upgrade()
        elif not store.is_current():
            log.error("the database schema is not up to date: run `voiceline db upgrade` "
                      "(the Procfile's release step does)")
    except STORE_ERRORS as exc:
        log.error("database not reachable at start-up (%s); texts will get no reply until "
                  "it is", type(exc).__name__)
    return store
