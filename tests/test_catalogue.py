"""The catalogue's subsets: the members each rule uses (pinned), and how subsets relate."""

from __future__ import annotations

from flake8_fastapi_deps import catalogue as c


def test_session_vocabulary_subsets() -> None:
    assert len(c.SYNC_SESSION_TYPES) == 6  # FAD103
    assert len(c.DB_SESSION_TYPES) == 7  # FAD304
    assert len(c.LIVE_RESOURCE_TYPES) == 17  # FAD204
    assert len(c.CONNECTION_TYPES) == 11
    assert c.SYNC_SESSION_TYPES - c.SCOPED_SESSIONS <= c.DB_SESSION_TYPES
    assert not c.SYNC_SESSION_TYPES & c.ASYNC_SESSION_TYPES
    assert c.ASYNC_SESSION_TYPES <= c.DB_SESSION_TYPES
    assert c.DB_SESSION_TYPES - c.LIVE_RESOURCE_TYPES == {"sqlmodel.orm.session.Session"}
    assert c.CONNECTION_TYPES <= c.LIVE_RESOURCE_TYPES
    assert c.CONNECTION_TYPES <= c.SERVICE_CLIENT_TYPES
    assert c.SERVICE_CLIENT_TYPES.isdisjoint(c.DB_SESSION_TYPES)  # FAD206: sessions are data access
    assert len(c.SERVICE_CLIENT_TYPES) == 47  # FAD206
    assert c.SESSION_FACTORIES <= set(c.POOLED)


def test_http_subsets() -> None:
    assert len(c.HTTP_VERBS) == 8 and c.STREAM not in c.HTTP_VERBS
    assert len(c.BLOCKING_HTTP_CALLS) == 27  # FAD102
    assert len(c.HTTP_REQUEST_CALLS) == 21  # FAD304
    assert len(c.SERVICE_HTTP_CALLS) == 16  # FAD206
    assert c.SERVICE_HTTP_CALLS <= c.BLOCKING_HTTP_CALLS
    assert c.SERVICE_HTTP_CALLS <= c.CONNECT_FUNCTIONS
    assert c.HTTP_REQUEST_CALLS - c.BLOCKING_HTTP_CALLS == {"requests.stream", "aiohttp.request"}
    assert c.BLOCKING_HTTP_CALLS - c.HTTP_REQUEST_CALLS == {f"requests.api.{v}" for v in c.HTTP_VERBS}
    assert c.BLOCKING_HTTP_CALLS <= c.BLOCKING_CALLS
    assert len(c.BLOCKING_CALLS) == 51
    assert c.SYNC_HTTP_CLIENT_METHODS == set(c.HTTP_VERBS) | {"send", "stream"}
    assert len(c.CONNECT_FUNCTIONS) == 26 and c.CONNECT_TAILS == c.name_tails(c.CONNECT_FUNCTIONS)


def test_decorator_subsets() -> None:
    assert c.CONTEXT_MANAGER_DECORATORS == {"contextlib.contextmanager", "contextlib.asynccontextmanager"}
    assert c.NOT_DEPENDENCY_DECORATORS == c.CONTEXT_MANAGER_DECORATORS | c.FIXTURE_DECORATORS
    assert c.CACHE_DECORATORS < c.TRANSPARENT_DECORATORS
    assert c.TRANSPARENT_DECORATORS - c.CACHE_DECORATORS == {"functools.wraps"}
    assert c.name_tails(c.CACHE_DECORATORS) <= c.CACHING_DECORATOR_TAILS
    assert len(c.CACHING_DECORATOR_TAILS) == 6


def test_model_bases() -> None:
    assert len(c.PYDANTIC_BASES) == 8
    assert len(c.FIELD_MODEL_BASES) == 6  # FAD010
    assert c.FIELD_MODEL_BASES == c.PYDANTIC_BASE_MODEL | c.SQLMODEL_BASES
    assert c.PYDANTIC_BASE_MODEL < c.PYDANTIC_BASES


def test_fastapi_objects_and_builtins() -> None:
    assert c.APP_CLASSES - c.HANDLER_HOST_CLASSES == {"cadwyn.Cadwyn"}
    assert c.BACKGROUND_TASK_TAILS == c.name_tails(c.BACKGROUND_TASK_TYPES)
    assert c.TASKS_TAILS == c.name_tails(frozenset({c.BACKGROUND_TASKS}))
    assert c.REQUEST in c.REQUEST_TYPES
    assert c.PLAIN_DATA_BUILTINS <= c.NON_CALLABLE_BUILTINS
    assert c.NON_CALLABLE_BUILTINS ^ c.UNCALLABLE_DEPENDENCY_BUILTINS == {"complex", "type", "range"}
    assert len(c.PARAM_MARKERS) == 21
    assert len(c.POOLED) == 30 and c.POOLED_TAILS == c.name_tails(c.POOLED)
    assert c.CLOSABLE <= set(c.POOLED) and set(c.SHARED_POOL_KEYWORDS) <= set(c.POOLED)
    assert len(c.NO_RETURN_CALLS) == 5 and len(c.NO_RETURN_TYPES) == 4
    assert len(c.RELEASE_NAMES) == 34 and len(c.LOG_METHODS) == 9
    assert len(c.PURE_BUILTINS) == 37


def test_session_openers_and_orm_loads() -> None:
    # FAD210's openers: session classes (sync and async, not the thread-local registry)
    assert c.SESSION_CLASSES == (c.SYNC_SESSION_TYPES - c.SCOPED_SESSIONS) | c.ASYNC_SESSION_TYPES
    assert c.SESSION_FACTORIES | c.SCOPED_SESSIONS < c.SESSION_MAKERS
    assert c.SYNC_DB_CONNECT.isdisjoint(c.ASYNC_DB_CONNECT)
    # FAD211: a count or a row is no ORM object
    assert "count" not in c.ORM_RESULT_METHODS and "first" in c.ORM_RESULT_METHODS
    assert c.ORM_RESULT_METHODS.isdisjoint(c.ORM_SCALAR_METHODS)


def test_per_request_clients() -> None:
    # FAD203 reports the pooled constructors and the SDK clients; FAD206's list is unchanged
    assert set(c.PER_REQUEST_POOLED) == set(c.POOLED) | set(c.SUPABASE_CLIENTS)
    assert set(c.SUPABASE_CLIENTS).isdisjoint(c.SERVICE_CLIENT_TYPES)
    assert c.PER_REQUEST_POOLED_TAILS == c.name_tails(c.PER_REQUEST_POOLED)
    # closable, yet one per application
    assert "aiohttp.ClientSession" in c.SHARE_PER_APP & c.CLOSABLE
    assert "httpx.AsyncClient" not in c.SHARE_PER_APP


def test_receiver_subsets() -> None:
    assert len(c.PATH_IO_METHODS) == 5 and c.PATH_TYPES <= c.RECEIVER_TYPES  # FAD102
    assert len(c.SHUTIL_BLOCKING) == 7 and not c.SHUTIL_BLOCKING & c.BLOCKING_CALLS
    assert c.SYNC_HTTP_CLIENT_TYPES <= c.RECEIVER_TYPES
    assert {c.BOTO3_CLIENT, c.BOTO3_RESOURCE} <= c.RECEIVER_TYPES
    assert set(c.FACTORY_METHODS.values()) <= c.RECEIVER_TYPES
    assert {t for t, _ in c.FACTORY_METHODS} == c.BOTO3_SESSIONS
    assert c.SLACK_WEB_CLIENTS | c.SLACK_BOLT_SYNC_HANDLERS <= c.RECEIVER_TYPES
    assert not any("async" in name.lower() for name in c.SLACK_BOLT_SYNC_HANDLERS)
    assert "asyncio.gather" in c.COROUTINE_RUNNERS and c.TASK_METHODS == {"create_task"}
