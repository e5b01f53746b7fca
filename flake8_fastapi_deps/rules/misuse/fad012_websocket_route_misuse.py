"""FAD012: a WebSocket route that is sync, takes BackgroundTasks, or needs a Request."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import BACKGROUND_TASKS, REQUEST
from ...model import MarkerUse, ModuleInfo, annotated_parts, iter_params, marker_target
from ...names import dotted
from ...project import FuncSym, Project
from ._common import is_marker

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD012",
    "websocket-route-misuse",
    "{what}",
    "A WebSocket route that is sync, takes BackgroundTasks, or needs a Request.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    mod = ctx.module
    project = ctx.project
    for route in ctx.routes.values():
        if not route.websocket:
            continue
        info = mod.function_info(route.func)
        if info is None:
            continue
        node = info.node
        decos = node.decorator_list
        positions = [i for i, d in enumerate(decos) if d is route.registration]
        # decorators below the route decorator run first and may make it a coroutine function
        inner = decos[positions[0] + 1:] if positions else decos
        if not info.is_async and not inner:
            yield finding(
                node,
                RULE,
                what=f"websocket route {node.name} is a sync def, which FastAPI awaits "
                "(TypeError); make it async def",
            )
        markers: list[tuple[ast.AST, MarkerUse, ModuleInfo]] = []
        for decl in project.signature(mod, info):
            ann = decl.param.annotation
            parts = annotated_parts(mod.imports, ann)
            plain = parts[0] if parts else ann
            if decl.marker is None:
                if plain is None:
                    continue
                name = ctx.canonical(plain, info.parents)
                if name == BACKGROUND_TASKS:
                    yield finding(
                        decl.param,
                        RULE,
                        what=f"{decl.param.arg}: BackgroundTasks in a websocket route never run; "
                        "do the work in the handler",
                    )
                elif name == REQUEST and decl.default is None:
                    yield finding(
                        decl.param,
                        RULE,
                        what=f"{decl.param.arg}: Request is never given to a websocket route "
                        "(TypeError); use WebSocket",
                    )
                continue
            where: ast.AST
            if decl.via == "alias":
                where = decl.param.annotation or decl.param
            else:
                where = marker_target(decl.marker) or decl.marker
            use = MarkerUse(decl.marker, decl.marker_name or "", decl.scope, implicit=decl.target)
            markers.append((where, use, decl.module))
        registration = route.registration
        if isinstance(registration, ast.Call):
            for kw in registration.keywords:
                if kw.arg == "dependencies" and isinstance(kw.value, (ast.List, ast.Tuple)):
                    for item in kw.value.elts:
                        if isinstance(item, ast.Call) and is_marker(mod, item, info.parents):
                            use = MarkerUse(item, str(mod.imports.canonical(item.func)), info.parents)
                            markers.append((marker_target(item) or item, use, mod))
        for where, use, module in markers:
            for func in project.dependency_functions(use, module):
                param = _request_param(project, func)
                if param is not None:
                    dep = dotted(use.target) if use.target is not None else func.info.name
                    assert isinstance(where, (ast.expr, ast.arg))
                    yield finding(
                        where,
                        RULE,
                        what=f"{dep} needs {param}: Request, never given in a websocket route "
                        "(TypeError); use HTTPConnection",
                    )
                    break


def _request_param(project: Project, func: FuncSym) -> Optional[str]:
    node = func.node
    skip = 1 if func.info.cls is not None else 0
    params = list(iter_params(node))
    positional = len(node.args.posonlyargs) + len(node.args.args)
    for index, (param, default) in enumerate(params):
        if index < skip and index < positional:
            continue
        if default is not None or param.annotation is None:
            continue
        parts = annotated_parts(func.module.imports, param.annotation)
        if parts and any(is_marker(func.module, m, func.info.parents) for m in parts[1:]):
            continue
        plain = parts[0] if parts else param.annotation
        if project.canonical(func.module, plain, func.info.parents) == REQUEST:
            return param.arg
    return None
