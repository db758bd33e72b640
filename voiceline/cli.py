"""The ``voiceline`` command: run the line, check prompt files, and more.

Domain errors become one friendly sentence and a non-zero exit here, at the edge.
"""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from .errors import SettingsError


def _create_app():
    from . import create_app

    try:
        return create_app()
    except SettingsError as exc:
        click.echo(f"voiceline cannot start: {exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """voiceline: the stem cell therapy information line (Twilio voice and SMS)."""


def main() -> None:
    cli(prog_name="voiceline")
