"""FAD013: a ``@contextmanager``/``@asynccontextmanager`` function passed to Depends."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import CONTEXT_MANAGERS
from ...facts.markers import marker_label
from ...names import dotted
from ...project import FuncSym, ValueSym

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD013",
    "context-manager-dependency",
    "@{deco} {callee} breaks every request as a dependency; drop the decorator",
    "A @contextmanager/@asynccontextmanager function passed to Depends.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    mod = ctx.module
    project = ctx.project
    for use in mod.marker_uses:
        target = use.explicit
        if not isinstance(target, (ast.Name, ast.Attribute)):
            continue
        sym = ctx.resolve(target, use.scope)
        deco: Optional[str] = None
        if isinstance(sym, FuncSym):
            for d in sym.node.decorator_list:
                name = project.canonical(sym.module, d)
                if name in CONTEXT_MANAGERS:
                    deco = CONTEXT_MANAGERS[name]
                    break
        elif isinstance(sym, ValueSym) and isinstance(sym.value, ast.Call):
            name = project.canonical(sym.module, sym.value.func)
            if name in CONTEXT_MANAGERS:
                deco = CONTEXT_MANAGERS[name]
        if deco is not None:
            yield finding(
                target, RULE, callee=dotted(target), deco=deco, marker=marker_label(use.marker)
            )
