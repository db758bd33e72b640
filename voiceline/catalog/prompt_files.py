"""Reading the operators' prompt files: TOML, with every problem kept as a ``Finding``
naming its file, its line (found again from a key path such as ``topics.risks.text``) and
a sentence saying how to fix it. Nothing here knows what the files mean."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from ..errors import Finding


class PromptFiles:
    """Collects findings while reading one folder of prompt files."""

    def __init__(self, root: Path):
        self.root = root
        self.findings: list[Finding] = []
        self.sources: dict[str, str] = {}

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def error(self, path: Path, where: str, message: str, fix: str,
              severity: str = "error") -> None:
        self.findings.append(Finding(self.rel(path), self.line_of(path, where), where,
                                     message, fix, severity))

    def line_of(self, path: Path, where: str) -> int | None:
        """Best-effort line of a key path such as 'topics.risks.text' in ``path``."""
        text = self.sources.get(str(path))
        if text is None or not where:
            return None
        parts = where.split(".")
        if parts[0] in {"topics", "flow"} and len(parts) > 1:  # a prefix naming the file
            parts = parts[1:]
        while len(parts) > 1 and parts[-1].isdigit():  # call.no_input.2: the list's line
            parts = parts[:-1]
        return locate(text, parts)

    def read_toml(self, path: Path) -> dict[str, Any] | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            self.error(path, "", "This file is missing.",
                       f"Create {path.name} (copy it from another language's folder).")
            return None
        except OSError as exc:
            self.error(path, "", f"This file cannot be read ({exc.strerror}).",
                       "Check the file's permissions.")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = raw[: exc.start].count(b"\n") + 1
            self.findings.append(Finding(self.rel(path), where, "", "This file is not UTF-8 text.",
                                         "Save it as UTF-8 (in most editors: Save As, "
                                         "Encoding: UTF-8)."))
            return None
        self.sources[str(path)] = text
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = toml_error_line(exc, text)
            self.findings.append(Finding(
                self.rel(path), line, "", f"The file's format is broken: {exc}.",
                "Look at that line: every text needs quotes around it, every [section] needs "
                "its brackets, and a long text starts and ends with three quotes (\"\"\")."))
            return None


def toml_error_line(exc: tomllib.TOMLDecodeError, text: str = "") -> int | None:
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return int(lineno)
    found = re.search(r"line (\d+)", str(exc))
    if found:
        return int(found.group(1))
    if "end of document" in str(exc) and text:  # a list or text never closed
        return len(text.splitlines()) or 1
    return None


def locate(text: str, parts: list[str]) -> int | None:
    """Line number (1-based) of the key ``parts[-1]`` inside table ``parts[:-1]``."""
    lines = text.splitlines()
    whole = re.compile(r"^\s*\[\[?\s*" + r"\s*\.\s*".join(map(re.escape, parts)) + r"\s*\]")
    for i, line in enumerate(lines):
        if parts and whole.match(line):
            return i + 1
    table, key = parts[:-1], parts[-1] if parts else ""
    start = 0
    if table:
        header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, table)) + r"\s*\]")
        start = next((i for i, line in enumerate(lines) if header.match(line)), -1)
        if start < 0:
            return None
    key_re = re.compile(r"^\s*" + re.escape(key) + r"\s*=") if key else None
    for i in range(start, len(lines)):
        if key_re is None:
            return i + 1
        if i > start and table and lines[i].lstrip().startswith("["):
            break
        if key_re.match(lines[i]):
            return i + 1
    return start + 1 if table else None


def string_list(reader: PromptFiles, path: Path, data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        reader.error(path, key, f"'{key}' must be a list of names in quotes.",
                     f'Write it like {key} = ["first", "second"].')
        return []
    for dup in sorted({v for v in value if value.count(v) > 1}):
        reader.error(path, key, f"'{dup}' appears twice in '{key}'.", "Keep one of them.")
    return value
