"""Markers (``Depends``/``Security``), ``dependencies=`` lists and route registrations.

Picked out of the calls, signatures and class attributes that
:func:`flake8_fastapi_deps.model.build_module` records, in source order, with
the import table of the whole module at hand; and the ``Annotated[...]``
helpers they need.
"""

from __future__ import annotations

import ast
from typing import Optional

from .facts.bindings import head_bound_in_scope
from .memo import Slot
from .module_info import (
    DEPENDENCIES_CONSTRUCTORS,
    DEPENDENCIES_METHODS,
    ROUTE_DECORATORS,
    ROUTE_REGISTRARS,
    DependenciesList,
    FunctionNode,
    MarkerUse,
    ModuleInfo,
    RouteRegistration,
    Scope,
    iter_params,
    keyword,
)
from .names import ANNOTATED, MARKERS, Imports
from .nodes import walk

# Every subscript of the expressions build_module walked (a superset of the
# ``Annotated[...]`` values of those expressions), put by build_module.
ANNOTATED_CANDIDATES: Slot[list[ast.Subscript]] = Slot("annotated_candidates")
# id of each metadata item of those ``Annotated[...]`` values (of the whole
# tree when not put) -> the ``T`` of the first value holding it.
_ANNOTATED_HEADS: Slot[dict[int, ast.expr]] = Slot("annotated_heads")


def annotated_parts(imports: Imports, expr: Optional[ast.expr]) -> Optional[list[ast.expr]]:
    """``[T, meta1, meta2]`` for ``Annotated[T, meta1, meta2]``, else None."""
    if not isinstance(expr, ast.Subscript) or imports.canonical(expr.value) != ANNOTATED:
        return None
    inner = expr.slice
    if isinstance(inner, ast.Index):  # pragma: no cover - Python 3.8 shape
        inner = inner.value  # type: ignore[attr-defined]
    if isinstance(inner, ast.Tuple):
        return list(inner.elts)
    return [inner]


def find_markers(
    mod: ModuleInfo, pending: list[tuple[int, ast.AST, Scope]], calls: list[tuple[ast.Call, Scope]]
) -> None:
    """Markers, ``dependencies=[...]`` lists and route registrations, in source order."""
    imports = mod.imports
    marker_words = {"Depends", "Security"}
    marker_words.update(
        local for local, target in imports.names.items() if target.rsplit(".", 1)[-1] in marker_words
    )
    claimed: set[int] = set()  # marker calls already recorded with context
    fastapi = imports.imports_fastapi()
    position = 0
    for index, (call, scope) in enumerate(calls):
        while position < len(pending) and pending[position][0] <= index:
            _pending_markers(mod, pending[position], claimed, marker_words)
            position += 1
        _call(mod, call, scope, claimed, marker_words, fastapi)
    for item in pending[position:]:
        _pending_markers(mod, item, claimed, marker_words)


def _pending_markers(
    mod: ModuleInfo, item: tuple[int, ast.AST, Scope], claimed: set[int], marker_words: set[str]
) -> None:
    _, node, scope = item
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        _signature_markers(mod, node, scope, claimed, marker_words)
        return
    assert isinstance(node, (ast.Assign, ast.AnnAssign))
    # class attribute ``x: T = Depends(f)`` (class-based views, models)
    value = node.value
    if isinstance(value, ast.Call) and _is_marker(mod, value, marker_words, scope):
        claimed.add(id(value))
        ann = node.annotation if isinstance(node, ast.AnnAssign) else None
        mod.marker_uses.append(
            MarkerUse(value, str(mod.imports.canonical(value.func)), scope, implicit=ann)
        )


def _last_word(func: ast.expr) -> Optional[str]:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_marker(mod: ModuleInfo, call: ast.Call, marker_words: set[str], scope: Scope) -> bool:
    """Is ``call`` FastAPI's marker where it is read (``scope``)?  The cheap word
    test first; then :func:`~.facts.bindings.marker_name`'s two questions."""
    return (
        _last_word(call.func) in marker_words
        and mod.imports.canonical(call.func) in MARKERS
        and not head_bound_in_scope(mod, call.func, scope)
    )


def _signature_markers(
    mod: ModuleInfo, node: FunctionNode, scope: Scope, claimed: set[int], marker_words: set[str]
) -> None:
    """Record markers in defaults and ``Annotated`` metadata with their implicit target."""
    imports = mod.imports
    for param, default in iter_params(node):
        ann = param.annotation
        parts = annotated_parts(imports, ann) if isinstance(ann, ast.Subscript) else None
        if isinstance(default, ast.Call) and _is_marker(mod, default, marker_words, scope):
            claimed.add(id(default))
            implicit = parts[0] if parts else ann
            mod.marker_uses.append(
                MarkerUse(default, str(imports.canonical(default.func)), scope, implicit)
            )
        if parts:
            for meta in parts[1:]:
                if isinstance(meta, ast.Call) and _is_marker(mod, meta, marker_words, scope):
                    claimed.add(id(meta))
                    mod.marker_uses.append(
                        MarkerUse(meta, str(imports.canonical(meta.func)), scope, parts[0])
                    )


def _call(
    mod: ModuleInfo,
    node: ast.Call,
    scope: Scope,
    claimed: set[int],
    marker_words: set[str],
    fastapi: bool,
) -> None:
    imports = mod.imports
    func = node.func
    word = _last_word(func)
    canonical: Optional[str] = None
    if word in marker_words:
        canonical = imports.canonical(func)
        if canonical in MARKERS and head_bound_in_scope(mod, func, scope):
            canonical = None
        if canonical in MARKERS and id(node) not in claimed:
            claimed.add(id(node))
            mod.marker_uses.append(MarkerUse(node, str(canonical), scope, _alias_implicit(mod, node)))
            return
    method = func.attr if isinstance(func, ast.Attribute) else None
    if node.keywords and any(kw.arg == "dependencies" for kw in node.keywords):
        if canonical is None:
            canonical = imports.canonical(func)
        takes_deps = canonical in DEPENDENCIES_CONSTRUCTORS or (
            method in DEPENDENCIES_METHODS and fastapi
        )
        if takes_deps:
            for kw in node.keywords:
                if kw.arg == "dependencies":
                    mod.dependencies_lists.append(DependenciesList(kw, node, scope))
                    if isinstance(kw.value, (ast.List, ast.Tuple, ast.Set)):
                        for item in kw.value.elts:
                            if isinstance(item, ast.Call) and _is_marker(
                                mod, item, marker_words, scope
                            ):
                                claimed.add(id(item))
                                mod.marker_uses.append(
                                    MarkerUse(
                                        item,
                                        str(imports.canonical(item.func)),
                                        scope,
                                        in_dependencies_list=True,
                                    )
                                )
    if method in ROUTE_REGISTRARS and isinstance(func, ast.Attribute):
        endpoint = node.args[1] if len(node.args) > 1 else keyword(node, "endpoint")
        if endpoint is not None:
            mod.registrations.append(RouteRegistration(node, func.value, endpoint, scope))
    elif (
        func.__class__ is ast.Call
        and len(node.args) == 1
        and not node.keywords
        and node.args[0].__class__ is not ast.Starred
    ):
        # ``app.get("/p")(page)``: the decorator applied by hand (its call is the registration)
        assert isinstance(func, ast.Call)
        inner = func.func
        if isinstance(inner, ast.Attribute) and inner.attr in ROUTE_DECORATORS:
            mod.registrations.append(RouteRegistration(func, inner.value, node.args[0], scope))


def _alias_implicit(mod: ModuleInfo, call: ast.Call) -> Optional[ast.expr]:
    """For ``X = Annotated[T, Depends()]`` at any level, the ``T`` of the enclosing Annotated."""
    # A marker outside a signature is usually inside an Annotated alias.  We
    # cannot walk up the tree, so aliases are matched by identity: one table
    # per module, not a walk over every alias for each marker.
    return _ANNOTATED_HEADS.of(mod, lambda: _annotated_heads(mod)).get(id(call))


def _annotated_heads(mod: ModuleInfo) -> dict[int, ast.expr]:
    candidates = ANNOTATED_CANDIDATES.get(mod)
    heads: dict[int, ast.expr] = {}
    for node in candidates if candidates is not None else walk([mod.tree]):
        if isinstance(node, ast.Subscript) and mod.imports.canonical(node.value) == ANNOTATED:
            parts = annotated_parts(mod.imports, node)
            if parts:
                for meta in parts[1:]:
                    heads.setdefault(id(meta), parts[0])
    return heads
