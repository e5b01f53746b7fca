"""Sync/async boundary, FAD101-FAD104: request code that fights the event loop.

FastAPI awaits ``async def`` routes and dependencies on the event loop and runs
plain ``def`` ones in a worker thread (AnyIO's threadpool).  These rules look
only at request code (routes and dependencies, wherever in the project they are
declared) and only at each function's own body: a nested ``def`` or ``lambda``
is not run by FastAPI, and a function passed to ``run_in_threadpool`` is not
called on the loop.

One module per code; the names they know are in :mod:`...catalogue`, the name
resolution they share in :mod:`._common`.
"""

from __future__ import annotations

from . import (
    fad101_event_loop_in_request_code,
    fad102_blocking_call_in_async_request_code,
    fad103_sync_session_in_async_request_code,
    fad104_async_request_code_without_await,
)

# the rule modules, in code order (the engine and the registry read this)
MODULES = (
    fad101_event_loop_in_request_code,
    fad102_blocking_call_in_async_request_code,
    fad103_sync_session_in_async_request_code,
    fad104_async_request_code_without_await,
)

__all__ = ["MODULES"]
