"""The operators' commands: ``voiceline init``, ``voiceline check``, ``voiceline review``
and ``voiceline simulate``.

All work with no settings at all. ``init`` copies the shipped words into a folder of
the operator's own, to edit. ``check`` only reads the prompt files (it never starts
the line); ``simulate`` runs the real line in-process (see ``simulator``). A folder that
cannot be read is one friendly sentence and a non-zero exit, like every domain error at
this edge.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..catalog import Catalog
from ..checks import read_checked
from ..checks.content import MAX_GRADE, MENU_SECONDS, MIN_EASE, SPOKEN_SECONDS, speaking_report
from ..checks.provenance import Awaiting, Review, awaiting_review, review_of
from ..engine.understand import EXAMPLES_PER_TOPIC
from ..errors import Finding, VoicelineError
from ..settings import DEFAULT_PROMPTS, prompts_dir
from ..testing import SimulationError
from ..text import readability

if TYPE_CHECKING:  # the simulator (and Flask) load only when a simulation runs
    from ..testing.simulator import Line

FOLDER = click.Path(file_okay=False, path_type=Path)


def default_prompts() -> Path:
    return prompts_dir(os.environ)


@click.command("init")
@click.argument("folder", type=FOLDER)
def init(folder: Path) -> None:
    """Copy the line's shipped words into FOLDER (new or empty), to edit as your own."""
    if folder.exists() and any(folder.iterdir()):
        click.echo(f"voiceline init: {folder} is not empty; give a new folder, like: "
                   "voiceline init my-prompts", err=True)
        sys.exit(2)
    shutil.copytree(DEFAULT_PROMPTS, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    where = folder.resolve()
    click.echo(f"Copied the line's words to {where}. Next:\n"
               f"  edit them (start with {where / 'README.md'}),\n"
               f"  voiceline check {folder}\n"
               f"  voiceline simulate call --prompts {folder}\n"
               f"and set VOICELINE_PROMPTS_DIR={where} where the line runs.")


@click.command("check")
@click.argument("prompts_dir", required=False, type=FOLDER)
@click.option("--json", "as_json", is_flag=True, help="The same findings as JSON, for machines.")
def check(prompts_dir: Path | None, as_json: bool) -> None:
    """Check the prompt files (default: VOICELINE_PROMPTS_DIR, or the shipped words).

    Every problem at once, each with file, line and how to fix it. Exits 0 only when there
    are no errors; warnings (reading level, speaking time, long texts) never fail. Topics
    no clinician has checked in their current words are listed apart: they are not faults
    of the files (record a review with `voiceline review`).
    """
    root = (prompts_dir or default_prompts()).resolve()
    if not root.is_dir():
        named_by = "" if prompts_dir else " (VOICELINE_PROMPTS_DIR names it: set it to your " \
            "prompts folder, or unset it to check the shipped words)"
        click.echo(f"voiceline check: there is no folder {root}{named_by}. Give the prompts "
                   "folder, like: voiceline check prompts", err=True)
        sys.exit(2)
    catalog, findings = read_checked(root)
    findings = sorted(findings, key=lambda f: (f.severity != "error", f.file, f.line or 0))
    errors = sum(f.severity == "error" for f in findings)
    report = speaking_report(catalog) if catalog is not None else None
    awaiting = awaiting_review(catalog) if catalog is not None else []
    if as_json:
        click.echo(json.dumps({
            "prompts_dir": str(root), "ok": errors == 0, "errors": errors,
            "warnings": len(findings) - errors,
            "findings": [_as_dict(f) for f in findings], "speaking_seconds": report,
            "awaiting_review": [{"language": a.lang, "topic": a.topic, "review": a.review}
                                for a in awaiting],
        }, indent=2, ensure_ascii=False))
    else:
        _print_findings(root, findings, errors, report)
        if catalog is not None:
            _print_examples(catalog)
            _print_awaiting(awaiting)
    sys.exit(1 if errors else 0)


def _as_dict(finding: Finding) -> dict:
    return {"severity": finding.severity, "file": finding.file, "line": finding.line,
            "where": finding.where, "message": finding.message, "fix": finding.fix}


def _print_findings(root: Path, findings: list[Finding], errors: int,
                    report: dict | None) -> None:
    click.echo(f"Checked {root}")
    for finding in findings:
        place = finding.file + (f":{finding.line}" if finding.line else "")
        where = f"  [{finding.where}]" if finding.where else ""
        click.echo(f"\n{place}{where}\n  {finding.severity.upper()}: {finding.message}\n"
                   f"  How to fix: {finding.fix}")
    if report:
        click.echo(f"\nSpeaking times (at {readability.WORDS_PER_MINUTE:.0f} words a "
                   f"minute; limits: {MENU_SECONDS} s until a menu's last choice, "
                   f"{SPOKEN_SECONDS} s for a topic):")
        for code, times in report.items():
            menus = ", ".join(f"{m} {s} s" for m, s in times["menus"].items())
            longest = max(times["topics"].items(), key=lambda item: item[1])
            click.echo(f"  {code}: menus {menus}; longest topic {longest[0]} {longest[1]} s")
    warnings = len(findings) - errors
    click.echo(f"\n{errors} error(s), {warnings} warning(s). Reading level aims at grade "
               f"{MAX_GRADE:.0f} (English) and {MIN_EASE:.0f}+ Szigriszt-Pazos (Spanish).")
    click.echo("The line will not load these files until the errors are fixed." if errors
               else "The line can serve these files.")


def _print_examples(catalog: Catalog) -> None:
    """How many requests people sent each language's examples.toml holds, and whether
    that is enough for the line to learn from them (``engine.understand``)."""
    parts = []
    for code, lang in catalog.languages.items():
        count = sum(len(requests) for requests in lang.examples.values())
        needed = EXAMPLES_PER_TOPIC * len(lang.topics)
        parts.append(f"{code} {count}" + ("" if count >= needed else
                                          f" (it learns from them from {needed})"))
    click.echo(f"\nExamples of requests (examples.toml): {', '.join(parts)}.")


def _print_awaiting(awaiting: list[Awaiting]) -> None:
    if not awaiting:
        click.echo("Every topic has been reviewed against the guide in its current words.")
        return
    click.echo(f"\nAwaiting clinical review: {len(awaiting)} topic(s), not counted as "
               "warnings. Callers hear them; no clinician has checked these words yet.")
    for review in (Review.NOT_YET, Review.OUT_OF_DATE):
        names = [f"{a.lang}/{a.topic}" for a in awaiting if a.review is review]
        if names:
            click.echo(f"  {review}: {', '.join(names)}")


@click.command("review")
@click.argument("prompts_dir", required=False, type=FOLDER)
@click.option("--by", "reviewer", required=True,
              help="Who checked the topics against the guide (name and role).")
@click.option("--topic", "topic_ids", multiple=True,
              help="A topic id to record (repeat for more; default: every topic).")
@click.option("--lang", "codes", multiple=True,
              help="A language folder (repeat for more; default: every language).")
def review(prompts_dir: Path | None, reviewer: str, topic_ids: tuple[str, ...],
           codes: tuple[str, ...]) -> None:
    """Record that a clinician checked topics against the guide, today, in their words
    as they are now: writes reviewed_by, reviewed and reviewed_words in topics.toml.
    A later change of those words shows as "review out of date" in `voiceline check`."""
    root = (prompts_dir or default_prompts()).resolve()
    catalog, findings = read_checked(root) if root.is_dir() else (None, [])
    if catalog is None:
        click.echo(f"voiceline review: the prompt files in {root} have errors (or are "
                   "missing); run `voiceline check` and fix them first.", err=True)
        sys.exit(1)
    # Written into a TOML string: no quotes, backslashes or control characters.
    name = " ".join(re.sub(r'[\\"\x00-\x1f\x7f]', " ", reviewer).split())
    if not name or name.lower() == Review.NOT_YET:
        click.echo("voiceline review: --by must name the reviewer.", err=True)
        sys.exit(2)
    unknown = [t for t in topic_ids if t not in catalog.flow.topics] + \
        [c for c in codes if c not in catalog.languages]
    if unknown:
        click.echo(f"voiceline review: no such topic or language: {', '.join(unknown)}.",
                   err=True)
        sys.exit(2)
    today = date.today().isoformat()
    for code in codes or catalog.flow.languages:
        path = root / code / "topics.toml"
        text = path.read_text(encoding="utf-8")
        for topic_id in topic_ids or catalog.flow.topics:
            topic = catalog.languages[code].topics[topic_id]
            text = _record_review(text, topic_id, {"reviewed_by": f'"{name}"',
                                                   "reviewed": today,
                                                   "reviewed_words": f'"{topic.words_hash()}"'})
            state = review_of(topic)
            click.echo(f"{code}/{topic_id}: reviewed by {name} on {today}"
                       + (" (was: review out of date)" if state is Review.OUT_OF_DATE else ""))
        path.write_text(text, encoding="utf-8")


def _record_review(text: str, topic_id: str, values: dict[str, str]) -> str:
    """``text`` (a topics.toml) with the review keys of ``[topic_id]`` set to ``values``;
    comments and everything else are kept as they are."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"[{topic_id}]")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")),
               len(lines))
    last = end
    while last > start + 1 and not lines[last - 1].strip():
        last -= 1  # new keys go after the section's last line, before the blank ones
    for key, value in values.items():
        pattern = re.compile(rf"^{key}\s*=")
        found = next((i for i in range(start + 1, end) if pattern.match(lines[i])), None)
        if found is None:
            lines.insert(last, f"{key} = {value}\n")
            last, end = last + 1, end + 1
        else:
            lines[found] = f"{key} = {value}\n"
    return "".join(lines)


@click.group("simulate", invoke_without_command=True)
@click.option("--script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run a scripted conversation; exit 1 at the first phrase that does not "
                   "come back.")
@click.option("--prompts", "prompts_dir", type=FOLDER,
              help="The prompts folder (default: VOICELINE_PROMPTS_DIR, or the shipped words).")
@click.pass_context
def simulate(ctx: click.Context, script: Path | None, prompts_dir: Path | None) -> None:
    """Try the line without a phone or a Twilio account: `simulate call`, `simulate text`,
    or `simulate --script FILE`. Everything runs through the real webhooks, here."""
    ctx.obj = prompts_dir
    if ctx.invoked_subcommand is not None:
        return
    if script is None:
        click.echo(ctx.get_help())
        ctx.exit(2)
    from ..testing.simulator import run_script

    lines = script.read_text(encoding="utf-8").splitlines()
    ctx.exit(_run(prompts_dir, lambda line: run_script(line, lines, click.echo, script.name)))


@simulate.command("call")
@click.option("--lang", help="Choose this language at the start (e.g. es).")
@click.option("--returning", metavar="LANG",
              help="Call as a returning caller who chose this language before (e.g. es): "
                   "greeted in it, the other language offered.")
@click.pass_obj
def simulate_call(prompts_dir: Path | None, lang: str | None, returning: str | None) -> None:
    """Call the line: read what a caller hears, press keys, say words, stay silent."""
    from ..testing.simulator import run_call

    sys.exit(_run(prompts_dir, lambda line: run_call(line, _read_line, click.echo, lang,
                                                     returning)))


@simulate.command("text")
@click.option("--lang", help="Switch to this language first (e.g. es).")
@click.pass_obj
def simulate_text(prompts_dir: Path | None, lang: str | None) -> None:
    """Text the line: type a text, read the reply."""
    from ..testing.simulator import run_texts

    sys.exit(_run(prompts_dir, lambda line: run_texts(line, _read_line, click.echo, lang)))


def _run(prompts_dir: Path | None, runner: Callable[[Line], int]) -> int:
    from ..testing.simulator import Line, simulator_app
    from ..web.services import services_of

    if prompts_dir is not None and not prompts_dir.is_dir():
        click.echo(f"voiceline simulate: there is no folder {prompts_dir}.", err=True)
        return 2
    try:
        line = Line(simulator_app(prompts_dir))
        # What the caller hears is the output here, not the line's log of each request.
        logging.getLogger("voiceline.requests").setLevel(logging.WARNING)
        if services_of(line.app).catalogs.catalog is None:
            click.echo("The prompt files have errors, so the line says only its built-in "
                       "apology. Run `voiceline check` to see them.", err=True)
        return runner(line)
    except (SimulationError, VoicelineError) as exc:
        click.echo(f"voiceline simulate: {exc}", err=True)
        return 1


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None


def init_cli(cli: click.Group) -> None:
    cli.add_command(init)
    cli.add_command(check)
    cli.add_command(review)
    cli.add_command(simulate)
