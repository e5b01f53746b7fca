"""FAD306 undocumented-route: a route without a description, or raising an undocumented status."""

from __future__ import annotations

import ast
import http
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import HTTP_EXCEPTION, STATUS_MODULES
from ...memo import Slot
from ...model import FunctionInfo, ModuleInfo, Scope, iter_params, keyword, own_nodes
from ...project import ClassSym, Project, Route, ValueSym
from ._common import PROJECT_TEXT

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD306",
    "undocumented-route",
    "{what}",
    "A route without docstring/summary/description, or raising an undocumented status code.",
    default_on=False,
)

RouterKey = tuple[Optional[str], str]  # (module path, name) of a module-level router

# Routers whose routes get ``responses`` from an ``include_router`` call or a parent router.
_INCLUDED: Slot[set[RouterKey]] = Slot("fad306_included")


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test or not ctx.mentions_fastapi:
        return
    for route in ctx.routes.values():
        if route.websocket:
            continue
        registration = route.registration
        if not isinstance(registration, ast.Call) or _hidden_from_schema(registration):
            continue
        info = ctx.module.function_info(route.func)
        if info is None:
            continue
        if (
            ast.get_docstring(route.func) is None
            and keyword(registration, "summary") is None
            and keyword(registration, "description") is None
            and not any(kw.arg is None for kw in registration.keywords)
        ):
            yield finding(
                route.func,
                RULE,
                what=f"route {info.name} has no docstring, summary= or description=; "
                "describe it for API users",
            )
        yield from _undocumented_raises(ctx, route, info)


def _hidden_from_schema(call: ast.Call) -> bool:
    value = keyword(call, "include_in_schema")
    return isinstance(value, ast.Constant) and value.value is False


def _undocumented_raises(ctx: FileContext, route: Route, info: FunctionInfo) -> Iterator[Finding]:
    documented = _documented_codes(ctx, route)
    if documented is None:
        return
    has_params = any(True for _ in iter_params(route.func))
    scope = (*info.parents, info.node)
    reported: set[int] = set()
    for node in own_nodes(route.func):
        if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
            continue
        exc = node.exc
        if ctx.canonical(exc.func, scope) != HTTP_EXCEPTION:
            continue
        status = exc.args[0] if exc.args else keyword(exc, "status_code")
        code = _status_code(ctx, status, scope) if status is not None else None
        if code is None or code in reported or _covers(documented, code):
            continue
        if code == 422 and has_params:
            continue  # FastAPI documents 422 itself for routes with parameters
        reported.add(code)
        yield finding(
            node,
            RULE,
            what=f"route {info.name} raises HTTPException {code} that responses= does not list",
        )


def _status_code(ctx: FileContext, expr: ast.expr, scope: Scope) -> Optional[int]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int) and not isinstance(
        expr.value, bool
    ):
        return expr.value
    if isinstance(expr, ast.Attribute) and expr.attr == "value":
        expr = expr.value  # HTTPStatus.NOT_FOUND.value
    name = ctx.canonical(expr, scope)
    if name is None:
        return None
    if name.startswith(STATUS_MODULES):
        match = re.match(r"HTTP_(\d{3})_", name.rsplit(".", 1)[-1] + "_")
        return int(match.group(1)) if match else None
    if name.startswith("http.HTTPStatus."):
        member = name.rsplit(".", 1)[-1]
        try:
            return int(http.HTTPStatus[member].value)
        except KeyError:
            return None
    return None


def _documented_codes(ctx: FileContext, route: Route) -> Optional[set[object]]:
    """Codes in ``responses=`` of the route and of its router; None when unknowable."""
    registration = route.registration
    codes: set[object] = set()
    if not isinstance(registration, ast.Call) or not _add_responses(
        ctx, ctx.module, registration, codes
    ):
        return None
    func = registration.func
    owner = func.value if isinstance(func, ast.Attribute) else None
    if not isinstance(owner, ast.Name):
        return None  # app.router.get / self.router.get: the router is out of sight
    info = ctx.module.function_info(route.func)
    sym = ctx.resolve(owner, info.parents if info is not None else ())
    if not (isinstance(sym, ValueSym) and isinstance(sym.value, ast.Call)):
        return None  # a parameter, a factory's result, something imported from a library
    made = ctx.project.resolve(sym.module, sym.value.func)
    if not ctx.project.is_router_class(made):
        return None
    if isinstance(made, ClassSym) and ctx.project.class_method(made, "__init__") is not None:
        return None  # a router subclass may add responses of its own
    if not _add_responses(ctx, sym.module, sym.value, codes):
        return None
    if _included_with_responses(ctx.project, sym):
        return None
    return codes


def _add_responses(ctx: FileContext, mod: ModuleInfo, call: ast.Call, codes: set[object]) -> bool:
    """Add the keys of ``responses={...}``; False if they cannot be read."""
    if any(kw.arg is None for kw in call.keywords):
        return False
    value = keyword(call, "responses")
    if value is None:
        return True
    if not isinstance(value, ast.Dict):
        return False
    for key in value.keys:
        if key is None:
            return False  # **common_responses
        code = _response_key(ctx, mod, key)
        if code is None:
            return False
        codes.add(code)
    return True


def _response_key(ctx: FileContext, mod: ModuleInfo, key: ast.expr) -> Optional[object]:
    if isinstance(key, ast.Constant):
        if isinstance(key.value, int) and not isinstance(key.value, bool):
            return key.value
        if isinstance(key.value, str):
            text = key.value.strip().upper()
            if text.isdigit():
                return int(text)
            if re.fullmatch(r"[1-5]XX", text) or text == "DEFAULT":
                return text
        return None
    if mod is ctx.module:
        return _status_code(ctx, key, ())
    name = ctx.project.canonical(mod, key)
    if name is not None and name.startswith(STATUS_MODULES):
        match = re.match(r"HTTP_(\d{3})_", name.rsplit(".", 1)[-1] + "_")
        return int(match.group(1)) if match else None
    return None


def _covers(documented: set[object], code: int) -> bool:
    return code in documented or "DEFAULT" in documented or f"{code // 100}XX" in documented


def _included_with_responses(project: Project, router: ValueSym) -> bool:
    """Is this router passed to ``include_router(..., responses=...)`` anywhere in the project?"""
    if project.root is None:
        return False
    return (router.module.path, router.name) in _routers_included_with_responses(project)


def _routers_included_with_responses(project: Project) -> set[RouterKey]:
    """Routers whose routes get ``responses`` from an ``include_router`` call or a parent router.

    FastAPI merges the ``responses=`` of ``include_router(...)`` and of the
    including router (transitively) into every included route.  Routers
    included somewhere we cannot read are in the set too.
    """
    graph = project.import_graph()
    cached = _INCLUDED.get(project)
    if cached is not None:
        return cached
    found = _INCLUDED.put(project, set())  # kept before it is filled, as a guard against re-entry
    # (child, parent or None when unknown, the call itself adds responses)
    edges: list[tuple[RouterKey, Optional[RouterKey], bool]] = []
    with_responses: set[RouterKey] = set()
    for path in graph.files_matching("include_router", PROJECT_TEXT):
        mod = project.module(path)
        if mod is None:
            continue
        for call, scope in mod.calls:
            func = call.func
            if not (isinstance(func, ast.Attribute) and func.attr == "include_router"):
                continue
            target = call.args[0] if call.args else keyword(call, "router")
            child = project.resolve(mod, target, scope) if target is not None else None
            if not isinstance(child, ValueSym):
                continue
            adds = keyword(call, "responses") is not None or any(
                kw.arg is None for kw in call.keywords
            )
            parent = project.resolve(mod, func.value, scope)
            parent_key: Optional[RouterKey] = None
            if isinstance(parent, ValueSym) and isinstance(parent.value, ast.Call):
                parent_key = (parent.module.path, parent.name)
                made = parent.value
                if keyword(made, "responses") is not None or any(
                    kw.arg is None for kw in made.keywords
                ):
                    with_responses.add(parent_key)
            edges.append(((child.module.path, child.name), parent_key, adds))
    changed = True
    while changed:
        changed = False
        for child_key, parent_key, adds in edges:
            if child_key in found:
                continue
            if adds or parent_key is None or parent_key in with_responses or parent_key in found:
                found.add(child_key)
                changed = True
    return found
