"""Lifecycle and resources, FAD201-FAD206: what a dependency opens, and who closes it.

FastAPI enters a ``yield`` dependency as a context manager: code before the
``yield`` runs before the route, the rest runs afterwards, and an exception the
route raises is thrown into the generator *at the* ``yield``.  So cleanup that
is not protected by ``try``/``finally`` or a ``with`` block is skipped on every
error (FAD201), and an ``except`` around the ``yield`` that does not raise again
swallows the route's error (FAD202).  Long-lived clients and pools built per
request (FAD203), request-scoped sessions handed to background tasks (FAD204),
background tasks that fail silently (FAD205) and dependencies that let a
connection error become a bare 500 (FAD206) complete the family, with ORM objects
of the request's session handed to background tasks (FAD211).

FAD201 and FAD202 query the yield-flow facts (:mod:`flake8_fastapi_deps.facts.yield_flow`).
"""

from __future__ import annotations

from . import (
    fad201_unprotected_yield_cleanup,
    fad202_yield_dependency_swallows_exception,
    fad203_pooled_resource_per_request,
    fad204_request_resource_in_background_task,
    fad205_unguarded_background_task,
    fad206_unguarded_service_call_in_dependency,
    fad211_orm_object_in_background_task,
)

# the rule modules, in code order (the engine and the registry read this)
MODULES = (
    fad201_unprotected_yield_cleanup,
    fad202_yield_dependency_swallows_exception,
    fad203_pooled_resource_per_request,
    fad204_request_resource_in_background_task,
    fad205_unguarded_background_task,
    fad206_unguarded_service_call_in_dependency,
    fad211_orm_object_in_background_task,
)

__all__ = ["MODULES"]
