"""Faithfulness to the guide, checked by the machine, sentence by sentence.

Every topic names its guide section (``source``, a heading of the guide named in
flow.toml). Each sentence the line says or texts for the topic is then held to that
section:

- an error for a number, a percentage, a price, or a strong word ("cure", "proven",
  "guaranteed", "approved", "FDA", "permanent", "always", "never" ...) that the section
  does not contain. A strong word the guide only uses negated ("results aren't
  guaranteed") may only be used negated;
- a warning for a sentence whose words have little support in the section (the guide's
  language only: its words are compared, so a translation cannot be).

The strong words are concepts, each with its English and Spanish forms, so a Spanish
sentence is held to the English guide too. Plain-language stand-ins the line uses for the
guide's words ("shot" for injection, "doctor" for physician) count as support
(``PLAIN_WORDS``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..catalog import Catalog, Language, Topic
from ..catalog.model import Guide
from ..errors import Finding
from ..text.matching import normalise

GUIDE_LANGUAGE = "en"
MIN_SUPPORT = 0.4  # share of a sentence's content words found in its section
MIN_CONTENT_WORDS = 3  # shorter sentences ("Others do not.") are not judged for support

# Strong words: concept -> {language: pattern on normalised text (lowercase, no accents)}.
STRONG: dict[str, dict[str, str]] = {
    "cure": {"en": r"cur(?:e|es|ed|ing)", "es": r"cura(?:r|n|do|da|dos|das|ra|ran)?|curacion"},
    "proven": {"en": r"prov(?:en|ed|es|e)|proof", "es": r"(?:com)?probad[oa]s?|demostrad[oa]s?"},
    "guaranteed": {"en": r"guarantee[sd]?", "es": r"garantiza\w*|garantia"},
    "approved": {"en": r"approv(?:ed|al|es)", "es": r"aprobad[oa]s?|aprobacion"},
    "FDA": {"en": r"fda", "es": r"fda"},
    "permanent": {"en": r"permanent(?:ly)?", "es": r"permanente(?:s|mente)?"},
    "always": {"en": r"always", "es": r"siempre"},
    "never": {"en": r"never", "es": r"nunca|jamas"},
    "miracle": {"en": r"miracle\w*", "es": r"milagro\w*"},
    "risk-free": {"en": r"risk free|no risks?", "es": r"sin riesgos?"},
    "painless": {"en": r"painless", "es": r"sin dolor"},
    "eliminate": {"en": r"eliminat\w*", "es": r"elimina\w*"},
}
NEGATIONS = {"not", "no", "t", "cannot", "without", "isn", "aren", "ni", "sin"}
NUMBER_WORDS = {"hundred", "thousand", "million", "millions", "billion", "twice", "half",
                "cien", "ciento", "cientos", "mil", "millon", "millones", "mitad", "doble"}
PERCENT = re.compile(r"%|\bpercent\b|\bper cent\b|\bpor ciento\b|\bporcentaje\b")
PRICE = re.compile(r"[$€£]|\b(?:dollars?|dolares|dolar|usd|pesos|euros?|cents?|centavos)\b")
DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
SENTENCE = re.compile(r"(?<=[.!?])\s+")

# Everyday words the line uses for the guide's: found in a sentence, they count as found
# in the section when any of their guide words is there.
PLAIN_WORDS: dict[str, tuple[str, ...]] = {
    "shot": ("injection", "injected"), "shots": ("injection", "injections"),
    "doctor": ("physician",), "doctors": ("physicians",), "swelling": ("inflammation",),
    "pills": ("medication", "medications"), "medicine": ("medication",),
    "medicines": ("medications",), "drugs": ("medications",), "store": ("counter",),
    "heal": ("healing", "recovery", "repair"), "people": ("patients", "individuals"),
    "person": ("individual", "patients"), "insurer": ("insurance",),
    "price": ("cost", "pricing"), "prices": ("pricing",), "pay": ("cost", "costs", "covered"),
    "pays": ("covered", "coverage"), "hurt": ("pain",), "hurts": ("pain",),
    "better": ("improve", "improved", "optimize"), "easier": ("mobility", "improve"),
    "movement": ("mobility",), "fix": ("repair",), "rebuild": ("regenerating", "repair"),
    "exam": ("evaluation",), "decides": ("determines",), "lasted": ("chronic",),
    "long": ("chronic",), "wear": ("degenerative",), "spine": ("spinal",),
    "problems": ("conditions",), "problem": ("condition",), "off": ("downtime",),
    "lose": ("downtime",), "give": ("release",), "substances": ("factors",),
    "things": ("factors",), "calm": ("reducing", "lessening"), "ease": ("alleviate",),
    "choice": ("option", "alternatives"), "fit": ("right",), "decide": ("decision",),
    "numbers": ("rate", "rates"), "works": ("success", "function"),
    "serious": ("severity",), "bad": ("severity",), "promise": ("guaranteed",),
    "yourself": ("pocket",), "clinic": ("clinics",), "ask": ("check", "contact"),
}
STOPWORDS = frozenset(str.split("""
a an the and or but if so to of in on at by for with from as is are was were be been being
it its this that these those there here they them their you your yours we our us i me my
he she his her do does did done can could may might will would should must have has had
not no yes than then too into out up down over after before again what which who how when
where why one two way thing like get gets got make makes lot more most less much many some
any all each other others such very
"""))
# Everyday words that carry no claim of their own.
EVERYDAY = frozenset(str.split("""
keep mind mean means able know find call good idea thinking usual day time little
important right certain kind kinds full well first second third next also still about
just only really quite case cases part step own usual say says said want wants need
needs use used using come comes going around find found take takes see look ways
"""))


@dataclass(frozen=True)
class Claim:
    what: str  # as shown to the operator: "95%", "'cures'"
    negated: bool = False


def faithfulness_findings(catalog: Catalog, lang: Language) -> Iterator[Finding]:
    guide = catalog.guide
    if guide is None:
        return  # the loader already named the missing guide
    file = f"{catalog.root.name}/{lang.code}/topics.toml"
    for topic in lang.topics.values():
        section = guide.sections.get(topic.source)
        if section is None:
            yield _unknown_source(file, topic, guide)
            continue
        for part in ("spoken", "text"):
            where = f"topics.{topic.id}.{part}"
            for sentence in sentences(getattr(topic, part)):
                yield from _sentence_findings(file, where, topic, lang.code, sentence, section)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(" ".join(text.split())) if s.strip()]


def unsupported_claims(sentence: str, lang: str, section: str) -> list[Claim]:
    """Numbers, percentages, prices and strong words in ``sentence`` that ``section`` of
    the guide does not contain (or contains only negated, where the sentence is not)."""
    plain, source = normalise(sentence), normalise(section)
    claims: list[Claim] = []
    for number in DIGITS.findall(sentence):
        if not re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d])", section):
            claims.append(Claim(number))
    if PERCENT.search(sentence.lower()) and not PERCENT.search(section.lower()):
        claims.append(Claim("a percentage"))
    if PRICE.search(normalise_keep_symbols(sentence)) and \
            not PRICE.search(normalise_keep_symbols(section)):
        claims.append(Claim("a price"))
    words = plain.split()
    claims += [Claim(f"'{w}'") for w in words if w in NUMBER_WORDS and w not in source.split()]
    for concept, forms in STRONG.items():
        pattern = forms.get(lang, forms["en"])
        said = _uses(plain, pattern)
        if not said:
            continue
        in_guide = _uses(source, forms[GUIDE_LANGUAGE])
        if not in_guide or (not all(said) and all(in_guide)):
            word = re.search(rf"\b(?:{pattern})\b", plain)
            claims.append(Claim(f"'{word.group(0) if word else concept}'",
                                negated=bool(in_guide)))
    return claims


def support(sentence: str, section: str) -> tuple[float, int]:
    """Share of the sentence's content words found in the section, and how many it has."""
    source = {_stem(w) for w in normalise(section).split()}
    content = [w for w in normalise(sentence).split() if w not in STOPWORDS
               and w not in EVERYDAY and len(w) > 2 and not w.isdigit()]
    if not content:
        return 1.0, 0
    found = sum(_stem(w) in source or any(_stem(g) in source for g in PLAIN_WORDS.get(w, ()))
                for w in content)
    return found / len(content), len(content)


def normalise_keep_symbols(text: str) -> str:
    """Lowercase, accents stripped, but currency signs kept (normalise drops them)."""
    return " ".join(normalise(part) if part not in "$€£" else part
                    for part in re.split(r"([$€£])", text))


def _uses(text: str, pattern: str) -> list[bool]:
    """For each use of ``pattern`` in ``text``: whether it is negated (a "not" just before)."""
    uses = []
    words = text.split()
    for match in re.finditer(rf"\b(?:{pattern})\b", text):
        before = len(text[:match.start()].split())
        uses.append(any(w in NEGATIONS for w in words[max(0, before - 3):before]))
    return uses


def _stem(word: str) -> str:
    """Crude and language-blind, but enough to meet "inflammation" with "inflammatory"."""
    word = word.removesuffix("s") if len(word) > 3 else word
    return word[:5]


def _sentence_findings(file: str, where: str, topic: Topic, lang: str, sentence: str,
                       section: str) -> Iterator[Finding]:
    claims = unsupported_claims(sentence, lang, section)
    if claims:
        negated = [c.what for c in claims if c.negated]
        plain = [c.what for c in claims if not c.negated]
        parts = []
        if plain:
            parts.append(f"says {', '.join(plain)}, which its guide section does not")
        if negated:
            parts.append(f"says {', '.join(negated)} where the guide says it is not so")
        yield Finding(file, None, where, f'The sentence "{sentence}" ' + "; and ".join(parts)
                      + f' (section "{topic.source}").',
                      "Say only what the guide's section says: no numbers, prices or promises "
                      "it does not make, and keep its 'not'.")
        return
    if lang != GUIDE_LANGUAGE:
        return
    share, count = support(sentence, section)
    if count >= MIN_CONTENT_WORDS and share < MIN_SUPPORT:
        yield Finding(file, None, where, f'The sentence "{sentence}" has little support in '
                      f'the guide section "{topic.source}" ({share:.0%} of its words are '
                      "there).", "Check it against the guide; keep to what the section "
                      "says, in plain words.", severity="warning")


def _unknown_source(file: str, topic: Topic, guide: Guide) -> Finding:
    close = difflib.get_close_matches(topic.source, list(guide.sections), n=1, cutoff=0.5)
    return Finding(file, None, f"topics.{topic.id}.source", f"The source \"{topic.source}\" "
                   f"is not a heading of the guide ({guide.file}).",
                   f'Copy the heading exactly: source = "{close[0]}".' if close else
                   "Copy one of the guide's headings (lines starting with '# ') exactly.")
