"""The project index: other modules of the project, read lazily and cached.

A dependency is usually defined in one module and declared in another.  The
index finds the project root of a linted file, resolves project imports
(absolute and relative) to files below that root, parses them on first use and
keeps the result for the life of the process (each file is parsed at most once
per process, also in every ``flake8 -j`` worker).  It never imports or executes
the code it reads, reads nothing outside the root, and skips quietly whatever it
cannot use: unreadable, binary, undecodable, oversized or unparsable files and
symlink loops.

On top of the files it answers the semantic questions the rules ask: what a
name refers to (:meth:`Project.resolve`), which functions are routes, which are
used as dependencies anywhere in the project, and so which are *request code*.

:class:`Project` is a façade over the parts in :mod:`flake8_fastapi_deps.index`
(files, modules, resolver, semantics, scan; the process tables in its cache).
Every name other modules import from here stays importable from here.
"""

from __future__ import annotations

import ast
import os
from typing import Callable, Optional, TypeVar, cast

from .import_graph import ImportGraph
from .index import files
from .index.cache import CACHE
from .index.files import (
    MAX_FILE_BYTES,
    MAX_PROJECT_FILES,
    ROOT_MARKERS,
    FolderTable,
    ProjectFiles,
    changed_files,
    find_root,
    is_test_path,
    parse_source,
    project_root,
    read_source,
    real_path,
)
from .index.modules import ModuleStore
from .index.resolver import (
    KNOWN_ROUTER_CLASSES,
    ClassSym,
    ExternalSym,
    FuncSym,
    ModuleSym,
    Resolver,
    Symbol,
    ValueSym,
)
from .index.scan import (
    SCAN_BUDGET,
    FactKey,
    Scanner,
    TextFact,
    declare_text_fact,
    register_text_fact,
)
from .index.semantics import DefKey, ParamDecl, Route, Semantics
from .index.importstore import StoredExecutions, StoredImports
from .index.results import ResultStore
from .index.store import Store, partition, store_folder
from .memo import Slot
from .model import MarkerUse, ModuleInfo, def_key
from .options import Options

T = TypeVar("T")


class Project:
    """One project root (or a lone file when ``root`` is None): a façade over its parts.

    The parts' answers are bound as attributes once, so that a rule asking
    ``project.resolve(...)`` calls the resolver directly.
    """

    def __init__(self, root: Optional[str], options: Options) -> None:
        real = real_path(root) if root else None
        self.store = _store_for(real, options)
        tree = ProjectFiles(real, options.exclude, _folder_table(self.store, real, options.exclude))
        self.root = tree.root
        self.options = options
        self.checked = CACHE.generation  # the run in which its tables were last found fresh
        # project-wide facts built lazily by rule families, under typed memo slots
        self.cache: dict[object, object] = {}
        self._router_classes = KNOWN_ROUTER_CLASSES | frozenset(options.router_classes)
        self._import_graph: Optional[ImportGraph] = None
        modules = self._modules = ModuleStore(tree)
        resolver = Resolver(tree, modules, self._router_classes)
        semantics = Semantics(resolver, self)
        scanner = self._scanner = Scanner(
            tree, modules, semantics, self.store, import_roots=resolver.import_roots
        )
        # a file's findings kept from an earlier run, valid while all they rest on holds
        self.results = (
            ResultStore(
                self.store, self.root, scanner.base_files, tree.files_in, scanner.scan_base,
                scanner.context,
            )
            if self.store is not None and self.root is not None
            else None
        )
        # files and modules
        self.inside = tree.inside
        self.files = tree.files
        self.same_listing = tree.same_listing
        self.cached_module = modules.cached_module
        self.forget = modules.forget
        self.release = modules.release
        self.count_parse = modules.count_parse
        # resolution and the class hierarchy
        self.add_import_root_for = resolver.add_import_root_for
        self.listing_context = scanner.context
        self.module_file = resolver.module_file
        self.is_external_module = resolver.is_external_module
        self.import_file = resolver.import_file
        self.resolve = resolver.resolve
        self.lookup = resolver.lookup
        self.resolve_qualified = resolver.resolve_qualified
        self.canonical = resolver.canonical
        self.class_bases = resolver.class_bases
        self.class_method = resolver.class_method
        self.class_has_unknown_base = resolver.class_has_unknown_base
        self.is_router_class = resolver.is_router_class
        # routes and dependency semantics
        self.is_router_value = semantics.is_router_value
        self.is_router_expr = semantics.is_router_expr
        self.routes = semantics.routes
        self.is_route = semantics.is_route
        self.dependency_functions = semantics.dependency_functions
        self.dependency_keys = semantics.dependency_keys
        self.is_dependency = semantics.is_dependency
        self.declarations_of = semantics.declarations_of
        self.request_functions = semantics.request_functions
        self.signature = semantics.signature
        # the scan and the whole-project facts
        self.scan_base = scanner.scan_base
        self.in_scan = scanner.in_scan
        self.mentions_project_names = scanner.mentions_project_names
        self.gate_names = scanner.gate_names
        self.yield_dependency_names = scanner.yield_dependency_names
        self.declarations_elsewhere = scanner.declarations_elsewhere
        self.text_fact = scanner.text_fact
        self.modules_where = scanner.modules_where
        self.file_matches = scanner.file_matches

    # Methods rather than bound attributes: benchmarks wrap these on the class.

    def module_at(
        self, path: str, data: Optional[bytes] = None, tree: Optional[ast.Module] = None
    ) -> Optional[ModuleInfo]:
        """The parsed module at ``path``; None when it is unusable or outside the root.

        ``data``: the file's bytes when the caller has just read them; ``tree``:
        their syntax tree when the caller has just parsed them (with ``data``).
        """
        return self._modules.module_at(path, data, tree)

    def adopt(self, tree: ast.Module, path: Optional[str], text: str = "") -> ModuleInfo:
        """The module flake8 is linting, built from flake8's own tree (never kept)."""
        return self._modules.adopt(tree, path, text)

    def project_dependency_targets(self, path: str) -> dict[str, set[DefKey]]:
        """For the files around ``path``, the def keys used as dependencies elsewhere."""
        return self._scanner.project_dependency_targets(path)

    def project_route_targets(self, path: str) -> dict[str, dict[DefKey, bool]]:
        """For the files around ``path``, the functions registered as routes by a call
        in another file (def key -> is it a WebSocket route)."""
        return self._scanner.project_route_targets(path)

    # ---------------------------------------------------------------- for rules

    def module(self, path: str, data: Optional[bytes] = None) -> Optional[ModuleInfo]:
        """The index's model of project file ``path`` (parsed once, kept), or None.

        ``data``: the file's bytes when a fact of the index has handed them over
        (see :meth:`facts`), to spare reading the file again.
        """
        return self._modules.module_at(path, data)

    def ask_module(self, path: str, question: Callable[[ModuleInfo], T]) -> Optional[T]:
        """``question(module)`` for project file ``path``; None when it is unusable.

        For a one-off question: a module built for it alone is not kept (keep
        the answer instead).  A tree the import graph has just parsed is used.
        """
        graph = self._import_graph
        return self._modules.ask(path, question, graph.take_parsed if graph is not None else None)

    def component(
        self, path: str, module: Optional[ModuleInfo], question: Callable[[tuple[str, ...]], T]
    ) -> tuple[tuple[str, ...], T]:
        """The import cycle (strongly connected component) holding ``path``, and
        ``question(members)``, which may ask :meth:`ask_module` about its modules.

        Finding the component parses the router-hint files among its members for
        their exact edges; :meth:`ask_module` reuses those trees while
        ``question`` runs, and they are dropped afterwards (never kept for the run).
        """
        graph = self.import_graph()
        try:
            members = graph.component(path, module)
            return members, question(members)
        finally:
            graph.drop_parsed()

    def facts(self, key: FactKey[T], near: Optional[str] = None) -> dict[str, T]:
        """``{path: value}`` of a fact declared with :func:`declare_text_fact`, over
        the project's files (read once, in the scan's pass when it covers the root).
        ``near``: the file asking; a project over the scan budget then answers from
        the files of its scan base only."""
        return self._scanner.facts(key, near)

    def save(self) -> None:
        """Write what the persistent store was given since the last write (nothing
        without a store or when nothing is new); never raises."""
        if self.store is not None:
            self.store.flush()

    def import_graph(self) -> ImportGraph:
        """The project's module-level import graph, built lazily and kept for the process."""
        if self._import_graph is None:
            self._import_graph = ImportGraph(
                self,
                files.read_source,
                files.parse_source,
                self._router_classes,
                StoredImports(self.store) if self.store is not None else None,
                StoredExecutions(self.store) if self.store is not None else None,
            )
        return self._import_graph

    # ---------------------------------------------------------------- counting

    @property
    def parse_count(self) -> int:
        """Files parsed for this project, by the index and the import graph (benchmarks).

        Read-only for other modules: the import graph counts a parse with
        :meth:`count_parse`.
        """
        return self._modules.parse_count


# --------------------------------------------------------------------------- registry
# (real root, options) -> its project
_PROJECTS_BY_ROOT: Slot[dict[tuple[str, Options], Project]] = Slot("projects by root")
# (folder as written, cwd for a relative one, options) -> that folder's project
_PROJECTS_BY_FOLDER: Slot[dict[tuple[str, str, Options], Project]] = Slot("projects by folder")


def project_for(path: Optional[str], options: Options) -> Project:
    """The per-process :class:`Project` for a linted file (a lone one if no root).

    The answer depends only on the file's folder, so it is kept per folder as
    written (and working directory, for a relative one): the next file of a
    folder costs one dictionary lookup, not a path normalisation.
    """
    if CACHE.checked != CACHE.generation:
        _refresh()
    if not path or path in ("stdin", "-"):
        return Project(None, options)
    folder_key = (os.path.dirname(path), "" if os.path.isabs(path) else os.getcwd(), options)
    by_folder = _PROJECTS_BY_FOLDER.of(CACHE, dict)
    known = by_folder.get(folder_key)
    if known is not None:
        return known
    project = _project_for(path, options)
    if project.root is not None:
        by_folder[folder_key] = project
    return project


def _project_for(path: str, options: Options) -> Project:
    absolute = os.path.abspath(path)
    root = project_root(os.path.dirname(absolute), absolute)
    if root is None:
        return Project(None, options)
    key = (real_path(root), options)
    by_root = _PROJECTS_BY_ROOT.of(CACHE, dict)
    project = by_root.get(key)
    if project is not None and project.checked != CACHE.generation:
        # first use in this run: a file added, renamed or deleted changes the listing
        project.checked = CACHE.generation
        if not project.same_listing():
            project = None
    if project is None:
        project = by_root[key] = Project(root, options)
    project.add_import_root_for(absolute)
    return project


# (folder, partition) -> the process's handle on that persistent store
_STORES: Slot[dict[tuple[str, str], Store]] = Slot("persistent stores")


def _store_for(root: Optional[str], options: Options) -> Optional[Store]:
    """The persistent store of the project at ``root`` (None: a lone file, or ``--fad-no-cache``).

    One handle per folder and partition for the process (opened on first use),
    shared by the projects of that root made in later runs.
    """
    if root is None or options.no_cache:
        return None
    folder = store_folder(root, options.cache_dir)
    # the options that change what is stored (the router classes: router hints)
    part = partition(sorted(options.router_classes))
    stores = _STORES.of(CACHE, dict)
    store = stores.get((folder, part))
    if store is None:
        store = stores[(folder, part)] = Store(folder, part, inside=root)
    return store


_LISTING_KIND = "listing"  # the store's kind for the project's folders as listed


def _folder_table(
    store: Optional[Store], root: Optional[str], exclude: tuple[str, ...]
) -> Optional[tuple[Callable[[], FolderTable], Callable[[FolderTable], None]]]:
    """Where the project's listing is kept across runs (see ProjectFiles), if anywhere."""
    if store is None or root is None:
        return None
    # one entry: the root's folders as listed with these exclude patterns
    key = "\0".join((root, *exclude))

    def get() -> FolderTable:
        hit, value = store.get(_LISTING_KIND, key, (0, 0))
        if not (hit and isinstance(value, dict)):
            return {}
        for folder, row in value.items():
            if not (
                isinstance(folder, str)
                and isinstance(row, tuple)
                and len(row) == 4
                and isinstance(row[0], int)
                and isinstance(row[1], tuple)
                and isinstance(row[2], tuple)
                and isinstance(row[3], bool)
            ):
                return {}  # another layout: list everything again
        return cast(FolderTable, value)

    def put(table: FolderTable) -> None:
        store.put(_LISTING_KIND, key, (0, 0), table)

    return get, put


def _refresh() -> None:
    """The first question of a new run (see :meth:`~.index.cache.ProcessCache.new_run`).

    Files read in earlier runs whose stamp changed lose their per-file answers,
    and every project holding one of them is dropped whole: its modules, scan,
    import graph and facts may rest on the old bytes, and are rebuilt lazily
    (from the per-file answers of the files that did not change).  Answers
    about paths and roots are redone.  A project untouched so far is checked
    for added, renamed or deleted files when it is first used (``_project_for``).
    """
    CACHE.checked = CACHE.generation
    changed = changed_files()
    CACHE.forget_paths()
    by_folder = _PROJECTS_BY_FOLDER.get(CACHE)
    if by_folder is not None:
        by_folder.clear()
    by_root = _PROJECTS_BY_ROOT.get(CACHE)
    if not changed or not by_root:
        return
    for key, project in list(by_root.items()):
        prefix = (project.root or "") + os.sep
        if any(path.startswith(prefix) for path in changed):
            del by_root[key]


def new_run() -> None:
    """Start a new run: before any answer kept by this process is trusted again,
    the files it rests on are compared with the disk (size and mtime_ns).

    The plugin calls this from flake8's ``parse_options`` (once per flake8 run,
    in each ``-j`` worker too); a program calling :func:`~.checker.check`
    repeatedly in one process calls it whenever files may have changed.
    Within one run, files are taken as constant, as flake8 does.
    """
    CACHE.new_run()


def known_projects() -> list[Project]:
    """Every project with a root made in this process since the last :func:`clear_cache`."""
    found = _PROJECTS_BY_ROOT.get(CACHE)
    return list(found.values()) if found is not None else []


def clear_cache() -> None:
    """Forget every project and every process-wide answer of the index (tests use
    this between fixture projects); the stores' connections are closed first."""
    for store in (_STORES.get(CACHE) or {}).values():
        store.close()
    CACHE.clear()


__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PROJECT_FILES",
    "ROOT_MARKERS",
    "SCAN_BUDGET",
    "KNOWN_ROUTER_CLASSES",
    "TextFact",
    "FactKey",
    "declare_text_fact",
    "register_text_fact",
    "ClassSym",
    "ExternalSym",
    "FuncSym",
    "MarkerUse",
    "ModuleSym",
    "ParamDecl",
    "Project",
    "Route",
    "Symbol",
    "ValueSym",
    "clear_cache",
    "def_key",
    "find_root",
    "is_test_path",
    "known_projects",
    "new_run",
    "parse_source",
    "project_for",
    "read_source",
    "real_path",
]
