"""Cheap helpers several rule families share (not a family: no ``RULES``).

What is computed here is cached on the module, so a function body walked by
one family is not walked again by the next.
"""

from __future__ import annotations

import ast
import os
from typing import TYPE_CHECKING

from ..model import (
    FunctionInfo,
    FunctionNode,
    ModuleInfo,
    Scope,
    annotated_parts,
    bound_in_scope,
    own_node_list,
)
from ..names import FRAMEWORK_PACKAGES

if TYPE_CHECKING:
    from ..project import Project


def own_body(mod: ModuleInfo, node: FunctionNode) -> list[ast.AST]:
    """``list(own_nodes(node))`` (same order), walked once per function of ``mod``."""
    bodies = mod.cache.setdefault("fad1_bodies", {})
    assert isinstance(bodies, dict)
    found = bodies.get(id(node))
    if found is None:
        found = bodies[id(node)] = own_node_list(node)
    return found


def own_calls(mod: ModuleInfo, node: FunctionNode) -> list[ast.Call]:
    """The calls of :func:`own_body`, in its order."""
    calls = mod.cache.setdefault("fad_own_calls", {})
    assert isinstance(calls, dict)
    found = calls.get(id(node))
    if found is None:
        found = calls[id(node)] = [n for n in own_body(mod, node) if isinstance(n, ast.Call)]
    return found


def own_awaited(mod: ModuleInfo, node: FunctionNode) -> frozenset[int]:
    """``id`` of every expression awaited in :func:`own_body` (``await <expr>``)."""
    cache = mod.cache.setdefault("fad_own_awaited", {})
    assert isinstance(cache, dict)
    found = cache.get(id(node))
    if found is None:
        found = cache[id(node)] = frozenset(
            id(n.value) for n in own_body(mod, node) if n.__class__ is ast.Await
        )
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

    A parameter gets a marker from a ``Depends(...)``/``Security(...)``
    default or from the metadata of an ``Annotated[...]`` of this module (the
    model records both as marker uses), or from a name or attribute chain that
    resolves to a module-level ``Annotated`` alias.  Only that last case needs
    resolving, and only when the name can lead to a module-level value: see
    :func:`_may_name_alias`.
    """
    args = info.node.args
    if not (args.args or args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg):
        return False
    own = marker_call_ids(mod)
    if own:
        if any(id(d) in own for d in args.defaults) or any(
            d is not None and id(d) in own for d in args.kw_defaults
        ):
            return True
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        params.append(args.vararg)
    if args.kwarg is not None:
        params.append(args.kwarg)
    for param in params:
        ann = param.annotation
        if ann is None:
            continue
        kind = ann.__class__
        if kind is ast.Subscript:
            if own:
                parts = annotated_parts(mod.imports, ann)
                if parts and any(id(meta) in own for meta in parts[1:]):
                    return True
        elif kind is ast.Name:
            assert isinstance(ann, ast.Name)
            if _may_name_alias(mod, ann.id, False):
                return True
        elif kind is ast.Attribute:
            head: ast.expr = ann
            while isinstance(head, ast.Attribute):
                head = head.value
            if isinstance(head, ast.Name) and _may_name_alias(mod, head.id, True):
                return True
    return False


def marker_call_ids(mod: ModuleInfo) -> frozenset[int]:
    cached = mod.cache.get("fad_marker_ids")
    if isinstance(cached, frozenset):
        return cached
    found = frozenset(id(use.call) for use in mod.marker_uses)
    mod.cache["fad_marker_ids"] = found
    return found


def _may_name_alias(mod: ModuleInfo, head: str, attrs: bool) -> bool:
    """Can a name chain starting at ``head`` resolve to a module-level ``X = <subscript>``?

    Not for a name bound to a def or class of the module, nor to a value that is
    no subscript, nor one imported from a framework package (always external),
    nor one bound nowhere in the module.  A star import, or an ``__init__.py``
    (whose submodules are attributes), may bind anything.
    """
    binding = mod.toplevel.get(head)
    if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    if isinstance(binding, ast.expr):
        return not attrs and isinstance(binding, ast.Subscript)
    qualified = mod.imports.names.get(head)
    if qualified is not None:
        return qualified.split(".", 1)[0] not in FRAMEWORK_PACKAGES
    return binding is None and _binds_anything(mod)


def may_name_plain_function(mod: ModuleInfo, expr: ast.expr, scope: Scope) -> bool:
    """Can ``project.resolve(mod, expr, scope)`` be a function defined outside any class?

    Not for a parameter or local value of an enclosing function, a class or a
    module-level value (or an attribute of any of these, or of a def), a name
    imported from a framework package, or a name bound nowhere; the rules of
    :func:`_may_name_alias` apply to module-level names.
    """
    attrs = False
    while isinstance(expr, ast.Attribute):
        expr = expr.value
        attrs = True
    if not isinstance(expr, ast.Name):
        return False
    head = expr.id
    binding = mod.toplevel.get(head)
    if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if not attrs:
            return True
    elif not isinstance(binding, (ast.ClassDef, ast.expr)):
        qualified = mod.imports.names.get(head)
        if qualified is not None:
            if qualified.split(".", 1)[0] not in FRAMEWORK_PACKAGES:
                return True
        elif binding is None and _binds_anything(mod):
            return True
    # not at module level: only a def nested in an enclosing function can be one
    return not attrs and bool(scope) and bound_in_scope(mod, head, scope)


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
