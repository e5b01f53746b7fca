"""FAD305 app-without-middleware: a FastAPI app that never gets any middleware."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import HARMLESS_APP_CALLS, HARMLESS_BUILTINS
from ...facts.functions import function_facts
from ...memo import Slot
from ...model import ModuleInfo, Scope, iter_params, keyword, own_nodes
from ...names import dotted
from ...nodes import walk
from ...project import ClassSym, ExternalSym, FuncSym, Project
from ._common import PROJECT_TEXT, RouterKey, creations, made_by

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD305",
    "app-without-middleware",
    "{app} never gets middleware; plan CORS, request-ID and logging middleware early",
    "A FastAPI app that never gets any middleware.",
    default_on=False,
)

_MAX_CALL_DEPTH = 3

# Every statement of the module, in ``walk`` order.
_STATEMENTS: Slot[list[ast.stmt]] = Slot("fad3_statements")

# A sidecar app registers at most this many routes, each serving metrics, health or a proxy.
HANDFUL = 3
_SIDECAR_PATH = re.compile(
    r"(?<![a-z])(metrics|prometheus|health|healthz|healthcheck|livez|readyz|liveness|readiness"
    r"|live|ready|ping|heartbeat)(?![a-z])"
    r"|^/?\{\w+:path\}$"  # every path, from the root: a proxy
)
# calls on an app that register something to serve
_REGISTERING = frozenset(
    {
        "get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route",
        "route", "websocket", "websocket_route", "add_api_route", "add_route",
        "add_api_websocket_route", "add_websocket_route", "include_router", "mount", "host",
    }
)


@dataclass
class _Mounts:
    """The project's sub-apps: what ``x.mount(path, app)`` / ``Mount(path, app=...)`` mount."""

    apps: set[RouterKey] = field(default_factory=set)  # apps assigned once from a call
    factories: set[str] = field(default_factory=set)  # names of functions whose result is mounted


_MOUNTS: Slot[_Mounts] = Slot("fad305_mounts")


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test or not ctx.mentions_fastapi:
        return
    apps = [(call, scope) for call, scope, is_app in creations(ctx) if is_app]
    if not apps or _adds_middleware(ctx.module):
        return
    for call, scope in apps:
        if keyword(call, "middleware") is not None and not _empty_literal(keyword(call, "middleware")):
            continue
        if any(kw.arg is None for kw in call.keywords):
            continue  # **settings may hold middleware=
        if _class_adds_middleware(ctx, call, scope):
            continue
        handles, escapes = _app_handles(ctx.module, call)
        if escapes or _app_given_away(ctx, handles, 0):
            continue
        if _mounted(ctx, handles, scope) or _sidecar(ctx.module, handles):
            continue
        module_level = not scope and any("." not in h for h in handles)
        if (module_level or _returned(ctx.module, handles, scope)) and _imported_by_middleware_code(
            ctx
        ):
            continue
        label = f"{sorted(handles)[0]} = {dotted(call.func)}()" if handles else f"{dotted(call.func)}()"
        yield finding(call, RULE, app=label)


def _class_adds_middleware(ctx: FileContext, call: ast.Call, scope: Scope) -> bool:
    """A project subclass of FastAPI whose methods add middleware to ``self``."""
    sym = ctx.resolve(call.func, scope)
    if not isinstance(sym, ClassSym):
        return False
    for cls in (sym, *ctx.project.class_bases(sym)):
        if not isinstance(cls, ClassSym):
            continue
        for stmt in cls.node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr in ("add_middleware", "middleware")
                for n in own_nodes(stmt)
            ):
                return True
    return False


def _empty_literal(expr: Optional[ast.expr]) -> bool:
    return isinstance(expr, (ast.List, ast.Tuple)) and not expr.elts


def _adds_middleware(mod: ModuleInfo) -> bool:
    """Any ``x.add_middleware(...)`` call or ``@x.middleware(...)`` decorator in the module."""
    for call, _ in mod.calls:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("add_middleware", "middleware"):
            return True
    return False


def _app_handles(mod: ModuleInfo, call: ast.Call) -> tuple[set[str], bool]:
    """The names/attributes the app is stored in, and whether it escapes otherwise."""
    handles: set[str] = set()
    for node in _statements(mod):
        value = getattr(node, "value", None)
        if value is not call:
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                text = dotted(target)
                if text is None:
                    return handles, True
                handles.add(text)
            return handles, False
        if isinstance(node, ast.AnnAssign):
            text = dotted(node.target)
            if text is None:
                return handles, True
            handles.add(text)
            return handles, False
        if isinstance(node, ast.Return):
            return handles, True
        if isinstance(node, ast.Expr):
            return handles, False  # created and dropped
    return handles, True  # inside another expression: passed somewhere


def _statements(mod: ModuleInfo) -> list[ast.stmt]:
    return _STATEMENTS.of(mod, lambda: [n for n in walk([mod.tree]) if isinstance(n, ast.stmt)])


def _app_given_away(ctx: FileContext, handles: set[str], depth: int) -> bool:
    """Is the app passed to a callable that may add middleware?"""
    for call, scope in ctx.module.calls:
        if _passes(call, handles) and _may_add_middleware(ctx, ctx.module, call, scope, depth):
            return True
    return False


def _passes(call: ast.Call, handles: set[str]) -> bool:
    values = [*call.args, *(kw.value for kw in call.keywords)]
    for value in values:
        if isinstance(value, ast.Starred):
            value = value.value
        if dotted(value) in handles:
            return True
    return False


def _may_add_middleware(
    ctx: FileContext, mod: ModuleInfo, call: ast.Call, scope: Scope, depth: int
) -> bool:
    func = call.func
    if isinstance(func, ast.Name) and func.id in HARMLESS_BUILTINS and func.id not in mod.toplevel:
        return False
    sym = ctx.project.resolve(mod, func, scope)
    if isinstance(sym, ExternalSym):
        return sym.name not in HARMLESS_APP_CALLS
    if not isinstance(sym, FuncSym) or depth >= _MAX_CALL_DEPTH:
        return True  # unknown: assume it may
    return _function_adds_middleware(ctx, sym, depth + 1)


def _function_adds_middleware(ctx: FileContext, sym: FuncSym, depth: int) -> bool:
    """Does a project function that receives the app add middleware (or pass it on)?"""
    params = {p.arg for p, _ in iter_params(sym.node)}
    scope = (*sym.info.parents, sym.node)
    for node in function_facts(sym.module, sym.info).calls:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("add_middleware", "middleware"):
            return True
        if _passes(node, params) and _may_add_middleware(ctx, sym.module, node, scope, depth):
            return True
    return any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        and any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr == "middleware"
            for d in n.decorator_list
        )
        for n in function_facts(sym.module, sym.info).body
    )


def _returned(mod: ModuleInfo, handles: set[str], scope: Scope) -> bool:
    if not scope:
        return False
    return any(
        isinstance(n, ast.Return) and n.value is not None and dotted(n.value) in handles
        for n in own_nodes(scope[-1])
    )


def _imported_by_middleware_code(ctx: FileContext) -> bool:
    """Does another project module that adds middleware import this one?

    Also by name in a string, as ASGI servers load apps: ``"pkg.main:app"``.
    """
    path = ctx.module.path
    if ctx.project.root is None or path is None:
        return False
    graph = ctx.project.import_graph()
    named = re.compile(rf"[\"']{re.escape(graph.module_name(path))}[:\"']")
    for other in graph.files_matching("middleware", PROJECT_TEXT):
        if other == path:
            continue
        if path in graph.text_imports(other):
            return True
        if ctx.project.file_matches(other, named):
            return True
    return False


# ----------------------------------------------------------------------------- sidecar apps


def _sidecar(mod: ModuleInfo, handles: set[str]) -> bool:
    """A sidecar app: in the module that creates it, it registers at most :data:`HANDFUL`
    routes, each serving metrics, health or liveness, or proxying a catch-all path
    (``/{path:path}``), and includes no router; or it registers no route and only mounts
    other apps or static files (a wrapper)."""
    if not handles:
        return False
    routes = 0
    mounts = 0
    for call, _ in mod.calls:
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in _REGISTERING:
            continue
        if dotted(func.value) not in handles:
            continue
        if func.attr == "include_router" or func.attr == "host":
            return False
        if func.attr == "mount":
            mounts += 1
            continue
        routes += 1
        if routes > HANDFUL or not _serves_sidecar_path(call):
            return False
    return routes > 0 or mounts > 0


def _serves_sidecar_path(call: ast.Call) -> bool:
    """Does the registration's path (or the name it is read from) name metrics, health or
    liveness, or catch every path?"""
    path = call.args[0] if call.args else keyword(call, "path")
    if path is None:
        return False
    if isinstance(path, ast.Constant) and isinstance(path.value, str):
        text = path.value
    elif isinstance(path, ast.JoinedStr):
        text = "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{x}"
            for v in path.values
        )
    else:
        text = dotted(path) or ""
    return _SIDECAR_PATH.search(text.lower()) is not None


def _mounted(ctx: FileContext, handles: set[str], scope: Scope) -> bool:
    """Is the app mounted into another app somewhere in the project (a sub-app, behind
    its parent's middleware)?  Named by its variable, or as the result of the function
    that makes and returns it."""
    mounts = _project_mounts(ctx.project, ctx.module)
    for handle in handles:
        if "." in handle:
            continue
        made = made_by(ctx.project, ctx.module, ast.Name(id=handle), scope)
        if made is not None and made[0] in mounts.apps:
            return True
    return bool(scope) and _returned(ctx.module, handles, scope) and scope[-1].name in mounts.factories


def _project_mounts(project: Project, current: ModuleInfo) -> _Mounts:
    graph = project.import_graph() if project.root is not None else None
    if graph is None:
        return _mounts_in([current], project)
    found = _MOUNTS.get(project)
    if found is None:
        mods = [m for m in map(project.module, graph.files_matching("mount", PROJECT_TEXT)) if m]
        found = _MOUNTS.put(project, _mounts_in(mods, project))
    return found


def _mounts_in(mods: list[ModuleInfo], project: Project) -> _Mounts:
    found = _Mounts()
    for mod in mods:
        for call, scope in mod.calls:
            func = call.func
            mounted: Optional[ast.expr] = None
            if isinstance(func, ast.Attribute) and func.attr == "mount":
                mounted = call.args[1] if len(call.args) > 1 else keyword(call, "app")
            elif isinstance(func, ast.Name) and func.id == "Mount":
                mounted = call.args[1] if len(call.args) > 1 else keyword(call, "app")
            if mounted is None:
                continue
            if isinstance(mounted, ast.Name):
                made = made_by(project, mod, mounted, scope)
                if made is not None:
                    found.apps.add(made[0])
                    mounted = made[1]
                else:
                    mounted = _walrus_value(mod, mounted.id, scope)
            if isinstance(mounted, ast.Call):
                name = dotted(mounted.func)
                if name is not None:
                    found.factories.add(name.rsplit(".", 1)[-1])
    return found


def _walrus_value(mod: ModuleInfo, name: str, scope: Scope) -> Optional[ast.expr]:
    """``if (sub := make_sub_app()):``: the value a name is bound to by ``:=``."""
    roots = [scope[-1]] if scope else [mod.tree]
    for node in walk(roots):
        if isinstance(node, ast.NamedExpr) and node.target.id == name:
            return node.value
    return None
