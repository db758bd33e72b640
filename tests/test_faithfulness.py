"""Faithfulness to the guide, checked by the machine: a topic's sentences may not claim
numbers, prices or strong words its guide section does not contain, and sentences with
little support in the section are named."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from voiceline.checks import read_checked
from voiceline.checks.faithfulness import support, unsupported_claims
from voiceline.cli import cli

from .conftest import FIXTURE_PROMPTS

INVENTED = "This treatment cures 95% of patients for $500."


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def set_topic_text(folder, lang, topic, part, words):
    path = folder / lang / "topics.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"[{topic}]")
    found = re.compile(rf'(?ms)^{part} = """.*?"""').search(text, start)
    path.write_text(text[:found.start()] + f'{part} = """\n{words}\n"""' + text[found.end():],
                    encoding="utf-8")
    return path


def section(catalog, topic_id):
    topic = catalog.languages["en"].topics[topic_id]
    return catalog.guide.sections[topic.source]


def test_check_rejects_the_invented_sentence_naming_each_claim(prompts):
    path = set_topic_text(prompts, "en", "success_rate", "text",
                          f"Results vary. {INVENTED} Research is ongoing.")
    result = CliRunner().invoke(cli, ["check", str(prompts)])
    assert result.exit_code == 1
    catalog, findings = read_checked(prompts)
    assert catalog is None
    [error] = [f for f in findings if f.severity == "error"]
    assert error.where == "topics.success_rate.text" and INVENTED in error.message
    for claim in ("'cures'", "95", "a percentage", "a price"):
        assert claim in error.message
    assert error.file.endswith("en/topics.toml")
    assert path.read_text().splitlines()[error.line - 1].startswith("text")


def test_the_same_claims_in_spanish_are_errors_too(prompts):
    set_topic_text(prompts, "es", "benefits", "spoken",
                   "Este tratamiento cura al 95 por ciento de los pacientes por 500 dólares. "
                   "Está aprobado por la FDA.")
    _, findings = read_checked(prompts)
    errors = [f.message for f in findings if f.severity == "error"]
    assert len(errors) == 2, errors  # one per sentence
    assert "'cura'" in errors[0] and "a percentage" in errors[0] and "a price" in errors[0]
    assert "'aprobado'" in errors[1] and "'fda'" in errors[1]


@pytest.mark.parametrize("sentence,topic,claims", [
    ("Results are not guaranteed.", "success_rate", []),
    ("Results aren't guaranteed for anyone.", "success_rate", []),
    ("Results are guaranteed.", "success_rate", ["'guaranteed'"]),
    ("Los resultados no están garantizados.", "success_rate", []),
    ("Los resultados están garantizados.", "success_rate", ["'garantizados'"]),
    ("The relief is permanent.", "benefits", ["'permanent'"]),
    ("It always works and never fails.", "benefits", ["'always'", "'never'"]),
    ("It is proven and FDA approved.", "what_it_is", ["'proven'", "'approved'", "'fda'"]),
    ("A visit costs about 2,000 dollars.", "cost", ["2,000", "a price"]),
    ("Half of all patients are cured.", "success_rate", ["'half'", "'cured'"]),
    ("It is not a cure.", "what_it_is", ["'cure'"]),  # the guide makes no such statement
    ("Mild soreness where the shot went in is common.", "risks", []),
])
def test_claims_are_held_to_the_section(catalog, sentence, topic, claims):
    lang = "es" if any(w in sentence for w in ("están", "Los")) else "en"
    found = [c.what for c in unsupported_claims(sentence, lang, section(catalog, topic))]
    for claim in claims:
        assert claim in found, (sentence, found)
    assert len(found) >= len(claims) and (claims or not found), found


def test_a_negated_word_only_the_guide_negates_must_stay_negated(catalog):
    [claim] = unsupported_claims("Results are guaranteed.", "en",
                                 section(catalog, "success_rate"))
    assert claim.negated  # the guide has the word, but only with "not"


def test_sentences_with_little_support_are_warned_about_by_name(prompts):
    sentence = "Our friendly team offers yoga classes and free parking downtown."
    set_topic_text(prompts, "en", "insurance", "spoken",
                   "Coverage varies a lot. Some insurance companies cover it in some cases. "
                   f"Others do not. {sentence}")
    catalog, findings = read_checked(prompts)
    assert catalog is not None, "little support is a warning, never an error"
    warned = [f for f in findings if f.where == "topics.insurance.spoken"
              and "little support" in f.message]
    assert len(warned) == 1 and sentence in warned[0].message
    assert warned[0].severity == "warning"


def test_plain_words_for_the_guides_count_as_support(catalog):
    share, _ = support("A doctor gives the shot where the neck hurts.",
                       section(catalog, "what_it_is"))
    assert share >= 0.5
    share, _ = support("Bring your dog to the beach on weekends.", section(catalog, "cost"))
    assert share < 0.4
