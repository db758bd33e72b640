"""Reading level and speaking time of a text, for ``voiceline check``.

English: the Flesch-Kincaid grade (US school grade; the line aims at 6 or lower).
Spanish: the Szigriszt-Pazos perspicuity (0 to 100, higher is easier; 65 to 80 is "fairly
easy", about grade 6, so the line aims at 65 or higher):
206.835 - 62.3 x (syllables per word) - (words per sentence). Like Flesch's, it weighs
syllables and sentence length; it was validated on Spanish texts, unlike the older
Fernández-Huerta adaptation.

Syllables are counted by rule, not by dictionary, so a word here and there is off by
one; over a paragraph the grade is close enough to warn about. Formulas mean little for
a few words, so texts shorter than ``MIN_WORDS`` get no score.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

MIN_WORDS = 8
WORDS_PER_MINUTE = 150 * 0.90  # a usual speaking pace, slowed to the line's 90% rate

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # letters, with inner apostrophes


@dataclass(frozen=True)
class TextStats:
    words: int
    sentences: int
    syllables: int
    longest_sentence: int  # in words
    long_words: tuple[str, ...]  # words of three syllables or more, in order, once each


def speaking_seconds(text: str) -> float:
    """Estimated seconds to speak ``text`` at ``WORDS_PER_MINUTE`` (digits count as words)."""
    return len(_PLACEHOLDER.sub("word", text).split()) * 60.0 / WORDS_PER_MINUTE


def stats(text: str, lang: str) -> TextStats:
    count = syllables_es if lang == "es" else syllables_en
    text = _PLACEHOLDER.sub("", text)
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    words = _WORD.findall(text)
    long_words: list[str] = []
    total = 0
    for word in words:
        n = count(word)
        total += n
        if n >= 3 and word.lower() not in long_words:
            long_words.append(word.lower())
    longest = max((len(_WORD.findall(s)) for s in sentences), default=0)
    return TextStats(len(words), max(1, len(sentences)), total, longest, tuple(long_words))


def flesch_kincaid_grade(text: str | TextStats) -> float | None:
    """US school grade needed to read ``text`` (English), or None if it is too short."""
    s = text if isinstance(text, TextStats) else stats(text, "en")
    if s.words < MIN_WORDS:
        return None
    return 0.39 * s.words / s.sentences + 11.8 * s.syllables / s.words - 15.59


def szigriszt_pazos(text: str | TextStats) -> float | None:
    """Perspicuity of ``text`` (Spanish; higher is easier), or None if it is too short."""
    s = text if isinstance(text, TextStats) else stats(text, "es")
    if s.words < MIN_WORDS:
        return None
    return 206.835 - 62.3 * s.syllables / s.words - s.words / s.sentences


# ------------------------------------------------------------------------------ syllables

def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower())
                   if not unicodedata.combining(c))


@functools.lru_cache(maxsize=8192)  # a catalog says the same words again and again
def syllables_en(word: str) -> int:
    """English syllables by rule: vowel groups, less a silent final e or -ed/-es."""
    word = re.sub(r"[^a-z]", "", _plain(word))
    if not word:
        return 0
    if len(word) <= 3:
        return 1
    groups = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ie", "ye")):
        groups -= 1  # make, there
    elif word.endswith("le") and len(word) > 2 and word[-3] in "aeiouy":
        groups -= 1  # whale, mile
    elif re.search(r"[^aeiouytd]ed$", word) or re.search(r"[^aeiouycgszx]es$", word):
        groups -= 1  # helped, makes (but wanted, needed, places, uses keep theirs)
    if word.startswith("y") and len(word) > 1 and word[1] in "aeiou":
        groups -= 1 if groups > 1 else 0  # yes, you: the y is a consonant
    if re.search(r"[aeiouy][^aeiouy]e(?:ment|ly|ful|ness|less)$", word):
        groups -= 1  # movement, lately: the e before a suffix is silent
    groups += len(re.findall(r"[aeiou]ing$|[^aeiou]ia|[^tscx]io(?!u)|[^aeiouq]ua|iu", word))
    return max(1, groups)


_ES_STRONG = set("aeoáéóíú")  # accented í and ú are heard on their own, like strong vowels
_ES_VOWELS = set("aeiouáéíóúü")


@functools.lru_cache(maxsize=8192)
def syllables_es(word: str) -> int:
    """Spanish syllables by rule: a vowel group is one syllable, split between two strong
    vowels (hiatus, "po-e-ta") or at an accented í or ú ("dí-a"); the u of que/qui/gue/gui
    is silent."""
    word = re.sub(r"[^a-záéíóúüñ]", "", word.lower())
    word = re.sub(r"([qg])u(?=[eéií])", r"\1", word)
    if word.endswith("y") and len(word) > 1 and word[-2] in _ES_VOWELS:
        word = word[:-1] + "i"  # muy, hoy, rey: a final y after a vowel sounds like i
    count, previous = 0, ""
    for char in word:
        if char not in _ES_VOWELS:
            previous = ""
            continue
        hiatus = (char in _ES_STRONG and previous in _ES_STRONG) or "í" in (char, previous) \
            or "ú" in (char, previous)
        if not previous or hiatus:
            count += 1
        previous = char
    return max(1, count) if word else 0
