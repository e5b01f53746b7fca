"""FAD203: a long-lived client, engine or pool built per request.

Building an engine, a session factory or a pooled client in a route or a
dependency opens a new pool on every request; create it once in the lifespan
and share it (``app.state``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...catalogue import (
    CACHING_DECORATOR_TAILS,
    CLOSABLE,
    PER_REQUEST_POOLED,
    PER_REQUEST_POOLED_TAILS,
    SHARE_PER_APP,
    SHARED_POOL_KEYWORDS,
    name_tails,
)
from ...facts.functions import function_facts
from ...facts.raises import WITH_TYPES
from ...model import FunctionInfo, FunctionNode, keyword, own_nodes
from ...names import dotted
from ._common import external, pooled_names

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD203",
    "pooled-resource-per-request",
    "{ctor}() {what} per request; create it once in lifespan, share it via app.state",
    "A long-lived client, engine or pool is built per request.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    pooled = pooled_names(ctx, PER_REQUEST_POOLED)
    for info in ctx.request_functions():
        calls = function_facts(ctx.module, info).calls
        if calls:
            yield from _pooled_per_request(ctx, info, calls, pooled)


def _pooled_per_request(
    ctx: FileContext, info: FunctionInfo, all_calls: list[ast.Call], table: dict[str, str]
) -> Iterator[Finding]:
    node = info.node
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = dotted(target)
        if name is not None and name.rsplit(".", 1)[-1] in CACHING_DECORATOR_TAILS:
            return
    tails = PER_REQUEST_POOLED_TAILS if table is PER_REQUEST_POOLED else name_tails(table)
    scope = info.parents + (node,)
    calls: list[tuple[ast.Call, str]] = []
    for sub in all_calls:
        name = external(ctx, sub.func, scope, table, tails)
        if name is not None:
            calls.append((sub, name))
    if not calls:
        return
    uses, closed = _call_uses(node)
    in_init = info.name == "__init__" and info.cls is not None
    for call, name in calls:
        use = uses.get(id(call), "")
        closes = use == "with" or (use.startswith("local:") and use[6:] in closed)
        if closes and name in CLOSABLE and name not in SHARE_PER_APP:
            continue  # a short-lived client, closed here (an aiohttp session is one per app)
        if use == "stored" or (use == "self" and not in_init):
            continue  # kept for later requests (a global, app.state, a cache)
        shared = SHARED_POOL_KEYWORDS.get(name)
        if shared is not None and keyword(call, shared) is not None:
            continue  # a cheap client over a shared pool, transport or connector
        yield finding(call, RULE, ctor=dotted(call.func) or name, what=table[name])


def _call_uses(func: FunctionNode) -> tuple[dict[int, str], set[str]]:
    """How each call's result is used ("with", "local:<name>", "stored", "self"), by id.

    Also the local names closed in the body (``x.close()``, ``await x.aclose()``,
    ``async with x:``).
    """
    uses: dict[int, str] = {}
    kept: set[str] = set()
    closed: set[str] = set()
    for node in own_nodes(func):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            kept.update(node.names)
    for node in own_nodes(func):
        if isinstance(node, WITH_TYPES):
            for item in node.items:
                expr = item.context_expr
                expr = expr.value if isinstance(expr, ast.Await) else expr
                if isinstance(expr, ast.Call):
                    uses[id(expr)] = "with"
                elif isinstance(expr, ast.Name):
                    closed.add(expr.id)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            value = node.value
            if isinstance(value, ast.Await):
                value = value.value
            if not isinstance(value, ast.Call):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            use = None
            for target in targets:
                if isinstance(target, ast.Name):
                    use = "stored" if target.id in kept else use or f"local:{target.id}"
                elif isinstance(target, ast.Attribute):
                    base = target.value
                    is_self = isinstance(base, ast.Name) and base.id == "self"
                    use = "self" if is_self and use != "stored" else "stored"
                elif isinstance(target, ast.Subscript):
                    use = "stored"
            if use is not None:
                uses[id(value)] = use
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("close", "aclose") and isinstance(node.func.value, ast.Name):
                closed.add(node.func.value.id)
    return uses, closed
