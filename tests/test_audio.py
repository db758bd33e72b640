"""Recorded prompts: a recording is played (served here, or from a configured base URL);
a missing, empty or unreadable one falls back to the spoken text, never to silence."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from voiceline import create_app
from voiceline.checks import load_checked
from voiceline.errors import SettingsError
from voiceline.testing import FlaskTransport, SimulatedCall

from .conftest import FIXTURE_PROMPTS

MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def record(prompts, lang: str, name: str, data: bytes = MP3):
    folder = prompts / lang / "audio"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def _transport(app):
    return FlaskTransport(app.test_client())


def make_app(config, prompts, **settings):
    return create_app({**config, "VOICELINE_PROMPTS_DIR": str(prompts),
                       "VOICELINE_PROMPTS_RELOAD_SECONDS": "3600", **settings})


def verbs_of_opening(app, signer) -> list[ET.Element]:
    params = {"CallSid": "CA" + "1" * 32, "From": "+15005550009", "To": "+15005550006"}
    response = app.test_client().post("/voice", data=params,
                                      headers=signer.headers("/voice", params))
    assert response.status_code == 200
    return list(ET.fromstring(response.get_data(as_text=True)))


def test_a_recording_is_played_and_served_instead_of_the_text(config, prompts, signer):
    record(prompts, "en", "call.welcome.mp3")
    app = make_app(config, prompts)
    welcome = load_checked(prompts).language("en").call["welcome"]
    verbs = verbs_of_opening(app, signer)
    plays = [v.text for v in verbs if v.tag == "Play"]
    said = [" ".join("".join(v.itertext()).split()) for v in verbs if v.tag == "Say"]
    assert plays == ["/audio/en/call.welcome.mp3"]
    assert welcome not in said, "the recording replaces the text"
    served = app.test_client().get(plays[0])
    assert served.status_code == 200 and served.data == MP3


def test_a_recording_in_one_language_leaves_the_other_spoken(config, prompts, signer):
    record(prompts, "es", "call.welcome.mp3")
    app = make_app(config, prompts)
    verbs = verbs_of_opening(app, signer)
    said = [" ".join("".join(v.itertext()).split()) for v in verbs if v.tag == "Say"]
    assert [v.text for v in verbs if v.tag == "Play"] == ["/audio/es/call.welcome.mp3"]
    assert load_checked(prompts).language("en").call["welcome"] in said


@pytest.mark.parametrize("base", ["https://cdn.example.org/line-audio",
                                  "https://cdn.example.org/line-audio/"])
def test_a_configured_base_url_is_played_from(config, prompts, signer, base):
    record(prompts, "en", "call.welcome.mp3")
    app = make_app(config, prompts, VOICELINE_AUDIO_BASE_URL=base)
    plays = [v.text for v in verbs_of_opening(app, signer) if v.tag == "Play"]
    assert plays == ["https://cdn.example.org/line-audio/en/call.welcome.mp3"]


def test_a_base_url_that_is_not_a_web_address_is_refused(config, prompts):
    with pytest.raises(SettingsError, match="VOICELINE_AUDIO_BASE_URL"):
        make_app(config, prompts, VOICELINE_AUDIO_BASE_URL="cdn.example.org/audio")


def _deleted(path):
    path.unlink()


def _emptied(path):
    path.write_bytes(b"")


def _unreadable(path):
    path.unlink()
    path.symlink_to(path.name)  # a link to itself: it cannot be opened by anyone, even root


@pytest.mark.parametrize("spoil", [_deleted, _emptied, _unreadable],
                         ids=["missing", "empty", "unreadable"])
def test_a_recording_that_cannot_be_played_is_spoken_instead(config, prompts, signer, spoil):
    recording = record(prompts, "en", "call.welcome.mp3")
    app = make_app(config, prompts)  # the catalog lists the recording ...
    spoil(recording)  # ... which then breaks before a call comes in
    welcome = load_checked(FIXTURE_PROMPTS).language("en").call["welcome"]
    verbs = verbs_of_opening(app, signer)
    said = [" ".join("".join(v.itertext()).split()) for v in verbs if v.tag == "Say"]
    assert welcome in said
    assert not [v for v in verbs if v.tag == "Play"]
    assert app.test_client().get("/audio/en/call.welcome.mp3").status_code == 404


def test_a_topic_recording_plays_when_the_topic_is_chosen(config, prompts, signer, catalog):
    topic = catalog.flow.topics[0]
    record(prompts, "en", f"topic.{topic}.wav", b"RIFF....WAVEfmt ")
    app = make_app(config, prompts)
    call = SimulatedCall(_transport(app), signer)
    call.start()
    call.press("1")
    heard = call.say(catalog.language("en").topics[topic].label)
    assert heard[0].played and heard[0].text == f"/audio/en/topic.{topic}.wav"
    assert catalog.language("en").topics[topic].spoken not in [h.text for h in heard]


def test_a_new_recording_is_picked_up_without_a_restart(config, prompts, signer):
    app = make_app(config, prompts, VOICELINE_PROMPTS_RELOAD_SECONDS="0")
    assert not [v for v in verbs_of_opening(app, signer) if v.tag == "Play"]
    record(prompts, "en", "call.emergency.mp3")
    assert [v.text for v in verbs_of_opening(app, signer) if v.tag == "Play"] == [
        "/audio/en/call.emergency.mp3"]


@pytest.mark.parametrize("name", ["../line.toml", "..%2Fline.toml", "call.welcome.toml",
                                  "nothing.mp3"])
def test_only_listed_recordings_are_served(config, prompts, name):
    record(prompts, "en", "call.welcome.mp3")
    app = make_app(config, prompts)
    assert app.test_client().get(f"/audio/en/{name}").status_code == 404
