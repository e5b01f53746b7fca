"""Rule families.  Each is a module with a ``RULES`` tuple and a ``check(ctx)`` function.

Adding a family means adding its module to :data:`FAMILIES`; nothing registers
itself on import.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from ..base import Finding, Rule
from . import async_boundary, declarations, lifecycle, misuse, structure, yield_shape

if TYPE_CHECKING:
    from ..context import FileContext


class Family(Protocol):
    @property
    def RULES(self) -> tuple[Rule, ...]: ...

    def check(self, ctx: FileContext) -> Iterable[Finding]: ...


FAMILIES: tuple[Family, ...] = (
    declarations,
    misuse,
    async_boundary,
    lifecycle,
    yield_shape,
    structure,
)
