"""Scrubbing a caller's words before they are kept: no way back to a person.

Requests the line did not understand may be kept (only when the operator turns it on) so
the operator can add words to topics. Before that, anything that could name or reach a
person goes: emails, web addresses, phone numbers and every other digit, and street
addresses ("12 Oak Street", "calle Mayor 5", "apt 4"). What is left is at most 80
characters, cut at a word.
"""

from __future__ import annotations

import re

MAX_KEPT = 80

_EMAIL = re.compile(r"\S+@\S+|\S+\s+(?:at|arroba)\s+\S+\s+(?:dot|punto)\s+\S+", re.I)
_WEB = re.compile(r"\b(?:https?://|www\.)\S+|\b\S+\.(?:com|org|net|edu|gov|es|mx)\b\S*", re.I)
_STREET = (r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|"
           r"place|pl|highway|hwy|terrace|circle|parkway|pkwy|calle|avenida|av|avda|carrera|"
           r"camino|paseo|plaza|carretera|colonia|col")
# A number then up to four words then a street word; or a street word then a name and a
# number; or an apartment, suite, unit, box or zip code with what follows it.
_ADDRESS = re.compile(
    rf"\b\d[\w-]*\s+(?:[^\W\d_]+\s+){{0,4}}(?:{_STREET})\b\.?"
    rf"|\b(?:{_STREET})\.?\s+(?:[^\W\d_]+\s+){{0,3}}(?:no\.?\s*|n[º°]\s*|#\s*)?\d[\w-]*"
    r"|\b(?:apt|apartment|suite|ste|unit|piso|depto|departamento|box|zip|code|cp)\.?\s*#?\s*"
    r"\w*\d[\w-]*", re.I)
_DIGITS = re.compile(r"[\d٠-٩０-９]+|[#+*]")  # any digit (any script), and phone punctuation
_NUMBER_WORDS = re.compile(
    r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|cero|uno|dos|tres|cuatro|"
    r"cinco|seis|siete|ocho|nueve)[\s,.-]+){3,}(?:\w+)?", re.I)  # numbers spelled out
_SPACES = re.compile(r"\s+")
_DANGLING = re.compile(r"(?:\s*[-(),./:;])+(?=\s|$)")


def scrub(words: str) -> str:
    """The words without emails, web addresses, numbers or addresses, at most 80 chars."""
    text = words.replace("\x00", " ")
    for pattern in (_EMAIL, _WEB, _ADDRESS, _NUMBER_WORDS, _DIGITS):
        text = pattern.sub(" ", text)
    text = _DANGLING.sub(" ", text)
    text = _SPACES.sub(" ", text).strip(" -,.;:()")
    if len(text) <= MAX_KEPT:
        return text
    cut = text[:MAX_KEPT + 1].rsplit(" ", 1)[0]
    return (cut if cut and len(cut) <= MAX_KEPT else text[:MAX_KEPT]).strip()
