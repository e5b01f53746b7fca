"""Misused dependency declarations FastAPI cannot honour, FAD006-FAD013.

Each of these is a FastAPI failure no other linter reports: a startup error, a
422 on every request, a marker object injected where a value was expected, or a
dependency silently dropped.  All are on by default, so every check here stays
silent unless the failure is certain from the source.

One module per code; ``_common`` holds what several of them share.
"""

from __future__ import annotations

from . import (
    fad006_depends_without_dependency,
    fad007_dependencies_item_not_depends,
    fad008_conflicting_dependency_markers,
    fad009_depends_where_never_injected,
    fad010_depends_in_model_field,
    fad011_depends_lost_in_postponed_annotation,
    fad012_websocket_route_misuse,
    fad013_context_manager_dependency,
)

# the rule modules, in code order (the engine and the registry read this)
MODULES = (
    fad006_depends_without_dependency,
    fad007_dependencies_item_not_depends,
    fad008_conflicting_dependency_markers,
    fad009_depends_where_never_injected,
    fad010_depends_in_model_field,
    fad011_depends_lost_in_postponed_annotation,
    fad012_websocket_route_misuse,
    fad013_context_manager_dependency,
)

__all__ = ["MODULES"]
