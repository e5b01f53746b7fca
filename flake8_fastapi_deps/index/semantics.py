"""Dependency semantics: routes, dependency functions, signatures, request code.

What FastAPI would do with the code: which functions are routes, which
functions a ``Depends``/``Security`` declaration makes FastAPI call, how each
parameter is injected, and so which functions run per request.  Uses by other
files come from the project scan, through the :class:`ProjectUses` protocol
(the scan itself builds on this module).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional, Protocol

from ..facts.bindings import marker_name
from ..memo import Slot
from ..model import (
    ROUTE_DECORATORS,
    FunctionInfo,
    FunctionNode,
    MarkerUse,
    ModuleInfo,
    Scope,
    annotated_parts,
    iter_params,
    marker_target,
    own_nodes,
)
from ..names import Imports
from .resolver import ClassSym, ExternalSym, FuncSym, Resolver, ValueSym

DefKey = tuple[int, int]


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


class ProjectUses(Protocol):
    """The uses of a project's functions by other files (answered by the scan)."""

    def project_dependency_targets(self, path: str) -> dict[str, set[DefKey]]: ...

    def declarations_elsewhere(
        self, path: str, key: DefKey
    ) -> list[tuple[MarkerUse, ModuleInfo]]: ...


# Facts kept on each module (mod.cache)
_ROUTES: Slot[dict[int, Route]] = Slot("routes")
_DEP_KEYS: Slot[set[DefKey]] = Slot("dep_keys")
_REQUEST: Slot[list[FunctionInfo]] = Slot("request")
_SIGNATURES: Slot[dict[int, list[ParamDecl]]] = Slot("signatures")
# (name, id of the innermost scope or 0, strict) -> is that name a router/app
_ROUTER_NAMES: Slot[dict[tuple[str, int, bool], bool]] = Slot("router_names")


class Semantics:
    """Routes and dependency semantics of one project."""

    def __init__(self, resolver: Resolver, uses: ProjectUses) -> None:
        self._resolver = resolver
        self._uses = uses
        self.root = resolver.root

    # ---------------------------------------------------------------- routes

    def is_router_value(self, mod: ModuleInfo, value: ast.expr, scope: Scope) -> bool:
        """Is ``value`` (an assigned expression or annotation) a FastAPI app/router?"""
        resolver = self._resolver
        if isinstance(value, ast.Call):
            return resolver.is_router_class(resolver.resolve(mod, value.func, scope))
        return resolver.is_router_class(resolver.resolve(mod, value, scope))

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
        memo = _ROUTER_NAMES.of(mod, dict)
        key = (expr.id, id(scope[-1]) if scope else 0, strict)
        known = memo.get(key)
        if known is None:
            known = memo[key] = self._is_router_name(mod, expr.id, scope, strict)
        return known

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
            sym = self._resolver.lookup(mod, name, 0)
            if isinstance(sym, ValueSym):
                return self.is_router_value(sym.module, sym.value, ())
            if sym is not None and not isinstance(sym, ExternalSym):
                return False
        # imported from outside the project, or never bound: trust the verb
        return not strict and mod.imports.imports_fastapi()

    def routes(self, mod: ModuleInfo) -> dict[int, Route]:
        """Route functions of ``mod`` by ``id`` of their def node."""
        cached = _ROUTES.get(mod)
        if cached is not None:
            return cached
        found = _ROUTES.put(mod, {})  # guards against re-entry while resolving
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
            sym = self._resolver.resolve(mod, reg.endpoint, reg.scope)
            if isinstance(sym, FuncSym) and sym.module is mod:
                ws = isinstance(reg.call.func, ast.Attribute) and "websocket" in reg.call.func.attr
                found.setdefault(id(sym.node), Route(sym.node, reg.call, ws))
        return found

    def is_route(self, mod: ModuleInfo, node: FunctionNode) -> bool:
        return id(node) in self.routes(mod)

    # ---------------------------------------------------------------- dependencies

    def dependency_functions(self, marker: MarkerUse, mod: ModuleInfo) -> list[FuncSym]:
        """The functions FastAPI calls per request for one declaration."""
        target = marker.target
        if target is None:
            return []
        resolver = self._resolver
        if isinstance(target, ast.Call):
            made = resolver.resolve(mod, target.func, marker.scope)
            if isinstance(made, ClassSym):  # Depends(Checker(...)): the instance's __call__
                call = resolver.class_method(made, "__call__")
                return [call] if call is not None else []
            if isinstance(made, FuncSym):  # Depends(factory(...)): the returned closures
                return list(_returned_closures(made))
            return []
        sym = resolver.resolve(mod, target, marker.scope)
        if isinstance(sym, FuncSym):
            return [sym]
        if isinstance(sym, ClassSym):  # Depends(Cls): the constructor
            init = resolver.class_method(sym, "__init__")
            return [init] if init is not None else []
        return []

    def dependency_keys(self, mod: ModuleInfo) -> set[DefKey]:
        """Def keys of the functions of ``mod`` used as dependencies anywhere."""
        cached = _DEP_KEYS.get(mod)
        if cached is not None:
            return cached
        keys = _DEP_KEYS.put(mod, set())
        for marker in mod.marker_uses:
            for func in self.dependency_functions(marker, mod):
                if func.module is mod or func.module.path == mod.path:
                    keys.add(func.info.key)
        if mod.path is not None and self.root is not None:
            keys |= self._uses.project_dependency_targets(mod.path).get(mod.path, set())
        return keys

    def is_dependency(self, mod: ModuleInfo, info: FunctionInfo) -> bool:
        return info.key in self.dependency_keys(mod)

    def declarations_of(
        self, mod: ModuleInfo, info: FunctionInfo
    ) -> list[tuple[MarkerUse, ModuleInfo]]:
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
            for marker, other in self._uses.declarations_elsewhere(mod.path, info.key):
                if other.path != mod.path:
                    found.append((marker, other))
        return found

    def request_functions(self, mod: ModuleInfo) -> list[FunctionInfo]:
        """Routes and dependencies defined in ``mod``: the code FastAPI runs per request."""

        def compute() -> list[FunctionInfo]:
            routes = self.routes(mod)
            keys = self.dependency_keys(mod)
            return [f for f in mod.functions if id(f.node) in routes or f.key in keys]

        return _REQUEST.of(mod, compute)

    def signature(self, mod: ModuleInfo, info: FunctionInfo) -> list[ParamDecl]:
        """Every parameter of ``info`` with the dependency marker FastAPI would use."""
        cache = _SIGNATURES.of(mod, dict)
        found = cache.get(id(info.node))
        if found is not None:
            return found
        decls = cache[id(info.node)] = self.computed_signature(mod, info)
        return decls

    def has_signatures(self, mod: ModuleInfo) -> bool:
        """Has a signature of ``mod`` been computed and kept already?"""
        return bool(_SIGNATURES.get(mod))

    def computed_signature(self, mod: ModuleInfo, info: FunctionInfo) -> list[ParamDecl]:
        """:meth:`signature` computed now, not kept (every module it reads is asked
        from the module store again: the project scan records which)."""
        decls: list[ParamDecl] = []
        imports = mod.imports
        for param, default in info.params:
            ann = param.annotation
            parts = annotated_parts(imports, ann)
            decl = ParamDecl(param, default, None, None, None, mod, info.parents, "")
            if parts:
                metas = [
                    m for m in parts[1:]
                    if isinstance(m, ast.Call) and marker_name(mod, m.func, info.parents)
                ]
                if metas:
                    decl = _decl(param, default, metas[-1], imports, parts[0], mod, info.parents, "annotated")
            elif ann is not None and isinstance(ann, (ast.Name, ast.Attribute)):
                alias = self._resolver.resolve(mod, ann, info.parents)
                if isinstance(alias, ValueSym):
                    aparts = annotated_parts(alias.module.imports, alias.value)
                    if aparts:
                        metas = [
                            m for m in aparts[1:]
                            if isinstance(m, ast.Call) and marker_name(alias.module, m.func, ())
                        ]
                        if metas:
                            decl = _decl(
                                param, default, metas[-1], alias.module.imports, aparts[0],
                                alias.module, (), "alias",
                            )
            if decl.marker is None and isinstance(default, ast.Call):
                if marker_name(mod, default.func, info.parents):
                    implicit = parts[0] if parts else ann
                    decl = _decl(param, default, default, imports, implicit, mod, info.parents, "default")
            decls.append(decl)
        return decls


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


__all__ = ["DefKey", "ParamDecl", "ProjectUses", "Route", "Semantics"]
