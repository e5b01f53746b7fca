"""Lifecycle and resources, FAD201-FAD206: what a dependency opens, and who closes it.

FastAPI enters a ``yield`` dependency as a context manager: code before the
``yield`` runs before the route, the rest runs afterwards, and an exception the
route raises is thrown into the generator *at the* ``yield``.  So cleanup that
is not protected by ``try``/``finally`` or a ``with`` block is skipped on every
error (FAD201), and an ``except`` around the ``yield`` that does not raise again
swallows the route's error (FAD202).  Long-lived clients and pools built per
request (FAD203), request-scoped sessions handed to background tasks (FAD204),
background tasks that fail silently (FAD205) and dependencies that let a
connection error become a bare 500 (FAD206) complete the family.

The yield-shape helpers (:func:`yield_sites`, :func:`first_skipped`) live here
and work on one function's own body, iteratively.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Union

from ..base import Finding, Rule, finding
from ..model import (
    nodes_within,
    short_source,
    FunctionInfo,
    FunctionNode,
    ModuleInfo,
    Scope,
    annotated_parts,
    keyword,
    own_nodes,
)
from ..names import dotted
from ..nodes import children, walk
from ..project import ClassSym, FuncSym, ParamDecl, ValueSym
from ._shared import own_body, own_calls

if TYPE_CHECKING:
    from ..context import FileContext

FAD201 = Rule(
    "FAD201",
    "unprotected-yield-cleanup",
    "{func}() skips `{stmt}` when the route raises; put the yield in try/finally or a with block",
    "A yield dependency's cleanup after the yield is skipped when the route raises.",
)
FAD202 = Rule(
    "FAD202",
    "yield-dependency-swallows-exception",
    "{clause} in {func}() swallows the route's error: a 500, never logged (FastAPI 0.110+); "
    "re-raise",
    "An except around a dependency's yield that does not raise again.",
)
FAD203 = Rule(
    "FAD203",
    "pooled-resource-per-request",
    "{ctor}() {what} per request; create it once in lifespan, share it via app.state",
    "A long-lived client, engine or pool is built per request.",
)
FAD204 = Rule(
    "FAD204",
    "request-resource-in-background-task",
    "{arg} ({source}) in a background task {fate}; pass ids instead",
    "A request-scoped session from a yield dependency is handed to a background task.",
)
FAD205 = Rule(
    "FAD205",
    "unguarded-background-task",
    "background task {func}() catches nothing: an error skips the remaining tasks; "
    "catch and log it",
    "A background task function does not catch and report its own errors.",
    default_on=False,
)
FAD206 = Rule(
    "FAD206",
    "unguarded-service-call-in-dependency",
    "{call}() in {func}() is unguarded: an outage becomes a bare 500; "
    "catch it, raise HTTPException(503)",
    "A dependency calls an external service without turning its errors into an HTTP error.",
    default_on=False,
)
RULES = (FAD201, FAD202, FAD203, FAD204, FAD205, FAD206)

_TRY_TYPES: tuple[type[ast.stmt], ...] = (ast.Try,) + (
    (getattr(ast, "TryStar"),) if hasattr(ast, "TryStar") else ()
)
_WITH_TYPES = (ast.With, ast.AsyncWith)
_LOOP_TYPES = (ast.For, ast.AsyncFor, ast.While)
_SCOPE_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# nodes that hold statements (match_case exists from Python 3.10)
_BLOCK_NODES: tuple[type[ast.AST], ...] = (ast.stmt, ast.excepthandler) + (
    (getattr(ast, "match_case"),) if hasattr(ast, "match_case") else ()
)

# Generators that are context managers or fixtures, never FastAPI dependencies.
_NOT_DEPENDENCY_DECORATORS = frozenset(
    {
        "contextlib.contextmanager",
        "contextlib.asynccontextmanager",
        "pytest.fixture",
        "pytest_asyncio.fixture",
    }
)
# Decorators that make a function build its result once.
_CACHING_DECORATORS = frozenset({"lru_cache", "cache", "cached", "alru_cache", "memoize", "once"})
_BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})
# Handlers for these never see an exception raised by the route.
_NOT_ROUTE_ERRORS = frozenset(
    {
        "GeneratorExit",
        "StopIteration",
        "StopAsyncIteration",
        "KeyboardInterrupt",
        "SystemExit",
        "asyncio.CancelledError",
        "asyncio.exceptions.CancelledError",
    }
)
_NO_RETURN_TYPES = frozenset(
    {"typing.NoReturn", "typing.Never", "typing_extensions.NoReturn", "typing_extensions.Never"}
)
_NO_RETURN_CALLS = frozenset({"sys.exit", "os._exit", "os.abort", "pytest.fail", "pytest.skip"})
# Calls that release a resource: what FAD201 calls cleanup.  Other code after a
# yield (logging, bookkeeping, success-only side effects) is taken as deliberate.
_RELEASE_NAMES = frozenset(
    {
        "close", "aclose", "close_all", "closeall", "release", "dispose", "commit",
        "rollback", "shutdown", "disconnect", "terminate", "cleanup", "clean_up",
        "teardown", "tear_down", "stop", "reset", "unlock", "unlink", "remove",
        "rmtree", "kill", "cancel", "detach", "free", "putconn", "exit", "aexit",
        "exit__", "aexit__", "end", "finish", "expunge_all", "invalidate",
    }
)

# FAD203: constructor -> what it builds.  Clients in _CLOSABLE are fine when
# closed in the same function (``async with httpx.AsyncClient() as c``).
_ENGINE = "builds an engine (a pool)"
_FACTORY = "builds a session factory"
_POOL = "opens a connection pool"
_CLIENT = "opens a pooled client"
_POOLED: dict[str, str] = {
    "sqlalchemy.create_engine": _ENGINE,
    "sqlalchemy.engine.create_engine": _ENGINE,
    "sqlmodel.create_engine": _ENGINE,
    "sqlalchemy.ext.asyncio.create_async_engine": _ENGINE,
    "sqlalchemy.ext.asyncio.engine.create_async_engine": _ENGINE,
    "sqlalchemy.orm.sessionmaker": _FACTORY,
    "sqlalchemy.orm.session.sessionmaker": _FACTORY,
    "sqlalchemy.ext.asyncio.async_sessionmaker": _FACTORY,
    "sqlalchemy.ext.asyncio.session.async_sessionmaker": _FACTORY,
    "redis.Redis": _POOL,
    "redis.StrictRedis": _POOL,
    "redis.client.Redis": _POOL,
    "redis.from_url": _POOL,
    "redis.ConnectionPool": _POOL,
    "redis.asyncio.Redis": _POOL,
    "redis.asyncio.StrictRedis": _POOL,
    "redis.asyncio.client.Redis": _POOL,
    "redis.asyncio.from_url": _POOL,
    "redis.asyncio.ConnectionPool": _POOL,
    "pymongo.MongoClient": _POOL,
    "motor.motor_asyncio.AsyncIOMotorClient": _POOL,
    "aiohttp.ClientSession": _CLIENT,
    "httpx.Client": _CLIENT,
    "httpx.AsyncClient": _CLIENT,
    "boto3.client": _CLIENT,
    "boto3.resource": _CLIENT,
    "boto3.Session": _CLIENT,
    "boto3.session.Session": _CLIENT,
    "elasticsearch.Elasticsearch": _POOL,
    "elasticsearch.AsyncElasticsearch": _POOL,
}
_POOLED_TAILS = frozenset(n.rsplit(".", 1)[-1] for n in _POOLED)
_CLOSABLE = frozenset({"aiohttp.ClientSession", "httpx.Client", "httpx.AsyncClient"})
# A client over a shared pool is cheap: ``Redis(connection_pool=pool)``,
# ``httpx.AsyncClient(transport=shared)``, ``aiohttp.ClientSession(connector=shared)``.
_SHARED_POOL_KEYWORDS: dict[str, str] = {
    **{
        name: "connection_pool"
        for name in (
            "redis.Redis", "redis.StrictRedis", "redis.client.Redis", "redis.asyncio.Redis",
            "redis.asyncio.StrictRedis", "redis.asyncio.client.Redis",
        )
    },
    "httpx.Client": "transport",
    "httpx.AsyncClient": "transport",
    "aiohttp.ClientSession": "connector",
}

# FAD204: parameter types that are a live session or connection.
_SESSION_TYPES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlalchemy.Connection",
        "sqlalchemy.engine.Connection",
        "sqlalchemy.engine.base.Connection",
        "sqlalchemy.ext.asyncio.AsyncConnection",
        "sqlalchemy.ext.asyncio.engine.AsyncConnection",
        "sqlmodel.Session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
        "asyncpg.Connection",
        "asyncpg.connection.Connection",
        "psycopg.Connection",
        "psycopg.AsyncConnection",
        "psycopg2.extensions.connection",
        "aiosqlite.Connection",
    }
)
# Annotations that say "plain data" whatever a dependency yields.
_PLAIN_DATA_TYPES = frozenset(
    {
        "builtins.dict", "builtins.list", "builtins.str", "builtins.int", "builtins.float",
        "builtins.bool", "builtins.bytes", "builtins.tuple", "builtins.set",
        "typing.Dict", "typing.List", "typing.Tuple", "typing.Set", "uuid.UUID",
    }
)
_BUILTIN_TYPES = frozenset(t.rsplit(".", 1)[1] for t in _PLAIN_DATA_TYPES if t.startswith("builtins."))
_BACKGROUND_TASKS = "fastapi.BackgroundTasks"
_BACKGROUND_TASK = frozenset({"fastapi.BackgroundTask", "starlette.background.BackgroundTask"})
_BACKGROUND_TASK_TAILS = frozenset({"BackgroundTask"})
_TASKS_TAILS = frozenset({"BackgroundTasks"})
_REQUEST_TYPES = frozenset({"fastapi.Request", "fastapi.requests.HTTPConnection", "fastapi.WebSocket"})

# FAD206: clients, and what reaches the network.
_CLIENT_TYPES = _SESSION_TYPES | frozenset(_POOLED) | frozenset(
    {
        "sqlalchemy.Engine",
        "sqlalchemy.engine.Engine",
        "sqlalchemy.ext.asyncio.AsyncEngine",
        "asyncpg.Pool",
        "asyncpg.pool.Pool",
        "redis.asyncio.client.Pipeline",
    }
)
_SERVICE_METHODS = frozenset(
    {
        "ping", "connect", "execute", "executemany", "fetch", "fetchrow", "fetchval",
        "request", "send", "stream", "get", "post", "put", "patch", "delete", "head",
        "options", "scalar", "scalars", "find_one", "search",
    }
)
# method calls on a client that hand out another client (a connection, a session)
_ACQUIRE_METHODS = frozenset({"acquire", "connect", "begin", "session", "pipeline", "cursor"})
_CONNECT_FUNCTIONS = frozenset(
    {
        "asyncpg.connect",
        "asyncpg.create_pool",
        "psycopg.connect",
        "psycopg.AsyncConnection.connect",
        "psycopg2.connect",
        "pymysql.connect",
        "aiomysql.connect",
        "aiomysql.create_pool",
        "aio_pika.connect",
        "aio_pika.connect_robust",
        "httpx.get", "httpx.post", "httpx.put", "httpx.patch", "httpx.delete",
        "httpx.head", "httpx.request", "httpx.stream",
        "requests.get", "requests.post", "requests.put", "requests.patch",
        "requests.delete", "requests.head", "requests.request",
        "urllib.request.urlopen",
    }
)
_CONNECT_TAILS = frozenset(n.rsplit(".", 1)[-1] for n in _CONNECT_FUNCTIONS)


_YIELDS = (ast.Yield, ast.YieldFrom)


def check(ctx: FileContext) -> Iterator[Finding]:
    pooled = _pooled_names(ctx)
    for info in ctx.request_functions():
        is_dep = ctx.is_dependency(info)
        if (
            is_dep
            and ctx.may_yield
            and any(isinstance(n, _YIELDS) for n in own_body(ctx.module, info.node))
            and not _not_a_dependency(ctx, info)
        ):
            sites = yield_sites(info.node)
            yield from _unprotected_cleanup(info, sites)
            yield from _swallowing_handlers(ctx, info, sites)
        calls = own_calls(ctx.module, info.node)
        if not calls:
            continue
        yield from _pooled_per_request(ctx, info, calls, pooled)
        yield from _background_tasks(ctx, info, calls)
        if is_dep and ctx.options.reports(FAD206.code):
            yield from _unguarded_service_calls(ctx, info, calls, pooled)


def _external(
    ctx: FileContext, expr: ast.expr, scope: Scope, names: Collection[str], tails: Collection[str]
) -> Optional[str]:
    """The canonical name of ``expr`` if it is one of ``names`` (cheap test first).

    ``tails`` are the last components of ``names``: an import of a project
    module that re-exports one of them keeps the name, so only those are
    resolved through the project.
    """
    direct = ctx.module.imports.canonical(expr)
    if direct is None or (direct not in names and direct.rsplit(".", 1)[-1] not in tails):
        return None
    name = ctx.canonical(expr, scope)
    return name if name is not None and name in names else None


def _tails(names: Collection[str]) -> frozenset[str]:
    return frozenset(n.rsplit(".", 1)[-1] for n in names)


# ----------------------------------------------------------------------------- yield shape


@dataclass(frozen=True)
class Frame:
    """One level on the way from a function body down to a statement.

    ``block[index]`` is the statement on the path; ``owner`` is the compound
    statement whose ``part`` holds ``block`` (None for the function body).
    """

    owner: Optional[ast.stmt]
    part: str  # "body", "orelse", "finalbody", "handler" or "case"
    block: Sequence[ast.stmt]
    index: int
    handler: Optional[ast.ExceptHandler] = None


@dataclass(frozen=True)
class YieldSite:
    """A ``yield`` / ``yield from`` in a function's own body, with its enclosing statements."""

    node: Union[ast.Yield, ast.YieldFrom]
    frames: tuple[Frame, ...]  # outermost first

    @property
    def stmt(self) -> ast.stmt:
        last = self.frames[-1]
        return last.block[last.index]

    @property
    def guard(self) -> Optional[ast.stmt]:
        """The innermost ``try`` with ``finally`` or ``with`` whose exit runs whatever happens."""
        for frame in reversed(self.frames):
            owner = frame.owner
            if isinstance(owner, _TRY_TYPES) and frame.part != "finalbody":
                if getattr(owner, "finalbody", None):
                    return owner
            elif isinstance(owner, _WITH_TYPES) and frame.part == "body":
                return owner
        return None


def is_generator(node: FunctionNode) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own_nodes(node))


def _child_blocks(
    stmt: ast.stmt,
) -> list[tuple[str, Sequence[ast.stmt], Optional[ast.ExceptHandler]]]:
    if isinstance(stmt, (ast.If, *_LOOP_TYPES)):
        return [("body", stmt.body, None), ("orelse", stmt.orelse, None)]
    if isinstance(stmt, _WITH_TYPES):
        return [("body", stmt.body, None)]
    if isinstance(stmt, _TRY_TYPES):
        blocks: list[tuple[str, Sequence[ast.stmt], Optional[ast.ExceptHandler]]] = [
            ("body", getattr(stmt, "body"), None)
        ]
        for handler in getattr(stmt, "handlers"):
            blocks.append(("handler", handler.body, handler))
        blocks.append(("orelse", getattr(stmt, "orelse"), None))
        blocks.append(("finalbody", getattr(stmt, "finalbody"), None))
        return blocks
    cases = getattr(stmt, "cases", None)  # match
    if isinstance(cases, list):
        return [("case", case.body, None) for case in cases]
    return []


def _header(stmt: ast.stmt) -> list[ast.AST]:
    """The expressions a statement evaluates itself (not its nested blocks)."""
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.target, stmt.iter]
    if isinstance(stmt, _WITH_TYPES):
        return list(stmt.items)
    if isinstance(stmt, _TRY_TYPES) or isinstance(stmt, _SCOPE_TYPES):
        return []
    if hasattr(stmt, "cases"):
        subject = getattr(stmt, "subject", None)
        return [subject] if isinstance(subject, ast.AST) else []
    return [stmt]


def _yields_in(roots: list[ast.AST]) -> Iterator[Union[ast.Yield, ast.YieldFrom]]:
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            yield node
        if isinstance(node, _SCOPE_TYPES):
            continue
        stack.extend(reversed(children(node)))


def yield_sites(func: FunctionNode) -> list[YieldSite]:
    """Every yield of ``func``'s own body, in source order, with its statement path."""
    found: list[YieldSite] = []
    # (block, owner, part, handler, frames above)
    work: list[tuple[Sequence[ast.stmt], Optional[ast.stmt], str, Optional[ast.ExceptHandler],
                     tuple[Frame, ...]]] = [(func.body, None, "body", None, ())]
    while work:
        block, owner, part, handler, above = work.pop()
        nested = []
        for index, stmt in enumerate(block):
            frames = above + (Frame(owner, part, block, index, handler),)
            for node in _yields_in(_header(stmt)):
                found.append(YieldSite(node, frames))
            for child_part, child, child_handler in _child_blocks(stmt):
                if child:
                    nested.append((child, stmt, child_part, child_handler, frames))
        work.extend(reversed(nested))
    found.sort(key=lambda s: (s.node.lineno, s.node.col_offset))
    return found


def _catches_route_errors(handler: ast.ExceptHandler) -> bool:
    """Does the handler catch whatever a route may raise (bare, Exception, BaseException)?"""
    kind = handler.type
    if kind is None:
        return True
    items = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(isinstance(i, ast.Name) and i.id in _BROAD_EXCEPTIONS for i in items)


def _only_reraises(block: Sequence[ast.stmt], handler: Optional[ast.ExceptHandler]) -> bool:
    """Is the block nothing but a re-raise of the caught exception?"""
    meaningful = [
        s for s in block
        if not isinstance(s, ast.Pass)
        and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return len(meaningful) == 1 and _is_reraise(meaningful[0], handler)


def _is_reraise(stmt: ast.stmt, handler: Optional[ast.ExceptHandler]) -> bool:
    if not isinstance(stmt, ast.Raise):
        return False
    if stmt.exc is None:
        return True
    return (
        handler is not None
        and handler.name is not None
        and isinstance(stmt.exc, ast.Name)
        and stmt.exc.id == handler.name
    )


def _releases(stmt: ast.stmt) -> bool:
    """Does a simple statement release something (``db.close()``, ``del conn``)?"""
    if isinstance(stmt, ast.Delete):
        return True
    for node in _expr_nodes(stmt):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else None
            )
            if name is None or name.lower().lstrip("_") not in _RELEASE_NAMES:
                continue
            if name == "reset" and len(node.args) == 1 and not node.keywords:
                continue  # ContextVar.reset(token): the request's context is discarded anyway
            return True
    return False


def _classify(stmt: ast.stmt) -> tuple[str, Optional[ast.stmt]]:
    """("stop", None) ends the path, ("cleanup", s) releases something, else ("other", None)."""
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return "stop", None
    if isinstance(stmt, _SCOPE_TYPES):
        return "other", None
    blocks = _child_blocks(stmt)
    if blocks:
        for _, block, _ in blocks:
            for inner in block:
                kind, work = _classify(inner)
                if kind == "cleanup":
                    return kind, work
        return "other", None
    return ("cleanup", stmt) if _releases(stmt) else ("other", None)


def first_skipped(site: YieldSite) -> Optional[ast.stmt]:
    """The first statement that runs after the yield normally but not when the route raises.

    None when the yield is guarded (``try``/``finally``, ``with``) or nothing of
    substance follows it.  A ``try`` around the yield with a handler for every
    exception (bare, ``Exception``, ``BaseException``) that does some work is
    the error path's cleanup: the rest of that ``try`` counts as protected.
    When such a handler can end without raising, code after the ``try`` runs on
    both paths (FAD202 reports the handler instead).
    """
    if site.guard is not None:
        return None
    for frame in reversed(site.frames):
        owner = frame.owner
        rest: list[ast.stmt] = list(frame.block[frame.index + 1:])
        covered = False
        if isinstance(owner, _TRY_TYPES) and frame.part == "body":
            broad = [h for h in getattr(owner, "handlers") if _catches_route_errors(h)]
            if broad:
                if not all(_always_raises(h.body) for h in broad):
                    return None
                covered = any(
                    _classify(stmt)[0] == "cleanup" for h in broad for stmt in h.body
                )
            rest.extend(getattr(owner, "orelse"))
        elif isinstance(owner, _LOOP_TYPES) and frame.part == "body":
            rest.extend(owner.orelse)
        for stmt in rest:
            kind, work = _classify(stmt)
            if kind == "stop":
                return None
            if kind == "cleanup" and not covered:
                return work
    return None


NoReturnTest = Callable[[ast.Call], bool]


def _always_raises(block: Sequence[ast.stmt], no_return: Optional[NoReturnTest] = None) -> bool:
    """Does every path through ``block`` end in a raise?

    ``no_return`` tells whether a call never returns (a project helper that
    always raises); without it only ``sys.exit`` and the like count.
    """
    for stmt in block:
        if _stmt_always_raises(stmt, no_return):
            return True
        if _can_leave(stmt):
            return False
    return False


def _stmt_always_raises(stmt: ast.stmt, no_return: Optional[NoReturnTest]) -> bool:
    if isinstance(stmt, ast.Raise):
        return True
    if isinstance(stmt, ast.If):
        return bool(stmt.orelse) and _always_raises(stmt.body, no_return) and _always_raises(
            stmt.orelse, no_return
        )
    if isinstance(stmt, _WITH_TYPES):
        return _always_raises(stmt.body, no_return)
    if isinstance(stmt, _TRY_TYPES):
        if _always_raises(getattr(stmt, "finalbody"), no_return):
            return True
        handlers = getattr(stmt, "handlers")
        return _always_raises(getattr(stmt, "body"), no_return) and all(
            _always_raises(h.body, no_return) for h in handlers
        )
    if isinstance(stmt, ast.Expr):
        value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
        if isinstance(value, ast.Call):
            if dotted(value.func) in _NO_RETURN_CALLS:
                return True
            return no_return is not None and no_return(value)
    return False


def _no_return_test(ctx: FileContext, module: ModuleInfo, scope: Scope) -> NoReturnTest:
    """Calls to project functions annotated ``NoReturn``/``Never`` or that always raise."""

    def test(call: ast.Call) -> bool:
        if not isinstance(call.func, (ast.Name, ast.Attribute)):
            return False
        name = ctx.project.canonical(module, call.func, scope)
        if name in _NO_RETURN_CALLS:
            return True
        sym = ctx.project.resolve(module, call.func, scope)
        if not isinstance(sym, FuncSym):
            return False
        returns = sym.node.returns
        if returns is not None:
            kind = ctx.project.canonical(sym.module, returns, sym.info.parents)
            if kind in _NO_RETURN_TYPES:
                return True
        return _always_raises(sym.node.body)

    return test


def _can_leave(stmt: ast.stmt) -> bool:
    """Can ``stmt`` leave the enclosing block early (return, or break/continue out of it)?"""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False)]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
            return True
        if isinstance(node, _SCOPE_TYPES):
            continue
        if isinstance(node, _LOOP_TYPES):
            stack.extend((child, True) for child in node.body)
            stack.extend((child, in_loop) for child in node.orelse)
            continue
        for child in children(node):
            if isinstance(child, _BLOCK_NODES):
                stack.append((child, in_loop))
    return False


def _not_a_dependency(ctx: FileContext, info: FunctionInfo) -> bool:
    for deco in info.node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if ctx.canonical(target, info.parents) in _NOT_DEPENDENCY_DECORATORS:
            return True
    return False


def _source(node: ast.AST, limit: int = 40) -> str:
    return short_source(node, limit)


# ----------------------------------------------------------------------------- FAD201


def _unprotected_cleanup(info: FunctionInfo, sites: list[YieldSite]) -> Iterator[Finding]:
    for site in sites:
        skipped = first_skipped(site)
        if skipped is not None:
            yield finding(site.node, FAD201, func=info.name, stmt=_source(skipped))


# ----------------------------------------------------------------------------- FAD202


def _swallowing_handlers(
    ctx: FileContext, info: FunctionInfo, sites: list[YieldSite]
) -> Iterator[Finding]:
    seen: set[int] = set()
    no_return = _no_return_test(ctx, ctx.module, info.parents + (info.node,))
    for site in sites:
        for frame in site.frames:
            owner = frame.owner
            if not (isinstance(owner, _TRY_TYPES) and frame.part == "body"):
                continue
            for handler in getattr(owner, "handlers"):
                if id(handler) in seen:
                    continue
                seen.add(id(handler))
                if _ignored_handler(ctx, handler, info.parents):
                    continue
                if not _always_raises(handler.body, no_return):
                    clause = "except" if handler.type is None else f"except {_source(handler.type)}"
                    yield finding(handler, FAD202, clause=clause, func=info.name)


def _ignored_handler(ctx: FileContext, handler: ast.ExceptHandler, scope: Scope) -> bool:
    """Handlers that only catch what a route cannot raise."""
    kind = handler.type
    if kind is None:
        return False
    items = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    for item in items:
        name = ctx.canonical(item, scope) or dotted(item)
        if name not in _NOT_ROUTE_ERRORS:
            return False
    return True


# ----------------------------------------------------------------------------- FAD203


def _pooled_names(ctx: FileContext) -> dict[str, str]:
    extra = ctx.options.pooled_constructors
    if not extra:
        return _POOLED
    table = dict(_POOLED)
    for name in extra:
        table.setdefault(name, _CLIENT)
    return table


def _pooled_per_request(
    ctx: FileContext, info: FunctionInfo, all_calls: list[ast.Call], table: dict[str, str]
) -> Iterator[Finding]:
    node = info.node
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = dotted(target)
        if name is not None and name.rsplit(".", 1)[-1] in _CACHING_DECORATORS:
            return
    tails = _POOLED_TAILS if table is _POOLED else _tails(table)
    scope = info.parents + (node,)
    calls: list[tuple[ast.Call, str]] = []
    for sub in all_calls:
        name = _external(ctx, sub.func, scope, table, tails)
        if name is not None:
            calls.append((sub, name))
    if not calls:
        return
    uses, closed = _call_uses(node)
    in_init = info.name == "__init__" and info.cls is not None
    for call, name in calls:
        use = uses.get(id(call), "")
        if name in _CLOSABLE and (use == "with" or (use.startswith("local:") and use[6:] in closed)):
            continue  # a short-lived client, closed here
        if use == "stored" or (use == "self" and not in_init):
            continue  # kept for later requests (a global, app.state, a cache)
        shared = _SHARED_POOL_KEYWORDS.get(name)
        if shared is not None and keyword(call, shared) is not None:
            continue  # a cheap client over a shared pool, transport or connector
        yield finding(call, FAD203, ctor=dotted(call.func) or name, what=table[name])


def _call_uses(func: FunctionNode) -> tuple[dict[int, str], set[str]]:
    """How each call's result is used ("with", "local:<name>", "stored", "self"), by id.

    Also the local names closed in the body (``x.close()``, ``await x.aclose()``,
    ``async with x:``).
    """
    uses: dict[int, str] = {}
    kept: set[str] = set()
    closed: set[str] = set()
    for node in own_nodes(func):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            kept.update(node.names)
    for node in own_nodes(func):
        if isinstance(node, _WITH_TYPES):
            for item in node.items:
                expr = item.context_expr
                expr = expr.value if isinstance(expr, ast.Await) else expr
                if isinstance(expr, ast.Call):
                    uses[id(expr)] = "with"
                elif isinstance(expr, ast.Name):
                    closed.add(expr.id)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            value = node.value
            if isinstance(value, ast.Await):
                value = value.value
            if not isinstance(value, ast.Call):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            use = None
            for target in targets:
                if isinstance(target, ast.Name):
                    use = "stored" if target.id in kept else use or f"local:{target.id}"
                elif isinstance(target, ast.Attribute):
                    base = target.value
                    is_self = isinstance(base, ast.Name) and base.id == "self"
                    use = "self" if is_self and use != "stored" else "stored"
                elif isinstance(target, ast.Subscript):
                    use = "stored"
            if use is not None:
                uses[id(value)] = use
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("close", "aclose") and isinstance(node.func.value, ast.Name):
                closed.add(node.func.value.id)
    return uses, closed


# ----------------------------------------------------------------------------- FAD204 / FAD205


def _background_tasks(
    ctx: FileContext, info: FunctionInfo, calls: list[ast.Call]
) -> Iterator[Finding]:
    node = info.node
    scope = info.parents + (node,)
    receivers: Optional[set[str]] = None
    decls: Optional[dict[str, ParamDecl]] = None
    for sub in calls:
        func = sub.func
        if isinstance(func, ast.Attribute) and func.attr == "add_task":
            if not isinstance(func.value, ast.Name):
                continue
            if receivers is None:
                receivers = _task_receivers(ctx, info)
            if func.value.id not in receivers:
                continue
        elif _external(ctx, func, scope, _BACKGROUND_TASK, _BACKGROUND_TASK_TAILS) is None:
            continue
        task = sub.args[0] if sub.args and not isinstance(sub.args[0], ast.Starred) else keyword(
            sub, "func"
        )
        if task is not None and ctx.options.reports(FAD205.code):
            yield from _unguarded_task(ctx, task, scope)
        if decls is None:
            decls = {d.param.arg: d for d in ctx.project.signature(ctx.module, info)}
        values = [a for a in sub.args[1:] if not isinstance(a, ast.Starred)]
        values += [kw.value for kw in sub.keywords if kw.arg not in (None, "func")]
        for value in values:
            if isinstance(value, ast.Name) and value.id in decls:
                if value.id in ctx.module.assignments.get(id(node), {}):
                    continue  # rebound in the body: not the injected object
                yield from _request_scoped(ctx, value, decls[value.id])


def _task_receivers(ctx: FileContext, info: FunctionInfo) -> set[str]:
    """Names that hold the request's ``BackgroundTasks`` (a parameter or a local instance)."""
    names: set[str] = set()
    wanted = (_BACKGROUND_TASKS,)
    for param, _ in info.params:
        ann = param.annotation
        parts = annotated_parts(ctx.module.imports, ann)
        if parts:
            ann = parts[0]
        if ann is not None and _external(ctx, ann, info.parents, wanted, _TASKS_TAILS):
            names.add(param.arg)
    scope = info.parents + (info.node,)
    for name, values in ctx.module.assignments.get(id(info.node), {}).items():
        for value in values:
            if isinstance(value, ast.Call) and _external(ctx, value.func, scope, wanted, _TASKS_TAILS):
                names.add(name)
    return names


def _request_scoped(ctx: FileContext, arg: ast.Name, decl: ParamDecl) -> Iterator[Finding]:
    function_scope = False
    source: Optional[str] = None
    resolved_plain = False
    if decl.marker is not None and decl.target is not None:
        scope_kw = keyword(decl.marker, "scope")
        function_scope = isinstance(scope_kw, ast.Constant) and scope_kw.value == "function"
        dep = _dependency_callable(ctx, decl)
        if isinstance(dep, FuncSym):
            if is_generator(dep.node):
                if yields_managed_resource(ctx, dep, 0):
                    source = f"from {dep.info.name}()"
            else:
                resolved_plain = True
    type_name = _param_type_name(ctx, decl)
    if type_name is not None and type_name in _PLAIN_DATA_TYPES:
        return  # a dict or a string: data, not a connection
    if source is None and not resolved_plain:
        if type_name is not None and type_name in _SESSION_TYPES:
            source = "a " + type_name.rsplit(".", 1)[-1]
            if decl.marker is None:
                function_scope = False
    if source is None:
        return
    if function_scope:
        fate = 'is already closed (scope="function")'
    else:
        fate = "is closed on FastAPI 0.106-0.117, held through the task on 0.118+"
    yield finding(arg, FAD204, arg=arg.id, source=source, fate=fate)


def _dependency_callable(ctx: FileContext, decl: ParamDecl) -> Optional[FuncSym]:
    """What FastAPI calls for a declaration: a function, or an instance's ``__call__``."""
    target = decl.target
    if target is None:
        return None
    project = ctx.project
    if isinstance(target, ast.Call):
        made = project.resolve(decl.module, target.func, decl.scope)
        if isinstance(made, ClassSym):
            return project.class_method(made, "__call__")
        return None
    sym = project.resolve(decl.module, target, decl.scope)
    return sym if isinstance(sym, FuncSym) else None


def _param_type_name(ctx: FileContext, decl: ParamDecl) -> Optional[str]:
    """Canonical name of a parameter's type (through ``Annotated`` and aliases)."""
    ann = decl.param.annotation
    if ann is None:
        return None
    module = ctx.module
    scope = decl.scope
    parts = annotated_parts(module.imports, ann)
    if parts:
        ann = parts[0]
    elif isinstance(ann, (ast.Name, ast.Attribute)):
        alias = ctx.project.resolve(module, ann, scope)
        if isinstance(alias, ValueSym):
            aparts = annotated_parts(alias.module.imports, alias.value)
            if aparts:
                module, ann, scope = alias.module, aparts[0], ()
    if isinstance(ann, ast.Subscript):  # Optional[Session]
        inner = ann.slice
        name = ctx.project.canonical(module, ann.value, scope)
        if name in ("typing.Optional",) and isinstance(inner, (ast.Name, ast.Attribute)):
            ann = inner
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):  # Session | None
        for side in (ann.left, ann.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                ann = side
    if isinstance(ann, ast.Subscript):  # dict[str, Any], List[int]
        ann = ann.value
    if isinstance(ann, ast.Name) and ann.id in _BUILTIN_TYPES:
        if ann.id not in module.toplevel and ann.id not in module.imports.names:
            return f"builtins.{ann.id}"
    if not isinstance(ann, (ast.Name, ast.Attribute)):
        return None
    return ctx.project.canonical(module, ann, scope)


def yields_managed_resource(ctx: FileContext, dep: FuncSym, depth: int) -> bool:
    """Does the generator hand out something its exit code closes or releases?

    True when a yielded name is bound by an enclosing ``with``, is used in the
    ``finally``/``except`` around the yield or in code after it, or comes from
    delegating to another such generator (``yield from g()``,
    ``async for x in g(): yield x``).
    """
    if depth > 3:
        return False
    for site in yield_sites(dep.node):
        value = site.node.value
        if isinstance(site.node, ast.YieldFrom):
            if isinstance(value, ast.Call) and _delegates_to_managed(ctx, dep, value, depth):
                return True
            continue
        if not isinstance(value, ast.Name):
            continue
        name = value.id
        for frame in reversed(site.frames):
            owner = frame.owner
            if isinstance(owner, _WITH_TYPES) and frame.part == "body":
                if any(_binds(item.optional_vars, name) for item in owner.items):
                    return True
            elif isinstance(owner, _TRY_TYPES) and frame.part == "body":
                exits = list(getattr(owner, "finalbody"))
                for handler in getattr(owner, "handlers"):
                    exits.extend(handler.body)
                if _mentions(exits, name):
                    return True
            elif isinstance(owner, (ast.For, ast.AsyncFor)) and frame.part == "body":
                if _binds(owner.target, name) and isinstance(owner.iter, ast.Call):
                    if _delegates_to_managed(ctx, dep, owner.iter, depth):
                        return True
            if _mentions(frame.block[frame.index + 1:], name):
                return True
    return False


def _delegates_to_managed(ctx: FileContext, dep: FuncSym, call: ast.Call, depth: int) -> bool:
    inner = ctx.project.resolve(dep.module, call.func, dep.info.parents + (dep.node,))
    return isinstance(inner, FuncSym) and is_generator(inner.node) and yields_managed_resource(
        ctx, inner, depth + 1
    )


def _binds(target: Optional[ast.expr], name: str) -> bool:
    if target is None:
        return False
    return any(isinstance(n, ast.Name) and n.id == name for n in walk([target]))


def _mentions(stmts: Sequence[ast.stmt], name: str) -> bool:
    for stmt in stmts:
        if isinstance(stmt, _SCOPE_TYPES):
            continue
        for node in _expr_nodes(stmt):
            if isinstance(node, ast.Name) and node.id == name:
                return True
    return False


def _unguarded_task(ctx: FileContext, task: ast.expr, scope: Scope) -> Iterator[Finding]:
    if not isinstance(task, (ast.Name, ast.Attribute)):
        return
    sym = ctx.resolve(task, scope)
    if not isinstance(sym, FuncSym) or sym.node.decorator_list:
        return
    if _task_is_guarded(ctx, sym):
        return
    if sym.module is ctx.module:
        yield finding(sym.node, FAD205, func=sym.info.name)
    else:
        yield finding(task, FAD205, func=sym.info.name)


def _task_is_guarded(ctx: FileContext, sym: FuncSym) -> bool:
    """The task, or a project function it calls directly, catches and handles errors."""
    if _handles_errors(sym.node):
        return True
    scope = sym.info.parents + (sym.node,)
    for node in own_nodes(sym.node):
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            callee = ctx.project.resolve(sym.module, node.func, scope)
            if isinstance(callee, FuncSym) and _handles_errors(callee.node):
                return True
    return False


def _handles_errors(func: FunctionNode) -> bool:
    """A ``try`` whose handler catches every error and does more than re-raise it."""
    for node in own_nodes(func):
        if isinstance(node, _TRY_TYPES):
            for handler in getattr(node, "handlers"):
                if _catches_route_errors(handler) and not _only_reraises(handler.body, handler):
                    return True
    return False


# ----------------------------------------------------------------------------- FAD206


def _unguarded_service_calls(
    ctx: FileContext, info: FunctionInfo, calls: list[ast.Call], pooled: dict[str, str]
) -> Iterator[Finding]:
    node = info.node
    scope = info.parents + (node,)
    candidates = {
        id(call)
        for call in calls
        if (isinstance(call.func, ast.Attribute) and call.func.attr in _SERVICE_METHODS)
        or _external(ctx, call.func, scope, _CONNECT_FUNCTIONS, _CONNECT_TAILS) is not None
    }
    if not candidates:
        return
    clients = _client_names(ctx, info, pooled)
    for call, guarded in _calls_with_guard(node):
        if guarded or id(call) not in candidates:
            continue
        func = call.func
        label: Optional[str] = None
        if isinstance(func, ast.Attribute) and func.attr in _SERVICE_METHODS:
            if _is_client(ctx, func.value, clients, scope):
                label = dotted(func) or func.attr
        if label is None:
            name = _external(ctx, func, scope, _CONNECT_FUNCTIONS, _CONNECT_TAILS)
            if name is not None:
                label = dotted(func) or name
        if label is not None:
            yield finding(call, FAD206, call=label, func=info.name)


def _client_names(ctx: FileContext, info: FunctionInfo, pooled: dict[str, str]) -> set[str]:
    """Local names that hold a known client: typed parameters and assignments in the body."""
    names: set[str] = set()
    requests: set[str] = set()
    scope = info.parents + (info.node,)
    for decl in ctx.project.signature(ctx.module, info):
        if decl.param.annotation is None:
            continue
        type_name = _param_type_name(ctx, decl)
        if type_name in _CLIENT_TYPES:
            names.add(decl.param.arg)
        elif type_name in _REQUEST_TYPES:
            requests.add(decl.param.arg)
    sources = frozenset(pooled) | _CONNECT_FUNCTIONS
    tails = _tails(sources)

    def is_source(expr: ast.expr) -> bool:
        if isinstance(expr, ast.Await):
            expr = expr.value
        if isinstance(expr, ast.Call):
            func = expr.func
            if _external(ctx, func, scope, sources, tails) is not None:
                return True
            if isinstance(func, ast.Attribute) and func.attr in _ACQUIRE_METHODS:
                return _is_client(ctx, func.value, names, scope, requests)
            return False
        return _is_client(ctx, expr, names, scope, requests)

    for sub in own_nodes(info.node):
        if isinstance(sub, (ast.Assign, ast.AnnAssign)) and sub.value is not None:
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            if is_source(sub.value):
                names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(sub, _WITH_TYPES):
            for item in sub.items:
                if isinstance(item.optional_vars, ast.Name) and is_source(item.context_expr):
                    names.add(item.optional_vars.id)
    return names


def _is_client(
    ctx: FileContext,
    expr: ast.expr,
    clients: set[str],
    scope: Scope,
    requests: Optional[set[str]] = None,
) -> bool:
    if isinstance(expr, ast.Name):
        return expr.id in clients
    text = dotted(expr)
    if text is None:
        return False
    # request.app.state.<client>, app.state.<client>, request.state.<client>
    parts = text.split(".")
    if len(parts) >= 3 and parts[-2] == "state":
        head = parts[0]
        return head in ("request", "app", "websocket") or (requests is not None and head in requests)
    return False


def _calls_with_guard(func: FunctionNode) -> Iterator[tuple[ast.Call, bool]]:
    """Every call of the body, with "inside a try whose handler converts the error"."""
    work: list[tuple[Sequence[ast.stmt], bool]] = [(func.body, False)]
    while work:
        block, guarded = work.pop()
        for stmt in block:
            for root in _header(stmt):
                for node in _expr_nodes(root):
                    if isinstance(node, ast.Call):
                        yield node, guarded
            if isinstance(stmt, _TRY_TYPES):
                converts = any(
                    not (_always_raises(h.body) and _only_reraises(h.body, h))
                    for h in getattr(stmt, "handlers")
                )
                work.append((getattr(stmt, "body"), guarded or converts))
                for handler in getattr(stmt, "handlers"):
                    work.append((handler.body, guarded))
                work.append((getattr(stmt, "orelse"), guarded))
                work.append((getattr(stmt, "finalbody"), guarded))
            else:
                for _, child, _ in _child_blocks(stmt):
                    work.append((child, guarded))


def _expr_nodes(root: ast.AST) -> Iterator[ast.AST]:
    return nodes_within((root,))


__all__ = [
    "RULES",
    "Frame",
    "YieldSite",
    "check",
    "first_skipped",
    "is_generator",
    "yield_sites",
    "yields_managed_resource",
]
