"""The one small exception tree of voiceline.

Every error the project raises on purpose is a ``VoicelineError``; the edges (webhooks,
command line) turn them into words a caller, texter or operator can act on.
"""

from __future__ import annotations

from dataclasses import dataclass


class VoicelineError(Exception):
    """Base of every error voiceline raises on purpose."""


class SettingsError(VoicelineError):
    """A setting is missing or wrong; the message says which and what to set."""


@dataclass(frozen=True)
class Finding:
    """One problem found in the prompt files, located well enough for an operator to fix."""

    file: str
    line: int | None
    where: str  # key path, e.g. "topics.risks.text"
    message: str
    fix: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        place = self.file + (f":{self.line}" if self.line else "")
        where = f" [{self.where}]" if self.where else ""
        return f"{place}{where}: {self.severity}: {self.message} Fix: {self.fix}"


class CatalogError(VoicelineError):
    """The prompt files cannot be served; ``findings`` lists every error at once."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the prompt files:\n" +
                         "\n".join(str(f) for f in errors))


class StoreError(VoicelineError):
    """The database could not be read or written."""
