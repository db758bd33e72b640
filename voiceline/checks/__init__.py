"""Checks of the prompt files above the engines: the structure is read by ``catalog``, the
content rules (``content``) judge the words as the engines would say and text them.

``read_checked`` and ``load_checked`` are what the line and ``voiceline check`` use: the
catalog with every rule applied, or every finding with file, line and fix.
"""

from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog, read_catalog
from ..errors import CatalogError, Finding
from .content import content_findings


def read_checked(root: str | Path) -> tuple[Catalog | None, list[Finding]]:
    """Every prompt file read and checked: the catalog (None if any error), all findings."""
    return read_catalog(root, rules=content_findings)


def load_checked(root: str | Path) -> Catalog:
    """The checked catalog, or ``CatalogError`` listing every error at once."""
    catalog, findings = read_checked(root)
    if catalog is None:
        raise CatalogError(findings)
    return catalog
