"""The import graph's per-file text summaries, kept in the persistent store.

The candidate layer of :class:`~flake8_fastapi_deps.import_graph.ImportGraph`
reads every project file's import statements and router hint (FAD301 asks it
for every linted file).  Those are a function of the file's bytes alone (and of
the router classes, part of the store's partition), so a later run takes them
from the store while the file's size and mtime are unchanged, instead of reading
every file of the project again.
"""

from __future__ import annotations

from typing import Optional

from ..import_graph import TextSummary
from .cache import CACHE
from .files import MISSING, run_stamp
from .store import Store

KIND = "imports"  # the store's kind for these rows


class StoredImports:
    """A :class:`~flake8_fastapi_deps.import_graph.SummaryCache` over a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, path: str) -> Optional[TextSummary]:
        # (the scan has usually stat'ed or read the file in this run already)
        stamp = run_stamp(path)
        if stamp == MISSING:
            return None
        hit, value = self._store.get(KIND, path, stamp)
        return _decode(value) if hit else None

    def put(self, path: str, summary: TextSummary) -> None:
        self._store.put(KIND, path, CACHE.stamps.get(path, MISSING), summary)


def _decode(value: object) -> Optional[TextSummary]:
    """The summary stored, or None when the row is not one (another layout)."""
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bool)):
        return None
    imports, hint = value
    if not isinstance(imports, tuple):
        return None
    for item in imports:
        if not (
            isinstance(item, tuple)
            and len(item) == 3
            and isinstance(item[0], str)
            and isinstance(item[1], str)
            and isinstance(item[2], tuple)
            and all(isinstance(name, str) for name in item[2])
        ):
            return None
    return imports, hint


__all__ = ["KIND", "StoredImports"]
