"""Room to grow: an operator adds topics to the shipped prompts by the files alone (the id
in flow.toml, an option in a menu, a section in every topics.toml) and the line checks
clean and serves them by keypad, speech and text; the texted list pages with MORE."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from voiceline import create_app
from voiceline.checks import read_checked
from voiceline.cli import cli
from voiceline.engine.texts import menu_pages
from voiceline.settings import REPO_PROMPTS
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter, TwilioSigner
from voiceline.text import gsm

from .conftest import AUTH_TOKEN, BASE_URL

# An eleventh topic an operator might add: choosing a clinic, from the guide's section on
# risks (every topic sums up a heading of the guide).
SPOKEN = {
    "en": "Choosing a clinic matters. Pick a clinic with a good name. Pick doctors with a lot "
          "of experience. This can help lower the risks. Ask the clinic how much experience "
          "its doctors have. " * 2,
    "es": "Elegir una clínica es importante. Busque una clínica de buena fama. Busque médicos "
          "con mucha experiencia. Esto puede ayudar a bajar los riesgos. " * 2,
}
TEXT = {"en": "Choose a clinic with a good name and doctors with a lot of experience. This "
              "can help lower the risks.",
        "es": "Elija una clinica de buena fama y medicos con mucha experiencia. Esto puede "
              "ayudar a bajar los riesgos."}
LABEL = {"en": "choosing a clinic", "es": "elegir una clinica"}
WORDS = {"en": '["choosing a clinic", "which clinic", "good clinic", "reputable"]',
         "es": '["elegir una clinica", "que clinica", "buena clinica", "buena fama"]'}
SOURCE = "What are the Risks and Side Effects of Stem Cell Therapy for Neck Pain?"


def add_topic(prompts, topic_id: str, menu: str, key: int) -> None:
    flow = prompts / "flow.toml"
    text = flow.read_text(encoding="utf-8")
    text = text.replace('  "alternatives",\n]', f'  "alternatives",\n  "{topic_id}",\n]', 1)
    if f'"{topic_id}"' not in text:  # topics added before: after the last one
        last = text.index("\n]", text.index("topics = ["))
        text = text[:last] + f'\n  "{topic_id}",' + text[last:]
    marker = f"[menus.{menu}]\noptions = [\n"
    assert marker in text
    text = text.replace(marker, f'{marker}  {{ key = {key}, topic = "{topic_id}" }},\n', 1)
    flow.write_text(text, encoding="utf-8")
    for lang in ("en", "es"):
        with (prompts / lang / "topics.toml").open("a", encoding="utf-8") as topics:
            topics.write(f'\n[{topic_id}]\nlabel = "{LABEL[lang]}"\nwords = {WORDS[lang]}\n'
                         f'spoken = """\n{SPOKEN[lang]}\n"""\ntext = """\n{TEXT[lang]}\n"""\n'
                         f'source = "{SOURCE}"\n')


def renumber(prompts, menu: str) -> None:
    """Keys in the order the options are written (an added option goes first)."""
    flow = prompts / "flow.toml"
    lines = flow.read_text(encoding="utf-8").splitlines(keepends=True)
    inside, key = False, 0
    for i, line in enumerate(lines):
        if line.startswith(f"[menus.{menu}]"):
            inside, key = True, 0
        elif line.startswith("[") and inside:
            inside = False
        if inside and "{ key = " in line:
            key += 1
            start = line.index("{ key = ") + len("{ key = ")
            lines[i] = line[:start] + str(key) + line[line.index(",", start):]
    flow.write_text("".join(lines), encoding="utf-8")


@pytest.fixture
def grown(tmp_path):
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO_PROMPTS, prompts)
    add_topic(prompts, "clinic", "about", 4)
    renumber(prompts, "about")
    return prompts


def test_an_eleventh_topic_checks_clean_as_it_is(grown):
    result = CliRunner().invoke(cli, ["check", str(grown)])
    assert result.exit_code == 0, result.output
    assert "\n0 error(s)" in result.output


def test_the_eleventh_topic_is_served_by_keypad_speech_and_text(grown, tmp_path):
    catalog, findings = read_checked(grown)
    assert catalog is not None, findings
    app = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                      "PUBLIC_BASE_URL": BASE_URL, "VOICELINE_PROMPTS_DIR": str(grown),
                      "VOICELINE_HASH_SECRET": "grown",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'line.sqlite3'}"})
    transport, signer = FlaskTransport(app.test_client()), TwilioSigner(AUTH_TOKEN, BASE_URL)
    number = catalog.flow.topics.index("clinic") + 1
    for code_key, code in enumerate(catalog.flow.languages, start=1):
        lang = catalog.languages[code]
        spoken = lang.topics["clinic"].spoken
        # First calls from numbers of their own: a returning caller is greeted in its language.
        call = SimulatedCall(transport, signer, caller=f"+1500555{code_key:04d}")
        call.start()
        call.press(str(code_key))
        call.press("1")  # the about menu
        assert spoken in [h.text for h in call.press("1")]  # the new first option
        call = SimulatedCall(transport, signer, caller=f"+1500556{code_key:04d}")
        call.start()
        call.press(str(code_key))
        assert spoken in [h.text for h in call.say(lang.topics["clinic"].label)]
        texter = SimulatedTexter(transport, signer, number=f"+1500555{code_key:04d}")
        texter.send("hola" if code == "es" else "hi")
        reply = texter.send(str(number))
        assert reply is not None and gsm.to_gsm7(TEXT[code][:30]) in reply
        reply = texter.send(WORDS[code].split('"')[1])
        assert reply is not None and gsm.to_gsm7(TEXT[code][:30]) in reply


def test_fifteen_topics_fit_the_texted_list_in_pages_of_two_segments(tmp_path):
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO_PROMPTS, prompts)
    for n, menu in enumerate(["about", "about", "results", "results", "results"], start=1):
        add_topic(prompts, f"extra{n}", menu, 9)
        renumber(prompts, menu)
    result = CliRunner().invoke(cli, ["check", str(prompts)])
    assert result.exit_code == 0, result.output
    catalog, _ = read_checked(prompts)
    assert catalog is not None and len(catalog.flow.topics) == 15
    for lang in catalog.languages.values():
        pages = menu_pages(catalog, lang, lang.text["welcome"])
        numbers = [int(line.split()[0]) for page in pages for line in page.splitlines()
                   if line[:1].isdigit()]
        assert numbers == list(range(1, 16))
        for page in pages:
            body = f"{page}\n{lang.text['disclaimer']}"
            assert gsm.segments(gsm.to_gsm7(body)) <= 2
