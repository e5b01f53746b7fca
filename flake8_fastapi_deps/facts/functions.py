"""Facts about one function, computed once per function: its own body, calls, awaits,
yields, decorators, whether it never returns; and which functions declare markers.

A rule asks :func:`function_facts` instead of walking ``info.node`` itself, so a
function body walked by one rule is not walked again by the next.  "Own" means
what runs as part of the function's body: nested functions, lambdas and classes
are listed themselves but not entered (:func:`~flake8_fastapi_deps.model.own_node_list`).
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional, Union

from ..memo import Slot
from ..model import FunctionInfo, ModuleInfo, Scope, annotated_parts, bound_in_scope, own_node_list
from ..names import FRAMEWORK_PACKAGES
from ..project import FuncSym
from .raises import body_never_returns

if TYPE_CHECKING:
    from ..context import FileContext
    from ..project import Project

Yield = Union[ast.Yield, ast.YieldFrom]


@dataclass(eq=False)
class FunctionFacts:
    """What one function's own body holds; each part computed on first use, then kept."""

    module: ModuleInfo
    info: FunctionInfo
    _body: Optional[list[ast.AST]] = field(default=None, repr=False)
    _calls: Optional[list[ast.Call]] = field(default=None, repr=False)
    _awaited: Optional[frozenset[int]] = field(default=None, repr=False)
    _yields: Optional[list[Yield]] = field(default=None, repr=False)
    _decorators: Optional[tuple[Optional[str], ...]] = field(default=None, repr=False)
    _never_returns: Optional[bool] = field(default=None, repr=False)

    @property
    def body(self) -> list[ast.AST]:
        """``list(own_nodes(node))``, same order."""
        if self._body is None:
            self._body = own_node_list(self.info.node)
        return self._body

    @property
    def calls(self) -> list[ast.Call]:
        """The calls of :attr:`body`, in its order."""
        if self._calls is None:
            self._calls = [n for n in self.body if isinstance(n, ast.Call)]
        return self._calls

    @property
    def awaited(self) -> frozenset[int]:
        """``id`` of every expression awaited in :attr:`body` (``await <expr>``)."""
        if self._awaited is None:
            self._awaited = frozenset(id(n.value) for n in self.body if n.__class__ is ast.Await)
        return self._awaited

    @property
    def yields(self) -> list[Yield]:
        """Every ``yield`` / ``yield from`` of :attr:`body`, in its order."""
        if self._yields is None:
            self._yields = [n for n in self.body if isinstance(n, (ast.Yield, ast.YieldFrom))]
        return self._yields

    @property
    def is_generator(self) -> bool:
        """Does the own body yield (:func:`~flake8_fastapi_deps.model.is_generator`)?"""
        return bool(self.yields)

    def decorators(self, project: Project) -> tuple[Optional[str], ...]:
        """Canonical name of each decorator (of ``@d(...)``, of ``d``), resolved where the
        ``def`` stands (in its enclosing functions); None where it has none."""
        if self._decorators is None:
            node, scope = self.info.node, self.info.parents
            self._decorators = tuple(
                project.canonical(self.module, d.func if isinstance(d, ast.Call) else d, scope)
                for d in node.decorator_list
            )
        return self._decorators

    def never_returns(self, project: Project) -> bool:
        """Does calling it never return (:func:`~.raises.body_never_returns`)?"""
        if self._never_returns is None:
            self._never_returns = body_never_returns(project, FuncSym(self.module, self.info))
        return self._never_returns


# per module: id of a function node -> its facts
_FACTS: Slot[dict[int, FunctionFacts]] = Slot("function_facts")
_MARKER_FUNCTIONS: Slot[list[FunctionInfo]] = Slot("marker_functions")
_MARKER_IDS: Slot[frozenset[int]] = Slot("marker_call_ids")
_BINDS_ANYTHING: Slot[bool] = Slot("binds_anything")


def function_facts(holder: Union[FileContext, ModuleInfo], info: FunctionInfo) -> FunctionFacts:
    """The facts of ``info``, a function of ``holder`` (a module, or a file's context)."""
    mod = holder if isinstance(holder, ModuleInfo) else holder.module
    table = _FACTS.of(mod, dict)
    found = table.get(id(info.node))
    if found is None:
        found = table[id(info.node)] = FunctionFacts(mod, info)
    return found


def marker_functions(project: Project, mod: ModuleInfo) -> list[FunctionInfo]:
    """The functions of ``mod`` whose signature declares a dependency marker (cached)."""
    return _MARKER_FUNCTIONS.of(
        mod,
        lambda: [
            info
            for info in mod.functions
            if may_declare_markers(mod, info)
            and any(d.marker is not None for d in project.signature(mod, info))
        ],
    )


def may_declare_markers(mod: ModuleInfo, info: FunctionInfo) -> bool:
    """False when ``project.signature(mod, info)`` surely has no dependency marker.

    A parameter gets a marker from a ``Depends(...)``/``Security(...)``
    default or from the metadata of an ``Annotated[...]`` of this module (the
    model records both as marker uses), or from a name or attribute chain that
    resolves to a module-level ``Annotated`` alias.  Only that last case needs
    resolving, and only when the name can lead to a module-level value: see
    :func:`_may_name_alias`.
    """
    args = info.node.args
    if not (args.args or args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg):
        return False
    own = marker_call_ids(mod)
    if own:
        if any(id(d) in own for d in args.defaults) or any(
            d is not None and id(d) in own for d in args.kw_defaults
        ):
            return True
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        params.append(args.vararg)
    if args.kwarg is not None:
        params.append(args.kwarg)
    for param in params:
        ann = param.annotation
        if ann is None:
            continue
        kind = ann.__class__
        if kind is ast.Subscript:
            if own:
                parts = annotated_parts(mod.imports, ann)
                if parts and any(id(meta) in own for meta in parts[1:]):
                    return True
        elif kind is ast.Name:
            assert isinstance(ann, ast.Name)
            if _may_name_alias(mod, ann.id, False):
                return True
        elif kind is ast.Attribute:
            head: ast.expr = ann
            while isinstance(head, ast.Attribute):
                head = head.value
            if isinstance(head, ast.Name) and _may_name_alias(mod, head.id, True):
                return True
    return False


def marker_call_ids(mod: ModuleInfo) -> frozenset[int]:
    """``id`` of every Depends/Security call the module records as a marker use (kept)."""
    return _MARKER_IDS.of(mod, lambda: frozenset(id(use.call) for use in mod.marker_uses))


def _may_name_alias(mod: ModuleInfo, head: str, attrs: bool) -> bool:
    """Can a name chain starting at ``head`` resolve to a module-level ``X = <subscript>``?

    Not for a name bound to a def or class of the module, nor to a value that is
    no subscript, nor one imported from a framework package (always external),
    nor one bound nowhere in the module.  A star import, or an ``__init__.py``
    (whose submodules are attributes), may bind anything.
    """
    binding = mod.toplevel.get(head)
    if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    if isinstance(binding, ast.expr):
        return not attrs and isinstance(binding, ast.Subscript)
    qualified = mod.imports.names.get(head)
    if qualified is not None:
        return qualified.split(".", 1)[0] not in FRAMEWORK_PACKAGES
    return binding is None and _binds_anything(mod)


def may_name_plain_function(mod: ModuleInfo, expr: ast.expr, scope: Scope) -> bool:
    """Can ``project.resolve(mod, expr, scope)`` be a function defined outside any class?

    Not for a parameter or local value of an enclosing function, a class or a
    module-level value (or an attribute of any of these, or of a def), a name
    imported from a framework package, or a name bound nowhere; the rules of
    :func:`_may_name_alias` apply to module-level names.
    """
    attrs = False
    while isinstance(expr, ast.Attribute):
        expr = expr.value
        attrs = True
    if not isinstance(expr, ast.Name):
        return False
    head = expr.id
    binding = mod.toplevel.get(head)
    if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if not attrs:
            return True
    elif not isinstance(binding, (ast.ClassDef, ast.expr)):
        qualified = mod.imports.names.get(head)
        if qualified is not None:
            if qualified.split(".", 1)[0] not in FRAMEWORK_PACKAGES:
                return True
        elif binding is None and _binds_anything(mod):
            return True
    # not at module level: only a def nested in an enclosing function can be one
    return not attrs and bool(scope) and bound_in_scope(mod, head, scope)


def _binds_anything(mod: ModuleInfo) -> bool:
    return _BINDS_ANYTHING.of(
        mod,
        lambda: (mod.path is not None and os.path.basename(mod.path) == "__init__.py")
        or any(
            isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names)
            for node, _ in mod.top_imports
        ),
    )
