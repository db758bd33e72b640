"""Running the line in production: ``voiceline serve`` and ``voiceline settings``.

``serve`` is the Procfile's ``web:`` line, the Docker image's command and the systemd
unit's ``ExecStart``: gunicorn with the settings shipped in the package
(``voiceline.web.gunicorn_conf``), so an install that is not a checkout runs the same way.
It checks the settings and the prompts folder first, so a mistake is one sentence, not
a worker's traceback. ``settings`` lists every setting (``--env-example``: as a ``.env``
file), from the one settings table.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import click

from .. import settings
from ..errors import SettingsError

GUNICORN_CONF = "python:voiceline.web.gunicorn_conf"
APP = "voiceline:create_app()"


def gunicorn_command(extra: tuple[str, ...] = ()) -> list[str]:
    """The gunicorn command line ``serve`` runs (``extra``: gunicorn options of your own)."""
    return [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF, *extra, APP]


def serving_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the line cannot serve with these settings, in one sentence; None if it can."""
    config = settings.from_environment(environ)
    try:
        settings.validate(config)
    except SettingsError as exc:
        return str(exc)
    root = settings.prompts_dir(config)
    if not (root / "flow.toml").is_file():
        what = "is not a prompts folder (it has no flow.toml)" if root.is_dir() else \
            "does not exist"
        return (f"VOICELINE_PROMPTS_DIR={root} {what}. Set VOICELINE_PROMPTS_DIR to your "
                "prompts folder, or unset it to serve the shipped words (`voiceline init "
                "DIR` makes a copy to edit).")
    return None


def serving_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment gunicorn runs in. glibc gives each thread that allocates a memory
    arena of its own (up to eight per CPU), each keeping what it freed: two arenas cost
    the threaded workers no speed and each about 4 MB less (bench/webhooks.py). An
    operator's own MALLOC_ARENA_MAX wins."""
    return {"MALLOC_ARENA_MAX": "2", **environ}


@click.command("serve", context_settings={"ignore_unknown_options": True})
@click.argument("gunicorn_options", nargs=-1, type=click.UNPROCESSED)
def serve(gunicorn_options: tuple[str, ...]) -> None:
    """Serve the line under gunicorn on 0.0.0.0:$PORT with $WEB_CONCURRENCY workers.

    Any further options go to gunicorn, e.g. `voiceline serve --bind 127.0.0.1:8000`.
    """
    problem = serving_problem()
    if problem:
        click.echo(f"voiceline serve: {problem}", err=True)
        sys.exit(2)
    command = gunicorn_command(gunicorn_options)
    # gunicorn becomes this process: the platform's signals reach its master directly.
    os.execve(command[0], command, serving_environment(os.environ))


@click.command("settings")
@click.option("--env-example", is_flag=True,
              help="Print every setting as a .env file (what .env.example holds).")
def settings_command(env_example: bool) -> None:
    """List every setting: its name, what it is and its default."""
    if env_example:
        click.echo(settings.env_example(), nl=False)
        return
    for setting in settings.SETTINGS:
        default = f" (default: {setting.default})" if setting.default is not None else ""
        state = "set" if os.environ.get(setting.name) else "not set"
        click.echo(f"{setting.name}  [{state}]{default}\n    {setting.help}\n")


def init_cli(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(settings_command)
