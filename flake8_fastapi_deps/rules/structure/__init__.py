"""Design and structure, FAD301-FAD307: how the application is put together.

FAD301 (a circular import through router modules) is a bug and on by default;
FAD302-FAD307 are opinionated design advice, off by default
(``--extend-select FAD3``), and never look at test code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding
from ...options import Options
from ...project import Project
from . import (
    fad301_router_import_cycle,
    fad302_depends_default_not_annotated,
    fad303_dependency_with_many_dependencies,
    fad304_logic_in_pydantic_model,
    fad305_app_without_middleware,
    fad306_undocumented_route,
    fad307_mixed_module_structure,
)

if TYPE_CHECKING:
    from ...context import FileContext

MODULES = (
    fad301_router_import_cycle,
    fad302_depends_default_not_annotated,
    fad303_dependency_with_many_dependencies,
    fad304_logic_in_pydantic_model,
    fad305_app_without_middleware,
    fad306_undocumented_route,
    fad307_mixed_module_structure,
)
RULES = tuple(m.RULE for m in MODULES)

# The rules that ask to see FastAPI-free files.  FAD304's test (text only) goes
# first: FAD301's walks the import graph, which it need not when FAD304 says yes.
_WANTING = (fad304_logic_in_pydantic_model, fad301_router_import_cycle)


def check(ctx: FileContext) -> Iterator[Finding]:
    for module in MODULES:
        yield from module.check(ctx)


def wants(project: Project, path: Optional[str], text: str, options: Options) -> bool:
    """Files without FastAPI text that this family still needs to see (any rule's ``wants``)."""
    return any(m.wants(project, path, text, options) for m in _WANTING)


__all__ = ["MODULES", "RULES", "check", "wants"]
