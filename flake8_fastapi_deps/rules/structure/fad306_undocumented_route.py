"""FAD306 undocumented-route: a route without a description, or raising an undocumented status."""

from __future__ import annotations

import ast
import http
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import HTTP_EXCEPTION, STATUS_MODULES
from ...memo import Slot
from ...model import FunctionInfo, ModuleInfo, Scope, iter_params, keyword, own_nodes
from ...project import ClassSym, Project, Route, ValueSym
from ._common import PROJECT_TEXT, RouterKey, made_by

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD306",
    "undocumented-route",
    "{what}",
    "A route without docstring/summary/description, or raising an undocumented status code.",
    default_on=False,
)


@dataclass
class _Inclusions:
    """What the project's ``include_router`` calls tell about its routers."""

    # routers whose routes get ``responses`` from an ``include_router`` call or a parent router
    responses: set[RouterKey] = field(default_factory=set)
    # routers left out of the schema by every inclusion of theirs
    hidden: set[RouterKey] = field(default_factory=set)


_INCLUDED: Slot[_Inclusions] = Slot("fad306_included")


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
        if info is None or _router_hidden(ctx, registration, info):
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


def _schema_off(call: ast.Call) -> bool:
    """``APIRouter(include_in_schema=False)``, or an app that serves no schema:
    ``FastAPI(openapi_url=None)`` (FastAPI then serves no docs either; ``docs_url=None``
    alone still publishes ``/openapi.json``)."""
    value = keyword(call, "openapi_url")
    return _hidden_from_schema(call) or (isinstance(value, ast.Constant) and value.value is None)


def _router_hidden(ctx: FileContext, registration: ast.Call, info: FunctionInfo) -> bool:
    """Is the route's router (or app) left out of the schema, when made or where included?"""
    func = registration.func
    if not isinstance(func, ast.Attribute):
        return False
    made = made_by(ctx.project, ctx.module, func.value, info.parents)
    if made is None:
        return False
    key, call = made
    return _schema_off(call) or key in _inclusions(ctx.project).hidden


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
        if code >= 500:
            continue  # a server error is no part of the route's contract: never asked for
        if code == 422 and has_params:
            continue  # FastAPI documents 422 itself for routes with parameters
        reported.add(code)
        yield finding(
            node,
            RULE,
            what=f"route {info.name} raises HTTPException {code} that responses= does not list; "
            + _advice(route, code),
        )


def _advice(route: Route, code: int) -> str:
    """What to add: ``responses={404: {"description": "Not Found"}}``."""
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = "..."
    entry = f'{code}: {{"description": "{phrase}"}}'
    registration = route.registration
    if isinstance(registration, ast.Call) and keyword(registration, "responses") is not None:
        return f"add {entry} to its responses="
    return f"add responses={{{entry}}}"


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
    return (router.module.path, router.name) in _inclusions(project).responses


def _inclusions(project: Project) -> _Inclusions:
    """What the project's ``include_router`` calls tell, read once per project.

    FastAPI merges the ``responses=`` of ``include_router(...)`` and of the
    including router (transitively) into every included route.  Routers
    included somewhere we cannot read are in ``responses`` too.

    A router is left out of the schema when every ``include_router`` call that
    includes it says ``include_in_schema=False`` or includes it into a router
    or app that is itself left out (made with ``include_in_schema=False``, an
    app made with ``openapi_url=None``, or left out by its own inclusions).
    """
    graph = project.import_graph() if project.root is not None else None
    cached = _INCLUDED.get(project)
    if cached is not None:
        return cached
    found = _INCLUDED.put(project, _Inclusions())  # kept before it is filled: a re-entry guard
    if graph is None:
        return found
    # (child, parent or None when unknown, the call itself adds responses, the call hides)
    edges: list[tuple[RouterKey, Optional[RouterKey], bool, bool]] = []
    with_responses: set[RouterKey] = set()
    off: set[RouterKey] = set()
    for path in graph.files_matching("include_router", PROJECT_TEXT):
        mod = project.module(path)
        if mod is None:
            continue
        for call, scope in mod.calls:
            func = call.func
            if not (isinstance(func, ast.Attribute) and func.attr == "include_router"):
                continue
            target = call.args[0] if call.args else keyword(call, "router")
            child = made_by(project, mod, target, scope) if target is not None else None
            if child is None:
                continue
            unread = any(kw.arg is None for kw in call.keywords)
            adds = keyword(call, "responses") is not None or unread
            hides = _hidden_from_schema(call)
            parent = made_by(project, mod, func.value, scope)
            parent_key: Optional[RouterKey] = None
            if parent is not None:
                parent_key, made = parent
                if keyword(made, "responses") is not None or any(
                    kw.arg is None for kw in made.keywords
                ):
                    with_responses.add(parent_key)
                if _schema_off(made):
                    off.add(parent_key)
            edges.append((child[0], parent_key, adds, hides))
    responses = found.responses
    changed = True
    while changed:
        changed = False
        for child_key, parent_key, adds, _ in edges:
            if child_key in responses:
                continue
            if adds or parent_key is None or parent_key in with_responses or parent_key in responses:
                responses.add(child_key)
                changed = True
    by_child: dict[RouterKey, list[tuple[Optional[RouterKey], bool]]] = {}
    for child_key, parent_key, _, hides in edges:
        by_child.setdefault(child_key, []).append((parent_key, hides))
    hidden = found.hidden
    changed = True
    while changed:
        changed = False
        for child_key, inclusions in by_child.items():
            if child_key not in hidden and all(
                hides or (parent_key is not None and (parent_key in off or parent_key in hidden))
                for parent_key, hides in inclusions
            ):
                hidden.add(child_key)
                changed = True
    return found
