"""Answers remembered per catalog: one memo for the whole app.

Deciding and building TwiML or a reply cost more than all the rest of a webhook, and
callers and texters do the same few things over and over (a key at a menu, "1", "menu",
"how much does it cost"). The memo keeps those answers in named tables; a reloaded
catalog starts every table afresh, and a full table starts again (states in use are few).
Speech is never remembered by the callers: it varies without end.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from ..catalog import Catalog

V = TypeVar("V")


class CatalogMemo:
    LIMIT = 4096  # entries per table

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._tables: dict[str, dict[Hashable, Any]] = {}

    def _table(self, catalog: Catalog, name: str) -> dict[Hashable, Any]:
        if catalog is not self._catalog:
            self._catalog, self._tables = catalog, {}
        return self._tables.setdefault(name, {})

    def get(self, catalog: Catalog, table: str, key: Hashable) -> Any:
        """The remembered value, or None."""
        return self._table(catalog, table).get(key)

    def put(self, catalog: Catalog, table: str, key: Hashable, value: V) -> V:
        entries = self._table(catalog, table)
        if len(entries) >= self.LIMIT:
            entries.clear()
        entries[key] = value
        return value

    def recall(self, catalog: Catalog, table: str, key: Hashable, make: Callable[[], V]) -> V:
        """The remembered value, made (and remembered) the first time."""
        found = self.get(catalog, table, key)
        if found is None:
            found = self.put(catalog, table, key, make())
        return found
