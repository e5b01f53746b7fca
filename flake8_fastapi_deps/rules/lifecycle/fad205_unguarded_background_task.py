"""FAD205: a background task function that does not catch and report its own errors.

Starlette runs a response's background tasks one after the other: an error in
one skips the rest, and nothing reports it unless the task does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...facts.functions import function_facts
from ...facts.raises import TRY_TYPES
from ...facts.yield_flow import catches_route_errors
from ...model import FunctionNode, Scope, keyword, own_nodes
from ...project import FuncSym
from ._common import background_task_calls, only_reraises

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD205",
    "unguarded-background-task",
    "background task {func}(){where} catches nothing: an error skips later tasks; "
    "catch and log it",
    "A background task function does not catch and report its own errors.",
    default_on=False,
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.request_functions():
        calls = function_facts(ctx.module, info).calls
        if not calls:
            continue
        scope = info.parents + (info.node,)
        for sub in background_task_calls(ctx, info, calls):
            task = sub.args[0] if sub.args and not isinstance(sub.args[0], ast.Starred) else keyword(
                sub, "func"
            )
            if task is not None:
                yield from _unguarded_task(ctx, task, scope)


def _unguarded_task(ctx: FileContext, task: ast.expr, scope: Scope) -> Iterator[Finding]:
    if not isinstance(task, (ast.Name, ast.Attribute)):
        return
    sym = ctx.resolve(task, scope)
    if not isinstance(sym, FuncSym) or sym.node.decorator_list:
        return
    if _task_is_guarded(ctx, sym):
        return
    if sym.module is ctx.module:
        # at the def, where the try belongs (once, however many add_task calls name it)
        yield finding(sym.node, RULE, func=sym.info.name, where="")
    else:
        # flake8 reports only in the linted file: at the argument, saying where the def is
        path = sym.module.path
        module = ctx.project.import_graph().module_name(path) if path else "another module"
        where = f" ({module}:{sym.node.lineno})"
        yield finding(task, RULE, func=sym.info.name, where=where)


def _task_is_guarded(ctx: FileContext, sym: FuncSym) -> bool:
    """The task, or a project function it calls directly, catches and handles errors."""
    if _handles_errors(sym.node):
        return True
    scope = sym.info.parents + (sym.node,)
    for node in function_facts(sym.module, sym.info).calls:
        if isinstance(node.func, (ast.Name, ast.Attribute)):
            callee = ctx.project.resolve(sym.module, node.func, scope)
            if isinstance(callee, FuncSym) and _handles_errors(callee.node):
                return True
    return False


def _handles_errors(func: FunctionNode) -> bool:
    """A ``try`` whose handler catches every error and does more than re-raise it."""
    for node in own_nodes(func):
        if isinstance(node, TRY_TYPES):
            for handler in getattr(node, "handlers"):
                if catches_route_errors(handler) and not only_reraises(handler.body, handler):
                    return True
    return False
