"""Known names of the lifecycle family (FAD203-FAD206): clients, pools, sessions, tasks."""

from __future__ import annotations

# Decorators that make a function build its result once (FAD203 stays quiet).
CACHING_DECORATORS = frozenset({"lru_cache", "cache", "cached", "alru_cache", "memoize", "once"})
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

# What a pooled constructor builds, as FAD203's message says it.
ENGINE = "builds an engine (a pool)"
FACTORY = "builds a session factory"
POOL = "opens a connection pool"
CLIENT = "opens a pooled client"
# FAD203: constructor -> what it builds.  Clients in CLOSABLE are fine when
# closed in the same function (``async with httpx.AsyncClient() as c``).
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
# The last components of POOLED's names (a cheap first test).
POOLED_TAILS = frozenset(n.rsplit(".", 1)[-1] for n in POOLED)
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

# FAD204: parameter types that are a live session or connection.
SESSION_TYPES = frozenset(
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
PLAIN_DATA_TYPES = frozenset(
    {
        "builtins.dict", "builtins.list", "builtins.str", "builtins.int", "builtins.float",
        "builtins.bool", "builtins.bytes", "builtins.tuple", "builtins.set",
        "typing.Dict", "typing.List", "typing.Tuple", "typing.Set", "uuid.UUID",
    }
)
# The builtin names among PLAIN_DATA_TYPES.
BUILTIN_TYPES = frozenset(t.rsplit(".", 1)[1] for t in PLAIN_DATA_TYPES if t.startswith("builtins."))
# The request's background task list (a parameter type).
BACKGROUND_TASKS = "fastapi.BackgroundTasks"
# One background task, built by hand.
BACKGROUND_TASK = frozenset({"fastapi.BackgroundTask", "starlette.background.BackgroundTask"})
# The last component of BACKGROUND_TASK's names.
BACKGROUND_TASK_TAILS = frozenset({"BackgroundTask"})
# The last component of BACKGROUND_TASKS.
TASKS_TAILS = frozenset({"BackgroundTasks"})
# Parameter types that are the request (``request.state.<client>`` holds clients).
REQUEST_TYPES = frozenset({"fastapi.Request", "fastapi.requests.HTTPConnection", "fastapi.WebSocket"})

# FAD206: parameter types that are a client of an external service.
CLIENT_TYPES = SESSION_TYPES | frozenset(POOLED) | frozenset(
    {
        "sqlalchemy.Engine",
        "sqlalchemy.engine.Engine",
        "sqlalchemy.ext.asyncio.AsyncEngine",
        "asyncpg.Pool",
        "asyncpg.pool.Pool",
        "redis.asyncio.client.Pipeline",
    }
)
# FAD206: methods of a client that reach the network.
SERVICE_METHODS = frozenset(
    {
        "ping", "connect", "execute", "executemany", "fetch", "fetchrow", "fetchval",
        "request", "send", "stream", "get", "post", "put", "patch", "delete", "head",
        "options", "scalar", "scalars", "find_one", "search",
    }
)
# Method calls on a client that hand out another client (a connection, a session).
ACQUIRE_METHODS = frozenset({"acquire", "connect", "begin", "session", "pipeline", "cursor"})
# FAD206: functions that reach the network themselves.
CONNECT_FUNCTIONS = frozenset(
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
# The last components of CONNECT_FUNCTIONS' names.
CONNECT_TAILS = frozenset(n.rsplit(".", 1)[-1] for n in CONNECT_FUNCTIONS)
