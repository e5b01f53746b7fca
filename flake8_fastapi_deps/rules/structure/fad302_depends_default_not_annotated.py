"""FAD302 depends-default-not-annotated: Depends/Security as a parameter default, not in Annotated."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...facts.markers import marker_label
from ...model import marker_target, short_source
from ...names import dotted
from ...project import ClassSym, FuncSym
from ..declarations.fad001_called_dependency import _not_callable_reason

if TYPE_CHECKING:
    from ...context import FileContext
    from ...model import Scope

RULE = Rule(
    "FAD302",
    "depends-default-not-annotated",
    "{param} = {marker} as a default; declare {param}: Annotated[{ann}, {fixed}]",
    "Depends/Security used as a parameter default instead of in Annotated.",
    default_on=False,
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test or not ctx.mentions_fastapi:
        return
    for info in ctx.module.functions:
        for decl in ctx.project.signature(ctx.module, info):
            if decl.via != "default" or decl.marker is None:
                continue
            ann = decl.param.annotation
            target = marker_target(decl.marker)
            fixed = _uncalled(ctx, target, decl.scope)
            yield finding(
                decl.marker,
                RULE,
                param=decl.param.arg,
                marker=_marker_text(decl.marker, decl.marker_name),
                fixed=_marker_text(decl.marker, decl.marker_name, fixed),
                ann=(
                    short_source(ann, 50, "<its annotation>")
                    if ann is not None
                    else _result_type(ctx, fixed or target, decl.scope)
                ),
            )


def _uncalled(ctx: FileContext, target: Optional[ast.expr], scope: Scope) -> Optional[ast.expr]:
    """``get_user`` for a called dependency FAD001 reports (``Depends(get_user())``), else None.

    The suggestion must not copy that bug into the fix; a call that may return
    a callable (``RoleChecker(["admin"])``, a security scheme) is kept as written.
    """
    if not isinstance(target, ast.Call) or dotted(target.func) is None:
        return None
    if _not_callable_reason(ctx, ctx.resolve(target.func, scope)) is None:
        return None
    return target.func


_ITERATOR_TYPES = frozenset(
    {"Iterator", "Generator", "AsyncIterator", "AsyncGenerator", "Iterable", "AsyncIterable"}
)


def _result_type(ctx: FileContext, target: Optional[ast.expr], scope: Scope) -> str:
    """What to write as the type of a parameter without annotation.

    The class itself for a class dependency, the return (or yield) annotation of
    a function dependency when it has one, else a described placeholder.
    """
    name = dotted(target) if target is not None else None
    if target is None or name is None:
        return "<a class>" if target is None else "<its type>"
    sym = ctx.resolve(target, scope)
    if isinstance(sym, ClassSym):
        return short_source(target, 30, "<its type>")
    if isinstance(sym, FuncSym) and sym.node.returns is not None:
        returns = sym.node.returns
        if isinstance(returns, ast.Subscript) and _last_name(returns.value) in _ITERATOR_TYPES:
            inner = returns.slice
            returns = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
        if not isinstance(returns, ast.Constant) or isinstance(returns.value, str):
            text = short_source(returns, 30, "")
            if text and text != "None":
                return text.strip("'\"") if isinstance(returns, ast.Constant) else text
    shown = name if len(name) <= 25 else name.rsplit(".", 1)[-1]
    return f"<type of {shown}'s result>"


def _last_name(expr: ast.expr) -> Optional[str]:
    text = dotted(expr)
    return text.rsplit(".", 1)[-1] if text is not None else None


def _marker_text(call: ast.Call, name: Optional[str], target: Optional[ast.expr] = None) -> str:
    """``Depends(get_db)``, ``Security(get_user, ...)``: short, naming the dependency."""
    func = dotted(call.func) or marker_label(name)
    if target is None:
        target = marker_target(call)
    parts = [short_source(target, 25, "...") if target is not None else ""]
    if len(call.args) + len(call.keywords) > (1 if target is not None else 0):
        parts.append("...")
    return f"{func}({', '.join(p for p in parts if p)})"
