"""FAD002 unwired-dependency: ``Depends`` used uncalled, or a function used as a plain default."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...facts.bindings import marker_name
from ...facts.markers import marker_label
from ...model import annotated_parts
from ...names import dotted
from ...project import FuncSym
from ._common import injected_functions

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD002",
    "unwired-dependency",
    "{what}; {fix}",
    "Depends/Security used without calling it, or a function used as a plain default.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    imports = ctx.module.imports
    routes = ctx.routes
    for info in injected_functions(ctx):
        for param, default in info.params:
            default_marker = None if default is None else marker_name(ctx.module, default, info.parents)
            if default is not None and default_marker is not None:
                label = marker_label(default_marker)
                yield finding(
                    default,
                    RULE,
                    what=f"{param.arg}={dotted(default)} is not called, so nothing is injected",
                    fix=f"write {label}(dependency)",
                )
                continue
            parts = annotated_parts(imports, param.annotation)
            for meta in (parts or [])[1:]:
                meta_marker = marker_name(ctx.module, meta, info.parents)
                if meta_marker is not None:
                    label = marker_label(meta_marker)
                    yield finding(
                        meta,
                        RULE,
                        what=f"{param.arg}: Annotated[..., {dotted(meta)}] is not called",
                        fix=f"write {label}(dependency)",
                    )
            if id(info.node) in routes and isinstance(default, (ast.Name, ast.Attribute)):
                sym = ctx.resolve(default, info.parents)
                if isinstance(sym, FuncSym):
                    name = dotted(default)
                    yield finding(
                        default,
                        RULE,
                        what=f"{param.arg}={name} makes a query parameter defaulting to a function",
                        fix=f"write Depends({name})",
                    )
    for name, value in ctx.module.toplevel.items():
        if isinstance(value, ast.Subscript):
            parts = annotated_parts(imports, value)
            for meta in (parts or [])[1:]:
                alias_marker = marker_name(ctx.module, meta, ())
                if alias_marker is not None:
                    label = marker_label(alias_marker)
                    yield finding(
                        meta,
                        RULE,
                        what=f"alias {name} uses {dotted(meta)} without calling it",
                        fix=f"write {label}(dependency)",
                    )
