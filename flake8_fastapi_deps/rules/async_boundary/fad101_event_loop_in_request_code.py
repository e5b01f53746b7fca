"""FAD101: an event loop is started or fetched inside a route or dependency.

An ``async def`` one already runs on the app's loop (``asyncio.run`` raises); a
plain ``def`` one runs in an AnyIO worker thread, which has no loop to get.
Test files are skipped: tests start loops on purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...catalogue import GET_LOOP, LOOP_RUNNERS, NEW_LOOP, RUNNING_LOOP, SET_LOOP
from ...facts.functions import function_facts
from ...model import FunctionInfo, ModuleInfo, Scope
from ._common import body_scope, external, label, where

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD101",
    "event-loop-in-request-code",
    "{call}() in {where} {problem}; {fix}",
    "An event loop is started or fetched inside a route or dependency.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test:
        return
    for info in ctx.request_functions():
        yield from _event_loops(ctx, info)


def _event_loops(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    mod = ctx.module
    scope = body_scope(info)
    reported: set[int] = set()  # loop calls already reported
    sets_loop = False
    candidates: list[tuple[ast.Call, str]] = []
    runs: list[ast.Call] = []
    for node in function_facts(mod, info).calls:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "run_until_complete":
            runs.append(node)
            continue
        name = external(ctx.project, mod, func, scope)
        if name is None:
            continue
        if name in SET_LOOP:
            sets_loop = True
        elif name in LOOP_RUNNERS or name in NEW_LOOP or name in GET_LOOP or name in RUNNING_LOOP:
            candidates.append((node, name))
    if not candidates and not runs:
        return
    place = where(ctx, info)
    for call, name in candidates:
        problem = fix = None
        if info.is_async:
            if name in LOOP_RUNNERS:
                problem = "raises RuntimeError: an event loop is already running"
                fix = "await the coroutine"
            elif name in NEW_LOOP:
                problem = "makes a loop that cannot run while the app's loop runs"
                fix = "await the coroutine"
            # get_event_loop()/get_running_loop() return the running loop: fine
        elif name in GET_LOOP or name in RUNNING_LOOP:
            if not sets_loop or name in RUNNING_LOOP:
                problem = "raises RuntimeError: no event loop in the AnyIO worker thread"
                fix = "make it async def"
        else:
            problem = "makes a throw-away event loop per request"
            fix = "use async def + await, or anyio.from_thread.run"
        if problem is not None:
            reported.add(id(call))
            yield finding(call, RULE, call=label(call.func), where=place, problem=problem, fix=fix)
    for call in runs:
        assert isinstance(call.func, ast.Attribute)
        receiver = call.func.value
        if id(receiver) in reported or _assigned_only_from(mod, receiver, scope, reported):
            continue  # the loop's creation is reported already
        if info.is_async:
            problem = "raises RuntimeError: this event loop is already running"
            fix = "await the coroutine"
        else:
            problem = "runs a separate event loop in the worker thread"
            fix = "use async def + await, or anyio.from_thread.run"
        yield finding(call, RULE, call=label(call.func), where=place, problem=problem, fix=fix)


def _assigned_only_from(mod: ModuleInfo, expr: ast.expr, scope: Scope, calls: set[int]) -> bool:
    """Is ``expr`` a local name every assignment of which is one of ``calls``?"""
    if not isinstance(expr, ast.Name) or not scope:
        return False
    values = mod.assignments.get(id(scope[-1]), {}).get(expr.id)
    return bool(values) and all(id(v) in calls for v in values or ())
