"""Misused dependency declarations FastAPI cannot honour, FAD006-FAD013.

Each of these is a FastAPI failure no other linter reports: a startup error, a
422 on every request, a marker object injected where a value was expected, or a
dependency silently dropped.  All are on by default, so every check here stays
silent unless the failure is certain from the source.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

from ..base import Finding, Rule, finding
from ..model import (
    DEPENDENCIES_CONSTRUCTORS,
    DEPENDENCIES_METHODS,
    FunctionInfo,
    MarkerUse,
    ModuleInfo,
    Scope,
    annotated_parts,
    def_key,
    iter_params,
    marker_target,
)
from ..names import ANNOTATED, MARKERS, dotted
from ..nodes import children, walk
from ..project import (
    ClassSym,
    ExternalSym,
    FuncSym,
    Project,
    Symbol,
    ValueSym,
    read_source,
    register_text_fact,
)
from ._shared import marker_call_ids, marker_functions

if TYPE_CHECKING:
    from ..context import FileContext

FAD006 = Rule(
    "FAD006",
    "depends-without-dependency",
    "{marker}() for {param} has nothing to call ({why}); name it: {marker}(dependency)",
    "Depends() takes its dependency from an annotation that is missing or not a class.",
)
FAD007 = Rule(
    "FAD007",
    "dependencies-item-not-depends",
    "dependencies=[{item}] {problem}; {fix}",
    "An item of dependencies=[...] is not a Depends(...) marker with a dependency.",
)
FAD008 = Rule(
    "FAD008",
    "conflicting-dependency-markers",
    "{param} {problem}",
    "One parameter carries two dependency markers; FastAPI keeps one or refuses both.",
)
FAD009 = Rule(
    "FAD009",
    "depends-where-never-injected",
    "{param} of {func} is never injected: {api} does not resolve Depends",
    "Depends/Security in a function that FastAPI calls without dependency injection.",
)
FAD010 = Rule(
    "FAD010",
    "depends-in-model-field",
    "{model}.{field} defaults to {marker}(...), never resolved in a request body; "
    "inject it in the route",
    "Depends as the default of a Pydantic model field.",
)
FAD011 = Rule(
    "FAD011",
    "depends-lost-in-postponed-annotation",
    "{name} is {why}, so FastAPI cannot read {param}'s annotation and {effect}",
    "A Depends in a postponed annotation that FastAPI cannot evaluate.",
)
FAD012 = Rule(
    "FAD012",
    "websocket-route-misuse",
    "{what}",
    "A WebSocket route that is sync, takes BackgroundTasks, or needs a Request.",
)
FAD013 = Rule(
    "FAD013",
    "context-manager-dependency",
    "@{deco} {callee} breaks every request as a dependency; drop the decorator",
    "A @contextmanager/@asynccontextmanager function passed to Depends.",
)
RULES = (FAD006, FAD007, FAD008, FAD009, FAD010, FAD011, FAD012, FAD013)

_CONTEXT_MANAGERS = {
    "contextlib.contextmanager": "contextmanager",
    "contextlib.asynccontextmanager": "asynccontextmanager",
}
# Builtin classes FastAPI cannot call as Depends(cls) (no signature, or no keywords).
_BUILTIN_TYPES = frozenset(
    {"str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset",
     "bytearray", "type", "range"}
)
_TYPING_GENERICS = frozenset(
    {"typing.List", "typing.Dict", "typing.Set", "typing.FrozenSet", "typing.Tuple"}
)
_PARAM_MARKERS = frozenset(
    f"{mod}.{name}"
    for mod in ("fastapi", "fastapi.params", "fastapi.param_functions")
    for name in ("Query", "Path", "Header", "Cookie", "Body", "Form", "File")
)
_MODEL_BASES = frozenset(
    {"pydantic.BaseModel", "pydantic.main.BaseModel", "pydantic.v1.BaseModel",
     "pydantic.v1.main.BaseModel", "sqlmodel.SQLModel", "sqlmodel.main.SQLModel"}
)
_BUILTIN_NAMES = frozenset(dir(builtins))
_REQUEST = "fastapi.Request"
_BACKGROUND = "fastapi.BackgroundTasks"


def _label(name: Optional[str]) -> str:
    return "Security" if name == "fastapi.Security" else "Depends"


def _typing(name: Optional[str]) -> Optional[str]:
    if name is not None and name.startswith("typing_extensions."):
        return "typing." + name[len("typing_extensions."):]
    return name


def _is_marker(mod: ModuleInfo, expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and mod.imports.canonical(expr.func) in MARKERS


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    yield from _empty_depends(ctx)
    yield from _dependencies_items(ctx)
    yield from _conflicting_markers(ctx)
    yield from _never_injected(ctx)
    yield from _model_fields(ctx)
    yield from _postponed(ctx)
    yield from _websockets(ctx)
    yield from _context_managers(ctx)


# ----------------------------------------------------------------------------- shared


@dataclass
class _Marker:
    call: ast.Call
    module: ModuleInfo
    kind: str  # "dep" (Depends/Security) or "param" (Query, Body, ...)


def _fastapi_markers(
    project: Project, mod: ModuleInfo, expr: Optional[ast.expr], depth: int = 0
) -> list[_Marker]:
    """FastAPI's markers of an annotation in the order FastAPI sees them.

    Nested ``Annotated`` and module-level aliases (``CU = Annotated[...]``,
    ``type CU = ...``) are flattened as ``typing`` does: the inner metadata
    comes first, and FastAPI uses the last marker.
    """
    if expr is None or depth > 4:
        return []
    table = mod.cache.setdefault("fad_markers", {})
    assert isinstance(table, dict)
    cached = table.get(id(expr))
    if isinstance(cached, list):
        return cached
    result = _markers_uncached(project, mod, expr, depth)
    table[id(expr)] = result
    return result


def _markers_uncached(project: Project, mod: ModuleInfo, expr: ast.expr, depth: int) -> list[_Marker]:
    parts = annotated_parts(mod.imports, expr)
    if parts is None:
        if isinstance(expr, (ast.Name, ast.Attribute)) and _may_be_alias(mod, expr):
            alias = _alias(project, mod, expr)
            if alias is not None:
                return _fastapi_markers(project, alias.module, alias.value, depth + 1)
        return []
    found = list(_fastapi_markers(project, mod, parts[0], depth + 1))
    for meta in parts[1:]:
        if not isinstance(meta, ast.Call):
            continue
        name = mod.imports.canonical(meta.func)
        if name in MARKERS:
            found.append(_Marker(meta, mod, "dep"))
        elif name in _PARAM_MARKERS:
            found.append(_Marker(meta, mod, "param"))
    return found


def _alias(project: Project, mod: ModuleInfo, expr: Union[ast.Name, ast.Attribute]) -> Optional[ValueSym]:
    """The module-level ``X = <subscript>`` that ``expr`` names, cached per module and text."""
    table = mod.cache.setdefault("fad_alias", {})
    assert isinstance(table, dict)
    text = dotted(expr)
    if text in table:
        found = table[text]
        return found if isinstance(found, ValueSym) else None
    sym = project.resolve(mod, expr)
    result = sym if isinstance(sym, ValueSym) and isinstance(sym.value, ast.Subscript) else None
    table[text] = result
    return result


def _may_be_alias(mod: ModuleInfo, expr: Union[ast.Name, ast.Attribute]) -> bool:
    """Can ``expr`` name a module-level alias (cheap test before resolving)?"""
    head: ast.expr = expr
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name):
        return False
    binding = mod.toplevel.get(head.id)
    if binding is None:
        return head.id in mod.imports.names
    if isinstance(expr, ast.Name):
        return isinstance(binding, (ast.Subscript, ast.Import, ast.ImportFrom))
    return isinstance(binding, (ast.Import, ast.ImportFrom))


_ANNOTATED_SOURCES = frozenset(
    {"typing", "typing_extensions", "typing.Annotated", "typing_extensions.Annotated"}
)


def _may_use_annotated(mod: ModuleInfo) -> bool:
    """Can some name of ``mod`` be ``typing.Annotated`` (see ``Imports.canonical``)?"""
    return any(value in _ANNOTATED_SOURCES for value in mod.imports.names.values())


def _has_own_marker(mod: ModuleInfo, ann: Optional[ast.expr], own_markers: frozenset[int]) -> bool:
    """Is a Depends/Security call (a marker use of ``mod``) in the metadata of ``Annotated`` ``ann``?"""
    if not isinstance(ann, ast.Subscript):
        return False
    parts = annotated_parts(mod.imports, ann)
    return parts is not None and any(id(meta) in own_markers for meta in parts[1:])


def _annotated_aliases(mod: ModuleInfo) -> Iterator[tuple[str, ast.Subscript]]:
    """Module-level ``Alias = Annotated[...]`` (also ``type Alias = ...``)."""
    for name, value in mod.toplevel.items():
        if isinstance(value, ast.Subscript) and mod.imports.canonical(value.value) == ANNOTATED:
            yield name, value


def _shadows_builtin(mod: ModuleInfo, name: str, scope: Scope) -> bool:
    if name in mod.toplevel or name in mod.imports.names:
        return True
    return any(name in mod.assignments.get(id(func), ()) for func in scope)


def _parse_string(text: str) -> Optional[ast.expr]:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _union_members(expr: ast.expr) -> list[ast.expr]:
    members: list[ast.expr] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            stack.extend((node.right, node.left))
        else:
            members.append(node)
    return members


def _subscript_items(expr: ast.Subscript) -> list[ast.expr]:
    inner = expr.slice
    if isinstance(inner, ast.Index):  # pragma: no cover - Python 3.8 shape
        inner = inner.value  # type: ignore[attr-defined]
    return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


# ----------------------------------------------------------------------------- FAD006


def _uncallable(
    project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope, depth: int = 0
) -> Optional[str]:
    """Why FastAPI cannot call the annotation ``expr`` as a dependency, or None."""
    if depth > 4:
        return None
    if isinstance(expr, ast.Constant):
        if expr.value is None:
            return "the annotation is None"
        if isinstance(expr.value, str):
            parsed = _parse_string(expr.value)
            return None if parsed is None else _uncallable(project, mod, parsed, scope, depth + 1)
        return None
    if isinstance(expr, ast.BinOp):
        if isinstance(expr.op, ast.BitOr) and any(_is_none(m) for m in _union_members(expr)):
            return "X | None is not a class"
        return None
    if isinstance(expr, ast.Subscript):
        name = _typing(mod.imports.canonical(expr.value))
        if name == ANNOTATED:
            parts = annotated_parts(mod.imports, expr)
            return _uncallable(project, mod, parts[0], scope, depth + 1) if parts else None
        if name == "typing.Optional":
            return "Optional[...] is not a class"
        if name == "typing.Union":
            if any(_is_none(m) for m in _subscript_items(expr)):
                return "Union[..., None] is not a class"
            return None
        if name in _TYPING_GENERICS:
            return f"{name}[...] is not a class"
        if (
            isinstance(expr.value, ast.Name)
            and expr.value.id in _BUILTIN_TYPES
            and not _shadows_builtin(mod, expr.value.id, scope)
        ):
            return f"{expr.value.id}[...] is a builtin type"
        return None
    if isinstance(expr, ast.Name):
        if expr.id in _BUILTIN_TYPES and not _shadows_builtin(mod, expr.id, scope):
            return f"{expr.id} is a builtin type"
    if isinstance(expr, (ast.Name, ast.Attribute)):
        if _typing(mod.imports.canonical(expr)) == "typing.Any":
            return "Any is not a class"
        sym = project.resolve(mod, expr, scope)
        if isinstance(sym, ValueSym) and isinstance(sym.value, (ast.Subscript, ast.BinOp)):
            return _uncallable(project, sym.module, sym.value, (), depth + 1)
    return None


def _empty_depends(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    if not any(use.explicit is None for use in mod.marker_uses):
        return  # every marker this reports on is one of the module's own, without a target
    own_markers = marker_call_ids(mod)
    project = ctx.project
    for info in mod.functions:
        for param, default in info.params:
            ann = param.annotation
            # a Depends/Security default, or one in this Annotated: else nothing to report
            default_marker = default if id(default) in own_markers else None
            if default_marker is None and not _has_own_marker(mod, ann, own_markers):
                continue
            assert default_marker is None or isinstance(default_marker, ast.Call)
            markers = _fastapi_markers(project, mod, ann)
            used: Optional[ast.Call]
            if default_marker is not None:
                if markers:
                    continue  # FAD008: FastAPI refuses this combination anyway
                used = default_marker
                parts = annotated_parts(mod.imports, ann)
                implicit = parts[0] if parts else ann
            elif markers and markers[-1].kind == "dep" and markers[-1].module is mod:
                own = annotated_parts(mod.imports, ann)
                if not own or not any(m is markers[-1].call for m in own[1:]):
                    continue  # the marker lives in an alias: reported there
                used = markers[-1].call
                implicit = own[0]
            else:
                continue
            assert used is not None
            if marker_target(used) is not None:
                continue
            why = "no annotation" if implicit is None else _uncallable(
                project, mod, implicit, info.parents
            )
            if why is not None:
                label = _label(mod.imports.canonical(used.func))
                yield finding(used, FAD006, marker=label, param=param.arg, why=why)
    for name, value in _annotated_aliases(mod):
        markers = _fastapi_markers(project, mod, value)
        parts = annotated_parts(mod.imports, value)
        if not markers or not parts or markers[-1].kind != "dep":
            continue
        last = markers[-1].call
        if not any(m is last for m in parts[1:]) or marker_target(last) is not None:
            continue
        why = _uncallable(project, mod, parts[0], ())
        if why is not None:
            label = _label(mod.imports.canonical(last.func))
            yield finding(last, FAD006, marker=label, param=name, why=why)


# ----------------------------------------------------------------------------- FAD007

# Methods whose override in a router subclass may change what dependencies= accepts.
_DEPENDENCY_METHODS = DEPENDENCIES_METHODS | {"__init__"}
_TRANSPARENT = frozenset({"functools.lru_cache", "functools.cache", "functools.wraps"})


def _router_overrides(ctx: FileContext, expr: ast.expr, scope: Scope, names: frozenset[str]) -> bool:
    """Does the router object ``expr`` come from a project class overriding one of ``names``?"""
    mod = ctx.module
    values: list[tuple[ModuleInfo, ast.expr]] = []
    if isinstance(expr, ast.Name):
        for func in reversed(scope):
            local = mod.assignments.get(id(func), {}).get(expr.id)
            if local:
                values = [(mod, v) for v in local]
                break
            for param, _ in iter_params(func):
                if param.arg == expr.id and param.annotation is not None:
                    values = [(mod, param.annotation)]
        if not values:
            values = [(mod, v) for v in mod.assignments.get(0, {}).get(expr.id, [])]
        if not values:
            sym = ctx.project.lookup(mod, expr.id, 0)
            if isinstance(sym, ValueSym):
                values = [(sym.module, sym.value)]
    for module, value in values:
        if isinstance(value, ast.Call) and any(kw.arg == "route_class" for kw in value.keywords):
            return True  # a custom APIRoute class may treat dependencies its own way
        target = value.func if isinstance(value, ast.Call) else value
        cls = ctx.project.resolve(module, target)
        if isinstance(cls, ClassSym) and any(
            ctx.project.class_method(cls, name) is not None for name in names
        ):
            return True
    return False


def _fastapi_owner(ctx: FileContext, owner: ast.Call, scope: Scope) -> bool:
    """Is the call taking ``dependencies=`` FastAPI's own (not a look-alike or an override)?"""
    func = owner.func
    if ctx.canonical(func, scope) in DEPENDENCIES_CONSTRUCTORS:
        return not any(kw.arg == "route_class" for kw in owner.keywords)
    if not isinstance(func, ast.Attribute) or func.attr not in DEPENDENCIES_METHODS:
        return False
    if not ctx.project.is_router_expr(ctx.module, func.value, scope, strict=True):
        return False
    return not _router_overrides(ctx, func.value, scope, _DEPENDENCY_METHODS)


def _is_depends_class(ctx: FileContext, cls: ClassSym) -> Optional[bool]:
    """True for a ``params.Depends`` subclass, False when surely not, None when unknown."""
    project = ctx.project
    for base in project.class_bases(cls):
        if isinstance(base, ExternalSym) and base.name in MARKERS:
            return True
    chain: list[Symbol] = [cls, *project.class_bases(cls)]
    for sym in chain:
        if isinstance(sym, ClassSym):
            if sym.node.decorator_list and not all(
                project.canonical(sym.module, d) in ("dataclasses.dataclass",)
                for d in sym.node.decorator_list
            ):
                return None
            for stmt in sym.node.body:
                if _binds(stmt, "dependency"):
                    return None
    if project.class_has_unknown_base(cls):
        return None
    return False


def _binds(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return stmt.name == name
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and stmt.target.id == name
    return False


def _plain_function(ctx: FileContext, sym: FuncSym) -> bool:
    """A function whose decorators (if any) surely leave it a plain function."""
    return all(
        ctx.project.canonical(sym.module, d.func if isinstance(d, ast.Call) else d) in _TRANSPARENT
        for d in sym.node.decorator_list
    )


def _not_a_marker(ctx: FileContext, item: ast.expr, scope: Scope) -> Optional[str]:
    """What ``item`` surely is when it is not a ``params.Depends`` instance, else None."""
    if isinstance(item, ast.Lambda):
        return "a lambda"
    if isinstance(item, (ast.Name, ast.Attribute)):
        sym = ctx.resolve(item, scope)
        if isinstance(sym, FuncSym):
            return "a function" if _plain_function(ctx, sym) else None
        if isinstance(sym, ClassSym):
            return "a class" if _is_depends_class(ctx, sym) is False else None
        if isinstance(sym, ValueSym) and isinstance(sym.value, ast.Call):
            made = ctx.project.resolve(sym.module, sym.value.func)
            return _instance_kind(ctx, made)
        return None
    if isinstance(item, ast.Call) and not _is_marker(ctx.module, item):
        return _instance_kind(ctx, ctx.resolve(item.func, scope))
    return None


def _instance_kind(ctx: FileContext, made: Optional[Symbol]) -> Optional[str]:
    if isinstance(made, ExternalSym) and made.name.startswith("fastapi.security."):
        return "a security scheme"
    if isinstance(made, ClassSym) and _is_depends_class(ctx, made) is False:
        return "an instance"
    return None


def _dependencies_items(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    for deps in mod.dependencies_lists:
        value = deps.keyword.value
        if not isinstance(value, (ast.List, ast.Tuple, ast.Set)) or not value.elts:
            continue
        if not _fastapi_owner(ctx, deps.owner, deps.scope):
            continue
        for item in value.elts:
            if isinstance(item, ast.Call) and _is_marker(mod, item):
                if marker_target(item) is None:
                    label = _label(mod.imports.canonical(item.func))
                    yield finding(
                        item,
                        FAD007,
                        item=f"{label}()",
                        problem="has nothing to call",
                        fix=f"name the dependency: {label}(func)",
                    )
                continue
            kind = _not_a_marker(ctx, item, deps.scope)
            if kind is None:
                continue
            text = dotted(item.func if isinstance(item, ast.Call) else item) or "..."
            if isinstance(item, ast.Lambda):
                shown, fix = "lambda: ...", "write Depends(lambda: ...)"
            elif isinstance(item, ast.Call):
                shown = f"{text}(...)"
                fix = f"write Depends({shown})"
            else:
                shown = text
                called = kind == "a class" and _has_call(ctx, item, deps.scope)
                fix = f"write Depends({text}{'()' if called else ''})"
            yield finding(
                item,
                FAD007,
                item=shown,
                problem=f"is {kind}, not a Depends",
                fix=fix,
            )


def _has_call(ctx: FileContext, item: ast.expr, scope: Scope) -> bool:
    sym = ctx.resolve(item, scope)
    return isinstance(sym, ClassSym) and ctx.project.class_method(sym, "__call__") is not None


# ----------------------------------------------------------------------------- FAD008


def _conflicting_markers(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    own_markers = marker_call_ids(mod)
    if not own_markers and not _may_use_annotated(mod):
        return  # needs a marker default (a marker use) or an Annotated of this module
    project = ctx.project
    imports = mod.imports
    for info in mod.functions:
        for param, default in info.params:
            marker_default = id(default) in own_markers  # a Depends/Security default
            parts = None
            if not marker_default:
                ann = param.annotation
                if ann.__class__ is not ast.Subscript:
                    continue  # neither a marker default nor an Annotated of this module
                parts = annotated_parts(imports, ann)
                if parts is None or not _may_hold_two_markers(mod, parts):
                    continue  # nothing FastAPI could drop
            markers = _fastapi_markers(project, mod, param.annotation)
            if marker_default and markers:
                assert isinstance(default, ast.Call)
                label = _label(mod.imports.canonical(default.func))
                first = markers[-1]
                inner = (
                    _label(first.module.imports.canonical(first.call.func))
                    if first.kind == "dep"
                    else dotted(first.call.func) or "a marker"
                )
                yield finding(
                    default,
                    FAD008,
                    param=param.arg,
                    problem=f"has {inner} in Annotated and a {label} default; "
                    "FastAPI refuses this (AssertionError)",
                )
                continue
            if parts is None:
                parts = annotated_parts(imports, param.annotation)
            if parts:
                yield from _dropped_markers(mod, param.arg, markers, parts)
    for name, value in _annotated_aliases(mod):
        parts = annotated_parts(mod.imports, value)
        if parts:
            yield from _dropped_markers(mod, f"alias {name}", _fastapi_markers(project, mod, value), parts)


def _may_hold_two_markers(mod: ModuleInfo, parts: list[ast.expr]) -> bool:
    """Can ``Annotated[parts...]`` hold two markers for :func:`_fastapi_markers`?

    Each marker of its own metadata is a call; more can only come from the
    annotated type, when that is a nested ``Annotated`` or an alias.
    """
    calls = 0
    for meta in parts[1:]:
        if meta.__class__ is ast.Call:
            calls += 1
    if calls >= 2:
        return True
    inner = parts[0]
    if inner.__class__ is ast.Subscript:
        return True
    if isinstance(inner, (ast.Name, ast.Attribute)):
        return _may_be_alias(mod, inner)
    return False


def _dropped_markers(
    mod: ModuleInfo, what: str, markers: list[_Marker], parts: list[ast.expr]
) -> Iterator[Finding]:
    """Several markers, one of them a Depends that FastAPI ignores: report at the last."""
    if len(markers) < 2 or not any(m.kind == "dep" for m in markers[:-1]):
        return
    last = markers[-1]
    if not any(m is last.call for m in parts[1:]):
        return  # the last marker is in an alias: reported at the alias
    dropped = [m for m in markers[:-1] if m.kind == "dep"]
    first = dropped[0].call
    dep_text = dotted(marker_target(first) or first.func) if marker_target(first) else ""
    label = _label(dropped[0].module.imports.canonical(first.func))
    shown = f"{label}({dep_text or ''})"
    yield finding(
        last.call,
        FAD008,
        param=what,
        problem=f"has {len(markers)} markers in Annotated; FastAPI uses the last, ignoring {shown}",
    )


# ----------------------------------------------------------------------------- FAD009


@dataclass(frozen=True)
class _Caller:
    """How a non-DI API calls a function: positional arguments and keyword names."""

    api: str
    positional: int
    keywords: Optional[frozenset[str]] = frozenset()  # None: **kwargs passed


@dataclass(eq=False)
class _Raw:
    """A registration with a non-DI API, as written (resolved only when needed).

    ``target`` names the registered function or middleware class (or is the
    decorated function itself); ``obj`` is the app/router whose method
    registers it, ``ctor`` the app constructor taking it as a keyword.
    """

    module: ModuleInfo
    target: Union[ast.expr, FunctionInfo]
    scope: Scope
    caller: _Caller
    obj: Optional[ast.expr] = None
    ctor: Optional[ast.Call] = None
    middleware_call: Optional[ast.Call] = None  # add_middleware(...) / Middleware(...)
    inner_decorators: tuple[ast.expr, ...] = ()

    @property
    def name(self) -> Optional[str]:
        if isinstance(self.target, FunctionInfo):
            return self.target.name
        if isinstance(self.target, ast.Attribute):
            return self.target.attr
        return self.target.id if isinstance(self.target, ast.Name) else None


_HANDLER_DECORATORS = {
    "middleware": ("@{obj}.middleware", 2),
    "exception_handler": ("@{obj}.exception_handler", 2),
    "on_event": ("@{obj}.on_event", 0),
    "route": ("@{obj}.route", 1),
    "websocket_route": ("@{obj}.websocket_route", 1),
}
# method -> (label, index of the function argument, its keyword names, positional args it gets)
_HANDLER_METHODS = {
    "add_exception_handler": ("{obj}.add_exception_handler", 1, ("handler",), 2),
    "add_event_handler": ("{obj}.add_event_handler", 1, ("func",), 0),
    "add_route": ("{obj}.add_route", 1, ("route", "endpoint"), 1),
    "add_websocket_route": ("{obj}.add_websocket_route", 1, ("route",), 1),
}
_APP_CLASSES = frozenset(
    {"fastapi.FastAPI", "fastapi.APIRouter", "starlette.applications.Starlette",
     "starlette.routing.Router"}
)
_APP_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown", "exception_handlers"})
_MIDDLEWARE = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
_STARLETTE_ROUTES = frozenset({"starlette.routing.Route", "starlette.routing.WebSocketRoute"})
_BASE_HTTP_MIDDLEWARE = frozenset(
    {"starlette.middleware.base.BaseHTTPMiddleware", "fastapi.middleware.base.BaseHTTPMiddleware"}
)
# Text of a file that may register a function with a non-DI API (``in`` tests:
# each is a fast substring search, far cheaper than one regex of alternatives).
_REGISTRATION_WORDS = (
    b".middleware(", b"add_middleware", b"Middleware(", b"exception_handler", b".on_event(",
    b"add_event_handler", b"lifespan=", b"on_startup=", b"on_shutdown=", b"add_route",
    b"websocket_route", b".route(", b"Route(",
)
# Each word above contains one of these: a file with none of them has none of the words
# (8 substring searches instead of 13 for the many files that register nothing).  A word
# added above without a piece here becomes its own piece.
_PIECES = (
    b"iddleware", b"_handler", b"on_event(", b"lifespan=", b"on_startup=", b"on_shutdown=",
    b"_route", b"oute(",
)
_REGISTRATION_PIECES = _PIECES + tuple(
    word for word in _REGISTRATION_WORDS if not any(piece in word for piece in _PIECES)
)
_CM_DECORATORS = frozenset(_CONTEXT_MANAGERS)
_METHODS_CALLED = frozenset({"__init__", "__call__", "dispatch"})


def _raw_registrations(mod: ModuleInfo) -> list[_Raw]:
    """Every non-DI registration in ``mod``, found syntactically (no other file read)."""
    cached = mod.cache.get("fad009_raw")
    if isinstance(cached, list):
        return cached
    found: list[_Raw] = []
    mod.cache["fad009_raw"] = found
    imports = mod.imports
    if not (imports.imports_fastapi() or any(m.startswith("starlette") for m in imports.modules)):
        return found
    for info in mod.functions:
        decos = info.node.decorator_list
        for index, deco in enumerate(decos):
            if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)):
                continue
            spec = _HANDLER_DECORATORS.get(deco.func.attr)
            if spec is None:
                continue
            obj = deco.func.value
            label = spec[0].format(obj=dotted(obj) or "app")
            found.append(
                _Raw(mod, info, info.parents, _Caller(label, spec[1]), obj=obj,
                     inner_decorators=tuple(decos[index + 1:]))
            )
            break
    for call, scope in mod.calls:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _HANDLER_METHODS:
            label, index, names, positional = _HANDLER_METHODS[func.attr]
            arg = _argument(call, index, names)
            if arg is not None:
                api = label.format(obj=dotted(func.value) or "app")
                found.append(_Raw(mod, arg, scope, _Caller(api, positional), obj=func.value))
        elif isinstance(func, ast.Attribute) and func.attr == "add_middleware":
            if call.args:
                api = f"{dotted(func.value) or 'app'}.add_middleware"
                found.append(
                    _Raw(mod, call.args[0], scope, _Caller(api, 1), obj=func.value, middleware_call=call)
                )
        elif any(kw.arg in _APP_KEYWORDS for kw in call.keywords):
            owner = dotted(func) or "FastAPI"
            for kw in call.keywords:
                if kw.arg == "lifespan":
                    items, positional = [kw.value], 1
                elif kw.arg in ("on_startup", "on_shutdown") and isinstance(kw.value, (ast.List, ast.Tuple)):
                    items, positional = list(kw.value.elts), 0
                elif kw.arg == "exception_handlers" and isinstance(kw.value, ast.Dict):
                    items, positional = list(kw.value.values), 2
                else:
                    continue
                caller = _Caller(f"{owner}({kw.arg}=...)", positional)
                found.extend(_Raw(mod, item, scope, caller, ctor=call) for item in items)
        else:
            name = imports.canonical(func)
            if name in _MIDDLEWARE and call.args:
                found.append(
                    _Raw(mod, call.args[0], scope, _Caller("Middleware(...)", 1), middleware_call=call)
                )
            elif name in _STARLETTE_ROUTES:
                arg = _argument(call, 1, ("endpoint",))
                if arg is not None:
                    label = f"{name.rsplit('.', 1)[1]}(...)"
                    found.append(_Raw(mod, arg, scope, _Caller(label, 1)))
    return found


def _argument(call: ast.Call, index: int, names: tuple[str, ...]) -> Optional[ast.expr]:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def _transparent(project: Project, mod: ModuleInfo, deco: ast.expr) -> bool:
    name = project.canonical(mod, deco.func if isinstance(deco, ast.Call) else deco)
    return name in _CM_DECORATORS or name in _TRANSPARENT


def _resolve_raw(project: Project, raw: _Raw) -> Optional[Union[FuncSym, ClassSym]]:
    """The registered function or middleware class, once the API is proven FastAPI's/Starlette's."""
    mod = raw.module
    if raw.obj is not None and not project.is_router_expr(mod, raw.obj, raw.scope, strict=True):
        return None
    if raw.ctor is not None:
        sym = project.resolve(mod, raw.ctor.func, raw.scope)
        known = sym.name in _APP_CLASSES if isinstance(sym, ExternalSym) else project.is_router_class(sym)
        if not known:
            return None
    if isinstance(raw.target, FunctionInfo):
        # inner decorators run first: one that is not transparent may inject (``@inject``)
        if not all(_transparent(project, mod, d) for d in raw.inner_decorators):
            return None
        return FuncSym(mod, raw.target)
    if not isinstance(raw.target, (ast.Name, ast.Attribute)):
        return None
    sym = project.resolve(mod, raw.target, raw.scope)
    if raw.middleware_call is not None:
        return sym if isinstance(sym, ClassSym) else None
    if isinstance(sym, FuncSym) and sym.info.cls is None:  # methods: binding not visible here
        if all(_transparent(project, sym.module, d) for d in sym.node.decorator_list):
            return sym
    return None


def _registration_text(data: bytes) -> Optional[bytes]:
    """The bytes of a file that may register functions with a non-DI API, else None."""
    if (
        (b"fastapi" in data or b"starlette" in data)
        and any(piece in data for piece in _REGISTRATION_PIECES)
        and any(word in data for word in _REGISTRATION_WORDS)
    ):
        return data
    return None


register_text_fact("fad009", _registration_text)


def _registration_files(project: Project) -> dict[str, bytes]:
    """Project files that may register functions with a non-DI API, with their text."""
    cached = project.cache.get("fad009_files")
    if isinstance(cached, dict):
        return cached
    files = {
        file: data for file, data in project.text_fact("fad009").items() if isinstance(data, bytes)
    }
    project.cache["fad009_files"] = files
    return files


def _registrations_named(ctx: FileContext, name: str, local_only: bool = False) -> Iterator[_Raw]:
    """Registrations naming ``name``, in this file or (parsed on demand) elsewhere.

    ``local_only``: the name belongs to a definition nested in a function, which
    no other file can name; the project's files are then not searched.
    """
    yield from (raw for raw in _raw_registrations(ctx.module) if raw.name == name)
    project = ctx.project
    if local_only or project.root is None or ctx.module.path is None:
        return
    # elsewhere only calls can register it (a decorator sits on the def itself), with
    # the name as an argument: ``(name``, ``, name``, ``=name``, ``[name``, ``mod.name``
    raw_name = name.encode()
    needle = re.compile(rb"[(,=\[.]\s*" + re.escape(raw_name) + rb"\b")
    for file, data in _registration_files(project).items():
        if file == ctx.module.path or raw_name not in data or not needle.search(data):
            continue
        other = project.module_at(file, data)
        if other is not None and other is not ctx.module:
            yield from (
                raw for raw in _raw_registrations(other)
                if raw.name == name and not isinstance(raw.target, FunctionInfo)
            )


def _caller_of(ctx: FileContext, info: FunctionInfo) -> Optional[_Caller]:
    """How a non-DI API calls ``info`` (a function of this file), if one does."""
    project = ctx.project
    path = ctx.module.path
    # a function or class nested in a function can be registered only in this file
    local_only = bool(info.parents)
    if info.cls is None:
        for raw in _registrations_named(ctx, info.name, local_only):
            sym = _resolve_raw(project, raw)
            if isinstance(sym, FuncSym) and raw.middleware_call is None and _same(sym, info, path):
                return raw.caller
        return None
    if info.name not in _METHODS_CALLED or info.node.decorator_list:
        return None
    # a method of a middleware class registered under its own name
    for raw in _registrations_named(ctx, info.cls.name, local_only):
        if raw.middleware_call is None:
            continue
        cls = _resolve_raw(project, raw)
        if not isinstance(cls, ClassSym):
            continue
        for method, caller in _middleware_methods(project, cls, raw):
            if _same(method, info, path):
                return caller
    return None


def _same(sym: FuncSym, info: FunctionInfo, path: Optional[str]) -> bool:
    return sym.info is info or (sym.module.path == path and sym.info.key == info.key)


def _middleware_methods(
    project: Project, cls: ClassSym, raw: _Raw
) -> Iterator[tuple[FuncSym, _Caller]]:
    """Starlette builds a middleware with (app, *args, **kwargs), calls it with
    (scope, receive, send); BaseHTTPMiddleware calls dispatch(request, call_next)."""
    call = raw.middleware_call
    keywords: Optional[frozenset[str]] = frozenset()
    positional = 1
    if call is not None:
        args = call.args[1:]
        if any(isinstance(a, ast.Starred) for a in args) or any(kw.arg is None for kw in call.keywords):
            keywords = None
        else:
            positional += len(args)
            keywords = frozenset(kw.arg for kw in call.keywords if kw.arg)
    base_http = any(
        isinstance(b, ExternalSym) and b.name in _BASE_HTTP_MIDDLEWARE for b in project.class_bases(cls)
    )
    methods: list[tuple[str, int, Optional[frozenset[str]]]] = [("__init__", positional, keywords)]
    if base_http:
        methods.append(("dispatch", 2, frozenset()))
    else:
        methods.append(("__call__", 3, frozenset()))
    for name, count, kws in methods:
        method = project.class_method(cls, name)
        if method is None or method.node.decorator_list or kws is None:
            continue
        yield method, _Caller(raw.caller.api, count, kws)


def _never_injected(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    project = ctx.project
    for info in marker_functions(project, mod):
        decls = [
            d for d in project.signature(mod, info)
            if d.marker is not None and not isinstance(d.target, ast.Subscript)
        ]
        if not decls or ctx.is_route(info) or ctx.is_dependency(info):
            continue
        caller = _caller_of(ctx, info)
        if caller is None or caller.keywords is None:
            continue
        skip_self = 1 if info.cls is not None else 0
        positional = [*info.node.args.posonlyargs, *info.node.args.args][skip_self:]
        passed = {p.arg for p in positional[: caller.positional]} | caller.keywords
        for decl in decls:
            if decl.param.arg in passed:
                continue
            node: Union[ast.expr, ast.arg]
            if decl.via == "default" and decl.default is not None:
                node = decl.default
            elif decl.via == "annotated" and decl.marker is not None:
                node = decl.marker
            elif decl.param.annotation is not None:
                node = decl.param.annotation
            else:
                continue
            yield finding(node, FAD009, func=info.qualname, api=caller.api, param=decl.param.arg)


# ----------------------------------------------------------------------------- FAD010


def _model_fields(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    project = ctx.project
    for cls in mod.classes:
        fields: list[tuple[str, ast.Call]] = []
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign):
                value, targets = stmt.value, list(stmt.targets)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                value, targets = stmt.value, [stmt.target]
            else:
                continue
            if not isinstance(value, ast.Call) or not _is_marker(mod, value):
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    fields.append((target.id, value))
        if not fields:
            continue
        sym = ClassSym(mod, cls)
        if not any(
            isinstance(b, ExternalSym) and b.name in _MODEL_BASES for b in project.class_bases(sym)
        ):
            continue
        if _used_as_dependency(ctx, sym):
            continue
        for field_name, value in fields:
            yield finding(
                value,
                FAD010,
                model=cls.name,
                field=field_name,
                marker=_label(mod.imports.canonical(value.func)),
            )


ClassKey = tuple[Optional[str], tuple[int, int]]  # (file, def key)


def _class_key(sym: ClassSym) -> ClassKey:
    return (sym.module.path, def_key(sym.node))


def _dependency_classes(project: Project, mod: ModuleInfo) -> set[ClassKey]:
    """Classes ``mod`` uses as ``Depends(Cls)`` / ``Annotated[Cls, Depends()]``, with their bases."""
    cached = mod.cache.get("fad010_classes")
    if isinstance(cached, set):
        return cached
    found: set[ClassKey] = set()
    mod.cache["fad010_classes"] = found
    for use in mod.marker_uses:
        target = use.target
        if not isinstance(target, (ast.Name, ast.Attribute)):
            continue
        sym = project.resolve(mod, target, use.scope)
        if isinstance(sym, ClassSym):
            found.add(_class_key(sym))
            for base in project.class_bases(sym):
                if isinstance(base, ClassSym):
                    found.add(_class_key(base))
    return found


def _new_key_set() -> set[ClassKey]:
    return set()


def _used_as_dependency(ctx: FileContext, sym: ClassSym) -> bool:
    """Is ``sym`` (or a subclass) used as a dependency class anywhere in the project?"""
    project = ctx.project
    key = _class_key(sym)
    if key in _dependency_classes(project, ctx.module):
        return True
    if project.root is None:
        return False
    index = project.cache.get("fad010")
    if not isinstance(index, set):
        index = _new_key_set()
        for file in project.files():
            data = read_source(file)
            if data is None or (b"Depends" not in data and b"Security" not in data):
                continue
            other = project.module_at(file, data)
            if other is not None:
                index |= _dependency_classes(project, other)
        project.cache["fad010"] = index
    return key in index


# ----------------------------------------------------------------------------- FAD011


def _has_future_annotations(mod: ModuleInfo) -> bool:
    cached = mod.cache.get("future_annotations")
    if isinstance(cached, bool):
        return cached
    found = any(
        isinstance(stmt, ast.ImportFrom)
        and stmt.module == "__future__"
        and any(a.name == "annotations" for a in stmt.names)
        for stmt in mod.tree.body
    )
    mod.cache["future_annotations"] = found
    return found


def _first_bindings(mod: ModuleInfo) -> tuple[dict[str, int], Optional[int]]:
    """Line of each name's first module-level binding, and of the first star import."""
    cached = mod.cache.get("first_bindings")
    if isinstance(cached, tuple):
        return cached
    lines: dict[str, int] = {}
    star: Optional[int] = None
    stack: list[ast.stmt] = list(reversed(mod.tree.body))
    while stack:
        stmt = stack.pop()
        for name in _bound_names(stmt):
            if name == "*":
                star = stmt.lineno if star is None else min(star, stmt.lineno)
            else:
                lines[name] = min(lines.get(name, stmt.lineno), stmt.lineno)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        children: list[ast.stmt] = []
        for field in ("body", "orelse", "finalbody"):
            children.extend(getattr(stmt, field, []) or [])
        for handler in getattr(stmt, "handlers", []) or []:
            children.extend(handler.body)
        for case in getattr(stmt, "cases", []) or []:
            children.extend(case.body)
        stack.extend(reversed(children))
    result = (lines, star)
    mod.cache["first_bindings"] = result
    return result


def _bound_names(stmt: ast.stmt) -> list[str]:
    """Names a module-level statement binds itself (``*`` for a star import)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [
            "*" if a.name == "*" else (a.asname or a.name.split(".", 1)[0]) for a in stmt.names
        ]
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
    else:
        name = getattr(stmt, "name", None)  # ``type X = ...`` (3.12+)
        return [name.id] if isinstance(name, ast.Name) else []
    found: list[str] = []
    for target in targets:
        for node in walk([target]):
            if isinstance(node, ast.Name):
                found.append(node.id)
    return found


def _annotation_names(expr: ast.expr) -> Iterator[ast.Name]:
    """Names an annotation needs at evaluation (nested strings stay lazy ForwardRefs)."""
    stack: list[ast.AST] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            yield node
        elif isinstance(node, ast.Attribute):
            stack.append(node.value)
        elif not isinstance(node, ast.Constant):
            stack.extend(reversed(children(node)))


def _postponed(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    if not _has_future_annotations(mod):
        return
    project = ctx.project
    routes = ctx.routes
    for info in ctx.request_functions():  # only what FastAPI reads: routes and dependencies
        route = routes.get(id(info.node))
        # a route decorated at module level is read when its def runs: later names are missing
        early = (
            route is not None
            and not info.parents
            and info.cls is None
            and any(d is route.registration for d in info.node.decorator_list)
        )
        for param, default in info.params:
            ann = param.annotation
            if ann is None:
                continue
            parts = annotated_parts(mod.imports, ann)
            own = [m for m in (parts or [])[1:] if _is_marker(mod, m)]
            empty_default = (
                isinstance(default, ast.Call)
                and _is_marker(mod, default)
                and marker_target(default) is None
            )
            alias_markers = (
                not parts
                and isinstance(ann, ast.Name)
                and ann.id in mod.type_checking_names
                and _tc_alias_has_marker(project, mod, ann.id)
            )
            if not own and not empty_default and not alias_markers:
                continue
            if own and default is not None and _is_marker(mod, default):
                continue  # FAD008
            for name in _annotation_names(ann):
                why = _unbound(mod, name.id, info.node.lineno if early else None)
                if why is None:
                    continue
                effect = (
                    "Depends() fails at startup"
                    if empty_default and not own
                    else "drops its Depends"
                )
                yield finding(name, FAD011, param=param.arg, name=name.id, why=why, effect=effect)
                break


def _tc_alias_has_marker(project: Project, mod: ModuleInfo, name: str) -> bool:
    sym = project.lookup(mod, name, 0)
    return isinstance(sym, ValueSym) and any(
        m.kind == "dep" for m in _fastapi_markers(project, sym.module, sym.value)
    )


def _unbound(mod: ModuleInfo, name: str, before_line: Optional[int]) -> Optional[str]:
    if name in mod.type_checking_names and name not in mod.toplevel:
        return "TYPE_CHECKING-only"
    if before_line is None:
        return None
    if name in _BUILTIN_NAMES:
        return None  # until the module rebinds it, the builtin answers
    lines, star = _first_bindings(mod)
    first = lines.get(name)
    if first is None or first <= before_line or (star is not None and star < before_line):
        return None
    return "defined after the route"


# ----------------------------------------------------------------------------- FAD012


def _websockets(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    project = ctx.project
    for route in ctx.routes.values():
        if not route.websocket:
            continue
        info = mod.function_info(route.func)
        if info is None:
            continue
        node = info.node
        decos = node.decorator_list
        positions = [i for i, d in enumerate(decos) if d is route.registration]
        # decorators below the route decorator run first and may make it a coroutine function
        inner = decos[positions[0] + 1:] if positions else decos
        if not info.is_async and not inner:
            yield finding(
                node,
                FAD012,
                what=f"websocket route {node.name} is a sync def, which FastAPI awaits "
                "(TypeError); make it async def",
            )
        markers: list[tuple[ast.AST, MarkerUse, ModuleInfo]] = []
        for decl in project.signature(mod, info):
            ann = decl.param.annotation
            parts = annotated_parts(mod.imports, ann)
            plain = parts[0] if parts else ann
            if decl.marker is None:
                if plain is None:
                    continue
                name = ctx.canonical(plain, info.parents)
                if name == _BACKGROUND:
                    yield finding(
                        decl.param,
                        FAD012,
                        what=f"{decl.param.arg}: BackgroundTasks in a websocket route never run; "
                        "do the work in the handler",
                    )
                elif name == _REQUEST and decl.default is None:
                    yield finding(
                        decl.param,
                        FAD012,
                        what=f"{decl.param.arg}: Request is never given to a websocket route "
                        "(TypeError); use WebSocket",
                    )
                continue
            where: ast.AST
            if decl.via == "alias":
                where = decl.param.annotation or decl.param
            else:
                where = marker_target(decl.marker) or decl.marker
            use = MarkerUse(decl.marker, decl.marker_name or "", decl.scope, implicit=decl.target)
            markers.append((where, use, decl.module))
        registration = route.registration
        if isinstance(registration, ast.Call):
            for kw in registration.keywords:
                if kw.arg == "dependencies" and isinstance(kw.value, (ast.List, ast.Tuple)):
                    for item in kw.value.elts:
                        if isinstance(item, ast.Call) and _is_marker(mod, item):
                            use = MarkerUse(item, str(mod.imports.canonical(item.func)), info.parents)
                            markers.append((marker_target(item) or item, use, mod))
        for where, use, module in markers:
            for func in project.dependency_functions(use, module):
                param = _request_param(project, func)
                if param is not None:
                    dep = dotted(use.target) if use.target is not None else func.info.name
                    assert isinstance(where, (ast.expr, ast.arg))
                    yield finding(
                        where,
                        FAD012,
                        what=f"{dep} needs {param}: Request, never given in a websocket route "
                        "(TypeError); use HTTPConnection",
                    )
                    break


def _request_param(project: Project, func: FuncSym) -> Optional[str]:
    node = func.node
    skip = 1 if func.info.cls is not None else 0
    params = list(iter_params(node))
    positional = len(node.args.posonlyargs) + len(node.args.args)
    for index, (param, default) in enumerate(params):
        if index < skip and index < positional:
            continue
        if default is not None or param.annotation is None:
            continue
        parts = annotated_parts(func.module.imports, param.annotation)
        if parts and any(_is_marker(func.module, m) for m in parts[1:]):
            continue
        plain = parts[0] if parts else param.annotation
        if project.canonical(func.module, plain, func.info.parents) == _REQUEST:
            return param.arg
    return None


# ----------------------------------------------------------------------------- FAD013


def _context_managers(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    project = ctx.project
    for use in mod.marker_uses:
        target = use.explicit
        if not isinstance(target, (ast.Name, ast.Attribute)):
            continue
        sym = ctx.resolve(target, use.scope)
        deco: Optional[str] = None
        if isinstance(sym, FuncSym):
            for d in sym.node.decorator_list:
                name = project.canonical(sym.module, d)
                if name in _CONTEXT_MANAGERS:
                    deco = _CONTEXT_MANAGERS[name]
                    break
        elif isinstance(sym, ValueSym) and isinstance(sym.value, ast.Call):
            name = project.canonical(sym.module, sym.value.func)
            if name in _CONTEXT_MANAGERS:
                deco = _CONTEXT_MANAGERS[name]
        if deco is not None:
            yield finding(
                target, FAD013, callee=dotted(target), deco=deco, marker=_label(use.marker)
            )
