"""Small facts several rule families ask about markers, dependency classes and subscripts."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Optional

from ..names import SECURITY
from ..project import ClassSym

if TYPE_CHECKING:
    from ..project import Project, Symbol


def marker_label(name: Optional[str]) -> str:
    """How a marker is written in a message: ``Security`` or ``Depends``."""
    return "Security" if name == SECURITY else "Depends"


def class_defines_call(project: Project, sym: Optional[Symbol]) -> bool:
    """Is ``sym`` a project class with a ``__call__`` method (its own or inherited)?"""
    return isinstance(sym, ClassSym) and project.class_method(sym, "__call__") is not None


def subscript_items(expr: ast.Subscript) -> list[ast.expr]:
    """The items of ``X[a, b]`` (``[a, b]``) or ``X[a]`` (``[a]``)."""
    inner = expr.slice
    if isinstance(inner, ast.Index):  # pragma: no cover - Python 3.8 shape
        inner = inner.value  # type: ignore[attr-defined]
    return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
