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
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple, Optional

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
from ...facts.handed import MAX_DEPTH, Passed, callee, class_of, key_of, rebound
from ...facts.sessions import SESSION
from ...model import FunctionInfo, ModuleInfo, Scope, own_nodes, short_source
from ...names import dotted
from ...nodes import walk
from ...project import ClassSym, FuncSym, Project
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
# calls that take an object out of its session (then it is no longer "of the request's session")
_DETACH = frozenset({"expunge", "expunge_all", "make_transient", "make_transient_to_detached"})
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
    at: Optional[_At] = None
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
            if at is None:
                at = _at(ctx, info, scope)
            found = _one_load(at, bound)
            if found is None:
                continue
            session_name, how, method, many = found
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


class Load(NamedTuple):
    """ORM objects loaded through a session."""

    session: str  # the session as the code that loads names it: ``db``, ``self.db``
    label: str  # how, as the message says it
    method: str  # the session method (``get``, ``query``, ``scalars`` ...)
    many: bool  # a list of them (``.all()``)


class _At(NamedTuple):
    """Where an expression is read: the function's module and scope, and what the
    caller passed for its parameters (``model`` -> ``User``)."""

    project: Project
    module: ModuleInfo
    scope: Scope
    passed: Mapping[str, Passed]
    cls: Optional[ClassSym]  # the class of a method (for ``self.m()``)
    locals: Mapping[str, list[ast.expr]]


def _at(ctx: FileContext, info: FunctionInfo, scope: Scope) -> _At:
    return _At(ctx.project, ctx.module, scope, {}, None, ctx.module.assignments.get(id(info.node), {}))


def _one_load(at: _At, bound: list[ast.expr]) -> Optional[Load]:
    """The load, when every value is a load through the same session."""
    found: Optional[Load] = None
    for value in bound:
        load = _load(at, value, 0)
        if load is None or (found is not None and load.session != found.session):
            return None
        found = found or load
    return found


def _load(at: _At, expr: ast.expr, depth: int) -> Optional[Load]:
    """Does ``expr`` load ORM objects through a session, itself or through a project
    function it calls (:data:`MAX_DEPTH` calls deep)?"""
    found = _direct_load(at, expr)
    if found is None and depth < MAX_DEPTH:
        found = _helper_load(at, expr, depth + 1)
    return found


def _direct_load(at: _At, expr: ast.expr) -> Optional[Load]:
    """``db.get(User, id)``, ``db.query(User)...first()`` ..."""
    expr = _unawait(expr)
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
        return None
    method = expr.func.attr
    receiver = key_of(_unawait(expr.func.value))
    if method in ORM_GET_METHODS:
        if receiver is not None and expr.args and _is_model(at, expr.args[0]):
            return Load(receiver, f"{receiver}.{method}({dotted(expr.args[0])}, ...)", method, False)
        return None
    if method in ORM_SCALAR_METHODS or method in ORM_RESULT_METHODS:
        return _result_load(at, _unawait(expr.func.value), method)
    return None


def _helper_load(at: _At, expr: ast.expr, depth: int) -> Optional[Load]:
    """``crud.get_user(db, id)``, ``await repo.get(db, id)``, ``UserRepo(db).get(id)``:
    a project function every ``return`` of which hands back objects it loaded
    through the session it was passed."""
    awaited = isinstance(expr, ast.Await)
    call = _unawait(expr)
    if not isinstance(call, ast.Call):
        return None
    found = callee(at.project, at.module, call, at.scope, at.cls, at.locals)
    if found is None:
        return None
    func = found.func
    if function_facts(func.module, func.info).is_generator:
        return None
    if isinstance(func.node, ast.AsyncFunctionDef) and not awaited:
        return None  # a coroutine, not what it returns
    # what the callee's names stand for, seen through the caller's own parameters
    passed: dict[str, Passed] = {}
    if found.same_self:
        passed.update((k, v) for k, v in at.passed.items() if k.startswith("self."))
    for name, given in found.passed.items():
        outer = key_of(given.expr)
        if given.module is at.module and outer is not None and outer in at.passed:
            passed[name] = at.passed[outer]
        else:
            passed[name] = given
    inner = _At(at.project, func.module, func.info.parents + (func.node,), passed, class_of(func),
                func.module.assignments.get(id(func.node), {}))
    load = _returned_load(inner, func, depth)
    if load is None:
        return None
    # the session the callee loaded through, as the caller names it
    session: Optional[str] = None
    if found.same_self and load.session.startswith("self.") and load.session not in found.passed:
        session = load.session
    else:
        handed = found.passed.get(load.session)
        if handed is not None and handed.module is at.module and handed.scope == at.scope:
            session = key_of(handed.expr)
    if session is None:
        return None
    return Load(session, "from " + _call_label(call, session), load.method, load.many)


def _returned_load(at: _At, func: FuncSym, depth: int) -> Optional[Load]:
    """The load every non-``None`` ``return`` of ``func`` hands back, through one
    session ``func`` was passed (a parameter not rebound, or ``self.<attr>``)."""
    values: list[ast.expr] = []
    local: Optional[dict[str, list[ast.expr]]] = None
    for node in function_facts(func.module, func.info).body:
        if not isinstance(node, ast.Return):
            continue
        value = node.value
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            continue
        if isinstance(value, ast.Name):
            if local is None:
                local = _local_values(func.info)
            bound = local.get(value.id)
            if not bound:
                return None  # a parameter, or a name bound by a loop or a with
            values.extend(bound)
        else:
            values.append(value)
    if not values:
        return None
    found = _one_load_at(at, values, depth)
    if found is None:
        return None
    if _detaches(func):
        return None  # expunge()/make_transient(): no longer the session's (detached all the same)
    if found.session.startswith("self."):
        return found if at.cls is not None else None
    if found.session not in at.passed or found.session in rebound(func):
        return None  # a session of its own: `with SessionLocal() as s: return s.get(...)`
    return found


def _detaches(func: FuncSym) -> bool:
    """Does the function take objects out of their session itself?"""
    for node in function_facts(func.module, func.info).calls:
        callee_func = node.func
        name = (
            callee_func.attr if isinstance(callee_func, ast.Attribute)
            else callee_func.id if isinstance(callee_func, ast.Name) else None
        )
        if name in _DETACH:
            return True
    return False


def _one_load_at(at: _At, values: list[ast.expr], depth: int) -> Optional[Load]:
    found: Optional[Load] = None
    for value in values:
        load = _load(at, value, depth)
        if load is None or (found is not None and load.session != found.session):
            return None
        found = found or load
    return found


def _call_label(call: ast.Call, session: str) -> str:
    """``crud.get_user(db, …)``, ``UserRepo(db).get(…)``: the call with only the session shown."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        name = f"{_call_label(func.value, session)}.{func.attr}"
    else:
        name = dotted(func) or "…"
    parts: list[str] = []
    for arg in call.args:
        parts.append(session if key_of(arg) == session else "…")
    for kw in call.keywords:
        parts.append(f"{kw.arg}={session}" if key_of(kw.value) == session else "…")
    shown: list[str] = []
    for part in parts:
        if not (part == "…" and shown and shown[-1] == "…"):
            shown.append(part)
    return f"{name}({', '.join(shown)})"


def _result_load(at: _At, expr: ast.expr, last: str) -> Optional[Load]:
    """``<session call>[.steps]`` ending in result method ``last``."""
    steps = 0
    many = last == "all"
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and steps < _MAX_CHAIN:
        method = expr.func.attr
        receiver = _unawait(expr.func.value)
        key = key_of(receiver)
        if key is not None:
            label = f"{key}.{method}(...).{last}()"
            if method == "query" and last in ORM_RESULT_METHODS:
                if len(expr.args) == 1 and _is_model(at, expr.args[0]):
                    return Load(key, label, method, many)
                return None
            if method in ("scalars", "exec") and last in ORM_RESULT_METHODS:
                if expr.args and _selects_model(at, expr.args[0]):
                    return Load(key, label, method, many)
                return None
            if method == "execute" and last in ORM_SCALAR_METHODS:
                if expr.args and _selects_model(at, expr.args[0]):
                    return Load(key, label, method, many)
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
                return _relabel(_result_load(at, inner, "scalar_one"), last)
            return None
        if method not in _CHAIN_STEPS:
            return None
        expr = receiver
        steps += 1
    return None


def _unawait(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Await) else expr


def _relabel(found: Optional[Load], last: str) -> Optional[Load]:
    if found is None:
        return None
    return found._replace(label=f"{found.session}.{found.method}(...).scalars().{last}()", many=last == "all")


def _selects_model(at: _At, stmt: ast.expr) -> bool:
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
        if at.project.canonical(at.module, func, at.scope) not in SELECT_FUNCTIONS:
            return False
        return len(stmt.args) == 1 and not stmt.keywords and _is_model(at, stmt.args[0])
    return False


def _is_model(at: _At, expr: ast.expr) -> bool:
    """Is ``expr`` a project class that is an ORM model (also as the argument the
    caller passed for a parameter, ``db.get(model, id)`` or ``self.model``)?"""
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return False
    key = key_of(expr)
    given = at.passed.get(key) if key is not None else None
    if given is not None:
        module, expr, scope = given.module, given.expr, given.scope
        if not isinstance(expr, (ast.Name, ast.Attribute)):
            return False
    else:
        module, scope = at.module, at.scope
    sym = at.project.resolve(module, expr, scope)
    return isinstance(sym, ClassSym) and model_kind(at.project, sym.module, sym.node) == "orm"


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
