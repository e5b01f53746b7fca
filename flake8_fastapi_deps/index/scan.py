"""The project scan, and the whole-project facts answered in its one pass.

The scan reads every file of the folder around a linted file (the project
root, unless that holds more than :data:`SCAN_BUDGET` files) and learns which
functions are used as dependencies by other files.  Only files whose text
mentions ``Depends``/``Security`` with ``fastapi`` are parsed, and most of
those are settled from their text alone (:mod:`~flake8_fastapi_deps.textscan`).
What the scan learns from a parsed file is kept in the persistent store
(:mod:`.filescan`): a later run parses it again only when it, a file its
resolution read, or the project's file listing changed.  The declarations
naming one function are built when a rule asks for them, from the few files
that declare it.

Whole-project questions of the rules are declared here too, so that no rule
reads the project's files or manages the lifetime of modules:

* text facts (:func:`declare_text_fact`): a value computed from each file's
  bytes, answered from the scan's own read of every file;
* :meth:`Scanner.modules_where`: the models of the files whose bytes pass a test;
* :meth:`Scanner.file_matches`: does one project file's text match a pattern.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Callable, Optional, TypeVar, cast

from ..model import MarkerUse, ModuleInfo, is_generator
from . import filescan, files
from .cache import CACHE
from .filetext import (
    _KIND,
    TEXT_FACTS,
    FactKey,
    TextFact,
    _FileText,
    _file_text,
    declare_text_fact,
    register_text_fact,
)
from .filescan import FileScan
from .files import MISSING, ProjectFiles, real_path, run_stamp
from .importstore import EXEC_KIND, KIND as IMPORTS_KIND, TARGETS_KIND
from .results import KIND as RESULTS_KIND
from .modules import ModuleStore
from .semantics import DefKey, Semantics, websocket_registration
from .store import CONTENT_KIND, Store

T = TypeVar("T")

SCAN_BUDGET = 5_000
_WORD = re.compile(r"\w+")  # a whole word, as the names are
_FEW_NAMES = 32  # up to this many gate names, a substring test per name is cheaper


# --------------------------------------------------------------------------- the scan


@dataclass
class _Scan:
    """What a scan of one folder found (see :meth:`Scanner.scan`)."""

    targets: dict[str, set[DefKey]] = field(default_factory=dict)
    # (path, def key) -> every declaration naming that function, in scan order:
    # (real path of the declaring file, index of the marker in its marker_uses)
    sources: dict[tuple[str, DefKey], list[tuple[str, int]]] = field(default_factory=dict)
    # (path, def key) -> those declarations with their modules, built when first asked
    decls: dict[tuple[str, DefKey], list[tuple[MarkerUse, ModuleInfo]]] = field(
        default_factory=dict
    )
    # real path -> the model whose markers ``sources`` count, when it is not the
    # file on disk (the linted module, given by flake8 with other text)
    live: dict[str, Optional[ModuleInfo]] = field(default_factory=dict)
    yield_names: frozenset[str] = frozenset()
    # names that make a FastAPI-free file worth walking: functions with Depends()
    # defaults (FAD003) and yield dependencies (FAD210)
    gate_names: frozenset[str] = frozenset()
    # path -> def key -> websocket: functions registered as routes by another file
    routes: dict[str, dict[DefKey, bool]] = field(default_factory=dict)


class Scanner:
    """The dependency scan of one project, and its whole-project facts."""

    def __init__(
        self,
        tree: ProjectFiles,
        modules: ModuleStore,
        semantics: Semantics,
        store: Optional[Store] = None,
        import_roots: Callable[[], tuple[str, ...]] = tuple,
    ) -> None:
        self._tree = tree
        self._import_roots = import_roots
        # does the linted module's text equal its file on disk: (module, answer)
        self._on_disk: Optional[tuple[ModuleInfo, bool]] = None
        self._store = store  # the persistent store of per-file summaries, if any
        self._modules = modules
        self._semantics = semantics
        self.root = tree.root
        self._scans: dict[str, _Scan] = {}
        self._subtree_counts: Optional[dict[str, int]] = None
        self._context: Optional[tuple[tuple[str, ...], str]] = None  # (roots, context())
        # declared text facts: name -> {path: value} (non-None values only)
        self._facts: dict[str, dict[str, object]] = {}
        # (name, scan base) -> the same over the files below that base (big projects)
        self._base_facts: dict[tuple[str, str], dict[str, object]] = {}

    def context(self) -> str:
        """The digest of the import roots and the project's listing that answers kept
        from an earlier run rest on (scan contributions, import targets, findings);
        computed once per set of roots (the listing is fixed for a project)."""
        roots = self._import_roots()
        known = self._context
        if known is None or known[0] != roots:
            known = self._context = (roots, filescan.context_digest(roots, self._tree.listed()))
        return known[1]

    def scan_base(self, path: str) -> str:
        """The folder whose files are searched for uses of ``path``'s functions.

        The project root, unless it holds more than :data:`SCAN_BUDGET` files
        (a monorepo, or a root found far above the code, such as a git checkout
        holding Python installations): then the highest folder above ``path``
        that stays within the budget, else ``path``'s own folder (see
        :meth:`base_files`).
        """
        root = self.root
        assert root is not None
        if self._tree.count() <= SCAN_BUDGET:
            return root
        counts = self._counts()
        best = current = os.path.dirname(path)
        while current.startswith(root) and counts.get(current, 0) <= SCAN_BUDGET:
            best = current
            if current == root:
                break
            current = os.path.dirname(current)
        return best

    def base_files(self, base: str) -> Sequence[str]:
        """The files of scan base ``base``: every listed file below it, unless that is
        over the budget (the file's own folder tops a large tree, as a monorepo's
        ``app/__init__.py`` or ``main.py`` does): then the files directly in it."""
        return self._tree.files_below(base) if self._whole(base) else self._tree.files_in(base)

    def in_scan(self, path: str, other: str) -> bool:
        """Is ``other`` among the files the scan around ``path`` reads (see :meth:`base_files`)?"""
        base = self.scan_base(path)
        if not other.startswith(base if base.endswith(os.sep) else base + os.sep):
            return False
        return self._whole(base) or os.path.dirname(other) == base

    def _whole(self, base: str) -> bool:
        """Does scan base ``base`` cover every listed file below it (its tree is within
        the budget), rather than only the files directly in it?"""
        return self._tree.count() <= SCAN_BUDGET or self._counts().get(base, 0) <= SCAN_BUDGET

    def _counts(self) -> dict[str, int]:
        """Listed files below each folder (its subtree), from the per-folder listing."""
        counts = self._subtree_counts
        if counts is None:
            root = self.root
            assert root is not None
            counts = {}
            for directory, count in self._tree.folder_counts().items():
                while True:
                    counts[directory] = counts.get(directory, 0) + count
                    if len(directory) <= len(root):
                        break
                    directory = os.path.dirname(directory)
            self._subtree_counts = counts
        return counts

    def scan(self, path: str) -> _Scan:
        """Uses of dependencies in the files around ``path``; built once per folder.

        Only files whose text mentions ``Depends`` or ``Security`` are parsed,
        and of those only the ones without a valid summary in the store.
        """
        base = self.scan_base(path)
        scan = self._scans.get(base)
        if scan is not None:
            return scan
        scan = self._scans[base] = _Scan()
        yield_names: set[str] = set()
        gate_names: set[str] = set()
        modules = self._modules
        context = ""  # the digest the stored file summaries must match (filescan)
        # the whole project is read here: answer every text fact in the same read
        # (not when the root is a base over the budget: then only its own files are)
        whole = base == self.root and self._whole(base)
        facts = self._missing_facts() if whole else {}
        current = modules.current.path if modules.current is not None else None
        # summaries resting on the linted module's text: stored only if it is the disk's
        pending: list[tuple[str, FileScan]] = []
        modules.begin_scan()
        try:
            for name in self.base_files(base):
                text, data = _file_text(name, facts, store=self._store)
                if name == current and data is not None:
                    self._current_on_disk(data)  # (spares reading it again to compare)
                if text is None:
                    continue
                if facts:
                    self._record_facts(facts, name, text)
                if not (text.declares or text.registers):
                    continue
                local = text.local
                if local is not None:
                    # Every declaration names the file's own code: its lint sees them all.
                    gate_names |= local.gate_names
                    yield_names |= local.yield_names
                    if not text.registers:
                        continue
                if not context:
                    context = self.context()
                real = real_path(name)
                found = self._stored_scan(name, context)
                if found is None:
                    found = self._scan_file(name, real, data, context, scan, pending)
                if local is None:
                    yield_names |= found.yield_names
                    gate_names |= found.gate_names
                for target, line, col, websocket in found.routes:
                    scan.routes.setdefault(target, {})[(line, col)] = bool(websocket)
                for target, line, col, index in found.targets:
                    key = (line, col)
                    scan.targets.setdefault(target, set()).add(key)
                    scan.sources.setdefault((target, key), []).append((real, index))
        finally:
            modules.end_scan()
        if pending and self._current_on_disk():
            for name, found in pending:
                self._put(name, found)
        scan.yield_names = frozenset(yield_names)
        scan.gate_names = frozenset(gate_names) | scan.yield_names
        self._flush(whole=whole)
        return scan

    def _scan_file(
        self,
        name: str,
        real: str,
        data: Optional[bytes],
        context: str,
        scan: _Scan,
        pending: list[tuple[str, FileScan]],
    ) -> FileScan:
        """Parse the project file ``name`` (real path ``real``; ``data``: its bytes
        if just read), resolve its markers and say what it contributes to the
        scan; kept in the store when it rests on files as they are on disk (put
        in ``pending`` when it rests on the linted module's text)."""
        modules = self._modules
        semantics = self._semantics
        modules.consulted()  # (what is asked from here on rests under this file)
        known = modules.has(real)
        mod = modules.module_at(real, data)  # (reads the file if it was not read just now)
        yield_names: set[str] = set()
        gate_names: set[str] = set()
        targets: list[filescan.Target] = []
        routes: list[filescan.RouteTarget] = []
        if mod is not None:
            for index, marker in enumerate(mod.marker_uses):
                for func in semantics.dependency_functions(marker, mod):
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
                    line, col = func.info.key
                    targets.append((func.module.path, line, col, index))
            # a signature kept already may rest on modules not asked for again:
            # compute them anew, so that every module they read is recorded
            signature = (
                semantics.computed_signature if semantics.has_signatures(mod) else semantics.signature
            )
            for info in mod.functions:
                if not info.parents and info.cls is None and any(
                    d.via == "default" for d in signature(mod, info)
                ):
                    gate_names.add(info.name)
            for reg, func in semantics.registered(mod):
                if func.module.path is None or func.module.path == mod.path:
                    continue  # the file's own lint sees this registration
                line, col = func.info.key
                routes.append((func.module.path, line, col, int(websocket_registration(reg))))
        consulted = modules.consulted()
        consulted.add(real)
        current = modules.current
        if mod is not None and mod is current:
            scan.live[real] = mod  # its marker indices count the markers of this text
        elif not known:
            # Parsed for this question alone: not kept for the run (the declarations
            # naming its targets parse it again if a rule asks; a module another
            # file's resolution read stays, as that file's lint reads it too).
            modules.drop(real)
        found = FileScan(
            context,
            frozenset(yield_names),
            frozenset(gate_names),
            tuple(targets),
            tuple((path, *run_stamp(path)) for path in sorted(consulted)),
            tuple(routes),
        )
        if current is not None and current.path in consulted:
            # the linted module's text may not be the file's: decided after the loop
            pending.append((name, found))
        else:
            self._put(name, found)
        return found

    def _put(self, name: str, found: FileScan) -> None:
        store = self._store
        if store is not None:
            # the files consulted, under the stamps their content is known by (see
            # Store.canonical: a new mtime of the same bytes keeps the entry valid)
            consulted = tuple(
                (path, *store.canonical(path, (size, mtime))) for path, size, mtime in found.consulted
            )
            found = found._replace(consulted=consulted)
            store.put(filescan.KIND, name, CACHE.stamps.get(name, MISSING), filescan.encode(found))

    def _stored_scan(self, name: str, context: str) -> Optional[FileScan]:
        """The stored contribution of project file ``name``, when it still holds:
        the file, every file consulted for it and the ``context`` are unchanged."""
        store = self._store
        if store is None:
            return None
        hit, value = store.get(filescan.KIND, name, run_stamp(name))
        if not hit:
            return None
        found = filescan.decode(value)
        if found is None or found.context != context:
            return None
        current = self._modules.current
        for path, size, mtime in found.consulted:
            if store.canonical(path, run_stamp(path)) != (size, mtime):
                return None
            if current is not None and path == current.path and not self._current_on_disk():
                return None
        return found

    def _current_on_disk(self, data: Optional[bytes] = None) -> bool:
        """Is the text of the module being linted the bytes of its file on disk
        (``data``, when the caller has just read them)?"""
        current = self._modules.current
        if current is None or current.path is None:
            return False
        known = self._on_disk
        if known is not None and known[0] is current:
            return known[1]
        text = self._modules.current_text
        if data is None and text:
            data = files.read_source(current.path)
        same = data is not None and text.encode("utf-8") == data
        self._on_disk = (current, same)
        return same

    def _declaring_module(self, scan: _Scan, real: str) -> Optional[ModuleInfo]:
        """The model whose markers the scan counted for the file at ``real``."""
        if real in scan.live:
            return scan.live[real]
        current = self._modules.current
        if current is not None and current.path == real and not self._current_on_disk():
            # the scan counted the markers of the file on disk, not of this text
            mod = scan.live[real] = self._modules.build_apart(real)
            return mod
        return self._modules.module_at(real)

    def _flush(self, whole: bool) -> None:
        """Write the summaries learnt to the persistent store (between analyses);
        after a pass over the ``whole`` project, drop the entries of files gone."""
        store = self._store
        if store is None:
            return
        if whole:
            store.flush(filescan.KIND, self._tree.files(), self.root)
            store.flush(IMPORTS_KIND, self._tree.files(), self.root)
            store.flush(EXEC_KIND, self._tree.files(), self.root)
            store.flush(_KIND, self._tree.files(), self.root)
            store.flush(RESULTS_KIND, self._tree.files(), self.root)
            store.flush(CONTENT_KIND, self._tree.files(), self.root)
            store.flush(TARGETS_KIND, self._tree.files(), self.root)
        else:
            store.flush()

    # ---------------------------------------------------------------- scan answers

    def project_dependency_targets(self, path: str) -> dict[str, set[DefKey]]:
        """For the files around ``path``, the def keys used as dependencies elsewhere."""
        if self.root is None:
            return {}
        return self.scan(path).targets

    def project_route_targets(self, path: str) -> dict[str, dict[DefKey, bool]]:
        """For the files around ``path``, the functions registered as routes by a call
        in another file: path -> def key -> is it a WebSocket route."""
        if self.root is None:
            return {}
        return self.scan(path).routes

    def declarations_elsewhere(self, path: str, key: DefKey) -> list[tuple[MarkerUse, ModuleInfo]]:
        """The declarations in the files around ``path`` naming its function ``key``.

        The declaring files are parsed now (once), and only they: the scan kept
        which marker of which file names the function.
        """
        scan = self.scan(path)
        found = scan.decls.get((path, key))
        if found is not None:
            return found
        sources = scan.sources.get((path, key))
        if not sources:
            return []
        found = scan.decls[(path, key)] = []
        for real, index in sources:
            mod = self._declaring_module(scan, real)
            if mod is not None and index < len(mod.marker_uses):
                found.append((mod.marker_uses[index], mod))
        return found

    def mentions_project_names(self, path: str, text: str) -> bool:
        """Does ``text`` name a function that matters to files without FastAPI code?

        Such a file may call a function with ``Depends()`` defaults (FAD003) or
        drive a yield dependency by hand (``next(get_db())``, FAD210).  A few
        names: a substring test each, a word-boundary search only for those
        present; many: the text's words against the set.  (A regex alternation of
        the names cost more than the rules on a large project.)  A false match
        only costs one walk of the file.
        """
        if self.root is None:
            return False
        names = self.scan(path).gate_names
        if len(names) > _FEW_NAMES:
            return not names.isdisjoint(_WORD.findall(text))
        return any(
            name in text and re.search(r"\b%s\b" % re.escape(name), text) is not None
            for name in names
        )

    def gate_names(self, path: str) -> frozenset[str]:
        """Names of the functions with ``Depends()`` defaults (and of generator
        dependencies) in the files around ``path``: a superset, see ``_Scan``."""
        if self.root is None:
            return frozenset()
        return self.scan(path).gate_names

    def yield_dependency_names(self, path: str) -> frozenset[str]:
        """Names of the generator dependencies in the files around ``path``."""
        return self.scan(path).yield_names if self.root is not None else frozenset()

    # ---------------------------------------------------------------- whole-project facts

    def text_fact(self, name: str, near: Optional[str] = None) -> dict[str, object]:
        """``{path: value}`` of the declared text fact ``name`` over the project's files.

        Each file is read once for all facts (in the dependency scan when it covers
        the whole root, else here); files where the fact is None are left out.
        ``near``: a file the question is about; in a project over the scan budget
        only the files of its scan base are read (as the dependency scan does), so
        the answer costs what the scan costs, not what the whole monorepo does.
        """
        if near is not None and self.root is not None and self._tree.count() > SCAN_BUDGET:
            return self._text_fact_below(name, self.scan_base(near))
        found = self._facts.get(name)
        if found is not None:
            return found
        facts = self._missing_facts()
        if name not in facts:  # not declared
            return {}
        for file in self._tree.files():
            text, _ = _file_text(file, facts, summarise=False, store=self._store)
            if text is not None:
                self._record_facts(facts, file, text)
        self._flush(whole=True)
        return self._facts[name]

    def _text_fact_below(self, name: str, base: str) -> dict[str, object]:
        """:meth:`text_fact` over the files below ``base`` (kept per base)."""
        key = (name, base)
        found = self._base_facts.get(key)
        if found is not None:
            return found
        facts = {n: f for n, f in TEXT_FACTS.items() if n == name}
        if not facts:
            return {}
        found = self._base_facts[key] = {}
        for file in self.base_files(base):
            text, _ = _file_text(file, facts, summarise=False, store=self._store)
            if text is not None:
                value = text.fact(name)
                if value is not None:
                    found[file] = value
        self._flush(whole=False)
        return found

    def facts(self, key: FactKey[T], near: Optional[str] = None) -> dict[str, T]:
        """``{path: value}`` of a fact declared with :func:`declare_text_fact` (see
        :meth:`text_fact` for ``near``)."""
        return cast("dict[str, T]", self.text_fact(key.name, near))

    def _missing_facts(self) -> dict[str, TextFact]:
        """The declared facts not computed yet; their tables are created empty now."""
        missing = {n: f for n, f in TEXT_FACTS.items() if n not in self._facts}
        for fact_name in missing:
            self._facts[fact_name] = {}
        return missing

    def _record_facts(self, facts: dict[str, TextFact], path: str, text: _FileText) -> None:
        for fact_name in facts:
            value = text.fact(fact_name)
            if value is not None:
                self._facts[fact_name][path] = value

    def modules_where(self, select: Callable[[bytes], bool]) -> Iterator[ModuleInfo]:
        """The models of the project's files whose bytes pass ``select``, in file order.

        Each file is read here (once per call); the models are the index's own
        (parsed once, kept).  Empty without a project root.
        """
        if self.root is None:
            return
        for file in self._tree.files():
            data = files.read_source(file)
            if data is None or not select(data):
                continue
            mod = self._modules.module_at(file, data)
            if mod is not None:
                yield mod

    def file_matches(self, path: str, pattern: re.Pattern[str]) -> bool:
        """Does the text of project file ``path`` (UTF-8, undecodable bytes replaced)
        match ``pattern``?  False when it cannot be read."""
        data = files.read_source(path)
        return data is not None and pattern.search(data.decode("utf-8", "replace")) is not None


__all__ = [
    "SCAN_BUDGET",
    "FactKey",
    "Scanner",
    "TEXT_FACTS",
    "TextFact",
    "declare_text_fact",
    "register_text_fact",
]
