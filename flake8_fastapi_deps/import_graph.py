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
files reachable from that module and parses none; only files that share a
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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Union

from .model import ROUTE_DECORATORS, ModuleInfo

if TYPE_CHECKING:
    from .project import Project

ImportStmt = Union[ast.Import, ast.ImportFrom]


@dataclass(frozen=True, eq=False)
class ImportEdge:
    """One module-level import statement of ``source`` that runs ``target``."""

    source: str
    target: str
    stmt: ImportStmt


class ImportGraph:
    """Import edges and strongly connected components of one project, cached.

    Two layers.  The *candidate* graph is read from file text with a regular
    expression: every ``import``/``from ... import`` anywhere in a file, also in
    functions, strings and ``TYPE_CHECKING`` blocks, so its edges are a superset
    of the real ones and it costs no parsing.  The *exact* graph is built from
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
        # candidate (text) layer
        self._text_edges: dict[str, list[str]] = {}
        self._hints: dict[str, bool] = {}
        self._text_components = _Components()
        # exact (syntax) layer
        self._edges: dict[str, list[ImportEdge]] = {}
        self._components = _Components()
        self._component_cache: dict[int, dict[str, object]] = {}
        self._reverse: dict[int, dict[str, list[str]]] = {}
        self._hint_words = _router_hint_words(router_classes)
        self._chains: dict[str, frozenset[str]] = {}
        self._text_index: dict[str, list[str]] = {}
        self.scratch: dict[str, object] = {}  # per-project results of rules built on the graph

    # ----------------------------------------------------------------- exact edges

    def edges(self, path: str, module: Optional[ModuleInfo] = None) -> list[ImportEdge]:
        """The import edges leaving ``path``.

        ``module`` is the linted module when there is one; otherwise the index's
        module is used if it has one, else the file is parsed here (only its
        syntax tree: no :class:`ModuleInfo` is built for a file that is only
        part of the graph).
        """
        cached = self._edges.get(path)
        if cached is not None:
            return cached
        if module is None:
            module = self.project.cached_module(path)
        tree = module.tree if module is not None else self._parse(path)
        found = list(self._module_edges(path, tree)) if tree is not None else []
        self._edges[path] = found
        return found

    def _parse(self, path: str) -> Optional[ast.Module]:
        data = self._read(path)
        if data is None:
            return None
        self.project.parse_count += 1
        return self._parse_source(data, path)

    def successors(self, path: str) -> list[str]:
        seen: dict[str, None] = {}
        for edge in self.edges(path):
            seen.setdefault(edge.target, None)
        return list(seen)

    def _module_edges(self, path: str, tree: ast.Module) -> Iterator[ImportEdge]:
        ancestors = self._package_chain(path)
        for stmt in _module_level_imports(tree):
            targets: dict[str, None] = {}
            for target in self._statement_targets(path, stmt, ancestors):
                if target != path:
                    targets.setdefault(target, None)
            for target in targets:
                yield ImportEdge(path, target, stmt)

    def _statement_targets(
        self, path: str, stmt: ImportStmt, ancestors: frozenset[str]
    ) -> Iterator[str]:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                yield from self._import_targets(path, alias.name, ancestors)
            return
        base = "." * stmt.level + (stmt.module or "")
        yield from self._from_targets(path, base, [a.name for a in stmt.names], ancestors)

    def _import_targets(self, path: str, name: str, ancestors: frozenset[str]) -> Iterator[str]:
        """``import a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``, except packages holding ``path``.

        (``import app`` inside ``app/routers/users.py`` only binds a name: the
        package is already in ``sys.modules``, its body is not run again.)
        """
        parts = name.split(".")
        for cut in range(1, len(parts) + 1):
            found = self._file(path, ".".join(parts[:cut]))
            if found is not None and found not in ancestors:
                yield found

    def _from_targets(
        self, path: str, base: str, names: list[str], ancestors: frozenset[str]
    ) -> Iterator[str]:
        """``from base import names``: the packages above ``base``, submodules, ``base``."""
        stripped = base.lstrip(".")
        if stripped and stripped == base:
            parts = stripped.split(".")
            for cut in range(1, len(parts)):
                found = self._file(path, ".".join(parts[:cut]))
                if found is not None and found not in ancestors:
                    yield found
        base_file = self._file(path, base)
        if base_file is None:
            return
        needs_names = False
        sep = "" if base.endswith(".") else "."
        for name in names:
            if name == "*":
                needs_names = True
                continue
            sub = self._file(path, base + sep + name)
            if sub is not None and sub != base_file:
                yield sub
            else:
                needs_names = True
        if base_file not in ancestors or needs_names:
            yield base_file

    def _package_chain(self, path: str) -> frozenset[str]:
        directory = os.path.dirname(path)
        chain = self._chains.get(directory)
        if chain is None:
            chain = self._chains[directory] = _package_chain(path, self.project.root)
        return chain

    def _file(self, importer: str, dotted_name: str) -> Optional[str]:
        """``Project.module_file``, cached (absolute names do not depend on the importer)."""
        key = (os.path.dirname(importer) if dotted_name.startswith(".") else "", dotted_name)
        if key in self._files:
            return self._files[key]
        found = self.project.module_file(importer, dotted_name)
        self._files[key] = found
        return found

    # ----------------------------------------------------------------- candidate edges

    def _text_successors(self, path: str) -> list[str]:
        cached = self._text_edges.get(path)
        if cached is not None:
            return cached
        found: dict[str, None] = {}
        data = self._read(path)
        text = data.decode("utf-8", "replace") if data is not None else ""
        ancestors = self._package_chain(path)
        for kind, base, names in _scan_imports(text):
            if kind == "import":
                targets = [t for n in names for t in self._import_targets(path, n, ancestors)]
            else:
                targets = list(self._from_targets(path, base, names, ancestors))
            for target in targets:
                if target != path:
                    found.setdefault(target, None)
        result = list(found)
        self._text_edges[path] = result
        return result

    def router_hint(self, path: str) -> bool:
        """Might ``path`` create an app/router or define routes?  (Text only; a superset.)"""
        hint = self._hints.get(path)
        if hint is None:
            data = self._read(path)
            text = data.decode("utf-8", "replace") if data is not None else ""
            hint = any(word in text for word in self._hint_words) or bool(
                _ROUTE_DECORATOR_TEXT.search(text)
            )
            self._hints[path] = hint
        return hint

    def text_imports(self, path: str) -> list[str]:
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

    def may_be_in_router_cycle(self, path: str) -> bool:
        """Cheap test: could ``path`` share an import cycle with a router/app module?"""
        candidates = self.candidate_component(path)
        return len(candidates) > 1 and any(self.router_hint(m) for m in candidates)

    def candidate_component(self, path: str) -> tuple[str, ...]:
        """A superset of the exact component of ``path``, found without parsing."""
        return self._text_components.component(path, self._text_successors, None)

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
        self._members: list[tuple[str, ...]] = []

    def known(self, node: str) -> Optional[tuple[str, ...]]:
        number = self._number.get(node)
        return None if number is None else self._members[number]

    def number(self, node: str) -> int:
        return self._number[node]

    def single(self, node: str) -> tuple[str, ...]:
        self._number[node] = len(self._members)
        self._members.append((node,))
        return (node,)

    def component(
        self,
        start: str,
        successors: Callable[[str], list[str]],
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
                self._members.append(tuple(sorted(members)))
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
    top_lines: list[str] = []
    for match in _IMPORT_TEXT.finditer(text):
        if match.group(1):
            if top_starts is None:
                found = [(m.start(), m.group(0)) for m in _TOP_LINE.finditer(text)]
                top_starts = [pos for pos, _ in found]
                top_lines = [line for _, line in found]
            at = bisect.bisect_right(top_starts, match.start()) - 1
            # step back over continuation lines (closing brackets, string text)
            stop = max(at - _MAX_WALK_BACK, -1)
            while at > stop and not _BLOCK_HEADER.match(top_lines[at]):
                at -= 1
            if at > stop and _NOT_MODULE_BLOCK.match(top_lines[at]):
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


def _package_chain(path: str, root: Optional[str]) -> frozenset[str]:
    """``__init__.py`` files of the packages holding ``path`` (itself included if one).

    Every parent package of a module runs before the module does, also across
    namespace packages (folders without ``__init__.py``), so the walk goes up
    to the project root rather than stopping at the first folder without one.
    """
    found: set[str] = set()
    directory = os.path.dirname(path)
    while root is None or directory == root or directory.startswith(root + os.sep):
        if root is not None and directory == root:
            break
        init = os.path.join(directory, "__init__.py")
        if os.path.isfile(init):
            found.add(os.path.realpath(init))
        elif root is None:
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return frozenset(found)


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
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                children.append(child)
            elif isinstance(child, ast.excepthandler) or type(child).__name__ == "match_case":
                children.extend(getattr(child, "body", ()))
        pending.extend(reversed(children))


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
