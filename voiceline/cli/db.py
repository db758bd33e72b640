"""Database commands: ``voiceline db upgrade`` and ``voiceline events prune``.

``db upgrade`` creates or migrates the schema (the Procfile's ``release:`` step runs it on
every deploy; SQLite is also upgraded when the line starts). ``events prune`` deletes usage
events older than the retention setting. A failure is one sentence and a non-zero exit.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup

from ..errors import StoreError
from ..settings import count
from ..storage.sql import STORE_ERRORS
from ..web.services import services

db = AppGroup("db", help="The database where opt-outs, limits and usage events live.")
events_group = AppGroup("events", help="Usage events (no caller identity) for reports.")


def _where() -> str:
    """The database, as an operator recognises it, without its password."""
    return services().store.describe()


def _fail(doing: str, exc: Exception) -> NoReturn:
    reason = str(exc) if isinstance(exc, StoreError) else type(exc).__name__
    click.echo(f"voiceline could not {doing} at {_where()}: {reason}. Check DATABASE_URL and "
               "that the database is running.", err=True)
    sys.exit(1)


@db.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    try:
        upgraded = services().store.upgrade()
    except STORE_ERRORS as exc:
        _fail("upgrade the database", exc)
    if not upgraded:
        click.echo("The store is in memory; nothing to upgrade.")
        return
    click.echo(f"The database at {_where()} is up to date.")


@events_group.command("prune")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Delete events older than this many days "
                   "(default: VOICELINE_EVENT_RETENTION_DAYS, 90).")
def prune(days: int | None) -> None:
    """Delete usage events older than the retention period."""
    if days is None:
        days = count(current_app.config, "VOICELINE_EVENT_RETENTION_DAYS")
        if days == 0:
            click.echo("VOICELINE_EVENT_RETENTION_DAYS is 0 (keep forever): nothing deleted.")
            return
    try:
        gone = services().events.prune(days)
    except STORE_ERRORS as exc:
        _fail("prune usage events", exc)
    click.echo(f"Deleted {gone} usage event(s) older than {days} day(s).")


def init_cli(cli: click.Group) -> None:
    cli.add_command(db)
    cli.add_command(events_group)
