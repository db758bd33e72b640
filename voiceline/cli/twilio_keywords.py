"""``voiceline twilio keywords``: what to paste into a Messaging Service's Advanced Opt-Out.

With Twilio's keyword replies on, Twilio answers HELP and START itself and the line stays
silent (``VOICELINE_TWILIO_KEYWORD_REPLIES``). Twilio's standard replies carry no
disclaimer and say nothing about the line, so the operator pastes the line's own replies,
with the disclaimer, into Advanced Opt-Out: this prints them per language, composed by the
SMS engine exactly as the line would send them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..checks import read_checked
from ..engine.guards import Texter
from ..engine.texts import answer_text
from ..settings import prompts_dir
from ..text import gsm


@click.command("keywords")
@click.option("--prompts", "prompts_folder", type=click.Path(file_okay=False, path_type=Path),
              help="The prompts folder (default: VOICELINE_PROMPTS_DIR, or the shipped words).")
def keywords(prompts_folder: Path | None) -> None:
    """Print the line's HELP and START replies, per language, for Advanced Opt-Out."""
    root = prompts_folder or prompts_dir(os.environ)
    catalog, findings = read_checked(root)
    if catalog is None:
        click.echo(f"voiceline twilio keywords: the prompt files in {root} have errors; run "
                   "`voiceline check` to see them.", err=True)
        sys.exit(1)
    click.echo("Twilio Console > Messaging > Services > your service > Opt-Out Management "
               "(Advanced Opt-Out). Paste each reply into the matching keyword group's "
               "response, per language:\n")
    for code in catalog.flow.languages:
        texter = Texter(False, code)
        replies = (("HELP", answer_text(catalog, texter, "help").body),
                   ("Opt-in (START)", answer_text(catalog, texter, "start", True).body))
        for group, body in replies:
            click.echo(f"--- {code}: {group} response ({gsm.segments(body)} SMS) ---\n{body}\n")
    click.echo("Leave the Opt-out (STOP) response as Twilio words it: the line sends "
               "nothing after a STOP.")


def init_cli(twilio_group: click.Group) -> None:
    twilio_group.add_command(keywords)
