"""FAD208: ``HTTPException`` raised after the yield of a request-scoped yield dependency.

The response is already sent when the code after the ``yield`` runs (FastAPI
<= 0.105 and >= 0.118): the exception can no longer change it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...catalogue import HTTP_EXCEPTION
from ...facts.yield_flow import yield_dependencies
from ...model import Scope
from ...names import dotted
from ...project import ClassSym, ExternalSym
from ._common import late_work

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD208",
    "http-exception-after-yield",
    "{exc} after {func}'s yield: the response is already sent; raise it before the yield",
    "HTTPException raised after the yield of a request-scoped yield dependency.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in yield_dependencies(ctx):
        scope: Scope = info.parents + (info.node,)
        for root in late_work(ctx, info):
            if isinstance(root, ast.Raise) and root.exc is not None:
                if _is_http_exception(ctx, root.exc, scope):
                    target = root.exc.func if isinstance(root.exc, ast.Call) else root.exc
                    yield finding(root, RULE, exc=dotted(target) or "HTTPException", func=info.name)


def _is_http_exception(ctx: FileContext, exc: ast.expr, scope: Scope) -> bool:
    target = exc.func if isinstance(exc, ast.Call) else exc
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return False
    sym = ctx.resolve(target, scope)
    if isinstance(sym, ExternalSym):
        return sym.name == HTTP_EXCEPTION
    if isinstance(sym, ClassSym):
        return any(
            isinstance(base, ExternalSym) and base.name == HTTP_EXCEPTION
            for base in ctx.project.class_bases(sym)
        )
    return False
