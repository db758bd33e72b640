"""The README says what the code does: its settings table lists every setting, and it opens
with the two commands that run the line and its tests."""

from __future__ import annotations

import os
import re
from pathlib import Path

from voiceline.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")
OURS = re.compile(r"\b(?:VOICELINE|TWILIO)_[A-Z0-9_]*[A-Z0-9]\b")
SETTING_NAMES = {s.name for s in SETTINGS}


def section(title: str) -> str:
    """The text under ``## title``, up to the next level-2 heading."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert found, f'the README has no "## {title}" section'
    return found.group(1)


def settings_table() -> list[tuple[str, str]]:
    """The settings table's rows, as (first cell, whole row), without header and rule."""
    rows = [line for line in section("Settings").splitlines() if line.startswith("|")]
    assert len(rows) > 2, "the Settings section has no table"
    header, rule, *body = rows
    assert "Setting" in header and set(rule) <= set("|- :")
    return [(row.split("|")[1], row) for row in body]


def code_blocks(text: str) -> list[list[str]]:
    """Fenced blocks and indented (4-space) blocks that follow a paragraph, not a list."""
    blocks: list[list[str]] = []
    lines = text.splitlines()
    fence: list[str] | None = None
    previous = ""  # the last line of prose before the current blank run
    for i, line in enumerate(lines):
        if fence is not None:
            if line.strip().startswith("```"):
                blocks.append(fence)
                fence = None
            else:
                fence.append(line)
            continue
        if line.strip().startswith("```"):
            fence = []
            continue
        starts_block = (line.startswith("    ") and line.strip() and i > 0
                        and not lines[i - 1].strip()
                        and not re.match(r"\s*(?:[-*+]|\d+\.)\s|\s", previous))
        if starts_block:
            block = []
            for following in lines[i:]:
                if following.strip() and not following.startswith("    "):
                    break
                block.append(following[4:])
            blocks.append([b for b in block if b.strip()])
        if line.strip() and not line.startswith("    "):
            previous = line
    return blocks


def test_the_settings_table_lists_every_setting():
    listed = {name for first, _ in settings_table() for name in NAME.findall(first)}
    missing = sorted(SETTING_NAMES - listed)
    assert not missing, f"voiceline/settings.py has settings the README's table lacks: {missing}"


def test_every_name_in_the_settings_table_is_a_real_setting():
    rows = settings_table()
    first_cells = {name for first, _ in rows for name in NAME.findall(first)}
    mentioned = {name for _, row in rows for name in OURS.findall(row)}
    unknown = sorted((first_cells | mentioned) - SETTING_NAMES)
    assert not unknown, f"the README's settings table names settings that do not exist: {unknown}"


def test_every_voiceline_or_twilio_name_in_the_readme_is_a_real_setting():
    unknown = sorted(set(OURS.findall(README)) - SETTING_NAMES)
    assert not unknown, f"the README names settings that do not exist: {unknown}"


def test_the_platform_variables_gunicorn_reads_are_explained():
    conf = (ROOT / "voiceline" / "web" / "gunicorn_conf.py").read_text(encoding="utf-8")
    for name in ("PORT", "WEB_CONCURRENCY"):
        assert name in conf
        assert f"`{name}`" in section("Settings"), f"the Settings section does not mention {name}"


def test_the_readme_opens_with_the_commands_to_serve_and_test():
    first_commands = [block[0].strip() for block in code_blocks(README)[:2]]
    assert first_commands == ["./scripts/serve", "./scripts/test"]
    for command in first_commands:
        script = ROOT / command
        assert script.is_file(), f"{command} does not exist"
        assert os.access(script, os.X_OK), f"{command} is not executable"


def test_the_code_block_reader_skips_list_continuations_and_reads_fences():
    text = "Intro:\n\n    first\n\n- item\n\n    continued item\n\n```\nsecond\n```\n"
    assert [block[0] for block in code_blocks(text)] == ["first", "second"]


def test_the_readme_shows_the_procfile_as_it_is():
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.strip():
            assert line in section("Deploying"), f"the README's Deploying lacks: {line}"


def voiceline_commands_shown() -> set[tuple[str, ...]]:
    """Every `voiceline ...` the README shows, in code spans and code blocks."""
    shown = re.findall(r"`(?:\S*/)?(voiceline [^`]+)`", README)
    for block in code_blocks(README):
        shown += [re.sub(r"^\S*/(?=voiceline )", "", line.strip()) for line in block]
    found = set()
    for text in shown:
        words = text.split()
        if words and words[0] == "voiceline" and len(words) > 1 and \
                not words[1].startswith("-"):  # `voiceline -e FILE ...`: an option first
            found.add(tuple(w for w in words[1:3] if re.fullmatch(r"[a-z][a-z-]*", w)))
    return found


def test_every_voiceline_command_the_readme_shows_exists():
    import click

    from voiceline.cli import cli

    shown = voiceline_commands_shown()
    assert ("db", "downgrade") in shown and ("serve",) in shown and ("init",) in shown
    for words in shown:
        command = cli.get_command(click.Context(cli), words[0]) if words else None
        assert command is not None, f"the README shows `voiceline {' '.join(words)}`"
        if isinstance(command, click.Group) and len(words) > 1:
            assert words[1] in command.commands, f"no `voiceline {' '.join(words)}`"


def test_the_readme_says_how_to_regenerate_what_is_generated():
    assert "./scripts/regenerate" in section("Settings")
    assert "./scripts/regenerate" in (ROOT / ".env.example").read_text()
    assert "Advanced Opt-Out" in section("Pointing a Twilio number at it")
