"""The ``voiceline`` command: run the line, check prompt files, and more.

Only the commands that run the line need its serving settings (``serve``, ``run``);
every other command reads just what it uses. A ``.env`` file in the working folder (or
``-e FILE``) is read into the environment first (python-dotenv, through Flask's group).
Domain errors become one friendly sentence and a non-zero exit here, at the edge.
"""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException

from ..errors import SettingsError

# Each command's module, imported when the command is asked for: `voiceline serve` (the
# Procfile's web process, started on every deploy and restart) then loads neither the
# database libraries nor the web app before gunicorn takes over, a second sooner.
COMMAND_MODULES = {"db": "db", "events": "db", "serve": "deploy", "settings": "deploy",
                   "init": "operators", "check": "operators", "review": "operators",
                   "simulate": "operators", "report": "reports", "operator": "reports",
                   "twilio": "twilio_setup"}


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
        return sorted(set(click.Group.list_commands(self, ctx)) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(f"{__name__}.{module}").init_cli(self)
        return super().get_command(ctx, cmd_name)


@click.group(cls=VoicelineGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """voiceline: the stem cell therapy information line (Twilio voice and SMS)."""


def main() -> None:
    cli(prog_name="voiceline")
