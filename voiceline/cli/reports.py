"""The operators' figures and accounts: ``voiceline report`` and ``voiceline operator``.

``report`` prints what the dashboard shows (the same ``storage.reports.Report``) as a
table, CSV (the daily table) or JSON. ``operator add NAME`` makes or resets an account for
/operator, asking for the password twice (never on the command line, where the shell's
history would keep it); the database keeps only its scrypt hash.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .. import settings
from ..storage.reports import DAILY_COLUMNS, Report, report
from ..storage.sql import STORE_ERRORS
from ..web.operator import hash_password, password_problem
from ..web.services import services

SINCE = re.compile(r"^(\d{1,4})([dw])$")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")

operator_group = AppGroup("operator", help="Accounts for the operator area (/operator).")


def days_since(text: str, today: date) -> date:
    """``7d`` or ``2w`` back from today (today counts as a day), or a YYYY-MM-DD date."""
    found = SINCE.match(text.strip().lower())
    if found:
        amount = int(found.group(1)) * (7 if found.group(2) == "w" else 1)
        return today - timedelta(days=max(amount, 1) - 1)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter("write a number of days or weeks (7d, 2w) or a date "
                                 "(2026-01-31)") from None


@click.command("report")
@with_appcontext
@click.option("--since", default="7d", show_default=True,
              help="From how far back: 7d, 4w, or a date (YYYY-MM-DD).")
@click.option("--until", default=None, help="The last day (YYYY-MM-DD); default: today.")
@click.option("--format", "form", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True)
def report_command(since: str, until: str | None, form: str) -> None:
    """The dashboard's figures in the terminal: usage per day, topics, languages, how calls
    end, where callers get lost, texts, opt-outs and red flags."""
    today = datetime.now(UTC).date()
    try:
        last = date.fromisoformat(until) if until else today
    except ValueError:
        raise click.BadParameter("write the date as YYYY-MM-DD", param_hint="--until") from None
    first = days_since(since, last)
    keep = settings.is_on(current_app.config, "VOICELINE_KEEP_UNANSWERED")
    try:
        figures = report(services().events, min(first, last), max(first, last), keep)
    except STORE_ERRORS as exc:
        click.echo(f"voiceline report: could not read the usage events at "
                   f"{services().store.describe()} ({type(exc).__name__}). Check "
                   "DATABASE_URL and that the database is running.", err=True)
        sys.exit(1)
    if form == "json":
        click.echo(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
    elif form == "csv":
        click.echo(figures.daily_csv(), nl=False)
    else:
        click.echo(as_table(figures))


def as_table(figures: Report) -> str:
    lines = [f"voiceline usage, {figures.first} to {figures.last} (UTC days)", ""]
    lines += _table(DAILY_COLUMNS, [[str(row[c]) for c in DAILY_COLUMNS]
                                    for row in figures.daily]
                    + [["total", *(str(figures.totals[c]) for c in DAILY_COLUMNS[1:])]])
    median = figures.median_call_seconds
    lines += ["", "median call length: " + ("none (no completed calls)" if median is None
                                             else f"{median:g} s"),
              f"opt-outs: {figures.opt_outs}   opt-ins: {figures.opt_ins}"]
    sections = [
        ("topics", ("topic", "heard", "texted", "by_sms"),
         [[t, *(str(c[k]) for k in ("heard", "texted", "by_sms"))]
          for t, c in figures.topics.items()]),
        ("languages", ("language", "calls", "texts"),
         [[code, str(c["calls"]), str(c["texts"])] for code, c in figures.languages.items()]),
        ("how calls end", ("ending", "calls"),
         [[k, str(v)] for k, v in figures.call_endings.items()]),
        ("where callers get lost", ("menu", "channel", "reprompts", "invalid_keys",
                                    "not_understood"),
         [[x.node, x.channel, str(x.reprompts), str(x.invalid_keys), str(x.not_understood)]
          for x in figures.lost]),
        ("text me this", ("outcome", "times"), [[k, str(v)] for k, v in figures.text_me.items()]),
        ("red flags answered", ("answered with", "times"),
         [[k, str(v)] for k, v in figures.red_flags.items()]),
        ("not understood, in the caller's words", ("words", "times", "channel", "language"),
         [[w.words, str(w.count), w.channel, w.language] for w in figures.unanswered]),
    ]
    for title, header, rows in sections:
        if rows:
            lines += ["", title + ":", *_table(header, rows)]
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows,
                                                                          strict=False)]
    def line(cells: list[str] | tuple[str, ...]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=False)))
    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


@operator_group.command("add")
@click.argument("name")
@click.password_option("--password", prompt="Password (12 characters or more)",
                       help="Asked for when not given; give it only from a script.")
def add_operator(name: str, password: str) -> None:
    """Make an operator account NAME (or set a new password for it)."""
    if not NAME.match(name):
        raise click.BadParameter("a name is letters, digits, '.', '_' or '-', starting with "
                                 "a letter (at most 64)", param_hint="NAME")
    problem = password_problem(password)
    if problem:
        click.echo(f"voiceline operator add: {problem}", err=True)
        sys.exit(1)
    store = services().store
    try:
        existed = store.operator_hash(name) is not None
        store.set_operator(name, hash_password(password))
    except STORE_ERRORS as exc:
        click.echo(f"voiceline operator add: could not save the account at "
                   f"{store.describe()} ({exc}).", err=True)
        sys.exit(1)
    click.echo(f"{'Changed the password of' if existed else 'Made'} the operator account "
               f"{name}; every session of it is signed out.")
    if not current_app.config.get("VOICELINE_OPERATOR_KEY"):
        click.echo("The operator area is off: set VOICELINE_OPERATOR_KEY to turn it on.")


@operator_group.command("remove")
@click.argument("name")
def remove_operator(name: str) -> None:
    """Remove the operator account NAME (its sessions end at once)."""
    if services().store.remove_operator(name):
        click.echo(f"Removed the operator account {name}.")
    else:
        click.echo(f"There is no operator account {name}.", err=True)
        sys.exit(1)


@operator_group.command("list")
def list_operators() -> None:
    """The names of the operator accounts."""
    names = services().store.operator_names()
    click.echo("\n".join(names) if names else "No operator accounts yet: voiceline operator "
               "add NAME")


def init_cli(cli: click.Group) -> None:
    cli.add_command(report_command)
    cli.add_command(operator_group)
