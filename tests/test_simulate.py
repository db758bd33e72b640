"""`voiceline simulate`: the line in-process through the real webhooks, driven with injected
input and output like any function; scripts stop at the first phrase that does not come
back, naming the line. Expected words come from the catalog."""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner

from voiceline.cli import cli
from voiceline.settings import REPO_PROMPTS
from voiceline.testing.simulator import (
    MENU_MARK,
    Line,
    run_call,
    run_script,
    run_texts,
    simulator_app,
)
from voiceline.text import gsm

NO_SETTINGS = {name: None for name in os.environ if name.startswith(("TWILIO_", "VOICELINE_",
                                                                      "DATABASE_"))}


@pytest.fixture
def app():
    return simulator_app()


@pytest.fixture
def line(app):
    return Line(app)


def drive(runner, line, inputs, **options) -> tuple[int, list[str]]:
    """Run ``runner`` with ``inputs`` typed in order; return its exit code and output."""
    typed = iter(inputs)
    output: list[str] = []
    code = runner(line, lambda: next(typed, None), output.append, **options)
    return code, output


def heard_text(output: list[str]) -> str:
    return " ".join(" ".join(output).split())


def main_topic(catalog):
    """A topic the main menu offers directly: (its key, its id)."""
    menu = catalog.flow.menus[catalog.flow.main_menu]
    option = next(o for o in menu.options if o.topic)
    return option.key, option.topic


# ------------------------------------------------------------------------------ calls

def test_a_call_prints_what_the_caller_hears_until_the_line_hangs_up(line, catalog):
    en = catalog.language("en")
    key, topic = main_topic(catalog)
    code, output = drive(run_call, line, ["1", key, "2"])
    said = heard_text(output)
    assert code == 0
    for words in (en.call["welcome"], en.call["emergency"], en.call["main_menu_intro"],
                  en.topics[topic].spoken, en.call["goodbye"], en.call["disclaimer"],
                  en.call["physician"]):
        assert words in said
    assert output.count(MENU_MARK) == 3, "one marker before each thing typed"
    assert output[-1] == "  [the line hung up]"
    assert said.index(en.call["disclaimer"]) < said.index(en.call["physician"]) \
        < said.index(en.call["goodbye"])


def test_lang_chooses_the_language_first(line, catalog):
    es = catalog.language("es")
    code, output = drive(run_call, line, ["q"], lang="es")
    said = heard_text(output)
    assert code == 0 and es.call["main_menu_intro"] in said
    assert es.option(es.menus[catalog.flow.menus["main"].options[0].menu], "1") in said
    assert output[-1] == "  [you hung up]"


def test_typed_speech_and_silence(line, catalog):
    en = catalog.language("en")
    topic = catalog.flow.topics[-1]
    code, output = drive(run_call, line, ["1", f"say: {en.topics[topic].label}", ".", ".",
                                          "."])
    said = heard_text(output)
    assert en.topics[topic].spoken in said
    assert en.no_input[0] in said and en.no_input[-1] in said
    assert said.endswith(f"{en.call['physician']} {en.call['goodbye']} [the line hung up]")


def test_text_me_this_shows_the_text_instead_of_sending_it(line, catalog):
    en = catalog.language("en")
    key, topic = main_topic(catalog)
    _, output = drive(run_call, line, ["1", key, "1", "q"])
    said = heard_text(output)
    assert en.call["text_sent"] in said
    assert f"[text message to your phone] {gsm.to_gsm7(en.topics[topic].text)[:60]}" in said


@pytest.mark.parametrize("typed", ["12", "", "say:", "*#"])
def test_what_is_not_an_input_gets_a_hint_not_a_crash(line, typed):
    code, output = drive(run_call, line, [typed, "q"])
    assert code == 0 and "  [type one key, 'say: words', or '.']" in output


# ------------------------------------------------------------------------------ texts

def test_a_text_chat(line, catalog):
    en = catalog.language("en")
    topic = catalog.flow.topics[0]
    code, output = drive(run_texts, line, ["hello", "1", "STOP", "1", "START"])
    replies = [o for o in output if o.startswith("  reply: ")]
    said = heard_text(output)
    assert code == 0
    assert gsm.to_gsm7(en.text["welcome"]) in replies[0]
    assert gsm.to_gsm7(en.topics[topic].text)[:60] in said
    assert replies[2:4] == ["  reply: (no reply)", "  reply: (no reply)"]
    assert gsm.to_gsm7(en.text["resubscribed"]) in replies[4]
    assert said.count(gsm.to_gsm7(en.text["disclaimer"])) == 3


def test_an_operator_may_send_the_same_text_again_and_again(line, catalog):
    """The loop guard that silences an auto-responder is off in the simulator."""
    topic = catalog.language("en").topics[catalog.flow.topics[0]]
    code, output = drive(run_texts, line, ["hello", "1", "1", "1"])
    replies = [o for o in output if o.startswith("  reply: ")]
    assert code == 0 and "  reply: (no reply)" not in replies
    assert heard_text(output).count(gsm.to_gsm7(topic.text)[:60]) == 3


def test_a_text_chat_in_spanish(line, catalog):
    es = catalog.language("es")
    _, output = drive(run_texts, line, ["2"], lang="es")
    said = heard_text(output)
    assert gsm.to_gsm7(es.text["language_set"]) in said
    assert gsm.to_gsm7(es.topics[catalog.flow.topics[1]].text)[:60] in said


# ---------------------------------------------------------------------------- scripts

def good_script(catalog) -> list[str]:
    en, es = catalog.language("en"), catalog.language("es")
    key, topic = main_topic(catalog)
    return [
        "# a call in English, then a text in Spanish",
        "> call",
        en.call["welcome"].upper(),
        "> 1",
        en.call["main_menu_intro"],
        f"> {key}",
        "  " + "   ".join(en.topics[topic].spoken.split()[:8]) + "  ",
        "",
        "> 2",  # end the call
        en.call["goodbye"],
        "[hangs up]",
        "> text: ES",
        gsm.to_gsm7(es.text["language_set"]),
        "> text: STOP",
        "[no reply]",
    ]


def test_a_script_whose_phrases_all_come_back_passes(line, catalog):
    output: list[str] = []
    assert run_script(line, good_script(catalog), output.append, "mine.txt") == 0
    assert output == ["mine.txt: all 7 expected phrases came back (6 inputs)."]


def _wrong_phrase(lines):
    lines[4] = "This is not what the line says"
    return 5


def _call_ends_too_soon(lines):
    lines[10] = "[no reply]"
    return 11


def _press_without_call(lines):
    del lines[1:3]
    return 2


def _bare_words(lines):
    lines[5] = "> how much is it"
    return 6


def _phrase_before_any_input(lines):
    lines.insert(0, "Welcome")
    return 1


@pytest.mark.parametrize("spoil,expected", [
    (_wrong_phrase, "expected 'This is not what the line says' after '> 1' (line 4)"),
    (_call_ends_too_soon, "expected '[no reply]'"),
    (_press_without_call, "no call is in progress"),
    (_bare_words, "not an input"),
    (_phrase_before_any_input, "an expected phrase comes after an input"),
], ids=["wrong_phrase", "call_ends_too_soon", "press_without_call", "bare_words",
        "phrase_before_any_input"])
def test_a_script_stops_at_the_first_mismatch_naming_its_line(line, catalog, spoil, expected):
    lines = good_script(catalog)
    number = spoil(lines)
    output: list[str] = []
    assert run_script(line, lines, output.append, "mine.txt") == 1
    assert output[0].startswith(f"mine.txt, line {number}: ")
    assert expected in output[0]


def test_a_mismatch_shows_what_the_line_said(line, catalog):
    lines = good_script(catalog)
    _wrong_phrase(lines)
    output: list[str] = []
    run_script(line, lines, output.append)
    assert catalog.language("en").call["main_menu_intro"] in "\n".join(output[1:])


# -------------------------------------------------------------------------- the command

def test_the_command_runs_a_script_with_no_settings(tmp_path, catalog):
    script = tmp_path / "guard.txt"
    script.write_text("\n".join(good_script(catalog)), encoding="utf-8")
    result = CliRunner().invoke(cli, ["simulate", "--script", str(script)], env=NO_SETTINGS)
    assert result.exit_code == 0, result.output
    assert "all 7 expected phrases came back" in result.output
    script.write_text("\n".join(good_script(catalog)[:3] + ["Goodbye forever"]), "utf-8")
    result = CliRunner().invoke(cli, ["simulate", "--script", str(script)], env=NO_SETTINGS)
    assert result.exit_code == 1 and "guard.txt, line 4:" in result.output


def test_the_command_calls_and_texts_from_typed_input(catalog):
    es = catalog.language("es")
    result = CliRunner().invoke(cli, ["simulate", "call", "--lang", "es"], input="0\nq\n",
                                env=NO_SETTINGS)
    assert result.exit_code == 0, result.output
    assert es.call["help"] in " ".join(result.output.split())
    result = CliRunner().invoke(cli, ["simulate", "text"], input="help\n", env=NO_SETTINGS)
    assert result.exit_code == 0
    assert gsm.to_gsm7(catalog.language("en").text["help"]) in " ".join(result.output.split())


def test_simulate_alone_explains_itself():
    result = CliRunner().invoke(cli, ["simulate"], env=NO_SETTINGS)
    assert result.exit_code == 2 and "--script" in result.output and "call" in result.output


def test_the_example_script_in_the_operators_readme_runs_on_the_shipped_line():
    """prompts/README.md shows operators a script; its inputs and its [hangs up] and
    [no reply] marks must hold on the shipped files. Its phrases are the operators' own
    words, which they may reword: those are left to their own runs of the script."""
    readme = (REPO_PROMPTS / "README.md").read_text(encoding="utf-8")
    script = re.search(r"```\n(# my-checks\.txt.*?)```", readme, re.S).group(1)
    steps = [row for row in script.splitlines()
             if row.startswith((">", "#", "[")) or not row.strip()]
    assert len(steps) < len(script.splitlines()), "the example shows expected phrases too"
    output: list[str] = []
    shipped = Line(simulator_app(REPO_PROMPTS))
    assert run_script(shipped, steps, output.append, "my-checks.txt") == 0, output
