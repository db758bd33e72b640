"""`voiceline twilio configure`: the exact REST requests it makes, what it prints, how it fails.

Twilio's REST API is played by ``responses`` (the autouse ``no_network`` mock): each test
says which requests Twilio answers and asserts every request the command made. Unless a
test says otherwise, the account has no Messaging Service.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from click.testing import CliRunner

from voiceline.cli import cli

ACCOUNT = "AC" + "a" * 32
TOKEN = "rest-auth-token"
NUMBER = "+15005550006"
NUMBER_SID = "PN" + "1" * 32
BASE = "https://line.example.org"
API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"
LIST_URL = f"{API}/IncomingPhoneNumbers.json"
NUMBER_URL = f"{API}/IncomingPhoneNumbers/{NUMBER_SID}.json"
MESSAGING = "https://messaging.twilio.com/v1"
SERVICES_URL = f"{MESSAGING}/Services"
SERVICE_SID = "MG" + "4" * 32
SERVICE_URL = f"{SERVICES_URL}/{SERVICE_SID}"
LINE_ENDPOINTS = {
    "VoiceUrl": f"{BASE}/voice", "VoiceMethod": "POST",
    "VoiceFallbackUrl": f"{BASE}/voice/fallback", "VoiceFallbackMethod": "POST",
    "StatusCallback": f"{BASE}/voice/status", "StatusCallbackMethod": "POST",
    "SmsUrl": f"{BASE}/sms", "SmsMethod": "POST",
    "SmsFallbackUrl": f"{BASE}/sms/fallback", "SmsFallbackMethod": "POST",
}


def number_json(**fields) -> dict:
    """A number as Twilio's REST API returns it (a demo app's URLs by default)."""
    return {"sid": NUMBER_SID, "account_sid": ACCOUNT, "phone_number": NUMBER,
            "friendly_name": "(500) 555-0006", "voice_url": "https://demo.twilio.com/welcome/voice/",
            "voice_method": "POST", "voice_fallback_url": "", "voice_fallback_method": "POST",
            "status_callback": "", "status_callback_method": "POST",
            "sms_url": "https://demo.twilio.com/welcome/sms/reply", "sms_method": "GET",
            "sms_fallback_url": "", "sms_fallback_method": "POST",
            "voice_application_sid": "", "sms_application_sid": "", **fields}


def page(*numbers: dict) -> dict:
    return {"incoming_phone_numbers": list(numbers), "page": 0, "page_size": 1,
            "next_page_uri": None, "previous_page_uri": None, "first_page_uri": "/x",
            "start": 0, "end": len(numbers), "uri": "/x"}


def meta(key: str, url: str) -> dict:
    return {"page": 0, "page_size": 50, "first_page_url": url, "previous_page_url": None,
            "url": url, "next_page_url": None, "key": key}


def services_page(*services: dict) -> dict:
    return {"services": list(services), "meta": meta("services", SERVICES_URL)}


def service_json(**fields) -> dict:
    """A Messaging Service as Twilio returns it: with its own incoming-message webhook."""
    return {"sid": SERVICE_SID, "account_sid": ACCOUNT, "friendly_name": "Clinic A2P",
            "inbound_request_url": "https://old.example.com/sms", "inbound_method": "POST",
            "fallback_url": None, "fallback_method": "POST",
            "use_inbound_webhook_on_number": False, "url": SERVICE_URL, **fields}


def sender(sid: str, number: str) -> dict:
    return {"sid": sid, "account_sid": ACCOUNT, "service_sid": SERVICE_SID,
            "phone_number": number, "country_code": "US"}


def senders_page(*senders: dict) -> dict:
    url = f"{SERVICE_URL}/PhoneNumbers"
    return {"phone_numbers": list(senders), "meta": meta("phone_numbers", url)}


@pytest.fixture(autouse=True)
def no_messaging_service(no_network):
    no_network.get(SERVICES_URL, json=services_page())


def posts(mock) -> list:
    return [c for c in mock.calls if c.request.method == "POST"]


@pytest.fixture
def env() -> dict[str, str]:
    return {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_KEY": "",
            "TWILIO_API_SECRET": ""}


@pytest.fixture(autouse=True)
def no_app(monkeypatch):
    """The command must work without the app: no prompt files, no database."""
    def refuse(*args, **kwargs):
        raise AssertionError("twilio configure loaded the app")

    monkeypatch.setattr("voiceline.create_app", refuse)


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, ["twilio", "configure", *args], env=env,
                              prog_name="voiceline")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def assert_lookup(call, user: str = ACCOUNT, password: str = TOKEN) -> None:
    url = urlsplit(call.request.url)
    assert (call.request.method, f"{url.scheme}://{url.netloc}{url.path}") == ("GET", LIST_URL)
    assert dict(parse_qsl(url.query)) == {"PhoneNumber": NUMBER, "PageSize": "1"}
    assert call.request.headers["Authorization"] == basic(user, password)


def test_configure_points_every_endpoint_at_the_line(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    no_network.post(NUMBER_URL, json=number_json())
    result = run(env, "--number", NUMBER, "--base-url", BASE + "/")
    assert result.exit_code == 0, result.output
    lookup, services, update = no_network.calls
    assert_lookup(lookup)
    assert services.request.url.startswith(SERVICES_URL)
    assert (update.request.method, update.request.url) == ("POST", NUMBER_URL)
    assert update.request.headers["Authorization"] == basic(ACCOUNT, TOKEN)
    # Only what differs is sent (VoiceMethod etc. were POST already).
    assert dict(parse_qsl(update.request.body, keep_blank_values=True)) == {
        "VoiceUrl": f"{BASE}/voice", "VoiceFallbackUrl": f"{BASE}/voice/fallback",
        "StatusCallback": f"{BASE}/voice/status", "SmsUrl": f"{BASE}/sms",
        "SmsMethod": "POST", "SmsFallbackUrl": f"{BASE}/sms/fallback"}
    assert f"VoiceUrl: https://demo.twilio.com/welcome/voice/ -> {BASE}/voice" in result.output
    assert f"VoiceFallbackUrl: (none) -> {BASE}/voice/fallback" in result.output
    assert "SmsMethod: GET -> POST" in result.output
    assert "VoiceMethod: POST (unchanged)" in result.output


def test_dry_run_prints_the_same_changes_and_changes_nothing(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    result = run(env, "--number", NUMBER, "--base-url", BASE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert not posts(no_network)
    assert_lookup(no_network.calls[0])
    assert f"SmsUrl: https://demo.twilio.com/welcome/sms/reply -> {BASE}/sms" in result.output
    assert "nothing was changed" in result.output


def test_a_number_already_pointing_at_the_line_is_not_updated(no_network, env):
    current = LINE_ENDPOINTS
    no_network.get(LIST_URL, json=page(number_json(**{
        "voice_url": current["VoiceUrl"], "voice_fallback_url": current["VoiceFallbackUrl"],
        "status_callback": current["StatusCallback"], "sms_url": current["SmsUrl"],
        "sms_method": "POST", "sms_fallback_url": current["SmsFallbackUrl"]})))
    result = run(env, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert not posts(no_network)
    assert "Nothing to change" in result.output


def test_a_twiml_app_on_the_number_is_detached(no_network, env):
    # A number answered by a TwiML App ignores its VoiceUrl: the App must go.
    app_sid = "AP" + "2" * 32
    no_network.get(LIST_URL, json=page(number_json(voice_application_sid=app_sid)))
    no_network.post(NUMBER_URL, json=number_json())
    result = run(env, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    sent = dict(parse_qsl(posts(no_network)[0].request.body, keep_blank_values=True))
    assert sent["VoiceApplicationSid"] == ""
    assert f"VoiceApplicationSid: {app_sid} -> (none)" in result.output


def test_an_api_key_pair_is_used_when_set(no_network, env):
    key, secret = "SK" + "3" * 32, "api-secret"
    no_network.get(LIST_URL, json=page(number_json()))
    no_network.post(NUMBER_URL, json=number_json())
    result = run({**env, "TWILIO_AUTH_TOKEN": "", "TWILIO_API_KEY": key,
                  "TWILIO_API_SECRET": secret}, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert_lookup(no_network.calls[0], key, secret)
    assert all(c.request.headers["Authorization"] == basic(key, secret)
               for c in no_network.calls)


def twilio_error(status: int, code: int, message: str) -> dict:
    return {"status": status, "code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}


@pytest.mark.parametrize("case,answer,says", [
    ("unknown number", {"json": page()}, f"The number {NUMBER} is not in Twilio account"),
    ("bad credentials", {"status": 401, "json": twilio_error(401, 20003, "Authenticate")},
     "Twilio refused the credentials (HTTP 401, error 20003)"),
    ("twilio fails", {"status": 500, "json": twilio_error(500, 20500, "Internal Server Error")},
     "Twilio refused the request (HTTP 500, error 20500)"),
    ("no network", {"body": requests.exceptions.ConnectionError("no route to host")},
     "Could not reach Twilio (ConnectionError)"),
    ("timeout", {"body": requests.exceptions.ConnectTimeout("timed out")},
     "Could not reach Twilio (ConnectTimeout)"),
])
def test_failures_are_one_clear_sentence_and_a_non_zero_exit(no_network, env, case, answer,
                                                             says):
    no_network.get(LIST_URL, **answer)
    result = run(env, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 1
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not any(call.request.method == "POST" for call in no_network.calls)


@pytest.mark.parametrize("missing", [
    {"TWILIO_ACCOUNT_SID": ""},
    {"TWILIO_AUTH_TOKEN": ""},
    {"TWILIO_AUTH_TOKEN": "", "TWILIO_API_KEY": "SK" + "3" * 32},  # a key without its secret
])
def test_missing_credentials_say_what_to_set(no_network, env, missing):
    result = run({**env, **missing}, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 1
    assert "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in result.stderr
    assert len(no_network.calls) == 0


@pytest.mark.parametrize("option,value", [
    ("--number", "5005550006"),
    ("--number", "+1 500 555 0006"),
    ("--number", "+0123456789"),
    ("--number", ""),
    ("--base-url", "http://line.example.org"),
    ("--base-url", "line.example.org"),
    ("--base-url", "https://line.example.org/?x=1"),
    ("--base-url", "https://"),
])
def test_bad_options_are_refused_before_any_request(no_network, env, option, value):
    args = {"--number": NUMBER, "--base-url": BASE, option: value}
    result = run(env, *[part for pair in args.items() for part in pair])
    assert result.exit_code == 2
    assert option in result.output
    assert len(no_network.calls) == 0


def test_the_printed_plan_names_the_number_and_every_field_it_sets(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    result = run(env, "--number", NUMBER, "--base-url", BASE, "--dry-run")
    assert f"{NUMBER} ({NUMBER_SID})" in result.output
    lines = result.output.splitlines()
    for field, value in LINE_ENDPOINTS.items():
        assert any(line.strip().startswith(f"{field}: ") and line.rstrip().endswith(
            (f"-> {value}", f"{value} (unchanged)")) for line in lines), field


def test_a_refused_update_is_one_sentence_and_a_non_zero_exit(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    no_network.post(NUMBER_URL, status=400, json=twilio_error(400, 21402, "VoiceUrl is not valid"))
    result = run(env, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Twilio refused the request (HTTP 400, error 21402)" in result.stderr
    assert "VoiceUrl is not valid" in result.stderr
    assert "Done" not in result.output


# ------------------------------------------------------------------- Messaging Services

def in_a_service(mock, service: dict, *others: dict) -> None:
    """The number is one of the service's senders (after ``others``, if any)."""
    mock.replace(responses.GET, SERVICES_URL, json=services_page(service))
    mock.get(f"{SERVICE_URL}/PhoneNumbers", json=senders_page(*others,
                                                               sender(NUMBER_SID, NUMBER)))


def test_a_number_in_a_messaging_service_gets_the_services_webhook_pointed_too(no_network,
                                                                              env):
    no_network.get(LIST_URL, json=page(number_json()))
    in_a_service(no_network, service_json())
    no_network.post(NUMBER_URL, json=number_json())
    no_network.post(SERVICE_URL, json=service_json())
    result = run(env, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    number_update, service_update = posts(no_network)
    assert number_update.request.url == NUMBER_URL
    assert service_update.request.url == SERVICE_URL
    assert service_update.request.headers["Authorization"] == basic(ACCOUNT, TOKEN)
    assert dict(parse_qsl(service_update.request.body, keep_blank_values=True)) == {
        "InboundRequestUrl": f"{BASE}/sms", "FallbackUrl": f"{BASE}/sms/fallback"}
    assert f"Messaging Service 'Clinic A2P' ({SERVICE_SID})" in result.output
    assert f"InboundRequestUrl: https://old.example.com/sms -> {BASE}/sms" in result.output
    assert f"FallbackUrl: (none) -> {BASE}/sms/fallback" in result.output
    assert "other number" not in result.output


def test_dry_run_shows_the_services_webhook_and_changes_nothing(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    in_a_service(no_network, service_json(inbound_method="GET"))
    result = run(env, "--number", NUMBER, "--base-url", BASE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert not posts(no_network)
    assert f"InboundRequestUrl: https://old.example.com/sms -> {BASE}/sms" in result.output
    assert "InboundMethod: GET -> POST" in result.output
    assert "nothing was changed" in result.output


def test_a_service_shared_with_other_numbers_is_named_as_such(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    in_a_service(no_network, service_json(), sender("PN" + "5" * 32, "+15005550001"),
                 sender("PN" + "6" * 32, "+15005550002"))
    result = run(env, "--number", NUMBER, "--base-url", BASE, "--dry-run")
    assert "the service has 2 other number(s); their texts will reach the line" in \
        result.output


def test_leave_messaging_service_warns_that_the_numbers_sms_url_is_ignored(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    in_a_service(no_network, service_json())
    no_network.post(NUMBER_URL, json=number_json())
    result = run(env, "--number", NUMBER, "--base-url", BASE, "--leave-messaging-service")
    assert result.exit_code == 0, result.output
    assert [c.request.url for c in posts(no_network)] == [NUMBER_URL]
    assert "the number's SMS URL is ignored" in result.output
    assert "https://old.example.com/sms" in result.output


def test_a_service_that_defers_to_the_number_is_left_alone(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    in_a_service(no_network, service_json(use_inbound_webhook_on_number=True))
    no_network.post(NUMBER_URL, json=number_json())
    result = run(env, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert [c.request.url for c in posts(no_network)] == [NUMBER_URL]
    assert "passes them to the number's own SMS URL" in result.output


def test_a_service_already_pointing_at_the_line_is_not_updated(no_network, env):
    current = LINE_ENDPOINTS
    no_network.get(LIST_URL, json=page(number_json(**{
        "voice_url": current["VoiceUrl"], "voice_fallback_url": current["VoiceFallbackUrl"],
        "status_callback": current["StatusCallback"], "sms_url": current["SmsUrl"],
        "sms_method": "POST", "sms_fallback_url": current["SmsFallbackUrl"]})))
    in_a_service(no_network, service_json(inbound_request_url=f"{BASE}/sms",
                                          fallback_url=f"{BASE}/sms/fallback"))
    result = run(env, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert not posts(no_network)
    assert "Nothing to change" in result.output


def test_a_number_in_no_service_of_several_changes_no_service(no_network, env):
    no_network.get(LIST_URL, json=page(number_json()))
    in_a_service(no_network, service_json())
    no_network.replace(responses.GET, f"{SERVICE_URL}/PhoneNumbers",
                       json=senders_page(sender("PN" + "5" * 32, "+15005550001")))
    no_network.post(NUMBER_URL, json=number_json())
    result = run(env, "--number", NUMBER, "--base-url", BASE)
    assert result.exit_code == 0, result.output
    assert [c.request.url for c in posts(no_network)] == [NUMBER_URL]
    assert "Messaging Service" not in result.output
