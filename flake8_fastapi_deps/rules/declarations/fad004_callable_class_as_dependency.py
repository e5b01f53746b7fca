"""FAD004 callable-class-as-dependency: ``Depends(SomeClass)`` where ``__call__`` was meant."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...facts.markers import marker_label
from ...facts.markers import class_defines_call
from ...names import dotted
from ...project import ClassSym

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD004",
    "callable-class-as-dependency",
    "{marker}({cls}) builds a new {cls} per request and never runs __call__; "
    "pass an instance: {marker}({cls}(...))",
    "A class with __call__ is passed as a class, so __call__ never runs.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    for use in ctx.module.marker_uses:
        target = use.explicit
        if not isinstance(target, (ast.Name, ast.Attribute)):
            continue
        sym = ctx.resolve(target, use.scope)
        if isinstance(sym, ClassSym) and class_defines_call(ctx.project, sym):
            yield finding(
                target, RULE, marker=marker_label(use.marker), cls=dotted(target) or sym.node.name
            )
