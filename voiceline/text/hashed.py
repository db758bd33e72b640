"""Texts kept by their hashes only, in one sorted array (pure).

Thousands of short strings, or a set of them, cost a worker megabytes; their 64-bit
hashes in a sorted array cost eight bytes each, and a lookup is a binary search. Two
texts with the same hash would be taken for one; the hashes are the process's own
(``hash``), and nothing is kept across processes.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable


def sorted_hashes(texts: Iterable[str]) -> array[int]:
    """The texts' hashes, each once, ascending."""
    return array("q", sorted({hash(text) for text in texts}))


def position(hashes: array[int], text: str) -> int | None:
    """Where ``text``'s hash is in ``hashes`` (ascending), or None if it is not there."""
    wanted = hash(text)
    at = bisect_left(hashes, wanted)
    return at if at < len(hashes) and hashes[at] == wanted else None
