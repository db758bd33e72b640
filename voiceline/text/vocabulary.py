"""Labelled requests read once, their features numbered, for the learners (pure).

Both learned opinions (``text.likelihood``, ``text.separation``) weigh the same features
of the same labelled requests (the index's reading: stems and pairs of stems). Reading
each request once, for both, halves the reading at start; numbering the features lets
each learner keep its weights in flat tables by number.

The vocabulary keeps no feature's text: only its hash, in one sorted array beside the
feature's number. Tens of thousands of feature strings and a dict of them
would cost each worker megabytes per language; a lookup is a binary search instead of a
dict's, a few microseconds a request. Two features with the same 64-bit hash would
share a number; the hashes are the process's own (``hash``), and nothing is kept across
processes.

    read = read_labelled(index, [("is it worth it", "benefits"), ...])
    read.vocabulary.numbers(index.features("worth it?"))   # -> [3, 7, ...]
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

from .hashed import position
from .understanding import Index

K = TypeVar("K", bound=Hashable)


class Vocabulary:
    """Every feature learned, numbered by its first sighting, found by its hash."""

    def __init__(self, hashes: Sequence[int]) -> None:
        """``hashes``: the features' hashes in the order of their numbers."""
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        self._hashes = array("q", (hashes[n] for n in order))  # sorted, for a binary search
        self._numbers = array("i", order)  # the number of each

    def __len__(self) -> int:
        return len(self._hashes)

    def number(self, feature: str) -> int | None:
        """The feature's number, or None for a feature never learned."""
        at = position(self._hashes, feature)
        return None if at is None else self._numbers[at]

    def numbers(self, features: Iterable[str]) -> list[int]:
        """The numbers of the known ones among ``features``, each once, in order."""
        found = {self.number(f) for f in features}
        return sorted(n for n in found if n is not None)


class Labelled(Generic[K]):
    """Labelled requests as the numbers of their features, with the vocabulary that
    numbers them (requests with no feature are left out: they teach nothing).

    Every request's numbers lie in one flat array, one request after another: thousands
    of small arrays, freed after learning, would leave the worker's heap full of holes.
    """

    def __init__(self, vocabulary: Vocabulary, numbers: array[int], ends: array[int],
                 keys: tuple[K, ...]) -> None:
        self.vocabulary = vocabulary
        self.keys = keys  # each request's concept
        self._numbers, self._ends = numbers, ends

    def __len__(self) -> int:
        return len(self.keys)

    def numbers(self, request: int) -> array[int]:
        """The request's feature numbers, ascending."""
        return self._numbers[self._ends[request - 1] if request else 0:self._ends[request]]

    def __iter__(self) -> Iterator[tuple[array[int], K]]:
        return ((self.numbers(i), key) for i, key in enumerate(self.keys))


def read_labelled(index: Index[K], labelled: Iterable[tuple[str, K]]) -> Labelled[K]:
    """``labelled`` (request, concept) pairs read as ``index`` reads them, numbered.

    A feature's number is its first sighting, in the order of the requests and of their
    features, so every worker numbers alike, sums each request's features in the same
    order, and learns the very same weights."""
    numbered: dict[int, int] = {}  # each feature's number, by its hash
    numbers, ends, keys = array("i"), array("i"), []
    for text, key in labelled:
        mine = {numbered.setdefault(hash(f), len(numbered)) for f in index.features(text)}
        if mine:
            numbers.extend(sorted(mine))
            ends.append(len(numbers))
            keys.append(key)
    return Labelled(Vocabulary(list(numbered)), numbers, ends, tuple(keys))


class Filed(Generic[K]):
    """Texts each filed under a key, kept by their hashes only, like the features (the
    last filing of a text wins, as in a dict): a few thousand texts, or a dict of their
    hashes, would cost each worker a megabyte per language."""

    def __init__(self, filed: Iterable[tuple[str, K]]) -> None:
        last = {hash(text): key for text, key in filed}
        self._texts = Vocabulary(list(last))
        self._keys = tuple(dict.fromkeys(last.values()))
        column = {key: i for i, key in enumerate(self._keys)}
        self._filed = array("I", (column[key] for key in last.values()))

    def __len__(self) -> int:
        return len(self._texts)

    def get(self, text: str) -> K | None:
        """The key ``text`` is filed under, or None."""
        number = self._texts.number(text)
        return None if number is None else self._keys[self._filed[number]]
