"""How likely each concept is, learned from labelled requests (pure).

The phrase index (``text.understanding``) knows the words operators list; it cannot
weigh the words people actually use around them ("is it worth it", "laid up", "will it
fix me"). A ``Learner`` counts, for each concept, how often each word and pair of words
occurs in requests labelled with it (the prompt files' ``examples``, and the concept's
own phrases), and gives a new request a probability per concept (multinomial naive
Bayes with additive smoothing, over the index's reading of the request, so near
spellings and run-together words are read the same way). It is a second opinion: what
is said as sure is still the caller's decision (``engine.understand``).

    learner = learn(index, [("is it worth it", "benefits"), ...])
    learner.guess("wud it be worth the money")   # -> Guess("benefits", 0.93)

Learning is counting: a few thousand requests take well under a second, and a guess is
a few hundred dictionary lookups.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .understanding import Index

K = TypeVar("K", bound=Hashable)

SMOOTHING = 0.2  # added to every count: a word never seen with a concept is unlikely,
# not impossible


@dataclass(frozen=True)
class Guess(Generic[K]):
    key: K | None  # the likeliest concept (None when nothing was learned)
    probability: float  # its share of the whole, 0 to 1


class Learner(Generic[K]):
    """Counts of features per concept, learned once (see the module docstring)."""

    def __init__(self, index: Index[K], labelled: Iterable[tuple[str, K]]) -> None:
        self._index = index
        counts: dict[K, Counter[str]] = {}
        documents: Counter[K] = Counter()
        for text, key in labelled:
            features = set(index.features(text))
            if not features:
                continue
            documents[key] += 1
            counts.setdefault(key, Counter()).update(features)
        self._vocabulary = frozenset(f for c in counts.values() for f in c)
        total = sum(documents.values())
        self._prior = {k: math.log(n / total) for k, n in documents.items()}
        # Each concept's count of all its features, smoothed over the whole vocabulary.
        whole = {k: sum(c.values()) + SMOOTHING * len(self._vocabulary)
                 for k, c in counts.items()}
        self._unseen = {k: math.log(SMOOTHING / whole[k]) for k in counts}
        self._log = {k: {f: math.log((n + SMOOTHING) / whole[k]) for f, n in c.items()}
                     for k, c in counts.items()}

    def guess(self, request: str) -> Guess[K]:
        features = self._vocabulary.intersection(self._index.features(request))
        if not self._prior:
            return Guess(None, 0.0)
        scores = {k: prior + sum(self._log[k].get(f, self._unseen[k]) for f in features)
                  for k, prior in self._prior.items()}
        best = max(scores, key=lambda k: scores[k])
        top = scores[best]
        share = 1.0 / sum(math.exp(s - top) for s in scores.values())
        return Guess(best, share)


def learn(index: Index[K], labelled: Iterable[tuple[str, K]]) -> Learner[K]:
    """A learner of ``labelled`` (request, concept) pairs, reading them as ``index`` does."""
    return Learner(index, labelled)
