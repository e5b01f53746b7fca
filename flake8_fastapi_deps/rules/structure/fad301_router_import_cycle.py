"""FAD301 router-import-cycle: an import that is part of an import cycle through a router module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional, Union

from ...base import Finding, Rule
from ...import_graph import ImportGraph
from ...memo import Slot
from ...model import ModuleInfo
from ...options import Options
from ...project import Project
from ._common import router_creations

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD301",
    "router-import-cycle",
    "import cycle {cycle}; move shared code to a module that imports no router",
    "An import that is part of an import cycle through a router or app module.",
)

_MAX_NAMED_MODULES = 6

# Does the module create an app or router, or define routes?
_ROUTER_MODULE: Slot[bool] = Slot("fad3_router_module")
# An import component (its sorted members, as ImportGraph.component gives them;
# components are final and disjoint) -> its router/app modules.
_COMPONENT_ROUTERS: Slot[dict[tuple[str, ...], frozenset[str]]] = Slot("fad301_routers")


def wants(project: Project, path: Optional[str], text: str, options: Options) -> bool:
    """Modules that may share an import cycle with a router module, FastAPI-free or not."""
    if path is None or not _in_project(project, path):
        return False
    return project.import_graph().may_be_in_router_cycle(path, text=text)


def _in_project(project: Project, real: str) -> bool:
    """``project.inside`` for a path that is already real (no ``realpath`` call)."""
    root = project.root
    return root is not None and (real == root or real.startswith(root + os.sep))


def check(ctx: FileContext) -> Iterator[Finding]:
    project = ctx.project
    path = ctx.module.path
    if path is None or not _in_project(project, path):
        return
    graph = project.import_graph()
    if not graph.may_be_in_router_cycle(path, ctx.module):
        return
    members, routers = project.component(
        path, ctx.module, lambda found: _routers_in(project, graph, found) if len(found) > 1 else None
    )
    if not routers:
        return
    inside = set(members)
    edges = [e for e in graph.edges(path, ctx.module) if e.target in inside]
    back = graph.shortest_paths_to(path, {e.target for e in edges})
    # import statement position -> (length of its cycle, the cycle: the module
    # back's path runs from, or a detour's whole list); paths are read from
    # ``back`` only for the cycles reported, and only as far as they are named
    best: dict[tuple[int, int], tuple[int, Union[str, list[str]]]] = {}
    for edge in edges:
        if edge.target not in back:
            continue
        cycle: Union[str, list[str]] = edge.target  # path -> back's path from the target
        length = back.length(edge.target) + 1
        if path not in routers and not back.meets(edge.target, routers):
            found = _cycle_through_router(graph, path, edge.target, routers, inside)
            if found is None:
                continue
            cycle, length = found, len(found)
        where = (edge.line, edge.col)
        known = best.get(where)
        if known is None or length < known[0]:
            best[where] = (length, cycle)
    for (line, col), (length, cycle) in best.items():
        if isinstance(cycle, list):
            text = _cycle_text(graph, cycle)
        elif length > _MAX_NAMED_MODULES + 1:
            text = _long_cycle_text(graph, length, [path, *back.first(cycle, 2)], back.last(cycle))
        else:
            text = _cycle_text(graph, [path, *back.path(cycle)])
        yield Finding(line, col, RULE.format(cycle=text))


def _routers_in(project: Project, graph: ImportGraph, members: tuple[str, ...]) -> frozenset[str]:
    """The router/app modules of a component (computed once per component)."""
    known_components = _COMPONENT_ROUTERS.of(project, dict)
    cached = known_components.get(members)
    if cached is not None:
        return cached
    found: set[str] = set()
    for member in members:
        if not graph.router_hint(member):
            continue
        # a one-off question: the answer is kept per component, not the module
        if project.ask_module(member, lambda mod: _is_router_module(project, mod)):
            found.add(member)
    result = known_components[members] = frozenset(found)
    return result


def _is_router_module(project: Project, mod: ModuleInfo) -> bool:
    """Creates an app or router, or defines routes."""
    return _ROUTER_MODULE.of(
        mod, lambda: bool(project.routes(mod)) or bool(router_creations(project, mod))
    )


def _cycle_through_router(
    graph: ImportGraph, start: str, first: str, routers: frozenset[str], members: set[str]
) -> Optional[list[str]]:
    """A simple cycle ``start -> first -> ... -> router -> ... -> start``, if one is found."""
    to_router = graph.shortest_path(first, set(routers), {start}, members)
    if to_router is None:
        return None
    avoid = set(to_router[:-1])
    home = graph.shortest_path(to_router[-1], {start}, avoid, members)
    if home is None:
        return None
    return [start, *to_router, *home[1:]]


def _cycle_text(graph: ImportGraph, cycle: list[str]) -> str:
    if len(cycle) > _MAX_NAMED_MODULES + 1:
        return _long_cycle_text(graph, len(cycle), cycle[:3], cycle[-3:])
    return " -> ".join(graph.module_name(p) for p in cycle)


def _long_cycle_text(graph: ImportGraph, length: int, first: list[str], last: list[str]) -> str:
    """A cycle of ``length`` modules, named by its first and last three only."""
    names = [graph.module_name(p) for p in first]
    names.append(f"({length - _MAX_NAMED_MODULES} more)")
    names.extend(graph.module_name(p) for p in last)
    return " -> ".join(names)
