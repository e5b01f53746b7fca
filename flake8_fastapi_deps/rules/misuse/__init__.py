"""Misused dependency declarations FastAPI cannot honour, FAD006-FAD013.

Each of these is a FastAPI failure no other linter reports: a startup error, a
422 on every request, a marker object injected where a value was expected, or a
dependency silently dropped.  All are on by default, so every check here stays
silent unless the failure is certain from the source.

One module per code; ``_common`` holds what several of them share.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from ...base import Finding, Rule
from . import (
    fad006_depends_without_dependency,
    fad007_dependencies_item_not_depends,
    fad008_conflicting_dependency_markers,
    fad009_depends_where_never_injected,
    fad010_depends_in_model_field,
    fad011_depends_lost_in_postponed_annotation,
    fad012_websocket_route_misuse,
    fad013_context_manager_dependency,
)

if TYPE_CHECKING:
    from ...context import FileContext


class _RuleModule(Protocol):
    @property
    def RULE(self) -> Rule: ...

    def check(self, ctx: FileContext) -> Iterable[Finding]: ...


MODULES: tuple[_RuleModule, ...] = (
    fad006_depends_without_dependency,
    fad007_dependencies_item_not_depends,
    fad008_conflicting_dependency_markers,
    fad009_depends_where_never_injected,
    fad010_depends_in_model_field,
    fad011_depends_lost_in_postponed_annotation,
    fad012_websocket_route_misuse,
    fad013_context_manager_dependency,
)
RULES: tuple[Rule, ...] = tuple(m.RULE for m in MODULES)


def check(ctx: FileContext) -> Iterator[Finding]:
    for module in MODULES:
        yield from module.check(ctx)
