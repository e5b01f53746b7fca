"""FAD103: an ``async def`` route or dependency works with a synchronous database session.

The session comes from a parameter's annotation, or from the annotated return
type of the dependency the parameter declares; it matters only when the body
does I/O with it on the loop (see :func:`_blocking_uses`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import (
    BACKGROUND_TASK_TYPES,
    ITERATOR_TYPES,
    OFFLOADERS,
    PARTIAL,
    SYNC_SESSION_TYPES,
    UNION_TYPES,
)
from ...facts.functions import function_facts
from ...model import FunctionInfo, ModuleInfo, Scope, annotated_parts
from ...names import dotted
from ...project import ClassSym, ExternalSym, FuncSym, ValueSym
from ._common import body_scope, external, head, label, symbol, where

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD103",
    "sync-session-in-async-request-code",
    "{param} gets a sync {session}{source} in {where}; its queries block the event loop: "
    "use AsyncSession or def",
    "An async route or dependency works with a synchronous database session.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.request_functions():
        if info.is_async:
            yield from _sync_sessions(ctx, info)


def _sync_sessions(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    project = ctx.project
    mod = ctx.module
    # a session comes from a parameter's annotation or its dependency: a
    # parameter with neither, or no parameter at all, needs no walk of the body
    params = {
        param.arg
        for param, default in info.params
        if param.annotation is not None or default is not None
    }
    if not params:
        return
    used = _blocking_uses(ctx, info)
    if not any(used.get(name, False) for name in params):
        return  # no parameter is queried here: no need to know their types
    for decl in project.signature(mod, info):
        if not used.get(decl.param.arg, False):
            continue
        session = _session_type(ctx, mod, decl.param.annotation, info.parents)
        source = ""
        if session is None and decl.target is not None:
            dep = project.resolve(decl.module, decl.target, decl.scope)
            if isinstance(dep, FuncSym):
                session = _provided_session(ctx, dep)
                if session is not None:
                    source = f" from {dotted(decl.target) or dep.info.name}"
        if session is None:
            continue
        yield finding(
            decl.param,
            RULE,
            param=decl.param.arg,
            session=session,
            source=source,
            where=where(ctx, info),
        )


def _session_type(
    ctx: FileContext, mod: ModuleInfo, expr: Optional[ast.expr], scope: Scope, depth: int = 0
) -> Optional[str]:
    """The sync session class ``expr`` (an annotation) names, as the user wrote it."""
    if expr is None or depth > 6:
        return None
    project = ctx.project
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        try:
            parsed = ast.parse(expr.value.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return None
        return _session_type(ctx, mod, parsed, scope, depth + 1)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        return _session_type(ctx, mod, expr.left, scope, depth + 1) or _session_type(
            ctx, mod, expr.right, scope, depth + 1
        )
    if isinstance(expr, ast.Subscript):
        parts = annotated_parts(mod.imports, expr)
        if parts:
            return _session_type(ctx, mod, parts[0], scope, depth + 1)
        if external(project, mod, expr.value, scope) in UNION_TYPES:
            inner = expr.slice
            members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            for member in members:
                found = _session_type(ctx, mod, member, scope, depth + 1)
                if found is not None:
                    return found
        return None
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return None
    name = external(project, mod, expr, scope)
    if name is not None:
        if name in SYNC_SESSION_TYPES or name in ctx.options.sync_session_types:
            return label(expr)
        return None
    sym = symbol(project, mod, expr, scope)
    if isinstance(sym, ValueSym):  # a type alias
        return _session_type(ctx, sym.module, sym.value, (), depth + 1)
    if isinstance(sym, ClassSym):  # a project subclass of a sync session
        for base in project.class_bases(sym):
            if isinstance(base, ExternalSym) and (
                base.name in SYNC_SESSION_TYPES or base.name in ctx.options.sync_session_types
            ):
                return sym.node.name
    return None


def _provided_session(ctx: FileContext, dep: FuncSym) -> Optional[str]:
    """The sync session class a dependency returns or yields, by its annotation."""
    returns = dep.node.returns
    if returns is None:
        return None
    mod = dep.module
    scope = dep.info.parents
    if (
        isinstance(returns, ast.Subscript)
        and external(ctx.project, mod, returns.value, scope) in ITERATOR_TYPES
    ):
        inner = returns.slice
        returns = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
    return _session_type(ctx, mod, returns, scope)


def _blocking_uses(ctx: FileContext, info: FunctionInfo) -> dict[str, bool]:
    """Name -> does this function do I/O with it on the loop?

    I/O is a method call on it (``db.query(...)``, ``db.commit()``) or handing
    it to a function (``crud.list_items(db)``), which then queries.  Handing it
    to a thread (``run_in_threadpool(f, db)``, ``add_task(f, db)``), binding it
    (``partial``), wrapping it in an object (``Repo(db)``), returning or storing
    it is not.  A name that is ever awaited on (``await db.execute(...)``) is
    no sync session whatever its annotation says, so it maps to False.
    """
    mod = ctx.module
    project = ctx.project
    scope = body_scope(info)
    used: dict[str, bool] = {}
    awaited_on: set[str] = set()
    for node in function_facts(mod, info).body:
        if isinstance(node, ast.Await):
            first = head(node.value.func if isinstance(node.value, ast.Call) else node.value)
            if first is not None:
                awaited_on.add(first)
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = head(func)
            if receiver is not None:
                used[receiver] = True  # db.query(...), db.query(X).all()
        if not node.args and not node.keywords:
            continue
        if _hands_over(ctx, mod, node, scope):
            continue
        if isinstance(func, (ast.Name, ast.Attribute)):
            callee = symbol(project, mod, func, scope)
            last = func.id if isinstance(func, ast.Name) else func.attr
            if isinstance(callee, ClassSym) or last[:1].isupper():
                continue  # Repo(db): a constructor stores it
        for arg in (*node.args, *(kw.value for kw in node.keywords)):
            if isinstance(arg, ast.Starred):
                arg = arg.value
            if isinstance(arg, ast.Name):
                used[arg.id] = True
    for name in awaited_on:
        used[name] = False
    return used


def _hands_over(ctx: FileContext, mod: ModuleInfo, call: ast.Call, scope: Scope) -> bool:
    """Does ``call`` pass its arguments on without using them on the loop?"""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("run_in_executor", "add_task"):
        return True
    name = external(ctx.project, mod, func, scope)
    return name in OFFLOADERS or name == PARTIAL or name in BACKGROUND_TASK_TYPES
