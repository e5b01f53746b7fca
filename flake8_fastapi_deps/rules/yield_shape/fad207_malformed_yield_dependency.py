"""FAD207: a yield dependency that can yield twice, or finish without yielding.

FastAPI drives the generator as a context manager: it must yield exactly once
on every path ("generator didn't yield" / "generator didn't stop").  The path
analysis is the flow fact's (:func:`~flake8_fastapi_deps.facts.yield_flow.yield_counts`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...facts.yield_flow import yield_counts, yield_dependencies

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD207",
    "malformed-yield-dependency",
    "{func} {problem}; yield exactly once (generator didn't {what})",
    "A yield dependency that can yield twice, or finish without yielding.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in yield_dependencies(ctx):
        counts = yield_counts(ctx, info)
        if counts is None:
            continue
        for node, (problem, what) in counts.problems.items():
            yield finding(node, RULE, func=info.name, problem=problem, what=what)
