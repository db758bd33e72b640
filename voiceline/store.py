"""The store: what the line remembers per texter (opt-out, language), keyed by a hash.

A phone number never reaches the database: ``number_key`` turns it into an HMAC-SHA256
with a secret setting. ``SqlStore`` runs on SQLite or PostgreSQL through SQLAlchemy Core;
``MemoryStore`` is the in-memory fake with the same interface, for tests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .errors import StoreError

metadata = sa.MetaData()

texters = sa.Table(
    "texters", metadata,
    sa.Column("number_key", sa.String(64), primary_key=True),
    sa.Column("opted_out", sa.Boolean, nullable=False, default=False),
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

line_secrets = sa.Table(
    "line_secrets", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)


@dataclass(frozen=True)
class Texter:
    opted_out: bool = False
    language: str | None = None


class Store(Protocol):
    def texter(self, key: str) -> Texter | None: ...
    def set_opted_out(self, key: str, opted_out: bool) -> None: ...
    def set_language(self, key: str, language: str) -> None: ...
    def hash_secret(self) -> str: ...


def number_key(secret: str, number: str) -> str:
    """The keyed hash that stands for a phone number: HMAC-SHA256, hex."""
    plain = re.sub(r"[^0-9+a-zA-Z:]", "", number or "")
    return hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class SqlStore:
    """The store on a relational database (SQLite or PostgreSQL)."""

    def __init__(self, url: str):
        options = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            options = {"connect_args": {"timeout": 15}}
        self.engine = sa.create_engine(url, **options)

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

    def texter(self, key: str) -> Texter | None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(texters.c.opted_out, texters.c.language)
                                   .where(texters.c.number_key == key)).first()
        except SQLAlchemyError as exc:
            raise StoreError(f"could not read a texter: {type(exc).__name__}") from None
        return Texter(bool(row.opted_out), row.language) if row else None

    def set_opted_out(self, key: str, opted_out: bool) -> None:
        self._upsert(key, opted_out=opted_out)

    def set_language(self, key: str, language: str) -> None:
        self._upsert(key, language=language)

    def _upsert(self, key: str, **values) -> None:
        values["updated_at"] = _now()
        try:
            with self.engine.begin() as conn:
                done = conn.execute(texters.update().where(texters.c.number_key == key)
                                    .values(**values)).rowcount
                if not done:
                    try:
                        with conn.begin_nested():
                            conn.execute(texters.insert().values(
                                number_key=key, **{"opted_out": False, **values}))
                    except IntegrityError:  # another worker inserted it first
                        conn.execute(texters.update().where(texters.c.number_key == key)
                                     .values(**values))
        except SQLAlchemyError as exc:
            raise StoreError(f"could not write a texter: {type(exc).__name__}") from None

    def hash_secret(self) -> str:
        """A secret generated once and kept in the database, used when none is configured."""
        try:
            with self.engine.begin() as conn:
                query = sa.select(line_secrets.c.value).where(line_secrets.c.name == "hash")
                value = conn.execute(query).scalar()
                if value is None:
                    try:
                        with conn.begin_nested():
                            conn.execute(line_secrets.insert().values(
                                name="hash", value=secrets.token_hex(32)))
                    except IntegrityError:
                        pass
                    value = conn.execute(query).scalar()
                return value
        except SQLAlchemyError as exc:
            raise StoreError(f"could not read the hash secret: {type(exc).__name__}") from None


class MemoryStore:
    """An in-memory store with SqlStore's interface, for tests. ``broken`` makes it fail."""

    def __init__(self):
        self.rows: dict[str, Texter] = {}
        self.broken = False
        self._secret = secrets.token_hex(32)
        self._lock = threading.Lock()

    def _check(self) -> None:
        if self.broken:
            raise StoreError("the memory store is broken on purpose")

    def texter(self, key: str) -> Texter | None:
        self._check()
        return self.rows.get(key)

    def set_opted_out(self, key: str, opted_out: bool) -> None:
        self._check()
        with self._lock:
            old = self.rows.get(key, Texter())
            self.rows[key] = Texter(opted_out, old.language)

    def set_language(self, key: str, language: str) -> None:
        self._check()
        with self._lock:
            old = self.rows.get(key, Texter())
            self.rows[key] = Texter(old.opted_out, language)

    def hash_secret(self) -> str:
        return self._secret


def init_app(app) -> None:
    """Open the store named by DATABASE_URL (a SQLite file in the instance folder by default)."""
    from .settings import normalise_database_url

    store = app.config.get("VOICELINE_STORE")
    if store is None:
        url = app.config.get("DATABASE_URL")
        if not url:
            app.instance_path and __import__("os").makedirs(app.instance_path, exist_ok=True)
            url = f"sqlite:///{app.instance_path}/voiceline.sqlite3"
        store = SqlStore(normalise_database_url(url))
        try:
            store.create_schema()
        except SQLAlchemyError as exc:
            app.logger.error("database not reachable at start-up (%s); texts will get no "
                             "reply until it is", type(exc).__name__)
    app.extensions["voiceline_store"] = store
