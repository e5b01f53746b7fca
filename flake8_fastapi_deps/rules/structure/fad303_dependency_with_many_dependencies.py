"""FAD303 dependency-with-many-dependencies: a dependency with more sub-dependencies than allowed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...model import FunctionInfo

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD303",
    "dependency-with-many-dependencies",
    "dependency {name} declares {count} sub-dependencies (limit {limit}); split it up",
    "A dependency that declares more sub-dependencies than --fad-max-dependencies.",
    default_on=False,
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test or not ctx.mentions_fastapi:
        return
    limit = ctx.options.max_dependencies
    for info, count in dependency_counts(ctx):
        if count > limit:
            yield finding(info.node, RULE, name=info.qualname, count=count, limit=limit)


def dependency_counts(ctx: FileContext) -> Iterator[tuple[FunctionInfo, int]]:
    """Each dependency defined in the file with the sub-dependencies it declares
    (also what ``benchmarks/dependency_counts.py`` measures the default from)."""
    for info in ctx.request_functions():
        if ctx.is_dependency(info):
            yield info, sum(1 for d in ctx.project.signature(ctx.module, info) if d.marker is not None)
