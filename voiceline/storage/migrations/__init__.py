"""Schema migrations (Alembic), shipped inside the package: ``voiceline db upgrade`` runs them.

``upgrade`` brings a database to the newest revision with the migrations in ``versions/``;
on PostgreSQL an advisory lock makes two release steps (or instances) take turns, and on
SQLite the store's ``BEGIN IMMEDIATE`` does. A database made before migrations existed
(tables but no ``alembic_version``) is adopted: the first revision creates only what is
missing. To write a new revision, copy the newest file in ``versions/`` and change
``revision``, ``down_revision`` and the operations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).resolve().parent
LOCK_ID = 7_031_2024  # any fixed number: the advisory lock all upgrades share


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(engine: sa.Engine) -> bool:
    return current(engine) == head()


def revisions() -> list[str]:
    """Every revision, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return [s.revision for s in reversed(list(scripts.walk_revisions()))]


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    with _migrating(engine) as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Back to ``revision`` ("base": no tables at all); what later revisions made is dropped."""
    with _migrating(engine) as conn:
        command.downgrade(alembic_config(conn), revision)


@contextmanager
def _migrating(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction holding the migration lock: instances migrate one after another,
    and the later ones find nothing left to do."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The store's short timeouts are for webhooks; a migration may take its time.
            conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
            conn.execute(sa.text("SET LOCAL lock_timeout = 0"))
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        yield conn
