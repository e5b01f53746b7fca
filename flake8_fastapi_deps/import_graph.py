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
import bisect
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Callable, NamedTuple, Optional, Union

from .fs import is_file
from .model import ROUTE_DECORATORS, ModuleInfo

if TYPE_CHECKING:
    from .project import Project

ImportStmt = Union[ast.Import, ast.ImportFrom]


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
        project: Project,
        read: Callable[[str], Optional[bytes]],
        parse: Callable[[bytes, str], Optional[ast.Module]],
        router_classes: Iterable[str],
    ) -> None:
        self.project = project
        self._read = read
        self._parse_source = parse
        self._files: dict[tuple[str, str], Optional[str]] = {}
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
        self._text_components = _Components()
        # exact (syntax) layer
        # path -> ((target, line, col), ...): plain tuples, which the collector untracks
        self._edges: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self._components = _Components()
        self._component_cache: dict[int, dict[str, object]] = {}
        self._reverse: dict[int, dict[str, list[str]]] = {}
        self._hint_words = _router_hint_words(router_classes)
        self._chains: dict[str, tuple[str, ...]] = {}  # tuples: untracked by the collector
        self._text_index: dict[str, list[str]] = {}
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
        if module is None:
            module = self.project.cached_module(path)
        tree = module.tree if module is not None else self._parse(path)
        found = tuple(self._module_edges(path, tree)) if tree is not None else ()
        self._edges[path] = found
        return found

    def _parse(self, path: str) -> Optional[ast.Module]:
        data = self._read(path)
        if data is None:
            return None
        self.project.parse_count += 1
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

    def _module_edges(self, path: str, tree: ast.Module) -> Iterator[tuple[str, int, int]]:
        ancestors = self._package_chain(path)
        for stmt in _module_level_imports(tree):
            targets: dict[str, None] = {}
            for target in self._statement_targets(path, stmt, ancestors):
                if target != path:
                    targets.setdefault(target, None)
            for target in targets:
                yield (target, stmt.lineno, stmt.col_offset)

    def _statement_targets(
        self, path: str, stmt: ImportStmt, ancestors: tuple[str, ...]
    ) -> Iterator[str]:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                yield from self._import_targets(path, alias.name, ancestors)
            return
        base = "." * stmt.level + (stmt.module or "")
        yield from self._from_targets(path, base, [a.name for a in stmt.names], ancestors)

    def _import_targets(self, path: str, name: str, ancestors: tuple[str, ...]) -> Iterator[str]:
        """``import a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``, except packages holding ``path``.

        (``import app`` inside ``app/routers/users.py`` only binds a name: the
        package is already in ``sys.modules``, its body is not run again.)
        """
        found = self._imported_files.get(name)
        if found is None:
            parts = name.split(".")
            files = (self._file(path, ".".join(parts[:cut])) for cut in range(1, len(parts) + 1))
            found = self._imported_files[name] = tuple(f for f in files if f is not None)
        for target in found:
            if target not in ancestors:
                yield target

    def _from_targets(
        self, path: str, base: str, names: list[str], ancestors: tuple[str, ...]
    ) -> Iterator[str]:
        """``from base import names``: the packages above ``base``, submodules, ``base``."""
        prefixes, subs, base_file, needs_names = self._from_files(path, base, names)
        for found in prefixes:
            if found not in ancestors:
                yield found
        if base_file is None:
            return
        yield from subs
        if base_file not in ancestors or needs_names:
            yield base_file

    def _from_files(
        self, path: str, base: str, names: list[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...], Optional[str], bool]:
        """The files ``from base import names`` in ``path``'s folder may run, cached.

        (packages above ``base``, submodules among ``names``, ``base`` itself,
        whether a name is not a submodule).  Like :meth:`_file`, absolute
        statements do not depend on the folder: the same statement in many
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
                found = self._file(path, ".".join(parts[:cut]))
                if found is not None:
                    prefixes.append(found)
        base_file = self._file(path, base)
        subs: list[str] = []
        needs_names = False
        if base_file is not None:
            sep = "" if base.endswith(".") else "."
            for name in names:
                if name == "*":
                    needs_names = True
                    continue
                sub = self._file(path, base + sep + name)
                if sub is not None and sub != base_file:
                    subs.append(sub)
                else:
                    needs_names = True
        result = (tuple(prefixes), tuple(subs), base_file, needs_names)
        self._from_statements[key] = result
        return result

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

    def _file(self, importer: str, dotted_name: str) -> Optional[str]:
        """``Project.module_file``, cached (absolute names do not depend on the importer)."""
        key = (os.path.dirname(importer) if dotted_name.startswith(".") else "", dotted_name)
        if key in self._files:
            return self._files[key]
        found = self.project.module_file(importer, dotted_name)
        self._files[key] = found
        return found

    # ----------------------------------------------------------------- candidate edges

    def _text_successors(self, path: str) -> tuple[str, ...]:
        cached = self._text_edges.get(path)
        if cached is not None:
            return cached
        data = self._read(path)
        return self._text_targets(path, data.decode("utf-8", "replace") if data is not None else "")

    def _text_targets(self, path: str, text: str) -> tuple[str, ...]:
        """The text successors of ``path`` whose text is ``text`` (cached)."""
        found: dict[str, None] = {}
        if path not in self._hints:  # the same text answers router_hint: read files once
            self._hints[path] = self._hint(text)
        ancestors = self._package_chain(path)
        for kind, base, names in _scan_imports(text):
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
            data = self._read(path)
            hint = self._hints[path] = self._hint(
                data.decode("utf-8", "replace") if data is not None else ""
            )
        return hint

    def _hint(self, text: str) -> bool:
        return any(word in text for word in self._hint_words) or (
            "@" in text and _ROUTE_DECORATOR_TEXT.search(text) is not None
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

    def shortest_paths_to(self, goal: str, sources: Iterable[str]) -> dict[str, list[str]]:
        """For each source, a shortest import path ``source -> ... -> goal`` inside their component.

        One breadth-first search backwards from ``goal``, stopped as soon as
        every source is reached.
        """
        members = set(self.component(goal))
        wanted = {s for s in sources if s in members}
        reverse = self._reverse_edges(goal)
        next_hop: dict[str, Optional[str]] = {goal: None}
        queue = deque([goal])
        remaining = set(wanted) - {goal}
        while queue and remaining:
            node = queue.popleft()
            for pred in reverse.get(node, ()):
                if pred not in next_hop:
                    next_hop[pred] = node
                    remaining.discard(pred)
                    queue.append(pred)
        paths: dict[str, list[str]] = {}
        for source in wanted:
            if source not in next_hop:
                continue
            path = [source]
            hop = next_hop[source]
            while hop is not None:
                path.append(hop)
                hop = next_hop[hop]
            paths[source] = path
        return paths

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
        """
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


class _Components:
    """Strongly connected components, found incrementally by an iterative Tarjan walk.

    A walk from a new start assigns a component to every node it reaches, and
    those components are final: later walks treat them as done and stop there.
    ``allowed`` confines a walk to a set of nodes (edges leaving it are ignored).
    """

    def __init__(self) -> None:
        self._number: dict[str, int] = {}
        # number -> members: a dict of string tuples, which the garbage
        # collector stops tracking (a list would be visited by every collection)
        self._members: dict[int, tuple[str, ...]] = {}

    def known(self, node: str) -> Optional[tuple[str, ...]]:
        number = self._number.get(node)
        return None if number is None else self._members[number]

    def number(self, node: str) -> int:
        return self._number[node]

    def single(self, node: str) -> tuple[str, ...]:
        self._number[node] = len(self._members)
        self._members[len(self._members)] = (node,)
        return (node,)

    def component(
        self,
        start: str,
        successors: Callable[[str], Sequence[str]],
        allowed: Optional[frozenset[str]],
    ) -> tuple[str, ...]:
        known = self.known(start)
        if known is not None:
            return known
        done = self._number
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()

        def enter(node: str) -> tuple[str, Iterator[str]]:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            return node, iter(successors(node))

        work = [enter(start)]
        while work:
            node, pending = work[-1]
            descended = False
            for succ in pending:
                if succ in done or (allowed is not None and succ not in allowed):
                    continue  # a finished component, or outside the walk
                if succ not in index:
                    work.append(enter(succ))
                    descended = True
                    break
                if succ in on_stack and index[succ] < low[node]:
                    low[node] = index[succ]
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                if low[node] < low[parent]:
                    low[parent] = low[node]
            if low[node] == index[node]:
                number = len(self._members)
                members: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    done[member] = number
                    members.append(member)
                    if member == node:
                        break
                self._members[number] = tuple(sorted(members))
        return self._members[done[start]]


# an import statement at the start of a line: indentation, from-base, "(" after import
_IMPORT_TEXT = re.compile(
    r"^([ \t]*)(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b[ \t]*(\(?)|import[ \t]+(?=[\w\\]))",
    re.M,
)
_LINE_REST = re.compile(r"(?:[^\n\\;#]|\\\n|\\.)*")
_PAREN_REST = re.compile(r"[^)]*")
_NAME = re.compile(r"[\w.]+")
# the start of every line of code that begins in column 0
_TOP_LINE = re.compile(r"^[^\s#].{0,60}", re.M)
# a newline followed by such a line (found with a fast search for the newline)
_NEWLINE_CODE = re.compile(r"\n[^\s#]")
# column-0 lines that open a block (an indented import follows one of these)
_BLOCK_HEADER = re.compile(
    r"(?:async[ \t]+)?(?:def|class|if|elif|else|try|except|finally|with|for|while|match|case)\b|@"
)
_MAX_WALK_BACK = 200
# column-0 lines whose indented block never runs at import time as module code
_NOT_MODULE_BLOCK = re.compile(
    r"(?:async[ \t]+)?def\b|class\b|@"
    r"|if[ \t]+(?:\w+\.)?TYPE_CHECKING[ \t]*:"
    r"|if[ \t]+__name__[ \t]*==[ \t]*['\"]__main__['\"][ \t]*:"
)


def _import_matches(text: str) -> Iterator[re.Match[str]]:
    """``_IMPORT_TEXT.finditer(text)``, without trying the pattern at every line.

    A match lies within one line, starts at its beginning and contains
    ``import``: so only lines holding that word are tried (``str.find`` skips
    the rest far faster than the regular expression engine would).
    """
    find = text.find
    match_at = _IMPORT_TEXT.match
    pos = find("import")
    while pos >= 0:
        match = match_at(text, text.rfind("\n", 0, pos) + 1)
        if match is not None:
            yield match
        end = find("\n", pos)
        if end < 0:
            return
        pos = find("import", end + 1)


def _top_line_starts(text: str) -> list[int]:
    """Where ``_TOP_LINE`` matches: lines that begin with code in column 0."""
    starts = [m.start() + 1 for m in _NEWLINE_CODE.finditer(text)]
    if _TOP_LINE.match(text, 0):
        starts.insert(0, 0)
    return starts


def _scan_imports(text: str) -> Iterator[tuple[str, str, list[str]]]:
    """("from", base, names) / ("import", "", modules) for import statements in ``text``.

    A superset of the module-level imports: every import statement that starts
    a line, except indented ones whose enclosing column-0 block header is a
    ``def``/``class``/decorator, ``if TYPE_CHECKING:`` or
    ``if __name__ == "__main__":``.  (An indented line can only follow a block
    header or a continuation line, so column-0 lines that are no header, such
    as the ``) -> T:`` of a long signature, are stepped over.)  Text inside
    strings may add imports that do not exist; that only makes the candidate
    graph larger.
    """
    top_starts: Optional[list[int]] = None
    top_lines: dict[int, str] = {}
    for match in _import_matches(text):
        if match.group(1):
            if top_starts is None:
                top_starts = _top_line_starts(text)
            at = bisect.bisect_right(top_starts, match.start()) - 1
            # step back over continuation lines (closing brackets, string text)
            stop = max(at - _MAX_WALK_BACK, -1)
            line = ""
            while at > stop:
                line = top_lines.get(at, "")
                if not line:
                    found = _TOP_LINE.match(text, top_starts[at])
                    line = top_lines[at] = found.group(0) if found is not None else ""
                if _BLOCK_HEADER.match(line):
                    break
                at -= 1
            if at > stop and _NOT_MODULE_BLOCK.match(line):
                continue
        end = match.end()
        rest = (_PAREN_REST if match.group(3) else _LINE_REST).match(text, end)
        body = rest.group(0) if rest is not None else ""
        names: list[str] = []
        for item in body.replace("\\\n", " ").split(","):
            item = item.strip()
            name = _NAME.match(item)
            if name is not None:
                names.append(name.group(0))
            elif item.startswith("*"):
                names.append("*")
        if match.group(2) is not None:
            yield "from", match.group(2), names
        else:
            yield "import", "", [n for n in names if not n.startswith(".")]


def _router_hint_words(router_classes: Iterable[str]) -> tuple[str, ...]:
    """Words that (nearly) every module creating an app/router contains."""
    words = {"FastAPI", "APIRouter", "add_api_route", "add_api_websocket_route"}
    words.update(name.rsplit(".", 1)[-1] for name in router_classes)
    return tuple(sorted(words))


# a route decorator, e.g. ``@router.get(`` (for modules using a router made elsewhere)
_ROUTE_DECORATOR_TEXT = re.compile(
    r"@[\w.]+\.(?:%s)\s*\(" % "|".join(sorted(ROUTE_DECORATORS))
)


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


def _module_level_imports(tree: ast.Module) -> Iterator[ImportStmt]:
    """Import statements that run when the module is imported, in source order.

    Module-level statements, also inside module-level ``if``/``try``/``with``/
    loops/``match``; not inside functions or classes, not under
    ``if TYPE_CHECKING:`` (its ``else`` does run) or ``if __name__ == "__main__":``.
    """
    pending: list[ast.stmt] = list(reversed(tree.body))
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.If):
            if _is_type_checking(node.test) or _is_main_test(node.test):
                pending.extend(reversed(node.orelse))
                continue
            if isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not):
                if _is_type_checking(node.test.operand):
                    pending.extend(reversed(node.body))
                    continue
        children: list[ast.stmt] = []
        for name in _statement_fields(node.__class__):
            for child in getattr(node, name, None) or ():
                if isinstance(child, ast.stmt):
                    children.append(child)
                elif isinstance(child, ast.excepthandler) or type(child).__name__ == "match_case":
                    children.extend(getattr(child, "body", ()))
        if children:
            pending.extend(reversed(children))


# Fields of a statement that hold statements (or handlers/cases holding them), in field order.
_BLOCK_FIELDS = frozenset({"body", "handlers", "orelse", "finalbody", "cases"})
_STATEMENT_FIELDS: dict[type, tuple[str, ...]] = {}


def _statement_fields(cls: type) -> tuple[str, ...]:
    fields = _STATEMENT_FIELDS.get(cls)
    if fields is None:
        fields = _STATEMENT_FIELDS[cls] = tuple(
            f for f in getattr(cls, "_fields", ()) if f in _BLOCK_FIELDS
        )
    return fields


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` / ``typing.TYPE_CHECKING`` / ``t.TYPE_CHECKING``."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return (
        isinstance(test, ast.Attribute)
        and test.attr == "TYPE_CHECKING"
        and isinstance(test.value, ast.Name)
    )


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names) and bool(consts)


__all__ = ["ImportEdge", "ImportGraph"]
