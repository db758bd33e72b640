"""Numbers from the wire: ASCII digits only.

``str.isdigit`` and ``int`` accept '²' and '٣'; Twilio never sends them, so a request that
does is not to be trusted, and it must never turn into an exception.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_int(value: object, max_length: int = 9) -> int | None:
    """``value`` as a whole number if it is 1 to ``max_length`` ASCII digits, else None."""
    text = str(value or "")
    if len(text) > max_length or not _ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)
