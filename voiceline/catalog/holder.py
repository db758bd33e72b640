"""The catalog the running line serves, kept up to date with the prompt files on disk.

Every worker looks at its prompt files' sizes and modification times at most every
``VOICELINE_PROMPTS_RELOAD_SECONDS`` (2 by default; 0 looks on every request) and, when
they changed, loads them again through ``load_catalog``. A set of files with errors is
not served: the worker keeps the last good catalog, logs the problems (file, line and
message, never caller data) and shows them at ``/healthz``; a later good edit is picked
up. Each request sees one catalog from start to end, even if a reload happens meanwhile.

The holder is told how to load (``load``: the checked loader from ``checks``); the web
layer pins one catalog per request. ``catalog`` is None only when the prompt files have
never loaded cleanly, and then the line answers with the built-in last-resort words.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import CatalogError, Finding
from .model import AUDIO_SUFFIXES, Catalog

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


def files_signature(root: Path) -> Signature:
    """Name, modification time and size of every file the catalog is read from: cheap to
    take (a few dozen ``stat`` calls), and different after any save."""
    entries = []
    # The guide (guide.md, named in flow.toml) sits beside flow.toml as text.
    for pattern in ("flow.toml", "*.md", "*.txt", "*/*.toml", "*/audio/*"):
        for path in root.glob(pattern):
            if pattern.endswith("audio/*") and path.suffix.lower() not in AUDIO_SUFFIXES:
                continue
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted between the listing and now: the next look sees it
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(entries))


class CatalogHolder:
    """Keeps the last good catalog; a failed load keeps serving it and records why."""

    def __init__(self, root: Path, load: Callable[[Path], Catalog], interval: float = 2.0):
        self.root = root
        self._load = load
        self.interval = interval
        self.catalog: Catalog | None = None
        self.problem: CatalogError | None = None
        self._signature: Signature | None = None
        self._looked_at = time.monotonic()
        self._lock = threading.Lock()

    def load(self) -> bool:
        """Read the files now; True if they were good (and are now served)."""
        before = files_signature(self.root)
        try:
            catalog = self._load(self.root)
        except CatalogError as exc:
            self.problem = exc
            ok = False
        else:
            self.catalog, self.problem, ok = catalog, None, True
        # A file saved while we were reading it: forget the signature, so it is read again.
        self._signature = before if files_signature(self.root) == before else None
        return ok

    def refresh(self) -> None:
        """Reload if the files changed, looking at most once per interval (any thread)."""
        now = time.monotonic()
        if now - self._looked_at < self.interval:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread of this worker is looking right now
        try:
            self._looked_at = now
            if files_signature(self.root) != self._signature:
                self._reload()
        finally:
            self._lock.release()

    def _reload(self) -> None:
        served = self.catalog.version if self.catalog else None
        if self.load() and self.catalog is not None:
            log.info("prompt files reloaded from %s (version %s, %d warnings)", self.root,
                     self.catalog.version, len(self.catalog.warnings))
            return
        keeping = (f"still serving the last good version {served}" if served else
                   "the line answers with its built-in apology until they are fixed")
        log.error("prompt files in %s changed but have errors, so they are not served; %s:"
                  "\n%s", self.root, keeping, "\n".join(str(f) for f in self.errors()))

    def errors(self) -> list[Finding]:
        """Why the files on disk are not served (empty when they are)."""
        if self.problem is None:
            return []
        return [f for f in self.problem.findings if f.severity == "error"]
