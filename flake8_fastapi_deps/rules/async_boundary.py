"""Sync/async boundary, FAD101-FAD104: request code that fights the event loop.

FastAPI awaits ``async def`` routes and dependencies on the event loop and runs
plain ``def`` ones in a worker thread (AnyIO's threadpool).  These rules look
only at request code (routes and dependencies, wherever in the project they are
declared) and only at each function's own body: a nested ``def`` or ``lambda``
is not run by FastAPI, and a function passed to ``run_in_threadpool`` is not
called on the loop.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ..base import Finding, Rule, finding
from ..model import (
    bound_in_scope,
    FunctionInfo,
    ModuleInfo,
    Scope,
    annotated_parts,
)
from ..names import dotted
from ..nodes import walk
from ..options import Options
from ..project import ClassSym, ExternalSym, FuncSym, Project, Symbol, ValueSym
from ._shared import own_awaited, own_body, own_calls

if TYPE_CHECKING:
    from ..context import FileContext

FAD101 = Rule(
    "FAD101",
    "event-loop-in-request-code",
    "{call}() in {where} {problem}; {fix}",
    "An event loop is started or fetched inside a route or dependency.",
)
FAD102 = Rule(
    "FAD102",
    "blocking-call-in-async-request-code",
    "{chain} blocks the event loop in {where}; {fix}",
    "A blocking call (directly or in a sync helper) inside an async route or dependency.",
)
FAD103 = Rule(
    "FAD103",
    "sync-session-in-async-request-code",
    "{param} gets a sync {session}{source} in {where}; its queries block the event loop: "
    "use AsyncSession or def",
    "An async route or dependency works with a synchronous database session.",
)
FAD104 = Rule(
    "FAD104",
    "async-request-code-without-await",
    "{where} never awaits, yet runs on the event loop; make it def so FastAPI runs it in a thread",
    "An async def route or dependency that never awaits anything.",
    default_on=False,
)
RULES = (FAD101, FAD102, FAD103, FAD104)

# How deep FAD102 follows sync project helpers: request code -> f -> g -> h -> open().
MAX_HELPER_DEPTH = 3

# ----------------------------------------------------------------------------- names

_LOOP_RUNNERS = frozenset({"asyncio.run", "asyncio.runners.run", "anyio.run"})
_NEW_LOOP = frozenset({"asyncio.new_event_loop", "asyncio.events.new_event_loop"})
_GET_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})
_RUNNING_LOOP = frozenset({"asyncio.get_running_loop", "asyncio.events.get_running_loop"})
_SET_LOOP = frozenset({"asyncio.set_event_loop", "asyncio.events.set_event_loop"})

_HTTP_VERBS = ("get", "options", "head", "post", "put", "patch", "delete", "request")
_HTTP_CALLS = frozenset(
    {f"requests.{v}" for v in _HTTP_VERBS}
    | {f"requests.api.{v}" for v in _HTTP_VERBS}
    | {f"httpx.{v}" for v in _HTTP_VERBS}
    | {"httpx.stream", "urllib.request.urlopen", "urllib3.request"}
)
_SLEEP = "time.sleep"
BLOCKING_CALLS = frozenset(
    _HTTP_CALLS
    | {
        _SLEEP,
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        "os.wait",
        "os.waitpid",
        "io.open",
        "builtins.open",
        "socket.create_connection",
        "psycopg2.connect",
        "psycopg.connect",
        "sqlite3.connect",
        "pymysql.connect",
        "mysql.connector.connect",
        "MySQLdb.connect",
        "pymssql.connect",
        "cx_Oracle.connect",
        "oracledb.connect",
    }
)
# Sync HTTP client classes and the methods of theirs that do network I/O.
_CLIENT_TYPES = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client"}
)
_CLIENT_METHODS = frozenset(_HTTP_VERBS) | {"send", "stream"}

SYNC_SESSION_TYPES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.orm.scoping.scoped_session",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
    }
)
_SESSION_FACTORIES = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker"})
_ITERATOR_TYPES = frozenset(
    f"{mod}.{name}"
    for mod in ("typing", "typing_extensions", "collections.abc")
    for name in (
        "Iterator",
        "Iterable",
        "Generator",
        "AsyncIterator",
        "AsyncIterable",
        "AsyncGenerator",
    )
)
_UNION_TYPES = frozenset({"typing.Optional", "typing.Union", "typing_extensions.Optional"})

# Calls that hand a function to a thread instead of calling it on the loop.
_OFFLOADERS = frozenset(
    {
        "starlette.concurrency.run_in_threadpool",
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "asyncer.asyncify",
    }
)
_PARTIAL = "functools.partial"
_BACKGROUND_TASKS = frozenset({"fastapi.BackgroundTask", "starlette.background.BackgroundTask"})

# Builtins that cannot block (FAD104 ignores calls to them).
_PURE_BUILTINS = frozenset(
    {
        "len", "str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set",
        "frozenset", "isinstance", "issubclass", "getattr", "hasattr", "min", "max", "sum",
        "sorted", "reversed", "enumerate", "zip", "range", "any", "all", "abs", "round",
        "repr", "format", "type", "id", "hash", "iter", "next", "map", "filter", "super",
    }
)


def check(ctx: FileContext) -> Iterator[Finding]:
    for info in ctx.request_functions():
        if info.is_async:
            yield from _blocking_calls(ctx, info)
            yield from _sync_sessions(ctx, info)
            if ctx.options.reports(FAD104.code):
                yield from _never_awaits(ctx, info)
        if not ctx.is_test:
            yield from _event_loops(ctx, info)


_body = own_body  # ``own_nodes(node)`` as a list, walked once per function and process


def _where(ctx: FileContext, info: FunctionInfo) -> str:
    kind = "route" if ctx.is_route(info) else "dependency"
    return f"{'async' if info.is_async else 'sync'} {kind} {info.name}"


def _scope(info: FunctionInfo) -> Scope:
    return info.parents + (info.node,)


def _label(expr: ast.expr) -> str:
    text = dotted(expr)
    if text is not None:
        return text
    if isinstance(expr, ast.Attribute):
        return f"….{expr.attr}"
    return "…"


_bound_locally = bound_in_scope


def _head(expr: ast.expr) -> Optional[str]:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _external(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[str]:
    """Canonical name of the library object ``expr`` names, unless a local shadows it.

    Only names whose last part is the last part of a name these rules know
    are resolved: resolving the rest would cost file lookups for nothing.
    """
    qualified = mod.imports.qualified(expr)  # sees through `import x as y` aliases
    if qualified is not None:
        last = qualified.rsplit(".", 1)[-1]
    elif isinstance(expr, ast.Attribute):
        last = expr.attr
    elif isinstance(expr, ast.Name):
        last = expr.id
    else:
        return None
    if last not in _known_last_parts(project.options):
        return None
    return _meaning(project, mod, expr, scope)[0]


_LAST_PARTS: dict[Options, frozenset[str]] = {}


def _known_last_parts(options: Options) -> frozenset[str]:
    found = _LAST_PARTS.get(options)
    if found is None:
        names = (
            BLOCKING_CALLS | _LOOP_RUNNERS | _NEW_LOOP | _GET_LOOP | _RUNNING_LOOP | _SET_LOOP
            | _CLIENT_TYPES | SYNC_SESSION_TYPES | _ITERATOR_TYPES | _UNION_TYPES | _OFFLOADERS
            | _BACKGROUND_TASKS | {_PARTIAL}
            | set(options.blocking_calls) | set(options.sync_session_types)
        )
        found = _LAST_PARTS[options] = frozenset(name.rsplit(".", 1)[-1] for name in names)
    return found


def _symbol(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> Optional[Symbol]:
    return _meaning(project, mod, expr, scope)[1]


def _meaning(
    project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope
) -> tuple[Optional[str], Optional[Symbol]]:
    """(canonical external name, symbol) of a name chain, memoised per module.

    Module-level meanings do not change within a module, so they are resolved
    once per distinct spelling (resolution may stat files); names bound in an
    enclosing function are resolved each time (only a nested def resolves).
    """
    head = _head(expr)
    if head is None:
        return None, None
    if _bound_locally(mod, head, scope):
        return None, project.resolve(mod, expr, scope)
    if head not in mod.imports.names and head not in mod.toplevel:
        return None, None  # a builtin or an unknown global
    text = dotted(expr)
    memo = mod.cache.setdefault("fad1_meaning", {})
    assert isinstance(memo, dict)
    found = memo.get(text)
    if found is None:
        sym = project.resolve(mod, expr, ())
        name = sym.name if isinstance(sym, ExternalSym) else None
        if name is None and not isinstance(sym, (FuncSym, ClassSym, ValueSym)):
            name = project.canonical(mod, expr, ())
        found = memo[text] = (name, sym)
    return found


def _is_builtin(mod: ModuleInfo, expr: ast.expr, name: str, scope: Scope) -> bool:
    return (
        isinstance(expr, ast.Name)
        and expr.id == name
        and name not in mod.toplevel
        and name not in mod.imports.names
        and not _bound_locally(mod, name, scope)
    )


# ----------------------------------------------------------------------------- FAD101


def _event_loops(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    mod = ctx.module
    scope = _scope(info)
    reported: set[int] = set()  # loop calls already reported
    sets_loop = False
    candidates: list[tuple[ast.Call, str]] = []
    runs: list[ast.Call] = []
    for node in own_calls(mod, info.node):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "run_until_complete":
            runs.append(node)
            continue
        name = _external(ctx.project, mod, func, scope)
        if name is None:
            continue
        if name in _SET_LOOP:
            sets_loop = True
        elif name in _LOOP_RUNNERS or name in _NEW_LOOP or name in _GET_LOOP or name in _RUNNING_LOOP:
            candidates.append((node, name))
    if not candidates and not runs:
        return
    where = _where(ctx, info)
    for call, name in candidates:
        problem = fix = None
        if info.is_async:
            if name in _LOOP_RUNNERS:
                problem = "raises RuntimeError: an event loop is already running"
                fix = "await the coroutine"
            elif name in _NEW_LOOP:
                problem = "makes a loop that cannot run while the app's loop runs"
                fix = "await the coroutine"
            # get_event_loop()/get_running_loop() return the running loop: fine
        elif name in _GET_LOOP or name in _RUNNING_LOOP:
            if not sets_loop or name in _RUNNING_LOOP:
                problem = "raises RuntimeError: no event loop in the AnyIO worker thread"
                fix = "make it async def"
        else:
            problem = "makes a throw-away event loop per request"
            fix = "use async def + await, or anyio.from_thread.run"
        if problem is not None:
            reported.add(id(call))
            yield finding(call, FAD101, call=_label(call.func), where=where, problem=problem, fix=fix)
    for call in runs:
        assert isinstance(call.func, ast.Attribute)
        receiver = call.func.value
        if id(receiver) in reported or _assigned_only_from(mod, receiver, scope, reported):
            continue  # the loop's creation is reported already
        if info.is_async:
            problem = "raises RuntimeError: this event loop is already running"
            fix = "await the coroutine"
        else:
            problem = "runs a separate event loop in the worker thread"
            fix = "use async def + await, or anyio.from_thread.run"
        yield finding(call, FAD101, call=_label(call.func), where=where, problem=problem, fix=fix)


def _assigned_only_from(mod: ModuleInfo, expr: ast.expr, scope: Scope, calls: set[int]) -> bool:
    if not isinstance(expr, ast.Name) or not scope:
        return False
    values = mod.assignments.get(id(scope[-1]), {}).get(expr.id)
    return bool(values) and all(id(v) in calls for v in values or ())


# ----------------------------------------------------------------------------- FAD102


def _blocking_calls(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    mod = ctx.module
    project = ctx.project
    calls = own_calls(mod, info.node)
    if not calls:
        return
    scope = _scope(info)
    where = _where(ctx, info)
    awaited = own_awaited(mod, info.node)
    clients = _ClientNames(project, mod, info)
    for call in calls:
        if id(call) in awaited:
            continue
        direct = _direct_blocking(project, mod, call, scope, clients)
        if direct is not None:
            label, name = direct
            yield finding(call, FAD102, chain=label, where=where, fix=_fix_for(name, None))
            continue
        callee = _followable(project, mod, call, scope)
        if callee is None:
            continue
        chain = _blocking_chain(project, callee, MAX_HELPER_DEPTH)
        if chain is not None:
            first = _label(call.func)
            yield finding(
                call,
                FAD102,
                chain=" -> ".join((f"{first}()", *chain)),
                where=where,
                fix=_fix_for(None, first),
            )


def _fix_for(name: Optional[str], helper: Optional[str]) -> str:
    if helper is not None:
        return f"offload {helper}() with run_in_threadpool"
    if name == _SLEEP:
        return "use await asyncio.sleep()"
    if name in _HTTP_CALLS or name in _CLIENT_TYPES:
        return "use httpx.AsyncClient, or def"
    return "use def, or await run_in_threadpool(...)"


class _ClientNames:
    """Names in one function bound only to a sync HTTP client (requests.Session, httpx.Client)."""

    def __init__(self, project: Project, mod: ModuleInfo, info: FunctionInfo) -> None:
        self.project = project
        self.mod = mod
        self.info = info
        self._known: dict[str, Optional[str]] = {}
        self._with: Optional[dict[str, list[ast.expr]]] = None
        self._stored: set[str] = set()

    def client_type(self, name: str) -> Optional[str]:
        if name not in self._known:
            self._known[name] = self._compute(name)
        return self._known[name]

    def _with_bindings(self) -> dict[str, list[ast.expr]]:
        if self._with is None:
            self._with = {}
            for node in _body(self.mod, self.info.node):
                if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                    self._with.setdefault(node.optional_vars.id, []).append(node.context_expr)
                elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    self._stored.add(node.id)
        return self._with

    def _compute(self, name: str) -> Optional[str]:
        mod, info = self.mod, self.info
        scope = _scope(info)
        for param, _ in info.params:
            if param.arg == name:
                return self._type_of(param.annotation, scope, annotation=True)
        values = list(mod.assignments.get(id(info.node), {}).get(name, ()))
        values += self._with_bindings().get(name, [])
        if values or name in mod.assignments.get(id(info.node), {}) or name in self._stored:
            # every binding must make a client (a for-loop target, say, makes none we know)
            if name in self._stored and not values:
                return None
            return self._all_clients(values, scope)
        if _bound_locally(mod, name, info.parents):
            return None  # a closure variable: not followed
        module_values = mod.assignments.get(0, {}).get(name)
        if module_values and isinstance(mod.toplevel.get(name), ast.expr):
            return self._all_clients(list(module_values), ())
        return None

    def _all_clients(self, values: list[ast.expr], scope: Scope) -> Optional[str]:
        found: Optional[str] = None
        for value in values:
            kind = self._type_of(value, scope, annotation=not isinstance(value, ast.Call))
            if kind is None:
                return None
            found = kind
        return found

    def _type_of(self, expr: Optional[ast.expr], scope: Scope, annotation: bool) -> Optional[str]:
        if expr is None:
            return None
        if annotation:
            parts = annotated_parts(self.mod.imports, expr)
            if parts:
                expr = parts[0]
            name = _external(self.project, self.mod, expr, scope)
            return name if name in _CLIENT_TYPES else None
        if isinstance(expr, ast.Call):
            name = _external(self.project, self.mod, expr.func, scope)
            return name if name in _CLIENT_TYPES else None
        return None


def _direct_blocking(
    project: Project, mod: ModuleInfo, call: ast.Call, scope: Scope, clients: _ClientNames
) -> Optional[tuple[str, str]]:
    """(label, canonical name) when ``call`` itself blocks, else None."""
    func = call.func
    if _is_builtin(mod, func, "open", scope):
        return "open()", "builtins.open"
    name = _external(project, mod, func, scope)
    if name is not None:
        extra = project.options.blocking_calls
        if name in BLOCKING_CALLS or name in extra:
            return _with_name(func, name), name
    elif project.options.blocking_calls:
        qualified = mod.imports.qualified(func)
        if qualified is not None and qualified in project.options.blocking_calls:
            return _with_name(func, qualified), qualified
    if isinstance(func, ast.Attribute) and func.attr in _CLIENT_METHODS:
        receiver = func.value
        kind: Optional[str] = None
        if isinstance(receiver, ast.Name):
            kind = clients.client_type(receiver.id)
        elif isinstance(receiver, ast.Call):
            made = _external(project, mod, receiver.func, scope)
            kind = made if made in _CLIENT_TYPES else None
        if kind is not None:
            short = "requests.Session" if kind.startswith("requests.") else kind
            return f"{_label(func)}() ({short}.{func.attr})", kind
    return None


def _with_name(func: ast.expr, name: str) -> str:
    text = _label(func)
    return f"{text}()" if text == name else f"{text}() ({name})"


def _followable(project: Project, mod: ModuleInfo, call: ast.Call, scope: Scope) -> Optional[FuncSym]:
    """The sync project function ``call`` runs right away, if FAD102 may look inside it."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    sym = _symbol(project, mod, call.func, scope)
    if not isinstance(sym, FuncSym) or sym.info.is_async:
        return None
    return sym if _may_follow(sym) else None


def _may_follow(sym: FuncSym) -> bool:
    """Does calling ``sym`` run its body now, every time?  Cached per function."""
    table = sym.module.cache.setdefault("fad1_followable", {})
    assert isinstance(table, dict)
    known = table.get(id(sym.node))
    if known is None:
        known = table[id(sym.node)] = _runs_body_each_call(sym)
    return bool(known)


def _runs_body_each_call(sym: FuncSym) -> bool:
    node = sym.node
    for deco in node.decorator_list:
        # an unknown decorator may offload or cache the call
        if not (isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod")):
            return False
    memo: set[str] = set()
    tested: set[str] = set()
    for inner in _body(sym.module, node):
        if isinstance(inner, (ast.Yield, ast.YieldFrom)):
            return False  # calling a generator function runs none of its body
        if isinstance(inner, (ast.Global, ast.Nonlocal)):
            memo.update(inner.names)
        elif isinstance(inner, ast.If):
            tested.update(n.id for n in walk([inner.test]) if isinstance(n, ast.Name))
    # loads once into a global it checks first: a one-time cost, like lru_cache
    return not memo & tested


def _blocking_chain(project: Project, sym: FuncSym, budget: int) -> Optional[tuple[str, ...]]:
    """The shortest chain of calls from inside ``sym`` to a blocking call.

    ``budget`` is how many project functions the chain may pass through,
    ``sym`` included.  The answer depends only on (function, budget), so it is
    cached in the function's module; the budget also ends cycles.
    """
    cache = sym.module.cache.setdefault("fad102_chains", {})
    assert isinstance(cache, dict)
    key = (sym.info.key, budget)
    if key in cache:
        found: Optional[tuple[str, ...]] = cache[key]
        return found
    cache[key] = None
    mod = sym.module
    scope = _scope(sym.info)
    clients = _ClientNames(project, mod, sym.info)
    calls = [n for n in _body(sym.module, sym.node) if isinstance(n, ast.Call)]
    best: Optional[tuple[str, ...]] = None
    for call in calls:
        direct = _direct_blocking(project, mod, call, scope, clients)
        if direct is not None:
            best = (direct[0],)
            break
    if best is None and budget > 1:
        for call in calls:
            callee = _followable(project, mod, call, scope)
            if callee is None or callee.node is sym.node:
                continue
            sub = _blocking_chain(project, callee, budget - 1)
            if sub is not None and (best is None or len(sub) + 1 < len(best)):
                best = (f"{_label(call.func)}()", *sub)
                if len(best) == 2:
                    break
    cache[key] = best
    return best


# ----------------------------------------------------------------------------- FAD103


def _sync_sessions(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    project = ctx.project
    mod = ctx.module
    # a session comes from a parameter's annotation or its dependency: a
    # parameter with neither, or no parameter at all, needs no walk of the body
    params = {
        param.arg
        for param, default in info.params
        if param.annotation is not None or default is not None
    }
    if not params:
        return
    used = _blocking_uses(ctx, info)
    if not any(used.get(name, False) for name in params):
        return  # no parameter is queried here: no need to know their types
    for decl in project.signature(mod, info):
        if not used.get(decl.param.arg, False):
            continue
        session = _session_type(ctx, mod, decl.param.annotation, info.parents)
        source = ""
        if session is None and decl.target is not None:
            dep = project.resolve(decl.module, decl.target, decl.scope)
            if isinstance(dep, FuncSym):
                session = _provided_session(ctx, dep)
                if session is not None:
                    source = f" from {dotted(decl.target) or dep.info.name}"
        if session is None:
            continue
        yield finding(
            decl.param,
            FAD103,
            param=decl.param.arg,
            session=session,
            source=source,
            where=_where(ctx, info),
        )


def _session_type(
    ctx: FileContext, mod: ModuleInfo, expr: Optional[ast.expr], scope: Scope, depth: int = 0
) -> Optional[str]:
    """The sync session class ``expr`` (an annotation) names, as the user wrote it."""
    if expr is None or depth > 6:
        return None
    project = ctx.project
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        try:
            parsed = ast.parse(expr.value.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return None
        return _session_type(ctx, mod, parsed, scope, depth + 1)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        return _session_type(ctx, mod, expr.left, scope, depth + 1) or _session_type(
            ctx, mod, expr.right, scope, depth + 1
        )
    if isinstance(expr, ast.Subscript):
        parts = annotated_parts(mod.imports, expr)
        if parts:
            return _session_type(ctx, mod, parts[0], scope, depth + 1)
        if _external(project, mod, expr.value, scope) in _UNION_TYPES:
            inner = expr.slice
            members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            for member in members:
                found = _session_type(ctx, mod, member, scope, depth + 1)
                if found is not None:
                    return found
        return None
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return None
    name = _external(project, mod, expr, scope)
    if name is not None:
        if name in SYNC_SESSION_TYPES or name in ctx.options.sync_session_types:
            return _label(expr)
        return None
    sym = _symbol(project, mod, expr, scope)
    if isinstance(sym, ValueSym):  # a type alias
        return _session_type(ctx, sym.module, sym.value, (), depth + 1)
    if isinstance(sym, ClassSym):  # a project subclass of a sync session
        for base in project.class_bases(sym):
            if isinstance(base, ExternalSym) and (
                base.name in SYNC_SESSION_TYPES or base.name in ctx.options.sync_session_types
            ):
                return sym.node.name
    return None


def _provided_session(ctx: FileContext, dep: FuncSym) -> Optional[str]:
    """The sync session class a dependency returns or yields, by its annotation."""
    returns = dep.node.returns
    if returns is None:
        return None
    mod = dep.module
    scope = dep.info.parents
    if (
        isinstance(returns, ast.Subscript)
        and _external(ctx.project, mod, returns.value, scope) in _ITERATOR_TYPES
    ):
        inner = returns.slice
        returns = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
    return _session_type(ctx, mod, returns, scope)


def _blocking_uses(ctx: FileContext, info: FunctionInfo) -> dict[str, bool]:
    """Name -> does this function do I/O with it on the loop?

    I/O is a method call on it (``db.query(...)``, ``db.commit()``) or handing
    it to a function (``crud.list_items(db)``), which then queries.  Handing it
    to a thread (``run_in_threadpool(f, db)``, ``add_task(f, db)``), binding it
    (``partial``), wrapping it in an object (``Repo(db)``), returning or storing
    it is not.  A name that is ever awaited on (``await db.execute(...)``) is
    no sync session whatever its annotation says, so it maps to False.
    """
    mod = ctx.module
    project = ctx.project
    scope = _scope(info)
    used: dict[str, bool] = {}
    awaited_on: set[str] = set()
    for node in _body(mod, info.node):
        if isinstance(node, ast.Await):
            head = node.value.func if isinstance(node.value, ast.Call) else node.value
            name = _head(head)
            if name is not None:
                awaited_on.add(name)
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = _head(func)
            if receiver is not None:
                used[receiver] = True  # db.query(...), db.query(X).all()
        if not node.args and not node.keywords:
            continue
        if _hands_over(ctx, mod, node, scope):
            continue
        if isinstance(func, (ast.Name, ast.Attribute)):
            callee = _symbol(project, mod, func, scope)
            last = func.id if isinstance(func, ast.Name) else func.attr
            if isinstance(callee, ClassSym) or last[:1].isupper():
                continue  # Repo(db): a constructor stores it
        for arg in (*node.args, *(kw.value for kw in node.keywords)):
            if isinstance(arg, ast.Starred):
                arg = arg.value
            if isinstance(arg, ast.Name):
                used[arg.id] = True
    for name in awaited_on:
        used[name] = False
    return used


def _hands_over(ctx: FileContext, mod: ModuleInfo, call: ast.Call, scope: Scope) -> bool:
    """Does ``call`` pass its arguments on without using them on the loop?"""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("run_in_executor", "add_task"):
        return True
    name = _external(ctx.project, mod, func, scope)
    return name in _OFFLOADERS or name == _PARTIAL or name in _BACKGROUND_TASKS


# ----------------------------------------------------------------------------- FAD104


def _never_awaits(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    mod = ctx.module
    scope = _scope(info)
    may_block = False
    raised: set[int] = set()
    for node in _body(mod, info.node):
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return
        if isinstance(node, ast.comprehension) and node.is_async:
            return
        if isinstance(node, ast.Raise) and node.exc is not None:
            raised.add(id(node.exc))  # building the exception to raise
        elif isinstance(node, ast.Call) and not may_block and id(node) not in raised:
            may_block = not _harmless_call(mod, node, scope)
    if not may_block:
        return  # nothing here can block; on the loop it even saves a thread hop
    yield finding(info.node, FAD104, where=_where(ctx, info))


def _harmless_call(mod: ModuleInfo, call: ast.Call, scope: Scope) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Name)
        and func.id in _PURE_BUILTINS
        and _is_builtin(mod, func, func.id, scope)
    )


__all__ = ["BLOCKING_CALLS", "RULES", "SYNC_SESSION_TYPES", "check"]
