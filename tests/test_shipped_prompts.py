"""The shipped prompts/, checked only generically: whatever words an operator writes, the
line must load them, reach every topic by keypad and by speech, and end every call with
the disclaimer and the physician prompt. No topic is counted and no sentence pinned, so
a correct edit (a new topic, a reworded sentence) keeps these green."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from voiceline import create_app
from voiceline.checks import read_checked
from voiceline.cli import cli
from voiceline.settings import REPO_PROMPTS
from voiceline.testing import FlaskTransport, SimulatedCall, TwilioSigner, walk_calls

from .conftest import AUTH_TOKEN, BASE_URL


@pytest.fixture(scope="module")
def shipped():
    catalog, findings = read_checked(REPO_PROMPTS)
    assert catalog is not None, "\n".join(str(f) for f in findings)
    return catalog


@pytest.fixture(scope="module")
def shipped_line(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shipped")
    app = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                      "PUBLIC_BASE_URL": BASE_URL, "VOICELINE_HASH_SECRET": "test-hash-secret",
                      "VOICELINE_PROMPTS_DIR": str(REPO_PROMPTS),
                      "DATABASE_URL": f"sqlite:///{folder / 'line.sqlite3'}"})
    return FlaskTransport(app.test_client()), TwilioSigner(AUTH_TOKEN, BASE_URL)


@pytest.fixture(scope="module")
def walk(shipped_line):
    return walk_calls(*shipped_line)


def test_voiceline_check_finds_no_errors_in_the_shipped_prompts():
    result = CliRunner().invoke(cli, ["check", str(REPO_PROMPTS)])
    assert result.exit_code == 0, result.output
    assert "\n0 error(s)" in result.output


def test_every_call_ending_says_the_disclaimer_and_the_physician_prompt(walk, shipped):
    assert walk.endings
    for ending in walk.endings:
        assert ending.hung_up, f"the line ran out of words after {ending.path}"
        said = [h.text for h in ending.heard]
        assert any(lang.call["disclaimer"] in said and lang.call["physician"] in said
                   for lang in shipped.languages.values()), (ending.path, said[-4:])


def test_every_topic_is_reachable_by_keypad_in_every_language(walk, shipped):
    for lang in shipped.languages.values():
        for topic in lang.topics.values():
            assert topic.spoken in walk.heard, (lang.code, topic.id)


def test_every_topic_is_reachable_by_saying_its_name(shipped_line, shipped):
    transport, signer = shipped_line

    def say_at_main_menu(key: int, words: str) -> tuple[SimulatedCall, list[str]]:
        call = SimulatedCall(transport, signer)
        call.start()
        if len(shipped.flow.languages) > 1:
            call.press(str(key))
        return call, [h.text for h in call.say(words)]

    for key, code in enumerate(shipped.flow.languages, start=1):
        for topic in shipped.languages[code].topics.values():
            call, heard = say_at_main_menu(key, topic.label)
            if topic.spoken in heard:
                continue
            # Not sure which topic was meant: the "did you mean" must lead to it by a key.
            reached = []
            for choice in "123":
                call, _ = say_at_main_menu(key, topic.label)
                reached.append(topic.spoken in [h.text for h in call.press(choice)])
            assert any(reached), (code, topic.id, heard)
