"""The understanding engine: a request in someone's own words -> ranked concepts (pure),
and the line's decision from them: sure, "did you mean", or nothing."""

from __future__ import annotations

import pytest

from voiceline.engine.understand import Understood, decide, understand
from voiceline.text.understanding import build_index, spoken_key, words_of

# A small concept set of its own: the engine is not tied to the topics.
CONCEPTS = {
    "chest": ["chest pain", "chest hurts", "heart attack"],
    "breathing": ["cannot breathe", "short of breath", "breathing"],
    "fever": ["fever", "high temperature"],
}


@pytest.fixture(scope="module")
def index():
    return build_index(CONCEPTS, "en", ignore=["neck"])


@pytest.mark.parametrize("request_text,best", [
    ("my chest hurts", "chest"),
    ("um I think I am having a heart attack", "chest"),
    ("I cant breathe, short of breth", "breathing"),   # a typo in a longer word
    ("feverr", "fever"),
    ("HIGH TEMPERATURE!!", "fever"),
])
def test_any_concept_set_is_ranked_best_first(index, request_text, best):
    ranking = index.rank(request_text)
    assert ranking.best is not None and ranking.best.key == best


@pytest.mark.parametrize("request_text", ["", "   ", "?!", "the neck", "what is it", "zzqx"])
def test_nothing_in_a_request_means_no_concept(index, request_text):
    assert index.rank(request_text).matches == ()


@pytest.mark.parametrize("request_text,best", [
    ("mychesthurts", "chest"),
    ("HIGHTEMPERATUREAGAIN", "fever"),
    ("icannotbreathe", "breathing"),
])
def test_words_typed_without_spaces_are_read_apart(index, request_text, best):
    ranking = index.rank(request_text)
    assert ranking.best is not None and ranking.best.key == best


@pytest.mark.parametrize("request_text", [
    "qwertyuiopasdf",  # no known pieces
    "chestxqzvbnmlk",  # a known word, then nothing known
    "breathing" * 6,  # known pieces, but too long a word to cut up
])
def test_a_long_unknown_word_is_cut_only_into_known_words(index, request_text):
    assert index.rank(request_text).matches == ()


def test_a_word_of_another_language_is_not_cut_into_this_ones_words():
    concepts = {"results": ["result"], "rules": ["dos and donts"]}
    assert build_index(concepts, "en").rank("resultados").best is not None
    index = build_index(concepts, "en", foreign=["los resultados"])
    assert index.rank("resultados").matches == ()


def test_short_words_are_not_stretched_into_other_words():
    index = build_index({"step": ["steps"], "care": ["care"]}, "en")
    assert index.rank("stop").matches == ()
    assert index.rank("card").matches == ()


@pytest.mark.parametrize("said,key", [
    ("two", "2"), ("press 3", "3"), ("number one", "1"), ("9", "9"),
    ("oprimo dos", "2"), ("cinco", "5"), ("tell me about risks", ""), ("", ""),
])
def test_keys_said_as_words(said, key):
    lang = "es" if said in ("oprimo dos", "cinco") else "en"
    assert spoken_key(said, lang) == key


# (request, language of the caller or texter, the decision) on the fixture prompts.
DECISIONS = [
    ("how much does it cost?", "en", Understood("en", topic="cost")),
    ("insurrance", "en", Understood("en", topic="insurance")),
    ("recoverey time?", "en", Understood("en", topic="recovery")),
    ("sucess rate", "en", Understood("en", topic="success_rate")),
    ("are there any side efects", "en", Understood("en", topic="risks")),
    ("what are the downsides", "en", Understood("en", topic="risks")),
    ("pricey?", "en", Understood("en", topic="cost")),
    ("um uh how does it work", "en", Understood("en", topic="how_it_works")),
    ("does it work", "en", Understood("en", topic="success_rate")),
    ("whatsthe cost", "en", Understood("en", topic="cost")),
    ("HOWMUCHDOESITCOST", "en", Understood("en", topic="cost")),  # typed without spaces
    ("cuantocuestaeltratamiento", "es", Understood("es", topic="cost")),
    ("efetos secundarios", "es", Understood("es", topic="risks")),
    ("recuperasion", "es", Understood("es", topic="recovery")),
    ("de donde sacan las celulas", "es", Understood("es", topic="what_it_is")),
    # The other language: answered in the language of the request.
    ("cuanto cuesta", "en", Understood("es", topic="cost")),
    ("what are the risks", "es", Understood("en", topic="risks")),
    # Off-topic and gibberish: nothing, never a guess.
    ("can i make an appointment", "en", Understood("")),
    ("refill my prescription", "en", Understood("")),
    ("necesito una cita", "es", Understood("")),
    ("asdfgh qwerty", "en", Understood("")),
    ("", "en", Understood("")),
]


@pytest.mark.parametrize("request_text,lang,decision", DECISIONS)
def test_decisions_on_the_fixture_prompts(catalog, request_text, lang, decision):
    assert understand(catalog, request_text, lang) == decision


def test_a_close_call_offers_at_most_three_topics_and_states_none(catalog):
    found = understand(catalog, "risks and recovery and cost and insurance", "en")
    assert not found.topic
    assert 2 <= len(found.choices) <= 3


def test_a_long_text_is_no_sure_topic(catalog):
    found = understand(catalog, "banana " * 200 + "cost", "en")
    assert not found.topic


THIN = {"risks": ["cancer", "risks"], "benefits": ["stop taking pills", "benefits"],
        "alternatives": ["surgery", "other options"]}


@pytest.mark.parametrize("request_text,sure", [
    ("cancr", "risks"),  # a near spelling that is the whole request
    ("i need to cancel my visit", ""),  # a near spelling among other words
    ("stop", ""),  # one word of a longer phrase
    ("surgery?", "alternatives"),
    ("is it like surgery with cortisone", ""),  # beside a long word the line does not know
    ("surgery for my dog and cat", ""),  # one word among several
    ("other options to surgery", "alternatives"),
])
def test_a_win_on_one_thin_word_is_offered_not_stated(request_text, sure):
    found = decide(build_index(THIN, "en").rank(request_text), "en")
    assert found.topic == sure
    if not sure:
        assert found.choices  # asked "did you mean", not left without a way forward


def test_the_index_is_built_once_per_catalog(catalog):
    from voiceline.engine.understand import indexes_of
    first, again = indexes_of(catalog), indexes_of(catalog)
    assert all(first[code] is again[code] for code in catalog.languages)


def _risks_labelled_price(tmp_path):
    """The fixture prompts with the risks topic labelled "price": a label the words read
    as another topic."""
    import shutil

    from .conftest import FIXTURE_PROMPTS

    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    topics = folder / "en" / "topics.toml"
    text = topics.read_text(encoding="utf-8")
    topics.write_text(text.replace('label = "risks"', 'label = "price"', 1),
                      encoding="utf-8")
    return folder


def test_check_warns_when_a_topic_label_is_not_understood_as_its_topic(tmp_path):
    from voiceline.checks import read_checked

    folder = _risks_labelled_price(tmp_path)
    catalog, findings = read_checked(folder)
    assert catalog is not None  # a warning never stops the line
    found = [f for f in findings if f.where == "topics.risks.label"]
    assert found and found[0].severity == "warning" and "'price'" in found[0].message


def test_check_warns_when_a_label_said_before_the_language_is_chosen_is_misread(tmp_path):
    """At the first prompt a request is read in the first language first: a Spanish label
    that English words claim would not reach its topic there."""
    import shutil

    from voiceline.checks import read_checked

    from .conftest import FIXTURE_PROMPTS

    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    topics = folder / "en" / "topics.toml"
    text = topics.read_text(encoding="utf-8")
    topics.write_text(text.replace('words = ["insurance", ', 'words = ["insurance", "para quien", ',
                                   1), encoding="utf-8")
    catalog, findings = read_checked(folder)
    assert catalog is not None
    found = [f for f in findings if f.where == "topics.candidates.label"
             and f.file.endswith("es/topics.toml")]
    assert found and found[0].severity == "warning"
    assert "first prompt" in found[0].message and "'para quién es'" in found[0].message


@pytest.mark.parametrize("request_text,best", [
    ("arap", "insurance"),  # two neighbouring letters swapped: "aarp"
    ("para", None),  # the same letters in another order: another word
])
def test_a_four_letter_word_is_read_through_one_swap_only(request_text, best):
    ranking = build_index({"insurance": ["aarp"], "cost": ["price"]}, "en").rank(request_text)
    assert (ranking.best.key if ranking.best else None) == best


def test_a_phrase_of_small_words_gives_way_to_a_word_of_another_concept():
    index = build_index({"what": ["what is it"], "cost": ["cost", "price"]}, "en")
    alone = index.rank("what is it")
    assert alone.best is not None and alone.best.key == "what"
    # "what is it" is only the question's frame; "cost" is what is asked about.
    asked = index.rank("what is it cost")
    assert [m.key for m in asked.matches] == ["cost"]


def test_between_equally_near_spellings_the_one_that_begins_alike_wins():
    index = build_index({"cost": ["prices"], "recovery": ["process"]}, "en")
    ranking = index.rank("proces")
    assert ranking.best is not None and ranking.best.key == "recovery"


def test_a_word_of_a_phrase_is_no_subject_word_that_stems_alike():
    # Spanish stems "medicaid" like "medico"; the subject word must not swallow it.
    index = build_index({"insurance": ["medicaid", "seguro"]}, "es", ignore=["medico"])
    ranking = index.rank("tengo medicaid")
    assert ranking.best is not None and ranking.best.key == "insurance"


def test_a_word_known_only_from_a_whole_phrase_is_read_as_spelled():
    index = build_index({"off": ["pagar mi cuenta"], "story": ["cuenteme"]}, "es",
                        whole=["off"])
    ranking = index.rank("quiero pagar mi cuenta de la visita")
    assert ranking.best is not None and ranking.best.key == "off"
    # Spelled as the phrase has them, its words are no near spellings (which the line
    # trusts less, and may glue to the next word: "cuenta de" -> "cuenteme").
    assert ranking.best.exact == ranking.best.support == 3


def test_a_word_glued_to_a_small_word_must_be_spelled_right():
    # "estar en" glued is within two edits of "estiramientos"; it is still "estar en".
    index = build_index({"alternatives": ["estiramientos"], "recovery": ["en cama"]}, "es")
    ranking = index.rank("tengo que estar en cama")
    assert ranking.best is not None and ranking.best.key == "recovery"


@pytest.mark.parametrize("request_text", [
    "how does it work", "how does this work", "how does the treatment work",
    "how does the stem cell thing actually work", "how does it really work",
])
def test_a_phrase_holds_whichever_small_word_points_at_the_thing(request_text):
    index = build_index({"how": ["how does it work"], "whether": ["does it work", "work"]},
                        "en", ignore=["stem cell", "thing", "treatment"])
    ranking = index.rank(request_text)
    assert ranking.best is not None and ranking.best.key == "how"


@pytest.mark.parametrize("request_text,lang,best", [
    ("can i use my h s a card", "en", "savings"),  # a speech transcript spells it out
    ("Is it F.D.A. approved?", "en", "approval"),  # punctuation between the letters
    ("does the v a pay", "en", "veterans"),
    ("puedo pagar con la tarjeta hache ese a", "es", "savings"),  # letter names
    ("la cuenta de efe ese a", "es", "savings"),  # "de" stays a word before the letters
    ("tengo el i eme ese ese", "es", "veterans"),
])
def test_letters_said_one_by_one_are_the_word_they_spell(request_text, lang, best):
    concepts = {"savings": ["hsa", "fsa"], "approval": ["fda"],
                "veterans": ["va", "imss"]}
    ranking = build_index(concepts, lang).rank(request_text)
    assert ranking.best is not None and ranking.best.key == best


@pytest.mark.parametrize("request_text,lang,words", [
    ("r u ok", "en", ["are", "you", "ok"]),  # text-speak letters spell nothing together
    ("is it a p t thing", "en", ["is", "it", "a", "pt", "thing"]),  # "a" stays a word
    ("q es de a", "es", ["que", "es", "de", "a"]),
    ("ese a mi me duele", "es", ["ese", "a", "mi", "me", "duele"]),  # not "s a"
    ("what's a shot like", "en", ["what", "s", "a", "shot", "like"]),  # a contraction's end
    ("I can't, I can't breathe", "en", ["i", "can", "t", "i", "can", "t", "breathe"]),
    ("it's H.S.A. eligible", "en", ["it", "s", "hsa", "eligible"]),
])
def test_only_letters_that_are_no_words_are_joined(request_text, lang, words):
    assert words_of(request_text, lang) == words


@pytest.mark.parametrize("request_text,lang,best", [
    ("does teh shot hurt", "en", "pain"),  # a typo of a small word keeps the phrase
    ("wud teh shot hurt", "en", "pain"),
    ("cuanto sta", "es", "price"),
    ("kmo funciona", "es", "how"),
])
def test_text_speak_for_small_words_keeps_a_phrase_whole(request_text, lang, best):
    # Without the small word read right, the shorter phrase of another concept wins.
    concepts = {"pain": ["does the shot hurt", "would the shot hurt"], "price": ["cuanto esta"],
                "how": ["como funciona"], "works": ["funciona", "shot hurt"],
                "many": ["cuanto"]}
    ranking = build_index(concepts, lang).rank(request_text)
    assert ranking.best is not None and ranking.best.key == best


def test_a_long_spoken_request_is_read_as_a_story_that_asks_at_the_end():
    index = build_index({"cost": ["price"], "recovery": ["work"]}, "en")
    story = ("so the price came up when we talked about it with my neighbor last week "
             "but now i want to know when i can go back to work")
    ranking = index.rank(story)
    assert [m.key for m in ranking.matches] == ["recovery", "cost"]
    assert ranking.matches[1].score < ranking.matches[0].score
    # A short request weighs its words alike.
    short = index.rank("price and work")
    assert short.matches[0].score == short.matches[1].score


def test_the_line_loads_without_waiting_for_the_learned_readers(tmp_path, monkeypatch):
    """Serving leaves the labels' understanding (a warning only, and seconds of learning)
    to ``voiceline check`` and builds the readers beside its first answers; every other
    rule still holds."""
    from voiceline.checks import load_for_serving, read_checked
    from voiceline.engine import understand as understanding
    from voiceline.web import app as web_app

    from .conftest import wait_until

    folder = _risks_labelled_price(tmp_path)
    monkeypatch.setattr(understanding, "_readers", [])  # nothing built before
    served = load_for_serving(folder)
    assert understanding._known_readers(served) is None  # loading built no reader
    _, findings = read_checked(folder)
    checked = {(f.file, f.where) for f in findings if f.severity == "warning"}
    label = ("prompts/en/topics.toml", "topics.risks.label")
    assert label in checked
    assert {(f.file, f.where) for f in served.warnings} == checked - {label}
    monkeypatch.setattr(understanding, "_readers", [])
    prepared = web_app._load_and_prepare(folder)
    assert wait_until(lambda: understanding._known_readers(prepared) is not None, 10)


def test_the_heap_learning_freed_is_given_back_where_the_c_library_can(monkeypatch):
    import ctypes
    import platform

    from voiceline.web import app as web_app

    on_glibc = platform.libc_ver()[0] == "glibc"  # CI's and most Linux hosts'
    assert web_app.give_back_freed_heap() is on_glibc

    class NoTrim:  # musl or macOS: no malloc_trim, and nothing breaks
        def __init__(self, name):
            pass

    monkeypatch.setattr(ctypes, "CDLL", NoTrim)
    assert web_app.give_back_freed_heap() is False


def _with_other_subjects(tmp_path, subjects: str):
    """The fixture prompts with ``other_subjects = [...]`` (TOML) in the English file."""
    import shutil

    from .conftest import FIXTURE_PROMPTS

    folder = tmp_path / "prompts"
    shutil.copytree(FIXTURE_PROMPTS, folder)
    line = folder / "en" / "line.toml"
    text = line.read_text(encoding="utf-8")
    line.write_text(text.replace("off_topic = [", f"other_subjects = {subjects}\noff_topic = [",
                                 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("request_text,decision", [
    # Another procedure's recovery: asked, never stated as the line's own.
    ("how long is recovery after lasik", Understood("en", choices=("recovery",))),
    ("what are the side effects of wisdom teeth removal", Understood("en", choices=("risks",))),
    # The line's own subject named too: its topic, as sure as ever.
    ("recovery after the neck stem cell shot, i had lasik before",
     Understood("en", topic="recovery")),
    ("how long is recovery", Understood("en", topic="recovery")),
])
def test_a_request_about_another_subject_is_asked_not_answered(tmp_path, request_text,
                                                               decision):
    from voiceline.catalog import load_catalog

    catalog = load_catalog(_with_other_subjects(tmp_path, '["lasik", "wisdom teeth"]'))
    assert understand(catalog, request_text, "en") == decision


def test_other_subjects_are_optional_and_a_bad_value_names_its_place(tmp_path):
    from voiceline.checks import read_checked

    catalog, findings = read_checked(_with_other_subjects(tmp_path, '"lasik"'))
    errors = [f for f in findings if f.severity == "error"]
    assert catalog is None or errors  # a text where a list belongs is an error...
    assert any(f.where == "language.other_subjects" and "list" in f.message for f in errors)
    catalog, findings = read_checked(_with_other_subjects(tmp_path / "empty", "[]"))
    assert catalog is not None and not [f for f in findings if f.severity == "error"]


def test_check_warns_of_an_other_subject_a_topic_talks_about(tmp_path):
    from voiceline.checks import read_checked

    catalog, findings = read_checked(_with_other_subjects(tmp_path, '["lasik", "recovery"]'))
    assert catalog is not None  # a warning never stops the line
    warned = [f for f in findings if f.where == "language.other_subjects"]
    assert len(warned) == 1 and "'recovery'" in warned[0].message
    assert warned[0].file.endswith("en/line.toml")
