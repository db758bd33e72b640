"""The catalog the running line serves: loaded once at start, ready for every request.

Webhooks call ``current_catalog()``; it is None only when the prompt files have never
loaded cleanly, and then the line answers with the built-in last-resort words.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from .catalog import Catalog, load_catalog
from .errors import CatalogError
from .settings import REPO_PROMPTS


class CatalogHolder:
    """Keeps the last good catalog; a failed load keeps serving it and records why."""

    def __init__(self, root: Path):
        self.root = root
        self.catalog: Catalog | None = None
        self.problem: CatalogError | None = None

    def load(self) -> bool:
        try:
            self.catalog = load_catalog(self.root)
        except CatalogError as exc:
            self.problem = exc
            return False
        self.problem = None
        return True


def init_app(app) -> None:
    root = Path(app.config.get("VOICELINE_PROMPTS_DIR") or REPO_PROMPTS)
    holder = CatalogHolder(root)
    if not holder.load():
        app.logger.error("prompt files in %s cannot be served; the line answers with its "
                         "built-in apology until they are fixed:\n%s", root, holder.problem)
    else:
        for warning in holder.catalog.warnings:
            app.logger.info("prompt warning: %s", warning)
    app.extensions["voiceline_catalog"] = holder


def current_catalog() -> Catalog | None:
    return current_app.extensions["voiceline_catalog"].catalog
