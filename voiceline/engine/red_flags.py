"""Red flags: does a request say the person may need help now ("my chest hurts")?

``detect`` is the one place the line decides it; calls and texts both ask it before
anything else, and answer a red flag with its wording, never a topic. The words are the
operators' (``<lang>/red_flags.toml``), in two groups: ``emergency`` (911, 988) and
``urgent`` (a problem after a treatment: call the doctor who treated you).

Words are read by the engine that reads topic requests (``text.understanding``): one index
per language whose concepts are the red-flag words, so a request's word is found as the
engine finds a topic's word: accents and case ignored, text-speak spelled out, stemmed
("hurting" is "hurts"), a near spelling taken for the nearest known word ("swolen" is
"swollen"; a word of four letters or fewer only with two letters swapped, "pian"). Red
flags add two tolerances of their own, since missing one is the costly mistake: a word
folded by sound ("pexo" is "pecho") and a short word one letter short of a longer one
("fevr" is "fever"). Every language's words are tried (a Spanish texter may write
English). The index knows the line's own words (topics, prompts, the guide) as words that
count for nothing, so a word of the line is never taken for a near red-flag word ("fewer
pills" is not "fever", "injected" is not "infected"): a line word counts only if it is
itself a red-flag word.

A phrase is found when its words come in order with at most ``MAX_GAP`` other words
between two of them ("pain way worse" is "pain worse"), something the engine's contiguous
phrases do not allow. Only urgent words give way to a general question ("Is a fever a side
effect?"), and only when the request says nothing of the person's own ("I", "my");
emergencies never do. Those question words are matched as written (folded by sound), never
as near spellings: a doubtful question is answered as a red flag.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import OSA

from ..catalog import Catalog
from ..text.matching import normalise
from ..text.understanding import Index, build_index, stop_words, words_of

MAX_GAP = 2  # other words allowed between two words of a phrase
SHORT = 4  # the longest word the engine takes as written, and red flags one letter short


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
    plain = _plain(request)
    if not plain:
        return None
    flags = _flags_of(catalog)
    codes = sorted(flags.languages, key=lambda c: c != lang_hint)
    readings: dict[str, tuple[frozenset[str], ...]] = {}
    for kind in RedFlagKind:
        for code in codes:
            language = flags.languages[code]
            phrases = language.groups.get(kind.value, ())
            if not phrases:
                continue
            heard = readings.get(code)
            if heard is None:
                heard = readings[code] = language.heard(plain)
            present = frozenset().union(*heard)
            if not any(_has_phrase(heard, phrase) for phrase in phrases
                       if present.issuperset(phrase)):
                continue
            if kind is RedFlagKind.URGENT and flags.general_question(plain):
                continue
            return RedFlag(kind, code)
    return None


# ------------------------------------------------------------------ the catalog's flags

@dataclass(frozen=True)
class _Language:
    """One language's red-flag phrases, as the words to look for, and how a request's
    words are read: each as the red-flag words it stands for, and itself."""

    code: str
    groups: dict[str, tuple[tuple[str, ...], ...]]
    read: Callable[[str], frozenset[str]]
    # The request's words, a text typed without spaces cut apart into red-flag words and
    # the line's ("itsbleedingalotandwontstop"), as the topics' index cuts it.
    words: Callable[[str], list[str]]

    def heard(self, plain: str) -> tuple[frozenset[str], ...]:
        return tuple(self.read(word) | {word} for word in self.words(plain))


@dataclass(frozen=True)
class _Flags:
    languages: dict[str, _Language]
    general: tuple[tuple[str, ...], ...]  # general-question phrases, every language's
    personal: tuple[tuple[str, ...], ...]

    def general_question(self, plain: str) -> bool:
        """A question about the treatment in general, in any language's words."""
        words = tuple(frozenset({_fold(w)}) for w in plain.split())
        return (any(_has_phrase(words, p) for p in self.general)
                and not any(_has_phrase(words, p) for p in self.personal))


_lock = threading.Lock()
_built: list[tuple[Catalog, _Flags]] = []  # the last few catalogs


def _flags_of(catalog: Catalog) -> _Flags:
    """The catalog's red-flag indexes, built the first time they are needed (catalogs are
    immutable; a reload makes a new one)."""
    for known, flags in _built:
        if known.same_words(catalog):
            return flags
    line_words = _line_words(catalog)
    languages: dict[str, _Language] = {}
    for code in catalog.flow.languages:
        groups = {kind: tuple(_phrase(p, code) for p in group.words)
                  for kind, group in catalog.languages[code].red_flags.groups.items()}
        languages[code] = _language(code, groups, line_words)
    general, personal = [], []
    for lang in catalog.languages.values():
        general += [tuple(_fold(w) for w in _plain(p).split()) for p in lang.red_flags.general]
        personal += [tuple(_fold(w) for w in _plain(p).split())
                     for p in lang.red_flags.personal]
    flags = _Flags(languages, tuple(p for p in general if p), tuple(p for p in personal if p))
    with _lock:
        _built.insert(0, (catalog, flags))
        del _built[4:]
    return flags


def _line_words(catalog: Catalog) -> frozenset[str]:
    """Every word the line itself uses: topics, subject words, prompts, menus, the guide."""
    texts: list[str] = [*(catalog.guide.sections.values() if catalog.guide else ())]
    for lang in catalog.languages.values():
        texts += [*lang.call.values(), *lang.text.values(), *lang.menus.values(),
                  *lang.subject_words]
        for topic in lang.topics.values():
            texts += [topic.label, topic.spoken, topic.text, *topic.words]
    return frozenset(w for text in texts for w in _plain(text).split())


def _language(code: str, groups: dict[str, tuple[tuple[str, ...], ...]],
              line_words: frozenset[str]) -> _Language:
    stops = stop_words(code)
    flag_words = {w for phrases in groups.values() for p in phrases for w in p}
    content = sorted(flag_words - stops)
    concepts = {word: (word,) for word in content}  # each red-flag word a concept
    by_sound: dict[str, set[str]] = {}
    for word in content:
        by_sound.setdefault(_fold(word), set()).add(word)
    plain_index = build_index(concepts, code)
    # The line's words are known to the index, so a near spelling finds them first; a
    # line word that shares a red-flag word's stem ("infection", "infected") is left out,
    # or the engine would drop the red-flag word with it, and is taken as written below.
    ignore = sorted(w for w in line_words - flag_words if not plain_index.knows(w))
    index = build_index(concepts, code, ignore=ignore)
    # Small words of a phrase ("is bleeding", "on my chest") are never concepts, so they
    # are found only as written.
    read = functools.lru_cache(maxsize=16384)(functools.partial(
        _read, index, line_words, {k: frozenset(v) for k, v in by_sound.items()}))
    return _Language(code, groups, read, index.words)


def _read(index: Index[str], line_words: frozenset[str],
          by_sound: dict[str, frozenset[str]], word: str) -> frozenset[str]:
    """The red-flag words ``word`` is read as (several when they share a stem)."""
    if word in line_words:  # the line's own word is taken as written
        return frozenset()
    found = frozenset(m.key for m in index.rank(word).matches)
    if found:
        return found
    # A spelling by sound must sound exactly like the word: near sounds are too loose
    # ("looking" is not "choking").
    folded = _fold(word)
    found = by_sound.get(folded, frozenset())
    if found or len(folded) != SHORT:
        return found
    # The engine takes a short word as written; a short word that is a longer red-flag
    # word with one letter missing ("fevr") is read as that word, as missing a red flag
    # is the costly mistake.
    near = [sound for sound in by_sound if len(sound) == SHORT + 1
            and sound[:1] == folded[:1] and OSA.distance(folded, sound, score_cutoff=1) <= 1]
    return frozenset(w for sound in near for w in by_sound[sound])


# ---------------------------------------------------------------------------- matching

_CONTRACTION = re.compile(r"\b(\w+) (t|s|m|re|ve|ll|d)\b")  # "can t" -> "cant" after normalise


@functools.lru_cache(maxsize=8192)
def _plain(text: str) -> str:
    return _CONTRACTION.sub(r"\1\2", normalise(text))


def _phrase(text: str, code: str) -> tuple[str, ...]:
    return tuple(words_of(_plain(text), code))


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


def _has_phrase(words: Sequence[frozenset[str]], phrase: Sequence[str]) -> bool:
    """Whether ``phrase``'s words occur in ``words`` (each request word as the words it
    stands for) in order, each within ``MAX_GAP`` words of the one before."""
    if not phrase:
        return False
    for start, word in enumerate(words):
        if phrase[0] not in word:
            continue
        at, found = start, True
        for wanted in phrase[1:]:
            nxt = next((i for i in range(at + 1, min(len(words), at + 2 + MAX_GAP))
                        if wanted in words[i]), None)
            if nxt is None:
                found = False
                break
            at = nxt
        if found:
            return True
    return False
