"""FAD303 dependency-with-many-dependencies: a dependency with more sub-dependencies than allowed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding

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
    for info in ctx.request_functions():
        if not ctx.is_dependency(info):
            continue
        count = sum(1 for d in ctx.project.signature(ctx.module, info) if d.marker is not None)
        if count > limit:
            yield finding(info.node, RULE, name=info.qualname, count=count, limit=limit)
