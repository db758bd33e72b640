"""Placeholders in operators' texts: ``{label}`` and ``{key}``, filled by plain replacement.

Python's ``str.format`` would run whatever an operator writes between braces: a format
spec (``{key:d}`` raises, ``{key:>70000}`` pads a menu to 350 kB), an attribute or an
index. Here a placeholder is only ``{name}``; ``{{`` and ``}}`` are literal braces (as in
``str.format``), and anything else in braces is reported by ``problems`` and never
interpreted by ``fill``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` of ``values`` replaced; anything else kept as written."""
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        return values[name] if name is not None and name in values else token
    return _TOKEN.sub(replace, template)


def problems(template: str, allowed: Collection[str]) -> Iterator[str]:
    """What is wrong with the braces of ``template``, one sentence each (none if it is good)."""
    for match in _TOKEN.finditer(template):
        token, name = match.group(0), match.group(1)
        if token in ("{{", "}}"):
            continue
        if name is None:
            yield f"The brace {token!r} is not part of a placeholder."
        elif name not in allowed:
            yield f"{token!r} is not a placeholder this text can use."


def used(template: str) -> set[str]:
    """The names of the well-formed placeholders in ``template``."""
    return {m.group(1) for m in _TOKEN.finditer(template)
            if m.group(1) is not None and m.group(1).isidentifier()}
