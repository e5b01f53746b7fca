"""What a name refers to: symbols, module files, resolution, the class hierarchy.

Resolution follows imports and re-exports through the project's files (parsed
on demand by the :class:`~.modules.ModuleStore`); anything outside the project
is an :class:`ExternalSym` by canonical dotted name.  Nothing is imported or
executed.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional, Union

from ..model import FunctionInfo, FunctionNode, ModuleInfo, Scope, bound_in_scope
from ..names import APIROUTER, FASTAPI, FRAMEWORK_PACKAGES, canonicalize, name_chain
from .files import ProjectFiles, is_file, real_path
from .modules import ModuleStore

_MAX_RESOLVE_DEPTH = 12

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

# Bases whose methods are known not to matter (no __call__/__init__ of interest).
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


# --------------------------------------------------------------------------- resolver


class Resolver:
    """Module files and name resolution for one project."""

    def __init__(
        self, tree: ProjectFiles, modules: ModuleStore, router_classes: frozenset[str]
    ) -> None:
        self._tree = tree
        self._modules = modules
        self.root = tree.root
        self.router_classes = router_classes
        self._resolving: set[tuple[int, str]] = set()
        self._import_roots: list[str] = []
        self._own_roots: dict[str, Optional[str]] = {}  # folder -> own_root of its files
        self._module_files: dict[tuple[Optional[str], str], Optional[str]] = {}
        self._root_listings: dict[str, frozenset[str]] = {}  # import root -> names in it
        # first part of an absolute name -> the import roots holding it, in order
        self._roots_by_head: dict[str, list[str]] = {}
        if self.root:
            self._import_roots.append(self.root)
            src = os.path.join(self.root, "src")
            if os.path.isdir(src):
                self._import_roots.append(src)

    # ---------------------------------------------------------------- module files

    def import_roots(self) -> tuple[str, ...]:
        """The folders every absolute import is searched in, in order: the root (and
        its ``src/``).  An importing file's own package chain comes first (see
        :meth:`own_root`); nothing here depends on which files were linted before."""
        return tuple(self._import_roots)

    def add_import_root_for(self, path: str) -> None:
        """Kept for callers: a file's own package chain is found from the file itself
        when it imports (:meth:`own_root`), so linting order changes nothing."""

    def own_root(self, importer: Optional[str]) -> Optional[str]:
        """The folder ``importer``'s package chain is importable from (its top's
        parent; the file's own folder outside any package), when that is not one of
        :meth:`import_roots`: where ``python importer.py`` or its package's entry
        point would find absolute imports first."""
        if importer is None or self.root is None:
            return None
        folder = os.path.dirname(importer)
        if folder in self._own_roots:
            return self._own_roots[folder]
        directory = os.path.dirname(real_path(importer))
        inside = self._tree.inside
        top = None
        current = directory
        while is_file(os.path.join(current, "__init__.py")) and inside(current):
            top = current
            current = os.path.dirname(current)
        base = os.path.dirname(top) if top else directory
        found = base if inside(base) and base not in self._import_roots else None
        self._own_roots[folder] = found
        return found

    def module_file(self, importer: Optional[str], dotted_name: str) -> Optional[str]:
        """The file of module ``dotted_name`` (``.x`` relative to ``importer``).

        Answers are cached (each costs several stat calls): relative names per
        importing directory, absolute ones per importing package chain (its own
        root is searched first, then :meth:`import_roots`).
        """
        relative = dotted_name.startswith(".")
        if relative:
            key = (os.path.dirname(importer) if importer else None, dotted_name)
        else:
            key = (self.own_root(importer), dotted_name)
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
            # only the roots holding the first part (a folder, or a module of that
            # name): one listing per root instead of a stat per root and lookup
            head = parts[0]
            holding = self._roots_by_head.get(head)
            if holding is None:
                holding = self._roots_by_head[head] = [
                    root for root in self._import_roots
                    if not self._root_names(root).isdisjoint((head, head + ".py"))
                ]
            own = self.own_root(importer)
            if own is not None and not self._root_names(own).isdisjoint((head, head + ".py")):
                bases = [own, *holding]
            else:
                bases = holding
        for base in bases:
            candidate = os.path.join(base, *parts)
            for path in (candidate + ".py", os.path.join(candidate, "__init__.py")):
                if is_file(path) and self._tree.inside(path):
                    return real_path(path)
        return None

    def _root_names(self, root: str) -> frozenset[str]:
        """The names in import root ``root``'s folder (listed once per project)."""
        names = self._root_listings.get(root)
        if names is None:
            try:
                with os.scandir(root) as listing:
                    names = frozenset(entry.name for entry in listing)
            except OSError:
                names = frozenset()
            self._root_listings[root] = names
        return names

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
            sym = self.member(sym, attr, 0)
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
                submod = self._modules.module_at(sub)
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
                target = self._modules.module_at(path)
                if target is None:
                    return None
                sym: Optional[Symbol] = ModuleSym(target)
                for attr in parts[cut:]:
                    sym = self.member(sym, attr, depth + 1)
                return sym
        if dots:
            return None
        return ExternalSym(canonicalize(qualified))

    def member(self, base: Optional[Symbol], attr: str, depth: int) -> Optional[Symbol]:
        """Attribute ``attr`` of ``base``: a module's name, a class's method, an external name."""
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
                found = self.member(sym, name, 0)
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
            return sym.name in self.router_classes
        if isinstance(sym, ClassSym):
            return any(
                isinstance(b, ExternalSym) and b.name in self.router_classes
                for b in self.class_bases(sym)
            )
        return False


__all__ = [
    "KNOWN_ROUTER_CLASSES",
    "ClassSym",
    "ExternalSym",
    "FuncSym",
    "ModuleSym",
    "Resolver",
    "Symbol",
    "ValueSym",
]
