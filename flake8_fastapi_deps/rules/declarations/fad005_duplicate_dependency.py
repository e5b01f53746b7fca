"""FAD005 duplicate-dependency: one signature declares the same dependency twice."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...facts.markers import marker_label
from ...model import keyword
from ...names import dotted
from ...nodes import node_key
from ...project import ClassSym, ExternalSym, FuncSym, ParamDecl, ValueSym
from ._common import injected_functions

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD005",
    "duplicate-dependency",
    "{param} gets the same cached {dep} as {other}; reuse {other}, or pass use_cache=False",
    "The same dependency is declared twice in one signature.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    for info in injected_functions(ctx):
        decls = [
            d for d in ctx.project.signature(ctx.module, info)
            if d.marker is not None and d.target is not None
        ]
        if len(decls) < 2:
            continue  # (only these have a cache key: resolve nothing for one)
        seen: dict[tuple[object, ...], ParamDecl] = {}
        for decl in decls:
            key = _cache_key(ctx, decl)
            if key is None:
                continue
            first = seen.get(key)
            if first is None:
                seen[key] = decl
                continue
            label = marker_label(decl.marker_name)
            dep = f"{label}({dotted(decl.target) if decl.target is not None else ''})"
            yield finding(decl.param, RULE, param=decl.param.arg, dep=dep, other=first.param.arg)


def _cache_key(ctx: FileContext, decl: ParamDecl) -> Optional[tuple[object, ...]]:
    """FastAPI's per-request cache key for a declaration, when it is knowable."""
    marker = decl.marker
    if marker is None or decl.target is None:
        return None
    use_cache = keyword(marker, "use_cache")
    if use_cache is not None and not (isinstance(use_cache, ast.Constant) and use_cache.value is True):
        return None
    if not isinstance(decl.target, (ast.Name, ast.Attribute)):
        return None  # a call makes a new object each time: a separate cache entry
    sym = ctx.project.resolve(decl.module, decl.target, decl.scope)
    identity: object
    if isinstance(sym, (FuncSym, ClassSym)):
        identity = (sym.module.path, sym.node.lineno, sym.node.col_offset)
    elif isinstance(sym, ExternalSym):
        identity = sym.name
    elif sym is None or isinstance(sym, ValueSym):
        identity = ("text", decl.module.path, dotted(decl.target))
    else:
        return None
    scopes = keyword(marker, "scopes")
    scopes_key = () if scopes is None or _empty(scopes) else node_key(scopes)
    scope = keyword(marker, "scope")
    return (identity, scopes_key, node_key(scope) if scope is not None else ())


def _empty(expr: ast.expr) -> bool:
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return not expr.elts
    return isinstance(expr, ast.Constant) and expr.value is None
