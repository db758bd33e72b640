"""The whole call tree, walked: every key and silence at every menu, in every language."""

from __future__ import annotations

import re

import pytest

from voiceline.testing import walk_calls


@pytest.fixture(scope="module")
def walk(app_for_walk):
    transport, signer = app_for_walk
    return walk_calls(transport, signer)


@pytest.fixture(scope="module")
def app_for_walk(tmp_path_factory):
    from voiceline import create_app
    from voiceline.testing import FlaskTransport, TwilioSigner

    from .conftest import AUTH_TOKEN, BASE_URL, FIXTURE_PROMPTS

    folder = tmp_path_factory.mktemp("walk")
    app = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                      "PUBLIC_BASE_URL": BASE_URL, "VOICELINE_HASH_SECRET": "test-hash-secret",
                      "VOICELINE_PROMPTS_DIR": str(FIXTURE_PROMPTS),
                      "DATABASE_URL": f"sqlite:///{folder / 'walk.sqlite3'}"})
    return FlaskTransport(app.test_client()), TwilioSigner(AUTH_TOKEN, BASE_URL)


def test_the_walk_covers_many_menus_and_endings(walk):
    assert walk.menus > 50
    assert len(walk.endings) > 10


def test_every_ending_hangs_up_after_the_disclaimer_and_physician_prompt(walk, catalog):
    for ending in walk.endings:
        assert ending.hung_up, f"the line ran out of words after {ending.path}"
        said = [h.text for h in ending.heard]
        assert any(said[-2:] == [lang.call["disclaimer"], lang.call["physician"]]
                   for lang in catalog.languages.values()), (ending.path, said[-3:])


def test_every_topic_is_heard_in_every_language(walk, catalog):
    for lang in catalog.languages.values():
        for topic in lang.topics.values():
            assert topic.spoken in walk.heard, (lang.code, topic.id)


def test_no_spoken_menu_offers_more_than_five_numbered_choices(walk, catalog):
    # Every option sentence follows the "For X, press N." pattern of its language.
    patterns = [re.compile("^" + re.escape(lang.call["option"])
                           .replace(re.escape("{label}"), ".+")
                           .replace(re.escape("{key}"), "([1-9])") + "$")
                for lang in catalog.languages.values()]
    offered = [p.match(t) for t in walk.heard for p in patterns]
    numbers = {int(m.group(1)) for m in offered if m}
    assert numbers and max(numbers) <= 5
