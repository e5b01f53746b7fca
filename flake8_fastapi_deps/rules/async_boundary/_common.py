"""Helpers several sync/async boundary rules share: naming the function, resolving names.

Every rule here looks only at request code (routes and dependencies) and only at
each function's own body; see the package docstring.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Optional

from ...catalogue import (
    BACKGROUND_TASK_TYPES,
    BLOCKING_CALLS,
    COROUTINE_RUNNERS,
    GET_LOOP,
    ITERATOR_TYPES,
    LOOP_RUNNERS,
    NEW_LOOP,
    OFFLOADERS,
    PARTIAL,
    RUNNING_LOOP,
    SET_LOOP,
    SHUTIL_BLOCKING,
    SYNC_HTTP_CLIENT_TYPES,
    SYNC_SESSION_TYPES,
    UNION_TYPES,
)
from ...memo import Slot
from ...model import FunctionInfo, ModuleInfo, Scope, bound_in_scope
from ...names import dotted
from ...options import Options
from ...project import ClassSym, ExternalSym, FuncSym, Project, Symbol, ValueSym

if TYPE_CHECKING:
    from ...context import FileContext


def where(ctx: FileContext, info: FunctionInfo) -> str:
    """``async route f`` / ``sync dependency g``: the function, as messages name it."""
    kind = "route" if ctx.is_route(info) else "dependency"
    return f"{'async' if info.is_async else 'sync'} {kind} {info.name}"


def body_scope(info: FunctionInfo) -> Scope:
    """The scope of the names used in ``info``'s own body."""
    return info.parents + (info.node,)


def label(expr: ast.expr) -> str:
    """``expr`` as the user wrote it when it is a name chain, else elided with ``…``."""
    text = dotted(expr)
    if text is not None:
        return text
    if isinstance(expr, ast.Attribute):
        return f"….{expr.attr}"
    return "…"


def head(expr: ast.expr) -> Optional[str]:
    """The first name of an attribute chain (``a`` of ``a.b.c``), if it starts with a name."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def external(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[str]:
    """Canonical name of the library object ``expr`` names, unless a local shadows it.

    Only names whose last part is the last part of a name these rules know
    are resolved: resolving the rest would cost file lookups for nothing.
    """
    qualified = mod.imports.qualified(expr)  # sees through `import x as y` aliases
    if qualified is not None:
        last = qualified.rsplit(".", 1)[-1]
    elif isinstance(expr, ast.Attribute):
        last = expr.attr
    elif isinstance(expr, ast.Name):
        last = expr.id
    else:
        return None
    if last not in _known_last_parts(project.options):
        return None
    return _meaning(project, mod, expr, scope)[0]


_LAST_PARTS: dict[Options, frozenset[str]] = {}


def _known_last_parts(options: Options) -> frozenset[str]:
    found = _LAST_PARTS.get(options)
    if found is None:
        names = (
            BLOCKING_CALLS | LOOP_RUNNERS | NEW_LOOP | GET_LOOP | RUNNING_LOOP | SET_LOOP
            | SYNC_HTTP_CLIENT_TYPES | SYNC_SESSION_TYPES | ITERATOR_TYPES | UNION_TYPES | OFFLOADERS
            | BACKGROUND_TASK_TYPES | SHUTIL_BLOCKING | COROUTINE_RUNNERS | {PARTIAL}
            | set(options.blocking_calls) | set(options.sync_session_types)
        )
        found = _LAST_PARTS[options] = frozenset(name.rsplit(".", 1)[-1] for name in names)
    return found


def symbol(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[Symbol]:
    """The project symbol of a name chain (see :func:`_meaning`)."""
    return _meaning(project, mod, expr, scope)[1]


_Meaning = tuple[Optional[str], Optional[Symbol]]
# dotted spelling of a module-level name chain -> its _Meaning, per module
_MEANINGS: Slot[dict[Optional[str], _Meaning]] = Slot("async_boundary.meanings")


def _meaning(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> _Meaning:
    """(canonical external name, symbol) of a name chain, memoised per module.

    Module-level meanings do not change within a module, so they are resolved
    once per distinct spelling (resolution may stat files); names bound in an
    enclosing function are resolved each time (only a nested def resolves).
    """
    first = head(expr)
    if first is None:
        return None, None
    if bound_in_scope(mod, first, scope):
        return None, project.resolve(mod, expr, scope)
    if first not in mod.imports.names and first not in mod.toplevel:
        return None, None  # a builtin or an unknown global
    text = dotted(expr)
    memo = _MEANINGS.of(mod, dict)
    found = memo.get(text)
    if found is None:
        sym = project.resolve(mod, expr, ())
        name = sym.name if isinstance(sym, ExternalSym) else None
        if name is None and not isinstance(sym, (FuncSym, ClassSym, ValueSym)):
            name = project.canonical(mod, expr, ())
        found = memo[text] = (name, sym)
    return found
