"""The patient guide, shipped with the prompts: the source every topic sums up.

A plain text file. A line that starts with ``# `` is a heading; the lines under it, up to
the next heading, are its section. A topic's ``source`` names one heading exactly, and
``voiceline check`` holds the topic's sentences to that section's words.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from .model import Guide
from .prompt_files import PromptFiles

HEADING = "# "


def parse_guide(file: str, text: str) -> Guide:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(HEADING):
            current = sections.setdefault(line[len(HEADING):].strip(), [])
        elif current is not None:
            current.append(line)
    return Guide(file, MappingProxyType({h: "\n".join(lines).strip()
                                         for h, lines in sections.items()}))


def read_guide(reader: PromptFiles, name: str) -> Guide | None:
    """The guide named in flow.toml (relative to the prompts folder), or None with a finding."""
    if not name:
        return None
    flow_path = reader.root / "flow.toml"
    path = (reader.root / name).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = "is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "cannot be read"
        reader.error(flow_path, "guide", f"The guide {name} {why}.",
                     "Put the guide next to flow.toml as UTF-8 text, or fix the name in "
                     'guide = "...".')
        return None
    reader.sources[str(path)] = text  # part of the catalog's version, like the TOML files
    guide = parse_guide(reader.rel(Path(path)), text)
    if not guide.sections:
        reader.error(flow_path, "guide", f"The guide {name} has no headings.",
                     "Start each section's heading line with '# ' (hash and space).")
        return None
    return guide
