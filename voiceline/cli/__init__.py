"""The ``voiceline`` command: run the line, check prompt files, and more.

Only the commands that run the line need its serving settings (``serve``, ``run``);
every other command reads just what it uses. A ``.env`` file in the working folder (or
``-e FILE``) is read into the environment first (python-dotenv, through Flask's group).
Domain errors become one friendly sentence and a non-zero exit here, at the edge.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException

from ..errors import SettingsError
from . import db, deploy, operators, reports, twilio_setup


def _create_app() -> Flask:
    from ..testing.simulator import browser_phone
    from ..web.app import create_app

    try:
        return create_app(phone=browser_phone)
    except SettingsError as exc:
        # NoAppException lets ``voiceline --help`` still list every command, while a
        # command that needs the app stops with this one sentence.
        raise NoAppException(f"voiceline cannot start: {exc}") from None


class VoicelineGroup(FlaskGroup):
    """Flask's group, whose help lists the commands without making the app first (Flask's
    own would, and print a refusal above the help when serving settings are missing)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(click.Group.list_commands(self, ctx))


@click.group(cls=VoicelineGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """voiceline: the stem cell therapy information line (Twilio voice and SMS)."""


db.init_cli(cli)
deploy.init_cli(cli)
twilio_setup.init_cli(cli)
operators.init_cli(cli)
reports.init_cli(cli)


def main() -> None:
    cli(prog_name="voiceline")
