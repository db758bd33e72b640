"""Operators own the words: a topic and a language are added by files alone, on a running
line, and reached by keypad, by voice and by text through the simulator."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from voiceline.checks import load_checked
from voiceline.cli import cli
from voiceline.testing.simulator import Line, simulator_app

from .conftest import FIXTURE_PROMPTS

PROCEDURE = {
    "en": ("procedure", "procedure", "What happens during the procedure. " * 12,
           "During the procedure, a doctor numbs the skin and injects the cells."),
    "es": ("procedimiento", "procedimiento", "Qué pasa durante el procedimiento. " * 12,
           "Durante el procedimiento, un medico adormece la piel e inyecta las celulas."),
    "fr": ("deroulement", "deroulement", "Ce qui se passe pendant la seance. " * 12,
           "Pendant la seance, le medecin endort la peau et injecte les cellules."),
}


def topic_section(lang: str) -> str:
    label, word, spoken, text = PROCEDURE[lang]
    return (f'\n[procedure]\nlabel = "{label}"\nwords = ["{word}"]\n'
            f'spoken = """\n{spoken}\n"""\ntext = """\n{text}\n"""\n'
            'source = "What Happens During the Procedure?"\n'
            'reviewed_by = "not yet reviewed"\nreviewed = "not yet reviewed"\n')


def replace_value(path, key: str, value: str, section: str = "") -> None:
    """Set ``key`` (in [section], if given) to ``value``, as an operator's editor would."""
    text = path.read_text(encoding="utf-8")
    start = re.search(rf"(?m)^\[{section}\]", text).end() if section else 0
    one_value = r'""".*?"""' + "|.*?$"  # a long text (three quotes) or one line
    rest, done = re.subn(rf'(?ms)^{key} = (?:{one_value})', lambda _: f"{key} = {value}",
                         text[start:], count=1)
    assert done, f"{key} not in {path}"
    path.write_text(text[:start] + rest, encoding="utf-8")


def add_the_procedure_topic(prompts) -> None:
    """What prompts/README.md says to do: the guide's section it sums up, the same section
    in every language, the id in flow.toml's topics, and an option in one menu."""
    with (prompts / "guide.md").open("a", encoding="utf-8") as guide:
        guide.write("\n# What Happens During the Procedure?\nDuring the procedure, a "
                    "physician numbs the skin and injects the cells into the neck.\n")
    flow = prompts / "flow.toml"
    text = flow.read_text(encoding="utf-8")
    text = text.replace('  "alternatives",\n]', '  "alternatives",\n  "procedure",\n]', 1)
    text = text.replace('  { key = 3, topic = "candidates" },\n',
                        '  { key = 3, topic = "candidates" },\n'
                        '  { key = 4, topic = "procedure" },\n', 1)
    flow.write_text(text, encoding="utf-8")
    for lang in ("en", "es"):
        with (prompts / lang / "topics.toml").open("a", encoding="utf-8") as topics:
            topics.write(topic_section(lang))


def add_french(prompts) -> None:
    """Copy a language folder, translate it, and list it in flow.toml."""
    shutil.copytree(prompts / "en", prompts / "fr")
    line = prompts / "fr" / "line.toml"
    for key, value in (("name", '"Francais"'), ("speech_tag", '"fr-FR"'),
                       ("voice", '"Polly.Lea"'),
                       ("choose", '"Pour le francais, appuyez sur {key}."'),
                       ("words", '["francais", "french", "en francais"]'),
                       ("greetings", '["bonjour", "salut"]'),
                       ("welcome", '"Bienvenue sur la ligne du cou."'),
                       ("main_menu_intro", '"Menu principal."')):
        replace_value(line, key, value)
    replace_value(line, "welcome", '"Ligne du cou."', "text")
    replace_value(line, "language_set", '"OK: francais."', "text")
    topics = prompts / "fr" / "topics.toml"
    text = topics.read_text(encoding="utf-8")
    topics.write_text(text[: text.index("\n[procedure]")] + topic_section("fr"),
                      encoding="utf-8")
    replace_value(prompts / "flow.toml", "languages", '["en", "es", "fr"]')


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def test_a_topic_and_a_language_added_by_files_alone_reach_a_running_line(prompts):
    line = Line(simulator_app(prompts))  # the line is running before the edits
    line.dial()

    add_the_procedure_topic(prompts)
    add_french(prompts)
    check = CliRunner().invoke(cli, ["check", str(prompts)])
    assert check.exit_code == 0, check.output
    catalog = load_checked(prompts)
    en, fr = catalog.language("en"), catalog.language("fr")

    opening = line.dial()
    assert fr.choose.format(key="3") in opening
    assert fr.call["main_menu_intro"] in line.act("press", "3")
    line.act("press", "1")  # the menu the topic was added to
    assert fr.topics["procedure"].spoken in line.act("press", "4")

    # The phone chose French: it is greeted in French now, English offered first (key 8).
    assert en.call["offer"].format(key="8") in line.dial()
    line.act("press", "8")
    assert en.topics["procedure"].spoken in line.act("say", "procedure")

    first = line.text("hi")
    assert "11 Procedure" in first + line.text("MORE")  # on the list's first or next page
    assert line.text("11").startswith(en.topics["procedure"].text)
    assert "11 Deroulement" in line.text("francais") + line.text("MORE")
    assert line.text("11").startswith(fr.topics["procedure"].text)


def test_a_new_topic_missing_in_one_language_is_not_served(prompts):
    line = Line(simulator_app(prompts))
    add_the_procedure_topic(prompts)
    topics = prompts / "es" / "topics.toml"
    text = topics.read_text(encoding="utf-8")
    topics.write_text(text[: text.index("\n[procedure]")], encoding="utf-8")
    check = CliRunner().invoke(cli, ["check", str(prompts)])
    assert check.exit_code == 1
    assert "prompts/es/topics.toml" in check.output and "'procedure' is missing" in check.output
    assert "11 " not in line.text("hi"), "the running line keeps its ten topics"


def test_help_lists_every_command_even_before_the_line_is_configured(monkeypatch):
    """An operator's first `voiceline --help`, with no settings at all: the commands, not
    a refusal. A command that needs the running line still says what to set."""
    for name in ("TWILIO_AUTH_TOKEN", "VOICELINE_DEV_MODE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    shown = runner.invoke(cli, ["--help"], prog_name="voiceline")
    assert shown.exit_code == 0
    assert shown.output.startswith("Usage: voiceline"), "only help, no refusal above it"
    assert "Error" not in shown.output and "TWILIO_AUTH_TOKEN" not in shown.output
    for command in ("init", "check", "simulate", "db", "events", "twilio", "serve",
                    "settings"):
        assert re.search(rf"^\s+{command}\s", shown.output, re.MULTILINE)
    refused = runner.invoke(cli, ["routes"], prog_name="voiceline")
    assert refused.exit_code != 0 and "TWILIO_AUTH_TOKEN" in refused.output
