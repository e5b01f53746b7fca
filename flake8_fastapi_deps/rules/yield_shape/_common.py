"""Helpers several yield-shape rules share (FAD208, FAD209)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ...facts.yield_flow import yield_counts
from ...memo import Slot
from ...model import FunctionInfo, keyword

if TYPE_CHECKING:
    from ...context import FileContext

_LATE_WORK: Slot[dict[int, list[ast.AST]]] = Slot("late_work")


def late_work(ctx: FileContext, info: FunctionInfo) -> list[ast.AST]:
    """What some sure path runs after the yield of a request-scoped yield dependency.

    Statements and compound-statement headers, from the flow fact; empty when
    the path analysis does not model the function or a declaration runs it with
    ``scope="function"`` (its exit then comes before the response).  Found once
    per function.
    """
    found = _LATE_WORK.of(ctx.module, dict)
    known = found.get(id(info.node))
    if known is None:
        counts = yield_counts(ctx, info)
        if counts is None or not counts.after_yield or _function_scoped(ctx, info):
            known = []
        else:
            known = counts.after_yield
        found[id(info.node)] = known
    return known


def _function_scoped(ctx: FileContext, info: FunctionInfo) -> bool:
    """Does some visible declaration run this dependency with ``scope="function"``?

    Such a dependency exits before the response is sent, so work after its
    ``yield`` still counts.  A declaration whose ``scope=`` is not a literal
    counts too: when in doubt, say nothing.
    """
    for use, _ in ctx.project.declarations_of(ctx.module, info):
        value = keyword(use.call, "scope")
        if value is None or (isinstance(value, ast.Constant) and value.value == "request"):
            continue
        return True
    return False
