"""Helpers several lifecycle rules share (FAD203-FAD206)."""

from __future__ import annotations

import ast
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, NamedTuple, Optional

from ...catalogue import (
    BACKGROUND_TASKS,
    BACKGROUND_TASK_TAILS,
    BACKGROUND_TASK_TYPES,
    CLIENT,
    LIVE_RESOURCE_TYPES,
    PLAIN_DATA_BUILTINS,
    PLAIN_DATA_TYPES,
    POOLED,
    TASKS_TAILS,
)
from ...facts.bindings import is_builtin
from ...facts.functions import function_facts
from ...facts.sessions import yielded_resource, yields_managed_resource
from ...memo import Slot
from ...model import FunctionInfo, Scope, annotated_parts, keyword
from ...project import ClassSym, FuncSym, ParamDecl, ValueSym

if TYPE_CHECKING:
    from ...context import FileContext


def external(
    ctx: FileContext, expr: ast.expr, scope: Scope, names: Collection[str], tails: Collection[str]
) -> Optional[str]:
    """The canonical name of ``expr`` if it is one of ``names`` (cheap test first).

    ``tails`` are the last components of ``names``: an import of a project
    module that re-exports one of them keeps the name, so only those are
    resolved through the project.
    """
    direct = ctx.module.imports.canonical(expr)
    if direct is None or (direct not in names and direct.rsplit(".", 1)[-1] not in tails):
        return None
    name = ctx.canonical(expr, scope)
    return name if name is not None and name in names else None


def pooled_names(ctx: FileContext, base: dict[str, str] = POOLED) -> dict[str, str]:
    """Constructor -> what it builds: ``base`` (a catalogue table, returned itself when
    nothing is added) and ``--fad-pooled-constructors``."""
    extra = ctx.options.pooled_constructors
    if not extra:
        return base
    table = dict(base)
    for name in extra:
        table.setdefault(name, CLIENT)
    return table


def param_type_name(ctx: FileContext, decl: ParamDecl) -> Optional[str]:
    """Canonical name of a parameter's type (through ``Annotated`` and aliases)."""
    ann = decl.param.annotation
    if ann is None:
        return None
    module = ctx.module
    scope = decl.scope
    parts = annotated_parts(module.imports, ann)
    if parts:
        ann = parts[0]
    elif isinstance(ann, (ast.Name, ast.Attribute)):
        alias = ctx.project.resolve(module, ann, scope)
        if isinstance(alias, ValueSym):
            aparts = annotated_parts(alias.module.imports, alias.value)
            if aparts:
                module, ann, scope = alias.module, aparts[0], ()
    if isinstance(ann, ast.Subscript):  # Optional[Session]
        inner = ann.slice
        name = ctx.project.canonical(module, ann.value, scope)
        if name in ("typing.Optional",) and isinstance(inner, (ast.Name, ast.Attribute)):
            ann = inner
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):  # Session | None
        for side in (ann.left, ann.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                ann = side
    if isinstance(ann, ast.Subscript):  # dict[str, Any], List[int]
        ann = ann.value
    if isinstance(ann, ast.Name) and ann.id in PLAIN_DATA_BUILTINS:
        if is_builtin(module, ann.id, scope):
            return f"builtins.{ann.id}"
    if not isinstance(ann, (ast.Name, ast.Attribute)):
        return None
    return ctx.project.canonical(module, ann, scope)


def only_reraises(block: Sequence[ast.stmt], handler: Optional[ast.ExceptHandler]) -> bool:
    """Is the block nothing but a re-raise of the caught exception?"""
    meaningful = [
        s for s in block
        if not isinstance(s, ast.Pass)
        and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return len(meaningful) == 1 and _is_reraise(meaningful[0], handler)


def _is_reraise(stmt: ast.stmt, handler: Optional[ast.ExceptHandler]) -> bool:
    if not isinstance(stmt, ast.Raise):
        return False
    if stmt.exc is None:
        return True
    return (
        handler is not None
        and handler.name is not None
        and isinstance(stmt.exc, ast.Name)
        and stmt.exc.id == handler.name
    )


def _task_receivers(ctx: FileContext, info: FunctionInfo) -> set[str]:
    """Names that hold the request's ``BackgroundTasks`` (a parameter or a local instance)."""
    names: set[str] = set()
    wanted = (BACKGROUND_TASKS,)
    for param, _ in info.params:
        ann = param.annotation
        parts = annotated_parts(ctx.module.imports, ann)
        if parts:
            ann = parts[0]
        if ann is not None and external(ctx, ann, info.parents, wanted, TASKS_TAILS):
            names.add(param.arg)
    scope = info.parents + (info.node,)
    for name, values in ctx.module.assignments.get(id(info.node), {}).items():
        for value in values:
            if isinstance(value, ast.Call) and external(ctx, value.func, scope, wanted, TASKS_TAILS):
                names.add(name)
    return names


_TASK_CALLS: Slot[dict[int, list[ast.Call]]] = Slot("background_task_calls")


def background_task_calls(ctx: FileContext, info: FunctionInfo, calls: list[ast.Call]) -> list[ast.Call]:
    """The calls among ``calls`` (``info``'s own) that add a background task:
    ``tasks.add_task(...)`` on the request's ``BackgroundTasks``, ``BackgroundTask(...)``.
    Found once per function (FAD204 and FAD205 both look at them)."""
    found = _TASK_CALLS.of(ctx.module, dict)
    known = found.get(id(info.node))
    if known is None:
        known = found[id(info.node)] = _task_calls(ctx, info, calls)
    return known


def _task_calls(ctx: FileContext, info: FunctionInfo, calls: list[ast.Call]) -> list[ast.Call]:
    scope = info.parents + (info.node,)
    receivers: Optional[set[str]] = None
    found: list[ast.Call] = []
    for sub in calls:
        func = sub.func
        if isinstance(func, ast.Attribute) and func.attr == "add_task":
            if not isinstance(func.value, ast.Name):
                continue
            if receivers is None:
                receivers = _task_receivers(ctx, info)
            if func.value.id not in receivers:
                continue
        elif external(ctx, func, scope, BACKGROUND_TASK_TYPES, BACKGROUND_TASK_TAILS) is None:
            continue
        found.append(sub)
    return found


# ----------------------------------------------------------------------------- request resources


class RequestResource(NamedTuple):
    """A parameter holding a request-scoped session or connection (FAD204, FAD211)."""

    source: str  # as messages name it: "from get_db()", "a Session"
    function_scope: bool  # declared with Depends(..., scope="function"): closed before the task
    type_name: Optional[str]  # the parameter's annotated type, canonical
    dep: Optional[FuncSym]  # the yield dependency providing it, when it is one


def request_resource(ctx: FileContext, decl: ParamDecl) -> Optional[RequestResource]:
    """Is the parameter a resource the request's yield dependency closes?

    Injected by a generator dependency whose exit code closes what it yields,
    or annotated with a session/connection type, unless a plain (non-generator)
    dependency provides it (nothing closes that) or it is annotated as plain data.
    """
    function_scope = False
    source: Optional[str] = None
    resolved_plain = False
    dep: Optional[FuncSym] = None
    if decl.marker is not None and decl.target is not None:
        scope_kw = keyword(decl.marker, "scope")
        function_scope = isinstance(scope_kw, ast.Constant) and scope_kw.value == "function"
        called = dependency_callable(ctx, decl)
        if called is not None:
            if function_facts(called.module, called.info).is_generator:
                if yielded_by(ctx, called).managed:
                    source = f"from {called.info.name}()"
                    dep = called
            else:
                resolved_plain = True
    type_name = param_type_name(ctx, decl)
    if type_name is not None and type_name in PLAIN_DATA_TYPES:
        return None  # a dict or a string: data, not a connection
    if source is None and not resolved_plain:
        if type_name is not None and type_name in LIVE_RESOURCE_TYPES:
            source = "a " + type_name.rsplit(".", 1)[-1]
            if decl.marker is None:
                function_scope = False
    if source is None:
        return None
    return RequestResource(source, function_scope, type_name, dep)


def dependency_callable(ctx: FileContext, decl: ParamDecl) -> Optional[FuncSym]:
    """What FastAPI calls for a declaration: a function, or an instance's ``__call__``."""
    target = decl.target
    if target is None:
        return None
    project = ctx.project
    if isinstance(target, ast.Call):
        made = project.resolve(decl.module, target.func, decl.scope)
        if isinstance(made, ClassSym):
            return project.class_method(made, "__call__")
        return None
    sym = project.resolve(decl.module, target, decl.scope)
    return sym if isinstance(sym, FuncSym) else None


class Yielded(NamedTuple):
    """What a generator dependency hands out."""

    managed: bool  # closed or released by its exit code
    kind: Optional[str]  # "session"/"connection" when it opened it itself


_YIELDED: Slot[dict[int, Yielded]] = Slot("lifecycle.yielded")


def yielded_by(ctx: FileContext, dep: FuncSym) -> Yielded:
    """:class:`Yielded` for a generator dependency, found once per function."""
    memo = _YIELDED.of(dep.module, dict)
    found = memo.get(id(dep.node))
    if found is None:
        managed = yields_managed_resource(ctx.project, dep)
        kind = yielded_resource(ctx.project, dep) if managed else None
        found = memo[id(dep.node)] = Yielded(managed, kind)
    return found
