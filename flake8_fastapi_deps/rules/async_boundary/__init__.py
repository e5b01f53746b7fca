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

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...base import Finding
from ...catalogue import BLOCKING_CALLS, SYNC_SESSION_TYPES
from . import (
    fad101_event_loop_in_request_code,
    fad102_blocking_call_in_async_request_code,
    fad103_sync_session_in_async_request_code,
    fad104_async_request_code_without_await,
)

if TYPE_CHECKING:
    from ...context import FileContext

MODULES = (
    fad101_event_loop_in_request_code,
    fad102_blocking_call_in_async_request_code,
    fad103_sync_session_in_async_request_code,
    fad104_async_request_code_without_await,
)
RULES = tuple(m.RULE for m in MODULES)


def check(ctx: FileContext) -> Iterator[Finding]:
    for module in MODULES:
        yield from module.check(ctx)


# BLOCKING_CALLS and SYNC_SESSION_TYPES: the old module's public names, kept importable here.
__all__ = ["BLOCKING_CALLS", "MODULES", "RULES", "SYNC_SESSION_TYPES", "check"]
