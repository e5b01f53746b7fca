"""FAD308 router-in-import-cycle: an import cycle through a router module, failing or not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule
from ...import_graph import ImportGraph
from ...options import Options
from ...project import Project
from ._cycles import cycle_text, may_share_router_cycle, router_group

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD308",
    "router-in-import-cycle",
    "import cycle {cycle}; move shared code to a module that imports no router",
    "An import cycle through a router or app module, whether or not it fails today.",
    default_on=False,
)

_RESULT = "fad308"  # the group's one finding (path, line, col, cycle), in the component's scratch


def wants(project: Project, path: Optional[str], text: str, options: Options) -> bool:
    """Modules that may share an import cycle with a router module."""
    return may_share_router_cycle(project, path, text)


def check(ctx: FileContext) -> Iterator[Finding]:
    found = router_group(ctx.project, ctx.module.path, ctx.module)
    if found is None or ctx.module.path is None:
        return
    graph, members, routers = found
    path = ctx.module.path
    scratch = graph.component_cache(path)
    if _RESULT not in scratch:
        scratch[_RESULT] = _group_finding(graph, members, routers)
    where = scratch[_RESULT]
    if isinstance(where, tuple) and where[0] == path:
        _, line, col, cycle = where
        yield Finding(line, col, RULE.format(cycle=cycle))


def _group_finding(
    graph: ImportGraph, members: tuple[str, ...], routers: frozenset[str]
) -> Optional[tuple[str, int, int, str]]:
    """Once per group: the first import (by line) of the first router module (by
    dotted name) that stays in the group, with the shortest cycle through it."""
    inside = set(members)
    for router in sorted(routers, key=graph.module_name):
        edges = sorted((e for e in graph.edges(router) if e.target in inside), key=lambda e: (e.line, e.col))
        if not edges:
            continue
        edge = edges[0]
        back = graph.shortest_paths_to(router, {edge.target})
        if edge.target not in back:
            continue
        cycle = [router, *back.path(edge.target)]
        return router, edge.line, edge.col, cycle_text(graph, cycle)
    return None
