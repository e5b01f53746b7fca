"""FAD204: a request-scoped session from a yield dependency handed to a background task.

The dependency's exit code closes the session: before the task runs on FastAPI
0.106-0.117, or (0.118+) it stays open through the task, holding a connection.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...facts.functions import function_facts
from ...model import FunctionInfo
from ...project import ParamDecl
from ._common import background_task_calls, request_resource

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
    found = request_resource(ctx, decl)
    if found is None:
        return
    if found.function_scope:
        fate = 'is already closed (scope="function")'
    else:
        fate = "is closed on FastAPI 0.106-0.117, held through the task on 0.118+"
    yield finding(arg, RULE, arg=arg.id, source=found.source, fate=fate)
