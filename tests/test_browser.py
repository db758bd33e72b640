"""The operator area in a real browser: Debian's chromium, driven by Playwright.

One server (a thread) and one browser for the module. The tests sign in, are refused a
wrong password, read the dashboard's figures for seeded events, download the CSV, and
use the browser phone: a topic by keypad and by "say", then the end of the call and its
disclaimer. .ci/run installs chromium (apt-get) and sets VOICELINE_REQUIRE_BROWSER=1, so
there a missing browser fails instead of skipping.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from voiceline import create_app
from voiceline.checks import load_checked
from voiceline.engine.call import TOPIC_END
from voiceline.storage.events import Event, MemoryEventLog
from voiceline.storage.store import MemoryStore
from voiceline.web.operator import hash_password

from .conftest import AUTH_TOKEN, FIXTURE_PROMPTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NAME, PASSWORD = "clinic", "correct horse battery"
TODAY = datetime.now(UTC).date()


def _browser_or_skip():
    required = os.environ.get("VOICELINE_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("playwright is not installed")
        pytest.skip("playwright is not installed")
    if not CHROMIUM.exists():
        if required:
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return sync_playwright


def seeded_events() -> list[Event]:
    at = datetime.combine(TODAY - timedelta(days=1), datetime.min.time(), UTC) + \
        timedelta(hours=9)
    return [*[Event("call_started", "voice", at=at) for _ in range(7)],
            *[Event("sms_answered", "sms", "en", outcome="topic", topic="cost", at=at)
              for _ in range(3)],
            *[Event("topic_heard", "voice", "en", topic="cost", at=at) for _ in range(4)],
            Event("call_started", "voice", at=at + timedelta(days=1))]


@pytest.fixture(scope="module")
def server():
    store, log = MemoryStore(), MemoryEventLog()
    store.set_operator(NAME, hash_password(PASSWORD))
    log.events.extend(seeded_events())
    app = create_app({"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "VOICELINE_PROMPTS_DIR":
                      str(FIXTURE_PROMPTS), "VOICELINE_OPERATOR_KEY": "k" * 40,
                      "VOICELINE_HASH_SECRET": "browser-test",
                      "PUBLIC_BASE_URL": "https://line.example.org"}, store=store, events=log)
    http = make_server("localhost", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{http.server_port}"
    http.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, accept_downloads=True)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page, password=PASSWORD):
    page.goto("/operator/")
    page.get_by_label("Name").fill(NAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_wrong_password_is_refused_from_the_keyboard(page):
    page.goto("/operator/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Tab")
    page.keyboard.type(NAME)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text() == \
        "That name and password do not match an account."
    assert page.get_by_role("heading", name="Sign in").is_visible()


def test_the_dashboard_shows_the_seeded_events_and_downloads_them(page):
    sign_in(page)
    page.get_by_role("heading", name="How the line is used").wait_for()
    assert page.locator('[data-figure="calls"]').inner_text() == "8"
    assert page.locator('[data-figure="texts"]').inner_text() == "3"
    assert page.locator('[data-figure="topics_heard"]').inner_text() == "4"
    yesterday = page.locator("#daily tbody tr", has_text=(TODAY - timedelta(days=1))
                             .isoformat())
    assert yesterday.locator("td").first.inner_text() == "7"
    assert page.get_by_role("img", name="Calls and Texts per day").is_visible()
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the daily table (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(waiting.value.path()).read_text())))
    by_day = {row["day"]: row for row in rows}
    assert by_day[(TODAY - timedelta(days=1)).isoformat()]["calls"] == "7"
    assert by_day[TODAY.isoformat()]["calls"] == "1"
    assert sum(int(row["texts"]) for row in rows) == 3


def test_the_browser_phone_reaches_a_topic_by_keypad_and_by_say(page):
    catalog = load_checked(FIXTURE_PROMPTS)
    lang = catalog.language("en")
    main = catalog.flow.menus[catalog.flow.main_menu]
    option = main.options[0]
    sign_in(page)
    page.goto("/operator/phone")
    assert page.locator("#no-problems").is_visible()
    page.get_by_role("button", name="Call the line").click()
    page.get_by_role("button", name="Key 1").click()  # English
    # By keypad: the first choice of the main menu, down to a topic.
    page.get_by_role("button", name=f"Key {option.key}").click()
    topic_id = option.topic
    if option.menu:
        inner = catalog.flow.menus[option.menu].options[0]
        page.get_by_role("button", name=f"Key {inner.key}").click()
        topic_id = inner.topic
    topic = lang.topics[topic_id]
    assert _first_sentence(topic.spoken) in page.locator("#latest").inner_text()
    # By "say": another topic, by its name.
    other = next(t for t in lang.topics.values() if t.id != topic_id)
    page.get_by_role("textbox", name="Say").fill(other.label)
    page.get_by_role("button", name="Say it").click()
    assert _first_sentence(other.spoken) in page.locator("#latest").inner_text()


def test_ending_the_call_ends_with_the_disclaimer(page):
    catalog = load_checked(FIXTURE_PROMPTS)
    lang = catalog.language("en")
    sign_in(page)
    page.goto("/operator/phone")
    page.get_by_role("button", name="Call the line").click()
    page.get_by_role("button", name="Key 1").click()
    page.get_by_role("textbox", name="Say").fill(next(iter(lang.topics.values())).label)
    page.get_by_role("button", name="Say it").click()
    page.get_by_role("button", name=f"Key {TOPIC_END}").click()  # after a topic: end
    heard = page.locator("#latest").inner_text()
    assert _first_sentence(lang.call["disclaimer"]) in heard
    assert "The line ended the call." in heard
    assert page.get_by_role("button", name="Hang up").is_disabled()
    # A new call, then the operator hangs up: nothing more is heard.
    page.get_by_role("button", name="Call the line").click()
    page.get_by_role("button", name="Hang up").click()
    assert page.locator("#latest").inner_text().strip() == "You hung up."


def _first_sentence(text: str) -> str:
    return " ".join(text.split()).split(". ")[0]
