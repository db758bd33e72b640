"""Understanding what a caller said or a texter wrote: pure word matching, no I/O.

Each candidate has phrases; the longest phrase found in the request wins. Two candidates
tied on their best phrase are ambiguous, and the caller is asked "did you mean", never
told a guess as if it were sure.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
K = TypeVar("K", bound=Hashable)


@functools.lru_cache(maxsize=4096)  # the catalog's phrases are normalised again and again
def normalise(text: str) -> str:
    """Lowercase, strip accents and punctuation, squeeze spaces: 'Español?' -> 'espanol'."""
    folded = text.casefold()
    if folded.isascii():  # most requests: nothing to strip (and the accents' pass is slow)
        return " ".join(_NOT_WORD.sub(" ", folded).split())
    decomposed = unicodedata.normalize("NFD", folded)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def best_matches(request: str, phrases: Mapping[K, Iterable[str]]) -> list[K]:
    """Candidates named in ``request``, by whole-word phrases.

    A phrase found inside a longer phrase of another candidate does not count ("does it
    work" inside "how does it work"). Returns [] when nothing matches, one id when the
    answer is clear, several (most words matched first) when the request names more than
    one thing.
    """
    words = f" {normalise(request)} "
    spans: list[tuple[int, int, K]] = []
    for candidate, candidate_phrases in phrases.items():
        for phrase in candidate_phrases:
            plain = normalise(phrase)
            if not plain:
                continue
            needle = f" {plain} "
            start = words.find(needle)
            while start >= 0:
                spans.append((start, start + len(needle), candidate))
                start = words.find(needle, start + 1)
    kept = [
        s for s in spans
        if not any(o[2] != s[2] and o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0])
                   for o in spans)
    ]
    reach: dict[K, int] = {}
    for start, end, candidate in kept:
        reach[candidate] = max(reach.get(candidate, 0), end - start)
    return sorted(reach, key=lambda c: -reach[c])
