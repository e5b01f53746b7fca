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

from ..catalogue import CLASS_ROUTE_PACKAGES, CLASS_ROUTE_VERBS
from ..facts.bindings import marker_name
from ..memo import Slot
from ..model import (
    ROUTE_DECORATORS,
    ROUTE_REGISTRARS,
    FunctionInfo,
    FunctionNode,
    MarkerUse,
    ModuleInfo,
    RouteRegistration,
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
    # the decorator call (also when applied by hand: ``app.get("/p")`` of
    # ``app.get("/p")(page)``) or the add_api_route call; None when the function
    # is registered in another file (the project scan says so, see ``routes``)
    registration: Optional[ast.expr]
    websocket: bool


class ProjectUses(Protocol):
    """The uses of a project's functions by other files (answered by the scan)."""

    def project_dependency_targets(self, path: str) -> dict[str, set[DefKey]]: ...

    def declarations_elsewhere(
        self, path: str, key: DefKey
    ) -> list[tuple[MarkerUse, ModuleInfo]]: ...

    def project_route_targets(self, path: str) -> dict[str, dict[DefKey, bool]]: ...


# Facts kept on each module (mod.cache)
_ROUTES: Slot[dict[int, Route]] = Slot("routes")
_DEP_KEYS: Slot[set[DefKey]] = Slot("dep_keys")
_REQUEST: Slot[list[FunctionInfo]] = Slot("request")
_SIGNATURES: Slot[dict[int, list[ParamDecl]]] = Slot("signatures")
# (name, id of the innermost scope or 0, strict) -> is that name a router/app
_ROUTER_NAMES: Slot[dict[tuple[str, int, bool], bool]] = Slot("router_names")
# the registrations by a call of the module, with the function each registers
_REGISTERED: Slot[list[tuple[RouteRegistration, "FuncSym"]]] = Slot("registered")
# id of a class -> its attributes assigned in its methods as self.<name> = value
_SELF_ATTRS: Slot[dict[int, dict[str, list[tuple[ast.expr, Scope]]]]] = Slot("self_attrs")
_MAX_ANNOTATION_TEXT = 200  # a string annotation longer than this is not read


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
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            spelt = _string_annotation(value.value)  # app: "FastAPIAdmin"
            return spelt is not None and resolver.is_router_class(
                resolver.resolve(mod, spelt, scope)
            )
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
            if expr.attr == "router" and self.is_router_expr(
                mod, expr.value, scope, depth + 1, strict=strict
            ):
                return True
            # self.app / self.router, assigned a router in a method of the class
            return not strict and self._is_router_attribute(mod, expr, scope)
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
        for position, func in enumerate(reversed(scope)):
            values = mod.assignments.get(id(func), {}).get(name)
            for index, (param, _) in enumerate(iter_params(func)):
                if param.arg == name:
                    if param.annotation is not None:
                        return self.is_router_value(mod, param.annotation, scope)
                    if strict:
                        return False
                    # a mount function in a module that imports fastapi:
                    # ``def register(app): app.add_api_route(...)`` (a method only
                    # FastAPI's apps and routers have); or ``self`` of a method of a
                    # router subclass
                    inner = scope[: len(scope) - position]
                    return (
                        mod.imports.imports_fastapi() and _registrar_param(mod, name, func)
                    ) or (index == 0 and self._self_class_is_router(mod, inner))
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
        """Route functions of ``mod`` by ``id`` of their def node.

        Decorated (``@app.get``; a controller library's ``@get`` on a method),
        registered by a call in this file (``app.add_api_route(path, fn)``,
        ``app.get(path)(fn)``), or registered so in another project file (the
        project scan keeps those, :meth:`ProjectUses.project_route_targets`).
        """
        cached = _ROUTES.get(mod)
        if cached is not None:
            return cached
        found = _ROUTES.put(mod, {})  # guards against re-entry while resolving
        for info in mod.functions:
            for deco in info.node.decorator_list:
                if not isinstance(deco, ast.Call):
                    continue
                if (
                    isinstance(deco.func, ast.Attribute)
                    and deco.func.attr in ROUTE_DECORATORS
                    and self.is_router_expr(mod, deco.func.value, info.parents)
                ):
                    found[id(info.node)] = Route(info.node, deco, deco.func.attr == "websocket")
                    break
                verb = _class_route_verb(mod, deco.func) if info.cls is not None else None
                if verb is not None:
                    found[id(info.node)] = Route(info.node, deco, verb == "websocket")
                    break
        for reg, sym in self.registered(mod):
            if sym.module is mod:
                found.setdefault(id(sym.node), Route(sym.node, reg.call, websocket_registration(reg)))
            elif sym.module.path == mod.path:  # the same file parsed apart: by position
                same = _function_at(mod, sym.info.key)
                if same is not None:
                    found.setdefault(id(same.node), Route(same.node, reg.call, websocket_registration(reg)))
        if mod.path is not None and self.root is not None:
            elsewhere = self._uses.project_route_targets(mod.path).get(mod.path)
            if elsewhere:
                for key, websocket in elsewhere.items():
                    where = _function_at(mod, key)
                    if where is not None:
                        found.setdefault(id(where.node), Route(where.node, None, websocket))
        return found

    def registered(self, mod: ModuleInfo) -> list[tuple[RouteRegistration, FuncSym]]:
        """The registrations by a call in ``mod`` on an app or router, each with the
        function it registers (in this file or another): ``add_api_route(path, fn)``,
        ``app.get(path)(fn)``; ``fn`` a function, a method of the enclosing class
        (``self.handle``) or of a project class instance (``views.page`` with
        ``views = Views()``)."""

        def compute() -> list[tuple[RouteRegistration, FuncSym]]:
            found: list[tuple[RouteRegistration, FuncSym]] = []
            for reg in mod.registrations:
                obj = reg.obj
                if isinstance(obj, ast.Name) and isinstance(mod.toplevel.get(obj.id), ast.Import):
                    continue  # a module (``requests.get(url)(f)``), never an app
                if not self.is_router_expr(mod, obj, reg.scope):
                    continue
                sym = self._endpoint(mod, reg.endpoint, reg.scope)
                if sym is not None:
                    found.append((reg, sym))
            return found

        return _REGISTERED.of(mod, compute)

    def _endpoint(self, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[FuncSym]:
        """The function a registration names: ``fn``, ``module.fn``, ``Cls.fn``,
        ``self.fn`` in a method, ``obj.fn`` with ``obj = Cls(...)``."""
        resolver = self._resolver
        sym = resolver.resolve(mod, expr, scope)
        if isinstance(sym, FuncSym):
            return sym
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            cls = self._instance_class(mod, expr.value.id, scope)
            if cls is not None:
                return resolver.class_method(cls, expr.attr)
        return None

    def _instance_class(self, mod: ModuleInfo, name: str, scope: Scope) -> Optional[ClassSym]:
        """The project class ``name`` is an instance of: ``self`` of a method, or a
        name assigned once, ``name = Cls(...)`` (in the function binding it, or at
        module level)."""
        resolver = self._resolver
        for position, func in enumerate(reversed(scope)):
            params = iter_params(func)
            for index, (param, _) in enumerate(params):
                if param.arg == name:
                    if index != 0:
                        return None
                    return _method_class(mod, scope[: len(scope) - position])
            values = mod.assignments.get(id(func), {}).get(name)
            if values is not None:
                inner = scope[: len(scope) - position]
                return _made_class(resolver, mod, values, inner)
            if any(
                isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and stmt.name == name
                for stmt in func.body
            ):
                return None
        values = mod.assignments.get(0, {}).get(name)
        if values is not None:
            return _made_class(resolver, mod, values, ())
        sym = resolver.lookup(mod, name, 0)
        if isinstance(sym, ValueSym):
            return _made_class(resolver, sym.module, [sym.value], ())
        return None

    def _self_class_is_router(self, mod: ModuleInfo, scope: Scope) -> bool:
        """Is ``self`` of the method ending ``scope`` an app/router (a subclass)?"""
        cls = _method_class(mod, scope)
        return cls is not None and self._resolver.is_router_class(cls)

    def _is_router_attribute(self, mod: ModuleInfo, expr: ast.Attribute, scope: Scope) -> bool:
        """``self.<attr>`` in a method, where a method of the class assigns
        ``self.<attr>`` an app or router (every such assignment must)."""
        owner = expr.value
        if not isinstance(owner, ast.Name) or not scope:
            return False
        for position, func in enumerate(reversed(scope)):
            params = iter_params(func)
            if any(param.arg == owner.id for param, _ in params):
                if params[0][0].arg != owner.id:
                    return False
                inner = scope[: len(scope) - position]
                cls = _method_class(mod, inner)
                if cls is None or cls.module is not mod:
                    return False
                assigned = _self_attributes(mod, cls.node).get(expr.attr, [])
                return bool(assigned) and all(
                    self.is_router_value(mod, value, where) for value, where in assigned
                )
            if owner.id in mod.assignments.get(id(func), {}):
                return False
        return False

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


def websocket_registration(reg: RouteRegistration) -> bool:
    """Does ``reg`` register a WebSocket route?"""
    func = reg.call.func
    return isinstance(func, ast.Attribute) and "websocket" in func.attr


def _class_route_verb(mod: ModuleInfo, func: ast.expr) -> Optional[str]:
    """The verb, when ``func`` (of a decorator call on a method) is a controller
    library's route decorator (``from classy_fastapi import get``)."""
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return None
    canonical = mod.imports.canonical(func)
    if canonical is None:
        return None
    head, _, rest = canonical.partition(".")
    verb = rest.rsplit(".", 1)[-1]
    return verb if head in CLASS_ROUTE_PACKAGES and verb in CLASS_ROUTE_VERBS else None


def _function_at(mod: ModuleInfo, key: DefKey) -> Optional[FunctionInfo]:
    for info in mod.functions:
        if info.key == key:
            return info
    return None


def _registrar_param(mod: ModuleInfo, name: str, func: FunctionNode) -> bool:
    """Does ``func`` call ``name.add_api_route(...)``/``add_api_websocket_route``?"""
    for reg in mod.registrations:
        call = reg.call.func
        if (
            reg.scope
            and reg.scope[-1] is func
            and isinstance(call, ast.Attribute)
            and call.attr in ROUTE_REGISTRARS
            and isinstance(reg.obj, ast.Name)
            and reg.obj.id == name
        ):
            return True
    return False


def _method_class(mod: ModuleInfo, scope: Scope) -> Optional[ClassSym]:
    """The class whose plain method ends ``scope`` (not a static/class method)."""
    if not scope:
        return None
    info = mod.function_info(scope[-1])
    if info is None or info.cls is None:
        return None
    for deco in info.node.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod"):
            return None
    return ClassSym(mod, info.cls)


def _made_class(
    resolver: Resolver, mod: ModuleInfo, values: list[ast.expr], scope: Scope
) -> Optional[ClassSym]:
    """The project class of ``name = Cls(...)``, when that is the one value bound."""
    if len(values) != 1 or not isinstance(values[0], ast.Call):
        return None
    made = resolver.resolve(mod, values[0].func, scope)
    return made if isinstance(made, ClassSym) else None


def _self_attributes(
    mod: ModuleInfo, cls: ast.ClassDef
) -> dict[str, list[tuple[ast.expr, Scope]]]:
    """``self.<name> = value`` in the methods of ``cls`` (``self`` their first
    parameter), and ``name: T`` / ``name = value`` in its body, by name."""
    table = _SELF_ATTRS.of(mod, dict)
    found = table.get(id(cls))
    if found is not None:
        return found
    found = table[id(cls)] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            found.setdefault(stmt.target.id, []).append((stmt.annotation, ()))
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append((stmt.value, ()))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = iter_params(stmt)
            if not params:
                continue
            this = params[0][0].arg
            for node in own_nodes(stmt):
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    targets, value = [node.target], node.value
                else:
                    continue
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == this
                    ):
                        found.setdefault(target.attr, []).append((value, (stmt,)))
    return found


def _string_annotation(text: str) -> Optional[ast.expr]:
    """The name chain a string annotation spells (``"FastAPI"``, ``"fa.APIRouter"``)."""
    if len(text) > _MAX_ANNOTATION_TEXT:
        return None
    try:
        expr = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    return expr if isinstance(expr, (ast.Name, ast.Attribute)) else None


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


__all__ = ["DefKey", "ParamDecl", "ProjectUses", "Route", "Semantics", "websocket_registration"]
