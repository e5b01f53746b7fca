"""FAD008: one parameter with two dependency markers; FastAPI keeps one or refuses both."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...catalogue import ANNOTATED_SOURCES
from ...facts.functions import marker_call_ids
from ...facts.markers import marker_label
from ...model import ModuleInfo, annotated_parts, marker_target
from ...names import dotted
from ._common import Marker, annotated_aliases, fastapi_markers, may_be_alias

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD008",
    "conflicting-dependency-markers",
    "{param} {problem}",
    "One parameter carries two dependency markers; FastAPI keeps one or refuses both.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    mod = ctx.module
    own_markers = marker_call_ids(mod)
    if not own_markers and not _may_use_annotated(mod):
        return  # needs a marker default (a marker use) or an Annotated of this module
    project = ctx.project
    imports = mod.imports
    for info in mod.functions:
        for param, default in info.params:
            marker_default = id(default) in own_markers  # a Depends/Security default
            parts = None
            if not marker_default:
                ann = param.annotation
                if ann.__class__ is not ast.Subscript:
                    continue  # neither a marker default nor an Annotated of this module
                parts = annotated_parts(imports, ann)
                if parts is None or not _may_hold_two_markers(mod, parts):
                    continue  # nothing FastAPI could drop
            markers = fastapi_markers(project, mod, param.annotation, scope=info.parents)
            if marker_default and markers:
                assert isinstance(default, ast.Call)
                default_label = marker_label(mod.imports.canonical(default.func))
                first = markers[-1]
                inner = (
                    marker_label(first.module.imports.canonical(first.call.func))
                    if first.kind == "dep"
                    else dotted(first.call.func) or "a marker"
                )
                yield finding(
                    default,
                    RULE,
                    param=param.arg,
                    problem=f"has {inner} in Annotated and a {default_label} default, "
                    "which FastAPI refuses; keep one marker",
                )
                continue
            if parts is None:
                parts = annotated_parts(imports, param.annotation)
            if parts:
                yield from _dropped_markers(mod, param.arg, markers, parts)
    for name, value in annotated_aliases(mod):
        parts = annotated_parts(mod.imports, value)
        if parts:
            yield from _dropped_markers(mod, f"alias {name}", fastapi_markers(project, mod, value), parts)


def _may_use_annotated(mod: ModuleInfo) -> bool:
    """Can some name of ``mod`` be ``typing.Annotated`` (see ``Imports.canonical``)?"""
    return any(value in ANNOTATED_SOURCES for value in mod.imports.names.values())


def _may_hold_two_markers(mod: ModuleInfo, parts: list[ast.expr]) -> bool:
    """Can ``Annotated[parts...]`` hold two markers for :func:`fastapi_markers`?

    Each marker of its own metadata is a call; more can only come from the
    annotated type, when that is a nested ``Annotated`` or an alias.
    """
    calls = 0
    for meta in parts[1:]:
        if meta.__class__ is ast.Call:
            calls += 1
    if calls >= 2:
        return True
    inner = parts[0]
    if inner.__class__ is ast.Subscript:
        return True
    if isinstance(inner, (ast.Name, ast.Attribute)):
        return may_be_alias(mod, inner)
    return False


def _dropped_markers(
    mod: ModuleInfo, what: str, markers: list[Marker], parts: list[ast.expr]
) -> Iterator[Finding]:
    """Several markers, one of them a Depends that FastAPI ignores: report at the last."""
    if len(markers) < 2 or not any(m.kind == "dep" for m in markers[:-1]):
        return
    last = markers[-1]
    if not any(m is last.call for m in parts[1:]):
        return  # the last marker is in an alias: reported at the alias
    dropped = [m for m in markers[:-1] if m.kind == "dep"]
    first = dropped[0].call
    dep_text = dotted(marker_target(first) or first.func) if marker_target(first) else ""
    shown = f"{marker_label(dropped[0].module.imports.canonical(first.func))}({dep_text or ''})"
    yield finding(
        last.call,
        RULE,
        param=what,
        problem=f"has {len(markers)} markers in Annotated and FastAPI ignores {shown}; keep one marker",
    )
