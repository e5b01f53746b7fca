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

from ..import_types import TextSummary
from ..module_imports import ExecSummary
from .cache import CACHE
from .files import MISSING, run_stamp
from .store import Store

KIND = "imports"  # the store's kind for these rows
# where a file's import statements lead (files), under a digest of listing and roots
TARGETS_KIND = "import targets"
# the kind for the execution summaries of cycle members (FAD301's simulation);
# the number is the layout's version: a new layout is a new kind, old rows are ignored
EXEC_KIND = "import exec 1"


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

    def get_targets(self, path: str, context: str) -> Optional[tuple[str, ...]]:
        stamp = run_stamp(path)
        if stamp == MISSING:
            return None
        hit, value = self._store.get(TARGETS_KIND, path, stamp)
        if not (hit and isinstance(value, tuple) and len(value) == 2 and value[0] == context):
            return None
        targets = value[1]
        if not (isinstance(targets, tuple) and all(isinstance(t, str) for t in targets)):
            return None
        return targets

    def put_targets(self, path: str, context: str, targets: tuple[str, ...]) -> None:
        self._store.put(TARGETS_KIND, path, run_stamp(path), (context, targets))


class StoredExecutions:
    """A :class:`~flake8_fastapi_deps.import_graph.ExecCache` over a :class:`Store`.

    The execution summary of a file (its module-level imports that run, and the
    names bound before each, see :func:`~flake8_fastapi_deps.module_imports.execution_summary`)
    is a function of its bytes alone: a warm run parses no cycle member for it.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, path: str) -> Optional[ExecSummary]:
        stamp = run_stamp(path)
        if stamp == MISSING:
            return None
        hit, value = self._store.get(EXEC_KIND, path, stamp)
        return _decode_exec(value) if hit else None

    def put(self, path: str, summary: ExecSummary) -> None:
        self._store.put(EXEC_KIND, path, CACHE.stamps.get(path, MISSING), summary)


def _decode_exec(value: object) -> Optional[ExecSummary]:
    """The execution summary stored, or None when the row is not one."""
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool)):
        return None
    dynamic, events = value
    if not isinstance(events, tuple):
        return None
    for event in events:
        if not (
            isinstance(event, tuple)
            and len(event) == 7
            and event[0] in ("b", "i", "f")
            and isinstance(event[1], int)
            and isinstance(event[2], int)
            and isinstance(event[3], int)
            and isinstance(event[4], str)
            and isinstance(event[5], tuple)
            and isinstance(event[6], tuple)
        ):
            return None
    return dynamic, events


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


__all__ = ["EXEC_KIND", "KIND", "StoredExecutions", "StoredImports"]
