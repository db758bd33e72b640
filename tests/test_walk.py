"""The whole call tree, walked: every key and silence at every menu, in every language,
on the tests' own prompt files and on the shipped ones (generically: nothing here counts
topics or pins a sentence)."""

from __future__ import annotations

import re

import pytest

from voiceline import create_app
from voiceline.checks import load_checked
from voiceline.settings import REPO_PROMPTS
from voiceline.testing import FlaskTransport, TwilioSigner, safe_ending, walk_calls

from .conftest import AUTH_TOKEN, BASE_URL, FIXTURE_PROMPTS


@pytest.fixture(scope="module", params=["fixture", "shipped"])
def prompts_walked(request):
    return FIXTURE_PROMPTS if request.param == "fixture" else REPO_PROMPTS


@pytest.fixture(scope="module")
def catalog(prompts_walked):
    return load_checked(prompts_walked)


@pytest.fixture(scope="module")
def walk(prompts_walked, tmp_path_factory):
    folder = tmp_path_factory.mktemp("walk")
    app = create_app({"TESTING": True, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                      "PUBLIC_BASE_URL": BASE_URL, "VOICELINE_HASH_SECRET": "test-hash-secret",
                      "VOICELINE_PROMPTS_DIR": str(prompts_walked),
                      "DATABASE_URL": f"sqlite:///{folder / 'walk.sqlite3'}"})
    return walk_calls(FlaskTransport(app.test_client()), TwilioSigner(AUTH_TOKEN, BASE_URL))


def test_the_walk_covers_many_menus_and_endings(walk):
    assert walk.menus > 50
    assert len(walk.endings) > 10


def test_every_ending_says_disclaimer_and_physician_before_goodbye_then_hangs_up(walk, catalog):
    for ending in walk.endings:
        assert ending.hung_up, f"the line ran out of words after {ending.path}"
        said = [h.text for h in ending.heard]
        assert any(safe_ending(said, lang.call["disclaimer"], lang.call["physician"],
                               lang.call["goodbye"])
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
    numbers = {int(m.group(1)) for m in offered if m} - {9}  # 9: the main menu, everywhere
    assert numbers and max(numbers) <= 5
