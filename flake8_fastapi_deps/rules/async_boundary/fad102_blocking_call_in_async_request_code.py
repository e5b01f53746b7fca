"""FAD102: a blocking call inside an ``async def`` route or dependency.

The call is made right in the function's own body, or in a sync project helper
it calls (followed up to :data:`MAX_HELPER_DEPTH` functions deep).  Awaited
calls and calls handed to a thread are not made on the loop.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import (
    BLOCKING_CALLS,
    BLOCKING_HTTP_CALLS,
    SLEEP,
    SYNC_HTTP_CLIENT_METHODS,
    SYNC_HTTP_CLIENT_TYPES,
)
from ...facts.bindings import is_builtin_name
from ...facts.functions import function_facts
from ...memo import Slot
from ...model import FunctionInfo, ModuleInfo, Scope, annotated_parts, bound_in_scope
from ...nodes import walk
from ...project import FuncSym, Project
from ._common import body_scope, external, label, symbol, where

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD102",
    "blocking-call-in-async-request-code",
    "{chain} blocks the event loop in {where}; {fix}",
    "A blocking call (directly or in a sync helper) inside an async route or dependency.",
)

# How deep FAD102 follows sync project helpers: request code -> f -> g -> h -> open().
MAX_HELPER_DEPTH = 3

# id of a function node -> does calling it run its body now, every time?  Per module.
_FOLLOWABLE: Slot[dict[int, bool]] = Slot("fad102.followable")
# (function key, budget) -> the shortest blocking chain from inside it (None: none).  Per module.
_CHAINS: Slot[dict[tuple[tuple[int, int], int], Optional[tuple[str, ...]]]] = Slot("fad102.chains")


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.request_functions():
        if info.is_async:
            yield from _blocking_calls(ctx, info)


def _blocking_calls(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    mod = ctx.module
    project = ctx.project
    calls = function_facts(mod, info).calls
    if not calls:
        return
    scope = body_scope(info)
    place = where(ctx, info)
    awaited = function_facts(mod, info).awaited
    clients = _ClientNames(project, mod, info)
    for call in calls:
        if id(call) in awaited:
            continue
        direct = _direct_blocking(project, mod, call, scope, clients)
        if direct is not None:
            text, name = direct
            yield finding(call, RULE, chain=text, where=place, fix=_fix_for(name, None))
            continue
        callee = _followable(project, mod, call, scope)
        if callee is None:
            continue
        chain = _blocking_chain(project, callee, MAX_HELPER_DEPTH)
        if chain is not None:
            first = label(call.func)
            yield finding(
                call,
                RULE,
                chain=" -> ".join((f"{first}()", *chain)),
                where=place,
                fix=_fix_for(None, first),
            )


def _fix_for(name: Optional[str], helper: Optional[str]) -> str:
    if helper is not None:
        return f"offload {helper}() with run_in_threadpool"
    if name == SLEEP:
        return "use await asyncio.sleep()"
    if name in BLOCKING_HTTP_CALLS or name in SYNC_HTTP_CLIENT_TYPES:
        return "use httpx.AsyncClient, or def"
    return "use def, or await run_in_threadpool(...)"


class _ClientNames:
    """Names in one function bound only to a sync HTTP client (requests.Session, httpx.Client)."""

    def __init__(self, project: Project, mod: ModuleInfo, info: FunctionInfo) -> None:
        self.project = project
        self.mod = mod
        self.info = info
        self._known: dict[str, Optional[str]] = {}
        self._with: Optional[dict[str, list[ast.expr]]] = None
        self._stored: set[str] = set()

    def client_type(self, name: str) -> Optional[str]:
        if name not in self._known:
            self._known[name] = self._compute(name)
        return self._known[name]

    def _with_bindings(self) -> dict[str, list[ast.expr]]:
        if self._with is None:
            self._with = {}
            for node in function_facts(self.mod, self.info).body:
                if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                    self._with.setdefault(node.optional_vars.id, []).append(node.context_expr)
                elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    self._stored.add(node.id)
        return self._with

    def _compute(self, name: str) -> Optional[str]:
        mod, info = self.mod, self.info
        scope = body_scope(info)
        for param, _ in info.params:
            if param.arg == name:
                return self._type_of(param.annotation, scope, annotation=True)
        values = list(mod.assignments.get(id(info.node), {}).get(name, ()))
        values += self._with_bindings().get(name, [])
        if values or name in mod.assignments.get(id(info.node), {}) or name in self._stored:
            # every binding must make a client (a for-loop target, say, makes none we know)
            if name in self._stored and not values:
                return None
            return self._all_clients(values, scope)
        if bound_in_scope(mod, name, info.parents):
            return None  # a closure variable: not followed
        module_values = mod.assignments.get(0, {}).get(name)
        if module_values and isinstance(mod.toplevel.get(name), ast.expr):
            return self._all_clients(list(module_values), ())
        return None

    def _all_clients(self, values: list[ast.expr], scope: Scope) -> Optional[str]:
        found: Optional[str] = None
        for value in values:
            kind = self._type_of(value, scope, annotation=not isinstance(value, ast.Call))
            if kind is None:
                return None
            found = kind
        return found

    def _type_of(self, expr: Optional[ast.expr], scope: Scope, annotation: bool) -> Optional[str]:
        if expr is None:
            return None
        if annotation:
            parts = annotated_parts(self.mod.imports, expr)
            if parts:
                expr = parts[0]
            name = external(self.project, self.mod, expr, scope)
            return name if name in SYNC_HTTP_CLIENT_TYPES else None
        if isinstance(expr, ast.Call):
            name = external(self.project, self.mod, expr.func, scope)
            return name if name in SYNC_HTTP_CLIENT_TYPES else None
        return None


def _direct_blocking(
    project: Project, mod: ModuleInfo, call: ast.Call, scope: Scope, clients: _ClientNames
) -> Optional[tuple[str, str]]:
    """(label, canonical name) when ``call`` itself blocks, else None."""
    func = call.func
    if is_builtin_name(mod, func, "open", scope):
        return "open()", "builtins.open"
    name = external(project, mod, func, scope)
    if name is not None:
        extra = project.options.blocking_calls
        if name in BLOCKING_CALLS or name in extra:
            return _with_name(func, name), name
    elif project.options.blocking_calls:
        qualified = mod.imports.qualified(func)
        if qualified is not None and qualified in project.options.blocking_calls:
            return _with_name(func, qualified), qualified
    if isinstance(func, ast.Attribute) and func.attr in SYNC_HTTP_CLIENT_METHODS:
        receiver = func.value
        kind: Optional[str] = None
        if isinstance(receiver, ast.Name):
            kind = clients.client_type(receiver.id)
        elif isinstance(receiver, ast.Call):
            made = external(project, mod, receiver.func, scope)
            kind = made if made in SYNC_HTTP_CLIENT_TYPES else None
        if kind is not None:
            short = "requests.Session" if kind.startswith("requests.") else kind
            return f"{label(func)}() ({short}.{func.attr})", kind
    return None


def _with_name(func: ast.expr, name: str) -> str:
    text = label(func)
    return f"{text}()" if text == name else f"{text}() ({name})"


def _followable(project: Project, mod: ModuleInfo, call: ast.Call, scope: Scope) -> Optional[FuncSym]:
    """The sync project function ``call`` runs right away, if FAD102 may look inside it."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    sym = symbol(project, mod, call.func, scope)
    if not isinstance(sym, FuncSym) or sym.info.is_async:
        return None
    return sym if _may_follow(sym) else None


def _may_follow(sym: FuncSym) -> bool:
    """Does calling ``sym`` run its body now, every time?  Cached per function."""
    table = _FOLLOWABLE.of(sym.module, dict)
    known = table.get(id(sym.node))
    if known is None:
        known = table[id(sym.node)] = _runs_body_each_call(sym)
    return known


def _runs_body_each_call(sym: FuncSym) -> bool:
    node = sym.node
    for deco in node.decorator_list:
        # an unknown decorator may offload or cache the call
        if not (isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod")):
            return False
    memo: set[str] = set()
    tested: set[str] = set()
    for inner in function_facts(sym.module, sym.info).body:
        if isinstance(inner, (ast.Yield, ast.YieldFrom)):
            return False  # calling a generator function runs none of its body
        if isinstance(inner, (ast.Global, ast.Nonlocal)):
            memo.update(inner.names)
        elif isinstance(inner, ast.If):
            tested.update(n.id for n in walk([inner.test]) if isinstance(n, ast.Name))
    # loads once into a global it checks first: a one-time cost, like lru_cache
    return not memo & tested


def _blocking_chain(project: Project, sym: FuncSym, budget: int) -> Optional[tuple[str, ...]]:
    """The shortest chain of calls from inside ``sym`` to a blocking call.

    ``budget`` is how many project functions the chain may pass through,
    ``sym`` included.  The answer depends only on (function, budget), so it is
    cached in the function's module; the budget also ends cycles.
    """
    cache = _CHAINS.of(sym.module, dict)
    key = (sym.info.key, budget)
    if key in cache:
        return cache[key]
    cache[key] = None
    mod = sym.module
    scope = body_scope(sym.info)
    clients = _ClientNames(project, mod, sym.info)
    calls = function_facts(mod, sym.info).calls
    best: Optional[tuple[str, ...]] = None
    for call in calls:
        direct = _direct_blocking(project, mod, call, scope, clients)
        if direct is not None:
            best = (direct[0],)
            break
    if best is None and budget > 1:
        for call in calls:
            callee = _followable(project, mod, call, scope)
            if callee is None or callee.node is sym.node:
                continue
            sub = _blocking_chain(project, callee, budget - 1)
            if sub is not None and (best is None or len(sub) + 1 < len(best)):
                best = (f"{label(call.func)}()", *sub)
                if len(best) == 2:
                    break
    cache[key] = best
    return best
