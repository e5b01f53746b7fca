"""The library names the rules know: one vocabulary, named subsets for each question.

Canonical dotted names (as :meth:`Project.canonical` spells them) unless a
comment says "bare" (method names, last components).  Where two related
subsets differ, a one-line comment says why; ``tests/test_catalogue.py`` pins
the sets the rules use and the relations between them.
"""

from __future__ import annotations

from .names import APIROUTER, FASTAPI


def name_tails(names: frozenset[str] | dict[str, str]) -> frozenset[str]:
    """The last components of dotted names (a cheap first test before resolving)."""
    return frozenset(n.rsplit(".", 1)[-1] for n in names)


# ============================================================================ FastAPI objects

REQUEST = "fastapi.Request"
HTTP_EXCEPTION = "fastapi.HTTPException"
# The request's background task list (a parameter type; FAD012, FAD204-FAD205, FAD209).
BACKGROUND_TASKS = "fastapi.BackgroundTasks"
TASKS_TAILS = frozenset({"BackgroundTasks"})
# One background task, built by hand (FAD103, FAD204-FAD205).
BACKGROUND_TASK_TYPES = frozenset({"fastapi.BackgroundTask", "starlette.background.BackgroundTask"})
BACKGROUND_TASK_TAILS = frozenset({"BackgroundTask"})
# Parameter types that are the request (``request.app.state.<client>`` holds clients; FAD206).
REQUEST_TYPES = frozenset({REQUEST, "fastapi.requests.HTTPConnection", "fastapi.WebSocket"})
# FastAPI's parameter markers besides Depends/Security (FastAPI's view of an annotation).
PARAM_MARKERS = frozenset(
    f"{mod}.{name}"
    for mod in ("fastapi", "fastapi.params", "fastapi.param_functions")
    for name in ("Query", "Path", "Header", "Cookie", "Body", "Form", "File")
)
# Module prefixes of the ``HTTP_<code>_...`` status constants (FAD306).
STATUS_MODULES = ("fastapi.status.", "starlette.status.")

# Classes whose instances are FastAPI applications, not routers (FAD305).
APP_CLASSES = frozenset({FASTAPI, "cadwyn.Cadwyn"})
# Objects that register handlers (FAD009): routers and Starlette too, since FAD009 asks
# "who calls this function", while APP_CLASSES asks "which object can get middleware".
HANDLER_HOST_CLASSES = frozenset(
    {FASTAPI, APIROUTER, "starlette.applications.Starlette", "starlette.routing.Router"}
)
# Controller libraries whose decorators make a method of a class a route
# (``from classy_fastapi import get``; ``from fastapi_controllers import get``):
# a decorator whose canonical name is one of these packages' route verbs, on a method.
CLASS_ROUTE_PACKAGES = frozenset({"classy_fastapi", "fastapi_controllers"})
# (bare) the verbs of those decorators; ``websocket`` makes a WebSocket route
CLASS_ROUTE_VERBS = frozenset(
    {"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket"}
)
# Last names of calls that may create an app or router (before resolving them).
ROUTER_CALL_NAMES = frozenset({"FastAPI", "APIRouter"})
MIDDLEWARE_CLASSES = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
STARLETTE_ROUTES = frozenset({"starlette.routing.Route", "starlette.routing.WebSocketRoute"})
BASE_HTTP_MIDDLEWARE = frozenset(
    {"starlette.middleware.base.BaseHTTPMiddleware", "fastapi.middleware.base.BaseHTTPMiddleware"}
)
# Callables that take the app but cannot add middleware to it (FAD305).
HARMLESS_APP_CALLS = frozenset(
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

# ============================================================================ decorators

# Decorators that make a generator a context-manager factory -> how messages name them.
CONTEXT_MANAGERS = {
    "contextlib.contextmanager": "contextmanager",
    "contextlib.asynccontextmanager": "asynccontextmanager",
}
CONTEXT_MANAGER_DECORATORS = frozenset(CONTEXT_MANAGERS)
FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})
# Generators FastAPI never drives as dependencies: context managers and fixtures.
NOT_DEPENDENCY_DECORATORS = CONTEXT_MANAGER_DECORATORS | FIXTURE_DECORATORS
# functools caches: the function still runs as written on a cache miss (FAD001).
CACHE_DECORATORS = frozenset({"functools.lru_cache", "functools.cache"})
# Decorators that surely leave a function a plain function (FAD007, FAD009); FAD001 uses
# CACHE_DECORATORS alone: a ``@wraps(f)`` function's return value is the wrapper's, not f's.
TRANSPARENT_DECORATORS = CACHE_DECORATORS | {"functools.wraps"}
# Bare last names of decorators that make a function build its result once (FAD203).
CACHING_DECORATOR_TAILS = frozenset({"lru_cache", "cache", "cached", "alru_cache", "memoize", "once"})

# ============================================================================ builtins

# Bare builtin names of classes whose instances are never callable (FAD001).
NON_CALLABLE_BUILTINS = frozenset(
    {"str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset",
     "complex", "bytearray"}
)
# Bare builtin classes FastAPI cannot call as Depends(cls) (FAD006): no signature or no
# keywords; unlike NON_CALLABLE_BUILTINS this is about the class, so type/range count.
UNCALLABLE_DEPENDENCY_BUILTINS = frozenset(
    {"str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset",
     "bytearray", "type", "range"}
)
# typing aliases of builtin containers, not classes FastAPI can call (FAD006).
TYPING_GENERICS = frozenset(
    {"typing.List", "typing.Dict", "typing.Set", "typing.FrozenSet", "typing.Tuple"}
)
# Bare builtins that cannot block (FAD104 ignores calls to them).
PURE_BUILTINS = frozenset(
    {
        "len", "str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set",
        "frozenset", "isinstance", "issubclass", "getattr", "hasattr", "min", "max", "sum",
        "sorted", "reversed", "enumerate", "zip", "range", "any", "all", "abs", "round",
        "repr", "format", "type", "id", "hash", "iter", "next", "map", "filter", "super",
    }
)
# Bare builtins that take the app but cannot add middleware to it (FAD305).
HARMLESS_BUILTINS = frozenset(
    {"print", "isinstance", "id", "repr", "str", "len", "type", "getattr", "hasattr", "vars"}
)
# Bare builtins / dunders that advance an iterator by hand (FAD210).
BUILTIN_NEXT = frozenset({"next", "anext"})
DUNDER_NEXT = frozenset({"__next__", "__anext__"})
# Modules (and their Annotated) a module must import to write ``Annotated`` (FAD008).
ANNOTATED_SOURCES = frozenset(
    {"typing", "typing_extensions", "typing.Annotated", "typing_extensions.Annotated"}
)

# ============================================================================ typing

# Iterator/generator annotations a yielding dependency's return type may wrap (FAD103).
ITERATOR_TYPES = frozenset(
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
# Optional[...] / Union[...] annotations whose members are searched for a session (FAD103).
UNION_TYPES = frozenset({"typing.Optional", "typing.Union", "typing_extensions.Optional"})
# Return annotations of a function that never returns.
NO_RETURN_TYPES = frozenset(
    {"typing.NoReturn", "typing.Never", "typing_extensions.NoReturn", "typing_extensions.Never"}
)
# Calls that never return.
NO_RETURN_CALLS = frozenset({"sys.exit", "os._exit", "os.abort", "pytest.fail", "pytest.skip"})
# Bare method names of logging calls: known to return (a branch ending in one falls through).
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"}
)
# Bare handler types that catch whatever a route may raise (FAD201, FAD202).
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})
# Handlers for these never see an exception raised by the route (FAD202).
NOT_ROUTE_ERRORS = frozenset(
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
# Bare call names that release a resource: what FAD201 calls cleanup.  Other code after a
# yield (logging, bookkeeping, success-only side effects) is taken as deliberate.
RELEASE_NAMES = frozenset(
    {
        "close", "aclose", "close_all", "closeall", "release", "dispose", "commit",
        "rollback", "shutdown", "disconnect", "terminate", "cleanup", "clean_up",
        "teardown", "tear_down", "stop", "reset", "unlock", "unlink", "remove",
        "rmtree", "kill", "cancel", "detach", "free", "putconn", "exit", "aexit",
        "exit__", "aexit__", "end", "finish", "expunge_all", "invalidate",
    }
)
# Annotations that say "plain data" whatever a dependency yields (FAD204).
PLAIN_DATA_TYPES = frozenset(
    {
        "builtins.dict", "builtins.list", "builtins.str", "builtins.int", "builtins.float",
        "builtins.bool", "builtins.bytes", "builtins.tuple", "builtins.set",
        "typing.Dict", "typing.List", "typing.Tuple", "typing.Set", "uuid.UUID",
    }
)
# The bare builtin names among PLAIN_DATA_TYPES.
PLAIN_DATA_BUILTINS = frozenset(
    t.rsplit(".", 1)[1] for t in PLAIN_DATA_TYPES if t.startswith("builtins.")
)

# ============================================================================ models

# Words in a module's text that mean it may define a Pydantic model (FAD304 wants such files).
MODEL_WORDS = ("BaseModel", "SQLModel", "RootModel", "GenericModel")
PYDANTIC_BASE_MODEL = frozenset(
    {"pydantic.BaseModel", "pydantic.main.BaseModel", "pydantic.v1.BaseModel",
     "pydantic.v1.main.BaseModel"}
)
# Pydantic model base classes: a subclass is a schema (FAD304).
PYDANTIC_BASES = PYDANTIC_BASE_MODEL | {
    "pydantic.RootModel",
    "pydantic.root_model.RootModel",
    "pydantic.generics.GenericModel",
    "pydantic.v1.generics.GenericModel",
}
# SQLModel's base: a schema, or an ORM model with ``table=True``.
SQLMODEL_BASES = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
# Classes whose fields FastAPI never injects into (FAD010); narrower than PYDANTIC_BASES as
# today: RootModel/GenericModel subclasses are not recognised there.
FIELD_MODEL_BASES = PYDANTIC_BASE_MODEL | SQLMODEL_BASES
# SQLAlchemy declarative base classes: their mapped subclasses are ORM models.
DECLARATIVE_BASES = frozenset(
    {
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.DeclarativeBaseNoMeta",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
        "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta",
    }
)
# Calls that make a declarative base (``Base = declarative_base()``).
DECLARATIVE_FACTORIES = frozenset(
    {
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
        "sqlalchemy.ext.declarative.api.declarative_base",
        "flask_sqlalchemy.SQLAlchemy",
    }
)
# Bare last names of pydantic/sqlmodel decorators whose methods are model plumbing, not logic.
MODEL_HELPER_DECORATORS = frozenset(
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
# Decorators (besides ``property``) that make a method a property.
PROPERTY_DECORATORS = frozenset({"functools.cached_property", "abc.abstractproperty"})
# Method-name prefixes of pydantic hooks (not business logic).
HOOK_PREFIXES = ("model_", "__get_pydantic", "__pydantic", "__get_validators__", "__modify_schema__")

# ============================================================================ event loops (FAD101)

# Calls that run a coroutine on a loop of their own.
LOOP_RUNNERS = frozenset({"asyncio.run", "asyncio.runners.run", "anyio.run"})
# Calls that make a new event loop.
NEW_LOOP = frozenset({"asyncio.new_event_loop", "asyncio.events.new_event_loop"})
# Calls that fetch the thread's event loop, making one only where allowed.
GET_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})
# Calls that fetch the running loop and raise without one.
RUNNING_LOOP = frozenset({"asyncio.get_running_loop", "asyncio.events.get_running_loop"})
# Calls that need the running event loop (or the thread's loop, which an AnyIO
# worker thread has not): made from a plain ``def`` route or dependency, which
# FastAPI runs in a worker thread, each raises RuntimeError (checked on CPython
# 3.10-3.13 and AnyIO 4 in tests/test_running_loop.py). FAD104 never advises
# ``def`` for a body making one. Not here: asyncio.Event/Lock/Queue/Semaphore/
# Condition (bound to a loop lazily since 3.10), anyio.Event/Lock/Semaphore,
# asyncio.sleep/wait_for (a coroutine, awaited or useless).
NEEDS_RUNNING_LOOP = RUNNING_LOOP | GET_LOOP | frozenset(
    {
        "asyncio.all_tasks",
        "asyncio.tasks.all_tasks",
        "asyncio.current_task",
        "asyncio.tasks.current_task",
        "asyncio.create_task",
        "asyncio.tasks.create_task",
        "asyncio.ensure_future",
        "asyncio.tasks.ensure_future",
        "asyncio.Future",
        "asyncio.futures.Future",
        "asyncio.gather",
        "asyncio.tasks.gather",
        "asyncio.shield",
        "asyncio.tasks.shield",
        "asyncio.as_completed",
        "asyncio.tasks.as_completed",
        "asyncio.timeout",
        "asyncio.timeouts.timeout",
        "anyio.get_current_task",
        "anyio.get_running_tasks",
        "anyio.create_task_group",
        "anyio.current_time",
        "anyio.CancelScope",
        "anyio.move_on_after",
        "anyio.lowlevel.current_token",
    }
)
# Event loop methods that are not thread-safe: called from another thread on a
# loop in debug mode they raise RuntimeError, else they corrupt it (FAD104).
LOOP_METHODS = frozenset({"create_task", "call_soon", "call_later", "call_at"})
# Calls that install a loop for the thread, making a later GET_LOOP call work.
SET_LOOP = frozenset({"asyncio.set_event_loop", "asyncio.events.set_event_loop"})
# Calls that hand a function to a thread instead of calling it on the loop (FAD103).
OFFLOADERS = frozenset(
    {
        "starlette.concurrency.run_in_threadpool",
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "asyncer.asyncify",
    }
)
# functools.partial: binds its arguments without calling anything (FAD103).
PARTIAL = "functools.partial"

# ============================================================================ HTTP

# Bare HTTP verbs that requests and httpx offer both as module functions and client methods.
HTTP_VERBS = ("get", "options", "head", "post", "put", "patch", "delete", "request")
# httpx's streaming request (a function and a client method; requests has none).
STREAM = "stream"
# Module-level sync HTTP request functions (FAD102; their fix is an async client): FAD102
# adds requests.api.* and httpx.stream alone, no requests.stream (which does not exist).
BLOCKING_HTTP_CALLS = frozenset(
    {f"requests.{v}" for v in HTTP_VERBS}
    | {f"requests.api.{v}" for v in HTTP_VERBS}
    | {f"httpx.{v}" for v in HTTP_VERBS}
    | {f"httpx.{STREAM}", "urllib.request.urlopen", "urllib3.request"}
)
# HTTP calls that send a request (FAD304): async ones too (aiohttp.request), since any I/O
# in a model is logic; spelled with STREAM for both packages, as today.
HTTP_REQUEST_CALLS = frozenset(
    {f"{package}.{verb}" for package in ("requests", "httpx") for verb in (*HTTP_VERBS, STREAM)}
    | {"urllib.request.urlopen", "urllib3.request", "aiohttp.request"}
)
# HTTP functions that reach a service (FAD206): without "options" and urllib3, as today.
SERVICE_HTTP_CALLS = frozenset(
    {f"httpx.{v}" for v in HTTP_VERBS if v != "options"}
    | {f"httpx.{STREAM}"}
    | {f"requests.{v}" for v in HTTP_VERBS if v != "options"}
    | {"urllib.request.urlopen"}
)
# Sync HTTP client classes, whose SYNC_HTTP_CLIENT_METHODS calls block (FAD102).
SYNC_HTTP_CLIENT_TYPES = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client"}
)
# Bare methods of a SYNC_HTTP_CLIENT_TYPES instance that do network I/O (FAD102).
SYNC_HTTP_CLIENT_METHODS = frozenset(HTTP_VERBS) | {"send", STREAM}

# ============================================================================ blocking calls (FAD102)

# The blocking sleep (its fix is asyncio.sleep).
SLEEP = "time.sleep"
# Open-file calls besides the builtin ``open`` (FAD304).
OPEN_CALLS = ("io.open", "os.open", "builtins.open")
# Sync DB-API ``connect`` functions.
SYNC_DB_CONNECT = frozenset(
    {
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
# Calls that block the calling thread, beside the user's --fad-blocking-calls (FAD102);
# os.open is left out (a cheap syscall, unlike FAD304's "file I/O in a model").
BLOCKING_CALLS = frozenset(
    BLOCKING_HTTP_CALLS
    | SYNC_DB_CONNECT
    | {
        SLEEP,
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
    }
)

# ============================================================================ sessions and connections

# SQLAlchemy's and SQLModel's plain session classes.
SQLALCHEMY_SESSION = frozenset({"sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session"})
SQLMODEL_SESSION = frozenset({"sqlmodel.Session", "sqlmodel.orm.session.Session"})
# Thread-local session registries (they proxy a sync Session's methods).
SCOPED_SESSIONS = frozenset({"sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session"})
ASYNC_SESSION_TYPES = frozenset(
    {
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
# Sync database sessions (FAD103, beside --fad-sync-session-types): only sync ones block the
# loop, so FAD103 leaves async sessions and connections alone.
SYNC_SESSION_TYPES = SQLALCHEMY_SESSION | SQLMODEL_SESSION | SCOPED_SESSIONS
# Database session classes (FAD304, whose DB_SESSION_METHODS calls are I/O in a model);
# without SCOPED_SESSIONS as today (a registry is a module global, not a method's parameter).
DB_SESSION_TYPES = SQLALCHEMY_SESSION | SQLMODEL_SESSION | ASYNC_SESSION_TYPES
# Live database connections (DB-API and SQLAlchemy).
CONNECTION_TYPES = frozenset(
    {
        "sqlalchemy.Connection",
        "sqlalchemy.engine.Connection",
        "sqlalchemy.engine.base.Connection",
        "sqlalchemy.ext.asyncio.AsyncConnection",
        "sqlalchemy.ext.asyncio.engine.AsyncConnection",
        "asyncpg.Connection",
        "asyncpg.connection.Connection",
        "psycopg.Connection",
        "psycopg.AsyncConnection",
        "psycopg2.extensions.connection",
        "aiosqlite.Connection",
    }
)
# Request-scoped live resources (FAD204): sessions *and* connections, since both are closed
# when the yield dependency exits, before a background task runs; without the internal
# spelling sqlmodel.orm.session.Session, as today (sqlmodel.Session is the public one).
LIVE_RESOURCE_TYPES = (DB_SESSION_TYPES - {"sqlmodel.orm.session.Session"}) | CONNECTION_TYPES
# Bare session methods that talk to the database (FAD304).
DB_SESSION_METHODS = frozenset(
    {
        "execute", "exec", "scalar", "scalars", "query", "get", "add", "add_all", "delete",
        "merge", "flush", "commit", "rollback", "refresh",
    }
)
# Factories of sync sessions (no rule reads this list today; POOLED has them too).
SESSION_FACTORIES = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker"})

# ============================================================================ pooled clients (FAD203, FAD206)

# What a pooled constructor builds, as FAD203's message says it.
ENGINE = "builds an engine (a pool)"
FACTORY = "builds a session factory"
POOL = "opens a connection pool"
CLIENT = "opens a pooled client"
# Constructor -> what it builds.
POOLED: dict[str, str] = {
    "sqlalchemy.create_engine": ENGINE,
    "sqlalchemy.engine.create_engine": ENGINE,
    "sqlmodel.create_engine": ENGINE,
    "sqlalchemy.ext.asyncio.create_async_engine": ENGINE,
    "sqlalchemy.ext.asyncio.engine.create_async_engine": ENGINE,
    "sqlalchemy.orm.sessionmaker": FACTORY,
    "sqlalchemy.orm.session.sessionmaker": FACTORY,
    "sqlalchemy.ext.asyncio.async_sessionmaker": FACTORY,
    "sqlalchemy.ext.asyncio.session.async_sessionmaker": FACTORY,
    "redis.Redis": POOL,
    "redis.StrictRedis": POOL,
    "redis.client.Redis": POOL,
    "redis.from_url": POOL,
    "redis.ConnectionPool": POOL,
    "redis.asyncio.Redis": POOL,
    "redis.asyncio.StrictRedis": POOL,
    "redis.asyncio.client.Redis": POOL,
    "redis.asyncio.from_url": POOL,
    "redis.asyncio.ConnectionPool": POOL,
    "pymongo.MongoClient": POOL,
    "motor.motor_asyncio.AsyncIOMotorClient": POOL,
    "aiohttp.ClientSession": CLIENT,
    "httpx.Client": CLIENT,
    "httpx.AsyncClient": CLIENT,
    "boto3.client": CLIENT,
    "boto3.resource": CLIENT,
    "boto3.Session": CLIENT,
    "boto3.session.Session": CLIENT,
    "elasticsearch.Elasticsearch": POOL,
    "elasticsearch.AsyncElasticsearch": POOL,
}
POOLED_TAILS = name_tails(POOLED)
# Pooled clients that are fine when closed in the function that builds them.
CLOSABLE = frozenset({"aiohttp.ClientSession", "httpx.Client", "httpx.AsyncClient"})
# A client over a shared pool is cheap: ``Redis(connection_pool=pool)``,
# ``httpx.AsyncClient(transport=shared)``, ``aiohttp.ClientSession(connector=shared)``.
SHARED_POOL_KEYWORDS: dict[str, str] = {
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
# Parameter types that are a client of an external service (FAD206). Not ORM
# sessions (DB_SESSION_TYPES): their queries are the app's data access, which an
# app-wide exception handler turns into a 503 when the database is down; on the
# corpus every session finding of FAD206 (11 of 11) was one nobody would wrap.
SERVICE_CLIENT_TYPES = (LIVE_RESOURCE_TYPES - DB_SESSION_TYPES) | frozenset(POOLED) | frozenset(
    {
        "sqlalchemy.Engine",
        "sqlalchemy.engine.Engine",
        "sqlalchemy.ext.asyncio.AsyncEngine",
        "asyncpg.Pool",
        "asyncpg.pool.Pool",
        "redis.asyncio.client.Pipeline",
    }
)
# Bare methods of a client that reach the network (FAD206).
SERVICE_METHODS = frozenset(
    {
        "ping", "connect", "execute", "executemany", "fetch", "fetchrow", "fetchval",
        "request", "send", "stream", "get", "post", "put", "patch", "delete", "head",
        "options", "scalar", "scalars", "find_one", "search",
    }
)
# Bare method calls on a client that hand out another client (a connection, a session).
ACQUIRE_METHODS = frozenset({"acquire", "connect", "begin", "session", "pipeline", "cursor"})
# Functions that reach the network themselves (FAD206); a narrower DB list than
# SYNC_DB_CONNECT (FAD206 adds async drivers; sqlite is local), as today.
CONNECT_FUNCTIONS = SERVICE_HTTP_CALLS | frozenset(
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
    }
)
CONNECT_TAILS = name_tails(CONNECT_FUNCTIONS)

# ======================================================================== opened sessions (FAD210, FAD211)

# Session classes whose call opens a session (FAD210's "yields a session it opened"): the sync
# and async ones alike, since a generator opening either is a yield dependency by shape.
SESSION_CLASSES = SYNC_SESSION_TYPES - SCOPED_SESSIONS | ASYNC_SESSION_TYPES
# Session factories made once at module level; calling one opens a session (``SessionLocal()``);
# wider than SESSION_FACTORIES (no rule reads that one) by the async and thread-local kinds.
SESSION_MAKERS = SESSION_FACTORIES | SCOPED_SESSIONS | frozenset(
    {"sqlalchemy.ext.asyncio.async_sessionmaker", "sqlalchemy.ext.asyncio.session.async_sessionmaker"}
)
# Async drivers' connect functions (SYNC_DB_CONNECT's counterpart; FAD210's openers).
ASYNC_DB_CONNECT = frozenset(
    {"asyncpg.connect", "aiosqlite.connect", "aiomysql.connect", "psycopg.AsyncConnection.connect"}
)
# Methods of a module-level engine or pool that hand out a connection (FAD210's openers).
CONNECTION_OPENER_METHODS = frozenset({"connect", "begin", "acquire"})
# Session methods that load ORM objects by themselves (FAD211): ``db.get(User, 1)``.
ORM_GET_METHODS = frozenset({"get", "get_one"})
# Result methods that hand out loaded objects (FAD211), not counts or rows of columns:
# ``.first()``/``.one()``/``.one_or_none()`` one object, ``.all()`` a list of them (each is
# expunged by the session's close just the same).
ORM_RESULT_METHODS = frozenset({"first", "one", "one_or_none", "all"})
# Result methods of ``session.execute(select(Model))`` that unwrap the object from its row.
ORM_SCALAR_METHODS = frozenset({"scalar_one", "scalar_one_or_none", "scalar"})
# ``select`` constructors whose single-entity statement loads ORM objects through a session.
SELECT_FUNCTIONS = frozenset(
    {
        "sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.expression.select",
        "sqlmodel.select", "sqlmodel.sql.expression.select",
    }
)

# ============================================================================ per-request clients (FAD203)

# Supabase's client factories and client class: each builds its own HTTP clients (PostgREST,
# auth, storage, functions) and an auth session with a token-refresh timer, so one per
# request opens new connections every time. FAD203 only (not FAD206's service clients, as today).
SUPABASE_CLIENTS: dict[str, str] = {
    "supabase.create_client": CLIENT,
    "supabase.acreate_client": CLIENT,
    "supabase.Client": CLIENT,
    "supabase.AsyncClient": CLIENT,
    "supabase.client.create_client": CLIENT,
}
# What FAD203 reports: every pooled constructor and the SDK clients above.
PER_REQUEST_POOLED: dict[str, str] = {**POOLED, **SUPABASE_CLIENTS}
PER_REQUEST_POOLED_TAILS = name_tails(PER_REQUEST_POOLED)
# Closable clients that are meant to be shared per application all the same, so closing
# one per request (``async with aiohttp.ClientSession()``) does not excuse it: aiohttp's
# client docs say "Don't create a session per request", its connector pools connections
# (keep-alive) across requests. httpx documents a short-lived ``async with`` client as fine.
SHARE_PER_APP = frozenset({"aiohttp.ClientSession", "aiohttp.client.ClientSession"})

# ============================================================================ module-level sessions (FAD103)

# A library's module-level proxy whose ``.session`` is a sync SQLAlchemy session bound to the
# request by middleware (fastapi-sqlalchemy's ``db``): ``db.session.query(...)`` blocks the loop.
MODULE_SESSION_PROXIES = frozenset({"fastapi_sqlalchemy.db", "fastapi_sqlalchemy.middleware.db"})
# ============================================================================ receivers (FAD102)

# pathlib's path classes: a receiver known to be one of these reads or writes files with
# PATH_IO_METHODS (FAD102); PurePath is left out (it cannot touch the file system).
PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"})
# Bare Path methods that read or write a whole file (FAD102); exists()/stat()/mkdir() are
# single cheap syscalls, like os.open, and are left out.
PATH_IO_METHODS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes"})
# Bare Path methods and attributes that give another path (the receiver stays a Path).
PATH_DERIVING = frozenset(
    {"parent", "resolve", "absolute", "with_name", "with_suffix", "with_stem", "joinpath",
     "expanduser", "home", "cwd"}
)
# shutil's copies and removals: whole-tree or whole-file I/O on the calling thread (FAD102).
SHUTIL_BLOCKING = frozenset(
    {"shutil.copyfileobj", "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree",
     "shutil.rmtree", "shutil.move"}
)
# Calls that make a boto3 low-level client; every API method of one is a sync HTTP request.
BOTO3_CLIENT = "boto3.client"
# Calls that make a boto3 resource; its lowercase methods are actions (sync HTTP requests),
# its capitalised ones build sub-resources lazily (no request), which are resources too.
BOTO3_RESOURCE = "boto3.resource"
BOTO3_SESSIONS = frozenset({"boto3.Session", "boto3.session.Session"})
# (receiver type, bare method) -> the type of what that method returns (receivers).
FACTORY_METHODS: dict[tuple[str, str], str] = {
    **{(s, "client"): BOTO3_CLIENT for s in BOTO3_SESSIONS},
    **{(s, "resource"): BOTO3_RESOURCE for s in BOTO3_SESSIONS},
}
# Bare methods of a boto3 client or resource that make no request (signing, paginators).
BOTO3_LOCAL_METHODS = frozenset(
    {"generate_presigned_url", "generate_presigned_post", "get_paginator", "get_waiter",
     "can_paginate", "close", "get_available_subresources"}
)
# slack_sdk's sync Web API client: each public method is a sync HTTP request (its async
# twin, slack_sdk.web.async_client.AsyncWebClient, is not listed).
SLACK_WEB_CLIENTS = frozenset(
    {"slack_sdk.WebClient", "slack_sdk.web.WebClient", "slack_sdk.web.client.WebClient"}
)
# Slack Bolt's sync FastAPI/Starlette adapter: its ``async def handle`` runs the sync
# App.dispatch (middleware, authorize, listeners' ack) on the loop, so even
# ``await handler.handle(req)`` blocks; the async one lives in ``...async_handler``.
SLACK_BOLT_SYNC_HANDLERS = frozenset(
    {
        "slack_bolt.adapter.fastapi.SlackRequestHandler",
        "slack_bolt.adapter.starlette.SlackRequestHandler",
        "slack_bolt.adapter.starlette.handler.SlackRequestHandler",
    }
)
# Library types and factories a receiver can be known as (facts/receivers.py).
RECEIVER_TYPES = (
    SYNC_HTTP_CLIENT_TYPES | PATH_TYPES | BOTO3_SESSIONS | SLACK_WEB_CLIENTS
    | SLACK_BOLT_SYNC_HANDLERS | {BOTO3_CLIENT, BOTO3_RESOURCE, "httpx.AsyncClient"}
)
# Calls that run the coroutines passed to them on the loop (FAD102 follows those
# coroutines); ``create_task`` on any receiver (a TaskGroup, a loop) counts too.
COROUTINE_RUNNERS = frozenset(
    {
        "asyncio.gather",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.wait_for",
        "asyncio.shield",
        "asyncio.tasks.gather",
        "asyncio.tasks.create_task",
        "asyncio.tasks.ensure_future",
        "asyncio.tasks.wait_for",
    }
)
TASK_METHODS = frozenset({"create_task"})
