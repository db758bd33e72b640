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
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from .understanding import Index
from .vocabulary import Labelled, read_labelled

K = TypeVar("K", bound=Hashable)

PASSES = 5  # over the labelled requests: three read half a point worse held out, six no better
# PA-II's C: how far one request may move the weights. With the examples to calib35,
# 0.3 to 1.0 kept the separator nearer on sets left out than 0.1 (96.3 against 95.8 %
# right first alone, English; 96.6 against 95.9, Spanish), 0.03 farther.
AGGRESSIVENESS = 0.3
ORDER_SEED = 17  # the passes' order, fixed


@dataclass(frozen=True)
class Pick(Generic[K]):
    key: K | None  # the nearest concept (None when nothing was learned)
    margin: float  # how far ahead of the next concept it scores (0 when none)


class Separator(Generic[K]):
    """Weights of features per concept, learned once (see the module docstring).

    Every feature has a number (``text.vocabulary``); its weights are the row of that
    number in one flat table (``width`` concepts wide), kept times the feature's rarity:
    a request's scores are then its scale times the sum of its features' rows, summed
    column by column in C (``zip``), with no Python arithmetic per feature, in learning
    as in picking. Flat tables of unboxed floats, not lists of Python floats: learning
    would otherwise leave a worker tens of megabytes larger than it needs.
    """

    def __init__(self, index: Index[K], labelled: Labelled[K]) -> None:
        self._index = index
        self.vocabulary = labelled.vocabulary
        seen = [0] * len(self.vocabulary)  # requests each feature occurs in, by number
        for numbers, _ in labelled:
            for n in numbers:
                seen[n] += 1
        self._keys: tuple[K, ...] = tuple(dict.fromkeys(labelled.keys))
        self._width = width = len(self._keys)
        self._rarity = array("d", (math.log((1 + len(labelled)) / (1 + n)) + 1.0 for n in seen))
        learned = self._train(labelled) if width > 1 else array("d", bytes(8 * width * len(seen)))
        self._table = array("f", learned)

    def _scale(self, numbers: Iterable[int]) -> float:
        """One over the length of the features' rarities: each feature's value is its
        rarity times this."""
        length = math.sqrt(sum(self._rarity[n] ** 2 for n in numbers))
        return 1.0 / length if length else 0.0

    def _train(self, labelled: Labelled[K]) -> array[float]:
        width, rarity = self._width, self._rarity
        column = {key: i for i, key in enumerate(self._keys)}
        owns = array("i", (column[key] for key in labelled.keys))
        scales = array("d", (self._scale(numbers) for numbers, _ in labelled))
        weights = array("d", bytes(8 * width * len(rarity)))
        # The averaged weights are weights - summed / steps, where each update adds
        # step * change to ``summed`` (the usual trick: no pass over every weight per step).
        summed = array("d", weights)
        touched = bytearray(len(rarity))  # rows not all zero: the only ones worth summing
        # A request's values have length one, so PA-II's step is its loss over this.
        per_loss = 2.0 + 1.0 / (2 * AGGRESSIVENESS)
        order = list(range(len(labelled)))
        shuffle = random.Random(ORDER_SEED).shuffle
        step = 1
        for _ in range(PASSES):
            shuffle(order)
            for i in order:
                numbers, scale, own = labelled.numbers(i), scales[i], owns[i]
                rows = [weights[n * width:(n + 1) * width] for n in numbers if touched[n]]
                scores = [sum(column) * scale for column in zip(*rows, strict=True)] if rows \
                    else [0.0] * width
                own_score = scores[own]
                scores[own] = -math.inf
                rival_score = max(scores)
                loss = 1.0 - (own_score - rival_score)
                if loss > 0:
                    rival = scores.index(rival_score)
                    size = loss / per_loss * scale
                    for n in numbers:
                        touched[n] = 1
                        change = size * rarity[n] ** 2  # its value times its rarity
                        at = n * width
                        weights[at + own] += change
                        weights[at + rival] -= change
                        summed[at + own] += step * change
                        summed[at + rival] -= step * change
                step += 1
        return array("d", (w - s / step for w, s in zip(weights, summed, strict=True)))

    def pick(self, request: str) -> Pick[K]:
        return self.pick_numbered(self.vocabulary.numbers(self._index.features(request)))

    def pick_numbered(self, numbers: Sequence[int]) -> Pick[K]:
        """``pick`` of a request already read and numbered (``vocabulary.numbers``)."""
        if not self._keys or not numbers:  # no word it learned: it has no opinion
            return Pick(None, 0.0)
        scale = self._scale(numbers)
        width, table = self._width, self._table
        rows = [table[n * width:(n + 1) * width] for n in numbers]
        scores = [sum(column) * scale for column in zip(*rows, strict=True)]
        best = max(scores)
        at = scores.index(best)
        second = max((s for i, s in enumerate(scores) if i != at), default=best)
        if best == second:  # its words weigh alike for two concepts, or for none
            return Pick(None, 0.0)
        return Pick(self._keys[at], best - second)


def separate(index: Index[K], labelled: Iterable[tuple[str, K]]) -> Separator[K]:
    """A separator of ``labelled`` (request, concept) pairs, reading them as ``index`` does."""
    return Separator(index, read_labelled(index, labelled))
