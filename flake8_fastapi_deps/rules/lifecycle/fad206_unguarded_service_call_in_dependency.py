"""FAD206: a dependency calls an external service without turning its errors into an HTTP error.

An outage then becomes a bare 500; catching the client's error and raising
``HTTPException(503)`` says what happened.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import (
    ACQUIRE_METHODS,
    CONNECT_FUNCTIONS,
    CONNECT_TAILS,
    REQUEST_TYPES,
    SERVICE_CLIENT_TYPES,
    SERVICE_METHODS,
    name_tails,
)
from ...facts.functions import function_facts
from ...facts.raises import TRY_TYPES, WITH_TYPES, always_raises
from ...facts.yield_flow import child_blocks, header_exprs
from ...model import FunctionInfo, FunctionNode, Scope, nodes_within
from ...names import dotted
from ._common import external, only_reraises, param_type_name, pooled_names

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD206",
    "unguarded-service-call-in-dependency",
    "{call}() in {func}() is unguarded: an outage becomes a bare 500; "
    "catch it, raise HTTPException(503)",
    "A dependency calls an external service without turning its errors into an HTTP error.",
    default_on=False,
)


def check(ctx: FileContext) -> Iterator[Finding]:
    pooled = pooled_names(ctx)
    for info in ctx.request_functions():
        if not ctx.is_dependency(info):
            continue
        calls = function_facts(ctx.module, info).calls
        if calls:
            yield from _unguarded_service_calls(ctx, info, calls, pooled)


def _unguarded_service_calls(
    ctx: FileContext, info: FunctionInfo, calls: list[ast.Call], pooled: dict[str, str]
) -> Iterator[Finding]:
    node = info.node
    scope = info.parents + (node,)
    candidates = {
        id(call)
        for call in calls
        if (isinstance(call.func, ast.Attribute) and call.func.attr in SERVICE_METHODS)
        or external(ctx, call.func, scope, CONNECT_FUNCTIONS, CONNECT_TAILS) is not None
    }
    if not candidates:
        return
    clients = _client_names(ctx, info, pooled)
    for call, guarded in _calls_with_guard(node):
        if guarded or id(call) not in candidates:
            continue
        func = call.func
        label: Optional[str] = None
        if isinstance(func, ast.Attribute) and func.attr in SERVICE_METHODS:
            if _is_client(ctx, func.value, clients, scope):
                label = dotted(func) or func.attr
        if label is None:
            name = external(ctx, func, scope, CONNECT_FUNCTIONS, CONNECT_TAILS)
            if name is not None:
                label = dotted(func) or name
        if label is not None:
            yield finding(call, RULE, call=label, func=info.name)


def _client_names(ctx: FileContext, info: FunctionInfo, pooled: dict[str, str]) -> set[str]:
    """Local names that hold a known client: typed parameters and assignments in the body."""
    names: set[str] = set()
    requests: set[str] = set()
    scope = info.parents + (info.node,)
    for decl in ctx.project.signature(ctx.module, info):
        if decl.param.annotation is None:
            continue
        type_name = param_type_name(ctx, decl)
        if type_name in SERVICE_CLIENT_TYPES:
            names.add(decl.param.arg)
        elif type_name in REQUEST_TYPES:
            requests.add(decl.param.arg)
    sources = frozenset(pooled) | CONNECT_FUNCTIONS
    tails = name_tails(sources)

    def is_source(expr: ast.expr) -> bool:
        if isinstance(expr, ast.Await):
            expr = expr.value
        if isinstance(expr, ast.Call):
            func = expr.func
            if external(ctx, func, scope, sources, tails) is not None:
                return True
            if isinstance(func, ast.Attribute) and func.attr in ACQUIRE_METHODS:
                return _is_client(ctx, func.value, names, scope, requests)
            return False
        return _is_client(ctx, expr, names, scope, requests)

    for sub in function_facts(ctx.module, info).body:
        if isinstance(sub, (ast.Assign, ast.AnnAssign)) and sub.value is not None:
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            if is_source(sub.value):
                names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(sub, WITH_TYPES):
            for item in sub.items:
                if isinstance(item.optional_vars, ast.Name) and is_source(item.context_expr):
                    names.add(item.optional_vars.id)
    return names


def _is_client(
    ctx: FileContext,
    expr: ast.expr,
    clients: set[str],
    scope: Scope,
    requests: Optional[set[str]] = None,
) -> bool:
    if isinstance(expr, ast.Name):
        return expr.id in clients
    text = dotted(expr)
    if text is None:
        return False
    # request.app.state.<client>, app.state.<client>: what the lifespan stored for
    # the application.  Not request.state.<x>: per-request data (a dict lookup,
    # often set by middleware), no client.
    parts = text.split(".")
    if len(parts) >= 3 and parts[-2] == "state" and parts[-3] == "app":
        head = parts[0]
        return head in ("request", "app", "websocket") or (requests is not None and head in requests)
    return False


def _calls_with_guard(func: FunctionNode) -> Iterator[tuple[ast.Call, bool]]:
    """Every call of the body, with "inside a try whose handler converts the error"."""
    work: list[tuple[Sequence[ast.stmt], bool]] = [(func.body, False)]
    while work:
        block, guarded = work.pop()
        for stmt in block:
            for root in header_exprs(stmt):
                for node in nodes_within((root,)):
                    if isinstance(node, ast.Call):
                        yield node, guarded
            if isinstance(stmt, TRY_TYPES):
                converts = any(
                    not (always_raises(h.body) and only_reraises(h.body, h))
                    for h in getattr(stmt, "handlers")
                )
                work.append((getattr(stmt, "body"), guarded or converts))
                for handler in getattr(stmt, "handlers"):
                    work.append((handler.body, guarded))
                work.append((getattr(stmt, "orelse"), guarded))
                work.append((getattr(stmt, "finalbody"), guarded))
            else:
                for _, child, _ in child_blocks(stmt):
                    work.append((child, guarded))
