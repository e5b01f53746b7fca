"""Design and structure, FAD301-FAD308: how the application is put together.

FAD301 (a circular import through router modules that fails) is a bug and on by
default; FAD302-FAD308 are opinionated design advice, off by default
(``--extend-select FAD3``), and never look at test code.
"""

from __future__ import annotations

from . import (
    fad301_router_import_cycle,
    fad302_depends_default_not_annotated,
    fad303_dependency_with_many_dependencies,
    fad304_logic_in_pydantic_model,
    fad305_app_without_middleware,
    fad306_undocumented_route,
    fad307_mixed_module_structure,
    fad308_router_in_import_cycle,
)

# the rule modules, in code order (the engine and the registry read this)
MODULES = (
    fad301_router_import_cycle,
    fad302_depends_default_not_annotated,
    fad303_dependency_with_many_dependencies,
    fad304_logic_in_pydantic_model,
    fad305_app_without_middleware,
    fad306_undocumented_route,
    fad307_mixed_module_structure,
    fad308_router_in_import_cycle,
)

__all__ = ["MODULES"]
