"""The shipped prompts/, checked only generically: whatever words an operator writes, the
line must load them and reach every topic by its name (tests/test_walk.py walks the
shipped call tree too: every topic by keypad, every ending with the disclaimer). No
topic is counted and no sentence pinned, so a correct edit (a new topic, a reworded
sentence) keeps these green."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from voiceline import create_app
from voiceline.checks import read_checked
from voiceline.cli import cli
from voiceline.settings import REPO_PROMPTS
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter, TwilioSigner
from voiceline.text import gsm

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


def test_voiceline_check_finds_no_errors_in_the_shipped_prompts():
    result = CliRunner().invoke(cli, ["check", str(REPO_PROMPTS)])
    assert result.exit_code == 0, result.output
    assert "\n0 error(s)" in result.output


def test_every_topic_is_reachable_by_saying_its_name(shipped_line, shipped):
    transport, signer = shipped_line

    callers = iter(range(10_000))

    def say_at_main_menu(key: int, words: str) -> tuple[SimulatedCall, list[str]]:
        # A first call from each number: the line would greet a returning one in its language.
        call = SimulatedCall(transport, signer, caller=f"+1500555{next(callers):04d}")
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


def test_each_red_flag_group_is_answered_first_by_text_and_by_voice(shipped_line, shipped):
    """Whatever the words, a red-flag word texted or said gets its group's wording first."""
    transport, signer = shipped_line
    for key, code in enumerate(shipped.flow.languages, start=1):
        for n, (kind, group) in enumerate(shipped.languages[code].red_flags.groups.items()):
            word = group.words[0]
            # The answer is in the language whose words were found (a word may be in two).
            wordings = {shipped.languages[c].red_flags.groups[kind].text
                        for c in shipped.flow.languages
                        if word in shipped.languages[c].red_flags.groups[kind].words}
            texter = SimulatedTexter(transport, signer, number=f"+1500555{key}{n}99")
            reply = texter.send(word)
            assert any(reply.startswith(gsm.to_gsm7(w)) for w in wordings), (code, kind, reply)
            call = SimulatedCall(transport, signer)
            call.start()
            if len(shipped.flow.languages) > 1:
                call.press(str(key))
            heard = call.say(word)
            assert heard[0].text == group.spoken and not call.ended, (code, kind)
