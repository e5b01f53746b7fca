"""Helpers several misuse rules share: marker tests and FastAPI's view of an annotation's markers."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional, Union

from ...catalogue import PARAM_MARKERS
from ...facts.bindings import marker_name
from ...memo import Slot
from ...model import ModuleInfo, Scope, annotated_parts
from ...names import ANNOTATED, dotted
from ...project import Project, ValueSym


def is_marker(mod: ModuleInfo, expr: ast.expr, scope: Scope) -> bool:
    """Is ``expr`` a ``Depends(...)``/``Security(...)`` call, FastAPI's where it is read?"""
    return isinstance(expr, ast.Call) and marker_name(mod, expr.func, scope) is not None


@dataclass
class Marker:
    call: ast.Call
    module: ModuleInfo
    kind: str  # "dep" (Depends/Security) or "param" (Query, Body, ...)


# per module: id of an annotation -> its markers; dotted text -> the alias it names
_MARKERS: Slot[dict[int, list[Marker]]] = Slot("fad_markers")
_ALIASES: Slot[dict[Optional[str], Optional[ValueSym]]] = Slot("fad_alias")


def fastapi_markers(
    project: Project, mod: ModuleInfo, expr: Optional[ast.expr], depth: int = 0, scope: Scope = ()
) -> list[Marker]:
    """FastAPI's markers of an annotation in the order FastAPI sees them.

    Nested ``Annotated`` and module-level aliases (``CU = Annotated[...]``,
    ``type CU = ...``) are flattened as ``typing`` does: the inner metadata
    comes first, and FastAPI uses the last marker.  ``scope``: where ``expr`` is
    read (a parameter's annotation: the function's ``parents``); an alias is
    read at module level.
    """
    if expr is None or depth > 4:
        return []
    table = _MARKERS.of(mod, dict)
    cached = table.get(id(expr))
    if cached is not None:
        return cached
    result = _markers_uncached(project, mod, expr, depth, scope)
    table[id(expr)] = result
    return result


def _markers_uncached(
    project: Project, mod: ModuleInfo, expr: ast.expr, depth: int, scope: Scope
) -> list[Marker]:
    parts = annotated_parts(mod.imports, expr)
    if parts is None:
        if isinstance(expr, (ast.Name, ast.Attribute)) and may_be_alias(mod, expr):
            alias = _alias(project, mod, expr)
            if alias is not None:
                return fastapi_markers(project, alias.module, alias.value, depth + 1)
        return []
    found = list(fastapi_markers(project, mod, parts[0], depth + 1, scope))
    for meta in parts[1:]:
        if not isinstance(meta, ast.Call):
            continue
        if marker_name(mod, meta.func, scope) is not None:
            found.append(Marker(meta, mod, "dep"))
        elif mod.imports.canonical(meta.func) in PARAM_MARKERS:
            found.append(Marker(meta, mod, "param"))
    return found


def _alias(project: Project, mod: ModuleInfo, expr: Union[ast.Name, ast.Attribute]) -> Optional[ValueSym]:
    """The module-level ``X = <subscript>`` that ``expr`` names, cached per module and text."""
    table = _ALIASES.of(mod, dict)
    text = dotted(expr)
    if text in table:
        return table[text]
    sym = project.resolve(mod, expr)
    result = sym if isinstance(sym, ValueSym) and isinstance(sym.value, ast.Subscript) else None
    table[text] = result
    return result


def may_be_alias(mod: ModuleInfo, expr: Union[ast.Name, ast.Attribute]) -> bool:
    """Can ``expr`` name a module-level alias (cheap test before resolving)?"""
    head: ast.expr = expr
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name):
        return False
    binding = mod.toplevel.get(head.id)
    if binding is None:
        return head.id in mod.imports.names
    if isinstance(expr, ast.Name):
        return isinstance(binding, (ast.Subscript, ast.Import, ast.ImportFrom))
    return isinstance(binding, (ast.Import, ast.ImportFrom))


def annotated_aliases(mod: ModuleInfo) -> Iterator[tuple[str, ast.Subscript]]:
    """Module-level ``Alias = Annotated[...]`` (also ``type Alias = ...``)."""
    for name, value in mod.toplevel.items():
        if isinstance(value, ast.Subscript) and mod.imports.canonical(value.value) == ANNOTATED:
            yield name, value
