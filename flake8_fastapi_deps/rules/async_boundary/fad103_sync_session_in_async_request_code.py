"""FAD103: an ``async def`` route or dependency works with a synchronous database session.

The session comes from a parameter's annotation, or from the annotated return
type of the dependency the parameter declares; it matters only when the body
does I/O with it on the loop (see :func:`_blocking_uses`), directly, through a
project function it is handed to, or through an object built around it whose
method queries with it (``Repo(db).one()``, :func:`_queries_through_object`).

Two sessions that are not parameters: a library's module-level session proxy
(``from fastapi_sqlalchemy import db`` then ``db.session.query(...)``,
:func:`_module_sessions`), and a sync session declared as a class attribute of
a class-based view (``session: Session = Depends(get_db)`` under
``@cbv(router)``, then ``self.session.query(...)`` in an async method,
:func:`_view_sessions`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import (
    BACKGROUND_TASK_TYPES,
    ITERATOR_TYPES,
    MODULE_SESSION_PROXIES,
    OFFLOADERS,
    PARTIAL,
    SYNC_SESSION_TYPES,
    UNION_TYPES,
)
from ...facts.functions import function_facts
from ...facts.handed import Passed, callee, handed_keys, stored_on_self, uses_for_io
from ...model import FunctionInfo, FunctionNode, ModuleInfo, Scope, annotated_parts, bound_in_scope, own_nodes
from ...names import dotted
from ...project import ClassSym, ExternalSym, FuncSym, Project, ValueSym
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


# class-based view decorators whose class attributes with Depends are injected per request
_CBV_DECORATORS = frozenset(
    {"fastapi_utils.cbv.cbv", "fastapi_restful.cbv.cbv", "fastapi_utils.cbv", "fastapi_restful.cbv"}
)
# how deep a method of an object built around the session is followed (self.helper())
_MAX_METHOD_DEPTH = 2


def check(ctx: FileContext) -> Iterator[Finding]:
    proxies = _proxy_names(ctx)
    for info in ctx.request_functions():
        if info.is_async:
            yield from _sync_sessions(ctx, info)
            if proxies:
                yield from _module_sessions(ctx, info, proxies)
    if ctx.module.classes and (not ctx.text or "cbv" in ctx.text):
        yield from _view_sessions(ctx)


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
    used = _blocking_uses(ctx, info, params)
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


def _blocking_uses(ctx: FileContext, info: FunctionInfo, params: set[str]) -> dict[str, bool]:
    """Name -> does this function do I/O with it on the loop?

    I/O is a method call on it (``db.query(...)``, ``db.commit()``) or handing
    one of ``params`` to a project function or method that queries with it
    (``crud.list_items(db)``; :func:`~flake8_fastapi_deps.facts.handed.uses_for_io`,
    two calls deep).  Handing it to a thread (``run_in_threadpool(f, db)``,
    ``add_task(f, db)``), binding it (``partial``), wrapping it in an object
    (``Repo(db)``), returning or storing it, or handing it to a function outside
    the project (whose body is not read) is not.  A name that is ever awaited on
    (``await db.execute(...)``) is no sync session whatever its annotation says,
    so it maps to False.
    """
    mod = ctx.module
    project = ctx.project
    scope = body_scope(info)
    assigned = mod.assignments.get(id(info.node), {})
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
            callee_sym = symbol(project, mod, func, scope)
            last = func.id if isinstance(func, ast.Name) else func.attr
            if isinstance(callee_sym, ClassSym) or last[:1].isupper():
                continue  # Repo(db): a constructor stores it (its methods: below)
        handed = frozenset(
            arg.id
            for arg in (*node.args, *(kw.value for kw in node.keywords))
            if isinstance(arg, ast.Name) and arg.id in params and not used.get(arg.id, False)
        )
        if handed:
            # load(db): I/O only when the project function queries with it
            found = callee(project, mod, node, scope, local_values=assigned)
            if found is not None:
                for name in handed:
                    keys = handed_keys(found, frozenset({name}), mod, scope)
                    if keys and uses_for_io(project, found.func, keys):
                        used[name] = True
    for name in _queries_through_object(ctx, info):
        used.setdefault(name, True)
    for name in awaited_on:
        used[name] = False
    return used


def _queries_through_object(ctx: FileContext, info: FunctionInfo) -> set[str]:
    """Names handed to a project class's constructor whose method, called here on the
    new object, queries with what the constructor stored: ``Repo(db).one()``, or
    ``repo = Repo(db)`` then ``repo.one()``."""
    mod = ctx.module
    project = ctx.project
    scope = body_scope(info)
    assigned = mod.assignments.get(id(info.node), {})
    found: set[str] = set()
    for node in function_facts(mod, info).calls:
        func = node.func
        if not isinstance(func, ast.Attribute):
            continue
        built = func.value
        if isinstance(built, ast.Name):
            values = assigned.get(built.id, [])
            if len(values) != 1 or not isinstance(values[0], ast.Call):
                continue
            built = values[0]
        if not isinstance(built, ast.Call) or not isinstance(built.func, (ast.Name, ast.Attribute)):
            continue
        names = [a.id for a in built.args if isinstance(a, ast.Name)]
        names += [k.value.id for k in built.keywords if isinstance(k.value, ast.Name)]
        if not names:
            continue
        cls = symbol(project, mod, built.func, scope)
        if not isinstance(cls, ClassSym):
            continue
        attrs = _stored_attributes(project, cls, built, mod, scope)
        method = project.class_method(cls, func.attr)
        if method is None:
            continue
        for name, attr in attrs.items():
            if name in names and _method_queries(project, cls, method.node, attr, 0):
                found.add(name)
    return found


def _stored_attributes(
    project: Project, cls: ClassSym, call: ast.Call, mod: ModuleInfo, scope: Scope
) -> dict[str, str]:
    """Argument name -> the ``self`` attribute ``__init__`` stores it in."""
    stored = stored_on_self(project, cls, Passed(mod, call, scope))
    return {
        given.expr.id: key[len("self."):]
        for key, given in stored.items()
        if isinstance(given.expr, ast.Name)
    }


def _method_queries(
    project: Project, cls: ClassSym, method: FunctionNode, attr: str, depth: int
) -> bool:
    """Does the (sync) method call a method of ``self.<attr>``, or a method of ``self``
    that does (up to :data:`_MAX_METHOD_DEPTH` deep)?"""
    if isinstance(method, ast.AsyncFunctionDef) or depth > _MAX_METHOD_DEPTH:
        return False  # an async method is awaited: not a sync session's query
    for node in own_nodes(method):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        receiver = node.func.value
        if (
            isinstance(receiver, ast.Attribute)
            and receiver.attr == attr
            and isinstance(receiver.value, ast.Name)
            and receiver.value.id == "self"
        ):
            return True  # self.db.query(...)
        if isinstance(receiver, ast.Name) and receiver.id == "self":
            helper = project.class_method(cls, node.func.attr)
            if helper is not None and helper.node is not method:
                if _method_queries(project, cls, helper.node, attr, depth + 1):
                    return True
    return False


# ----------------------------------------------------------------------------- module-level sessions


def _proxy_names(ctx: FileContext) -> set[str]:
    """Module-level names bound to a library's session proxy (``from fastapi_sqlalchemy import db``)."""
    if not ctx.text or "fastapi_sqlalchemy" not in ctx.text:
        return set()
    imports = ctx.module.imports
    return {name for name, qualified in imports.names.items() if qualified in MODULE_SESSION_PROXIES}


def _module_sessions(ctx: FileContext, info: FunctionInfo, proxies: set[str]) -> Iterator[Finding]:
    """``db.session.query(...)`` on a library's module-level session: the first use per function."""
    mod = ctx.module
    scope = body_scope(info)
    for node in function_facts(mod, info).calls:
        func = node.func
        if not isinstance(func, ast.Attribute):
            continue
        holder = func.value
        if not (
            isinstance(holder, ast.Attribute)
            and holder.attr == "session"
            and isinstance(holder.value, ast.Name)
            and holder.value.id in proxies
        ):
            continue
        if bound_in_scope(mod, holder.value.id, scope):
            continue  # a local or parameter of that name
        yield finding(
            node,
            RULE,
            param=f"{holder.value.id}.session",
            session="Session",
            source=" from fastapi_sqlalchemy",
            where=where(ctx, info),
        )
        return


# ----------------------------------------------------------------------------- class-based views


def _view_sessions(ctx: FileContext) -> Iterator[Finding]:
    """``self.session.query(...)`` in an async method of a class-based view whose
    class attribute ``session`` is a sync session injected per request."""
    mod = ctx.module
    for cls in mod.classes:
        if not _is_class_based_view(ctx, cls):
            continue
        attrs = _session_attributes(ctx, cls)
        if not attrs:
            continue
        for info in mod.functions:
            if info.cls is not cls or not info.is_async:
                continue
            yield from _view_method(ctx, info, attrs)


def _is_class_based_view(ctx: FileContext, cls: ast.ClassDef) -> bool:
    for deco in cls.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, (ast.Name, ast.Attribute)) and ctx.canonical(target, ()) in _CBV_DECORATORS:
            return True
    return False


def _session_attributes(ctx: FileContext, cls: ast.ClassDef) -> dict[str, str]:
    """Class attribute -> the sync session type it is injected as."""
    mod = ctx.module
    project = ctx.project
    found: dict[str, str] = {}
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) and not isinstance(stmt, ast.Assign):
            continue
        target = stmt.target if isinstance(stmt, ast.AnnAssign) else (
            stmt.targets[0] if len(stmt.targets) == 1 else None
        )
        if not isinstance(target, ast.Name):
            continue
        value = stmt.value
        annotation = stmt.annotation if isinstance(stmt, ast.AnnAssign) else None
        marker: Optional[ast.expr] = None
        if annotation is not None:
            parts = annotated_parts(mod.imports, annotation)
            if parts:
                annotation = parts[0]
                marker = parts[-1] if len(parts) > 1 else None
        if isinstance(value, ast.Call) and _is_marker(ctx, value):
            marker = value
        if not isinstance(marker, ast.Call) or not _is_marker(ctx, marker):
            continue  # not injected: a plain class attribute
        session = _session_type(ctx, mod, annotation, ())
        if session is None and marker.args:
            dep = project.resolve(mod, marker.args[0], ())
            if isinstance(dep, FuncSym):
                session = _provided_session(ctx, dep)
        if session is not None:
            found[target.id] = session
    return found


def _is_marker(ctx: FileContext, call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return False
    return ctx.canonical(func, ()) in ("fastapi.Depends", "fastapi.params.Depends")


def _view_method(ctx: FileContext, info: FunctionInfo, attrs: dict[str, str]) -> Iterator[Finding]:
    """The first sync query on a session attribute in an async method, unless awaited on."""
    first: Optional[tuple[ast.Call, str]] = None
    awaited: set[str] = set()
    for node in function_facts(ctx.module, info).body:
        if isinstance(node, ast.Await):
            inner = node.value.func if isinstance(node.value, ast.Call) else node.value
            attr = _self_attribute(inner)
            if attr is not None:
                awaited.add(attr)
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = _self_attribute(node.func.value)
            if attr in attrs and first is None:
                first = (node, attr)
    if first is None or first[1] in awaited:
        return
    node, attr = first
    yield finding(
        node,
        RULE,
        param=f"self.{attr}",
        session=attrs[attr],
        source=" (a class attribute of the view)",
        where=f"async method {info.name}",
    )


def _self_attribute(expr: ast.expr) -> Optional[str]:
    """``attr`` of ``self.attr`` (or of ``self.attr.x...``)."""
    while isinstance(expr, ast.Attribute):
        if isinstance(expr.value, ast.Name) and expr.value.id == "self":
            return expr.attr
        expr = expr.value
    return None


def _hands_over(ctx: FileContext, mod: ModuleInfo, call: ast.Call, scope: Scope) -> bool:
    """Does ``call`` pass its arguments on without using them on the loop?"""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("run_in_executor", "add_task"):
        return True
    name = external(ctx.project, mod, func, scope)
    return name in OFFLOADERS or name == PARTIAL or name in BACKGROUND_TASK_TYPES
