"""FAD104 (off by default): an ``async def`` route or dependency that never awaits.

It runs on the event loop for nothing: as a plain ``def`` FastAPI would run it
in a thread.  A body whose calls are all to pure builtins cannot block, so it
is left alone; so is one that needs the running loop (``asyncio.create_task``,
``get_running_loop``, ``loop.call_soon`` ...): as a ``def`` it would raise.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...catalogue import LOOP_METHODS, NEEDS_RUNNING_LOOP, PURE_BUILTINS
from ...facts.bindings import is_builtin_name
from ...facts.functions import function_facts
from ...model import FunctionInfo, ModuleInfo, Scope
from ._common import body_scope, where

if TYPE_CHECKING:
    from ...context import FileContext

# last names of NEEDS_RUNNING_LOOP: the cheap test before resolving a call
_LOOP_WORDS = frozenset(name.rsplit(".", 1)[-1] for name in NEEDS_RUNNING_LOOP)

RULE = Rule(
    "FAD104",
    "async-request-code-without-await",
    "{where} never awaits, yet runs on the event loop; make it def so FastAPI runs it in a thread",
    "An async def route or dependency that never awaits anything.",
    default_on=False,
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.request_functions():
        if info.is_async:
            yield from _never_awaits(ctx, info)


def _never_awaits(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    mod = ctx.module
    scope = body_scope(info)
    may_block = False
    raised: set[int] = set()
    for node in function_facts(mod, info).body:
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return
        if isinstance(node, ast.comprehension) and node.is_async:
            return
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised.add(id(node.exc))  # building the exception to raise
        elif isinstance(node, ast.Call):
            if _needs_running_loop(ctx, node, scope):
                return  # as a def, in a worker thread, this call would raise
            if not may_block and id(node) not in raised:
                may_block = not _harmless_call(mod, node, scope)
    if not may_block:
        return  # nothing here can block; on the loop it even saves a thread hop
    yield finding(info.node, RULE, where=where(ctx, info))


def _needs_running_loop(ctx: FileContext, call: ast.Call, scope: Scope) -> bool:
    """A call that raises without a running loop (NEEDS_RUNNING_LOOP), or a loop
    method that is not thread-safe on a receiver named ``...loop``."""
    func = call.func
    word = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if word is None:
        return False
    if isinstance(func, ast.Attribute) and word in LOOP_METHODS:
        receiver = func.value
        name = receiver.id if isinstance(receiver, ast.Name) else (
            receiver.attr if isinstance(receiver, ast.Attribute) else ""
        )
        if name.lower().endswith("loop"):
            return True
        # asyncio.get_running_loop().create_task(...): the receiver call answers below
    return word in _LOOP_WORDS and ctx.canonical(func, scope) in NEEDS_RUNNING_LOOP


def _harmless_call(mod: ModuleInfo, call: ast.Call, scope: Scope) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Name)
        and func.id in PURE_BUILTINS
        and is_builtin_name(mod, func, func.id, scope)
    )
