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
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..catalog import Catalog
from ..text.understanding import Index, Match, Ranking, best_of, build_index

OFF_TOPIC = "@off_topic"  # the concept of requests the line has no answer for
SURE = 0.5  # the least score of a topic answered without asking
MARGIN = 0.6  # the runner-up must score at most this share of the winner's
OFFER = 0.45  # the least score of a topic offered in "did you mean"
MAX_CHOICES = 3
VETO = 0.5  # an off-topic word this strong makes no topic sure
LONE_WORD = 0.6  # a win on one word needs that word this much its own
LONE_AMONG = 3  # a win on one word of this many content words or more is not sure


@dataclass(frozen=True)
class Understood:
    language: str  # the language the request was understood in ("" when nothing was)
    topic: str = ""  # a clear winner
    choices: tuple[str, ...] = ()  # a close call: "did you mean" these

    @property
    def anything(self) -> bool:
        return bool(self.topic or self.choices)


_lock = threading.Lock()
_indexes: list[tuple[Catalog, dict[str, Index[str]]]] = []  # the last few catalogs


def indexes_of(catalog: Catalog) -> dict[str, Index[str]]:
    """The catalog's indexes, one per language, built the first time they are needed."""
    for known, indexes in _indexes:
        if known.same_words(catalog):
            return indexes
    built: dict[str, Index[str]] = {}
    for code, lang in catalog.languages.items():
        concepts: dict[str, tuple[str, ...]] = {
            topic.id: (topic.label, *topic.words) for topic in lang.topics.values()}
        concepts[OFF_TOPIC] = lang.off_topic
        context = {topic.id: f"{topic.spoken} {topic.text}" for topic in lang.topics.values()}
        built[code] = build_index(concepts, code, ignore=lang.subject_words, context=context,
                                  whole=(OFF_TOPIC,))
    with _lock:
        _indexes.insert(0, (catalog, built))
        del _indexes[4:]
    return built


def rank(catalog: Catalog, request: str, lang_code: str) -> tuple[str, Ranking[str]]:
    """The request ranked in the language that understood it best (``lang_code`` first,
    so a request both languages read alike stays in the caller's language)."""
    indexes = indexes_of(catalog)
    order = [indexes[lang_code]] if lang_code in indexes else []
    order += [index for code, index in indexes.items() if code != lang_code]
    return best_of(order, request)


def understand(catalog: Catalog, request: str, lang_code: str) -> Understood:
    language, ranking = rank(catalog, request, lang_code)
    return decide(ranking, language)


def decide(ranking: Ranking[str], language: str) -> Understood:
    """Sure, a close call, or nothing, from a ranking (see the module docstring)."""
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
