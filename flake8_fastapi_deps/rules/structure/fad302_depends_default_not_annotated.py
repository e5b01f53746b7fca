"""FAD302 depends-default-not-annotated: Depends/Security as a parameter default, not in Annotated."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...facts.markers import marker_label
from ...model import marker_target, short_source
from ...names import dotted

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD302",
    "depends-default-not-annotated",
    "{param} = {marker} as a default; declare {param}: Annotated[{ann}, {marker}]",
    "Depends/Security used as a parameter default instead of in Annotated.",
    default_on=False,
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test or not ctx.mentions_fastapi:
        return
    for info in ctx.module.functions:
        for decl in ctx.project.signature(ctx.module, info):
            if decl.via != "default" or decl.marker is None:
                continue
            ann = decl.param.annotation
            yield finding(
                decl.marker,
                RULE,
                param=decl.param.arg,
                marker=_marker_text(decl.marker, decl.marker_name),
                ann=short_source(ann, 30, "T") if ann is not None else "T",
            )


def _marker_text(call: ast.Call, name: Optional[str]) -> str:
    """``Depends(get_db)``, ``Security(get_user, ...)``: short, naming the dependency."""
    func = dotted(call.func) or marker_label(name)
    target = marker_target(call)
    parts = [short_source(target, 25, "...") if target is not None else ""]
    if len(call.args) + len(call.keywords) > (1 if target is not None else 0):
        parts.append("...")
    return f"{func}({', '.join(p for p in parts if p)})"
