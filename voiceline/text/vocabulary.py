"""Labelled requests read once, their features numbered, for the learners (pure).

Both learned opinions (``text.likelihood``, ``text.separation``) weigh the same features
of the same labelled requests (the index's reading: stems and pairs of stems). Reading
each request once, for both, halves the reading at start; numbering the features lets
each learner keep its weights in flat tables by number.

The vocabulary keeps no feature's text: only its hash, in one sorted array, where a
feature's number is its place. Tens of thousands of feature strings and a dict of them
would cost each worker megabytes per language; a lookup is a binary search instead of a
dict's, a few microseconds a request. Two features with the same 64-bit hash would
share a number; the hashes are the process's own (``hash``), so every worker numbers
alike for itself, and nothing is kept across processes.

    read = read_labelled(index, [("is it worth it", "benefits"), ...])
    read.vocabulary.numbers(index.features("worth it?"))   # -> [3, 7, ...]
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .understanding import Index

K = TypeVar("K", bound=Hashable)


class Vocabulary:
    """Every feature learned, by the place of its hash among the sorted hashes."""

    def __init__(self, hashes: Iterable[int]) -> None:
        self._hashes = array("q", sorted(set(hashes)))

    def __len__(self) -> int:
        return len(self._hashes)

    def number(self, feature: str) -> int | None:
        """The feature's number, or None for a feature never learned."""
        return self._place(hash(feature))

    def numbers(self, features: Iterable[str]) -> list[int]:
        """The numbers of the known ones among ``features``, each once, in order."""
        found = {self._place(hash(f)) for f in features}
        return sorted(n for n in found if n is not None)

    def _place(self, wanted: int) -> int | None:
        at = bisect_left(self._hashes, wanted)
        return at if at < len(self._hashes) and self._hashes[at] == wanted else None


@dataclass(frozen=True)
class Labelled(Generic[K]):
    """Labelled requests as the numbers of their features, with the vocabulary that
    numbers them (requests with no feature are left out: they teach nothing)."""

    vocabulary: Vocabulary
    requests: tuple[tuple[array[int], K], ...]


def read_labelled(index: Index[K], labelled: Iterable[tuple[str, K]]) -> Labelled[K]:
    """``labelled`` (request, concept) pairs read as ``index`` reads them, numbered."""
    # Hashes in flat arrays while reading: a Python int per feature of every request
    # would cost more, at the peak of the start, than all that is learned from them.
    hashed: list[tuple[array[int], K]] = []
    for text, key in labelled:
        hashes = array("q", {hash(f) for f in index.features(text)})
        if hashes:
            hashed.append((hashes, key))
    every = sorted({h for hashes, _ in hashed for h in hashes})
    place = {h: i for i, h in enumerate(every)}
    requests = tuple((array("i", sorted(place[h] for h in hashes)), key)
                     for hashes, key in hashed)
    return Labelled(Vocabulary(every), requests)
