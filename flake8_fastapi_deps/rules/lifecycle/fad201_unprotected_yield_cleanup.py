"""FAD201: cleanup after a yield dependency's yield that the route's error skips.

FastAPI throws the route's exception into the generator at the ``yield``, so
cleanup after it that no ``try``/``finally`` or ``with`` protects is skipped on
every error (the flow fact :func:`~flake8_fastapi_deps.facts.yield_flow.first_skipped`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding, Rule, finding
from ...facts.yield_flow import first_skipped, yield_dependencies, yield_flow
from ...model import short_source

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD201",
    "unprotected-yield-cleanup",
    "{func}() skips `{stmt}` when the route raises; put the yield in try/finally or a with block",
    "A yield dependency's cleanup after the yield is skipped when the route raises.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in yield_dependencies(ctx):
        for site in yield_flow(ctx, info).sites:
            skipped = first_skipped(site)
            if skipped is not None:
                yield finding(site.node, RULE, func=info.name, stmt=short_source(skipped, 40))
