"""FAD209: a yield dependency adds a background task after its yield.

The response (with its background tasks) is already sent when the code after
the ``yield`` of a request-scoped dependency runs: the task is silently dropped.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...catalogue import BACKGROUND_TASKS
from ...facts.yield_flow import yield_dependencies
from ...model import FunctionInfo, annotated_parts, nodes_within
from ...names import dotted
from ._common import late_work

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD209",
    "background-task-after-yield",
    "{call}() after {func}'s yield is silently dropped; add the task before the yield",
    "A yield dependency adds a background task after its yield.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in yield_dependencies(ctx):
        work = late_work(ctx, info)
        if not work:
            continue
        tasks = _background_task_params(ctx, info)
        if not tasks:
            continue
        for root in work:
            for sub in nodes_within([root]):
                if (
                    isinstance(sub, ast.Call)
                    and isinstance(sub.func, ast.Attribute)
                    and sub.func.attr == "add_task"
                    and isinstance(sub.func.value, ast.Name)
                    and sub.func.value.id in tasks
                ):
                    yield finding(sub, RULE, call=dotted(sub.func), func=info.name)


def _background_task_params(ctx: FileContext, info: FunctionInfo) -> set[str]:
    """Parameters of ``info`` annotated ``BackgroundTasks`` (also in ``Annotated``), not rebound."""
    mod = ctx.module
    rebound = mod.assignments.get(id(info.node), {})
    found: set[str] = set()
    for param, _ in info.params:
        ann = param.annotation
        if ann is None or param.arg in rebound:
            continue
        parts = annotated_parts(mod.imports, ann)
        if parts:
            ann = parts[0]
        if ctx.canonical(ann, info.parents) == BACKGROUND_TASKS:
            found.add(param.arg)
    return found
