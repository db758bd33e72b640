"""GSM-7: the plain SMS alphabet, segment counting, and plain replacements.

One character outside GSM-7 turns a whole text into UCS-2, which cuts a segment from
160 to 70 characters and can triple what a texter pays, so every reply stays inside it.
"""

from __future__ import annotations

import math
import unicodedata

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Allowed, but each costs two characters (an escape and the character).
EXTENSION = set("^{}\\[~]|€\f")

SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153  # each part of a long text loses 7 characters to the joining header

REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2022": "-", "\u00b7": "-",
    "\t": " ", "ç": "c", "\u00ad": "",
}


def is_gsm7(char: str) -> bool:
    return char in BASIC or char in EXTENSION


def suggest(char: str) -> str:
    """The plain GSM-7 replacement an operator should type instead of ``char``."""
    if char in REPLACEMENTS:
        return REPLACEMENTS[char]
    plain = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return plain if plain and all(c in BASIC for c in plain) else ""


def to_gsm7(text: str) -> str:
    """Replace every non-GSM-7 character by its plain form (dropping what has none)."""
    return "".join(c if c in BASIC or c in EXTENSION else suggest(c) for c in text)


def septets(text: str) -> int:
    return sum(2 if c in EXTENSION else 1 for c in text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (assumes it is GSM-7)."""
    length = septets(text)
    if length <= SINGLE_SEGMENT:
        return 1
    return math.ceil(length / MULTI_SEGMENT)


def non_gsm7(text: str) -> list[str]:
    """The distinct characters of ``text`` that are not GSM-7, in order of appearance."""
    seen: list[str] = []
    for c in text:
        if not is_gsm7(c) and c not in seen:
            seen.append(c)
    return seen
