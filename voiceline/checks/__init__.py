"""Checks of the prompt files above the engines: the structure is read by ``catalog``, the
content rules (``content``) judge the words as the engines would say and text them.

``read_checked`` and ``load_checked`` are what ``voiceline check`` uses: the catalog with
every rule applied, or every finding with file, line and fix; ``load_for_serving`` is
what the line uses (every rule that can stop it serving, without waiting for the
learned readers).
"""

from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog, read_catalog
from ..errors import CatalogError, Finding
from .content import content_findings


def read_checked(root: str | Path, *, understood: bool = True
                 ) -> tuple[Catalog | None, list[Finding]]:
    """Every prompt file read and checked: the catalog (None if any error), all findings.
    ``understood=False`` leaves out the labels' understanding (``content_findings``)."""
    return read_catalog(root, rules=lambda loaded: content_findings(loaded,
                                                                    understood=understood))


def load_checked(root: str | Path, *, understood: bool = True) -> Catalog:
    """The checked catalog, or ``CatalogError`` listing every error at once."""
    catalog, findings = read_checked(root, understood=understood)
    if catalog is None:
        raise CatalogError(findings)
    return catalog


def load_for_serving(root: str | Path) -> Catalog:
    """``load_checked`` as the line loads at start and on every edit: every rule but the
    labels' understanding (a warning only, which needs the learned readers: seconds);
    ``voiceline check`` still runs it."""
    return load_checked(root, understood=False)
