"""What the import graph works with and on: the project index it asks, the
caches that keep per-file summaries across runs, an edge, and the paths found.

Apart from :mod:`.import_graph` so that the graph module stays one concern
(building and walking the graph); it re-exports these names.
"""

from __future__ import annotations

from collections.abc import Sequence, Set as AbstractSet
from typing import NamedTuple, Optional, Protocol

from .module_imports import ExecSummary
from .module_info import ModuleInfo


class ProjectIndex(Protocol):
    """What the graph uses of the project index (:class:`~.project.Project`)."""

    @property
    def root(self) -> Optional[str]:
        """The project root (real path), or None for a lone file."""

    def files(self) -> Sequence[str]:
        """Every Python file of the project."""

    def module_file(self, importer: Optional[str], dotted_name: str) -> Optional[str]:
        """The project file of module ``dotted_name`` (``.x``: relative to ``importer``)."""

    def cached_module(self, path: str) -> Optional[ModuleInfo]:
        """The module at ``path`` if the index has built it (never parses)."""

    def count_parse(self) -> None:
        """Count one file parsed for the index (for the benchmark)."""

    def listing_context(self) -> str:
        """A digest of the project's listing and import roots (what resolving an
        import to a file rests on besides the importing file)."""


class ImportEdge(NamedTuple):
    """One module-level import statement of ``source`` that runs ``target``.

    The statement is kept as its position only: edges live for the whole run,
    and holding the syntax nodes would keep thousands of objects alive for
    every garbage collection to walk.  The graph caches edges as plain tuples
    of strings and numbers, which the collector stops tracking once they have
    survived one collection (it does not do so for named tuples).
    """

    source: str
    target: str
    line: int  # of the import statement
    col: int


class PathsTo:
    """Shortest paths ``source -> ... -> goal`` as the breadth-first tree that found them.

    Each reached module knows its next hop towards ``goal``; lengths, the last
    modules of a path and whether a path meets a set of modules are kept per
    module of the tree (O(1) each), so no question walks a whole path.
    """

    def __init__(
        self, goal: str, sources: set[str], next_hop: dict[str, Optional[str]], order: list[str]
    ) -> None:
        self.goal = goal
        self._sources = sources
        self._next = next_hop
        self._order = order  # every module after its next hop
        self._length: dict[str, int] = {}  # modules on the path, both ends included
        self._last: dict[str, tuple[str, ...]] = {}  # its last (at most) 3 modules
        for node in order:
            hop = next_hop[node]
            if hop is None:
                self._length[node], self._last[node] = 1, (node,)
                continue
            length = self._length[node] = self._length[hop] + 1
            self._last[node] = (node, *self._last[hop]) if length <= 3 else self._last[hop]
        self._meets: dict[str, bool] = {}
        self._meets_what: Optional[AbstractSet[str]] = None

    def __contains__(self, source: object) -> bool:
        return source in self._sources

    def length(self, source: str) -> int:
        """How many modules the path from ``source`` holds (``source`` and the goal included)."""
        return self._length[source]

    def path(self, source: str) -> list[str]:
        """The whole path (costs its length)."""
        found = [source]
        hop = self._next[source]
        while hop is not None:
            found.append(hop)
            hop = self._next[hop]
        return found

    def first(self, source: str, count: int) -> list[str]:
        """The first ``count`` modules of the path (fewer if it is shorter)."""
        found: list[str] = []
        hop: Optional[str] = source
        while hop is not None and len(found) < count:
            found.append(hop)
            hop = self._next[hop]
        return found

    def last(self, source: str) -> list[str]:
        """The last 3 modules of the path (all of them if it is shorter)."""
        return list(self._last[source])

    def meets(self, source: str, modules: AbstractSet[str]) -> bool:
        """Does the path from ``source`` hold one of ``modules``?  (Kept for one set.)"""
        if self._meets_what is not modules:
            self._meets_what = modules
            self._meets = {}
            for node in self._order:
                hop = self._next[node]
                self._meets[node] = node in modules or (hop is not None and self._meets[hop])
        return self._meets[source]


# A file's import statements as the text pre-scan reads them, (kind, base, names)
# each, and whether its text hints at an app or router.
TextSummary = tuple[tuple[tuple[str, str, tuple[str, ...]], ...], bool]


class SummaryCache(Protocol):
    """Where :class:`ImportGraph` keeps each file's :data:`TextSummary` across runs."""

    def get(self, path: str) -> Optional[TextSummary]:
        """The summary of ``path`` if one is kept for the file as it is now."""

    def put(self, path: str, summary: TextSummary) -> None:
        """Keep the summary of ``path`` just computed (from the file as read)."""

    def get_targets(self, path: str, context: str) -> Optional[tuple[str, ...]]:
        """The files ``path``'s import statements lead to, if kept for the file as
        it is now and the same ``context`` (listing and import roots)."""

    def put_targets(self, path: str, context: str, targets: tuple[str, ...]) -> None:
        """Keep the files ``path``'s import statements lead to under ``context``."""


class ExecCache(Protocol):
    """Where :class:`ImportGraph` keeps each file's :data:`ExecSummary` across runs."""

    def get(self, path: str) -> Optional[ExecSummary]:
        """The summary of ``path`` if one is kept for the file as it is now."""

    def put(self, path: str, summary: ExecSummary) -> None:
        """Keep the summary of ``path`` just computed (from the file as read)."""
