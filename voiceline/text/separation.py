"""Which concept a request is nearest, by a line learned between them (pure).

A third reader beside the phrase index and the counting learner (``text.likelihood``):
a linear model trained to keep apart the concepts of labelled requests (the prompt
files' ``examples`` and the concepts' own phrases), over the same reading of a request
(stems, near spellings corrected, pairs of neighbouring stems). Naive Bayes counts each
word as if it said something on its own; this model learns which words tell two
concepts apart, so it errs on other requests than the counting learner does. Where the
two agree, and both are sure, a request can be answered that the phrases leave open
(``engine.understand``).

    separator = separate(index, [("is it worth it", "benefits"), ...])
    separator.pick("wud it be worth the money")   # -> Pick("benefits", 0.42)

The model is passive-aggressive (PA-II, Crammer et al. 2006): one pass over the
requests at a time, each one moves the weights just enough to put its own concept a
margin ahead of the nearest other, and the weights are averaged over every step, which
makes them steady. Features are weighted by rarity (idf) and each request's weights
scaled to length one, so a long story does not outvote a short question. The order of
the passes is fixed, so every worker learns the same weights.
"""

from __future__ import annotations

import math
import random
from array import array
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .understanding import Index

K = TypeVar("K", bound=Hashable)

PASSES = 5  # over the labelled requests; more changed no measured answer
AGGRESSIVENESS = 0.1  # PA-II's C: how far one request may move the weights
ORDER_SEED = 17  # the passes' order, fixed


@dataclass(frozen=True)
class Pick(Generic[K]):
    key: K | None  # the nearest concept (None when nothing was learned)
    margin: float  # how far ahead of the next concept it scores (0 when none)


def _scaled(features: Iterable[str], rarity: dict[str, float]) -> tuple[list[str], float]:
    """The request's known features, and one over the length of their rarities: each
    feature's value is its rarity times that scale."""
    known = [f for f in set(features) if f in rarity]
    length = math.sqrt(sum(rarity[f] ** 2 for f in known))
    return known, (1.0 / length if length else 0.0)


class Separator(Generic[K]):
    """Weights of features per concept, learned once (see the module docstring).

    A row holds a feature's weights times its rarity: a request's scores are then its
    scale times the sum of its features' rows, summed column by column in C (``zip``),
    with no Python arithmetic per feature, in learning as in picking.
    """

    def __init__(self, index: Index[K], read: Iterable[tuple[list[str], K]]) -> None:
        """``read``: labelled requests as ``index.features`` reads them."""
        self._index = index
        read = [(features, key) for features, key in read if features]
        self._keys: tuple[K, ...] = tuple(dict.fromkeys(key for _, key in read))
        seen = Counter(f for features, _ in read for f in set(features))
        total = len(read)
        self._rarity = {f: math.log((1 + total) / (1 + n)) + 1.0 for f, n in seen.items()}
        numbered = {key: i for i, key in enumerate(self._keys)}
        examples = [(*_scaled(features, self._rarity), numbered[key]) for features, key in read]
        rows = self._train(examples, len(self._keys)) if len(self._keys) > 1 else {}
        # One flat table of 32-bit floats, a row per feature: a worker holds one per
        # language, and lists of Python floats would take ten times the room.
        self._width = len(self._keys)
        self._offsets: dict[str, int] = {}
        self._table = array("f")
        for feature, row in rows.items():
            if any(row):
                self._offsets[feature] = len(self._table)
                self._table.extend(row)

    def _train(self, examples: list[tuple[list[str], float, int]],
               width: int) -> dict[str, list[float]]:
        rarity = self._rarity
        rows: dict[str, list[float]] = {}
        # The averaged weights are weights - summed / steps, where each update adds
        # step * change to ``summed`` (the usual trick: no pass over every weight per step).
        summed: dict[str, list[float]] = {}
        # A request's values have length one, so PA-II's step is its loss over this.
        per_loss = 2.0 + 1.0 / (2 * AGGRESSIVENESS)
        order = list(range(len(examples)))
        shuffle = random.Random(ORDER_SEED).shuffle
        step = 1
        for _ in range(PASSES):
            shuffle(order)
            for i in order:
                names, scale, own = examples[i]
                known = [row for row in map(rows.get, names) if row is not None]
                scores = [sum(column) * scale for column in zip(*known, strict=True)] if known \
                    else [0.0] * width
                own_score = scores[own]
                scores[own] = -math.inf
                rival_score = max(scores)
                loss = 1.0 - (own_score - rival_score)
                if loss > 0:
                    rival = scores.index(rival_score)
                    size = loss / per_loss * scale
                    for name in names:
                        row = rows.get(name)
                        if row is None:
                            row = rows[name] = [0.0] * width
                            summed[name] = [0.0] * width
                        change = size * rarity[name] ** 2  # its value times its rarity
                        row[own] += change
                        row[rival] -= change
                        total = summed[name]
                        total[own] += step * change
                        total[rival] -= step * change
                step += 1
        return {f: [w - s / step for w, s in zip(row, summed[f], strict=True)]
                for f, row in rows.items()}

    def pick(self, request: str) -> Pick[K]:
        if not self._keys:
            return Pick(None, 0.0)
        names, scale = _scaled(self._index.features(request), self._rarity)
        width, table, offsets = self._width, self._table, self._offsets
        known = [table[at:at + width] for at in map(offsets.get, names) if at is not None]
        if not known:  # no word it learned: it has no opinion
            return Pick(None, 0.0)
        scores = [sum(column) * scale for column in zip(*known, strict=True)]
        best = max(scores)
        at = scores.index(best)
        second = max((s for i, s in enumerate(scores) if i != at), default=best)
        return Pick(self._keys[at], best - second)


def separate(index: Index[K], labelled: Iterable[tuple[str, K]]) -> Separator[K]:
    """A separator of ``labelled`` (request, concept) pairs, reading them as ``index`` does."""
    return Separator(index, [(index.features(text), key) for text, key in labelled])
