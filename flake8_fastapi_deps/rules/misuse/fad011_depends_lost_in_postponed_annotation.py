"""FAD011: a Depends in a postponed annotation FastAPI cannot evaluate (name unbound at runtime)."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...memo import Slot
from ...model import ModuleInfo, annotated_parts, marker_target
from ...nodes import children, walk
from ...project import Project, ValueSym
from ._common import fastapi_markers, is_marker

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD011",
    "depends-lost-in-postponed-annotation",
    "{name} is {why}, so {effect}; {fix}",
    "A Depends in a postponed annotation that FastAPI cannot evaluate.",
)

_BUILTIN_NAMES = frozenset(dir(builtins))

# per module: has ``from __future__ import annotations``; first binding lines
_FUTURE_ANNOTATIONS: Slot[bool] = Slot("future_annotations")
_FIRST_BINDINGS: Slot[tuple[dict[str, int], Optional[int]]] = Slot("first_bindings")


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    mod = ctx.module
    if not _has_future_annotations(mod):
        return
    project = ctx.project
    routes = ctx.routes
    for info in ctx.request_functions():  # only what FastAPI reads: routes and dependencies
        route = routes.get(id(info.node))
        # a route decorated at module level is read when its def runs: later names are missing
        early = (
            route is not None
            and not info.parents
            and info.cls is None
            and any(d is route.registration for d in info.node.decorator_list)
        )
        for param, default in info.params:
            ann = param.annotation
            if ann is None:
                continue
            parts = annotated_parts(mod.imports, ann)
            own = [m for m in (parts or [])[1:] if is_marker(mod, m, info.parents)]
            empty_default = (
                isinstance(default, ast.Call)
                and is_marker(mod, default, info.parents)
                and marker_target(default) is None
            )
            alias_markers = (
                not parts
                and isinstance(ann, ast.Name)
                and ann.id in mod.type_checking_names
                and _tc_alias_has_marker(project, mod, ann.id)
            )
            if not own and not empty_default and not alias_markers:
                continue
            if own and default is not None and is_marker(mod, default, info.parents):
                continue  # FAD008
            for name in _annotation_names(ann):
                why = _unbound(mod, name.id, info.node.lineno if early else None)
                if why is None:
                    continue
                effect = (
                    f"Depends() for {param.arg} fails at startup"
                    if empty_default and not own
                    else f"FastAPI drops {param.arg}'s Depends"
                )
                fix = (
                    "define it before the route"
                    if why == "defined after the route"
                    else "import it outside TYPE_CHECKING"
                )
                yield finding(name, RULE, name=name.id, why=why, effect=effect, fix=fix)
                break


def _has_future_annotations(mod: ModuleInfo) -> bool:
    return _FUTURE_ANNOTATIONS.of(
        mod,
        lambda: any(
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == "__future__"
            and any(a.name == "annotations" for a in stmt.names)
            for stmt in mod.tree.body
        ),
    )


def _first_bindings(mod: ModuleInfo) -> tuple[dict[str, int], Optional[int]]:
    """Line of each name's first module-level binding, and of the first star import."""
    return _FIRST_BINDINGS.of(mod, lambda: _compute_first_bindings(mod))


def _compute_first_bindings(mod: ModuleInfo) -> tuple[dict[str, int], Optional[int]]:
    lines: dict[str, int] = {}
    star: Optional[int] = None
    stack: list[ast.stmt] = list(reversed(mod.tree.body))
    while stack:
        stmt = stack.pop()
        for name in _bound_names(stmt):
            if name == "*":
                star = stmt.lineno if star is None else min(star, stmt.lineno)
            else:
                lines[name] = min(lines.get(name, stmt.lineno), stmt.lineno)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        inner: list[ast.stmt] = []
        for field in ("body", "orelse", "finalbody"):
            inner.extend(getattr(stmt, field, []) or [])
        for handler in getattr(stmt, "handlers", []) or []:
            inner.extend(handler.body)
        for case in getattr(stmt, "cases", []) or []:
            inner.extend(case.body)
        stack.extend(reversed(inner))
    return lines, star


def _bound_names(stmt: ast.stmt) -> list[str]:
    """Names a module-level statement binds itself (``*`` for a star import)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [
            "*" if a.name == "*" else (a.asname or a.name.split(".", 1)[0]) for a in stmt.names
        ]
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in stmt.items if i.optional_vars is not None]
    else:
        name = getattr(stmt, "name", None)  # ``type X = ...`` (3.12+)
        return [name.id] if isinstance(name, ast.Name) else []
    found: list[str] = []
    for target in targets:
        for node in walk([target]):
            if isinstance(node, ast.Name):
                found.append(node.id)
    return found


def _annotation_names(expr: ast.expr) -> Iterator[ast.Name]:
    """Names an annotation needs at evaluation (nested strings stay lazy ForwardRefs)."""
    stack: list[ast.AST] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            yield node
        elif isinstance(node, ast.Attribute):
            stack.append(node.value)
        elif not isinstance(node, ast.Constant):
            stack.extend(reversed(children(node)))


def _tc_alias_has_marker(project: Project, mod: ModuleInfo, name: str) -> bool:
    sym = project.lookup(mod, name, 0)
    return isinstance(sym, ValueSym) and any(
        m.kind == "dep" for m in fastapi_markers(project, sym.module, sym.value)
    )


def _unbound(mod: ModuleInfo, name: str, before_line: Optional[int]) -> Optional[str]:
    if name in mod.type_checking_names and name not in mod.toplevel:
        return "TYPE_CHECKING-only"
    if before_line is None:
        return None
    if name in _BUILTIN_NAMES:
        return None  # until the module rebinds it, the builtin answers
    lines, star = _first_bindings(mod)
    first = lines.get(name)
    if first is None or first <= before_line or (star is not None and star < before_line):
        return None
    return "defined after the route"
