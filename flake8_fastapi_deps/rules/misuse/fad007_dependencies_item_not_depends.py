"""FAD007: an item of ``dependencies=[...]`` that is not a ``Depends(...)`` with a dependency."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import TRANSPARENT_DECORATORS
from ...facts.markers import marker_label
from ...facts.markers import class_defines_call
from ...model import (
    DEPENDENCIES_CONSTRUCTORS,
    DEPENDENCIES_METHODS,
    ModuleInfo,
    Scope,
    iter_params,
    marker_target,
)
from ...names import MARKERS, dotted
from ...project import ClassSym, ExternalSym, FuncSym, Symbol, ValueSym
from ._common import is_marker

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD007",
    "dependencies-item-not-depends",
    "dependencies=[{item}] {problem}; {fix}",
    "An item of dependencies=[...] is not a Depends(...) marker with a dependency.",
)

# Methods whose override in a router subclass may change what dependencies= accepts.
_DEPENDENCY_METHODS = DEPENDENCIES_METHODS | {"__init__"}


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    mod = ctx.module
    for deps in mod.dependencies_lists:
        value = deps.keyword.value
        if not isinstance(value, (ast.List, ast.Tuple, ast.Set)) or not value.elts:
            continue
        if not _fastapi_owner(ctx, deps.owner, deps.scope):
            continue
        for item in value.elts:
            if isinstance(item, ast.Call) and is_marker(mod, item, deps.scope):
                if marker_target(item) is None:
                    marker = marker_label(mod.imports.canonical(item.func))
                    yield finding(
                        item,
                        RULE,
                        item=f"{marker}()",
                        problem="has nothing to call",
                        fix=f"name the dependency: {marker}(func)",
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
                called = kind == "a class" and class_defines_call(ctx.project, ctx.resolve(item, deps.scope))
                fix = f"write Depends({text}{'()' if called else ''})"
            yield finding(
                item,
                RULE,
                item=shown,
                problem=f"is {kind}, not a Depends",
                fix=fix,
            )


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
        ctx.project.canonical(sym.module, d.func if isinstance(d, ast.Call) else d) in TRANSPARENT_DECORATORS
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
    if isinstance(item, ast.Call) and not is_marker(ctx.module, item, scope):
        return _instance_kind(ctx, ctx.resolve(item.func, scope))
    return None


def _instance_kind(ctx: FileContext, made: Optional[Symbol]) -> Optional[str]:
    if isinstance(made, ExternalSym) and made.name.startswith("fastapi.security."):
        return "a security scheme"
    if isinstance(made, ClassSym) and _is_depends_class(ctx, made) is False:
        return "an instance"
    return None
