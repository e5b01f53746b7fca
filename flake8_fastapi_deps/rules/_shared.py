"""Cheap helpers several rule families share (not a family: no ``RULES``).

What is computed here is cached on the module, so a function body walked by
one family is not walked again by the next.
"""

from __future__ import annotations

import ast
import os

from typing import TYPE_CHECKING

from ..model import FunctionInfo, FunctionNode, ModuleInfo, iter_params, own_nodes

if TYPE_CHECKING:
    from ..project import Project


def own_body(mod: ModuleInfo, node: FunctionNode) -> list[ast.AST]:
    """``list(own_nodes(node))`` (same order), walked once per function of ``mod``."""
    bodies = mod.cache.setdefault("fad1_bodies", {})
    assert isinstance(bodies, dict)
    found = bodies.get(id(node))
    if found is None:
        found = bodies[id(node)] = list(own_nodes(node))
    return found


def own_calls(mod: ModuleInfo, node: FunctionNode) -> list[ast.Call]:
    """The calls of :func:`own_body`, in its order."""
    calls = mod.cache.setdefault("fad_own_calls", {})
    assert isinstance(calls, dict)
    found = calls.get(id(node))
    if found is None:
        found = calls[id(node)] = [n for n in own_body(mod, node) if isinstance(n, ast.Call)]
    return found


def marker_functions(project: Project, mod: ModuleInfo) -> list[FunctionInfo]:
    """The functions of ``mod`` whose signature declares a dependency marker (cached)."""
    cached = mod.cache.get("fad_marker_functions")
    if isinstance(cached, list):
        return cached
    found = [
        info
        for info in mod.functions
        if may_declare_markers(mod, info)
        and any(d.marker is not None for d in project.signature(mod, info))
    ]
    mod.cache["fad_marker_functions"] = found
    return found


def may_declare_markers(mod: ModuleInfo, info: FunctionInfo) -> bool:
    """False when ``project.signature(mod, info)`` surely has no dependency marker.

    A parameter gets a marker from a call as its default (``= Depends(...)``),
    from an ``Annotated[...]`` subscript, or from a name or attribute chain
    that resolves to a module-level ``Annotated`` alias.  Resolving that needs
    the head name bound at module level or imported (a star import, or an
    ``__init__.py`` whose submodules are attributes, may bind anything).  A
    function with no such parameter is answered here, without resolving its
    annotations through other modules.
    """
    loose: object = None
    for param, default in iter_params(info.node):
        if isinstance(default, ast.Call):
            return True
        ann = param.annotation
        if ann is None or isinstance(ann, ast.Constant):
            continue
        if isinstance(ann, ast.Subscript):
            return True
        head = ann
        while isinstance(head, ast.Attribute):
            head = head.value
        if not isinstance(head, ast.Name):
            continue  # a call, a ``X | Y``, ...: never resolved as an alias
        if head.id in mod.toplevel or head.id in mod.imports.names:
            return True
        if loose is None:
            loose = _binds_anything(mod)
        if loose:
            return True
    return False


def _binds_anything(mod: ModuleInfo) -> bool:
    cached = mod.cache.get("fad_binds_anything")
    if isinstance(cached, bool):
        return cached
    found = (mod.path is not None and os.path.basename(mod.path) == "__init__.py") or any(
        isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names)
        for node, _ in mod.top_imports
    )
    mod.cache["fad_binds_anything"] = found
    return found
