"""What FAD301 and FAD308 share: the import cycle groups that hold a router module."""

from __future__ import annotations

import os
from typing import Optional

from ...import_graph import ImportGraph
from ...memo import Slot
from ...model import ModuleInfo
from ...project import Project
from ._common import router_creations

# Does the module create an app or router, or define routes?
_ROUTER_MODULE: Slot[bool] = Slot("fad3_router_module")
# An import component (its sorted members, as ImportGraph.component gives them;
# components are final and disjoint) -> its router/app modules.
_COMPONENT_ROUTERS: Slot[dict[tuple[str, ...], frozenset[str]]] = Slot("fad301_routers")


def in_project(project: Project, real: str) -> bool:
    """``project.inside`` for a path that is already real (no ``realpath`` call)."""
    root = project.root
    return root is not None and (real == root or real.startswith(root + os.sep))


def may_share_router_cycle(project: Project, path: Optional[str], text: str) -> bool:
    """The rules' ``wants``: modules that may share an import cycle with a router module."""
    if path is None or not in_project(project, path):
        return False
    return project.import_graph().may_be_in_router_cycle(path, text=text)


def router_group(
    project: Project, path: Optional[str], module: ModuleInfo
) -> Optional[tuple[ImportGraph, tuple[str, ...], frozenset[str]]]:
    """(graph, members, router modules) of the import cycle holding ``path`` when a
    router/app module is in it; None otherwise."""
    if path is None or not in_project(project, path):
        return None
    graph = project.import_graph()
    if not graph.may_be_in_router_cycle(path, module):
        return None
    members, routers = project.component(
        path, module, lambda found: routers_in(project, graph, found) if len(found) > 1 else None
    )
    if not routers:
        return None
    return graph, members, routers


def routers_in(project: Project, graph: ImportGraph, members: tuple[str, ...]) -> frozenset[str]:
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


def cycle_text(graph: ImportGraph, cycle: list[str]) -> str:
    """The whole cycle, every module named (a long cycle is a long message)."""
    return " -> ".join(graph.module_name(p) for p in cycle)
