"""The project's module-level import graph, built lazily from the project index.

A node is a project file (its real path).  An edge ``A -> B`` means: running
``A``'s module body makes Python run ``B``'s module body, unless ``B`` is
already in ``sys.modules``; or ``A`` takes a name out of ``B`` while running.
A cycle in this graph is a circular import: one module of it sees another
half-initialised.

What Python really does, and so what becomes an edge:

* Only imports that run when the module is imported: module-level statements,
  also inside module-level ``if``/``try``/``with``.  Imports inside functions
  (the lazy-import workaround), under ``if TYPE_CHECKING:`` or under
  ``if __name__ == "__main__":`` are not edges.
* ``import a.b.c`` runs ``a/__init__.py``, ``a/b/__init__.py`` and ``a/b/c.py``:
  an edge to each.  ``from a.b import c`` runs ``a`` and ``a.b``, then the
  submodule ``a.b.c`` if ``c`` is one.
* A package that contains the importing module (its parent, grandparent, ...)
  has always started running before the module itself, so importing through it
  never runs it: no edge (``from app.routers import users`` inside
  ``app/routers/auth.py`` is an edge to ``users`` only).  The exception is a
  plain name taken from such a package (``from app import settings`` where
  ``settings`` is not a submodule): that needs the package's body to have got
  that far, so it is an edge.  Without these rules every package whose
  ``__init__.py`` imports its submodules would look like a cycle.

Strongly connected components are found with an iterative Tarjan walk (no
recursion: cycles of thousands of modules are fine) that starts at the module
being linted.  It first runs on a cheap text-level graph, which reads only the
files reachable from that module and parses none (a file being linted brings
its syntax tree, so its own exact edges stand in for its text); only files that share a
candidate cycle with it are then parsed for the exact graph.  Components are
final once found, so later walks (for other linted files) stop at them: over a
whole run every project file is read at most once per process.
"""

from __future__ import annotations

import ast
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Callable, Optional

from .components import Components
from .fs import is_file
from .import_scan import ROUTE_DECORATOR_TEXT, router_hint_words, scan_imports
from .module_imports import ExecSummary, execution_summary, is_type_checking_test
from .module_info import ModuleInfo
from .import_types import (
    ExecCache,
    ImportEdge,
    PathsTo,
    ProjectIndex,
    SummaryCache,
    TextSummary,
)


class ImportGraph:
    """Import edges and strongly connected components of one project, cached.

    Two layers.  The *candidate* graph is read from file text with a regular
    expression: every ``import``/``from ... import`` anywhere in a file, also in
    functions, strings and ``TYPE_CHECKING`` blocks, so its edges are a superset
    of the real ones and it costs no parsing (files linted before a walk reached
    them contribute their exact edges instead: still a superset).  The *exact* graph is built from
    the syntax tree of only those files that share a candidate cycle with the
    module asked about: every real cycle is also a candidate cycle, so exact
    components never need files outside the candidate one.
    """

    def __init__(
        self,
        project: ProjectIndex,
        read: Callable[[str], Optional[bytes]],
        parse: Callable[[bytes, str], Optional[ast.Module]],
        router_classes: Iterable[str],
        summaries: Optional[SummaryCache] = None,
        executions: Optional[ExecCache] = None,
    ) -> None:
        self.project = project
        self._read = read
        self._summaries = summaries  # what earlier runs learnt from each file's text
        self._executions = executions  # ... and from each cycle member's syntax tree
        self._exec: dict[str, Optional[ExecSummary]] = {}
        self._parse_source = parse
        # per import statement: what _import_targets / _from_targets look up
        self._imported_files: dict[str, tuple[str, ...]] = {}
        self._from_statements: dict[
            tuple[str, str, tuple[str, ...]],
            tuple[tuple[str, ...], tuple[str, ...], Optional[str], bool],
        ] = {}
        # candidate (text) layer
        self._text_edges: dict[str, tuple[str, ...]] = {}
        self._candidate_edges: dict[str, tuple[str, ...]] = {}  # exact edges of linted files
        self._hints: dict[str, bool] = {}
        self._text_components = Components()
        # exact (syntax) layer
        # path -> ((target, line, col), ...): plain tuples, which the collector untracks
        self._edges: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self._components = Components()
        self._component_cache: dict[int, dict[str, object]] = {}
        self._reverse: dict[int, dict[str, list[str]]] = {}
        self._hint_words = router_hint_words(router_classes)
        self._chains: dict[str, tuple[str, ...]] = {}  # tuples: untracked by the collector
        self._text_index: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}  # path -> module_name(path)
        self.scratch: dict[str, object] = {}  # per-project results of rules built on the graph
        # Trees of router-hint files parsed for their exact edges, lent to the
        # rule that asks next whether they are router modules (see take_parsed);
        # dropped once the component is settled, never kept for the run.
        self._parsed: dict[str, tuple[bytes, ast.Module]] = {}

    # ----------------------------------------------------------------- exact edges

    def edges(self, path: str, module: Optional[ModuleInfo] = None) -> tuple[ImportEdge, ...]:
        """The import edges leaving ``path``.

        ``module`` is the linted module when there is one; otherwise the index's
        module is used if it has one, else the file is parsed here (only its
        syntax tree: no :class:`ModuleInfo` is built for a file that is only
        part of the graph).
        """
        return tuple(ImportEdge(path, *edge) for edge in self._raw_edges(path, module))

    def _raw_edges(
        self, path: str, module: Optional[ModuleInfo] = None
    ) -> tuple[tuple[str, int, int], ...]:
        cached = self._edges.get(path)
        if cached is not None:
            return cached
        summary = self.exec_summary(path, module)
        found = tuple(self._summary_edges(path, summary)) if summary is not None else ()
        self._edges[path] = found
        return found

    def exec_summary(
        self, path: str, module: Optional[ModuleInfo] = None
    ) -> Optional[ExecSummary]:
        """What running ``path``'s body does (:func:`~.module_imports.execution_summary`;
        None: unreadable), kept for the run and in the store (a warm run parses no file
        for its edges); else from ``module``, the index's module or a parse of the file."""
        if path in self._exec:
            return self._exec[path]
        kept = self._executions
        summary = kept.get(path) if kept is not None else None
        if summary is None:
            if module is None:
                module = self.project.cached_module(path)
            tree = module.tree if module is not None else self._parse(path)
            if tree is not None:
                summary = execution_summary(tree, _type_checking_by_spelling)
                if kept is not None:
                    kept.put(path, summary)
        self._exec[path] = summary
        return summary

    def _parse(self, path: str) -> Optional[ast.Module]:
        data = self._read(path)
        if data is None:
            return None
        self.project.count_parse()
        tree = self._parse_source(data, path)
        if tree is not None and self.router_hint(path):
            # FAD301 models router-hint members of a cycle next: parse once
            self._parsed[path] = (data, tree)
        return tree

    def take_parsed(self, path: str) -> Optional[tuple[bytes, ast.Module]]:
        """The bytes and tree of ``path`` if the graph has just parsed it, handed over once."""
        return self._parsed.pop(path, None)

    def drop_parsed(self) -> None:
        """Forget the trees no caller took (they must not live for the whole run)."""
        self._parsed.clear()

    def successors(self, path: str, module: Optional[ModuleInfo] = None) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for target, _, _ in self._raw_edges(path, module):
            seen.setdefault(target, None)
        return tuple(seen)

    def _summary_edges(self, path: str, summary: ExecSummary) -> Iterator[tuple[str, int, int]]:
        """The exact edges of ``path``: the targets of each import statement that runs."""
        ancestors = self._package_chain(path)
        for kind, line, col, _, base, names, _ in summary[1]:
            if kind == "b":
                continue
            targets: dict[str, None] = {}
            if kind == "i":
                for name in names:
                    for target in self._import_targets(path, name, ancestors):
                        targets.setdefault(target, None)
            else:
                for target in self._from_targets(path, base, names, ancestors):
                    targets.setdefault(target, None)
            targets.pop(path, None)
            yield from ((target, line, col) for target in targets)

    def _import_targets(self, path: str, name: str, ancestors: tuple[str, ...]) -> Iterator[str]:
        """``import a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``, except packages holding ``path``.

        (``import app`` inside ``app/routers/users.py`` only binds a name: the
        package is already in ``sys.modules``, its body is not run again.)
        """
        found = self._imported_files.get(name)
        if found is None:
            parts = name.split(".")
            module_file = self.project.module_file
            files = (module_file(path, ".".join(parts[:cut])) for cut in range(1, len(parts) + 1))
            found = self._imported_files[name] = tuple(f for f in files if f is not None)
        for target in found:
            if target not in ancestors:
                yield target

    def _from_targets(
        self, path: str, base: str, names: Sequence[str], ancestors: tuple[str, ...]
    ) -> Iterator[str]:
        """``from base import names``: the packages above ``base``, submodules, ``base``."""
        prefixes, subs, base_file, needs_names = self._from_files(path, base, names)
        for found in prefixes:
            if found not in ancestors:
                yield found
        yield from subs  # (also of a namespace package: a folder without __init__.py)
        if base_file is None:
            return
        if base_file not in ancestors or needs_names:
            yield base_file

    def _from_files(
        self, path: str, base: str, names: Sequence[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...], Optional[str], bool]:
        """The files ``from base import names`` in ``path``'s folder may run, cached.

        (packages above ``base``, submodules among ``names``, ``base`` itself,
        whether a name is not a submodule).  Like ``module_file``'s answers,
        absolute statements do not depend on the folder: the same statement in many
        files is looked up once.
        """
        key = (os.path.dirname(path) if base.startswith(".") else "", base, tuple(names))
        cached = self._from_statements.get(key)
        if cached is not None:
            return cached
        prefixes: list[str] = []
        stripped = base.lstrip(".")
        if stripped and stripped == base:
            parts = stripped.split(".")
            for cut in range(1, len(parts)):
                found = self.project.module_file(path, ".".join(parts[:cut]))
                if found is not None:
                    prefixes.append(found)
        base_file = self.project.module_file(path, base)
        subs: list[str] = []
        needs_names = False
        if base_file is not None or stripped:
            sep = "" if base.endswith(".") else "."
            for name in names:
                if name == "*":
                    needs_names = True
                    continue
                sub = self.project.module_file(path, base + sep + name)
                if sub is not None and sub != base_file:
                    subs.append(sub)
                else:
                    needs_names = True
        result = (tuple(prefixes), tuple(subs), base_file, needs_names)
        self._from_statements[key] = result
        return result

    def package_chain(self, path: str) -> tuple[str, ...]:
        """The ``__init__.py`` files of the packages holding ``path``, outermost first
        (``path`` itself when it is one): what runs before ``path`` does."""
        return self._package_chain(path)

    def _package_chain(self, path: str) -> tuple[str, ...]:
        """``_package_chain(path, root)``, built per folder from its parent's chain.

        Each folder is looked at once (one ``isfile``; ``realpath`` only for an
        ``__init__.py`` that is a link: the folders of graph nodes are real).
        """
        directory = os.path.dirname(path)
        chains = self._chains
        cached = chains.get(directory)
        if cached is not None:
            return cached
        root = self.project.root
        if root is None:
            cached = chains[directory] = _package_chain(path, root)
            return cached
        below: list[tuple[str, Optional[str]]] = []  # folders whose chain is missing, deepest first
        current = directory
        chain: tuple[str, ...] = ()
        while True:
            known = chains.get(current)
            if known is not None:
                chain = known
                break
            if current == root or not current.startswith(root + os.sep):
                chains[current] = chain
                break
            init = os.path.join(current, "__init__.py")
            if is_file(init):
                below.append((current, os.path.realpath(init) if os.path.islink(init) else init))
            else:
                below.append((current, None))
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for folder, init_file in reversed(below):
            if init_file is not None:
                chain = (*chain, init_file)
            chains[folder] = chain
        return chains[directory]

    # ----------------------------------------------------------------- candidate edges

    def summarise_text(self, text: str) -> TextSummary:
        """What the candidate layer needs of a file's text: its import statements
        (as :func:`scan_imports` reads them) and its router hint."""
        imports = tuple((kind, base, tuple(names)) for kind, base, names in scan_imports(text))
        return imports, self._hint(text)

    def _summary(self, path: str) -> TextSummary:
        """:meth:`summarise_text` of project file ``path`` (an unreadable one has no
        imports and no hint), from the summaries kept by earlier runs when they
        still describe the file."""
        kept = self._summaries
        if kept is not None:
            found = kept.get(path)
            if found is not None:
                return found
        data = self._read(path)
        summary = self.summarise_text(data.decode("utf-8", "replace") if data is not None else "")
        if kept is not None:
            kept.put(path, summary)
        return summary

    def _text_successors(self, path: str) -> tuple[str, ...]:
        cached = self._text_edges.get(path)
        if cached is not None:
            return cached
        kept = self._summaries
        if kept is None:
            return self._summary_targets(path, self._summary(path))
        # Where the statements lead is a function of the file's text, the listing
        # and the import roots: kept in the store under a digest of the last two,
        # a warm run resolves no statement of an unchanged file to files again.
        context = self.project.listing_context()
        found = kept.get_targets(path, context)
        if found is not None:
            self._text_edges[path] = found
            return found
        result = self._summary_targets(path, self._summary(path))
        kept.put_targets(path, context, result)
        return result

    def _text_targets(self, path: str, text: str) -> tuple[str, ...]:
        """The text successors of ``path`` whose text is ``text`` (cached)."""
        return self._summary_targets(path, self.summarise_text(text))

    def _summary_targets(self, path: str, summary: TextSummary) -> tuple[str, ...]:
        """The text successors of ``path`` from its text's summary (cached)."""
        found: dict[str, None] = {}
        imports, hint = summary
        if path not in self._hints:  # the same text answers router_hint: read files once
            self._hints[path] = hint
        ancestors = self._package_chain(path)
        for kind, base, names in imports:
            if kind == "import":
                targets = [t for n in names for t in self._import_targets(path, n, ancestors)]
            else:
                targets = list(self._from_targets(path, base, names, ancestors))
            for target in targets:
                if target != path:
                    found.setdefault(target, None)
        result = tuple(found)
        self._text_edges[path] = result
        return result

    def router_hint(self, path: str) -> bool:
        """Might ``path`` create an app/router or define routes?  (Text only; a superset.)"""
        hint = self._hints.get(path)
        if hint is None:
            hint = self._hints[path] = self._summary(path)[1]
        return hint

    def _hint(self, text: str) -> bool:
        return any(word in text for word in self._hint_words) or (
            "@" in text and ROUTE_DECORATOR_TEXT.search(text) is not None
        )

    def text_imports(self, path: str) -> tuple[str, ...]:
        """Project files ``path`` may import (text level: a superset of the real imports)."""
        return self._text_successors(path)

    def files_matching(self, key: str, patterns: dict[str, re.Pattern[str]]) -> list[str]:
        """Project files whose text matches ``patterns[key]``.

        Every pattern of ``patterns`` is searched in the same single pass over
        the project's files (once per process), so callers pass one shared dict.
        """
        found = self._text_index.get(key)
        if found is None:
            index: dict[str, list[str]] = {name: [] for name in patterns}
            for path in self.project.files():
                data = self._read(path)
                if data is None:
                    continue
                text = data.decode("utf-8", "replace")
                for name, pattern in patterns.items():
                    if pattern.search(text):
                        index[name].append(path)
            self._text_index.update(index)
            found = index.get(key, [])
        return found

    def may_be_in_router_cycle(
        self, path: str, module: Optional[ModuleInfo] = None, text: Optional[str] = None
    ) -> bool:
        """Cheap test: could ``path`` share an import cycle with a router/app module?

        ``module`` (the linted module) or ``text`` (the linted file's text)
        spares reading ``path`` again: see :meth:`candidate_component`.
        """
        candidates = self.candidate_component(path, module, text)
        return len(candidates) > 1 and any(self.router_hint(m) for m in candidates)

    def candidate_component(
        self, path: str, module: Optional[ModuleInfo] = None, text: Optional[str] = None
    ) -> tuple[str, ...]:
        """A superset of the exact component of ``path``, found without parsing.

        A candidate edge leaves each file as its text suggests, except for
        files linted before any walk reached them: their syntax tree was at
        hand, so their exact edges are used (exact edges are the real ones,
        so every real cycle is still a candidate one, and the file is never
        read for the walk).
        """
        if self._text_components.known(path) is None and path not in self._candidate_edges:
            if module is not None:
                self._candidate_edges[path] = self.successors(path, module)
            elif text is not None and path not in self._text_edges:
                self._text_targets(path, text)
        return self._text_components.component(path, self._candidate_successors, None)

    def _candidate_successors(self, path: str) -> Sequence[str]:
        found = self._candidate_edges.get(path)
        return found if found is not None else self._text_successors(path)

    # ----------------------------------------------------------------- components

    def component(self, path: str, module: Optional[ModuleInfo] = None) -> tuple[str, ...]:
        """The strongly connected component holding ``path`` (just ``(path,)`` if acyclic)."""
        known = self._components.known(path)
        if known is not None:
            return known
        candidates = self.candidate_component(path)
        if len(candidates) == 1:
            return self._components.single(path)
        if module is not None:
            self.edges(path, module)
        return self._components.component(path, self.successors, frozenset(candidates))

    def component_cache(self, path: str) -> dict[str, object]:
        """A scratch dict shared by every file of ``path``'s component (for rules)."""
        self.component(path)
        return self._component_cache.setdefault(self._components.number(path), {})

    # ----------------------------------------------------------------- paths

    def shortest_paths_to(self, goal: str, sources: Iterable[str]) -> PathsTo:
        """For each source, a shortest import path ``source -> ... -> goal`` inside their component.

        One breadth-first search backwards from ``goal``, stopped as soon as
        every source is reached.  The paths are read from the search's tree
        (:class:`PathsTo`), not built one by one: a module importing many
        members of a long cycle costs linear time, not the sum of its cycles.
        """
        members = set(self.component(goal))
        wanted = {s for s in sources if s in members}
        reverse = self._reverse_edges(goal)
        next_hop: dict[str, Optional[str]] = {goal: None}
        order = [goal]
        queue = deque([goal])
        remaining = set(wanted) - {goal}
        while queue and remaining:
            node = queue.popleft()
            for pred in reverse.get(node, ()):
                if pred not in next_hop:
                    next_hop[pred] = node
                    order.append(pred)
                    remaining.discard(pred)
                    queue.append(pred)
        return PathsTo(goal, {s for s in wanted if s in next_hop}, next_hop, order)

    def shortest_path(
        self, start: str, goals: set[str], avoid: set[str], members: set[str]
    ) -> Optional[list[str]]:
        """A shortest path ``start -> ... -> g`` (g in ``goals``) through ``members - avoid``."""
        if start in goals:
            return [start]
        previous: dict[str, Optional[str]] = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for succ in self.successors(node):
                if succ in previous or succ in avoid or succ not in members:
                    continue
                previous[succ] = node
                if succ in goals:
                    path = [succ]
                    back = previous[succ]
                    while back is not None:
                        path.append(back)
                        back = previous[back]
                    return path[::-1]
                queue.append(succ)
        return None

    def _reverse_edges(self, path: str) -> dict[str, list[str]]:
        number = self._components.number(path)
        cached = self._reverse.get(number)
        if cached is not None:
            return cached
        members = self.component(path)
        inside = set(members)
        reverse: dict[str, list[str]] = {}
        for member in members:
            for succ in self.successors(member):
                if succ in inside:
                    reverse.setdefault(succ, []).append(member)
        self._reverse[number] = reverse
        return reverse

    # ----------------------------------------------------------------- names

    def module_name(self, path: str) -> str:
        """``app.routers.auth`` for ``<root>/app/routers/auth.py``: the dotted name from the root.

        Relative to the project root, or to ``<root>/src`` for files below it.
        Kept per path: every file of a cycle names it.
        """
        name = self._names.get(path)
        if name is None:
            name = self._names[path] = self._module_name(path)
        return name

    def _module_name(self, path: str) -> str:
        directory, base = os.path.split(path)
        parts = [] if base == "__init__.py" else [base[:-3] if base.endswith(".py") else base]
        root = self.project.root
        if root is not None:
            src = os.path.join(root, "src")
            top = src if directory == src or directory.startswith(src + os.sep) else root
            rel = os.path.relpath(directory, top)
            if rel != "." and not rel.startswith(".."):
                parts = [*rel.split(os.sep), *parts]
        return ".".join(parts) or base


def _package_chain(path: str, root: Optional[str]) -> tuple[str, ...]:
    """``__init__.py`` files of the packages holding ``path`` (itself included if one).

    Every parent package of a module runs before the module does, also across
    namespace packages (folders without ``__init__.py``), so the walk goes up
    to the project root rather than stopping at the first folder without one.
    """
    found: dict[str, None] = {}
    directory = os.path.dirname(path)
    while root is None or directory == root or directory.startswith(root + os.sep):
        if root is not None and directory == root:
            break
        init = os.path.join(directory, "__init__.py")
        if is_file(init):
            found[os.path.realpath(init)] = None
        elif root is None:
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return tuple(found)


def _type_checking_by_spelling(test: ast.expr) -> bool:
    """A file parsed only for its edges has no import table: ``TYPE_CHECKING`` by spelling."""
    return is_type_checking_test(None, test)


__all__ = ["ExecCache", "ImportEdge", "ImportGraph", "PathsTo", "ProjectIndex"]
