"""Live reload: a running line picks up saved edits without a restart; a broken edit is not
served (calls and texts keep the last good words), it is logged and shown at /healthz with
file and line, and a later repair is picked up."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from voiceline.catalog import holder as holder_module
from voiceline.catalog.holder import CatalogHolder
from voiceline.checks import load_checked
from voiceline.testing import CALLER_NUMBER
from voiceline.testing.simulator import Line, simulator_app

from .conftest import FIXTURE_PROMPTS


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def welcome_line(path: Path) -> str:
    return re.search(r'(?m)^welcome = ".*"$', path.read_text(encoding="utf-8")).group(0)


def set_welcome(path: Path, words: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(welcome_line(path), f'welcome = "{words}"', 1),
                    encoding="utf-8")


def break_file(path: Path) -> int:
    """Drop the closing quote of the goodbye line; return that line's number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if line.startswith("goodbye = "))
    lines[number] = lines[number].replace('."\n', ".\n")
    path.write_text("".join(lines), encoding="utf-8")
    return number + 1


def test_good_edit_seen_broken_edit_ignored_while_the_line_answers_then_repair_seen(
        prompts, caplog):
    en_line = prompts / "en" / "line.toml"
    line = Line(simulator_app(prompts))
    catalog = load_checked(prompts)
    first_topic = catalog.flow.topics[0]
    client = line.app.test_client()
    # Heard once before the edit: the line remembers its answers, and must forget them.
    assert catalog.language("en").call["welcome"] in line.dial()

    set_welcome(en_line, "Welcome to the neck pain line, edited.")
    assert "Welcome to the neck pain line, edited." in line.dial()

    line.text("hi")  # a first text gets the topic list; the next ones get answers
    set_welcome(en_line, "This welcome must never be heard.")
    broken_at = break_file(en_line)
    with caplog.at_level(logging.ERROR, logger="voiceline"):
        heard = line.dial()
        reply = line.text("1")
    assert "Welcome to the neck pain line, edited." in heard
    assert "This welcome must never be heard." not in heard
    assert line.act("press", "1"), "the call goes on: the language menu answers"
    assert reply.startswith(catalog.language("en").topics[first_topic].text[:40])
    health = client.get("/healthz")
    body = health.get_json()
    assert health.status_code == 200 and body["status"] == "ok" and body["prompts_stale"]
    assert {"file": "prompts/en/line.toml", "line": broken_at} in [
        {"file": p["file"], "line": p["line"]} for p in body["prompt_problems"]]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"prompts/en/line.toml:{broken_at}" in logged and "not served" in logged
    assert CALLER_NUMBER not in logged and CALLER_NUMBER[1:] not in logged

    set_welcome(en_line, "Welcome back, repaired.")
    text = en_line.read_text(encoding="utf-8").splitlines(keepends=True)
    text[broken_at - 1] = text[broken_at - 1].rstrip("\n") + '"\n'
    en_line.write_text("".join(text), encoding="utf-8")
    assert "Welcome back, repaired." in line.dial()
    body = client.get("/healthz").get_json()
    assert body["prompt_problems"] == [] and not body["prompts_stale"]


def test_a_line_started_on_broken_files_answers_once_they_are_fixed(prompts):
    en_line = prompts / "en" / "line.toml"
    good = en_line.read_text(encoding="utf-8")
    break_file(en_line)
    line = Line(simulator_app(prompts))
    client = line.app.test_client()
    assert client.get("/healthz").status_code == 503
    en_line.write_text(good, encoding="utf-8")
    assert client.get("/healthz").status_code == 200
    welcome = load_checked(prompts).language("en").call["welcome"]
    assert welcome in line.dial()


def test_the_files_are_looked_at_once_per_interval(prompts, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(holder_module.time, "monotonic", lambda: clock[0])
    holder = CatalogHolder(prompts, load_checked, interval=2)
    assert holder.load()
    set_welcome(prompts / "en" / "line.toml", "A new welcome.")
    clock[0] += 1.9
    holder.refresh()
    assert holder.catalog.language("en").call["welcome"] != "A new welcome."
    clock[0] += 0.2
    holder.refresh()
    assert holder.catalog.language("en").call["welcome"] == "A new welcome."


def test_a_file_saved_while_it_was_read_is_read_again(prompts, monkeypatch):
    """An editor still writing when the line reads: the half-written file is refused, and
    the finished one is loaded at the next look, even though nothing changes after it."""
    en_line = prompts / "en" / "line.toml"
    reading = {"slow": False}

    def read(root):
        try:
            return load_checked(root)
        finally:
            if reading["slow"]:
                en_line.write_text(finished, encoding="utf-8")  # the save completes meanwhile

    holder = CatalogHolder(prompts, read, interval=0)
    assert holder.load()
    finished = en_line.read_text(encoding="utf-8").replace(
        welcome_line(en_line), 'welcome = "Saved in two steps."')
    en_line.write_text(finished[: len(finished) // 2], encoding="utf-8")
    reading["slow"] = True
    holder.refresh()
    assert holder.problem is not None
    reading["slow"] = False
    holder.refresh()
    assert holder.problem is None
    assert holder.catalog.language("en").call["welcome"] == "Saved in two steps."


def test_an_unchanged_folder_is_not_read_again(prompts):
    reads = []

    def read(root):
        reads.append(root)
        return load_checked(root)

    holder = CatalogHolder(prompts, read, interval=0)
    assert holder.load()
    for _ in range(3):
        holder.refresh()
    assert reads == [prompts]


def test_texts_answer_with_the_edited_topic_though_the_line_remembered_the_old(prompts):
    from voiceline.testing import SimulatedTexter

    line = Line(simulator_app(prompts))
    catalog = load_checked(prompts)
    topic = catalog.language("en").topics[catalog.flow.topics[1]]
    start = topic.text[:30]

    def ask_topic_two(number: str) -> str:
        texter = SimulatedTexter(line.transport, line.signer, number=number)
        texter.send("hi")
        return texter.send("2")

    assert ask_topic_two("+15005550101").startswith(start)
    path = prompts / "en" / "topics.toml"
    text = path.read_text(encoding="utf-8")
    before, _, after = text.rpartition(start)  # the texted summary comes after the spoken
    assert before
    path.write_text(before + "Edited. " + start + after, encoding="utf-8")
    assert ask_topic_two("+15005550102").startswith("Edited. " + start)


def test_an_edit_of_the_guide_is_checked_on_the_running_line(prompts):
    """The guide is one of the prompt files: renaming a heading a topic names is refused
    like any other broken edit, and the line keeps the last good words."""
    holder = CatalogHolder(prompts, load_checked, interval=0)
    assert holder.load()
    version = holder.catalog.version
    guide = prompts / "guide.md"
    text = guide.read_text(encoding="utf-8")
    guide.write_text(text.replace("# How Much Does Stem Cell Therapy for Neck Pain Cost?",
                                  "# Costs"), encoding="utf-8")
    holder.refresh()
    assert holder.catalog.version == version and holder.problem is not None
    assert any(f.where == "topics.cost.source" for f in holder.errors())
    guide.write_text(text + "\nA note.\n", encoding="utf-8")
    holder.refresh()
    assert holder.problem is None and holder.catalog.version != version
