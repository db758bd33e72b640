"""Which topic a request asks for, in which language, and how sure the line is (pure).

The glue between the catalog and ``text.understanding``: one index per language of the
catalog (every topic's label and words, and the language's off-topic requests as one
concept that is never answered), built once per catalog object (catalogs are immutable;
a reload makes a new one). ``understand`` ranks a request in every language, keeps the
language that understood it best, and decides:

- ``topic``: a clear winner, answered as sure;
- ``choices``: a close call, "did you mean" up to three topics;
- neither: the request names no topic (or an off-topic thing), and gets the menu.

A topic is stated as sure only with a score of ``SURE`` or more, well ahead of the next
(``MARGIN``), and when the request is not mostly words no topic knows. A win that rests
on a single word is sure only when that word says enough on its own: not when the
topic has it only inside a longer phrase ("stop" of "stop taking") or shares it with
other topics (unless it is a one-word phrase of the topic's own: "seguro"); not when
the request also has a long word the line does not know (it may be what the request is
really about: "la cortisona"), or two more words of its own; and not when the word was
only a near spelling among other words ("cancel" read as "cancer"). Those become "did
you mean": a wrong topic stated as sure is far worse for a patient than three choices.

A second opinion is learned from the language's ``examples`` (requests people sent,
under the topic that answered them, and off-topic ones under "none") and the topics'
own words (``text.likelihood``). It moves a decision only when it is confident:

- a close call whose leading topic it favours (``SETTLE``) is answered; beside a long
  word the line does not know, only when it is all but ``CERTAIN``, as it must be to
  answer another of the close call's topics; otherwise, from ``LIKELY``, its topic is
  offered first;
- a close call it is sure (``DOUBT``) no topic answers ("can you hear me") gets the menu;
- a sure topic it strongly doubts (``DOUBT``) becomes "did you mean" both, unless that
  topic has no examples of its own (one just added is weighed by its words alone);
- when the words name nothing it adds nothing alone: a command or chatter is likelier
  than a topic there.

A third opinion is a linear model learned from the same examples (``text.separation``),
which errs on other requests than the counting learner does. Where both learned opinions
agree, the learner sure (``AGREE``) and the separator well ahead of its next topic
(``APART``; both stricter where the phrases name nothing), their topic is answered (or
the menu, if they agree no topic answers it), unless an off-topic phrase vetoes; otherwise the
separator only asks: a sure topic it disagrees with becomes "did you mean" both (again,
unless that topic has no examples), and its topic is offered first in a close call.
Where it agrees with a sure topic of the phrases, well ahead (``OUTVOTE``), the counting
learner's doubt alone no longer makes that topic a question: two readers outvote one.

A request naming a health subject other than the line's (the language's
``other_subjects``: "lasik", "wisdom teeth") and none of its subject words is never
answered as sure, whatever the readers agree: its topic is asked ("did you mean"). "How
long is recovery after lasik" uses a topic's words, and the examples cannot know every
other procedure; the line's answer about its own would be a wrong answer stated as sure.

A language with few examples (``EXAMPLES_PER_TOPIC``) has no learned opinion. A request
that is one of the examples (read alike: case, accents, punctuation and text-speak
aside) gets the topic it is filed under, as the operator said, or the menu under "none".

Learning takes seconds (12 s for the shipped examples on a slow machine), the phrases
and the filed examples about one. While a served line learns in the background, after
a start or a prompt edit, requests are understood without the learned opinions instead
of waiting: a caller hears an answer, a "did you mean" or the menu at once, never the
silence a webhook times out on.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..catalog import Catalog, Language
from ..catalog.model import NO_TOPIC
from ..text.likelihood import Guess, Learner
from ..text.separation import Pick, Separator
from ..text.understanding import Index, Match, Ranking, best_of, build_index, words_of
from ..text.vocabulary import Filed, read_labelled

OFF_TOPIC = "@off_topic"  # the concept of requests the line has no answer for
SURE = 0.5  # the least score of a topic answered without asking
MARGIN = 0.6  # the runner-up must score at most this share of the winner's
OFFER = 0.45  # the least score of a topic offered in "did you mean"
MAX_CHOICES = 3
VETO = 0.5  # an off-topic word this strong makes no topic sure
LONE_WORD = 0.6  # a win on one word needs that word this much its own
LONE_AMONG = 3  # a win on one word of this many content words or more is not sure
LIKELY = 0.7  # the learned second opinion's topic is offered first from this probability
# and settles a close call from this: naive Bayes overstates its confidence (it counts a
# word and the pairs it is in as separate evidence); on writers it never read (calib14,
# calib15 left out) its guesses of 0.7 to 0.99 were wrong one time in five, those of
# 0.99 or more one in thirty. Settling states a topic as sure, so it takes the latter.
SETTLE = 0.99
# It puts a sure topic in doubt when it prefers another this strongly: as likely as a
# topic offered first (right four times in five), enough to ask rather than to state.
DOUBT = LIKELY
CERTAIN = 0.999  # it settles what the words leave open on their own from this
# The learned separator (``text.separation``) and the counting learner agreeing, the
# latter at least this sure and the former this far ahead of its next concept, answer
# what the phrases leave open. On writers neither had read (calib14-calib17 left out,
# holdout3, holdout4) the two agreeing this way were right 99 times in 100, where each
# alone was right 95 times in 100.
AGREE = 0.9
APART = 0.1
# Where the phrases name nothing (typos past the near spellings, "are there any side a
# fex"), only both all but sure and far apart: chatter is likelier there. Commands said
# in a sentence ("go back please") are heard before understanding (``engine.call``).
AGREE_UNNAMED = 0.99
APART_UNNAMED = 0.2
# A topic the phrases are sure of, with the separator this far ahead for it too, is
# answered whatever the counting learner alone says: two readers of three agree. On every
# set left out in turn (23,000 requests) this answered 69 more right and 5 more wrong.
OUTVOTE = 0.3
EXAMPLES_PER_TOPIC = 10  # the least examples, on average per topic, to learn from
OTHER_SUBJECT_WORDS = 3  # the longest other subject looked for, in words


@dataclass(frozen=True)
class Understood:
    language: str  # the language the request was understood in ("" when nothing was)
    topic: str = ""  # a clear winner
    choices: tuple[str, ...] = ()  # a close call: "did you mean" these

    @property
    def anything(self) -> bool:
        return bool(self.topic or self.choices)


@dataclass(frozen=True)
class _Reader:
    """One language's ways of reading a request: the phrase index and what was learned."""

    index: Index[str]
    learner: Learner[str] | None  # None without enough examples to learn from
    separator: Separator[str] | None = None  # likewise
    learned: frozenset[str] = frozenset()  # the topics it has examples of
    # Each example as the index reads its words: an operator's own answer to it.
    taught: Filed[str] = field(default_factory=lambda: Filed(()))
    elsewhere: frozenset[str] = frozenset()  # the other subjects, as their words are read

    def about_elsewhere(self, request: str) -> bool:
        """Whether the request names another subject and none of the line's own."""
        if not self.elsewhere:
            return False
        words = words_of(request, self.index.language)
        named = any(" ".join(words[i:i + n]) in self.elsewhere
                    for n in range(1, OTHER_SUBJECT_WORDS + 1) for i in range(len(words)))
        return named and not self.index.names_subject(request)

    def opinions(self, request: str) -> tuple[Guess[str] | None, Pick[str] | None]:
        """What the learner and the separator make of a request, read once for both."""
        if self.learner is None or self.separator is None:
            return None, None
        numbers = self.learner.vocabulary.numbers(self.index.features(request))
        return self.learner.guess_numbered(numbers), self.separator.pick_numbered(numbers)


_lock = threading.Lock()
_published = threading.Condition(_lock)  # notified whenever readers are published
_building = threading.Lock()  # one build at a time: a second asker waits for the first's
_readers: list[tuple[Catalog, dict[str, _Reader]]] = []  # the last few catalogs, learned
# Catalogs whose learning is under way: their phrases and filed examples, ready within
# about a second of the build's start, while learning takes seconds more.
_unlearned: list[tuple[Catalog, dict[str, _Reader]]] = []


def _known(built: list[tuple[Catalog, dict[str, _Reader]]],
           catalog: Catalog) -> dict[str, _Reader] | None:
    for known, readers in built:
        if known.same_words(catalog):
            return readers
    return None


def _known_readers(catalog: Catalog) -> dict[str, _Reader] | None:
    return _known(_readers, catalog)


def _readers_of(catalog: Catalog) -> dict[str, _Reader]:
    """The catalog's readers, one per language, learned, built the first time they are
    needed (the asker waits for the build)."""
    found = _known_readers(catalog)
    if found is not None:
        return found
    with _building:
        found = _known_readers(catalog)  # built by another thread meanwhile
        if found is not None:
            return found
        unlearned = {code: _reader_of(lang, _phrases_besides(catalog, code))
                     for code, lang in catalog.languages.items()}
        with _published:
            _unlearned.insert(0, (catalog, unlearned))
            _published.notify_all()
        try:
            built = {code: _learned(unlearned[code], lang)
                     for code, lang in catalog.languages.items()}
            with _published:
                _readers.insert(0, (catalog, built))
                del _readers[4:]
        finally:
            # Learned or failed, the stand-in goes: a failed build is tried again by the
            # next request, never left serving the words alone for good.
            with _published:
                _unlearned[:] = [u for u in _unlearned if u[0] is not catalog]
                _published.notify_all()
    return built


def _serving_readers(catalog: Catalog) -> dict[str, _Reader]:
    """The readers a request is understood with: the learned ones or, while another
    thread learns them (after a start or a prompt edit), the phrases and filed examples
    already built. A caller is never left in silence for the seconds learning takes;
    those first requests are understood without the learned opinions.
    With no build under way elsewhere (a script, a test, ``voiceline check``), the asker
    builds and waits, so every request is understood alike."""
    found = _known(_readers, catalog)  # the usual case, read without the lock
    if found is not None:
        return found
    while True:
        with _published:
            found = _known(_readers, catalog)
            if found is None:
                found = _known(_unlearned, catalog)
            if found is not None:
                return found
            if _building.locked():  # another thread's build: its first part is near
                _published.wait(timeout=0.25)
                continue
        return _readers_of(catalog)


def prepare(catalog: Catalog) -> None:
    """Build the catalog's readers now (seconds, for the learned opinions). Requests that
    come meanwhile are understood by the phrases and the filed examples, built first
    (``_serving_readers``)."""
    _readers_of(catalog)


def _phrases_besides(catalog: Catalog, code: str) -> list[str]:
    """The other languages' phrases: their words are theirs, not words run together."""
    return [phrase for other, lang in catalog.languages.items() if other != code
            for phrases in (lang.subject_words, lang.off_topic,
                            *((t.label, *t.words) for t in lang.topics.values()))
            for phrase in phrases]


def _reader_of(lang: Language, foreign: Sequence[str] = ()) -> _Reader:
    """The language's phrase index and filed examples: everything but the learning."""
    index = build_index(_concepts(lang), lang.code, ignore=lang.subject_words,
                        context={topic.id: f"{topic.spoken} {topic.text}"
                                 for topic in lang.topics.values()},
                        whole=(OFF_TOPIC,), foreign=foreign)
    examples = _examples(lang)
    taught = Filed((_as_read(request, lang.code), key) for request, key in examples)
    elsewhere = frozenset(_as_read(subject, lang.code) for subject in lang.other_subjects)
    return _Reader(index, None, None, frozenset(key for _, key in examples), taught,
                   frozenset(s for s in elsewhere if s))


def _learned(reader: _Reader, lang: Language) -> _Reader:
    """``reader`` with the opinions learned from the language's examples, if enough."""
    examples = _examples(lang)
    if len(examples) < EXAMPLES_PER_TOPIC * len(lang.topics):
        return reader
    # The topics' own phrases are examples too, so a topic with none of its own is
    # still known; with few examples the learner only repeats the phrases,
    # confidently, and is no second opinion at all.
    labelled = [(p, key) for key, phrases in _concepts(lang).items() for p in phrases]
    # Read once for both, as numbers of their features (``text.vocabulary``).
    read = read_labelled(reader.index, labelled + examples)
    return dataclasses.replace(reader, learner=Learner(reader.index, read),
                               separator=Separator(reader.index, read))


def _concepts(lang: Language) -> dict[str, tuple[str, ...]]:
    concepts: dict[str, tuple[str, ...]] = {
        topic.id: (topic.label, *topic.words) for topic in lang.topics.values()}
    concepts[OFF_TOPIC] = lang.off_topic
    return concepts


def _examples(lang: Language) -> list[tuple[str, str]]:
    return [(request, OFF_TOPIC if key == NO_TOPIC else key)
            for key, requests in lang.examples.items() for request in requests
            if key == NO_TOPIC or key in lang.topics]


def _as_read(request: str, language: str) -> str:
    return " ".join(words_of(request, language))


def indexes_of(catalog: Catalog) -> dict[str, Index[str]]:
    """The catalog's phrase indexes, one per language (built once per catalog)."""
    return {code: reader.index for code, reader in _readers_of(catalog).items()}


def rank(catalog: Catalog, request: str, lang_code: str) -> tuple[str, Ranking[str]]:
    """The request ranked in the language that understood it best (``lang_code`` first,
    so a request both languages read alike stays in the caller's language)."""
    return _ranked(_serving_readers(catalog), request, lang_code)


def _ranked(readers: dict[str, _Reader], request: str,
            lang_code: str) -> tuple[str, Ranking[str]]:
    order = [readers[lang_code].index] if lang_code in readers else []
    order += [reader.index for code, reader in readers.items() if code != lang_code]
    return best_of(order, request)


def understand(catalog: Catalog, request: str, lang_code: str) -> Understood:
    readers = _serving_readers(catalog)  # once: a build may publish between two looks
    language, ranking = _ranked(readers, request, lang_code)
    reader = readers.get(language)
    if reader is None:
        return decide(ranking, language)
    taught = reader.taught.get(_as_read(request, language))
    if taught is not None:  # the very request an operator filed under a topic (or none)
        return Understood("") if taught == OFF_TOPIC else Understood(language, topic=taught)
    guess, pick = reader.opinions(request)
    decided = decide(ranking, language, guess, reader.learned, pick)
    if decided.topic and reader.about_elsewhere(request):
        return Understood(language, choices=(decided.topic,))
    return decided


def decide(ranking: Ranking[str], language: str, guess: Guess[str] | None = None,
           learned: frozenset[str] = frozenset(), pick: Pick[str] | None = None) -> Understood:
    """Sure, a close call, or nothing, from a ranking and the learned opinions
    (``learned``: the topics they have examples of; see the module docstring)."""
    found = _decide_by_phrases(ranking, language)
    if guess is None or guess.key is None or not language:
        return found
    if pick is None or pick.key is None:
        return _second_opinion(found, ranking, language, guess, learned)
    named = found.topic or found.choices
    if pick.key == guess.key and not _vetoed(ranking) and (
            named and pick.margin >= APART and guess.probability >= AGREE
            or pick.margin >= APART_UNNAMED and guess.probability >= AGREE_UNNAMED):
        return Understood("") if pick.key == OFF_TOPIC else Understood(language, topic=pick.key)
    if found.topic and found.topic == pick.key and pick.margin >= OUTVOTE:
        return found  # the phrases and the separator outvote the counting learner's doubt
    decided = _second_opinion(found, ranking, language, guess, learned)
    nearest = pick.key if pick.key != OFF_TOPIC else ""
    if decided.topic and decided.topic != pick.key and decided.topic in learned:
        # The separator disagrees: both are asked, the phrases' topic first.
        return Understood(language, choices=tuple(
            dict.fromkeys(k for k in (decided.topic, nearest) if k)))
    if decided.choices and nearest and nearest not in decided.choices:
        return Understood(language, choices=(nearest, *decided.choices)[:MAX_CHOICES])
    return decided


def _second_opinion(found: Understood, ranking: Ranking[str], language: str,
                    guess: Guess[str], learned: frozenset[str]) -> Understood:
    """The phrases' decision, moved by the counting learner alone where it is sure."""
    likely = guess.key if guess.key != OFF_TOPIC else ""
    if not found.topic and not found.choices:
        # The words name nothing ("go back please", "ya me voy"): a command or chatter
        # is more likely than a topic, whatever the examples' words suggest.
        return found
    if found.topic:
        # A topic without examples (one just added) is weighed by its phrases alone:
        # the learner knows too little of it to doubt it.
        if guess.key != found.topic and guess.probability >= DOUBT \
                and found.topic in learned:
            return Understood(language, choices=tuple(
                k for k in (found.topic, likely) if k))
        return found
    if not likely and guess.probability >= DOUBT and found.choices:
        return Understood("")  # a thin close call it is sure no topic answers: the menu
    if not likely or guess.probability < LIKELY or _vetoed(ranking):
        return found
    leading = next((m.key for m in ranking.matches if m.key != OFF_TOPIC), "")
    # A long word the line does not know may be what the request is really about
    # ("toenail", "cataract"): then two opinions that agree answer only when the
    # learned one is all but certain.
    if likely == leading and guess.probability >= SETTLE and (
            not ranking.strange or guess.probability >= CERTAIN):
        return Understood(language, topic=likely)
    if likely in found.choices and guess.probability >= CERTAIN and not ranking.strange:
        return Understood(language, topic=likely)  # the runner-up, by a landslide
    others = tuple(k for k in found.choices if k != likely)  # its topic offered first
    return Understood(language, choices=(likely, *others)[:MAX_CHOICES])


def _vetoed(ranking: Ranking[str]) -> bool:
    """An off-topic phrase at least as strong as any topic: no topic is answered."""
    off_topic = ranking.score_of(OFF_TOPIC)
    return off_topic > 0 and off_topic >= max(
        (m.score for m in ranking.matches if m.key != OFF_TOPIC), default=0.0)


def _decide_by_phrases(ranking: Ranking[str], language: str) -> Understood:
    off_topic = ranking.score_of(OFF_TOPIC)
    topics = [m for m in ranking.matches if m.key != OFF_TOPIC]
    if not topics or off_topic >= topics[0].score:
        return Understood("")
    top = topics[0]
    runner_up = max(topics[1].score if len(topics) > 1 else 0.0, off_topic)
    mostly_unknown = ranking.unknown > max(2.0, 2 * top.score)
    if top.score >= SURE and runner_up <= MARGIN * top.score and not mostly_unknown \
            and off_topic < VETO and not rests_on_little(top, ranking):
        return Understood(language, topic=top.key)
    if top.score < OFFER:
        return Understood("")
    floor = max(OFFER, top.score / 2)
    choices = tuple(m.key for m in topics if m.score >= floor)[:MAX_CHOICES]
    return Understood(language, choices=choices)


def rests_on_little(top: Match[str], ranking: Ranking[str]) -> bool:
    """A win too thin to state as sure, though it is the only one (module docstring)."""
    lone = top.support == 1
    if lone and top.score < LONE_WORD and not top.whole:
        return True  # a piece of a longer phrase ("stop"), or a word shared with others
    if ranking.words < 2:
        return False  # "insurrance?" alone: its one word is the whole request
    if top.exact == 0:
        return True  # every word for it was a near spelling ("cancel" read as "cancer")
    # One word among three or more says little of what the rest is about; an unknown
    # long word beside it may be the real subject ("cortisone", "mri").
    return lone and (ranking.strange >= 1 or ranking.words >= LONE_AMONG)
