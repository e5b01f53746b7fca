"""What a name means where it is used (pyflakes' scopes and bindings, from the model's tables).

:func:`binding_of` answers, for a bare name read in ``scope`` (the enclosing
functions, outermost first), which binding Python's LEGB lookup finds:

* ``"param"``: a parameter of an enclosing function (innermost first);
* ``"local"``: a name an enclosing function assigns (``x = ...``);
* ``"nested_def"``: a ``def`` nested in an enclosing function;
* ``"def"`` / ``"class"`` / ``"value"``: a module-level def, class or assignment;
* ``"import"``: an import (:attr:`Binding.qualified` is the imported dotted name);
* ``"builtin"``: none of these, and a name of :mod:`builtins`;
* ``"unbound"``: none of these.

Class bodies are no scope of their methods (Python skips them), so they are
not looked at.  The model records imports per module, not per function: an
import anywhere in the module (in a function, under ``TYPE_CHECKING``) counts
as binding the name, since the model cannot tell which scope holds it.  The
expressions of a ``def`` line (defaults, annotations, decorators) are read in
the scope *around* the function: pass ``info.parents`` for them, and
``info.parents + (info.node,)`` for its body.

:func:`bound_in_scope` and :func:`marker_name` are the questions every marker
finder asks of it: a ``Depends``/``Security`` whose name an enclosing function
rebinds (a parameter ``Depends=...``, ``Depends = ...``, a nested ``def``) is
that local, evaluated where the ``def`` line stands, not FastAPI's marker.
This module reads only the model's records (:mod:`..module_info`), so the
model's own marker finder uses it too.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from typing import Optional

from ..module_info import ModuleInfo, Scope, iter_params
from ..names import MARKERS

# with the builtins newer Pythons add (code written for them means these)
BUILTIN_NAMES = frozenset(dir(builtins)) | {"aiter", "anext"}


@dataclass(frozen=True)
class Binding:
    kind: str  # see the module docstring
    node: Optional[ast.AST] = None  # the parameter, the def/class, the value or import statement
    qualified: Optional[str] = None  # for "import": the dotted name it imports


# the kinds of binding an enclosing function makes
LOCAL_KINDS = frozenset({"param", "local", "nested_def"})


def binding_of(mod: ModuleInfo, name: str, scope: Scope) -> Binding:
    """The binding a read of ``name`` in ``scope`` finds (see the module docstring)."""
    local = _enclosing_binding(mod, name, scope)
    if local is not None:
        return local
    top = mod.toplevel.get(name)
    if isinstance(top, (ast.Import, ast.ImportFrom)):
        return Binding("import", top, mod.imports.names.get(name))
    if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return Binding("def", top)
    if isinstance(top, ast.ClassDef):
        return Binding("class", top)
    if top is not None:
        return Binding("value", top)
    qualified = mod.imports.names.get(name)
    if qualified is not None:
        return Binding("import", None, qualified)
    return Binding("builtin") if name in BUILTIN_NAMES else Binding("unbound")


def _enclosing_binding(mod: ModuleInfo, name: str, scope: Scope) -> Optional[Binding]:
    """The binding of ``name`` an enclosing function of ``scope`` makes (innermost first)."""
    for func in reversed(scope):
        for param, _ in iter_params(func):
            if param.arg == name:
                return Binding("param", param)
        values = mod.assignments.get(id(func), {}).get(name)
        if values is not None:
            # the model binds a nested ``def`` with no value
            return Binding("local", values[-1]) if values else Binding("nested_def")
    return None


def bound_in_scope(mod: ModuleInfo, name: str, scope: Scope) -> bool:
    """Is ``name`` a parameter, local or nested def of one of the enclosing functions
    (``binding_of(...).kind in LOCAL_KINDS``, without looking further)?"""
    return bool(scope) and _enclosing_binding(mod, name, scope) is not None


def head_bound_in_scope(mod: ModuleInfo, expr: ast.expr, scope: Scope) -> bool:
    """Is the first name of ``expr`` (``a`` of ``a.b.c``) rebound by an enclosing function?"""
    if not scope:
        return False
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name) and _enclosing_binding(mod, expr.id, scope) is not None


def marker_name(mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[str]:
    """``fastapi.Depends`` / ``fastapi.Security`` when ``expr`` (a marker call's
    function, or a bare reference) names FastAPI's marker where it is read, else None.

    The import table says what the name means in the module; an enclosing
    function that rebinds its first name (``def make(Depends=...)``) makes it
    that local instead.  Every marker finder asks this, so none of them takes a
    local ``Depends`` for FastAPI's.
    """
    canonical = mod.imports.canonical(expr)
    if canonical not in MARKERS or head_bound_in_scope(mod, expr, scope):
        return None
    return canonical


def is_builtin(mod: ModuleInfo, name: str, scope: Scope) -> bool:
    """Does a read of ``name`` in ``scope`` find the builtin (nothing of the module binds it)?"""
    return binding_of(mod, name, scope).kind == "builtin"


def is_builtin_name(mod: ModuleInfo, expr: ast.expr, name: str, scope: Scope) -> bool:
    """Is ``expr`` the bare name ``name``, meaning the builtin there?"""
    return isinstance(expr, ast.Name) and expr.id == name and is_builtin(mod, name, scope)


__all__ = [
    "BUILTIN_NAMES",
    "LOCAL_KINDS",
    "Binding",
    "binding_of",
    "bound_in_scope",
    "head_bound_in_scope",
    "is_builtin",
    "is_builtin_name",
    "marker_name",
]
