"""What a generator hands out: a resource it opened and closes after the ``yield``.

FAD204 asks whether a yield dependency's value is closed by its exit code
(:func:`yields_managed_resource`); FAD210 asks whether a generator nobody
declares in a ``Depends`` is a yield dependency *by shape*: it yields a
session or connection it opened itself (:func:`opened_kind`) and closes it
after the ``yield`` (:func:`yielded_resource`); FAD211 asks which kind of
resource a dependency yields (an ORM session, or a plain connection whose
results are rows, not ORM objects).

Openers recognised (every one resolved, never guessed from a name):

* a session class called directly: ``Session(engine)``, ``sqlmodel.Session``,
  ``AsyncSession(engine)``;
* a session factory made at module level (``SessionLocal = sessionmaker(...)``,
  ``async_sessionmaker``, ``scoped_session``), called or ``.begin()``-ed;
* a DB-API ``connect`` (``psycopg2.connect``, ``sqlite3.connect``, ``asyncpg.connect``...);
* ``.connect()``/``.begin()``/``.acquire()`` on a module-level engine or pool
  (``engine = create_engine(...)``, ``pool = redis.ConnectionPool(...)``).

Bounded: delegation (``yield from g()``) is followed three levels deep, and
an opener's factory one module-level assignment away.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Optional

from ..catalogue import (
    ASYNC_DB_CONNECT,
    CONNECTION_OPENER_METHODS,
    ENGINE,
    POOL,
    POOLED,
    SESSION_CLASSES,
    SESSION_MAKERS,
    SYNC_DB_CONNECT,
)
from ..model import ModuleInfo, Scope, nodes_within
from ..nodes import walk
from ..project import FuncSym, Project, ValueSym
from .functions import function_facts
from .raises import SCOPE_TYPES, TRY_TYPES, WITH_TYPES
from .yield_flow import yield_sites

SESSION = "session"
CONNECTION = "connection"


def yields_managed_resource(project: Project, dep: FuncSym, depth: int = 0) -> bool:
    """Does the generator hand out something its exit code closes or releases?

    True when a yielded name is bound by an enclosing ``with``, is used in the
    ``finally``/``except`` around the yield or in code after it, or comes from
    delegating to another such generator (``yield from g()``,
    ``async for x in g(): yield x``).
    """
    if depth > 3:
        return False
    for site in yield_sites(dep.node):
        value = site.node.value
        if isinstance(site.node, ast.YieldFrom):
            if isinstance(value, ast.Call) and _delegates_to_managed(project, dep, value, depth):
                return True
            continue
        if not isinstance(value, ast.Name):
            continue
        name = value.id
        for frame in reversed(site.frames):
            owner = frame.owner
            if isinstance(owner, WITH_TYPES) and frame.part == "body":
                if any(_binds(item.optional_vars, name) for item in owner.items):
                    return True
            elif isinstance(owner, TRY_TYPES) and frame.part == "body":
                exits = list(getattr(owner, "finalbody"))
                for handler in getattr(owner, "handlers"):
                    exits.extend(handler.body)
                if _mentions(exits, name):
                    return True
            elif isinstance(owner, (ast.For, ast.AsyncFor)) and frame.part == "body":
                if _binds(owner.target, name) and isinstance(owner.iter, ast.Call):
                    if _delegates_to_managed(project, dep, owner.iter, depth):
                        return True
            if _mentions(frame.block[frame.index + 1:], name):
                return True
    return False


def yielded_resource(project: Project, dep: FuncSym, depth: int = 0) -> Optional[str]:
    """``"session"``/``"connection"``: what the generator yields, when it opened it.

    Only a name bound in the generator's own body to an opener (see the module
    docstring), or a delegation (``yield from g()``) to such a generator.  Says
    nothing about closing: ask :func:`yields_managed_resource` for that.
    """
    if depth > 3:
        return None
    node = dep.node
    scope = dep.info.parents + (node,)
    wanted: set[str] = set()
    for site in yield_sites(node):
        value = site.node.value
        if isinstance(site.node, ast.YieldFrom) and isinstance(value, ast.Call):
            inner = project.resolve(dep.module, value.func, scope)
            if isinstance(inner, FuncSym) and function_facts(inner.module, inner.info).is_generator:
                kind = yielded_resource(project, inner, depth + 1)
                if kind is not None:
                    return kind
        elif isinstance(value, ast.Name):
            wanted.add(value.id)
    if not wanted:
        return None
    for sub in function_facts(dep.module, dep.info).body:
        bound: list[tuple[ast.expr, Optional[ast.expr]]] = []
        if isinstance(sub, (ast.Assign, ast.AnnAssign)) and sub.value is not None:
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            bound.extend((target, sub.value) for target in targets)
        elif isinstance(sub, WITH_TYPES):
            bound.extend((item.optional_vars, item.context_expr) for item in sub.items
                         if item.optional_vars is not None)
        for target, value in bound:
            if isinstance(target, ast.Name) and target.id in wanted and value is not None:
                kind = opened_kind(project, dep.module, value, scope)
                if kind is not None:
                    return kind
    return None


def opened_kind(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[str]:
    """``"session"``/``"connection"`` if ``expr`` (a call, maybe awaited) opens one."""
    if isinstance(expr, ast.Await):
        expr = expr.value
    if not isinstance(expr, ast.Call):
        return None
    func = expr.func
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return None
    name = project.canonical(mod, func, scope)
    if name is not None:
        if name in SESSION_CLASSES:
            return SESSION
        if name in SYNC_DB_CONNECT or name in ASYNC_DB_CONNECT:
            return CONNECTION
    made = _made_by(project, mod, func, scope)
    if made in SESSION_MAKERS:
        return SESSION  # SessionLocal()
    if isinstance(func, ast.Attribute) and func.attr in CONNECTION_OPENER_METHODS:
        made = _made_by(project, mod, func.value, scope)
        if made in SESSION_MAKERS and func.attr == "begin":
            return SESSION  # SessionLocal.begin()
        if made is not None and POOLED.get(made) in (ENGINE, POOL):
            return CONNECTION  # engine.connect(), pool.acquire()
    return None


def _made_by(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[str]:
    """The canonical name of the call a module-level name was assigned from
    (``SessionLocal = sessionmaker(...)`` -> ``sqlalchemy.orm.sessionmaker``)."""
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return None
    sym = project.resolve(mod, expr, scope)
    if not isinstance(sym, ValueSym) or not isinstance(sym.value, ast.Call):
        return None
    func = sym.value.func
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return None
    return project.canonical(sym.module, func)


def _delegates_to_managed(project: Project, dep: FuncSym, call: ast.Call, depth: int) -> bool:
    inner = project.resolve(dep.module, call.func, dep.info.parents + (dep.node,))
    return (
        isinstance(inner, FuncSym)
        and function_facts(inner.module, inner.info).is_generator
        and yields_managed_resource(project, inner, depth + 1)
    )


def _binds(target: Optional[ast.expr], name: str) -> bool:
    if target is None:
        return False
    return any(isinstance(n, ast.Name) and n.id == name for n in walk([target]))


def _mentions(stmts: Sequence[ast.stmt], name: str) -> bool:
    for stmt in stmts:
        if isinstance(stmt, SCOPE_TYPES):
            continue
        for node in nodes_within((stmt,)):
            if isinstance(node, ast.Name) and node.id == name:
                return True
    return False
