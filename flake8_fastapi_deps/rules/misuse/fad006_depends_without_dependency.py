"""FAD006: ``Depends()`` whose dependency would come from an annotation FastAPI cannot call."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import TYPING_GENERICS, UNCALLABLE_DEPENDENCY_BUILTINS
from ...facts.bindings import is_builtin
from ...facts.functions import marker_call_ids
from ...facts.markers import marker_label
from ...facts.markers import subscript_items
from ...model import ModuleInfo, Scope, annotated_parts, marker_target
from ...names import ANNOTATED
from ...project import Project, ValueSym
from ._common import annotated_aliases, fastapi_markers

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD006",
    "depends-without-dependency",
    "{marker}() for {param} has nothing to call ({why}); name it: {marker}(dependency)",
    "Depends() takes its dependency from an annotation that is missing or not a class.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    mod = ctx.module
    if not any(use.explicit is None for use in mod.marker_uses):
        return  # every marker this reports on is one of the module's own, without a target
    own_markers = marker_call_ids(mod)
    project = ctx.project
    for info in mod.functions:
        for param, default in info.params:
            ann = param.annotation
            # a Depends/Security default, or one in this Annotated: else nothing to report
            default_marker = default if id(default) in own_markers else None
            if default_marker is None and not _has_own_marker(mod, ann, own_markers):
                continue
            assert default_marker is None or isinstance(default_marker, ast.Call)
            markers = fastapi_markers(project, mod, ann, scope=info.parents)
            used: Optional[ast.Call]
            if default_marker is not None:
                if markers:
                    continue  # FAD008: FastAPI refuses this combination anyway
                used = default_marker
                parts = annotated_parts(mod.imports, ann)
                implicit = parts[0] if parts else ann
            elif markers and markers[-1].kind == "dep" and markers[-1].module is mod:
                own = annotated_parts(mod.imports, ann)
                if not own or not any(m is markers[-1].call for m in own[1:]):
                    continue  # the marker lives in an alias: reported there
                used = markers[-1].call
                implicit = own[0]
            else:
                continue
            assert used is not None
            if marker_target(used) is not None:
                continue
            why = "no annotation" if implicit is None else _uncallable(
                project, mod, implicit, info.parents
            )
            if why is not None:
                marker = marker_label(mod.imports.canonical(used.func))
                yield finding(used, RULE, marker=marker, param=param.arg, why=why)
    for name, value in annotated_aliases(mod):
        markers = fastapi_markers(project, mod, value)
        parts = annotated_parts(mod.imports, value)
        if not markers or not parts or markers[-1].kind != "dep":
            continue
        last = markers[-1].call
        if not any(m is last for m in parts[1:]) or marker_target(last) is not None:
            continue
        why = _uncallable(project, mod, parts[0], ())
        if why is not None:
            marker = marker_label(mod.imports.canonical(last.func))
            yield finding(last, RULE, marker=marker, param=name, why=why)


def _has_own_marker(mod: ModuleInfo, ann: Optional[ast.expr], own_markers: frozenset[int]) -> bool:
    """Is a Depends/Security call (a marker use of ``mod``) in the metadata of ``Annotated`` ``ann``?"""
    if not isinstance(ann, ast.Subscript):
        return False
    parts = annotated_parts(mod.imports, ann)
    return parts is not None and any(id(meta) in own_markers for meta in parts[1:])


def _uncallable(
    project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope, depth: int = 0
) -> Optional[str]:
    """Why FastAPI cannot call the annotation ``expr`` as a dependency, or None."""
    if depth > 4:
        return None
    if isinstance(expr, ast.Constant):
        if expr.value is None:
            return "the annotation is None"
        if isinstance(expr.value, str):
            parsed = _parse_string(expr.value)
            return None if parsed is None else _uncallable(project, mod, parsed, scope, depth + 1)
        return None
    if isinstance(expr, ast.BinOp):
        if isinstance(expr.op, ast.BitOr) and any(_is_none(m) for m in _union_members(expr)):
            return "X | None is not a class"
        return None
    if isinstance(expr, ast.Subscript):
        name = _typing(mod.imports.canonical(expr.value))
        if name == ANNOTATED:
            parts = annotated_parts(mod.imports, expr)
            return _uncallable(project, mod, parts[0], scope, depth + 1) if parts else None
        if name == "typing.Optional":
            return "Optional[...] is not a class"
        if name == "typing.Union":
            if any(_is_none(m) for m in subscript_items(expr)):
                return "Union[..., None] is not a class"
            return None
        if name in TYPING_GENERICS:
            return f"{name}[...] is not a class"
        if (
            isinstance(expr.value, ast.Name)
            and expr.value.id in UNCALLABLE_DEPENDENCY_BUILTINS
            and is_builtin(mod, expr.value.id, scope)
        ):
            return f"{expr.value.id}[...] is a builtin type"
        return None
    if isinstance(expr, ast.Name):
        if expr.id in UNCALLABLE_DEPENDENCY_BUILTINS and is_builtin(mod, expr.id, scope):
            return f"{expr.id} is a builtin type"
    if isinstance(expr, (ast.Name, ast.Attribute)):
        if _typing(mod.imports.canonical(expr)) == "typing.Any":
            return "Any is not a class"
        sym = project.resolve(mod, expr, scope)
        if isinstance(sym, ValueSym) and isinstance(sym.value, (ast.Subscript, ast.BinOp)):
            return _uncallable(project, sym.module, sym.value, (), depth + 1)
    return None


def _typing(name: Optional[str]) -> Optional[str]:
    if name is not None and name.startswith("typing_extensions."):
        return "typing." + name[len("typing_extensions."):]
    return name


def _parse_string(text: str) -> Optional[ast.expr]:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _union_members(expr: ast.expr) -> list[ast.expr]:
    members: list[ast.expr] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            stack.extend((node.right, node.left))
        else:
            members.append(node)
    return members


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None
