"""Helpers several declaration rules (FAD001-FAD005) share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...facts.functions import marker_functions
from ...memo import Slot
from ...model import FunctionInfo

if TYPE_CHECKING:
    from ...context import FileContext


_INJECTED: Slot[list[FunctionInfo]] = Slot("fad0_injected")


def injected_functions(ctx: FileContext) -> list[FunctionInfo]:
    """Request code, plus any function that declares a marker in its signature (kept on the module).

    FAD002 and FAD005 both look at these functions: computed once per module.
    """
    return _INJECTED.of(ctx.module, lambda: _compute_injected(ctx))


def _compute_injected(ctx: FileContext) -> list[FunctionInfo]:
    wanted = {id(f.node) for f in ctx.request_functions()}
    wanted.update(id(f.node) for f in marker_functions(ctx.project, ctx.module))
    return [info for info in ctx.module.functions if id(info.node) in wanted]
