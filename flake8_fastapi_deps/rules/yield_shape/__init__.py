"""Yield dependencies, FAD207-FAD210: shape, work after the ``yield``, hand-driving.

FastAPI runs a generator dependency as a context manager: the code before its
one ``yield`` runs before the route, the code after it at exit.  For a
request-scoped dependency (the default) "exit" is after the response has been
sent (FastAPI <= 0.105 and >= 0.118).  So the generator must yield exactly once
(FAD207), and what it does after the ``yield`` can no longer change the
response (FAD208) or schedule background work (FAD209).  Driving such a
generator by hand outside FastAPI skips that protocol (FAD210).

FAD207-FAD209 query the path analysis of the yield-flow facts
(:mod:`flake8_fastapi_deps.facts.yield_flow`).
"""

from __future__ import annotations

from . import (
    fad207_malformed_yield_dependency,
    fad208_http_exception_after_yield,
    fad209_background_task_after_yield,
    fad210_hand_driven_yield_dependency,
)

# the rule modules, in code order (the engine and the registry read this)
MODULES = (
    fad207_malformed_yield_dependency,
    fad208_http_exception_after_yield,
    fad209_background_task_after_yield,
    fad210_hand_driven_yield_dependency,
)

__all__ = ["MODULES"]
