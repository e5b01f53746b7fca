"""FAD102: a blocking call inside an ``async def`` route or dependency.

The call is made right in the function's own body, or in a project helper it
runs: a sync function it calls, or a coroutine it awaits or hands to
``asyncio.gather``/``create_task``/``wait_for``/``ensure_future``/``shield``
(followed up to :data:`MAX_HELPER_DEPTH` functions deep, at most
:data:`MAX_FOLLOWED` callees per function).  Methods are followed where the
receiver's class is known (:mod:`~flake8_fastapi_deps.facts.receivers`).
Awaited calls and calls handed to a thread are not made on the loop.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple, Optional

from ...base import Finding, Rule, finding
from ...catalogue import (
    BLOCKING_CALLS,
    BLOCKING_HTTP_CALLS,
    BOTO3_CLIENT,
    BOTO3_LOCAL_METHODS,
    BOTO3_RESOURCE,
    COROUTINE_RUNNERS,
    PATH_IO_METHODS,
    PATH_TYPES,
    SHUTIL_BLOCKING,
    SLACK_BOLT_SYNC_HANDLERS,
    SLACK_WEB_CLIENTS,
    SLEEP,
    SYNC_HTTP_CLIENT_METHODS,
    SYNC_HTTP_CLIENT_TYPES,
    TASK_METHODS,
)
from ...facts.bindings import is_builtin_name
from ...facts.functions import function_facts
from ...facts.receivers import FunctionReceivers, method_of, receivers
from ...memo import Slot
from ...model import FunctionInfo, ModuleInfo, Scope, own_nodes
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

# How deep FAD102 follows project helpers: request code -> f -> g -> h -> open().
MAX_HELPER_DEPTH = 3
# How many project callees of one function FAD102 follows (each may parse a module).
MAX_FOLLOWED = 32

# Sentinel fix of a chain whose next step is a sync project helper (named by the caller).
_OFFLOAD = ""


class _Chain(NamedTuple):
    """A way a function blocks: the calls from inside it to the blocking one."""

    conditional: bool  # some step sits behind an if / a loop / a try
    steps: tuple[str, ...]
    fix: str  # the fix when the function holding the first step is async

    def rank(self) -> tuple[bool, int]:
        return (self.conditional, len(self.steps))


# id of a function node -> does calling it run its body now, every time?  Per module.
_FOLLOWABLE: Slot[dict[int, bool]] = Slot("fad102.followable")
# (function key, budget) -> the best blocking chain from inside it (None: none).  Per module.
_CHAINS: Slot[dict[tuple[tuple[int, int], int], Optional[_Chain]]] = Slot("fad102.chains")
# id of a function node -> ids of the calls behind an if / a loop / a try.  Per module.
_CONDITIONAL: Slot[dict[int, frozenset[int]]] = Slot("fad102.conditional")


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.request_functions():
        if info.is_async:
            yield from _blocking_calls(ctx, info)


def _blocking_calls(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    mod = ctx.module
    project = ctx.project
    facts = function_facts(mod, info)
    calls = facts.calls
    if not calls:
        return
    scope = body_scope(info)
    place = where(ctx, info)
    awaited = facts.awaited
    scheduled = _scheduled(project, mod, calls, scope)
    recv = receivers(project, mod, info)
    for call in calls:
        runs_now = id(call) in awaited or id(call) in scheduled
        direct = _direct_blocking(project, mod, call, scope, recv, id(call) in awaited)
        if direct is not None:
            text, name = direct
            yield finding(call, RULE, chain=text, where=place, fix=_fix_for(name, None))
            continue
        callee = _followable(project, mod, call, scope, recv, runs_now)
        if callee is None:
            continue
        chain = _blocking_chain(project, callee, MAX_HELPER_DEPTH)
        if chain is not None:
            first = label(call.func)
            fix = chain.fix if callee.info.is_async else _fix_for(None, first)
            yield finding(
                call,
                RULE,
                chain=" -> ".join((f"{first}()", *chain.steps)),
                where=place,
                fix=fix,
            )


def _fix_for(name: Optional[str], helper: Optional[str]) -> str:
    if helper is not None:
        return f"offload {helper}() with run_in_threadpool"
    if name == SLEEP:
        return "use await asyncio.sleep()"
    if name in BLOCKING_HTTP_CALLS or name in SYNC_HTTP_CLIENT_TYPES:
        return "use httpx.AsyncClient, or def"
    if name in SLACK_BOLT_SYNC_HANDLERS:
        return "use AsyncSlackRequestHandler with an AsyncApp"
    if name in SLACK_WEB_CLIENTS:
        return "use slack_sdk's AsyncWebClient, or def"
    return "use def, or await run_in_threadpool(...)"


def _fix_inside(name: str, helper: str) -> str:
    """The fix of a blocking call made by the coroutine ``helper`` (a ``def`` is no fix there)."""
    if name == SLEEP:
        return f"use await asyncio.sleep() in {helper}()"
    if name in BLOCKING_HTTP_CALLS or name in SYNC_HTTP_CLIENT_TYPES:
        return f"use httpx.AsyncClient in {helper}()"
    if name in SLACK_BOLT_SYNC_HANDLERS:
        return "use AsyncSlackRequestHandler with an AsyncApp"
    return f"offload the call in {helper}() with run_in_threadpool"


def _scheduled(project: Project, mod: ModuleInfo, calls: list[ast.Call], scope: Scope) -> set[int]:
    """``id`` of the coroutine calls handed to a runner that runs them on the loop:
    ``asyncio.gather(f(), g())``, ``asyncio.create_task(f())``, ``tg.create_task(f())``."""
    found: set[int] = set()
    for call in calls:
        if not call.args:
            continue
        func = call.func
        if not (
            (isinstance(func, ast.Attribute) and func.attr in TASK_METHODS)
            or external(project, mod, func, scope) in COROUTINE_RUNNERS
        ):
            continue
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                arg = arg.value
                if isinstance(arg, (ast.ListComp, ast.GeneratorExp)):
                    arg = arg.elt
                elif isinstance(arg, (ast.List, ast.Tuple)):
                    found.update(id(e) for e in arg.elts if isinstance(e, ast.Call))
                    continue
            if isinstance(arg, ast.Call):
                found.add(id(arg))
    return found


def _direct_blocking(
    project: Project,
    mod: ModuleInfo,
    call: ast.Call,
    scope: Scope,
    recv: FunctionReceivers,
    awaited: bool = False,
) -> Optional[tuple[str, str]]:
    """(label, canonical name) when ``call`` itself blocks, else None."""
    func = call.func
    if awaited:
        # only a coroutine that runs sync code on the loop blocks when awaited
        if isinstance(func, ast.Attribute) and func.attr == "handle":
            kind = recv.of(func.value)
            if kind is not None and kind.external in SLACK_BOLT_SYNC_HANDLERS:
                return f"{label(func)}() (sync SlackRequestHandler)", kind.external
        return None
    if is_builtin_name(mod, func, "open", scope):
        return "open()", "builtins.open"
    name = external(project, mod, func, scope)
    if name is not None:
        extra = project.options.blocking_calls
        if name in BLOCKING_CALLS or name in SHUTIL_BLOCKING or name in extra:
            return _with_name(func, name), name
    elif project.options.blocking_calls:
        qualified = mod.imports.qualified(func)
        if qualified is not None and qualified in project.options.blocking_calls:
            return _with_name(func, qualified), qualified
    if isinstance(func, ast.Attribute):
        return _blocking_method(func, recv)
    return None


def _blocking_method(func: ast.Attribute, recv: FunctionReceivers) -> Optional[tuple[str, str]]:
    """A blocking method of a library object whose type the receiver typing knows."""
    attr = func.attr
    receiver = func.value
    kind = recv.of(receiver)
    if kind is None or kind.external is None:
        return None
    made = kind.external
    if made in SYNC_HTTP_CLIENT_TYPES:
        if attr in SYNC_HTTP_CLIENT_METHODS:
            short = "requests.Session" if made.startswith("requests.") else made
            return f"{label(func)}() ({short}.{attr})", made
    elif made in PATH_TYPES:
        if attr in PATH_IO_METHODS:
            return f"{label(func)}() (Path.{attr})", made
    elif made == BOTO3_CLIENT or made == BOTO3_RESOURCE:
        if attr[:1].islower() and attr not in BOTO3_LOCAL_METHODS:
            what = "client" if made == BOTO3_CLIENT else "resource"
            return f"{label(func)}() (boto3 {what})", made
    elif made in SLACK_WEB_CLIENTS:
        if attr[:1] != "_":
            return f"{label(func)}() (slack_sdk.WebClient)", made
    elif made in SLACK_BOLT_SYNC_HANDLERS:
        if attr == "handle":
            return f"{label(func)}() (sync SlackRequestHandler)", made
    return None


def _with_name(func: ast.expr, name: str) -> str:
    text = label(func)
    return f"{text}()" if text == name else f"{text}() ({name})"


def _followable(
    project: Project,
    mod: ModuleInfo,
    call: ast.Call,
    scope: Scope,
    recv: FunctionReceivers,
    runs_now: bool,
) -> Optional[FuncSym]:
    """The project function ``call`` runs right away, if FAD102 may look inside it: a
    sync function, or a coroutine function when the call is awaited or scheduled
    (``runs_now``); a method when the receiver's class is known."""
    func = call.func
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return None
    sym = symbol(project, mod, func, scope)
    if sym is None and isinstance(func, ast.Attribute):
        kind = recv.of(func.value)
        if kind is not None and kind.cls is not None:
            sym = method_of(project, kind, func.attr)
    if not isinstance(sym, FuncSym):
        return None
    if sym.info.is_async and not runs_now:
        return None  # a coroutine made and not run here
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
    filled: set[str] = set()
    tested: set[str] = set()
    for inner in function_facts(sym.module, sym.info).body:
        if isinstance(inner, (ast.Yield, ast.YieldFrom)):
            return False  # calling a generator function runs none of its body
        if isinstance(inner, (ast.Global, ast.Nonlocal)):
            memo.update(inner.names)
        elif isinstance(inner, ast.If):
            tested.update(n.id for n in walk([inner.test]) if isinstance(n, ast.Name))
        elif isinstance(inner, ast.Assign):
            # cache[key] = value: a dict of the module (or an enclosing function) filled here
            for target in inner.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    filled.add(target.value.id)
    local = sym.module.assignments.get(id(sym.node), {})
    memo.update(
        name for name in filled if name not in local and all(p.arg != name for p, _ in sym.info.params)
    )
    # loads once into a global (or a module-level dict) it checks first: a one-time
    # cost, like lru_cache
    return not memo & tested


def _conditional_calls(sym: FuncSym) -> frozenset[int]:
    """``id`` of the calls of ``sym``'s body that run only sometimes: behind an ``if``,
    in a loop's body, in a ``try`` or a ``match`` case, after a statement that may
    return or raise, in one branch of ``a if c else b`` or after the first operand
    of ``and``/``or`` (``with`` bodies run)."""
    table = _CONDITIONAL.of(sym.module, dict)
    found = table.get(id(sym.node))
    if found is not None:
        return found
    inner: list[ast.AST] = []
    exited = False  # a statement before may have returned or raised
    stack: list[Iterator[ast.stmt]] = [iter(sym.node.body)]
    while stack:
        stmt = next(stack[-1], None)
        if stmt is None:
            stack.pop()
            continue
        if exited:
            inner.append(stmt)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            stack.append(iter(stmt.body))
        elif isinstance(stmt, (ast.Return, ast.Raise)):
            exited = True
        elif isinstance(stmt, (ast.If, ast.While, ast.For, ast.AsyncFor)):
            inner.extend(stmt.body)
            inner.extend(stmt.orelse)
            exited = _may_exit(stmt)
        elif isinstance(stmt, ast.Try) or stmt.__class__.__name__ in ("TryStar", "Match"):
            inner.append(stmt)
            exited = _may_exit(stmt)
    calls = {id(node) for node in walk(inner) if isinstance(node, ast.Call)}
    branches: list[ast.AST] = []
    for node in function_facts(sym.module, sym.info).body:
        if isinstance(node, ast.IfExp):
            branches.extend((node.body, node.orelse))
        elif isinstance(node, ast.BoolOp):
            branches.extend(node.values[1:])
    calls.update(id(node) for node in walk(branches) if isinstance(node, ast.Call))
    found = table[id(sym.node)] = frozenset(calls)
    return found


def _may_exit(stmt: ast.stmt) -> bool:
    """Can ``stmt`` return or raise out of the function (nested defs apart)?"""
    return any(isinstance(node, (ast.Return, ast.Raise)) for node in own_nodes(stmt))


def _blocking_chain(project: Project, sym: FuncSym, budget: int) -> Optional[_Chain]:
    """The best chain of calls from inside ``sym`` to a blocking call.

    Best: an unconditional chain before one behind an ``if``/loop/``try``, then
    the shortest, then the first in the body.  ``budget`` is how many project
    functions the chain may pass through, ``sym`` included.  The answer depends
    only on (function, budget), so it is cached in the function's module; the
    budget also ends cycles.
    """
    cache = _CHAINS.of(sym.module, dict)
    key = (sym.info.key, budget)
    if key in cache:
        return cache[key]
    cache[key] = None
    mod = sym.module
    info = sym.info
    scope = body_scope(info)
    recv = receivers(project, mod, info)
    facts = function_facts(mod, info)
    calls = facts.calls
    awaited = facts.awaited if info.is_async else frozenset()
    best: Optional[_Chain] = None
    conditional: Optional[frozenset[int]] = None
    for call in calls:
        direct = _direct_blocking(project, mod, call, scope, recv, id(call) in awaited)
        if direct is None:
            continue
        if conditional is None:
            conditional = _conditional_calls(sym)
        found = _Chain(id(call) in conditional, (direct[0],), _fix_inside(direct[1], info.name))
        if best is None or found.rank() < best.rank():
            best = found
            if not found.conditional:
                break
    if budget > 1 and (best is None or best.conditional):
        scheduled = _scheduled(project, mod, calls, scope) if info.is_async else set()
        followed = 0
        for call in calls:
            runs_now = id(call) in awaited or id(call) in scheduled
            callee = _followable(project, mod, call, scope, recv, runs_now)
            if callee is None or callee.node is sym.node:
                continue
            followed += 1
            if followed > MAX_FOLLOWED:
                break
            sub = _blocking_chain(project, callee, budget - 1)
            if sub is None:
                continue
            if conditional is None:
                conditional = _conditional_calls(sym)
            first = label(call.func)
            fix = sub.fix if callee.info.is_async else _fix_for(None, first)
            found = _Chain(
                sub.conditional or id(call) in conditional, (f"{first}()", *sub.steps), fix
            )
            if best is None or found.rank() < best.rank():
                best = found
                if found.rank() == (False, 2):
                    break
    cache[key] = best
    return best
