"""The project index: other modules of the project, read lazily and cached.

A dependency is usually defined in one module and declared in another.  The
index finds the project root of a linted file, resolves project imports
(absolute and relative) to files below that root, parses them on first use and
keeps the result for the life of the process (each file is parsed at most once
per process, also in every ``flake8 -j`` worker).  It never imports or executes
the code it reads, reads nothing outside the root, and skips quietly whatever it
cannot use: unreadable, binary, non-UTF-8, oversized or unparsable files and
symlink loops.

On top of the files it answers the semantic questions the rules ask: what a
name refers to (:meth:`Project.resolve`), which functions are routes, which are
used as dependencies anywhere in the project, and so which are *request code*.
"""

from __future__ import annotations

import ast
import os
import re
import stat
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Optional, Union

from .model import (
    ROUTE_DECORATORS,
    annotated_parts,
    bound_in_scope,
    iter_params,
    marker_target,
    FunctionInfo,
    FunctionNode,
    MarkerUse,
    ModuleInfo,
    Scope,
    build_module,
    def_key,
    is_generator,
    own_nodes,
)
from . import fs
from .fs import exists, is_file
from .import_graph import ImportGraph
from .names import (
    APIROUTER,
    FASTAPI,
    FRAMEWORK_PACKAGES,
    MARKERS,
    Imports,
    canonicalize,
    name_chain,
)
from .options import Options
from .textscan import LocalDeclarations, local_declarations

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_PROJECT_FILES = 100_000  # listed; at most SCAN_BUDGET of them are read for one file
SCAN_BUDGET = 5_000
_MAX_RESOLVE_DEPTH = 12
_SKIP_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "dist-packages", "build", "dist"}
)
_DEP_TEXT = re.compile(rb"\bDepends\b|\bSecurity\b")
_NEVER = re.compile(r"(?!)")

# Router/app classes from other libraries whose decorators resolve dependencies.
KNOWN_ROUTER_CLASSES = frozenset(
    {
        FASTAPI,
        APIROUTER,
        "fastapi_utils.inferring_router.InferringRouter",
        "fastapi_restful.inferring_router.InferringRouter",
        "cadwyn.VersionedAPIRouter",
        "cadwyn.Cadwyn",
        "cadwyn.routing.VersionedAPIRouter",
    }
)


# --------------------------------------------------------------------------- symbols


@dataclass(frozen=True, eq=False)
class FuncSym:
    module: ModuleInfo
    info: FunctionInfo

    @property
    def node(self) -> FunctionNode:
        return self.info.node


@dataclass(frozen=True, eq=False)
class ClassSym:
    module: ModuleInfo
    node: ast.ClassDef


@dataclass(frozen=True, eq=False)
class ValueSym:
    """A module-level assignment: ``name = <value>`` (aliases, router objects, ...)."""

    module: ModuleInfo
    name: str
    value: ast.expr


@dataclass(frozen=True, eq=False)
class ModuleSym:
    module: ModuleInfo


@dataclass(frozen=True)
class ExternalSym:
    """Something outside the project, by canonical dotted name."""

    name: str


Symbol = Union[FuncSym, ClassSym, ValueSym, ModuleSym, ExternalSym]


@dataclass(frozen=True, eq=False)
class ParamDecl:
    """How one parameter of a function is injected, as FastAPI would read it.

    ``marker`` is the ``Depends``/``Security`` call FastAPI uses (the last one in
    ``Annotated`` metadata, else the default), found directly or through a
    type alias, possibly imported; ``module`` is where that marker is written,
    and so where ``target`` must be resolved.
    """

    param: ast.arg
    default: Optional[ast.expr]
    marker: Optional[ast.Call]
    marker_name: Optional[str]
    target: Optional[ast.expr]  # explicit dependency, or the annotation for Depends()
    module: ModuleInfo
    scope: Scope
    via: str  # "default", "annotated", "alias" or "" (no marker)


@dataclass(frozen=True, eq=False)
class Route:
    func: FunctionNode
    registration: ast.expr  # the decorator call or the add_api_route call
    websocket: bool


# --------------------------------------------------------------------------- files


@dataclass
class _Scan:
    """What a scan of one folder found (see :meth:`Project._scan`)."""

    targets: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    # (path, def key) -> every declaration naming that function, with its module
    decls: dict[tuple[str, tuple[int, int]], list[tuple[MarkerUse, ModuleInfo]]] = field(
        default_factory=dict
    )
    yield_names: frozenset[str] = frozenset()
    # names that make a FastAPI-free file worth walking: functions with Depends()
    # defaults (FAD003) and yield dependencies (FAD210)
    gate_names: frozenset[str] = frozenset()
    pattern: Optional[re.Pattern[str]] = None


class _FileText(NamedTuple):
    """What the dependency scan learns from one file's bytes alone.

    Nothing here depends on the project, so it is kept for the process: a file
    below two project roots (a root found as the top of a package chain inside
    another project, such as a ``docs_src`` folder of tutorial packages) is
    read and summarised once, not once per project.

    Kept in :data:`_FILE_TEXT` as a plain tuple (``local`` apart, in
    :data:`_FILE_LOCAL`), replaced rather than changed:
    for most files it holds only booleans, strings and None, and the garbage
    collector stops tracking such a tuple (not a subclass), so the table of
    every project file costs the run's full collections nothing (an object
    per file was visited by each of them).
    """

    facts: tuple[tuple[str, object], ...] = ()  # (name, value) of the text facts so far
    # the dependency scan's part, filled when a scan first asks (text_fact alone does not)
    summarised: bool = False
    declares: bool = False  # may declare a dependency: mentions fastapi and a marker word
    local: Optional[LocalDeclarations] = None  # the text summary, when it settles the file

    def has_fact(self, name: str) -> bool:
        return any(known == name for known, _ in self.facts)

    def fact(self, name: str) -> object:
        for known, value in self.facts:
            if known == name:
                return value
        return None


# path -> (facts, summarised, declares), None when unreadable; and the ``local``
# summaries apart, so that the big table holds only untracked tuples
_FILE_TEXT: dict[str, Optional[tuple[tuple[tuple[str, object], ...], bool, bool]]] = {}
_FILE_LOCAL: dict[str, LocalDeclarations] = {}


def _file_text(
    path: str, facts: dict[str, TextFact], summarise: bool = True
) -> tuple[Optional[_FileText], Optional[bytes]]:
    """The kept summary of ``path`` with ``facts`` computed (and the scan's part if
    ``summarise``), and the file's bytes if they were read just now."""
    raw = _FILE_TEXT.get(path)
    if raw is None and path in _FILE_TEXT:
        return None, None  # unreadable
    known = _FileText(*raw, _FILE_LOCAL.get(path)) if raw is not None else None
    if (
        known is not None
        and (known.summarised or not summarise)
        and all(known.has_fact(name) for name in facts)
    ):
        return known, None
    data = read_source(path)
    if data is None:
        _FILE_TEXT[path] = None
        _FILE_LOCAL.pop(path, None)  # (the two tables describe the same files)
        return None, None
    if known is None:
        known = _FileText()
    if summarise and not known.summarised:
        # declaring a dependency needs an import of fastapi in the same file
        # (substring tests first: the regex alone costs several times more)
        declares = (
            b"fastapi" in data
            and (b"Depends" in data or b"Security" in data)
            and _DEP_TEXT.search(data) is not None
        )
        known = known._replace(
            summarised=True,
            declares=declares,
            local=local_declarations(data) if declares else None,
        )
    added = tuple(
        (name, compute(data)) for name, compute in facts.items() if not known.has_fact(name)
    )
    if added:
        known = known._replace(facts=known.facts + added)
    _FILE_TEXT[path] = (known.facts, known.summarised, known.declares)
    if known.local is not None:
        _FILE_LOCAL[path] = known.local
    return known, data


# Whole-project text questions ("which files may register a middleware?"),
# answered from the bytes of every project file in the same read as the
# dependency scan, so that no rule reads the project's files again.  A fact
# maps a file's bytes to a value worth keeping, or None (most files).
TextFact = Callable[[bytes], object]
_TEXT_FACTS: dict[str, TextFact] = {}


def register_text_fact(name: str, compute: TextFact) -> None:
    """Have ``Project.text_fact(name)`` answer ``compute(data)`` for every project file."""
    _TEXT_FACTS[name] = compute


_REAL: dict[str, str] = {}


def real_path(path: str) -> str:
    """``os.path.realpath``, remembered for the process.

    ``os.path.realpath`` costs a stat per part of the path; files of one folder
    share the folder's answer, so a new file costs one ``lstat`` (is it a
    symlink itself?).  A symlink, or ``.``/``..`` as the last part, takes the
    full route.
    """
    real = _REAL.get(path)
    if real is not None:
        return real
    pending: list[tuple[str, str]] = []  # (path, last part): parent's answer + part
    current = path
    while True:
        real = _REAL.get(current)
        if real is not None:
            break
        head, tail = os.path.split(current)
        if head and tail and tail not in (os.curdir, os.pardir) and not os.path.islink(current):
            pending.append((current, tail))
            current = head
            continue
        real = _REAL[current] = os.path.realpath(current)
        break
    for item, tail in reversed(pending):
        real = _REAL[item] = os.path.join(real, tail)
    return real


def find_root(path: str) -> Optional[str]:
    """The project root for ``path`` (absolute), or None when there is none.

    The nearest ancestor holding a root marker; else the parent of the top of
    the package chain (directories with ``__init__.py``); else None, which means
    the file is alone and only it is analysed.
    """
    directory = os.path.dirname(path)
    marked = _marked_ancestor(directory)
    if marked is not None:
        return marked
    top = None
    current = directory
    while is_file(os.path.join(current, "__init__.py")):
        top = current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return os.path.dirname(top) if top is not None else None


_MARKED: dict[str, Optional[str]] = {}  # folder -> nearest folder holding a root marker


def _marked_ancestor(directory: str) -> Optional[str]:
    """The nearest of ``directory`` and its ancestors holding a root marker (cached per folder)."""
    walked: list[str] = []
    current = directory
    found: Optional[str] = None
    while True:
        if current in _MARKED:
            found = _MARKED[current]
            break
        walked.append(current)
        if any(exists(os.path.join(current, m)) for m in ROOT_MARKERS):
            found = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in walked:
        _MARKED[folder] = found
    return found


def is_test_path(rel_parts: tuple[str, ...], patterns: Iterable[str]) -> bool:
    import fnmatch

    if not rel_parts:
        return False
    name = rel_parts[-1]
    if any(part in ("tests", "test") for part in rel_parts[:-1]):
        return True
    return any(fnmatch.fnmatch(name, pat) for pat in patterns)


_NESTED_MARKERS = frozenset((*ROOT_MARKERS, "pyvenv.cfg"))


def _list_python_files(root: str, found: list[str]) -> None:
    """Append the ``.py`` files below ``root`` to ``found``, folders in sorted
    pre-order (files of a folder, then its subfolders), as ``os.walk`` would."""
    stack = [root]
    while stack and len(found) < MAX_PROJECT_FILES:
        directory = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            continue
        if directory != root and any(e.name in _NESTED_MARKERS for e in entries):
            continue  # a project of its own, or a virtual environment
        names: list[str] = []
        folders: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                if name.endswith(".py"):
                    names.append(name)
            elif not name.startswith(".") and name not in _SKIP_DIRS and not entry.is_symlink():
                folders.append(name)
        found.extend(os.path.join(directory, name) for name in sorted(names))
        stack.extend(os.path.join(directory, name) for name in sorted(folders, reverse=True))


def read_source(path: str) -> Optional[bytes]:
    """The bytes of a Python file we may parse, or None (quietly) if we may not.

    One ``open`` and one ``fstat`` on the descriptor: non-blocking, so a named
    pipe cannot hang the run, and anything but a regular file is refused.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        chunks = [os.read(fd, info.st_size + 1)]
        size = len(chunks[0])
        # The size read is the size stated: done.  Otherwise the file changed
        # (or a read came up short): read on to the end, up to the limit.
        while size != info.st_size and chunks[-1] and size <= MAX_FILE_BYTES:
            chunks.append(os.read(fd, MAX_FILE_BYTES + 1 - size))
            size += len(chunks[-1])
    except OSError:
        return None
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > MAX_FILE_BYTES or b"\x00" in data:
        return None
    return data


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def parse_source(data: bytes, path: str) -> Optional[ast.Module]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    try:
        with warnings.catch_warnings():
            # e.g. SyntaxWarning for "\d": not ours to report, and never printed
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


# --------------------------------------------------------------------------- project


class Project:
    """One project root (or a lone file when ``root`` is None) and its caches."""

    def __init__(self, root: Optional[str], options: Options) -> None:
        self.root = real_path(root) if root else None
        self.options = options
        self._modules: dict[str, Optional[ModuleInfo]] = {}
        self._current: Optional[ModuleInfo] = None  # the module being linted (see adopt)
        self._files: Optional[tuple[str, ...]] = None
        self._scans: dict[str, _Scan] = {}
        self._subtree_counts: Optional[dict[str, int]] = None
        self._resolving: set[tuple[int, str]] = set()
        self._import_graph: Optional[ImportGraph] = None
        self.parse_count = 0  # files parsed by the index (for the benchmark)
        # project-wide indexes built lazily by rule families, by a key of their own
        self.cache: dict[object, object] = {}
        self._router_classes = KNOWN_ROUTER_CLASSES | frozenset(options.router_classes)
        self._import_roots: list[str] = []
        self._rooted_folders: set[str] = set()  # folders add_import_root_for has seen
        self._module_files: dict[tuple[Optional[str], str], Optional[str]] = {}
        # registered text facts: name -> {path: value} (non-None values only)
        self._facts: dict[str, dict[str, object]] = {}
        if self.root:
            self._import_roots.append(self.root)
            src = os.path.join(self.root, "src")
            if os.path.isdir(src):
                self._import_roots.append(src)

    # ---------------------------------------------------------------- files

    def count_parse(self) -> None:
        self.parse_count += 1

    def inside(self, path: str) -> bool:
        if self.root is None:
            return False
        real = real_path(path)
        return real == self.root or real.startswith(self.root + os.sep)

    def module_at(
        self, path: str, data: Optional[bytes] = None, tree: Optional[ast.Module] = None
    ) -> Optional[ModuleInfo]:
        """The parsed module at ``path``; None when it is unusable or outside the root.

        ``data``: the file's bytes when the caller has just read them; ``tree``:
        their syntax tree when the caller has just parsed them (with ``data``).
        """
        real = real_path(path)
        if real in self._modules:
            return self._modules[real]
        current = self._current
        if current is not None and current.path == real:
            # not stored: a linted module is never kept (see adopt); once it is
            # done, the file is parsed again if another one needs it
            return current
        mod: Optional[ModuleInfo] = None
        if self.inside(real) and real.endswith(".py"):
            if data is None:
                data = read_source(real)
            if tree is None:
                tree = parse_source(data, real) if data is not None else None
                if tree is not None:
                    self.parse_count += 1
            if tree is not None and data is not None:
                try:
                    mod = build_module(tree, real, data)
                    mod.source_hash = hash(data)
                except RecursionError:
                    mod = None
        self._modules[real] = mod
        return mod

    def cached_module(self, path: str) -> Optional[ModuleInfo]:
        """The module at ``path`` if the index has already built it, or the linted
        module when that is the one asked for (never parses)."""
        real = real_path(path)
        found = self._modules.get(real)
        current = self._current
        if found is None and current is not None and current.path == real:
            return current
        return found

    def adopt(self, tree: ast.Module, path: Optional[str], text: str = "") -> ModuleInfo:
        """The module flake8 is linting, built from flake8's own tree.

        Never kept: holding linted trees for the whole run would grow memory
        with the project and slow every garbage collection.  The dependency
        scan parses the few files it must (see ``textscan``), and any other
        module is parsed by the index if and when another file needs it (once).
        When the index has already modelled this very text, that model (and
        what has been learnt about it) is reused.
        """
        real = real_path(path) if path else None
        known = self._modules.get(real) if real is not None else None
        if known is not None and text and known.source_hash == hash(text.encode("utf-8")):
            return known
        mod = build_module(tree, real, text or None)
        self._current = mod  # while it is linted, the index uses it instead of parsing the file
        return mod

    def forget(self, path: str, mod: Optional[ModuleInfo]) -> None:
        """Drop ``mod`` (just read from ``path`` for a one-off question) from the index,
        unless it is the module being linted; it is parsed again if needed."""
        if mod is None or mod is self._current:
            return
        real = real_path(path)
        if self._modules.get(real) is mod:
            del self._modules[real]
            mod.cache.clear()

    def release(self, mod: ModuleInfo) -> None:
        """The linted module ``mod`` is done with: unless the index keeps it, drop
        what was cached on it.  Those caches hold symbols that point back at the
        module, a reference cycle that would keep flake8's tree alive until a
        garbage collection finds it (and make collections more frequent)."""
        if self._current is mod:
            self._current = None
        if mod.path is None or self._modules.get(mod.path) is not mod:
            mod.cache.clear()

    def add_import_root_for(self, path: str) -> None:
        """Make the package chain holding ``path`` importable (its top's parent)."""
        folder = os.path.dirname(path)
        if folder in self._rooted_folders:
            return
        self._rooted_folders.add(folder)
        directory = os.path.dirname(real_path(path))
        top = None
        current = directory
        while is_file(os.path.join(current, "__init__.py")) and self.inside(current):
            top = current
            current = os.path.dirname(current)
        base = os.path.dirname(top) if top else directory
        if self.inside(base) and base not in self._import_roots:
            self._import_roots.append(base)
            self._module_files.clear()  # absolute names may now resolve elsewhere

    def files(self) -> tuple[str, ...]:
        """Every Python file below the root (bounded; no symlinked directories).

        Folders are skipped when hidden, in :data:`_SKIP_DIRS`, or holding a
        root marker or ``pyvenv.cfg`` of their own (another project, a virtual
        environment).  One directory listing per folder answers all of it.
        A tuple of strings, which the garbage collector stops tracking.
        """
        if self._files is None:
            found: list[str] = []
            if self.root is not None:
                _list_python_files(self.root, found)
            self._files = tuple(found[:MAX_PROJECT_FILES])
        return self._files

    def module_file(self, importer: Optional[str], dotted_name: str) -> Optional[str]:
        """The file of module ``dotted_name`` (``.x`` relative to ``importer``).

        Answers are cached (each costs several stat calls); relative names per
        importing directory, absolute ones until another import root is added.
        """
        relative = dotted_name.startswith(".")
        key = (os.path.dirname(importer) if relative and importer else None, dotted_name)
        if key not in self._module_files:
            self._module_files[key] = self._module_file(importer, dotted_name)
        return self._module_files[key]

    def _module_file(self, importer: Optional[str], dotted_name: str) -> Optional[str]:
        stripped = dotted_name.lstrip(".")
        level = len(dotted_name) - len(stripped)
        parts = [p for p in stripped.split(".") if p]
        if level:
            if importer is None:
                return None
            base = os.path.dirname(importer)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            bases = [base]
        else:
            if not parts:
                return None
            bases = self._import_roots
        for base in bases:
            candidate = os.path.join(base, *parts)
            for path in (candidate + ".py", os.path.join(candidate, "__init__.py")):
                if is_file(path) and self.inside(path):
                    return real_path(path)
        return None

    def import_graph(self) -> ImportGraph:
        """The project's module-level import graph, built lazily and kept for the process."""
        if self._import_graph is None:
            self._import_graph = ImportGraph(
                self, read_source, parse_source, self._router_classes
            )
        return self._import_graph

    # ---------------------------------------------------------------- resolution

    def resolve(self, mod: ModuleInfo, expr: ast.expr, scope: Scope = ()) -> Optional[Symbol]:
        """What ``expr`` (a name or attribute chain in ``mod``) refers to."""
        chain = name_chain(expr)
        if chain is None:
            return None
        head, attrs = chain
        local = _scope_lookup(mod, head, scope)
        if isinstance(local, _Local):
            return None
        sym = local if local is not None else self.lookup(mod, head, 0)
        for attr in attrs:
            if sym is None:
                return None
            sym = self._member(sym, attr, 0)
        return sym

    def lookup(self, mod: ModuleInfo, name: str, depth: int) -> Optional[Symbol]:
        """Module-level ``name`` in ``mod``, following imports and re-exports."""
        if depth > _MAX_RESOLVE_DEPTH:
            return None
        binding = mod.toplevel.get(name)
        if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info = mod.function_info(binding)
            return FuncSym(mod, info) if info is not None else None
        if isinstance(binding, ast.ClassDef):
            return ClassSym(mod, binding)
        if isinstance(binding, (ast.Import, ast.ImportFrom)) or (
            binding is None and name in mod.imports.names
        ):
            qualified = mod.imports.names.get(name)
            if qualified is None:
                return None
            return self.resolve_qualified(mod, qualified, depth + 1)
        if isinstance(binding, ast.expr):
            return ValueSym(mod, name, binding)
        if binding is None and mod.path is not None and os.path.basename(mod.path) == "__init__.py":
            sub = self.module_file(mod.path, "." + name)
            if sub is not None:
                submod = self.module_at(sub)
                return ModuleSym(submod) if submod is not None else None
        return None

    def resolve_qualified(self, mod: ModuleInfo, qualified: str, depth: int = 0) -> Optional[Symbol]:
        """A dotted name from an import (``app.db.get_db``, ``..deps.DB``)."""
        key = (id(mod), qualified)
        if key in self._resolving or depth > _MAX_RESOLVE_DEPTH:
            return None
        self._resolving.add(key)
        try:
            return self._resolve_qualified(mod, qualified, depth)
        finally:
            self._resolving.discard(key)

    def _resolve_qualified(self, mod: ModuleInfo, qualified: str, depth: int) -> Optional[Symbol]:
        stripped = qualified.lstrip(".")
        dots = qualified[: len(qualified) - len(stripped)]
        parts = stripped.split(".") if stripped else []
        if not dots and parts and parts[0] in FRAMEWORK_PACKAGES:
            # FastAPI's own names stay canonical even inside a checkout of FastAPI
            return ExternalSym(canonicalize(qualified))
        if self.root is not None:
            for cut in range(len(parts), -1, -1):
                if cut == 0 and not dots:
                    break
                path = self.module_file(mod.path, dots + ".".join(parts[:cut]))
                if path is None:
                    continue
                target = self.module_at(path)
                if target is None:
                    return None
                sym: Optional[Symbol] = ModuleSym(target)
                for attr in parts[cut:]:
                    sym = self._member(sym, attr, depth + 1)
                return sym
        if dots:
            return None
        return ExternalSym(canonicalize(qualified))

    def _member(self, base: Optional[Symbol], attr: str, depth: int) -> Optional[Symbol]:
        if isinstance(base, ModuleSym):
            return self.lookup(base.module, attr, depth + 1)
        if isinstance(base, ClassSym):
            for stmt in base.node.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == attr:
                    info = base.module.function_info(stmt)
                    return FuncSym(base.module, info) if info is not None else None
            return None
        if isinstance(base, ExternalSym):
            return ExternalSym(canonicalize(f"{base.name}.{attr}"))
        return None

    def canonical(self, mod: ModuleInfo, expr: ast.expr, scope: Scope = ()) -> Optional[str]:
        """Canonical dotted name of an external object ``expr`` refers to."""
        direct = mod.imports.canonical(expr)
        if direct is not None and not direct.startswith("."):
            head = direct.split(".", 1)[0]
            if (
                head in FRAMEWORK_PACKAGES
                or self.root is None
                or self.module_file(mod.path, head) is None
            ):
                return direct
        sym = self.resolve(mod, expr, scope)
        return sym.name if isinstance(sym, ExternalSym) else None

    # ---------------------------------------------------------------- classes

    def class_bases(self, cls: ClassSym, depth: int = 0) -> Iterator[Symbol]:
        """Every base class of ``cls``, transitively (project classes followed)."""
        if depth > 8:
            return
        for base in cls.node.bases:
            sym = self.resolve(cls.module, base)
            if sym is None:
                continue
            yield sym
            if isinstance(sym, ClassSym):
                yield from self.class_bases(sym, depth + 1)

    def class_method(self, cls: ClassSym, name: str) -> Optional[FuncSym]:
        """``name`` defined in ``cls`` or a project base class."""
        chain: list[Symbol] = [cls, *self.class_bases(cls)]
        for sym in chain:
            if isinstance(sym, ClassSym):
                found = self._member(sym, name, 0)
                if isinstance(found, FuncSym):
                    return found
        return None

    def class_has_unknown_base(self, cls: ClassSym) -> bool:
        """True if some base is not a project class (its methods are unknown)."""
        for base in cls.node.bases:
            sym = self.resolve(cls.module, base)
            if isinstance(sym, ClassSym):
                if self.class_has_unknown_base(sym):
                    return True
            elif not (isinstance(sym, ExternalSym) and sym.name in _PLAIN_BASES):
                return True
        return bool(cls.node.keywords)  # a metaclass can add __call__

    def is_router_class(self, sym: Optional[Symbol]) -> bool:
        if isinstance(sym, ExternalSym):
            return sym.name in self._router_classes
        if isinstance(sym, ClassSym):
            return any(
                isinstance(b, ExternalSym) and b.name in self._router_classes
                for b in self.class_bases(sym)
            )
        return False

    # ---------------------------------------------------------------- routes

    def is_router_value(self, mod: ModuleInfo, value: ast.expr, scope: Scope) -> bool:
        """Is ``value`` (an assigned expression or annotation) a FastAPI app/router?"""
        if isinstance(value, ast.Call):
            return self.is_router_class(self.resolve(mod, value.func, scope))
        return self.is_router_class(self.resolve(mod, value, scope))

    def is_router_expr(
        self, mod: ModuleInfo, expr: ast.expr, scope: Scope, depth: int = 0, *, strict: bool = False
    ) -> bool:
        """Is ``expr`` (the object of ``@expr.get(...)``) a FastAPI app or router?

        ``strict`` demands proof (a binding to a router class); otherwise a name
        imported from outside the project, or never bound, counts in a module
        that imports fastapi.
        """
        if depth > 4:
            return False
        if isinstance(expr, ast.Attribute):
            # app.router is the app's APIRouter
            return expr.attr == "router" and self.is_router_expr(
                mod, expr.value, scope, depth + 1, strict=strict
            )
        if not isinstance(expr, ast.Name):
            return False
        # the same object decorates many routes: answer each name once per scope
        memo = mod.cache.get("router_names")
        if not isinstance(memo, dict):
            memo = mod.cache["router_names"] = {}
        key = (expr.id, id(scope[-1]) if scope else 0, strict)
        known = memo.get(key)
        if known is None:
            known = memo[key] = self._is_router_name(mod, expr.id, scope, strict)
        return bool(known)

    def _is_router_name(self, mod: ModuleInfo, name: str, scope: Scope, strict: bool) -> bool:
        for func in reversed(scope):
            values = mod.assignments.get(id(func), {}).get(name)
            for param, _ in iter_params(func):
                if param.arg == name:
                    return param.annotation is not None and self.is_router_value(
                        mod, param.annotation, scope
                    )
            if values is not None:
                return any(self.is_router_value(mod, v, scope) for v in values)
        values = mod.assignments.get(0, {}).get(name)
        if values:
            return any(self.is_router_value(mod, v, ()) for v in values)
        binding = mod.toplevel.get(name)
        if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return False
        if isinstance(binding, (ast.Import, ast.ImportFrom)):
            sym = self.lookup(mod, name, 0)
            if isinstance(sym, ValueSym):
                return self.is_router_value(sym.module, sym.value, ())
            if sym is not None and not isinstance(sym, ExternalSym):
                return False
        # imported from outside the project, or never bound: trust the verb
        return not strict and mod.imports.imports_fastapi()

    def routes(self, mod: ModuleInfo) -> dict[int, Route]:
        """Route functions of ``mod`` by ``id`` of their def node."""
        cached = mod.cache.get("routes")
        if isinstance(cached, dict):
            return cached
        found: dict[int, Route] = {}
        mod.cache["routes"] = found  # guards against re-entry while resolving
        for info in mod.functions:
            for deco in info.node.decorator_list:
                if (
                    isinstance(deco, ast.Call)
                    and isinstance(deco.func, ast.Attribute)
                    and deco.func.attr in ROUTE_DECORATORS
                    and self.is_router_expr(mod, deco.func.value, info.parents)
                ):
                    found[id(info.node)] = Route(info.node, deco, deco.func.attr == "websocket")
                    break
        for reg in mod.registrations:
            if not self.is_router_expr(mod, reg.obj, reg.scope):
                continue
            sym = self.resolve(mod, reg.endpoint, reg.scope)
            if isinstance(sym, FuncSym) and sym.module is mod:
                ws = isinstance(reg.call.func, ast.Attribute) and "websocket" in reg.call.func.attr
                found.setdefault(id(sym.node), Route(sym.node, reg.call, ws))
        return found

    # ---------------------------------------------------------------- dependencies

    def dependency_functions(self, marker: MarkerUse, mod: ModuleInfo) -> list[FuncSym]:
        """The functions FastAPI calls per request for one declaration."""
        target = marker.target
        if target is None:
            return []
        if isinstance(target, ast.Call):
            made = self.resolve(mod, target.func, marker.scope)
            if isinstance(made, ClassSym):  # Depends(Checker(...)): the instance's __call__
                call = self.class_method(made, "__call__")
                return [call] if call is not None else []
            if isinstance(made, FuncSym):  # Depends(factory(...)): the returned closures
                return list(_returned_closures(made))
            return []
        sym = self.resolve(mod, target, marker.scope)
        if isinstance(sym, FuncSym):
            return [sym]
        if isinstance(sym, ClassSym):  # Depends(Cls): the constructor
            init = self.class_method(sym, "__init__")
            return [init] if init is not None else []
        return []

    def dependency_keys(self, mod: ModuleInfo) -> set[tuple[int, int]]:
        """Def keys of the functions of ``mod`` used as dependencies anywhere."""
        cached = mod.cache.get("dep_keys")
        if isinstance(cached, set):
            return cached
        keys: set[tuple[int, int]] = set()
        mod.cache["dep_keys"] = keys
        for marker in mod.marker_uses:
            for func in self.dependency_functions(marker, mod):
                if func.module is mod or func.module.path == mod.path:
                    keys.add(func.info.key)
        if mod.path is not None and self.root is not None:
            keys |= self.project_dependency_targets(mod.path).get(mod.path, set())
        return keys

    def scan_base(self, path: str) -> str:
        """The folder whose files are searched for uses of ``path``'s functions.

        The project root, unless it holds more than :data:`SCAN_BUDGET` files
        (a monorepo, or a root found far above the code, such as a git checkout
        holding Python installations): then the highest folder above ``path``
        that stays within the budget.
        """
        assert self.root is not None
        files = self.files()
        if len(files) <= SCAN_BUDGET:
            return self.root
        counts = self._subtree_counts
        if counts is None:
            direct: dict[str, int] = {}
            for name in files:
                directory = os.path.dirname(name)
                direct[directory] = direct.get(directory, 0) + 1
            counts = {}
            for directory, count in direct.items():
                while True:
                    counts[directory] = counts.get(directory, 0) + count
                    if len(directory) <= len(self.root):
                        break
                    directory = os.path.dirname(directory)
            self._subtree_counts = counts
        best = current = os.path.dirname(path)
        while current.startswith(self.root) and counts.get(current, 0) <= SCAN_BUDGET:
            best = current
            if current == self.root:
                break
            current = os.path.dirname(current)
        return best

    def _scan(self, path: str) -> _Scan:
        """Uses of dependencies in the files around ``path``; built once per folder.

        Only files whose text mentions ``Depends`` or ``Security`` are parsed.
        """
        base = self.scan_base(path)
        scan = self._scans.get(base)
        if scan is not None:
            return scan
        scan = self._scans[base] = _Scan()
        prefix = base.rstrip(os.sep) + os.sep
        yield_names: set[str] = set()
        gate_names: set[str] = set()
        # the whole project is read here: answer every text fact in the same read
        facts = self._missing_facts() if base == self.root else {}
        for name in self.files():
            if not name.startswith(prefix):
                continue
            text, data = _file_text(name, facts)
            if text is None:
                continue
            if facts:
                self._record_facts(facts, name, text)
            if not text.declares:
                continue
            local = text.local
            if local is not None:
                # Every declaration names the file's own code: its lint sees them all.
                gate_names |= local.gate_names
                yield_names |= local.yield_names
                continue
            real = real_path(name)
            known = real in self._modules
            mod = self.module_at(real, data)  # (reads the file if it was not read just now)
            if mod is None:
                continue
            elsewhere = False
            for marker in mod.marker_uses:
                for func in self.dependency_functions(marker, mod):
                    if func.module.path is None:
                        continue
                    if is_generator(func.node):
                        yield_names.add(func.info.name)
                        # module-level aliases: get_session = get_db
                        yield_names.update(
                            alias
                            for alias, value in func.module.toplevel.items()
                            if isinstance(value, ast.Name) and value.id == func.info.name
                        )
                    if func.module.path == mod.path:
                        continue  # the file's own lint sees this declaration
                    elsewhere = True
                    scan.targets.setdefault(func.module.path, set()).add(func.info.key)
                    scan.decls.setdefault((func.module.path, func.info.key), []).append((marker, mod))
            for info in mod.functions:
                if not info.parents and info.cls is None and any(
                    d.via == "default" for d in self.signature(mod, info)
                ):
                    gate_names.add(info.name)
            if not elsewhere and not known and mod is not self._current:
                # Nothing here for other files: do not keep the tree for the whole
                # run, and break the cycles its caches make so it dies at once.
                del self._modules[real]
                mod.cache.clear()
        scan.yield_names = frozenset(yield_names)
        scan.gate_names = frozenset(gate_names) | scan.yield_names
        return scan

    def text_fact(self, name: str) -> dict[str, object]:
        """``{path: value}`` of the registered text fact ``name`` over the project's files.

        Each file is read once for all facts (in the dependency scan when it covers
        the whole root, else here); files where the fact is None are left out.
        """
        found = self._facts.get(name)
        if found is not None:
            return found
        facts = self._missing_facts()
        if name not in facts:  # not registered
            return {}
        for file in self.files():
            text, _ = _file_text(file, facts, summarise=False)
            if text is not None:
                self._record_facts(facts, file, text)
        return self._facts[name]

    def _missing_facts(self) -> dict[str, TextFact]:
        """The registered facts not computed yet; their tables are created empty now."""
        missing = {n: f for n, f in _TEXT_FACTS.items() if n not in self._facts}
        for fact_name in missing:
            self._facts[fact_name] = {}
        return missing

    def _record_facts(self, facts: dict[str, TextFact], path: str, text: _FileText) -> None:
        for fact_name in facts:
            value = text.fact(fact_name)
            if value is not None:
                self._facts[fact_name][path] = value

    def project_dependency_targets(self, path: str) -> dict[str, set[tuple[int, int]]]:
        """For the files around ``path``, the def keys used as dependencies elsewhere."""
        if self.root is None:
            return {}
        return self._scan(path).targets

    def mentions_project_names(self, path: str, text: str) -> bool:
        """Does ``text`` name a function that matters to files without FastAPI code?

        Such a file may call a function with ``Depends()`` defaults (FAD003) or
        drive a yield dependency by hand (``next(get_db())``, FAD210).  One
        regex pass; a false match only costs one walk of the file.
        """
        if self.root is None:
            return False
        scan = self._scan(path)
        if scan.pattern is None:
            names = sorted(scan.gate_names)
            scan.pattern = (
                re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, names))) if names else _NEVER
            )
        return scan.pattern.search(text) is not None

    def gate_names(self, path: str) -> frozenset[str]:
        """Names of the functions with ``Depends()`` defaults (and of generator
        dependencies) in the files around ``path``: a superset, see ``_Scan``."""
        if self.root is None:
            return frozenset()
        return self._scan(path).gate_names

    def is_external_module(self, mod: ModuleInfo, qualified: str) -> bool:
        """Does the dotted name (from one of ``mod``'s imports) start outside the project?"""
        if qualified.startswith("."):
            return False
        head = qualified.split(".", 1)[0]
        if head in FRAMEWORK_PACKAGES or self.root is None:
            return True
        return self.module_file(mod.path, head) is None

    def import_file(self, mod: ModuleInfo, qualified: str) -> Optional[str]:
        """The project file an import of ``qualified`` in ``mod`` reads: the module
        itself, or the module a name is taken from; None if not a project file."""
        found = self.module_file(mod.path, qualified)
        if found is None and "." in qualified.lstrip("."):
            found = self.module_file(mod.path, qualified.rsplit(".", 1)[0])
        return found

    def declarations_of(self, mod: ModuleInfo, info: FunctionInfo) -> list[tuple[MarkerUse, ModuleInfo]]:
        """Every declaration seen that makes ``info`` (defined in ``mod``) a dependency.

        The markers of ``mod`` itself, plus, with a project root, those of every
        project file that mentions ``Depends``/``Security``.
        """
        found: list[tuple[MarkerUse, ModuleInfo]] = []
        for marker in mod.marker_uses:
            for func in self.dependency_functions(marker, mod):
                if func.info.key == info.key and (func.module is mod or func.module.path == mod.path):
                    found.append((marker, mod))
        if mod.path is not None and self.root is not None:
            for marker, other in self._scan(mod.path).decls.get((mod.path, info.key), []):
                if other.path != mod.path:
                    found.append((marker, other))
        return found

    def yield_dependency_names(self, path: str) -> frozenset[str]:
        """Names of the generator dependencies in the files around ``path``."""
        return self._scan(path).yield_names if self.root is not None else frozenset()

    def request_functions(self, mod: ModuleInfo) -> list[FunctionInfo]:
        """Routes and dependencies defined in ``mod``: the code FastAPI runs per request."""
        cached = mod.cache.get("request")
        if isinstance(cached, list):
            return cached
        routes = self.routes(mod)
        keys = self.dependency_keys(mod)
        found = [f for f in mod.functions if id(f.node) in routes or f.key in keys]
        mod.cache["request"] = found
        return found

    def signature(self, mod: ModuleInfo, info: FunctionInfo) -> list[ParamDecl]:
        """Every parameter of ``info`` with the dependency marker FastAPI would use."""
        cache = mod.cache.setdefault("signatures", {})
        assert isinstance(cache, dict)
        found = cache.get(id(info.node))
        if isinstance(found, list):
            return found
        decls: list[ParamDecl] = []
        imports = mod.imports
        for param, default in info.params:
            ann = param.annotation
            parts = annotated_parts(imports, ann)
            decl = ParamDecl(param, default, None, None, None, mod, info.parents, "")
            if parts:
                metas = [
                    m for m in parts[1:]
                    if isinstance(m, ast.Call) and imports.canonical(m.func) in MARKERS
                ]
                if metas:
                    decl = _decl(param, default, metas[-1], imports, parts[0], mod, info.parents, "annotated")
            elif ann is not None and isinstance(ann, (ast.Name, ast.Attribute)):
                alias = self.resolve(mod, ann, info.parents)
                if isinstance(alias, ValueSym):
                    aparts = annotated_parts(alias.module.imports, alias.value)
                    if aparts:
                        metas = [
                            m for m in aparts[1:]
                            if isinstance(m, ast.Call)
                            and alias.module.imports.canonical(m.func) in MARKERS
                        ]
                        if metas:
                            decl = _decl(
                                param, default, metas[-1], alias.module.imports, aparts[0],
                                alias.module, (), "alias",
                            )
            if decl.marker is None and isinstance(default, ast.Call):
                if imports.canonical(default.func) in MARKERS:
                    implicit = parts[0] if parts else ann
                    decl = _decl(param, default, default, imports, implicit, mod, info.parents, "default")
            decls.append(decl)
        cache[id(info.node)] = decls
        return decls

    def is_dependency(self, mod: ModuleInfo, info: FunctionInfo) -> bool:
        return info.key in self.dependency_keys(mod)

    def is_route(self, mod: ModuleInfo, node: FunctionNode) -> bool:
        return id(node) in self.routes(mod)


_PLAIN_BASES = frozenset(
    {
        "builtins.object",
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic_settings.BaseSettings",
        "pydantic.BaseSettings",
        "sqlmodel.SQLModel",
        "enum.Enum",
        "enum.IntEnum",
        "enum.StrEnum",
        "abc.ABC",
        "typing.Generic",
        "typing.NamedTuple",
        "typing.TypedDict",
        "typing_extensions.TypedDict",
        "Exception",
    }
)


def _decl(
    param: ast.arg,
    default: Optional[ast.expr],
    call: ast.Call,
    imports: Imports,
    implicit: Optional[ast.expr],
    module: ModuleInfo,
    scope: Scope,
    via: str,
) -> ParamDecl:
    explicit = marker_target(call)
    return ParamDecl(
        param,
        default,
        call,
        imports.canonical(call.func),
        explicit if explicit is not None else implicit,
        module,
        scope,
        via,
    )


class _Local:
    """A name bound inside an enclosing function to a value we do not know."""


_LOCAL = _Local()


def _scope_lookup(mod: ModuleInfo, name: str, scope: Scope) -> Union[Symbol, _Local, None]:
    """What ``name`` means inside the enclosing functions, innermost first.

    A def or class in a function body is a symbol; a parameter or an assigned
    local shadows every outer meaning; None means "not bound locally".
    """
    for func in reversed(scope):
        for stmt in func.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                info = mod.function_info(stmt)
                return FuncSym(mod, info) if info is not None else _LOCAL
            if isinstance(stmt, ast.ClassDef) and stmt.name == name:
                return ClassSym(mod, stmt)
        if bound_in_scope(mod, name, (func,)):
            return _LOCAL
    return None


def _returned_closures(factory: FuncSym) -> Iterator[FuncSym]:
    nested = {
        stmt.name: stmt
        for stmt in factory.node.body
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    for node in own_nodes(factory.node):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
            found = nested.get(node.value.id)
            if found is not None:
                info = factory.module.function_info(found)
                if info is not None:
                    yield FuncSym(factory.module, info)


# --------------------------------------------------------------------------- registry

_PROJECTS: dict[tuple[str, Options], Project] = {}


_ROOTS: dict[str, Optional[str]] = {}  # folder of a linted file -> its project root


# (folder as written, cwd for a relative one, options) -> that folder's project
_FOLDER_PROJECTS: dict[tuple[str, str, Options], Project] = {}


def project_for(path: Optional[str], options: Options) -> Project:
    """The per-process :class:`Project` for a linted file (a lone one if no root).

    The answer depends only on the file's folder, so it is kept per folder as
    written (and working directory, for a relative one): the next file of a
    folder costs one dictionary lookup, not a path normalisation.
    """
    if not path or path in ("stdin", "-"):
        return Project(None, options)
    folder_key = (os.path.dirname(path), "" if os.path.isabs(path) else os.getcwd(), options)
    known = _FOLDER_PROJECTS.get(folder_key)
    if known is not None:
        return known
    project = _project_for(path, options)
    if project.root is not None:
        _FOLDER_PROJECTS[folder_key] = project
    return project


def _project_for(path: str, options: Options) -> Project:
    absolute = os.path.abspath(path)
    folder = os.path.dirname(absolute)
    if folder in _ROOTS:
        root = _ROOTS[folder]
    else:
        root = _ROOTS[folder] = find_root(absolute)
    if root is None:
        return Project(None, options)
    key = (real_path(root), options)
    project = _PROJECTS.get(key)
    if project is None:
        project = _PROJECTS[key] = Project(root, options)
    project.add_import_root_for(absolute)
    return project


def clear_cache() -> None:
    """Forget every project (tests use this between fixture projects)."""
    _PROJECTS.clear()
    _FOLDER_PROJECTS.clear()
    _ROOTS.clear()
    _REAL.clear()
    _MARKED.clear()
    _FILE_TEXT.clear()
    _FILE_LOCAL.clear()
    fs.clear()


__all__ = [
    "TextFact",
    "register_text_fact",
    "ClassSym",
    "ExternalSym",
    "FuncSym",
    "ModuleSym",
    "ParamDecl",
    "Project",
    "Route",
    "Symbol",
    "ValueSym",
    "def_key",
    "project_for",
]
