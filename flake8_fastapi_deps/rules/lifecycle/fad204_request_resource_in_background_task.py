"""FAD204: a request-scoped session from a yield dependency handed to a background task.

The dependency's exit code closes the session: before the task runs on FastAPI
0.106-0.117, or (0.118+) it stays open through the task, holding a connection.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import LIVE_RESOURCE_TYPES, PLAIN_DATA_TYPES
from ...facts.functions import function_facts
from ...facts.raises import SCOPE_TYPES, TRY_TYPES, WITH_TYPES
from ...facts.yield_flow import yield_sites
from ...model import FunctionInfo, keyword, nodes_within
from ...nodes import walk
from ...project import ClassSym, FuncSym, ParamDecl
from ._common import background_task_calls, param_type_name

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD204",
    "request-resource-in-background-task",
    "{arg} ({source}) in a background task {fate}; pass ids instead",
    "A request-scoped session from a yield dependency is handed to a background task.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.request_functions():
        calls = function_facts(ctx.module, info).calls
        if calls:
            yield from _task_arguments(ctx, info, calls)


def _task_arguments(ctx: FileContext, info: FunctionInfo, calls: list[ast.Call]) -> Iterator[Finding]:
    """The injected sessions among the arguments of each background task call."""
    node = info.node
    decls: Optional[dict[str, ParamDecl]] = None
    for sub in background_task_calls(ctx, info, calls):
        if decls is None:
            decls = {d.param.arg: d for d in ctx.project.signature(ctx.module, info)}
        values = [a for a in sub.args[1:] if not isinstance(a, ast.Starred)]
        values += [kw.value for kw in sub.keywords if kw.arg not in (None, "func")]
        for value in values:
            if isinstance(value, ast.Name) and value.id in decls:
                if value.id in ctx.module.assignments.get(id(node), {}):
                    continue  # rebound in the body: not the injected object
                yield from _request_scoped(ctx, value, decls[value.id])


def _request_scoped(ctx: FileContext, arg: ast.Name, decl: ParamDecl) -> Iterator[Finding]:
    function_scope = False
    source: Optional[str] = None
    resolved_plain = False
    if decl.marker is not None and decl.target is not None:
        scope_kw = keyword(decl.marker, "scope")
        function_scope = isinstance(scope_kw, ast.Constant) and scope_kw.value == "function"
        dep = _dependency_callable(ctx, decl)
        if isinstance(dep, FuncSym):
            if function_facts(dep.module, dep.info).is_generator:
                if yields_managed_resource(ctx, dep, 0):
                    source = f"from {dep.info.name}()"
            else:
                resolved_plain = True
    type_name = param_type_name(ctx, decl)
    if type_name is not None and type_name in PLAIN_DATA_TYPES:
        return  # a dict or a string: data, not a connection
    if source is None and not resolved_plain:
        if type_name is not None and type_name in LIVE_RESOURCE_TYPES:
            source = "a " + type_name.rsplit(".", 1)[-1]
            if decl.marker is None:
                function_scope = False
    if source is None:
        return
    if function_scope:
        fate = 'is already closed (scope="function")'
    else:
        fate = "is closed on FastAPI 0.106-0.117, held through the task on 0.118+"
    yield finding(arg, RULE, arg=arg.id, source=source, fate=fate)


def _dependency_callable(ctx: FileContext, decl: ParamDecl) -> Optional[FuncSym]:
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


def yields_managed_resource(ctx: FileContext, dep: FuncSym, depth: int) -> bool:
    """Does the generator hand out something its exit code closes or releases?

    True when a yielded name is bound by an enclosing ``with``, is used in the
    ``finally``/``except`` around the yield or in code after it, or comes from
    delegating to another such generator (``yield from g()``,
    ``async for x in g(): yield x``).
    """
    if depth > 3:
        return False
    for site in yield_sites(dep.node):
        value = site.node.value
        if isinstance(site.node, ast.YieldFrom):
            if isinstance(value, ast.Call) and _delegates_to_managed(ctx, dep, value, depth):
                return True
            continue
        if not isinstance(value, ast.Name):
            continue
        name = value.id
        for frame in reversed(site.frames):
            owner = frame.owner
            if isinstance(owner, WITH_TYPES) and frame.part == "body":
                if any(_binds(item.optional_vars, name) for item in owner.items):
                    return True
            elif isinstance(owner, TRY_TYPES) and frame.part == "body":
                exits = list(getattr(owner, "finalbody"))
                for handler in getattr(owner, "handlers"):
                    exits.extend(handler.body)
                if _mentions(exits, name):
                    return True
            elif isinstance(owner, (ast.For, ast.AsyncFor)) and frame.part == "body":
                if _binds(owner.target, name) and isinstance(owner.iter, ast.Call):
                    if _delegates_to_managed(ctx, dep, owner.iter, depth):
                        return True
            if _mentions(frame.block[frame.index + 1:], name):
                return True
    return False


def _delegates_to_managed(ctx: FileContext, dep: FuncSym, call: ast.Call, depth: int) -> bool:
    inner = ctx.project.resolve(dep.module, call.func, dep.info.parents + (dep.node,))
    return (
        isinstance(inner, FuncSym)
        and function_facts(inner.module, inner.info).is_generator
        and yields_managed_resource(ctx, inner, depth + 1)
    )


def _binds(target: Optional[ast.expr], name: str) -> bool:
    if target is None:
        return False
    return any(isinstance(n, ast.Name) and n.id == name for n in walk([target]))


def _mentions(stmts: Sequence[ast.stmt], name: str) -> bool:
    for stmt in stmts:
        if isinstance(stmt, SCOPE_TYPES):
            continue
        for node in nodes_within((stmt,)):
            if isinstance(node, ast.Name) and node.id == name:
                return True
    return False
