"""FAD301 router-import-cycle: a circular import through router modules that fails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule
from ...import_graph import ImportGraph
from ...import_sim import Failure, GroupSimulation
from ...options import Options
from ...project import Project
from ._cycles import cycle_text, may_share_router_cycle, router_group

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD301",
    "router-import-cycle",
    "importing {first} first fails here: {name} is not yet defined in partially initialized "
    "module {module} (import cycle {cycle}); {fix}",
    "A circular import through a router or app module that fails in some import order.",
)

_RESULT = "fad301"  # the group's answer, in the component's scratch dict


def wants(project: Project, path: Optional[str], text: str, options: Options) -> bool:
    """Modules that may share an import cycle with a router module, FastAPI-free or not."""
    return may_share_router_cycle(project, path, text)


def check(ctx: FileContext) -> Iterator[Finding]:
    found = router_group(ctx.project, ctx.module.path, ctx.module)
    if found is None:
        return
    graph, members, _ = found
    path = members[0] if ctx.module.path is None else ctx.module.path
    scratch = graph.component_cache(path)
    if _RESULT not in scratch:
        scratch[_RESULT] = GroupSimulation(graph, members).first_failure()
    failure = scratch[_RESULT]
    # reported once per group: at the failing import, in the file that holds it
    if isinstance(failure, Failure) and failure.path == path:
        yield Finding(failure.line, failure.col, _message(graph, failure))


def _message(graph: ImportGraph, failure: Failure) -> str:
    module = graph.module_name(failure.module)
    if failure.defined_at:
        fix = (
            f"move the import at line {failure.module_line} of {module} below the definition "
            f"of {failure.name} (line {failure.defined_at}), or into the function that uses it"
        )
    else:
        fix = (
            f"move {failure.name} to a module that imports no router, "
            "or import it inside the function that uses it"
        )
    return RULE.format(
        first=graph.module_name(failure.first),
        name=failure.name,
        module=module,
        cycle=cycle_text(graph, [*failure.cycle, failure.module]),
        fix=fix,
    )
