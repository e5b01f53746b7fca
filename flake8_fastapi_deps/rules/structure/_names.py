"""Known names the FAD3xx rules look for (the lead merges every family's lists into one catalogue)."""

from __future__ import annotations

from ...names import FASTAPI

# Words in a module's text that mean it may define a Pydantic model (FAD304 wants such files).
MODEL_WORDS = ("BaseModel", "SQLModel", "RootModel", "GenericModel")

# Classes whose instances are FastAPI applications (not routers).
APP_CLASSES = frozenset({FASTAPI, "cadwyn.Cadwyn"})

# Last names of calls that may create an app or router (before resolving them).
ROUTER_CALL_NAMES = frozenset({"FastAPI", "APIRouter"})

# Pydantic model base classes: a subclass is a schema.
PYDANTIC_BASES = frozenset(
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

# SQLModel's base: a schema, or an ORM model with ``table=True``.
SQLMODEL_BASES = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})

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

# Last names of pydantic/sqlmodel decorators whose methods are model plumbing, not logic.
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

# HTTP verbs of requests/httpx module functions that send a request.
HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")

# HTTP calls that send a request (making a client object sends nothing).
HTTP_CALLS = frozenset(
    {f"{package}.{verb}" for package in ("requests", "httpx") for verb in HTTP_VERBS}
    | {"urllib.request.urlopen", "urllib3.request", "aiohttp.request"}
)

# Database session classes (SQLAlchemy, SQLModel).
SESSION_TYPES = frozenset(
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

# Session methods that talk to the database.
SESSION_METHODS = frozenset(
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

# Open-file calls besides the builtin ``open``.
OPEN_CALLS = ("io.open", "os.open", "builtins.open")

# Callables that take the app but cannot add middleware to it.
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

# Builtins that take the app but cannot add middleware to it.
HARMLESS_BUILTINS = frozenset(
    {"print", "isinstance", "id", "repr", "str", "len", "type", "getattr", "hasattr", "vars"}
)

# Module prefixes of the ``HTTP_<code>_...`` status constants.
STATUS_MODULES = ("fastapi.status.", "starlette.status.")
