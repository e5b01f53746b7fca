"""What every rule gets for the file being linted: :class:`FileContext`.

A module of its own so that rules and the engine both import it without an
import cycle (rules never import the engine).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Optional

from .model import FunctionInfo, ModuleInfo, Scope
from .options import Options
from .project import Project, Route, Symbol


@dataclass
class FileContext:
    """What every rule family gets for the file being linted."""

    project: Project
    module: ModuleInfo
    options: Options
    is_test: bool
    mentions_fastapi: bool
    text: str = ""  # the file's source ("" when unknown): for cheap "is this name here?" tests
    _request: Optional[list[FunctionInfo]] = field(default=None, repr=False)
    _may_yield: Optional[bool] = field(default=None, repr=False)

    @property
    def may_yield(self) -> bool:
        """Can a function of this file be a generator?  (Not without the word ``yield``.)"""
        if self._may_yield is None:
            self._may_yield = not self.text or "yield" in self.text
        return self._may_yield

    @property
    def routes(self) -> dict[int, Route]:
        return self.project.routes(self.module)

    def request_functions(self) -> list[FunctionInfo]:
        """Routes and dependencies defined in this file."""
        if self._request is None:
            self._request = self.project.request_functions(self.module)
        return self._request

    def is_route(self, info: FunctionInfo) -> bool:
        return id(info.node) in self.routes

    def is_dependency(self, info: FunctionInfo) -> bool:
        """Used as a dependency anywhere in the project (this file included)."""
        return self.project.is_dependency(self.module, info)

    def resolve(self, expr: ast.expr, scope: Scope = ()) -> Optional[Symbol]:
        return self.project.resolve(self.module, expr, scope)

    def canonical(self, expr: ast.expr, scope: Scope = ()) -> Optional[str]:
        return self.project.canonical(self.module, expr, scope)
