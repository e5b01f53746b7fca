"""Declaration errors, FAD001-FAD005: a dependency declared so that it cannot work.

One module per code; this package chains them for the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding
from . import (
    fad001_called_dependency,
    fad002_unwired_dependency,
    fad003_direct_call_with_depends_defaults,
    fad004_callable_class_as_dependency,
    fad005_duplicate_dependency,
)

if TYPE_CHECKING:
    from ...context import FileContext

MODULES = (
    fad001_called_dependency,
    fad002_unwired_dependency,
    fad003_direct_call_with_depends_defaults,
    fad004_callable_class_as_dependency,
    fad005_duplicate_dependency,
)
RULES = tuple(m.RULE for m in MODULES)


def check(ctx: FileContext) -> Iterator[Finding]:
    for module in MODULES:
        yield from module.check(ctx)
