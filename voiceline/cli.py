"""The ``voiceline`` command: run the line, check prompt files, and more.

Domain errors become one friendly sentence and a non-zero exit here, at the edge.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup, NoAppException

from . import db_cli, operator_cli, twilio_setup
from .errors import SettingsError


def _create_app():
    from . import create_app

    try:
        return create_app()
    except SettingsError as exc:
        # NoAppException lets ``voiceline --help`` still list every command, while a
        # command that needs the app stops with this one sentence.
        raise NoAppException(f"voiceline cannot start: {exc}") from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """voiceline: the stem cell therapy information line (Twilio voice and SMS)."""


db_cli.init_cli(cli)
twilio_setup.init_cli(cli)
operator_cli.init_cli(cli)


def main() -> None:
    cli(prog_name="voiceline")
