"""FAD202: an ``except`` around a yield dependency's ``yield`` that does not raise again.

The route's exception is thrown in at the ``yield``; a handler that ends
without raising swallows it (FastAPI 0.110+ then answers 500 and logs nothing).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...catalogue import NOT_ROUTE_ERRORS
from ...facts.raises import always_raises
from ...facts.yield_flow import no_return_test, yield_dependencies, yield_flow
from ...model import Scope, short_source
from ...names import dotted

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD202",
    "yield-dependency-swallows-exception",
    "{clause} in {func}() swallows the route's error: a 500, never logged (FastAPI 0.110+); "
    "re-raise",
    "An except around a dependency's yield that does not raise again.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in yield_dependencies(ctx):
        no_return = no_return_test(ctx.project, ctx.module, info.parents + (info.node,))
        for handler in yield_flow(ctx, info).handlers():
            if _ignored_handler(ctx, handler, info.parents):
                continue
            if not always_raises(handler.body, no_return):
                clause = "except" if handler.type is None else f"except {short_source(handler.type, 40)}"
                yield finding(handler, RULE, clause=clause, func=info.name)


def _ignored_handler(ctx: FileContext, handler: ast.ExceptHandler, scope: Scope) -> bool:
    """Handlers that only catch what a route cannot raise."""
    kind = handler.type
    if kind is None:
        return False
    items = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    for item in items:
        name = ctx.canonical(item, scope) or dotted(item)
        if name not in NOT_ROUTE_ERRORS:
            return False
    return True
