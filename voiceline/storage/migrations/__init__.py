"""Schema migrations (Alembic), shipped inside the package: ``voiceline db upgrade`` runs them.

``upgrade`` brings a database to the newest revision with the migrations in ``versions/``;
on PostgreSQL an advisory lock makes two release steps (or instances) take turns, and on
SQLite the store's ``BEGIN IMMEDIATE`` does. A database made before migrations existed
(tables but no ``alembic_version``) is adopted: the first revision creates only what is
missing. To write a new revision, copy the newest file in ``versions/`` and change
``revision``, ``down_revision`` and the operations, and set ``NEWEST`` to its revision.

Alembic (with Mako and Pygments) costs a worker about 8 MB and a fraction of a second, so
it is loaded only to migrate or to list revisions: a worker checks its database against
``NEWEST`` with one query.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent
LOCK_ID = 7_031_2024  # any fixed number: the advisory lock all upgrades share
NEWEST = "0005"  # the head of versions/ (a test checks it is Alembic's)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(engine: sa.Engine) -> str | None:
    """The database's revision (None before the first), read as Alembic keeps it."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def is_current(engine: sa.Engine) -> bool:
    return current(engine) == NEWEST


def revisions() -> list[str]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return [s.revision for s in reversed(list(scripts.walk_revisions()))]


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    from alembic import command

    with _migrating(engine) as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Back to ``revision`` ("base": no tables at all); what later revisions made is dropped."""
    from alembic import command

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
