"""Red flags: does a request say the person may need help now ("my chest hurts")?

``detect`` is the one place the line decides it; calls and texts both ask it before
anything else, and answer a red flag with its wording, never a topic. The words are the
operators' (``<lang>/red_flags.toml``), in two groups: ``emergency`` (911, 988) and
``urgent`` (a problem after a treatment: call the doctor who treated you).

Matching is deliberately tolerant, since missing a red flag is the costly mistake: every
language's words are tried (a Spanish texter may write English), accents and case are
ignored, words are folded by sound ("pexo" is "pecho", "inchado" is "hinchado"), one typo
is forgiven in a word of five letters or more (two from eight), and up to ``MAX_GAP``
other words may come between a phrase's words ("pain way worse" is "pain worse"). Only
urgent words give way to a general question ("Is a fever a side effect?"), and only when
the request says nothing of the person's own ("I", "my"); emergencies never do.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..catalog import Catalog
from ..text.matching import normalise

MAX_GAP = 2  # other words allowed between two words of a phrase


class RedFlagKind(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"


@dataclass(frozen=True)
class RedFlag:
    """A red flag found in a request: its group and the language of the words found (the
    language to answer in)."""

    kind: RedFlagKind
    lang: str


def detect(catalog: Catalog, request: str, lang_hint: str | None = None) -> RedFlag | None:
    """The red flag in ``request`` (spoken or texted), or None.

    An emergency outranks an urgent problem. When words of several languages match, the
    answer is in ``lang_hint`` (the caller's or texter's language) if it is one of them,
    else in the first of flow.toml's languages that matched.
    """
    words = _tokens(request)
    if not words:
        return None
    known = _vocabulary(catalog)
    codes = sorted(catalog.flow.languages, key=lambda c: c != lang_hint)
    for kind in RedFlagKind:
        for code in codes:
            flags = catalog.languages[code].red_flags
            group = flags.groups.get(kind.value)
            if group is None or not any(_has_phrase(words, _tokens(p), known) for p in group.words):
                continue
            if kind is RedFlagKind.URGENT and _general_question(catalog, words):
                continue
            return RedFlag(kind, code)
    return None


def _general_question(catalog: Catalog, words: tuple[str, ...]) -> bool:
    """A question about the treatment in general, in any language's words."""
    general = [p for lang in catalog.languages.values() for p in lang.red_flags.general]
    personal = [p for lang in catalog.languages.values() for p in lang.red_flags.personal]
    return (any(_has_phrase(words, _tokens(p)) for p in general)
            and not any(_has_phrase(words, _tokens(p)) for p in personal))


_VOCABULARIES: dict[str, frozenset[str]] = {}


def _vocabulary(catalog: Catalog) -> frozenset[str]:
    """Words the line itself uses (topics, prompts, the guide) that are not red-flag words:
    a request's word found here is taken as written, never as a typo of a red-flag word
    ("fewer pills" is not "fever", "injected" is not "infected")."""
    found = _VOCABULARIES.get(catalog.version)
    if found is not None:
        return found
    texts: list[str] = [*(catalog.guide.sections.values() if catalog.guide else ())]
    flagged: set[str] = set()
    for lang in catalog.languages.values():
        texts += [*lang.call.values(), *lang.text.values(), *lang.menus.values()]
        for topic in lang.topics.values():
            texts += [topic.label, topic.spoken, topic.text, *topic.words]
        for group in lang.red_flags.groups.values():
            flagged.update(w for phrase in group.words for w in _tokens(phrase))
    vocabulary = frozenset(w for text in texts for w in _tokens(text)) - flagged
    if len(_VOCABULARIES) > 8:  # a reload makes a new catalog; old ones are not asked again
        _VOCABULARIES.clear()
    _VOCABULARIES[catalog.version] = vocabulary
    return vocabulary


# ---------------------------------------------------------------------------- matching

_CONTRACTION = re.compile(r"\b(\w+) (t|s|m|re|ve|ll|d)\b")  # "can t" -> "cant" after normalise


@functools.lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    plain = _CONTRACTION.sub(r"\1\2", normalise(text))
    return tuple(_fold(w) for w in plain.split())


@functools.lru_cache(maxsize=16384)
def _fold(word: str) -> str:
    """A word as it sounds, roughly, so spelling slips meet: silent h, k/c/q, z/s, v/b,
    x for ch, doubled letters, a final e."""
    word = word.replace("ch", "x").replace("ph", "f").replace("h", "")
    word = word.replace("qu", "c").replace("k", "c").replace("z", "s").replace("v", "b")
    word = word.replace("ai", "a").replace("ll", "y")
    word = re.sub(r"(.)\1+", r"\1", word)
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _has_phrase(words: Sequence[str], phrase: Sequence[str],
                known: frozenset[str] | None = None) -> bool:
    """Whether ``phrase``'s words occur in ``words`` in order, each within ``MAX_GAP``
    words of the one before. With ``known`` words, a typo is forgiven in any other word
    (without, words must be the same as folded)."""
    if not phrase:
        return False

    def same(heard: str, wanted: str) -> bool:
        return heard == wanted or (known is not None and heard not in known
                                   and _close(heard, wanted))

    for start, word in enumerate(words):
        if not same(word, phrase[0]):
            continue
        at, found = start, True
        for wanted in phrase[1:]:
            nxt = next((i for i in range(at + 1, min(len(words), at + 2 + MAX_GAP))
                        if same(words[i], wanted)), None)
            if nxt is None:
                found = False
                break
            at = nxt
        if found:
            return True
    return False


@functools.lru_cache(maxsize=65536)
def _close(heard: str, wanted: str) -> bool:
    if len(wanted) < 5 or heard[:1] != wanted[:1] or abs(len(heard) - len(wanted)) > 2:
        return False
    return _distance(heard, wanted, 2 if len(wanted) >= 8 else 1)


def _distance(a: str, b: str, limit: int) -> bool:
    """Whether ``a`` and ``b`` are at most ``limit`` edits apart (insert, delete, change,
    swap of two neighbours)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit
