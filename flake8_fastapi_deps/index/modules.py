"""The parsed modules of one project: each file parsed at most once (the manager).

A module is built from a file on first use and kept for the process, except
the module being linted, which comes from flake8's own tree and is never kept
(see :meth:`ModuleStore.adopt`): holding linted trees for the whole run would
grow memory with the project and slow every garbage collection.
"""

from __future__ import annotations

import ast
from typing import Callable, Optional, TypeVar

from ..model import ModuleInfo, build_module
from . import files
from .files import ProjectFiles, real_path

T = TypeVar("T")

# Source bytes of the large modules (LARGE_MODULE bytes and more) kept between
# two linted files, least recently used going first.  A tree costs ~30 times its
# source: sglang's large modules (92 kept, 3.6 MB) held ~100 MiB in each -j worker,
# and were seldom asked for again.  Small modules are kept: a generated project's
# core modules are asked for by every file, and dropping them costs parses and
# fragments memory for little.
MAX_KEPT_BYTES = 1_000_000
LARGE_MODULE = 16_000


class ModuleStore:
    """Real path -> parsed module (None when unusable) for one project."""

    def __init__(self, tree: ProjectFiles) -> None:
        self._tree = tree
        self._modules: dict[str, Optional[ModuleInfo]] = {}
        # real path -> source bytes of a large kept module, in order of last use
        self._sizes: dict[str, int] = {}
        self._kept_bytes = 0
        self.current: Optional[ModuleInfo] = None  # the module being linted (see adopt)
        self.current_text = ""  # its source text, as flake8 gave it ("" if not given)
        self._parse_count = 0
        # While the project scan runs (see begin_scan): the real paths asked for
        # since the last ``consulted()``
        self._asked: Optional[set[str]] = None

    # ---------------------------------------------------------------- counting

    @property
    def parse_count(self) -> int:
        """Files parsed for this project, by the store and the import graph (benchmarks)."""
        return self._parse_count

    def count_parse(self) -> None:
        """Count one file parsed for this project outside the store (the import graph)."""
        self._parse_count += 1

    # ---------------------------------------------------------------- modules

    def module_at(
        self, path: str, data: Optional[bytes] = None, tree: Optional[ast.Module] = None
    ) -> Optional[ModuleInfo]:
        """The parsed module at ``path``; None when it is unusable or outside the root.

        ``data``: the file's bytes when the caller has just read them; ``tree``:
        their syntax tree when the caller has just parsed them (with ``data``).
        """
        real = real_path(path)
        asked = self._asked
        if asked is not None:
            asked.add(real)
        modules = self._modules
        if real in modules:
            sizes = self._sizes
            if real in sizes:
                sizes[real] = sizes.pop(real)  # the most recently used large module now
            return modules[real]
        current = self.current
        if current is not None and current.path == real:
            # not stored: a linted module is never kept (see adopt); once it is
            # done, the file is parsed again if another one needs it
            return current
        mod: Optional[ModuleInfo] = None
        if self._tree.inside(real) and real.endswith(".py"):
            if data is None:
                data = files.read_source(real)
            if tree is None:
                tree = files.parse_source(data, real) if data is not None else None
                if tree is not None:
                    self._parse_count += 1
            if tree is not None and data is not None:
                try:
                    mod = build_module(tree, real, data)
                    mod.source_hash = hash(data)
                except RecursionError:
                    mod = None
            if mod is not None and data is not None and len(data) >= LARGE_MODULE:
                self._sizes[real] = len(data)
                self._kept_bytes += len(data)
        self._modules[real] = mod
        return mod

    def build_apart(self, real: str) -> Optional[ModuleInfo]:
        """A model of the file at the real path ``real`` as it is on disk, neither
        kept nor taken from the store (nor the linted module's text)."""
        data = files.read_source(real)
        tree = files.parse_source(data, real) if data is not None else None
        if tree is None or data is None:
            return None
        self._parse_count += 1
        try:
            mod = build_module(tree, real, data)
        except RecursionError:
            return None
        mod.source_hash = hash(data)
        return mod

    # ---------------------------------------------------------------- the project scan

    def begin_scan(self) -> None:
        """The project scan starts: record the paths asked for (see :meth:`consulted`)."""
        self._asked = set()

    def consulted(self) -> set[str]:
        """The real paths asked for (:meth:`module_at`) since the last call."""
        asked = self._asked
        self._asked = set() if asked is not None else None
        return asked if asked is not None else set()

    def end_scan(self) -> None:
        """The scan is over: stop recording."""
        self._asked = None

    def has(self, real: str) -> bool:
        """Is there an answer (a module or None) for the real path ``real``?"""
        return real in self._modules

    def cached_module(self, path: str) -> Optional[ModuleInfo]:
        """The module at ``path`` if the store has already built it, or the linted
        module when that is the one asked for (never parses)."""
        real = real_path(path)
        found = self._modules.get(real)
        current = self.current
        if found is None and current is not None and current.path == real:
            return current
        return found

    def adopt(self, tree: ast.Module, path: Optional[str], text: str = "") -> ModuleInfo:
        """The module flake8 is linting, built from flake8's own tree.

        Never kept.  The dependency scan parses the few files it must (see
        ``textscan``), and any other module is parsed by the store if and when
        another file needs it (once).  When the store has already modelled this
        very text, that model (and what has been learnt about it) is reused.
        """
        real = real_path(path) if path else None
        known = self._modules.get(real) if real is not None else None
        if known is not None and text and known.source_hash == hash(text.encode("utf-8")):
            return known
        mod = build_module(tree, real, text or None)
        self.current_text = text
        self.current = mod  # while it is linted, the store gives it instead of parsing the file
        return mod

    def drop(self, real: str) -> None:
        """Drop the module kept for the real path ``real`` (not the linted one), and
        break the cycles its caches make so that it dies at once."""
        mod = self._modules.pop(real)
        self._kept_bytes -= self._sizes.pop(real, 0)
        if mod is not None:
            mod.cache.clear()

    def forget(self, path: str, mod: Optional[ModuleInfo]) -> None:
        """Drop ``mod`` (just read from ``path`` for a one-off question) from the store,
        unless it is the module being linted; it is parsed again if needed."""
        if mod is None or mod is self.current:
            return
        real = real_path(path)
        if self._modules.get(real) is mod:
            self.drop(real)

    def ask(
        self,
        path: str,
        question: Callable[[ModuleInfo], T],
        parsed: Optional[Callable[[str], Optional[tuple[bytes, ast.Module]]]] = None,
    ) -> Optional[T]:
        """``question(module)`` for the module at ``path``, None when it is unusable.

        A module built for the question alone is not kept afterwards (the
        caller keeps the answer).  ``parsed``: where to take the bytes and tree
        of a file someone has just parsed, to spare parsing it again.
        """
        known = self.cached_module(path) is not None
        handed = None if known or parsed is None else parsed(path)
        mod = self.module_at(path, *handed) if handed else self.module_at(path)
        answer = question(mod) if mod is not None else None
        if not known:
            self.forget(path, mod)
        return answer

    def release(self, mod: ModuleInfo) -> None:
        """The linted module ``mod`` is done with: unless the store keeps it, drop
        what was cached on it.  Those caches hold symbols that point back at the
        module, a reference cycle that would keep flake8's tree alive until a
        garbage collection finds it (and make collections more frequent)."""
        if self.current is mod:
            self.current = None
            self.current_text = ""
        if mod.path is None or self._modules.get(mod.path) is not mod:
            mod.cache.clear()
        # between two files: the least recently used modules beyond the bound go
        # (parsed again if a later file needs them)
        while self._kept_bytes > MAX_KEPT_BYTES and len(self._sizes) > 1:
            self.drop(next(iter(self._sizes)))


__all__ = ["ModuleStore"]
