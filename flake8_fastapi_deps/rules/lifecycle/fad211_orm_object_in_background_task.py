"""FAD211: an ORM object loaded through the request's session handed to a background task.

The request's yield dependency closes its session before the task runs
(FastAPI 0.106-0.117, or any version with ``Depends(..., scope="function")``):
closing expunges every object the session loaded, so the task holds detached
objects and a lazy load (a relationship, an attribute expired by ``commit``)
raises ``DetachedInstanceError``.  From 0.118 the session stays open through the
task instead, checked out of the pool and used from the task's thread.

What counts as loaded (each step resolved, nothing guessed from names):

* ``db.get(User, id)`` / ``db.get_one(User, id)``;
* ``db.query(User)...first()/one()/one_or_none()/all()``;
* ``db.scalars(select(User)...).first()/one()/one_or_none()/all()``,
  ``db.scalar(select(User)...)``, ``db.execute(select(User)...).scalar_one()``
  (``.scalar_one_or_none()``, ``.scalar()``, ``.scalars().all()`` ...);
* ``session.exec(select(Hero)...).first()/one()/all()`` (SQLModel);
* each possibly awaited (``AsyncSession``);

where ``User`` is a project class that is an ORM model (a declarative
subclass, a SQLModel ``table=True`` class) and the statement selects it alone
(``select(User.id)`` and ``query(User.id)`` load plain rows).  ``.all()``
counts: a list of ORM objects is just as detached, element by element.  The
object is the argument itself or a local name every assignment of which is
such a load.  ``db`` is a parameter FAD204 would call request-scoped (injected
by a yield dependency that closes it, or annotated with a session type); a
connection yields rows, not ORM objects, so only ``get``/``query``/``exec``
(session-only methods) or a session type or a yielded session count.

Silent: ids and attributes (``user.id``), copies (``user.model_dump()``,
``UserOut.model_validate(user)``), counts, and a task function (resolved in the
project) that reattaches or reloads its parameter first (``s.merge(user)``,
``s.add(user)``, ``s.refresh(user)``, ``s.get(User, user.id)``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import (
    CONNECTION_TYPES,
    DB_SESSION_TYPES,
    ORM_GET_METHODS,
    ORM_RESULT_METHODS,
    ORM_SCALAR_METHODS,
    SCOPED_SESSIONS,
    SELECT_FUNCTIONS,
)
from ...facts.functions import function_facts
from ...facts.sessions import SESSION
from ...model import FunctionInfo, Scope, own_nodes, short_source
from ...names import dotted
from ...nodes import walk
from ...project import ClassSym, FuncSym
from ..structure._common import model_kind
from ._common import RequestResource, background_task_calls, request_resource, yielded_by

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD211",
    "orm-object-in-background-task",
    "{arg} ({how}) {what} of the request's session {session}; in a background task {fate}; "
    "pass ids and load them in the task",
    "An ORM object loaded through the request's session is handed to a background task.",
)

# methods only an ORM session has (a Connection has execute/scalars/scalar too)
_SESSION_ONLY = frozenset({"get", "get_one", "query", "exec"})
# query builder steps kept between the session call and the result method
_CHAIN_STEPS = frozenset(
    {"filter", "filter_by", "where", "order_by", "limit", "offset", "options", "join",
     "outerjoin", "distinct", "execution_options", "unique", "with_for_update", "params"}
)
# how deep a statement or query chain is followed
_MAX_CHAIN = 12
_REATTACH = frozenset({"merge", "add", "refresh", "get", "get_one", "add_all"})


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.request_functions():
        calls = function_facts(ctx.module, info).calls
        if calls:
            tasks = background_task_calls(ctx, info, calls)
            if tasks:
                yield from _loaded_objects(ctx, info, tasks)


def _loaded_objects(ctx: FileContext, info: FunctionInfo, tasks: list[ast.Call]) -> Iterator[Finding]:
    decls = {d.param.arg: d for d in ctx.project.signature(ctx.module, info)}
    scope = info.parents + (info.node,)
    loads: Optional[dict[str, list[ast.expr]]] = None
    sessions: dict[str, Optional[RequestResource]] = {}
    for call in tasks:
        values: list[tuple[ast.expr, Optional[int], Optional[str]]] = [
            (arg, index, None)
            for index, arg in enumerate(call.args[1:])
            if not isinstance(arg, ast.Starred)
        ]
        values += [(kw.value, None, kw.arg) for kw in call.keywords if kw.arg not in (None, "func")]
        for value, index, name in values:
            if isinstance(value, ast.Name):
                if value.id in decls:
                    continue  # a parameter: FAD204's ground
                if loads is None:
                    loads = _local_values(info)
                bound = loads.get(value.id)
                if not bound:
                    continue
            else:
                bound = [value]
            found = _one_load(ctx, bound, scope)
            if found is None:
                continue
            session_name, how, method = found
            decl = decls.get(session_name)
            if decl is None:
                continue
            if session_name not in sessions:
                sessions[session_name] = request_resource(ctx, decl)
            resource = sessions[session_name]
            if resource is None or not _is_orm_session(ctx, resource, method):
                continue
            if _task_reloads(ctx, call, scope, index, name):
                continue
            if resource.function_scope:
                fate = 'it is detached (scope="function"): lazy loads raise DetachedInstanceError'
            else:
                fate = (
                    "it is detached on FastAPI 0.106-0.117 (lazy loads raise "
                    "DetachedInstanceError), keeps the session checked out on 0.118+"
                )
            many = how.endswith(".all()")
            yield finding(
                value,
                RULE,
                arg=value.id if isinstance(value, ast.Name) else short_source(value, 30),
                how=how,
                what="are ORM objects" if many else "is an ORM object",
                session=session_name,
                fate=fate.replace("it is", "they are").replace(", keeps", ", keep") if many else fate,
            )


def _local_values(info: FunctionInfo) -> dict[str, list[ast.expr]]:
    """Name -> its assigned values, for names bound only by plain assignments in the body.

    A name also bound another way (a loop, ``with ... as``, unpacking, a
    walrus, ``+=``, an import, a nested def, ``global``) is left out: its value
    at the task call is not known.
    """
    values: dict[str, list[ast.expr]] = {}
    plain: set[int] = set()
    other: set[str] = set()
    stores: list[ast.Name] = []
    for node in own_nodes(info.node):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(node.value)
                    plain.add(id(target))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores.append(node)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            other.update(node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            other.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            other.add(node.name)
    other.update(n.id for n in stores if id(n) not in plain)
    return {name: found for name, found in values.items() if name not in other}


def _one_load(
    ctx: FileContext, bound: list[ast.expr], scope: Scope
) -> Optional[tuple[str, str, str]]:
    """(session name, how it was loaded, session method) when every value is a load
    through the same session."""
    found: Optional[tuple[str, str, str]] = None
    for value in bound:
        load = _load(ctx, value, scope)
        if load is None or (found is not None and load[0] != found[0]):
            return None
        found = found or load
    return found


def _load(ctx: FileContext, expr: ast.expr, scope: Scope) -> Optional[tuple[str, str, str]]:
    """(session name, label, session method) if ``expr`` loads ORM objects through a
    session parameter."""
    expr = _unawait(expr)
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
        return None
    method = expr.func.attr
    receiver = _unawait(expr.func.value)
    if method in ORM_GET_METHODS:
        if isinstance(receiver, ast.Name) and expr.args and _is_model(ctx, expr.args[0], scope):
            return receiver.id, f"{receiver.id}.{method}({dotted(expr.args[0])}, ...)", method
        return None
    if method in ORM_SCALAR_METHODS or method in ORM_RESULT_METHODS:
        return _result_load(ctx, receiver, method, scope)
    return None


def _result_load(
    ctx: FileContext, expr: ast.expr, last: str, scope: Scope
) -> Optional[tuple[str, str, str]]:
    """``<session call>[.steps]`` ending in result method ``last``."""
    steps = 0
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and steps < _MAX_CHAIN:
        method = expr.func.attr
        receiver = _unawait(expr.func.value)
        if isinstance(receiver, ast.Name):
            label = f"{receiver.id}.{method}(...).{last}()"
            if method == "query" and last in ORM_RESULT_METHODS:
                if len(expr.args) == 1 and _is_model(ctx, expr.args[0], scope):
                    return receiver.id, label, method
                return None
            if method in ("scalars", "exec") and last in ORM_RESULT_METHODS:
                if expr.args and _selects_model(ctx, expr.args[0], scope):
                    return receiver.id, label, method
                return None
            if method == "execute" and last in ORM_SCALAR_METHODS:
                if expr.args and _selects_model(ctx, expr.args[0], scope):
                    return receiver.id, label, method
                return None
            return None
        if method == "scalars" and not expr.args and last in ORM_RESULT_METHODS:
            # db.execute(select(User)).scalars().all()
            inner = _unawait(receiver)
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr == "execute"
            ):
                return _relabel(_result_load(ctx, inner, "scalar_one", scope), last)
            return None
        if method not in _CHAIN_STEPS:
            return None
        expr = receiver
        steps += 1
    return None


def _unawait(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Await) else expr


def _relabel(found: Optional[tuple[str, str, str]], last: str) -> Optional[tuple[str, str, str]]:
    if found is None:
        return None
    name, _, method = found
    return name, f"{name}.{method}(...).scalars().{last}()", method


def _selects_model(ctx: FileContext, stmt: ast.expr, scope: Scope) -> bool:
    """``select(User)[.where(...)...]``, a single ORM entity."""
    steps = 0
    while isinstance(stmt, ast.Call) and steps < _MAX_CHAIN:
        func = stmt.func
        if isinstance(func, ast.Attribute) and func.attr in _CHAIN_STEPS:
            stmt = func.value
            steps += 1
            continue
        if not isinstance(func, (ast.Name, ast.Attribute)):
            return False
        if ctx.canonical(func, scope) not in SELECT_FUNCTIONS:
            return False
        return len(stmt.args) == 1 and not stmt.keywords and _is_model(ctx, stmt.args[0], scope)
    return False


def _is_model(ctx: FileContext, expr: ast.expr, scope: Scope) -> bool:
    """Is ``expr`` a project class that is an ORM model?"""
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return False
    sym = ctx.resolve(expr, scope)
    return isinstance(sym, ClassSym) and model_kind(ctx.project, sym.module, sym.node) == "orm"


def _is_orm_session(ctx: FileContext, resource: RequestResource, method: str) -> bool:
    """Does the resource load ORM objects (a session, not a plain connection)?"""
    type_name = resource.type_name
    if type_name is not None:
        if type_name in CONNECTION_TYPES:
            return False
        if type_name in DB_SESSION_TYPES or type_name in SCOPED_SESSIONS:
            return True
    if method in _SESSION_ONLY:
        return True
    dep = resource.dep
    return dep is not None and yielded_by(ctx, dep).kind == SESSION


def _task_reloads(
    ctx: FileContext, call: ast.Call, scope: Scope, index: Optional[int], name: Optional[str]
) -> bool:
    """Does the task function (resolved in the project) reattach or reload the parameter
    the object is passed as, before using it?"""
    fn: Optional[ast.expr] = call.args[0] if call.args else None
    if fn is None:
        for kw in call.keywords:
            if kw.arg == "func":
                fn = kw.value
    if not isinstance(fn, (ast.Name, ast.Attribute)):
        return False
    sym = ctx.resolve(fn, scope)
    if not isinstance(sym, FuncSym):
        return False
    args = sym.node.args
    positional = [*args.posonlyargs, *args.args]
    if sym.info.cls is not None and positional and isinstance(fn, ast.Attribute):
        positional = positional[1:]  # a bound method: self is not passed
    param: Optional[str] = name
    if index is not None:
        if index >= len(positional):
            return False
        param = positional[index].arg
    if param is None:
        return False
    for node in function_facts(sym.module, sym.info).body:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _REATTACH
        ):
            passed = [*node.args, *(kw.value for kw in node.keywords)]
            if any(isinstance(n, ast.Name) and n.id == param for n in walk(passed)):
                return True
    return False
