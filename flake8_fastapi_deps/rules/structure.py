"""Design and structure, FAD301-FAD307: how the application is put together.

FAD301 (a circular import through router modules) is a bug and on by default;
FAD302-FAD307 are opinionated design advice, off by default
(``--extend-select FAD3``), and never look at test code.
"""

from __future__ import annotations

import ast
import http
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional, Union

from ..base import Finding, Rule, finding
from ..import_graph import ImportGraph
from ..model import (
    short_source,
    FunctionInfo,
    FunctionNode,
    ModuleInfo,
    Scope,
    iter_params,
    keyword,
    marker_target,
    own_nodes,
)
from ..names import FASTAPI, dotted
from ..nodes import walk
from ..options import Options
from ..project import (
    ClassSym,
    ExternalSym,
    FuncSym,
    Project,
    Route,
    Symbol,
    ValueSym,
    read_source,
)

if TYPE_CHECKING:
    from ..context import FileContext

FAD301 = Rule(
    "FAD301",
    "router-import-cycle",
    "import cycle {cycle}; move shared code to a module that imports no router",
    "An import that is part of an import cycle through a router or app module.",
)
FAD302 = Rule(
    "FAD302",
    "depends-default-not-annotated",
    "{param} = {marker} as a default; declare {param}: Annotated[{ann}, {marker}]",
    "Depends/Security used as a parameter default instead of in Annotated.",
    default_on=False,
)
FAD303 = Rule(
    "FAD303",
    "dependency-with-many-dependencies",
    "dependency {name} declares {count} sub-dependencies (limit {limit}); split it up",
    "A dependency that declares more sub-dependencies than --fad-max-dependencies.",
    default_on=False,
)
FAD304 = Rule(
    "FAD304",
    "logic-in-pydantic-model",
    "{cls}.{method} {what} inside a Pydantic model; move it to a service function",
    "A Pydantic model method that does I/O or runs long: business logic in a schema.",
    default_on=False,
)
FAD305 = Rule(
    "FAD305",
    "app-without-middleware",
    "{app} never gets middleware; plan CORS, request-ID and logging middleware early",
    "A FastAPI app that never gets any middleware.",
    default_on=False,
)
FAD306 = Rule(
    "FAD306",
    "undocumented-route",
    "{what}",
    "A route without docstring/summary/description, or raising an undocumented status code.",
    default_on=False,
)
FAD307 = Rule(
    "FAD307",
    "mixed-module-structure",
    "{what}",
    "One module mixes routes, schemas and ORM models, or the app module holds too many routes.",
    default_on=False,
)
RULES = (FAD301, FAD302, FAD303, FAD304, FAD305, FAD306, FAD307)


# Text of a module that may define a Pydantic model.
_MODEL_WORDS = ("BaseModel", "SQLModel", "RootModel", "GenericModel")


def wants(project: Project, path: Optional[str], text: str, options: Options) -> bool:
    """Files without FastAPI text that this family still needs to see.

    Modules that may share an import cycle with a router module (FAD301), and,
    when FAD304 is selected, modules that may define Pydantic models.
    """
    if options.reports(FAD304.code) and any(word in text for word in _MODEL_WORDS):
        return True
    if path is None or not _in_project(project, path):
        return False
    return project.import_graph().may_be_in_router_cycle(path, text=text)


def _in_project(project: Project, real: str) -> bool:
    """``project.inside`` for a path that is already real (no ``realpath`` call)."""
    root = project.root
    return root is not None and (real == root or real.startswith(root + os.sep))


def _fastapi_project(project: Project) -> bool:
    """Does some file of the project use FastAPI?  (Schema modules often do not import it.)"""
    if project.root is None:
        return False
    return bool(project.import_graph().files_matching("fastapi", _PROJECT_TEXT))


# Whole-project text searches, done together in one pass over the files.
_PROJECT_TEXT = {
    "fastapi": re.compile(r"^[ \t]*(?:from|import)[ \t]+fastapi\b", re.M),
    "middleware": re.compile(r"add_middleware|\.middleware\s*\("),
    "include_router": re.compile(r"include_router"),
}


def check(ctx: FileContext) -> Iterator[Finding]:
    yield from _circular_imports(ctx)
    if ctx.is_test:
        return
    options = ctx.options
    if options.reports(FAD304.code) and (
        ctx.module.imports.imports_fastapi() or _fastapi_project(ctx.project)
    ):
        yield from _model_logic(ctx)
    if not ctx.mentions_fastapi:
        return
    if options.reports(FAD302.code):
        yield from _default_markers(ctx)
    if options.reports(FAD303.code):
        yield from _busy_dependencies(ctx)
    if options.reports(FAD305.code):
        yield from _apps_without_middleware(ctx)
    if options.reports(FAD306.code):
        yield from _undocumented_routes(ctx)
    if options.reports(FAD307.code):
        yield from _module_structure(ctx)


# ----------------------------------------------------------------------------- shared


# Classes whose instances are FastAPI applications (not routers).
_APP_CLASSES = frozenset({FASTAPI, "cadwyn.Cadwyn"})
_ROUTER_CALL_NAMES = frozenset({"FastAPI", "APIRouter"})


def _creations(ctx: FileContext) -> list[tuple[ast.Call, Scope, bool]]:
    """Every ``FastAPI(...)``/``APIRouter(...)`` call in the module: (call, scope, is_app)."""
    cached = ctx.module.cache.get("fad3_creations")
    if isinstance(cached, list):
        return cached
    found = _router_creations(ctx.project, ctx.module)
    ctx.module.cache["fad3_creations"] = found
    return found


def _router_creations(project: Project, mod: ModuleInfo) -> list[tuple[ast.Call, Scope, bool]]:
    names = _ROUTER_CALL_NAMES | {c.rsplit(".", 1)[-1] for c in project.options.router_classes}
    found: list[tuple[ast.Call, Scope, bool]] = []
    for call, scope in mod.calls:
        func = call.func
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if last is None:
            continue
        if last not in names and not _local_class(mod, func):
            continue
        sym = project.resolve(mod, func, scope)
        if project.is_router_class(sym):
            found.append((call, scope, _is_app_class(project, sym)))
    return found


def _local_class(mod: ModuleInfo, func: ast.expr) -> bool:
    """Calls a class of this module (which may subclass APIRouter/FastAPI)."""
    return isinstance(func, ast.Name) and isinstance(mod.toplevel.get(func.id), ast.ClassDef)


def _is_app_class(project: Project, sym: Optional[Symbol]) -> bool:
    if isinstance(sym, ExternalSym):
        return sym.name in _APP_CLASSES
    if isinstance(sym, ClassSym):
        return any(
            isinstance(b, ExternalSym) and b.name in _APP_CLASSES for b in project.class_bases(sym)
        )
    return False


def _is_router_module(project: Project, mod: ModuleInfo) -> bool:
    """Creates an app or router, or defines routes."""
    cached = mod.cache.get("fad3_router_module")
    if isinstance(cached, bool):
        return cached
    result = bool(project.routes(mod)) or bool(_router_creations(project, mod))
    mod.cache["fad3_router_module"] = result
    return result


def _short(expr: ast.expr, limit: int = 40, fallback: str = "...") -> str:
    return short_source(expr, limit, fallback)


# ----------------------------------------------------------------------------- FAD301


_MAX_NAMED_MODULES = 6


def _circular_imports(ctx: FileContext) -> Iterator[Finding]:
    project = ctx.project
    path = ctx.module.path
    if path is None or not _in_project(project, path):
        return
    graph = project.import_graph()
    if not graph.may_be_in_router_cycle(path, ctx.module):
        return
    try:
        members = graph.component(path, ctx.module)
        if len(members) < 2:
            return
        routers = _routers_in(project, graph, path, members)
    finally:
        graph.drop_parsed()
    if not routers:
        return
    inside = set(members)
    edges = [e for e in graph.edges(path, ctx.module) if e.target in inside]
    back = graph.shortest_paths_to(path, {e.target for e in edges})
    best: dict[tuple[int, int], list[str]] = {}  # import statement position -> cycle
    for edge in edges:
        rest = back.get(edge.target)
        if rest is None:
            continue
        cycle = [path, *rest]
        if not routers.intersection(cycle):
            found = _cycle_through_router(graph, path, edge.target, routers, inside)
            if found is None:
                continue
            cycle = found
        where = (edge.line, edge.col)
        known = best.get(where)
        if known is None or len(cycle) < len(known):
            best[where] = cycle
    for (line, col), cycle in best.items():
        yield Finding(line, col, FAD301.format(cycle=_cycle_text(graph, cycle)))


def _routers_in(
    project: Project, graph: ImportGraph, path: str, members: tuple[str, ...]
) -> frozenset[str]:
    """The router/app modules of a component (computed once per component)."""
    cache = graph.component_cache(path)
    cached = cache.get("fad301_routers")
    if isinstance(cached, frozenset):
        return cached
    found: set[str] = set()
    for member in members:
        if not graph.router_hint(member):
            continue
        known = project.cached_module(member) is not None
        parsed = None if known else graph.take_parsed(member)
        mod = project.module_at(member, *parsed) if parsed else project.module_at(member)
        if mod is not None and _is_router_module(project, mod):
            found.add(member)
        if not known:
            project.forget(member, mod)  # the answer is cached per component
    result = frozenset(found)
    cache["fad301_routers"] = result
    return result


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
    names = [graph.module_name(p) for p in cycle]
    if len(names) > _MAX_NAMED_MODULES + 1:
        hidden = len(names) - _MAX_NAMED_MODULES
        names = [*names[:3], f"({hidden} more)", *names[-3:]]
    return " -> ".join(names)


# ----------------------------------------------------------------------------- FAD302


def _default_markers(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.module.functions:
        for decl in ctx.project.signature(ctx.module, info):
            if decl.via != "default" or decl.marker is None:
                continue
            ann = decl.param.annotation
            yield finding(
                decl.marker,
                FAD302,
                param=decl.param.arg,
                marker=_marker_text(decl.marker, decl.marker_name),
                ann=_short(ann, 30, "T") if ann is not None else "T",
            )


def _marker_label(name: Optional[str]) -> str:
    return "Security" if name == "fastapi.Security" else "Depends"


def _marker_text(call: ast.Call, name: Optional[str]) -> str:
    """``Depends(get_db)``, ``Security(get_user, ...)``: short, naming the dependency."""
    func = dotted(call.func) or _marker_label(name)
    target = marker_target(call)
    parts = [_short(target, 25) if target is not None else ""]
    if len(call.args) + len(call.keywords) > (1 if target is not None else 0):
        parts.append("...")
    return f"{func}({', '.join(p for p in parts if p)})"


# ----------------------------------------------------------------------------- FAD303


def _busy_dependencies(ctx: FileContext) -> Iterator[Finding]:
    limit = ctx.options.max_dependencies
    for info in ctx.request_functions():
        if not ctx.is_dependency(info):
            continue
        count = sum(1 for d in ctx.project.signature(ctx.module, info) if d.marker is not None)
        if count > limit:
            yield finding(info.node, FAD303, name=info.qualname, count=count, limit=limit)


# ----------------------------------------------------------------------------- FAD304 / FAD307: models

_PYDANTIC_BASES = frozenset(
    {
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.v1.BaseModel",
        "pydantic.v1.main.BaseModel",
        "pydantic.RootModel",
        "pydantic.root_model.RootModel",
        "pydantic.generics.GenericModel",
        "pydantic.v1.generics.GenericModel",
    }
)
_SQLMODEL_BASES = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
_DECLARATIVE_BASES = frozenset(
    {
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.DeclarativeBaseNoMeta",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
        "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta",
    }
)
_DECLARATIVE_FACTORIES = frozenset(
    {
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
        "sqlalchemy.ext.declarative.api.declarative_base",
        "flask_sqlalchemy.SQLAlchemy",
    }
)


def _model_kind(project: Project, mod: ModuleInfo, node: ast.ClassDef) -> Optional[str]:
    """"orm" (SQLAlchemy declarative / SQLModel table), "schema" (Pydantic model) or None."""
    key = f"fad3_kind_{node.lineno}_{node.col_offset}"
    cached = mod.cache.get(key)
    if isinstance(cached, str):
        return cached or None
    kind = _compute_kind(project, mod, node)
    mod.cache[key] = kind or ""
    return kind


def _compute_kind(project: Project, mod: ModuleInfo, node: ast.ClassDef) -> Optional[str]:
    externals: set[str] = set()
    orm = False
    for base in project.class_bases(ClassSym(mod, node)):
        if isinstance(base, ExternalSym):
            externals.add(base.name)
        elif isinstance(base, ValueSym) and _is_declarative_factory(project, base):
            orm = True
    if externals & _SQLMODEL_BASES:
        table = keyword(node, "table")
        if isinstance(table, ast.Constant) and table.value is True:
            return "orm"
        if table is not None:
            return None  # table=<expression>: cannot tell
        return "schema"
    if orm or externals & _DECLARATIVE_BASES:
        return "orm" if _is_mapped(project, mod, node) else None
    if externals & _PYDANTIC_BASES:
        return "schema"
    return None


def _is_mapped(project: Project, mod: ModuleInfo, node: ast.ClassDef) -> bool:
    """A declarative class that maps a table: not the ``Base`` itself, not ``__abstract__``."""
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__abstract__" for t in stmt.targets
        ):
            return not (isinstance(stmt.value, ast.Constant) and stmt.value.value is True)
    for base in node.bases:
        sym = project.resolve(mod, base)
        if isinstance(sym, ExternalSym) and sym.name in _DECLARATIVE_BASES:
            return False  # class Base(DeclarativeBase): the base, not a model
    return True


def _is_declarative_factory(project: Project, value: ValueSym) -> bool:
    """``Base = declarative_base()`` (or ``registry().generate_base()``)."""
    expr = value.value
    if not isinstance(expr, ast.Call):
        return False
    if isinstance(expr.func, ast.Attribute) and expr.func.attr == "generate_base":
        return True
    return project.canonical(value.module, expr.func) in _DECLARATIVE_FACTORIES


_MODEL_HELPER_DECORATORS = frozenset(
    {
        "field_validator",
        "model_validator",
        "validator",
        "root_validator",
        "field_serializer",
        "model_serializer",
        "computed_field",
        "validate_call",
        "validate_arguments",
    }
)
_PROPERTY_DECORATORS = frozenset({"functools.cached_property", "abc.abstractproperty"})
_HOOK_PREFIXES = ("model_", "__get_pydantic", "__pydantic", "__get_validators__", "__modify_schema__")
# HTTP calls that send a request (making a client object sends nothing)
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
_HTTP_CALLS = frozenset(
    {f"{package}.{verb}" for package in ("requests", "httpx") for verb in _HTTP_VERBS}
    | {"urllib.request.urlopen", "urllib3.request", "aiohttp.request"}
)
_SESSION_TYPES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
_SESSION_METHODS = frozenset(
    {
        "execute",
        "exec",
        "scalar",
        "scalars",
        "query",
        "get",
        "add",
        "add_all",
        "delete",
        "merge",
        "flush",
        "commit",
        "rollback",
        "refresh",
    }
)


def _model_logic(ctx: FileContext) -> Iterator[Finding]:
    limit = ctx.options.max_model_method_statements
    kinds: dict[int, bool] = {}
    for info in ctx.module.functions:
        cls = info.cls
        if cls is None:
            continue
        if id(cls) not in kinds:
            kinds[id(cls)] = _model_kind(ctx.project, ctx.module, cls) == "schema"
        if not kinds[id(cls)] or _is_model_helper(ctx, info):
            continue
        io = _io_in(ctx, info)
        if io is not None:
            yield finding(info.node, FAD304, cls=cls.name, method=info.name, what=f"does I/O ({io})")
            continue
        count = _statement_count(info.node)
        if count > limit:
            yield finding(
                info.node,
                FAD304,
                cls=cls.name,
                method=info.name,
                what=f"runs {count} statements (limit {limit})",
            )


def _is_model_helper(ctx: FileContext, info: FunctionInfo) -> bool:
    if info.name.startswith(_HOOK_PREFIXES):
        return True
    for deco in info.node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Attribute) and target.attr in ("setter", "getter", "deleter"):
            return True
        if (
            isinstance(target, ast.Name)
            and target.id == "property"
            and "property" not in ctx.module.toplevel
        ):
            return True
        name = ctx.canonical(target, info.parents)
        if name is None:
            continue
        if name in _PROPERTY_DECORATORS:
            return True
        head, _, last = name.rpartition(".")
        if last in _MODEL_HELPER_DECORATORS and head.split(".", 1)[0] in ("pydantic", "sqlmodel"):
            return True
    return False


def _io_in(ctx: FileContext, info: FunctionInfo) -> Optional[str]:
    """What I/O the method's own body does ("await", "open()", ...), or None."""
    sessions = _session_names(ctx, info)
    scope = (*info.parents, info.node)
    for node in own_nodes(info.node):
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return "await"
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open" and _is_builtin(ctx, info, "open"):
            return "open()"
        if isinstance(func, ast.Attribute):
            receiver = func.value
            if (
                isinstance(receiver, ast.Name)
                and receiver.id in sessions
                and func.attr in _SESSION_METHODS
            ):
                return f"{receiver.id}.{func.attr}()"
        name = ctx.canonical(func, scope)
        if name in _HTTP_CALLS:
            return f"{name}()"
        if name in ("io.open", "os.open", "builtins.open"):
            return f"{name}()"
    return None


def _is_builtin(ctx: FileContext, info: FunctionInfo, name: str) -> bool:
    mod = ctx.module
    if name in mod.toplevel or name in mod.imports.names:
        return False
    for func in (*info.parents, info.node):
        if name in mod.assignments.get(id(func), ()) or any(
            p.arg == name for p, _ in iter_params(func)
        ):
            return False
    return True


def _session_names(ctx: FileContext, info: FunctionInfo) -> set[str]:
    """Parameters typed as a database session, and names bound by ``with Session(...) as s``."""
    found: set[str] = set()
    scope = (*info.parents, info.node)
    for param, _ in info.params:
        ann = param.annotation
        if ann is not None and _is_session_type(ctx, ann, info.parents):
            found.add(param.arg)
    for node in own_nodes(info.node):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if (
                    isinstance(item.optional_vars, ast.Name)
                    and isinstance(item.context_expr, ast.Call)
                    and _is_session_type(ctx, item.context_expr.func, scope)
                ):
                    found.add(item.optional_vars.id)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if _is_session_type(ctx, node.value.func, scope):
                found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def _is_session_type(ctx: FileContext, expr: ast.expr, scope: Scope) -> bool:
    if isinstance(expr, ast.Subscript):  # Optional[Session]
        expr = expr.slice
    if isinstance(expr, ast.BinOp):  # Session | None
        return _is_session_type(ctx, expr.left, scope) or _is_session_type(ctx, expr.right, scope)
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return False
    return ctx.canonical(expr, scope) in _SESSION_TYPES


def _statement_count(node: FunctionNode) -> int:
    """Statements the function runs itself (nested blocks counted, docstring not)."""
    count = sum(1 for n in own_nodes(node) if isinstance(n, ast.stmt))
    if ast.get_docstring(node, clean=False) is not None:
        count -= 1
    return count


# ----------------------------------------------------------------------------- FAD305

# Callables that take the app but cannot add middleware to it.
_HARMLESS_APP_CALLS = frozenset(
    {
        "uvicorn.run",
        "uvicorn.Config",
        "uvicorn.Server",
        "hypercorn.asyncio.serve",
        "fastapi.testclient.TestClient",
        "starlette.testclient.TestClient",
        "httpx.ASGITransport",
        "httpx.AsyncClient",
        "mangum.Mangum",
    }
)
_HARMLESS_BUILTINS = frozenset(
    {"print", "isinstance", "id", "repr", "str", "len", "type", "getattr", "hasattr", "vars"}
)
_MAX_CALL_DEPTH = 3


def _apps_without_middleware(ctx: FileContext) -> Iterator[Finding]:
    apps = [(call, scope) for call, scope, is_app in _creations(ctx) if is_app]
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
        module_level = not scope and any("." not in h for h in handles)
        if (module_level or _returned(ctx.module, handles, scope)) and _imported_by_middleware_code(
            ctx
        ):
            continue
        label = f"{sorted(handles)[0]} = {dotted(call.func)}()" if handles else f"{dotted(call.func)}()"
        yield finding(call, FAD305, app=label)


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
    cached = mod.cache.get("fad3_statements")
    if isinstance(cached, list):
        return cached
    found = [n for n in walk([mod.tree]) if isinstance(n, ast.stmt)]
    mod.cache["fad3_statements"] = found
    return found


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
    if isinstance(func, ast.Name) and func.id in _HARMLESS_BUILTINS and func.id not in mod.toplevel:
        return False
    sym = ctx.project.resolve(mod, func, scope)
    if isinstance(sym, ExternalSym):
        return sym.name not in _HARMLESS_APP_CALLS
    if not isinstance(sym, FuncSym) or depth >= _MAX_CALL_DEPTH:
        return True  # unknown: assume it may
    return _function_adds_middleware(ctx, sym, depth + 1)


def _function_adds_middleware(ctx: FileContext, sym: FuncSym, depth: int) -> bool:
    """Does a project function that receives the app add middleware (or pass it on)?"""
    params = {p.arg for p, _ in iter_params(sym.node)}
    scope = (*sym.info.parents, sym.node)
    for node in own_nodes(sym.node):
        if not isinstance(node, ast.Call):
            continue
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
        for n in own_nodes(sym.node)
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
    name = graph.module_name(path)
    for other in graph.files_matching("middleware", _PROJECT_TEXT):
        if other == path:
            continue
        if path in graph.text_imports(other):
            return True
        data = read_source(other)
        if data is not None and re.search(
            rf"[\"']{re.escape(name)}[:\"']", data.decode("utf-8", "replace")
        ):
            return True
    return False


# ----------------------------------------------------------------------------- FAD306

_STATUS_MODULES = ("fastapi.status.", "starlette.status.")


def _undocumented_routes(ctx: FileContext) -> Iterator[Finding]:
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
                FAD306,
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
        if ctx.canonical(exc.func, scope) != "fastapi.HTTPException":
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
            FAD306,
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
    if name.startswith(_STATUS_MODULES):
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
    if name is not None and name.startswith(_STATUS_MODULES):
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


def _routers_included_with_responses(project: Project) -> set[tuple[Optional[str], str]]:
    """Routers whose routes get ``responses`` from an ``include_router`` call or a parent router.

    FastAPI merges the ``responses=`` of ``include_router(...)`` and of the
    including router (transitively) into every included route.  Routers
    included somewhere we cannot read are in the set too.
    """
    graph = project.import_graph()
    cached = graph.scratch.get("fad306_included")
    if isinstance(cached, set):
        return cached
    found: set[tuple[Optional[str], str]] = set()
    graph.scratch["fad306_included"] = found
    # (child, parent or None when unknown, the call itself adds responses)
    edges: list[tuple[tuple[Optional[str], str], Optional[tuple[Optional[str], str]], bool]] = []
    with_responses: set[tuple[Optional[str], str]] = set()
    for path in graph.files_matching("include_router", _PROJECT_TEXT):
        mod = project.module_at(path)
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
            parent_key: Optional[tuple[Optional[str], str]] = None
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


# ----------------------------------------------------------------------------- FAD307


def _module_structure(ctx: FileContext) -> Iterator[Finding]:
    routes = ctx.routes
    creations = _creations(ctx)
    if not routes:
        return
    limit = ctx.options.max_routes_per_module
    apps = [call for call, _, is_app in creations if is_app]
    if apps and len(routes) > limit:
        yield finding(
            apps[0],
            FAD307,
            what=f"the module creating the app defines {len(routes)} routes (limit {limit}); "
            "move them to APIRouter modules",
        )
        return
    schema = orm = None
    for stmt in ctx.module.tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        kind = _model_kind(ctx.project, ctx.module, stmt)
        if kind == "schema" and schema is None:
            schema = stmt.name
        elif kind == "orm" and orm is None:
            orm = stmt.name
    if schema is None or orm is None:
        return
    where: Union[ast.Call, FunctionNode]
    if creations:
        where = creations[0][0]
    else:
        where = min((r.func for r in routes.values()), key=lambda f: (f.lineno, f.col_offset))
    yield finding(
        where,
        FAD307,
        what=f"module mixes routes, Pydantic schemas ({schema}) and ORM models ({orm}); "
        "split them into separate modules",
    )
