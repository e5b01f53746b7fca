"""Import-aware names.

Every name a rule compares is first turned into one *canonical* dotted name:
``D`` (``from fastapi import Depends as D``), ``Depends``, ``fastapi.Depends``,
``fa.params.Depends`` and ``fastapi.param_functions.Depends`` all become
``"fastapi.Depends"``.  Names never seen in an import are not FastAPI's, however
they are spelled.
"""

from __future__ import annotations

import ast
from typing import Optional

# Alternative spellings of one object -> its canonical name.
_ALIASES: dict[str, str] = {
    "fastapi.params.Depends": "fastapi.Depends",
    "fastapi.param_functions.Depends": "fastapi.Depends",
    "fastapi.params.Security": "fastapi.Security",
    "fastapi.param_functions.Security": "fastapi.Security",
    "fastapi.applications.FastAPI": "fastapi.FastAPI",
    "fastapi.routing.APIRouter": "fastapi.APIRouter",
    "fastapi.routing.APIRoute": "fastapi.APIRoute",
    "typing_extensions.Annotated": "typing.Annotated",
    "typing_extensions.TYPE_CHECKING": "typing.TYPE_CHECKING",
    "fastapi.background.BackgroundTasks": "fastapi.BackgroundTasks",
    "starlette.background.BackgroundTasks": "fastapi.BackgroundTasks",
    "starlette.background.BackgroundTask": "fastapi.BackgroundTask",
    "fastapi.requests.Request": "fastapi.Request",
    "starlette.requests.Request": "fastapi.Request",
    "fastapi.websockets.WebSocket": "fastapi.WebSocket",
    "starlette.websockets.WebSocket": "fastapi.WebSocket",
    "starlette.requests.HTTPConnection": "fastapi.requests.HTTPConnection",
    "fastapi.exceptions.HTTPException": "fastapi.HTTPException",
    "starlette.exceptions.HTTPException": "fastapi.HTTPException",
    "fastapi.concurrency.run_in_threadpool": "starlette.concurrency.run_in_threadpool",
    "contextlib2.contextmanager": "contextlib.contextmanager",
    "contextlib2.asynccontextmanager": "contextlib.asynccontextmanager",
}

DEPENDS = "fastapi.Depends"
SECURITY = "fastapi.Security"
MARKERS = frozenset({DEPENDS, SECURITY})
ANNOTATED = "typing.Annotated"
FASTAPI = "fastapi.FastAPI"
APIROUTER = "fastapi.APIRouter"
# Packages whose names are always FastAPI's (or its foundations'), never project code.
FRAMEWORK_PACKAGES = frozenset({"fastapi", "starlette", "typing", "typing_extensions"})


_NAME = ast.Name


def canonicalize(qualified: str) -> str:
    """Map an alternative spelling to its canonical name (identity otherwise)."""
    return _ALIASES.get(qualified, qualified)


def name_chain(expr: ast.expr) -> Optional[tuple[str, list[str]]]:
    """``a.b.c`` as ``("a", ["b", "c"])``, or None when ``expr`` is not a plain name chain.

    Iterative: attribute chains can be hundreds of levels deep.
    """
    if expr.__class__ is _NAME:
        return expr.id, []
    attrs: list[str] = []
    while isinstance(expr, ast.Attribute):
        attrs.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    attrs.reverse()
    return expr.id, attrs


def dotted(expr: ast.expr) -> Optional[str]:
    """``a.b.c`` as text, or None when ``expr`` is not a plain name chain."""
    if expr.__class__ is _NAME:
        return expr.id
    chain = name_chain(expr)
    if chain is None:
        return None
    head, attrs = chain
    return ".".join([head, *attrs])


class Imports:
    """Local name -> fully qualified dotted name, from a module's import statements.

    Relative imports keep their leading dots (``from .db import get_db`` maps
    ``get_db`` to ``.db.get_db``) so the project index can resolve them against
    the importing file.  The table is flow-insensitive: an import anywhere in
    the module (also inside a function) binds its name for the whole module.
    """

    __slots__ = ("names", "modules")

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.modules: set[str] = set()  # every module named by an import

    def add(self, node: ast.Import | ast.ImportFrom, keep_first: bool = False) -> None:
        """Record one import statement; with ``keep_first`` an earlier binding of a name stays."""
        names = self.names
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.modules.add(alias.name)
                local = alias.asname or alias.name.split(".", 1)[0]
                if not (keep_first and local in names):
                    names[local] = alias.name if alias.asname else local
            return
        base = "." * node.level + (node.module or "")
        self.modules.add(base)
        for alias in node.names:
            if alias.name == "*":
                continue
            local = alias.asname or alias.name
            if keep_first and local in names:
                continue
            sep = "" if base.endswith(".") or not base else "."
            names[local] = f"{base}{sep}{alias.name}"

    def qualified(self, expr: ast.expr) -> Optional[str]:
        """The dotted name ``expr`` refers to through the imports, or None."""
        if expr.__class__ is _NAME:
            return self.names.get(expr.id)
        text = dotted(expr)
        if text is None:
            return None
        head, _, rest = text.partition(".")
        target = self.names.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def canonical(self, expr: ast.expr) -> Optional[str]:
        qualified = self.qualified(expr)
        return None if qualified is None else _ALIASES.get(qualified, qualified)

    def imports_fastapi(self) -> bool:
        return any(m == "fastapi" or m.startswith("fastapi.") for m in self.modules)
