"""Understanding a request in someone's own words: ranked concepts with a score (pure).

One engine for calls and texts, and for any set of concepts (the topics, red-flag phrases,
commands). The whole API::

    index = build_index({"risks": ["side effects", "is it safe"], ...}, "en",
                        ignore=["stem cell", "neck"])
    index.rank("are there any side efects?")   # -> [Match("risks", 2.1), ...]
    best_of([index_en, index_es], request)      # -> (language, ranking) of the best index

A concept is any hashable key with phrases. Building an index is the slow part (a few
milliseconds), so build it once per immutable set of phrases and keep it; ``rank`` then
takes well under a millisecond.

How a request is read, per language:

- normalised (lowercase, no accents or punctuation), letters said one by one joined
  into the word they spell ("h s a", "F.D.A.", "hache ese a"), text-speak spelled out
  ("wat r u", "teh", "kmo"),
  fillers ("um", "uh", "eh") and spoken numbers ("two" -> "2") handled; words that only
  colour a sentence dropped ("actually", "really") and "the", "this", "that" read as "it",
  in phrases and requests alike ("how does the treatment actually work");
- words stemmed (Snowball), so "recovering" finds "recovery";
- a word the index does not know is matched to the nearest known word within a small
  edit distance (none for words of four letters or fewer, one edit from five letters,
  two from eight; never to a known word of four letters or fewer, so "numbr" is not
  "numb"), so "insurrance" finds "insurance" but "stop" does not become "step";
  between equally near words, the one that begins alike; a word a phrase spells is
  always read as itself;
- words run together ("stemcells") are split, and a word broken in two ("in shurance")
  joined, when the result is a known word; a whole text typed without spaces
  ("HOWMUCHDOESITCOST") is cut into the fewest known words that spell it;
- stop words, question words and family or reporting words ("my son wants to know")
  count for nothing on their own, but a phrase is matched whole too: the longest phrase
  found wins its words ("how does it work" beats "does it work"), a shorter phrase of
  another concept inside it counts for nothing, and a phrase of stop words only ("what
  is it") gives way to a strong word of another concept ("what is it cost");
- each remaining word scores for every concept that has it, weighted by how few concepts
  share it (a word of one concept weighs 1, of two 0.5 ...), and a little less when it
  was only a near spelling; in a long request (``LONG_REQUEST`` words) earlier words
  count less, since a spoken story asks at its end.

A ``Match``'s score is that sum; its ``support`` is how many of the request's words
spoke for it, ``exact`` how many of those were spelled as the index knows them.
``Ranking`` also says how many of the request's words no concept knows (``unknown``;
``strange``: those long enough to be a subject of their own): a request that is mostly
about something else is no clear request for a concept that shares one word with it.
What counts as sure is the caller's decision (``engine.understand``), not the index's.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from .hashed import position, sorted_hashes
from .matching import normalise

K = TypeVar("K", bound=Hashable)

STEMMERS = {"en": "english", "es": "spanish"}
FUZZY_WEIGHT = 0.75  # a near spelling counts for a little less than the word itself
STOP_IN_PHRASE = 0.4  # a stop word inside a matched phrase adds this to its length
CONTEXT_WEIGHT = 0.25  # a word of a concept's context text, next to 1 for its own word
LANGUAGE_MARGIN = 0.3  # how much better another language must understand a request
STRANGE_STEM = 5  # an unknown word this long (stemmed) may be what a request is about
LONG_REQUEST = 12  # words (subject words left out) from which a request is read as a story
EARLY_DISCOUNT = 0.4  # how much less the first word of a long request counts than the last
STOP_PHRASE = 0.25  # per word, for a phrase made of stop words only ("how much")
RUN_TOGETHER = 9  # an unknown word this long may be words typed without spaces
RUN_TOGETHER_MAX = 40  # nor longer: splitting is quadratic in the word's length

# Words that say nothing about which concept is meant: function words, question words,
# fillers and politeness, per language. Question words still count inside a phrase.
_STOP = {
    "en": """a about actually after again all also am an and any anything are as ask at be
        because been being but by can could did do does doing done dont for from get gets
        getting give go going gonna got had has have having he her here hi hello hey him his
        how i id if im in info information into is isnt it its ive just know kind like
        lot make me mean more most much my need of oh ok okay on one or other our out over
        please pls really so some something sort tell than thank thanks that thats the
        their them then there these they thing things think this those to uh um umm er erm
        hmm mm ah eh up us very wanna want wanted was way we well were what whats when where
        which who why will wondering with would yeah yes you your youre yall question
        anyone somebody someone stuff let lets see say said okay alright right now
        son daughter husband wife mom mother dad father brother sister friend neighbor
        uncle aunt grandson granddaughter asked asking wants wondering wonders says told
        find curious maam sir honey dear sorry excuse""",
    "es": """a al algo alguien algun alguna alguno como con cual cuales cuando de del donde
        e el ella ellas ellos en entonces es esa ese eso esta estan estas este esto estos
        estoy fue ha han hay la las le les lo los me mas mi mis mucho muy nada ni no nos o
        para pero pues por porque que quien quiero quisiera saber se sea ser si sin sobre
        son su sus tal tan te tiene tienen todo tu un una uno unos usted ustedes y ya yo
        eh em este mmm hola buenas buenos gracias favor oiga disculpe digame dime
        pregunta informacion bueno ok okay oye mire sabe sabes necesito puede podria nomas
        solo solamente mero hijo hija esposo esposa mama papa hermano hermana amigo amiga
        vecino vecina tio tia nieto nieta pregunte preguntar pidio averiguar dice dijo
        quiere quieres quienes mija mijo perdon perdone disculpa disculpeme""",
}
# Text-speak and speech spellings, spelled out before anything else.
_SPELLED = {
    "en": {"u": "you", "r": "are", "ur": "your", "wat": "what", "wht": "what", "whta": "what",
           "y": "why", "2": "to", "4": "for", "w": "with", "ppl": "people", "pls": "please",
           "plz": "please", "abt": "about", "b4": "before", "dr": "doctor", "rly": "really",
           "thx": "thanks", "im": "i", "ya": "you", "cuz": "because", "bc": "because",
           "gonna": "going", "ins": "insurance", "meds": "medicine", "appt": "appointment",
           "n": "and", "k": "ok", "any1": "anyone", "sum1": "someone", "hw": "how",
           "whats": "what is", "wats": "what is", "hows": "how is", "whos": "who is",
           "cel": "cell", "cels": "cells", "sel": "cell", "sell": "cell",
           "teh": "the", "tha": "the", "hte": "the", "cn": "can", "shud": "should",
           "shld": "should", "wud": "would", "wld": "would", "cud": "could", "cld": "could",
           "coz": "because", "cos": "because", "bcuz": "because", "becuz": "because",
           "wen": "when", "wut": "what", "wot": "what", "dat": "that", "dis": "this",
           "dey": "they", "thru": "through", "bout": "about", "prolly": "probably",
           "kno": "know", "nd": "and"},
    "es": {"q": "que", "k": "que", "ke": "que", "xq": "porque", "pq": "porque", "d": "de",
           "x": "por", "xfa": "favor", "p": "para", "pa": "para", "tb": "tambien",
           "tmb": "tambien", "komo": "como", "kien": "quien", "kuanto": "cuanto",
           "dr": "doctor", "dra": "doctora", "aseguranza": "seguro", "aseguransa": "seguro",
           "sta": "esta", "toy": "estoy", "aki": "aqui", "kiero": "quiero",
           "kisiera": "quisiera", "xk": "porque", "porq": "porque", "pork": "porque",
           "porfa": "por favor", "dnd": "donde", "cdo": "cuando", "kmo": "como", "cmo": "como",
           "kual": "cual", "tons": "entonces", "bn": "bien", "muxo": "mucho", "mxo": "mucho",
           "vdd": "verdad", "ps": "pues", "ola": "hola", "xa": "para", "grax": "gracias",
           "mui": "muy", "ase": "hace", "aser": "hacer", "asen": "hacen"},
}
_NUMBERS = {
    "en": {"zero": "0", "oh": "0", "one": "1", "won": "1", "two": "2", "too": "2", "to": "2",
           "three": "3", "four": "4", "for": "4", "five": "5", "six": "6", "seven": "7",
           "eight": "8", "nine": "9"},
    "es": {"cero": "0", "uno": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4",
           "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9"},
}
# Words that only colour a sentence, dropped from requests and phrases alike, so that
# "does it even work" is "does it work".
_DROPPED = {"en": frozenset({"actually", "even", "exactly", "basically", "really", "truly"}),
            "es": frozenset({"realmente", "exactamente"})}
# Small words that point at the thing asked about, read as one, so that a phrase holds
# whichever a caller says: "how does the work" (after "stem cell treatment" is left out),
# "how does this work" and "how does it work" are one phrase.
_SAME = {"en": {"the": "it", "this": "it", "that": "it"}}
# Letters as they are said, where a name is no single letter: "hache ese a" is "hsa".
_LETTER_NAMES = {"es": {"be": "b", "ce": "c", "de": "d", "efe": "f", "ge": "g", "hache": "h",
                        "jota": "j", "ka": "k", "ele": "l", "eme": "m", "ene": "n", "pe": "p",
                        "cu": "q", "erre": "r", "ese": "s", "te": "t", "uve": "v", "ve": "v",
                        "equis": "x", "ye": "y", "zeta": "z"}}
# Letters and letter names that are words or text-speak too: a run of these alone spells
# nothing ("r u", "de a"), and they stay words before a run ("my h s a", "de efe ese a")
# and, but for the letters that end many a name ("hsa", "mri", "imss"), after it.
_LETTER_WORDS = {language: frozenset(w for w in spelled if len(w) == 1 and w.isalpha()) | words
                 for language, spelled, words in (
                     ("en", _SPELLED["en"], {"a", "i"}),
                     ("es", _SPELLED["es"], {"a", "e", "o", "u", "y", "de", "te", "ve", "ye",
                                             "ese"}))}
_LETTER_ENDS = {"en": frozenset("ai"), "es": frozenset({"a", "ese"})}
_KEY_WORDS = {"en": {"press", "number", "option", "choice", "key", "the", "i", "want", "pick"},
              "es": {"oprimo", "oprima", "numero", "opcion", "la", "el", "quiero", "marco",
                     "tecla"}}


@dataclass(frozen=True)
class Match(Generic[K]):
    key: K
    score: float
    support: int = 0  # how many of the request's words speak for this concept
    exact: int = 0  # of those, how many were spelled as the concept knows them
    whole: bool = False  # the request holds a whole phrase of its own (one word or more)


@dataclass(frozen=True)
class Ranking(Generic[K]):
    """Concepts found in a request, best first; ``unknown`` is how many of its words no
    concept (nor the ignore list) knows."""

    matches: tuple[Match[K], ...]
    unknown: int
    words: int  # the request's distinct words that are not stop words
    known: int = 0  # the request's words this language knows (stop words included)
    strange: int = 0  # unknown words long enough to be a subject of their own ("cortisone")
    spoken: int = 0  # the request's words, stop words included (subject words left out)

    @property
    def best(self) -> Match[K] | None:
        return self.matches[0] if self.matches else None

    def score_of(self, key: K) -> float:
        return next((m.score for m in self.matches if m.key == key), 0.0)


@dataclass(frozen=True, slots=True)  # thousands are cached per index: no dict each
class _Token:
    stem: str
    stop: bool
    fuzzy: bool = False
    known: bool = True
    subject: bool = False


_stemmers = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


def _stem(language: str, word: str) -> str:
    # Compiled Snowball (PyStemmer) takes about a microsecond a word: no cache of our own,
    # nor its own, which would hold every word a worker ever read.
    by_language = _stemmers.__dict__
    stemmer = by_language.get(language)
    if stemmer is None:
        stemmer = by_language[language] = snowballstemmer.stemmer(
            STEMMERS.get(language, "english"))
        stemmer.maxCacheSize = 0
    # One copy of each stem, however many phrases and learned features hold it.
    return sys.intern(str(stemmer.stemWord(word)))


def stop_words(language: str) -> frozenset[str]:
    return frozenset(_STOP.get(language, "").split())


def allowed_edits(word: str) -> int:
    """How many edits a word may be off and still be recognised: short words are exact,
    because one edit turns a short word into another word ("card" / "care")."""
    return 0 if len(word) <= 4 else 1 if len(word) <= 7 else 2


def words_of(text: str, language: str) -> list[str]:
    """The request's words: normalised, text-speak spelled out, fillers dropped."""
    spelled = _SPELLED.get(language, {})
    out: list[str] = []
    money = " dolares " if language == "es" else " dollars "
    dropped, same = _DROPPED.get(language, frozenset()), _SAME.get(language, {})
    for word in _letters_joined(*_contracted(text.replace("$", money)), language):
        if word in spelled:  # text-speak may stand for several words: "idk"
            out.extend(same.get(w, w) for w in spelled[word].split() if w not in dropped)
        elif word not in dropped:
            out.append(same.get(word, word))
    return out


def _contracted(text: str) -> tuple[list[str], frozenset[int]]:
    """The text's normalised words, and where a word is the end of a contraction: the
    "s" of "what's" and the "t" of "can't" are no letters spelled out."""
    if "'" not in text and "\u2019" not in text:
        return normalise(text).split(), frozenset()
    words: list[str] = []
    ends: set[int] = set()
    for chunk in text.split():
        pieces = normalise(chunk).split()
        if len(pieces) > 1 and ("'" in chunk or "\u2019" in chunk):
            ends.update(range(len(words) + 1, len(words) + len(pieces)))
        words.extend(pieces)
    return words, frozenset(ends)


def _letters_joined(words: list[str], contractions: frozenset[int],
                    language: str) -> list[str]:
    """Letters said or typed one by one joined into the word they spell: "h s a",
    "F.D.A." (punctuation is gone by now), "hache ese a" -> "hsa", "fda". A run must
    hold a letter that is no word of the language nor text-speak ("r u" stays "are
    you"), and such words at its edges stay words: "my h s a", "de efe ese a"; the end
    of a contraction is no letter ("what's a": ``contractions``)."""
    names = _LETTER_NAMES.get(language, {})
    if not any(len(w) == 1 or w in names for w in words):
        return words
    as_word = _LETTER_WORDS.get(language, frozenset())
    ends = _LETTER_ENDS.get(language, frozenset())
    out: list[str] = []
    i = 0
    while i < len(words):
        end = i
        while end < len(words) and end not in contractions and (
                len(words[end]) == 1 and words[end].isalpha() or words[end] in names):
            end += 1
        start, stop = i, end
        while start < stop and words[start] in as_word:
            start += 1
        while stop > start and words[stop - 1] in as_word and words[stop - 1] not in ends:
            stop -= 1
        if stop - start >= 2:
            out.extend(words[i:start])
            out.append("".join(names.get(w, w) for w in words[start:stop]))
            out.extend(words[stop:end])
            i = end
        else:
            out.extend(words[i:max(end, i + 1)])
            i = max(end, i + 1)
    return out


def spoken_key(text: str, language: str) -> str:
    """A key said as a word ("two", "press 3", "oprimo uno"), or "" if it is not one."""
    numbers = _NUMBERS.get(language, {})
    rest = [w for w in normalise(text).split() if w not in _KEY_WORDS.get(language, set())]
    if len(rest) != 1:
        return ""
    word = rest[0]
    return word if word in set("0123456789") else numbers.get(word, "")


def _nearest(word: str, known: Sequence[str], limit: int) -> str:
    """The known word nearest to ``word`` within ``limit`` edits; between equally near
    ones, the one that begins most like it ("proces" is "process", not "prices")."""
    found = process.extract(word, known, scorer=OSA.distance, score_cutoff=limit, limit=8)
    if not found:
        return ""
    return str(min(found, key=lambda f: (
        f[1], -len(os.path.commonprefix((word, str(f[0]))))))[0])


class Index(Generic[K]):
    """Concepts' phrases in one language, prepared for ``rank``."""

    def __init__(self, concepts: Mapping[K, Sequence[str]], language: str,
                 ignore: Iterable[str] = (), context: Mapping[K, str] | None = None,
                 whole: Iterable[K] = (), foreign: Iterable[str] = ()) -> None:
        self.language = language
        self._stops = stop_words(language)
        stem = self._stem
        # Words about the subject of every concept ("stem cells", "neck") weigh nothing.
        ignored = {w for phrase in ignore for w in words_of(phrase, language)}
        self._stops = self._stops | ignored
        self._ignored_stems = {stem(w) for w in ignored}
        self._ignored_words = frozenset(ignored)
        # A word that is a phrase of its own says more about its concept than a word seen
        # only inside a longer phrase; a word shared by several concepts says less.
        strength: dict[str, dict[K, float]] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], K, float]]] = {}
        surfaces: set[str] = set(self._stops)
        phrase_words: set[str] = set()
        whole_only = set(whole)
        self._own: set[tuple[str, K]] = set()  # a concept's own words, not its context's
        self._single: set[tuple[str, K]] = set()  # a concept's phrases of one word
        for key, text in (context or {}).items():
            # A concept's own longer text ("spoken" of a topic) lends it its words, weakly.
            for word in words_of(text, language):
                if word not in self._stops and len(word) > 3:
                    share = strength.setdefault(self._stem(word), {})
                    share[key] = max(share.get(key, 0.0), CONTEXT_WEIGHT)
        for key, phrases in concepts.items():
            for phrase in phrases:
                words = words_of(phrase, language)
                if not words:
                    continue
                surfaces.update(words)
                phrase_words.update(w for w in words if w not in ignored)
                # Subject words are left out of phrases too, as they are left out of
                # requests: "what is stem cell therapy" is "what is".
                kept = [w for w in words if w not in ignored]
                stems = tuple(self._stem(w) for w in kept)
                content = [s for w, s in zip(kept, stems, strict=True) if w not in self._stops]
                for s in content if key not in whole_only or len(words) == 1 else ():
                    share = strength.setdefault(s, {})
                    share[key] = max(share.get(key, 0.0), 1.0 if len(words) == 1 else 0.5)
                    self._own.add((s, key))
                if len(stems) == 1 and kept[0] not in self._stops:
                    self._single.add((stems[0], key))
                length = sum(STOP_IN_PHRASE if w in self._stops else 1.0 for w in kept)
                entry = (stems, key, length)
                if len(stems) > 1 and entry not in self._phrases.get(stems[0], []):
                    self._phrases.setdefault(stems[0], []).append(entry)
        self._weights: dict[str, dict[K, float]] = {
            s: {k: v / max(1.0, sum(shares.values())) for k, v in shares.items()}
            for s, shares in strength.items()}
        self._surfaces = tuple(sorted(surfaces))
        self._phrase_words = frozenset(phrase_words - self._stops)
        self._anagrams: dict[str, tuple[str, ...]] = {}
        for surface in self._surfaces:
            if len(surface) == 4:
                letters = "".join(sorted(surface))
                self._anagrams[letters] = (*self._anagrams.get(letters, ()), surface)
        self._stems = tuple(sorted(strength))
        self._read = functools.lru_cache(maxsize=8192)(self._read_word)
        # Pieces words typed without spaces may be cut into: any word the index knows,
        # text-speak it spells out ("whats"); short pieces only if they are stop words.
        self._pieces = frozenset(self._surfaces) | frozenset(_SPELLED.get(language, {}))
        # A word of another language's phrases is that language's word, never this one's
        # words run together: "resultados" is not "result a dos". Kept by hash, in a
        # sorted array: the words themselves would cost each worker a megabyte.
        self._foreign = sorted_hashes(w for phrase in foreign for w in words_of(phrase, language))
        self._unglued = functools.lru_cache(maxsize=2048)(self._unglue)

    def _stem(self, word: str) -> str:
        return _stem(self.language, word)

    def names_subject(self, request: str) -> bool:
        """Whether the request has a word about the subject every concept shares: the
        ignore list's ("neck", "stem cells"), near spellings and words run together too."""
        return any(t.subject for t in self._tokens(request))

    def knows(self, word: str) -> bool:
        return word in self._stops or self._stem(word) in self._weights

    def _read_word(self, word: str) -> _Token:
        if word in self._stops:
            return _Token(self._stem(word), stop=True, subject=word in self._ignored_words)
        stem = self._stem(word)
        if stem in self._ignored_stems and word not in self._phrase_words:
            # By its stem ("medicos"), unless a phrase has the word itself: "medicaid"
            # stems like "medico" in Spanish but is no subject word.
            return _Token(stem, stop=True, subject=True)
        if stem in self._weights or word in self._phrase_words:
            # A word of a phrase only (an off-topic one) is known as spelled, not read
            # as a near spelling of another word.
            return _Token(stem, stop=False)
        if len(word) == 4:  # only a swap of two letters: "dose" is "does", "stop" not "step"
            # Two neighbours swapped, not any reordering: "para" is not "aarp".
            swapped = [w for w in self._anagrams.get("".join(sorted(word)), ())
                       if OSA.distance(word, w) == 1]
            if swapped:
                return _Token(self._stem(swapped[0]), stop=swapped[0] in self._stops,
                              fuzzy=True)
        limit = allowed_edits(word)
        if limit and not word.isdigit():
            found = _nearest(word, self._near_length("surfaces", len(word), limit), limit)
            if found:
                return _Token(self._stem(found), stop=found in self._stops,
                              fuzzy=True)
            edits = allowed_edits(stem)
            near = process.extractOne(stem, self._near_length("stems", len(stem), edits),
                                      scorer=OSA.distance, score_cutoff=edits)
            if near is not None and edits and (
                    len(stem) > 5 or str(near[0])[:1] == stem[:1]):
                return _Token(str(near[0]), stop=False, fuzzy=True)
        return _Token(stem, stop=False, known=False)

    @functools.cache  # noqa: B019 - an index lives as long as its catalog, a few at most
    def _near_length(self, kind: str, length: int, edits: int) -> tuple[str, ...]:
        """The known surfaces or stems (``kind``) that ``edits`` edits can reach from a
        word of ``length`` letters (never nearer than the difference of lengths): the
        fraction of them worth searching."""
        known = self._surfaces if kind == "surfaces" else self._stems
        # Nor to a short word: "numbr" is not "numb", as "card" is not "care".
        return tuple(w for w in known if abs(len(w) - length) <= edits and len(w) > 4)

    def words(self, request: str) -> list[str]:
        """``words_of`` the request, with words typed without spaces cut apart
        ("howmuchdoesitcost", "miseguroloaprueba"), for phrases and learners alike."""
        words = words_of(request, self.language)
        if not any(len(w) >= RUN_TOGETHER for w in words):
            return words
        out: list[str] = []
        for word in words:
            out.extend(self._unglued(word) if len(word) >= RUN_TOGETHER else (word,))
        return out

    def _unglue(self, word: str) -> tuple[str, ...]:
        """The fewest known pieces that spell ``word`` (text-speak spelled out), or the
        word itself when it is known or no such pieces spell it."""
        if self.knows(word) or position(self._foreign, word) is not None or \
                len(word) > RUN_TOGETHER_MAX or not word.isalpha():
            return (word,)
        pieces, stops = self._pieces, self._stops
        # cost[i]: the fewest pieces spelling word[:i] (a one-letter piece counts one
        # and a half: "what is it", not "what i sit"); begins[i]: where its last starts
        unreached = float(len(word) + 1) * 2
        cost = [0.0] + [unreached] * len(word)
        begins = [0] * (len(word) + 1)
        for end in range(1, len(word) + 1):
            for start in range(end):
                piece = word[start:end]
                if cost[start] == unreached or piece not in pieces or len(piece) < 3 and \
                        piece not in stops:
                    continue
                reached = cost[start] + (1.5 if len(piece) == 1 else 1.0)
                if reached < cost[end]:
                    cost[end], begins[end] = reached, start
        if cost[-1] == unreached or cost[-1] < 2:
            return (word,)
        cut, end = [], len(word)
        while end:
            cut.append(word[begins[end]:end])
            end = begins[end]
        return tuple(words_of(" ".join(reversed(cut)), self.language))

    def _tokens(self, request: str) -> list[_Token]:
        words = self.words(request)
        tokens: list[_Token] = []
        i = 0
        while i < len(words):
            word = words[i]
            token = self._read(word)
            if i + 1 < len(words) and (not token.known or token.fuzzy):
                joined = self._read(word + words[i + 1])  # "in shurance", "medic air"
                # Glued to a small word, a word is only itself or a typo of itself:
                # "estar en" is not a near spelling of "estiramientos".
                if joined.known and not joined.stop and not (
                        joined.fuzzy and words[i + 1] in self._stops):
                    tokens.append(joined)
                    i += 2
                    continue
            if not token.known and len(word) >= 7:  # "stemcells", "sideeffects"
                split = self._split(word)
                if split:
                    tokens.extend(split)
                    i += 1
                    continue
            tokens.append(token)
            i += 1
        return tokens

    def features(self, request: str) -> list[str]:
        """The request as this index reads it, for a learner (``text.likelihood``): its
        stems in order (near spellings corrected, subject words left out, stop words
        kept, since "how much" and "how long" ask different things) and each pair of
        neighbouring stems. A text typed without spaces is cut apart as for ``rank``;
        two words run together ("stemcells") are not split here: learning reads
        thousands of requests at start, and splitting them changed no guess measured."""
        tokens = (self._read(w) for w in self.words(request))
        stems = [t.stem for t in tokens if not t.subject and (t.known or len(t.stem) > 2)]
        return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]

    def _split(self, word: str) -> list[_Token]:
        for cut in range(3, len(word) - 2):
            left, right = word[:cut], word[cut:]
            if self.knows(left) and self.knows(right):
                return [self._read(left), self._read(right)]
        return []

    def rank(self, request: str) -> Ranking[K]:
        """Every concept the request names, best first (see the module docstring)."""
        tokens = [t for t in self._tokens(request) if not t.subject]
        stems = [t.stem for t in tokens]
        spans: list[tuple[int, int, K, float]] = []
        for start, first in enumerate(stems):
            for phrase, key, length in self._phrases.get(first, ()):
                end = start + len(phrase)
                if tuple(stems[start:end]) == phrase:
                    spans.append((start, end, key, length))
        # A phrase of stop words only ("what is it", "how much") names a concept only
        # when the request has no word of its own for another one: "what is it cost" is
        # about the cost.
        worded = {key for t in tokens if not t.stop and t.known
                  for key, weight in self._weights.get(t.stem, {}).items()
                  if (t.stem, key) in self._own and weight >= 0.5}
        if worded:
            spans = [s for s in spans if s[2] in worded
                     or not all(tokens[i].stop for i in range(s[0], s[1]))]
        kept = [s for s in spans if not any(
            o[2] != s[2] and o[0] <= s[0] and s[1] <= o[1] and o[3] > s[3] for o in spans)]
        # A long spoken request tells its story first and asks at the end ("I had a
        # fusion years ago ... can someone who had surgery get this"): its earlier words
        # count a little less.
        def place(i: int) -> float:
            if len(tokens) < LONG_REQUEST:
                return 1.0
            return 1.0 - EARLY_DISCOUNT * (1.0 - i / (len(tokens) - 1))

        claimed: dict[int, set[K]] = {}
        for start, end, key, _ in kept:
            for i in range(start, end):
                claimed.setdefault(i, set()).add(key)
        scores: dict[K, float] = {}
        support: dict[K, set[int]] = {}
        near: dict[K, set[int]] = {}  # words that were only a near spelling
        seen: set[tuple[str, K]] = set()
        named: set[K] = {key for _, _, key, _ in kept}  # by a word or phrase of its own
        whole: set[K] = set(named)  # by a whole phrase of its own
        for i, token in enumerate(tokens):
            if token.stop or not token.known:
                continue
            owners = claimed.get(i)
            for key, weight in self._weights.get(token.stem, {}).items():
                if owners is not None and key not in owners or (token.stem, key) in seen:
                    continue
                seen.add((token.stem, key))
                if (token.stem, key) in self._own:
                    named.add(key)
                if (token.stem, key) in self._single:
                    whole.add(key)
                if owners is not None:
                    weight = 1.0  # the phrase says whose word it is
                support.setdefault(key, set()).add(i)
                if token.fuzzy:
                    near.setdefault(key, set()).add(i)
                scores[key] = scores.get(key, 0.0) + weight * place(i) * (
                    FUZZY_WEIGHT if token.fuzzy else 1.0)
        counted: dict[K, set[int]] = {}
        for start, end, key, length in sorted(kept, key=lambda s: -s[3]):
            covered = counted.setdefault(key, set())
            if covered.intersection(range(start, end)):
                continue  # the same words, matched again by a shorter phrase
            covered.update(range(start, end))
            support.setdefault(key, set()).update(range(start, end))
            near.setdefault(key, set()).update(
                i for i in range(start, end) if tokens[i].fuzzy)
            for token in tokens[start:end]:  # a whole phrase owns its words
                if not token.stop and (token.stem, key) not in seen:
                    seen.add((token.stem, key))
                    scores[key] = scores.get(key, 0.0) + place(end - 1)
            # A whole phrase of two or more words is surer than its words one by one; a
            # phrase of stop words only ("how much", "who is it for") is a weak word.
            if all(t.stop for t in tokens[start:end]):
                bonus = STOP_PHRASE * (end - start)
            else:
                bonus = 0.3 * max(length - 1, 0.0)
            scores[key] = scores.get(key, 0.0) + bonus * place(end - 1)
        content = [t for t in tokens if not t.stop]
        unknown = sum(1 for t in content if not t.known and len(t.stem) > 2)
        # Context words strengthen a concept the request names; alone they name nothing.
        matches = tuple(sorted((Match(k, round(v, 3), len(support.get(k, ())),
                                      len(support.get(k, set()) - near.get(k, set())),
                                      k in whole)
                                for k, v in scores.items() if v > 0 and k in named),
                               key=lambda m: -m.score))
        strange = sum(1 for t in content if not t.known and len(t.stem) >= STRANGE_STEM)
        distinct = len({t.stem for t in content})
        return Ranking(matches, unknown, distinct, sum(1 for t in tokens if t.known),
                       strange, len(tokens))


def build_index(concepts: Mapping[K, Sequence[str]], language: str,
                ignore: Iterable[str] = (), context: Mapping[K, str] | None = None,
                whole: Iterable[K] = (), foreign: Iterable[str] = ()) -> Index[K]:
    """An index of ``concepts`` (key -> phrases) in ``language`` ("en", "es").

    Words in ``ignore`` (the subject every concept shares) count for nothing. ``context``
    gives a concept a longer text whose words count for it a little (``CONTEXT_WEIGHT``),
    and only when the request also names it by one of its own words or phrases.
    Concepts in ``whole`` are found only by a whole phrase (or a one-word phrase), never
    by one word of a longer phrase ("new" of "new patients"). Words of ``foreign``
    (other languages' phrases) are never read as words of this one run together.
    """
    return Index(concepts, language, ignore, context, whole, foreign)


def best_of(indexes: Sequence[Index[K]], request: str) -> tuple[str, Ranking[K]]:
    """The language whose index understands ``request`` best, and its ranking. The first
    index (the caller's own language) keeps the request unless another understands it
    clearly better (``LANGUAGE_MARGIN``): a word both languages share changes nothing."""
    if not indexes:
        raise ValueError("best_of needs at least one index")
    first = indexes[0].rank(request)
    best, strongest = (indexes[0].language, first), _strength(first) + LANGUAGE_MARGIN
    if first.best is not None and first.known == first.spoken:
        return best  # every word is the caller's language's: no other can do clearly better
    for index in indexes[1:]:
        ranking = index.rank(request)
        if _strength(ranking) > strongest:
            best, strongest = (index.language, ranking), _strength(ranking)
    return best


def _strength(ranking: Ranking[K]) -> float:
    top = ranking.best
    # Words of the language (its stop words too) are evidence of it, words it does not
    # know are evidence against it: "is doctor smith there" is not Spanish.
    return (top.score if top else 0.0) + 0.15 * ranking.known - 0.5 * ranking.unknown
