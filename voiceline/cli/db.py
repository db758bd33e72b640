"""Database commands: ``voiceline db upgrade|downgrade|status`` and ``voiceline events prune``.

``db upgrade`` creates or migrates the schema (the Procfile's ``release:`` step runs it on
every deploy; SQLite is also upgraded when the line starts); several instances may run it
at once. ``db downgrade REVISION`` goes back, for rolling back a release. ``events
prune`` deletes usage events older than the retention setting. They need only
``DATABASE_URL`` (and the retention setting): not the line's serving settings, prompt
files or a Twilio account. A failure is one sentence and a non-zero exit.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from .. import settings
from ..errors import SettingsError, StoreError
from ..storage import migrations
from ..storage.sql import STORE_ERRORS
from ..storage.store import SqlStore
from ..web.app import database_url, instance_path

db = click.Group("db", help="The database where opt-outs, limits and usage events live.")
events_group = click.Group("events", help="Usage events (no caller identity) for reports.")


def _config() -> dict[str, str | None]:
    config = settings.from_environment()
    try:
        settings.validate(config, serving=False)
    except SettingsError as exc:
        click.echo(f"voiceline: {exc}", err=True)
        sys.exit(2)
    return config


def _store(config: dict[str, str | None]) -> SqlStore:
    """The store at DATABASE_URL (default: the line's own SQLite file), not yet touched."""
    return SqlStore(settings.normalise_database_url(database_url(config, instance_path())))


def _fail(store: SqlStore, doing: str, exc: Exception) -> NoReturn:
    reason = str(exc) if isinstance(exc, StoreError) else type(exc).__name__
    click.echo(f"voiceline could not {doing} at {store.describe()}: {reason}. Check "
               "DATABASE_URL and that the database is running.", err=True)
    sys.exit(1)


@db.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest version (safe to run again, and from
    several instances at once)."""
    store = _store(_config())
    try:
        store.upgrade()
    except STORE_ERRORS as exc:
        _fail(store, "upgrade the database", exc)
    finally:
        store.engine.dispose()
    click.echo(f"The database at {store.describe()} is up to date.")


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def downgrade(revision: str, yes: bool) -> None:
    """Take the schema back to REVISION (see `voiceline db status`; "base" removes every
    table). What later revisions added is deleted with its data."""
    known = migrations.revisions()
    if revision != "base" and revision not in known:
        raise click.BadParameter(f"choose one of {', '.join(['base', *known])}",
                                 param_hint="REVISION")
    store = _store(_config())
    if not yes:
        click.confirm(f"Downgrade the database at {store.describe()} to {revision}? Tables "
                      "and columns of later revisions are deleted with their data",
                      abort=True)
    try:
        migrations.downgrade(store.engine, revision)
    except STORE_ERRORS as exc:
        _fail(store, "downgrade the database", exc)
    finally:
        store.engine.dispose()
    click.echo(f"The database at {store.describe()} is at revision {revision}.")


@db.command("status")
def status() -> None:
    """The schema's revision, and the newest this version of voiceline has."""
    store = _store(_config())
    try:
        now = migrations.current(store.engine)
    except STORE_ERRORS as exc:
        _fail(store, "read the schema's revision", exc)
    finally:
        store.engine.dispose()
    newest = migrations.head()
    advice = "up to date" if now == newest else "run `voiceline db upgrade`"
    click.echo(f"{store.describe()}: revision {now or 'none (no tables)'}; newest "
               f"{newest} ({advice}). Revisions: {', '.join(migrations.revisions())}.")


@events_group.command("prune")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Delete events older than this many days "
                   "(default: VOICELINE_EVENT_RETENTION_DAYS, 90).")
def prune(days: int | None) -> None:
    """Delete usage events older than the retention period."""
    config = _config()
    if days is None:
        days = settings.count(config, "VOICELINE_EVENT_RETENTION_DAYS")
        if days == 0:
            click.echo("VOICELINE_EVENT_RETENTION_DAYS is 0 (keep forever): nothing deleted.")
            return
    store = _store(config)
    try:
        gone = store.event_log(days).prune(days)
    except STORE_ERRORS as exc:
        _fail(store, "prune usage events", exc)
    finally:
        store.close()
    click.echo(f"Deleted {gone} usage event(s) older than {days} day(s).")


def init_cli(cli: click.Group) -> None:
    cli.add_command(db)
    cli.add_command(events_group)
