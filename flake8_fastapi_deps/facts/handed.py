"""What runs when request code hands a value to a project function (FAD103, FAD211).

:func:`callee` finds the project function or method a call runs, and under
which names it sees what the caller passed:

* a function (``crud.get_user(db, id)``, resolved through imports);
* a static or class method called on its class (``UserRepo.get(db, id)``),
  found through the class hierarchy;
* a method of an object built right there (``UserRepo(db).get(id)``), of a
  local assigned once from such a constructor (``repo = UserRepo(db)`` then
  ``repo.get(id)``), or of a module-level instance (``user = CRUDUser(User)``
  in ``crud.py``, then ``crud.user.get(db, id)``): ``__init__``'s
  ``self.<attr> = <param>`` statements give ``self.<attr>`` the constructor's
  argument;
* another method of ``self`` inside a method (``self._base()``), which sees
  the same ``self.<attr>`` values.

:func:`uses_for_io` answers FAD103's question about such a callee: does it do
I/O with the session it was handed (a session method on it, or handing it on
to a function that does), at most :data:`MAX_DEPTH` calls deep.

Nothing is guessed from names: a callee that does not resolve to a project
function is not followed, and the answers are False/None for it.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import NamedTuple, Optional

from ..catalogue import DB_SESSION_METHODS
from ..model import ModuleInfo, Scope
from ..project import ClassSym, FuncSym, Project, ValueSym
from .functions import function_facts

# how many calls deep a value handed to project functions is followed
MAX_DEPTH = 2
# session methods that do I/O (``add`` only puts an object in the session: the flush
# or commit that follows is what talks to the database)
_IO_METHODS = DB_SESSION_METHODS - {"add", "add_all"}
# decorators that make a method something other than a call (``obj.name`` is a value)
_NOT_CALLED = frozenset({"property", "cached_property"})


class Passed(NamedTuple):
    """An expression the caller passed, where it was written."""

    module: ModuleInfo
    expr: ast.expr
    scope: Scope


class Callee(NamedTuple):
    func: FuncSym
    # the callee's name for a passed value: a parameter, or "self.<attr>" -> the value
    passed: dict[str, Passed]
    # a method of the caller's own ``self``: the caller's "self.<attr>" keys mean the same there
    same_self: bool


def key_of(expr: ast.expr) -> Optional[str]:
    """``db`` for a name, ``self.db`` for an attribute of ``self``; None otherwise."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        return f"self.{expr.attr}"
    return None


def class_of(func: FuncSym) -> Optional[ClassSym]:
    """The class whose body defines a method."""
    cls = func.info.cls
    return ClassSym(func.module, cls) if cls is not None else None


def callee(
    project: Project,
    mod: ModuleInfo,
    call: ast.Call,
    scope: Scope,
    self_cls: Optional[ClassSym] = None,
    local_values: Optional[Mapping[str, list[ast.expr]]] = None,
) -> Optional[Callee]:
    """The project function ``call`` runs, with what it is passed (see the module docstring).

    ``self_cls`` is the class of the method the call is in (for ``self.m()``);
    ``local_values`` the caller's plain assignments (for ``repo.get()`` after
    ``repo = Repo(db)``).
    """
    func = call.func
    if isinstance(func, ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Name):
            if owner.id == "self" and self_cls is not None:
                found = _method(project, self_cls, func.attr, call, mod, scope, instance=True)
                return found._replace(same_self=True) if found is not None else None
            values = local_values.get(owner.id) if local_values is not None else None
            if values is not None and len(values) == 1 and isinstance(values[0], ast.Call):
                owner = values[0]
        if isinstance(owner, ast.Call):  # Repo(db).get(...)
            built = _project_class(project, mod, owner.func, scope)
            if built is None:
                return None
            return _method(project, built, func.attr, call, mod, scope, instance=True,
                           ctor=Passed(mod, owner, scope))
        if isinstance(owner, (ast.Name, ast.Attribute)):
            sym = project.resolve(mod, owner, scope)
            if isinstance(sym, ClassSym):  # Repo.get(db, ...)
                return _method(project, sym, func.attr, call, mod, scope, instance=False)
            if isinstance(sym, ValueSym) and isinstance(sym.value, ast.Call):  # crud.user.get(db, ...)
                built = _project_class(project, sym.module, sym.value.func, ())
                if built is None:
                    return None
                return _method(project, built, func.attr, call, mod, scope, instance=True,
                               ctor=Passed(sym.module, sym.value, ()))
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return None
    sym = project.resolve(mod, func, scope)
    if not isinstance(sym, FuncSym) or sym.info.cls is not None:
        return None
    return Callee(sym, _bind(sym, call, mod, scope, skip_first=False), False)


def _project_class(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[ClassSym]:
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return None
    sym = project.resolve(mod, expr, scope)
    return sym if isinstance(sym, ClassSym) else None


def _method(
    project: Project,
    cls: ClassSym,
    name: str,
    call: ast.Call,
    mod: ModuleInfo,
    scope: Scope,
    instance: bool,
    ctor: Optional[Passed] = None,
) -> Optional[Callee]:
    method = project.class_method(cls, name)
    if method is None:
        return None
    kind: Optional[str] = None
    for deco in method.node.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod"):
            kind = deco.id
        elif isinstance(deco, (ast.Name, ast.Attribute)) and (
            deco.id if isinstance(deco, ast.Name) else deco.attr
        ) in _NOT_CALLED:
            return None
    if not instance and kind is None:
        return None  # Repo.get(db): db would be self
    skip = kind == "classmethod" or (instance and kind != "staticmethod")
    passed = _bind(method, call, mod, scope, skip_first=skip)
    if ctor is not None and kind is None and isinstance(ctor.expr, ast.Call):
        passed.update(stored_on_self(project, cls, ctor))
    return Callee(method, passed, False)


def _bind(
    func: FuncSym, call: ast.Call, mod: ModuleInfo, scope: Scope, skip_first: bool
) -> dict[str, Passed]:
    """The callee's parameter -> the argument the call passes it."""
    args = func.node.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    if skip_first:
        positional = positional[1:]
    by_keyword = {a.arg for a in (*args.args, *args.kwonlyargs)}
    passed: dict[str, Passed] = {}
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred) or index >= len(positional):
            break
        passed[positional[index]] = Passed(mod, arg, scope)
    for kw in call.keywords:
        if kw.arg is not None and kw.arg in by_keyword:
            passed[kw.arg] = Passed(mod, kw.value, scope)
    return passed


def stored_on_self(project: Project, cls: ClassSym, ctor: Passed) -> dict[str, Passed]:
    """``"self.<attr>"`` -> the constructor argument ``__init__`` stores there
    (``self.db = db`` among its top-level statements)."""
    init = project.class_method(cls, "__init__")
    call = ctor.expr
    if init is None or not isinstance(call, ast.Call):
        return {}
    params = _bind(init, call, ctor.module, ctor.scope, skip_first=True)
    stored: dict[str, Passed] = {}
    for stmt in init.node.body:
        if not (isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Name)):
            continue
        given = params.get(stmt.value.id)
        if given is None:
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            key = key_of(target)
            if key is not None and key.startswith("self."):
                stored[key] = given
    return stored


def rebound(func: FuncSym) -> set[str]:
    """Names the function's own body binds (a parameter rebound is not what was passed)."""
    return {
        node.id
        for node in function_facts(func.module, func.info).body
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def handed_keys(found: Callee, keys: frozenset[str], mod: ModuleInfo, scope: Scope) -> frozenset[str]:
    """The callee's names for the caller's ``keys`` (written in ``mod``, ``scope``)."""
    mapped = {
        name
        for name, given in found.passed.items()
        if given.module is mod and given.scope == scope and key_of(given.expr) in keys
    }
    if found.same_self:
        mapped.update(k for k in keys if k.startswith("self."))
    return frozenset(mapped)


def uses_for_io(project: Project, func: FuncSym, keys: frozenset[str], depth: int = 1) -> bool:
    """Does ``func`` do I/O with what it sees as ``keys`` (``db``, ``self.db``)?

    I/O is a session method called on it (``db.query(...)``, ``self.db.commit()``,
    :data:`~flake8_fastapi_deps.catalogue.DB_SESSION_METHODS` but ``add``/``add_all``), or handing it to a
    project function or method that does (``depth`` up to :data:`MAX_DEPTH`).
    Storing, wrapping or returning it is not; a key the function awaits on
    (``await db.execute(...)``) is an async session after all, so False.
    """
    keys = keys - rebound(func)
    if not keys:
        return False
    facts = function_facts(func.module, func.info)
    scope = func.info.parents + (func.node,)
    local_values = func.module.assignments.get(id(func.node), {})
    for node in facts.body:
        if isinstance(node, ast.Await):
            inner = node.value.func if isinstance(node.value, ast.Call) else node.value
            if isinstance(inner, ast.Attribute) and key_of(inner.value) in keys:
                return False
    io = False
    for node in facts.calls:
        callee_func = node.func
        if isinstance(callee_func, ast.Attribute) and key_of(callee_func.value) in keys:
            if callee_func.attr in _IO_METHODS:
                io = True
            continue
        if io or depth >= MAX_DEPTH:
            continue
        found = callee(project, func.module, node, scope, class_of(func), local_values)
        if found is None:
            continue
        handed = handed_keys(found, keys, func.module, scope)
        if handed and uses_for_io(project, found.func, handed, depth + 1):
            io = True
    return io
