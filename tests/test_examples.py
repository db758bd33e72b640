"""Learning from examples: requests people sent, under the topic that answers them
(``<lang>/examples.toml``), give the line a second opinion (``text.likelihood``) that
settles close calls, doubts a sure topic it disagrees with, and alone only offers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voiceline.checks import read_checked
from voiceline.engine import understand as understanding
from voiceline.engine.understand import OFF_TOPIC, Understood, decide, understand
from voiceline.text.likelihood import Guess, learn
from voiceline.text.separation import Pick, separate
from voiceline.text.understanding import build_index
from voiceline.text.vocabulary import read_labelled

from .conftest import FIXTURE_PROMPTS

ROOT = Path(__file__).resolve().parent.parent

# ----------------------------------------------------------------- the learner (pure)

CONCEPTS = {"benefits": ["benefits", "help"], "risks": ["risks", "side effects"],
            "cost": ["cost", "price"]}
LABELLED = [
    ("is it worth it", "benefits"), ("will it fix me", "benefits"),
    ("will i move better", "benefits"), ("whats the catch", "risks"),
    ("can it make things worse", "risks"), ("any bad reactions", "risks"),
    ("how much $$", "cost"), ("is it gonna cost me an arm and a leg", "cost"),
    ("can i afford it", "cost"),
]


@pytest.fixture(scope="module")
def learner():
    index = build_index(CONCEPTS, "en")
    return learn(index, [*((p, k) for k, ps in CONCEPTS.items() for p in ps), *LABELLED])


@pytest.mark.parametrize("request_text,likeliest", [
    ("whats the catch with this", "risks"),  # a word only the examples have
    ("could it make my neck worse", "risks"),
    ("would it be worth it for me", "benefits"),
    ("afford?", "cost"),
    ("an arm and a leg??", "cost"),
])
def test_a_learner_guesses_from_the_words_its_examples_share(learner, request_text, likeliest):
    guess = learner.guess(request_text)
    assert guess.key == likeliest
    assert 0.5 < guess.probability <= 1.0


def test_a_request_of_words_never_seen_is_no_confident_guess(learner):
    assert learner.guess("zzqx blorp").probability < 0.5
    assert learner.guess("").probability < 0.5


def test_a_learner_of_nothing_guesses_nothing():
    assert learn(build_index(CONCEPTS, "en"), []).guess("cost") == Guess(None, 0.0)


def test_labelled_requests_are_read_once_into_numbers_of_their_features():
    index = build_index(CONCEPTS, "en")
    read = read_labelled(index, [("is it worth it", "benefits"), ("", "risks"),
                                 ("how much $$", "cost")])
    assert read.keys == ("benefits", "cost")  # "" teaches nothing
    features = {f for text in ("is it worth it", "how much $$") for f in index.features(text)}
    assert len(read.vocabulary) == len(features)
    assert sorted({n for numbers, _ in read for n in numbers}) == list(range(len(features)))
    worth = read.vocabulary.numbers(index.features("worth it"))
    assert worth and set(worth) <= set(read.numbers(0))
    assert set(read.vocabulary.numbers(index.features("how much"))) < set(read.numbers(1))
    assert read.vocabulary.numbers(["zzqx", "blorp"]) == []  # never learned: no number
    assert read.vocabulary.number("zzqx") is None


# ------------------------------------------------------------- the separator (pure)

@pytest.fixture(scope="module")
def separator():
    index = build_index(CONCEPTS, "en")
    return separate(index, [*((p, k) for k, ps in CONCEPTS.items() for p in ps), *LABELLED])


@pytest.mark.parametrize("request_text,nearest", [
    ("whats the catch with this", "risks"),
    ("could it make my neck worse", "risks"),
    ("would it be worth it for me", "benefits"),
    ("afford?", "cost"),
    ("an arm and a leg??", "cost"),
])
def test_a_separator_picks_the_concept_whose_words_tell_it_apart(separator, request_text,
                                                                nearest):
    pick = separator.pick(request_text)
    assert pick.key == nearest and pick.margin > 0


def test_a_separator_has_no_opinion_of_words_it_never_learned(separator):
    assert separator.pick("zzqx blorp") == Pick(None, 0.0)
    assert separator.pick("") == Pick(None, 0.0)
    assert separate(build_index(CONCEPTS, "en"), []).pick("cost") == Pick(None, 0.0)


def test_a_separator_learns_the_same_weights_every_time():
    index = build_index(CONCEPTS, "en")
    labelled = [*((p, k) for k, ps in CONCEPTS.items() for p in ps), *LABELLED]
    picks = {separate(index, labelled).pick("is it worth the price") for _ in range(3)}
    assert len(picks) == 1


def test_every_worker_learns_the_very_same_opinions():
    # Workers hash strings each with a seed of their own; the opinions must not depend
    # on it, to the last bit, or two workers could answer one request two ways.
    script = (
        "from tests.test_examples import CONCEPTS, LABELLED\n"
        "from voiceline.text.likelihood import learn\n"
        "from voiceline.text.separation import separate\n"
        "from voiceline.text.understanding import build_index\n"
        "index = build_index(CONCEPTS, 'en')\n"
        "labelled = [*((p, k) for k, ps in CONCEPTS.items() for p in ps), *LABELLED]\n"
        "learner, separator = learn(index, labelled), separate(index, labelled)\n"
        "for text in ('is it worth the price', 'whats the catch', 'afford it or not'):\n"
        "    print(repr(learner.guess(text)), repr(separator.pick(text)))\n")
    heard = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}
                            ).stdout for seed in ("1", "2", "3")}
    assert len(heard) == 1 and "Pick(" in heard.pop()


# ------------------------------------------------- the decision with a second opinion

PHRASES = {"benefits": ["benefits", "what good does it do"], "risks": ["risks", "dangers"],
           "recovery": ["recovery", "downtime"], OFF_TOPIC: ["appointment"]}


def ranked(request_text: str):
    return build_index(PHRASES, "en", whole=(OFF_TOPIC,)).rank(request_text)


LEARNED = frozenset({"benefits", "risks", "recovery"})
JUST_ADDED = frozenset({"benefits", "recovery"})  # risks has no examples yet


@pytest.mark.parametrize("request_text,guess,learned,decision", [
    # A close call settled by a confident opinion that agrees with the leading topic.
    ("benefits or risks", Guess("benefits", 0.995), LEARNED,
     Understood("en", topic="benefits")),
    # Likely, not enough to state as sure (SETTLE): offered first, and it is first already.
    ("benefits or risks", Guess("benefits", 0.9), LEARNED,
     Understood("en", choices=("benefits", "risks"))),
    # Not confident enough: still a close call.
    ("benefits or risks", Guess("benefits", 0.6), LEARNED,
     Understood("en", choices=("benefits", "risks"))),
    # The opinion prefers the runner-up: offered first, not answered.
    ("benefits or risks", Guess("risks", 0.95), LEARNED,
     Understood("en", choices=("risks", "benefits"))),
    # A close call it is sure no topic answers ("can you hear me"): the menu, no guess.
    ("benefits or risks", Guess(OFF_TOPIC, 0.9), LEARNED, Understood("")),
    # A sure topic strongly doubted: "did you mean" that topic or the other.
    ("what are the risks", Guess("recovery", 0.9), LEARNED,
     Understood("en", choices=("risks", "recovery"))),
    ("what are the risks", Guess("recovery", 0.75), LEARNED,  # as likely as offered first
     Understood("en", choices=("risks", "recovery"))),
    # ... or only that topic, when the opinion is that no topic answers it.
    ("what are the risks", Guess(OFF_TOPIC, 0.9), LEARNED, Understood("en", choices=("risks",))),
    # A topic the learner has no examples of (one just added) is not doubted.
    ("what are the risks", Guess("recovery", 0.9), frozenset({"recovery"}),
     Understood("en", topic="risks")),
    # Agreement keeps it sure.
    ("what are the risks", Guess("risks", 0.99), LEARNED, Understood("en", topic="risks")),
    # The words name nothing: the opinion alone neither answers nor offers.
    ("will i be laid up long", Guess("recovery", 0.99), LEARNED, Understood("")),
    # An off-topic phrase at least as strong as any topic: nothing, whatever the opinion.
    ("appointment", Guess("recovery", 0.99), LEARNED, Understood("")),
    # ... unless it is all but certain of the runner-up.
    ("benefits or risks", Guess("risks", 0.9995), LEARNED, Understood("en", topic="risks")),
    # A long word the line does not know may be the real subject: offered, not answered,
    ("benefits or risks of the toenails", Guess("benefits", 0.99), LEARNED,
     Understood("en", choices=("benefits", "risks"))),
    ("benefits or risks of the toenails", Guess("risks", 0.9995), LEARNED,
     Understood("en", choices=("risks", "benefits"))),
    # ... unless the opinion that agrees with the leading topic is all but certain.
    ("benefits or risks of the toenails", Guess("benefits", 0.9995), LEARNED,
     Understood("en", topic="benefits")),
    # No opinion: the phrases alone decide.
    ("benefits or risks", None, LEARNED, Understood("en", choices=("benefits", "risks"))),
])
def test_a_second_opinion_settles_doubts_and_offers_but_never_answers_alone(
        request_text, guess, learned, decision):
    assert decide(ranked(request_text), "en", guess, learned) == decision


@pytest.mark.parametrize("request_text,guess,pick,learned,decision", [
    # Both learned opinions agree, sure and well apart: a close call is answered ...
    ("benefits or risks", Guess("risks", 0.95), Pick("risks", 0.3), LEARNED,
     Understood("en", topic="risks")),
    # ... and so is a sure topic they both doubt (the phrases read it wrong).
    ("what are the risks", Guess("recovery", 0.95), Pick("recovery", 0.3), LEARNED,
     Understood("en", topic="recovery")),
    # ... and agreeing that no topic answers it gets the menu.
    ("benefits or risks", Guess(OFF_TOPIC, 0.95), Pick(OFF_TOPIC, 0.3), LEARNED, Understood("")),
    # Agreement that is not sure enough, or not apart enough, answers nothing new.
    ("benefits or risks", Guess("risks", 0.8), Pick("risks", 0.3), LEARNED,
     Understood("en", choices=("risks", "benefits"))),
    ("benefits or risks", Guess("risks", 0.95), Pick("risks", 0.05), LEARNED,
     Understood("en", choices=("risks", "benefits"))),
    # The separator alone disagreeing with a sure topic makes it "did you mean" both.
    ("what are the risks", Guess("risks", 0.6), Pick("recovery", 0.2), LEARNED,
     Understood("en", choices=("risks", "recovery"))),
    # ... but not a topic without examples of its own (one just added).
    ("what are the risks", Guess("risks", 0.6), Pick("recovery", 0.2), JUST_ADDED,
     Understood("en", topic="risks")),
    # A close call without the separator's topic gets it offered first.
    ("benefits or risks", Guess("benefits", 0.5), Pick("recovery", 0.2), LEARNED,
     Understood("en", choices=("recovery", "benefits", "risks"))),
    # The words name nothing: only both opinions all but sure and far apart answer
    # (commands said in a sentence are heard before, by the call engine) ...
    ("will i be laid up long", Guess("recovery", 0.999), Pick("recovery", 0.3), LEARNED,
     Understood("en", topic="recovery")),
    # ... never less sure, or closer.
    ("will i be laid up long", Guess("recovery", 0.95), Pick("recovery", 0.9), LEARNED,
     Understood("")),
    ("will i be laid up long", Guess("recovery", 0.999), Pick("recovery", 0.15), LEARNED,
     Understood("")),
    # An off-topic phrase at least as strong as any topic: nothing, whatever they say.
    ("appointment or risks", Guess("risks", 0.999), Pick("risks", 0.9), LEARNED, Understood("")),
    # The phrases sure and the separator well ahead for the same topic outvote the
    # counting learner's doubt, whether it prefers another topic or none ...
    ("what are the risks", Guess("recovery", 0.95), Pick("risks", 0.3), LEARNED,
     Understood("en", topic="risks")),
    ("what are the risks", Guess(OFF_TOPIC, 0.95), Pick("risks", 0.5), LEARNED,
     Understood("en", topic="risks")),
    # ... but not with the separator only a little ahead: then the doubt is asked.
    ("what are the risks", Guess("recovery", 0.95), Pick("risks", 0.2), LEARNED,
     Understood("en", choices=("risks", "recovery"))),
    ("what are the risks", Guess(OFF_TOPIC, 0.95), Pick("risks", 0.2), LEARNED,
     Understood("en", choices=("risks",))),
    # A close call is no sure topic: the separator agreeing with its leader does not
    # outvote a learner sure that no topic answers it (the menu, as without a separator).
    ("benefits or risks", Guess(OFF_TOPIC, 0.95), Pick("benefits", 0.5), LEARNED,
     Understood("")),
])
def test_two_learned_opinions_that_agree_answer_what_the_phrases_leave_open(
        request_text, guess, pick, learned, decision):
    assert decide(ranked(request_text), "en", guess, learned, pick) == decision


# ------------------------------------------------------------- the file and the line

EXAMPLES = """
what_it_is = ["what is it exactly", "what are stem cells", "explain it to me"]
risks = ["whats the catch", "so whats the catch here", "what is the catch with it",
         "is there a catch", "catch?", "any catch to it", "whats the downside"]
recovery = ["will i be laid up", "how long am i laid up", "laid up after?"]
none = ["where do i park", "parking?"]
"""


@pytest.fixture
def prompts(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    return folder


def findings_of(folder, severity: str):
    catalog, findings = read_checked(folder)
    return catalog, [f for f in findings if f.severity == severity]


def with_examples(folder, text: str, severity: str):
    """The English examples file written as ``text``, then the findings of that severity."""
    (folder / "en" / "examples.toml").write_text(text, encoding="utf-8")
    return findings_of(folder, severity)


def test_the_file_is_optional_and_read_when_there(prompts):
    catalog, errors = findings_of(prompts, "error")
    assert catalog is not None and not errors
    assert dict(catalog.languages["en"].examples) == {}
    (prompts / "en" / "examples.toml").write_text(EXAMPLES, encoding="utf-8")
    catalog, errors = findings_of(prompts, "error")
    assert catalog is not None and not errors
    assert catalog.languages["en"].examples["risks"][0] == "whats the catch"
    assert catalog.languages["en"].examples["none"] == ("where do i park", "parking?")


def test_examples_that_are_no_list_are_an_error_naming_file_line_and_fix(prompts):
    catalog, errors = with_examples(
        prompts, '# requests\n\nrisks = ["whats the catch"]\ncost = "how much"\n', "error")
    assert catalog is None
    assert [(e.file, e.line) for e in errors] == [("prompts/en/examples.toml", 4)]
    assert "list of requests" in errors[0].message and 'cost = ["' in errors[0].fix


def test_a_broken_examples_file_is_an_error_with_its_line(prompts):
    catalog, errors = with_examples(prompts, 'risks = ["whats the catch"\n', "error")
    assert catalog is None and errors[0].file == "prompts/en/examples.toml"
    assert errors[0].line is not None


def test_examples_under_no_topic_or_under_two_are_warnings_and_the_line_serves(prompts):
    catalog, warnings = with_examples(
        prompts, 'risk = ["whats the catch"]\nrisks = ["laid up?"]\nrecovery = ["Laid up?"]\n',
        "warning")
    assert catalog is not None
    mine = [w for w in warnings if w.file == "prompts/en/examples.toml"]
    assert len(mine) == 2
    unknown = next(w for w in mine if "not a topic" in w.message)
    assert unknown.line == 1 and "risks" in unknown.fix
    both = next(w for w in mine if "under both" in w.message)
    assert both.line == 3
    assert "risk" not in catalog.languages["en"].examples


def test_an_example_with_a_phone_number_is_a_warning(prompts):
    catalog, warnings = with_examples(
        prompts, 'cost = ["how much", "call me back at (555) 010-2233 about the price"]\n',
        "warning")
    assert catalog is not None
    assert [w.line for w in warnings if "phone number" in w.message] == [1]


def test_a_wrong_sure_guess_is_corrected_and_nothing_is_guessed_from_examples_alone(
        prompts, monkeypatch):
    # The fixture's words read "whats the catch" as "what is it": sure, and wrong.
    before, _ = read_checked(prompts)
    assert before is not None
    assert understand(before, "whats the catch", "en").topic == "what_it_is"
    assert not understand(before, "is there some catch", "en").anything
    (prompts / "en" / "examples.toml").write_text(EXAMPLES, encoding="utf-8")
    monkeypatch.setattr(understanding, "EXAMPLES_PER_TOPIC", 0)  # a small file counts here
    after, _ = read_checked(prompts)
    assert after is not None
    # Both learned opinions say risks, sure and apart: the examples correct the words.
    assert understand(after, "whats the catch then", "en") == Understood("en", topic="risks")
    # What only the examples know is answered only when both learned opinions are all
    # but sure of it; off-topic stays nothing.
    assert understand(after, "is there some catch", "en") == Understood("en", topic="risks")
    assert not understand(after, "where do i park", "en").topic
    assert not understand(after, "zzqx blorp", "en").anything


def test_while_learning_runs_elsewhere_a_request_is_answered_by_the_words_at_once(
        prompts, monkeypatch):
    """After a start or a prompt edit, learning takes seconds; a caller meanwhile is
    answered at once, as a line without learning answers, never left waiting."""
    import threading

    (prompts / "en" / "examples.toml").write_text(EXAMPLES, encoding="utf-8")
    monkeypatch.setattr(understanding, "EXAMPLES_PER_TOPIC", 0)
    catalog, _ = read_checked(prompts)
    assert catalog is not None
    monkeypatch.setattr(understanding, "_readers", [])  # the check's own build forgotten
    monkeypatch.setattr(understanding, "_unlearned", [])
    learning, release = threading.Event(), threading.Event()
    real_learning = understanding._learned

    def slow_learning(reader, lang):
        learning.set()
        release.wait(10)  # held up until the requests below are answered (or 10 s)
        return real_learning(reader, lang)

    monkeypatch.setattr(understanding, "_learned", slow_learning)
    builder = threading.Thread(target=understanding.prepare, args=(catalog,))
    builder.start()
    try:
        assert learning.wait(10)
        # The words alone, as before any example was filed, and a filed request as filed.
        assert understand(catalog, "whats the catch then", "en") == \
            Understood("en", topic="what_it_is")
        assert understand(catalog, "whats the catch", "en") == Understood("en", topic="risks")
        assert not release.is_set()
    finally:
        release.set()
        builder.join(20)
    assert understand(catalog, "whats the catch then", "en") == Understood("en", topic="risks")
    assert understanding._unlearned == []


def test_a_failed_learning_is_tried_again_not_left_serving_the_words_alone(
        prompts, monkeypatch):
    (prompts / "en" / "examples.toml").write_text(EXAMPLES, encoding="utf-8")
    monkeypatch.setattr(understanding, "EXAMPLES_PER_TOPIC", 0)
    catalog, _ = read_checked(prompts)
    assert catalog is not None
    monkeypatch.setattr(understanding, "_readers", [])
    monkeypatch.setattr(understanding, "_unlearned", [])
    real_learning = understanding._learned
    failures = []

    def failing_once(reader, lang):
        if not failures:
            failures.append(lang.code)
            raise MemoryError("learning failed")
        return real_learning(reader, lang)

    monkeypatch.setattr(understanding, "_learned", failing_once)
    with pytest.raises(MemoryError):
        understanding.prepare(catalog)
    assert understanding._unlearned == []
    # The next request learns again, and is understood with what was learned.
    assert understand(catalog, "whats the catch then", "en") == Understood("en", topic="risks")


def test_a_few_examples_answer_themselves_and_nothing_else(prompts):
    """With fewer than about ten examples per topic the learner would only echo the
    topics' own words, confidently: there is no second opinion. The requests filed are
    still answered as the operator filed them (case, punctuation and text-speak aside)."""
    (prompts / "en" / "examples.toml").write_text(EXAMPLES, encoding="utf-8")
    with_few, _ = read_checked(prompts)
    assert with_few is not None
    assert understand(with_few, "Whats the CATCH?", "en") == Understood("en", topic="risks")
    assert understand(with_few, "wat is the catch with it", "en") == \
        Understood("en", topic="risks")
    assert understand(with_few, "whats the catch then", "en") == \
        Understood("en", topic="what_it_is")  # not filed: the words alone decide
    assert understand(with_few, "parking?", "en") == Understood("")  # filed under none


def test_the_check_says_how_many_examples_there_are_and_whether_they_are_enough(prompts):
    from click.testing import CliRunner

    from voiceline.cli import cli

    (prompts / "en" / "examples.toml").write_text(EXAMPLES, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(prompts)])
    assert result.exit_code == 0, result.output
    assert "Examples of requests (examples.toml): en 15 (it learns from them from 100), " \
           "es 0 (it learns from them from 100)." in result.output
