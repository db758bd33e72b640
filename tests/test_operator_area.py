"""The operator area: off unless configured, a login in front of every page, the dashboard
showing exactly the events counted, the CSV, the browser phone, and no page showing a
number, a hash or a message body."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from voiceline import create_app
from voiceline.engine.call import TOPIC_END
from voiceline.storage.events import Event, MemoryEventLog
from voiceline.storage.store import MemoryStore
from voiceline.testing import FlaskTransport, SimulatedCall, SimulatedTexter
from voiceline.web.operator import hash_password

from .conftest import AUTH_TOKEN, BASE_URL, FIXTURE_PROMPTS, TwilioSigner

OPERATOR_KEY = "k" * 40
NAME, PASSWORD = "clinic", "correct horse battery"
TODAY = datetime.now(UTC).date()


@pytest.fixture
def area(config):
    """An app with the operator area on, an account, and events kept in memory."""
    store, log = MemoryStore(), MemoryEventLog()
    store.set_operator(NAME, hash_password(PASSWORD))
    app = create_app({**config, "VOICELINE_OPERATOR_KEY": OPERATOR_KEY}, store=store,
                     events=log)
    return app, store, log


def browser(app):
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # the session cookie is Secure
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the form has no CSRF token"
    return found.group(1)


def sign_in(client, name=NAME, password=PASSWORD):
    token = csrf_of(client.get("/operator/login").get_data(as_text=True))
    return client.post("/operator/login", data={"csrf": token, "name": name,
                                                "password": password})


def test_the_operator_area_is_off_unless_configured(app):
    assert app.test_client().get("/operator/").status_code == 404
    assert app.test_client().get("/operator/login").status_code == 404


@pytest.mark.parametrize("path", ["/operator", "/operator/", "/operator/daily.csv",
                                  "/operator/phone", "/operator/?from=2026-01-01"])
def test_anonymous_requests_get_the_login_page(area, path):
    client = browser(area[0])
    response = client.get(path, follow_redirects=True)
    assert response.request.path == "/operator/login"
    page = response.get_data(as_text=True)
    assert "Sign in" in page and 'type="password"' in page
    assert "How the line is used" not in page


def test_a_twilio_signature_never_opens_it(area, signer):
    client = browser(area[0])
    response = client.get("/operator/", headers=signer.headers("/operator/", {}))
    assert response.status_code == 302 and "/operator/login" in response.location
    posted = client.post("/operator/phone", data={"action": "call"},
                         headers=signer.headers("/operator/phone", {"action": "call"}))
    assert posted.status_code in (302, 400) and "Call the line" not in posted.get_data(
        as_text=True)


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_dashboard(area):
    client = browser(area[0])
    wrong = sign_in(client, password="not the password")
    assert wrong.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True)
    assert client.get("/operator/").status_code == 302
    right = sign_in(client)
    assert right.status_code == 302
    assert "How the line is used" in client.get("/operator/").get_data(as_text=True)


def test_an_unknown_name_is_refused_like_a_wrong_password(area):
    response = sign_in(browser(area[0]), name="nobody")
    assert response.status_code == 401 and "do not match" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(area):
    client = browser(area[0])
    client.get("/operator/login")
    response = client.post("/operator/login", data={"name": NAME, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/operator/").status_code == 302  # not signed in
    sign_in(client)
    assert client.post("/operator/logout", data={}).status_code == 400
    assert client.get("/operator/").status_code == 200  # still signed in


def test_logins_are_rate_limited(area):
    client = browser(area[0])
    for _ in range(5):
        assert sign_in(client, password="guess").status_code == 401
    blocked = sign_in(client)  # even the right password waits now
    assert blocked.status_code == 429 and "Too many" in blocked.get_data(as_text=True)


def test_logout_ends_the_session(area):
    client = browser(area[0])
    sign_in(client)
    page = client.get("/operator/").get_data(as_text=True)
    assert client.post("/operator/logout", data={"csrf": csrf_of(page)}).status_code == 302
    assert client.get("/operator/").status_code == 302


def test_a_new_password_signs_out_every_session(area):
    app, store, _ = area
    client = browser(app)
    sign_in(client)
    store.set_operator(NAME, hash_password("another long password"))
    assert client.get("/operator/").status_code == 302


def test_the_session_cookie_is_secure_httponly_and_samesite(area):
    client = browser(area[0])
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/operator" in cookie


def test_pages_forbid_outside_scripts_and_caching(area):
    client = browser(area[0])
    sign_in(client)
    response = client.get("/operator/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_after_sign_in_it_goes_only_to_an_operator_page(area):
    client = browser(area[0])
    token = csrf_of(client.get("/operator/login").get_data(as_text=True))
    response = client.post("/operator/login?next=https://evil.example/x",
                           data={"csrf": token, "name": NAME, "password": PASSWORD})
    assert response.location.endswith("/operator/")


# ----------------------------------------------------------------------------- figures

def seeded(log: MemoryEventLog) -> dict[str, int]:
    """Known events on known days; returns what the dashboard must say."""
    day1 = datetime.combine(TODAY - timedelta(days=2), datetime.min.time(), UTC) + \
        timedelta(hours=10)
    day2 = day1 + timedelta(days=1)
    events = [
        *[Event("call_started", "voice", at=day1) for _ in range(3)],
        *[Event("call_started", "voice", at=day2) for _ in range(2)],
        Event("language_chosen", "voice", "en", at=day1),
        Event("language_chosen", "voice", "es", at=day2),
        *[Event("topic_heard", "voice", "en", topic="cost", at=day1) for _ in range(4)],
        Event("topic_heard", "voice", "es", topic="risks", at=day2),
        Event("topic_texted", "voice", "en", topic="cost", outcome="sent", at=day1),
        Event("topic_texted", "voice", "en", topic="cost", outcome="limit", at=day1),
        Event("call_ended", "voice", "en", outcome="caller", at=day1),
        Event("call_ended", "voice", "en", outcome="no_input", at=day2),
        *[Event("call_status", "voice", outcome="completed", seconds=s, at=day1)
          for s in (30, 60, 90, 200)],
        Event("reprompt", "voice", "en", node="main", at=day1),
        Event("invalid_key", "voice", "en", node="main", at=day1),
        Event("not_understood", "voice", "en", node="about", at=day2),
        Event("sms_answered", "sms", "en", topic="cost", outcome="topic", at=day1),
        Event("sms_answered", "sms", "en", outcome="unknown", at=day2),
        Event("sms_opt_out", "sms", at=day2),
        Event("sms_opt_in", "sms", "en", at=day2),
        Event("sms_answered", "sms", "en", outcome="resubscribed", at=day2),
        Event("red_flag", "voice", "en", outcome="emergency", at=day2),
        Event("call_started", "voice", at=day1 - timedelta(days=60)),  # out of range
    ]
    log.events.extend(events)
    return {"calls": 5, "texts": 4, "topics_heard": 5, "not_understood": 2, "red_flags": 1,
            "opt_outs": 1, "opt_ins": 1, "day1": day1.date(), "day2": day2.date()}


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert found, f"no figure {name}"
    return found.group(1).strip()


def test_the_dashboard_shows_exactly_the_seeded_events(area):
    app, _, log = area
    expected = seeded(log)
    client = browser(app)
    sign_in(client)
    page = client.get("/operator/").get_data(as_text=True)
    for name in ("calls", "texts", "topics_heard", "not_understood", "red_flags", "opt_outs",
                 "opt_ins"):
        assert figure(page, name) == str(expected[name]), name
    assert figure(page, "median") == "75 s"  # 30, 60, 90, 200
    assert '<svg class="chart"' in page and '<title id="chart-title">' in page
    # Four completed calls, two ended by the line: two callers hung up.
    assert re.search(r"<th scope=\"row\">hung up</th><td>2</td>", page)
    assert re.search(r"<th scope=\"row\">main</th><td>voice</td><td>1</td><td>1</td>"
                     r"<td>0</td>", page)
    assert "emergency" in page


def test_the_csv_is_the_daily_table(area):
    app, _, log = area
    expected = seeded(log)
    client = browser(app)
    sign_in(client)
    first = expected["day1"]
    response = client.get(f"/operator/daily.csv?from={first}&to={expected['day2']}")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["day"] for r in rows] == [first.isoformat(), expected["day2"].isoformat()]
    assert [int(r["calls"]) for r in rows] == [3, 2]
    assert [int(r["texts"]) for r in rows] == [1, 3]
    assert [int(r["topics_texted"]) for r in rows] == [1, 0]


def test_a_wrong_date_is_named_not_an_error(area):
    client = browser(area[0])
    sign_in(client)
    response = client.get("/operator/?from=yesterday&to=2026-13-40")
    assert response.status_code == 200 and "was not a date" in response.get_data(as_text=True)


# ------------------------------------------------------------- nothing that names anyone

CALLER = "+15005550123"
BODY = "my neighbour at 12 Oak Street wants to know about unicorn therapy, call 5551234567"


def test_no_page_shows_a_number_a_hash_or_a_body(config):
    store, log = MemoryStore(), MemoryEventLog()
    password_hash = hash_password(PASSWORD)
    store.set_operator(NAME, password_hash)
    app = create_app({**config, "VOICELINE_OPERATOR_KEY": OPERATOR_KEY,
                      "VOICELINE_KEEP_UNANSWERED": "1"}, store=store, events=log)
    signer = TwilioSigner(AUTH_TOKEN, BASE_URL)
    transport = FlaskTransport(app.test_client())
    call = SimulatedCall(transport, signer, caller=CALLER)
    call.start()
    call.press("1")
    call.say("my number is 555 123 4567 and I want unicorns")
    texter = SimulatedTexter(transport, signer, number=CALLER)
    texter.send("hello")  # a first text is welcomed; the next one is read
    texter.send(BODY)
    texter.send("STOP")
    assert log.kept_words, "the words were not kept"

    client = browser(app)
    sign_in(client)
    pages = [client.get(path).get_data(as_text=True) for path in (
        "/operator/", "/operator/daily.csv", f"/operator/?from={TODAY}&to={TODAY}")]
    token = csrf_of(pages[0])
    client.post("/operator/phone", data={"csrf": token, "action": "text", "body": "hello"})
    pages.append(client.get("/operator/phone").get_data(as_text=True))
    pages.append(client.get("/operator/login").get_data(as_text=True))
    assert "unicorn therapy" in pages[0]  # the scrubbed words are shown ...
    secret_hash = password_hash.split("$")[-1]
    for page in pages:
        assert CALLER not in page and CALLER[2:] not in page
        assert not re.search(r"\d{7,}|\d{3}[ -]\d{3}[ -]\d{4}", page)  # no phone number
        assert BODY not in page and "Oak Street" not in page  # ... but never the body
        assert "scrypt" not in page and secret_hash not in page
        assert not re.search(r"\b[0-9a-f]{40,}\b", page)  # no number's hash


# ------------------------------------------------------------------------ browser phone

def test_the_browser_phone_reaches_a_topic_and_ends_with_the_disclaimer(area, catalog):
    client = browser(area[0])
    sign_in(client)
    lang = catalog.language("en")

    def act(**form):
        token = csrf_of(client.get("/operator/phone").get_data(as_text=True))
        assert client.post("/operator/phone", data={"csrf": token, **form}).status_code == 302
        return client.get("/operator/phone").get_data(as_text=True)

    page = act(action="call")
    assert "Key 1" in page
    act(action="key", key="1")
    topic = next(iter(lang.topics.values()))
    page = act(action="say", words=topic.label)
    assert topic.label in page
    page = act(action="key", key=TOPIC_END)  # end the call, after a topic
    assert "The line ended the call" in page
    assert lang.call["disclaimer"].split(".")[0] in page.replace("&#39;", "'")
    assert not area[2].events, "the browser phone counted on the line's own dashboard"


def test_the_browser_phone_texts_too(area):
    client = browser(area[0])
    sign_in(client)
    token = csrf_of(client.get("/operator/phone").get_data(as_text=True))
    client.post("/operator/phone", data={"csrf": token, "action": "text", "body": "cost"})
    page = client.get("/operator/phone").get_data(as_text=True)
    assert "line-text" in page


def test_the_browser_phone_lists_prompt_problems(area, tmp_path, config):
    import shutil

    prompts = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, prompts)
    store = MemoryStore()
    store.set_operator(NAME, hash_password(PASSWORD))
    app = create_app({**config, "VOICELINE_OPERATOR_KEY": OPERATOR_KEY,
                      "VOICELINE_PROMPTS_DIR": str(prompts),
                      "VOICELINE_PROMPTS_RELOAD_SECONDS": "0"}, store=store,
                     events=MemoryEventLog())
    (prompts / "en" / "topics.toml").write_text("this is = = not toml", encoding="utf-8")
    client = browser(app)
    sign_in(client)
    page = client.get("/operator/phone").get_data(as_text=True)
    assert "Prompt problems" in page and "topics.toml" in page
    assert client.get("/healthz").get_json()["prompt_problems"]


def test_the_phone_carries_on_in_another_worker(area):
    """A conversation lives in one process; another replays the session's inputs."""
    from voiceline.web import phone

    client = browser(area[0])
    sign_in(client)
    token = csrf_of(client.get("/operator/phone").get_data(as_text=True))
    client.post("/operator/phone", data={"csrf": token, "action": "call"})
    client.post("/operator/phone", data={"csrf": token, "action": "key", "key": "1"})
    before = client.get("/operator/phone").get_data(as_text=True)
    phone._conversations.clear()  # as if another worker answered
    after = client.get("/operator/phone").get_data(as_text=True)
    assert re.findall(r'<li class="turn[^>]*>.*?</li>', before, re.S) == \
        re.findall(r'<li class="turn[^>]*>.*?</li>', after, re.S)


def test_an_operator_key_too_short_stops_the_line_with_a_sentence(config):
    from voiceline.errors import SettingsError

    with pytest.raises(SettingsError, match="VOICELINE_OPERATOR_KEY"):
        create_app({**config, "VOICELINE_OPERATOR_KEY": "short"})


def test_days_are_utc_days(area):
    app, _, log = area
    late = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 59, tzinfo=UTC)
    log.events.append(Event("call_started", "voice", at=late))
    from voiceline.storage.reports import report

    figures = report(log, TODAY, TODAY)
    assert figures.totals["calls"] == 1 and figures.daily[0]["day"] == date.isoformat(TODAY)


def test_every_template_and_static_file_ships_in_the_package():
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["voiceline.web"]
    web = root / "voiceline" / "web"
    files = [p.relative_to(web).as_posix() for folder in ("templates", "static")
             for p in (web / folder).rglob("*") if p.is_file()]
    assert files
    for name in files:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


def test_a_database_that_does_not_answer_gets_a_page_not_an_error(area, monkeypatch):
    import sqlalchemy.exc

    app, _, log = area
    client = browser(app)
    sign_in(client)

    def down(*_, **__):
        raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("gone"))

    monkeypatch.setattr(log, "counts", down)
    response = client.get("/operator/")
    assert response.status_code == 503
    assert "did not answer" in response.get_data(as_text=True)


def test_the_phone_starts_again_before_the_session_cookie_grows_too_big(area):
    client = browser(area[0])
    sign_in(client)
    token = csrf_of(client.get("/operator/phone").get_data(as_text=True))
    client.post("/operator/phone", data={"csrf": token, "action": "call"})
    for n in range(40):
        response = client.post("/operator/phone", data={
            "csrf": token, "action": "say", "words": f"tell me about purple zebras {'x' * 90}"})
        cookie = response.headers.get("Set-Cookie", "")
        assert len(cookie) < 4000, n
    assert "starts again" in client.get("/operator/phone").get_data(as_text=True)


def test_sign_in_says_so_when_the_database_does_not_answer(area):
    app, store, _ = area
    client = browser(app)
    token = csrf_of(client.get("/operator/login").get_data(as_text=True))
    store.broken = True
    response = client.post("/operator/login", data={"csrf": token, "name": NAME,
                                                    "password": PASSWORD})
    assert response.status_code == 503
    assert "database did not answer" in response.get_data(as_text=True)
