"""Declaration errors, FAD001-FAD005: a dependency declared so that it cannot work.

One module per code; the engine runs each when its code is shown.
"""

from __future__ import annotations

from . import (
    fad001_called_dependency,
    fad002_unwired_dependency,
    fad003_direct_call_with_depends_defaults,
    fad004_callable_class_as_dependency,
    fad005_duplicate_dependency,
)

# the rule modules, in code order (the engine and the registry read this)
MODULES = (
    fad001_called_dependency,
    fad002_unwired_dependency,
    fad003_direct_call_with_depends_defaults,
    fad004_callable_class_as_dependency,
    fad005_duplicate_dependency,
)

__all__ = ["MODULES"]
