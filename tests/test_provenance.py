"""Honest provenance and 911 by text: no topic claims a review that did not happen, a review
holds only for the words reviewed, and every texter learns to call 911 in an emergency."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from voiceline import create_app
from voiceline.checks import load_checked, read_checked
from voiceline.checks.provenance import Review, awaiting_review
from voiceline.cli import cli
from voiceline.settings import REPO_PROMPTS
from voiceline.testing import FlaskTransport, SimulatedTexter
from voiceline.text import gsm

from .conftest import FIXTURE_PROMPTS


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def check_json(folder):
    result = CliRunner().invoke(cli, ["check", "--json", str(folder)])
    return result.exit_code, json.loads(result.output)


def test_the_shipped_prompts_claim_no_review_that_did_not_happen():
    catalog = load_checked(REPO_PROMPTS)
    for lang in catalog.languages.values():
        for topic in lang.topics.values():
            assert (topic.reviewed_by, topic.reviewed) == ("not yet reviewed", None)
    assert len(awaiting_review(catalog)) == sum(len(lang.topics)
                                                for lang in catalog.languages.values())


def test_check_lists_topics_awaiting_review_apart_from_its_warnings(prompts):
    code, report = check_json(prompts)
    assert code == 0
    assert len(report["awaiting_review"]) == 20
    assert {a["review"] for a in report["awaiting_review"]} == {"not yet reviewed"}
    assert not any("review" in f["message"].lower() for f in report["findings"])
    output = CliRunner().invoke(cli, ["check", str(prompts)]).output
    assert "Awaiting clinical review: 20 topic(s)" in output
    assert "en/risks" in output and "es/cost" in output


def test_a_review_is_recorded_by_command_and_goes_out_of_date_when_the_words_change(prompts):
    result = CliRunner().invoke(cli, ["review", str(prompts), "--by", "Dr. Ana Ruiz, MD",
                                      "--topic", "risks", "--lang", "es"])
    assert result.exit_code == 0, result.output
    catalog = load_checked(prompts)
    risks = catalog.languages["es"].topics["risks"]
    assert risks.reviewed_by == "Dr. Ana Ruiz, MD" and risks.reviewed is not None
    assert risks.reviewed_words == risks.words_hash()
    assert catalog.languages["en"].topics["risks"].reviewed is None  # only what was named
    awaiting = {(a.lang, a.topic): a.review for a in awaiting_review(catalog)}
    assert ("es", "risks") not in awaiting and len(awaiting) == 19
    assert "# Spanish topics" in (prompts / "es" / "topics.toml").read_text(), "notes kept"

    path = prompts / "es" / "topics.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[risks]")
    cut = text.index("text = ", start)
    path.write_text(text[:cut] + text[cut:].replace("pero pueden pasar", "pero pasan", 1),
                    encoding="utf-8")
    catalog = load_checked(prompts)
    awaiting = {(a.lang, a.topic): a.review for a in awaiting_review(catalog)}
    assert awaiting[("es", "risks")] is Review.OUT_OF_DATE
    _, report = check_json(prompts)
    assert {"language": "es", "topic": "risks", "review": "review out of date"} in \
        report["awaiting_review"]


def test_a_reviewer_name_cannot_break_the_file(prompts):
    result = CliRunner().invoke(cli, ["review", str(prompts), "--by", 'Dr. "Q" \\ Z',
                                      "--topic", "cost"])
    assert result.exit_code == 0, result.output
    assert load_checked(prompts).languages["en"].topics["cost"].reviewed_by == "Dr. Q Z"


@pytest.mark.parametrize("args,message", [
    (["--by", "  "], "must name the reviewer"),
    (["--by", "Dr. X", "--topic", "nope"], "no such topic"),
    (["--by", "Dr. X", "--lang", "fr"], "no such topic or language"),
])
def test_review_refuses_what_it_cannot_record(prompts, args, message):
    result = CliRunner().invoke(cli, ["review", str(prompts), *args])
    assert result.exit_code != 0 and message in result.output
    assert load_checked(prompts).languages["en"].topics["risks"].reviewed is None


def test_a_name_without_a_date_is_a_warning_not_a_review(prompts):
    path = prompts / "en" / "topics.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[cost]")
    path.write_text(text[:start] + text[start:].replace(
        'reviewed_by = "not yet reviewed"', 'reviewed_by = "Dr. Lee"', 1), encoding="utf-8")
    catalog, findings = read_checked(prompts)
    assert catalog is not None
    assert any(f.where == "topics.cost.reviewed" and f.severity == "warning" for f in findings)
    assert ("en", "cost") in {(a.lang, a.topic) for a in awaiting_review(catalog)}


def test_healthz_counts_the_topics_awaiting_review(client):
    body = client.get("/healthz").get_json()
    assert body["topics_awaiting_review"] == 20


# ------------------------------------------------------------------------------ 911

# (first text, the language of the answer, the most segments it may take)
FIRST_TEXTS = [("hello", "en", 2), ("hola", "es", 2), ("ES", "es", 2), ("HELP", "en", 3),
               ("AYUDA", "es", 3), ("how much does it cost", "en", 3)]


@pytest.mark.parametrize("first,lang,segments", FIRST_TEXTS)
def test_the_first_reply_names_911_within_its_segments(config, signer, catalog, first, lang,
                                                      segments):
    app = create_app(config)
    reply = SimulatedTexter(FlaskTransport(app.test_client()), signer,
                            number="+15005550081").send(first)
    words = catalog.languages[lang]
    assert gsm.to_gsm7(words.text["emergency"]) in reply and "911" in reply
    assert gsm.segments(reply) <= segments, reply


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_help_reply_names_911_in_the_texters_language(texter, catalog, lang):
    texter.send("ES" if lang == "es" else "ENGLISH")
    words = catalog.languages[lang]
    reply = texter.send("HELP")
    assert reply.startswith(gsm.to_gsm7(words.text["emergency"]))
    assert "Reply STOP to opt out" in reply and gsm.segments(reply) <= 3


def test_check_refuses_an_emergency_line_without_911(prompts):
    path = prompts / "es" / "line.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'emergency = "¿Emergencia? Llame al 911."', 'emergency = "¿Emergencia? Llame."'),
        encoding="utf-8")
    catalog, findings = read_checked(prompts)
    assert catalog is None
    assert any(f.where == "text.emergency" and "911" in f.message for f in findings)
