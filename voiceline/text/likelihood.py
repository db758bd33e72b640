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
        # The table is kept compact, since a worker holds one per language: one dict from
        # each feature to its row of log-probabilities, one per concept in the order of
        # ``_keys``. Most features are seen once or twice, so most rows are alike: a row
        # depends only on the feature's counts, so alike counts share one row, and a
        # value (a count under a concept) is one float wherever it occurs.
        self._keys: tuple[K, ...] = tuple(counts)
        total = sum(documents.values())
        self._prior = tuple(math.log(documents[k] / total) for k in self._keys)
        # Each feature's counts, concept by concept, gathered from the counters (asking
        # every counter for every feature would mostly ask for what is not there).
        seen: dict[str, list[int]] = {}
        for i, key in enumerate(self._keys):
            for feature, n in counts[key].items():
                found = seen.get(feature)
                if found is None:
                    found = seen[feature] = [0] * len(self._keys)
                found[i] = n
        # Each concept's count of all its features, smoothed over the whole vocabulary (a
        # feature never seen with a concept has the smoothing alone: unlikely, not never).
        whole = [sum(counts[k].values()) + SMOOTHING * len(seen) for k in self._keys]
        rows: dict[tuple[int, ...], tuple[float, ...]] = {}
        values: dict[float, float] = {}
        self._rows: dict[str, tuple[float, ...]] = {}
        for feature, found in seen.items():
            alike = tuple(found)
            row = rows.get(alike)
            if row is None:
                row = rows[alike] = tuple(
                    values.setdefault(v, v) for v in (math.log((n + SMOOTHING) / w)
                                                      for n, w in zip(alike, whole, strict=True)))
            self._rows[feature] = row

    def guess(self, request: str) -> Guess[K]:
        return self.guess_read(self._index.features(request))

    def guess_read(self, features: Iterable[str]) -> Guess[K]:
        """``guess`` of a request already read (``Index.features``)."""
        if not self._keys:
            return Guess(None, 0.0)
        scores = list(self._prior)
        for feature in set(features):
            # A feature never learned says nothing of any concept.
            for i, logp in enumerate(self._rows.get(feature, ())):
                scores[i] += logp
        top = max(scores)
        share = 1.0 / sum(math.exp(s - top) for s in scores)
        return Guess(self._keys[scores.index(top)], share)


def learn(index: Index[K], labelled: Iterable[tuple[str, K]]) -> Learner[K]:
    """A learner of ``labelled`` (request, concept) pairs, reading them as ``index`` does."""
    return Learner(index, labelled)
