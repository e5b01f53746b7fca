"""Library names the sync/async boundary rules (FAD101-FAD104) know, one list each.

Canonical dotted names (as :meth:`Project.canonical` spells them), except where
a comment says otherwise.
"""

from __future__ import annotations

# Calls that run a coroutine on a loop of their own (FAD101).
LOOP_RUNNERS = frozenset({"asyncio.run", "asyncio.runners.run", "anyio.run"})
# Calls that make a new event loop (FAD101).
NEW_LOOP = frozenset({"asyncio.new_event_loop", "asyncio.events.new_event_loop"})
# Calls that fetch the thread's event loop, making one only where allowed (FAD101).
GET_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})
# Calls that fetch the running loop and raise without one (FAD101).
RUNNING_LOOP = frozenset({"asyncio.get_running_loop", "asyncio.events.get_running_loop"})
# Calls that install a loop for the thread, making a later GET_LOOP call work (FAD101).
SET_LOOP = frozenset({"asyncio.set_event_loop", "asyncio.events.set_event_loop"})

# Method and function names of the HTTP verbs sync HTTP libraries offer (bare names).
HTTP_VERBS = ("get", "options", "head", "post", "put", "patch", "delete", "request")
# Module-level sync HTTP request functions (FAD102; their fix is an async client).
HTTP_CALLS = frozenset(
    {f"requests.{v}" for v in HTTP_VERBS}
    | {f"requests.api.{v}" for v in HTTP_VERBS}
    | {f"httpx.{v}" for v in HTTP_VERBS}
    | {"httpx.stream", "urllib.request.urlopen", "urllib3.request"}
)
# The blocking sleep (FAD102; its fix is asyncio.sleep).
SLEEP = "time.sleep"
# Calls that block the calling thread (FAD102), beside the user's --fad-blocking-calls.
BLOCKING_CALLS = frozenset(
    HTTP_CALLS
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
# Sync HTTP client classes, whose CLIENT_METHODS calls block (FAD102).
CLIENT_TYPES = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client"}
)
# Methods of a CLIENT_TYPES instance that do network I/O (bare names; FAD102).
CLIENT_METHODS = frozenset(HTTP_VERBS) | {"send", "stream"}

# Sync database session classes (FAD103), beside the user's --fad-sync-session-types.
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
# Factories of sync sessions (no rule reads this list today).
SESSION_FACTORIES = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker"})
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
# Background task classes: they run the function after the response (FAD103).
BACKGROUND_TASKS = frozenset({"fastapi.BackgroundTask", "starlette.background.BackgroundTask"})

# Builtins that cannot block (bare names; FAD104 ignores calls to them).
PURE_BUILTINS = frozenset(
    {
        "len", "str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set",
        "frozenset", "isinstance", "issubclass", "getattr", "hasattr", "min", "max", "sum",
        "sorted", "reversed", "enumerate", "zip", "range", "any", "all", "abs", "round",
        "repr", "format", "type", "id", "hash", "iter", "next", "map", "filter", "super",
    }
)

__all__ = [
    "BACKGROUND_TASKS",
    "BLOCKING_CALLS",
    "CLIENT_METHODS",
    "CLIENT_TYPES",
    "GET_LOOP",
    "HTTP_CALLS",
    "HTTP_VERBS",
    "ITERATOR_TYPES",
    "LOOP_RUNNERS",
    "NEW_LOOP",
    "OFFLOADERS",
    "PARTIAL",
    "PURE_BUILTINS",
    "RUNNING_LOOP",
    "SESSION_FACTORIES",
    "SET_LOOP",
    "SLEEP",
    "SYNC_SESSION_TYPES",
    "UNION_TYPES",
]
