"""The syntactic record of one module: :class:`ModuleInfo` and the facts it holds.

The classes and small helpers every rule reads (functions, markers,
``dependencies=`` lists, route registrations, signatures).  The record is
filled by :func:`flake8_fastapi_deps.model.build_module`; this module only
defines it, so the marker finder and the rules can name it without importing
the builder.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

from .memo import Slot
from .names import Imports
from .nodes import _REVERSED, reversed_child_fields

_AST = ast.AST

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
Scope = tuple[FunctionNode, ...]  # enclosing functions, outermost first

HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "trace"})
ROUTE_DECORATORS = HTTP_VERBS | {"api_route", "websocket"}
ROUTE_REGISTRARS = frozenset({"add_api_route", "add_api_websocket_route"})
# methods / constructors that take ``dependencies=[...]``
DEPENDENCIES_METHODS = ROUTE_DECORATORS | ROUTE_REGISTRARS | {"include_router"}
DEPENDENCIES_CONSTRUCTORS = frozenset(
    {"fastapi.FastAPI", "fastapi.APIRouter", "fastapi.APIRoute", "fastapi.routing.APIWebSocketRoute"}
)


@dataclass(eq=False)
class FunctionInfo:
    node: FunctionNode
    qualname: str
    cls: Optional[ast.ClassDef]  # the class whose body defines it directly
    parents: Scope  # enclosing functions, outermost first
    _params: Optional[list[tuple[ast.arg, Optional[ast.expr]]]] = field(default=None, repr=False)

    @property
    def params(self) -> list[tuple[ast.arg, Optional[ast.expr]]]:
        """``iter_params(self.node)``, built once (most rules walk every signature)."""
        found = self._params
        if found is None:
            found = self._params = iter_params(self.node)
        return found

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def key(self) -> tuple[int, int]:
        return def_key(self.node)


def def_key(node: ast.stmt) -> tuple[int, int]:
    """Identifies a definition across separate parses of the same file."""
    return (node.lineno, node.col_offset)


@dataclass(eq=False)
class MarkerUse:
    """A ``Depends(...)``/``Security(...)`` call found in the module body.

    ``implicit`` is the annotation FastAPI calls when the marker has no
    dependency argument (``x: Cls = Depends()``, ``Annotated[Cls, Depends()]``).
    """

    call: ast.Call
    marker: str  # canonical: fastapi.Depends / fastapi.Security
    scope: Scope
    implicit: Optional[ast.expr] = None
    in_dependencies_list: bool = False

    @property
    def explicit(self) -> Optional[ast.expr]:
        return marker_target(self.call)

    @property
    def target(self) -> Optional[ast.expr]:
        explicit = self.explicit
        return explicit if explicit is not None else self.implicit


@dataclass(eq=False)
class DependenciesList:
    """A ``dependencies=[...]`` argument (decorator, router, app, include_router)."""

    keyword: ast.keyword
    owner: ast.Call
    scope: Scope


@dataclass(eq=False)
class RouteRegistration:
    """``obj.add_api_route(path, endpoint)`` / ``add_api_websocket_route``, or a route
    decorator applied by hand, ``obj.get(path)(endpoint)`` (``call`` is then the
    decorator call ``obj.get(path)``, as for a decorated route)."""

    call: ast.Call
    obj: ast.expr
    endpoint: ast.expr
    scope: Scope


# id of a function node -> its FunctionInfo, built on first use
_FUNCTION_INFO: Slot[dict[int, FunctionInfo]] = Slot("function_info")


@dataclass(eq=False)
class ModuleInfo:
    path: Optional[str]
    tree: ast.Module
    imports: Imports = field(default_factory=Imports)
    # module-level bindings: name -> the def/class node, the assigned value, or the import
    toplevel: dict[str, ast.AST] = field(default_factory=dict)
    functions: list[FunctionInfo] = field(default_factory=list)
    classes: list[ast.ClassDef] = field(default_factory=list)
    marker_uses: list[MarkerUse] = field(default_factory=list)
    dependencies_lists: list[DependenciesList] = field(default_factory=list)
    registrations: list[RouteRegistration] = field(default_factory=list)
    # every call in the module with its enclosing functions: see ``calls``
    _calls: Optional[list[tuple[ast.Call, Scope]]] = field(default=None, repr=False)
    # expressions not walked yet (lazy mode), with their enclosing functions
    # (with the statement holding each, for its position)
    _roots: list[tuple[ast.AST, Scope, ast.AST]] = field(default_factory=list, repr=False)
    # every module-level import statement (outside functions and classes), with
    # "is it in the body of an `if TYPE_CHECKING:`" (see module_imports)
    top_imports: list[tuple[Union[ast.Import, ast.ImportFrom], bool]] = field(default_factory=list)
    # names imported only under `if TYPE_CHECKING:`
    type_checking_names: set[str] = field(default_factory=set)
    # per scope (id of a function node, 0 for the module): name -> assigned values
    assignments: dict[int, dict[str, list[ast.expr]]] = field(default_factory=dict)
    # caches filled by project.Project
    cache: dict[object, object] = field(default_factory=dict)
    # hash of the bytes this module was parsed from, when the index read it from disk
    source_hash: Optional[int] = None

    @property
    def calls(self) -> list[tuple[ast.Call, Scope]]:
        """Every call in the module, in source order, with its enclosing functions.

        Walked on first use when the module was built lazily (see ``build_module``).
        """
        if self._calls is None:
            calls: list[tuple[ast.Call, Scope]] = []
            subscripts: list[ast.Subscript] = []
            for root, scope, _ in self._roots:
                scan_expression(calls, root, scope, subscripts)
            self._calls = calls
            self._roots = []
        return self._calls

    def calls_near(self, lines: list[int]) -> list[tuple[ast.Call, Scope]]:
        """The calls of the expressions spanning one of ``lines`` (sorted), in source order.

        A superset: every call whose callee is written on one of ``lines``, found
        without walking the rest of a lazily built module (all calls once walked).
        """
        if self._calls is not None:
            return self._calls
        calls: list[tuple[ast.Call, Scope]] = []
        subscripts: list[ast.Subscript] = []
        if lines:
            for root, scope, statement in self._roots:
                if on_lines(lines, root, statement):
                    scan_expression(calls, root, scope, subscripts)
        return calls

    def function_info(self, node: FunctionNode) -> Optional[FunctionInfo]:
        table = _FUNCTION_INFO.of(self, lambda: {id(f.node): f for f in self.functions})
        return table.get(id(node))


def marker_target(call: ast.Call) -> Optional[ast.expr]:
    """The explicit dependency of ``Depends(x)`` / ``Depends(dependency=x)``."""
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    for kw in call.keywords:
        if kw.arg == "dependency":
            return kw.value
    return None


def keyword(node: Union[ast.Call, ast.ClassDef], name: str) -> Optional[ast.expr]:
    """The value of keyword argument ``name`` of a call or a class statement."""
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value
    return None


def on_lines(lines: list[int], node: ast.AST, statement: ast.AST) -> bool:
    """Does ``node`` (or, if it has no position, its ``statement``) span one of ``lines``?"""
    first: Optional[int] = getattr(node, "lineno", None)
    if first is None:
        first = int(getattr(statement, "lineno", 1))
        last: Optional[int] = getattr(statement, "end_lineno", None)
    else:
        last = getattr(node, "end_lineno", None)
    index = bisect.bisect_left(lines, first)
    return index < len(lines) and (last is None or lines[index] <= last)


def scan_expression(
    calls: list[tuple[ast.Call, Scope]],
    root: ast.AST,
    scope: Scope,
    subscripts: list[ast.Subscript],
) -> None:
    """The calls inside one expression, in source order (expressions hold no scopes we track)."""
    stack: list[Optional[ast.AST]] = [root]  # lists such as Dict.keys hold None
    table = _REVERSED
    call_class = ast.Call
    subscript_class = ast.Subscript
    while stack:
        node = stack.pop()
        if node is None:
            continue
        cls = node.__class__
        if cls is call_class:
            assert isinstance(node, ast.Call)
            calls.append((node, scope))
        elif cls is subscript_class:
            assert isinstance(node, ast.Subscript)
            subscripts.append(node)
        fields = table.get(cls)
        if fields is None:
            fields = reversed_child_fields(cls)
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                stack.extend(reversed(value))
            elif isinstance(value, _AST):
                stack.append(value)


def iter_params(node: FunctionNode | ast.Lambda) -> list[tuple[ast.arg, Optional[ast.expr]]]:
    """(parameter, default or None) for every parameter, in signature order."""
    args = node.args
    positional = args.posonlyargs + args.args if args.posonlyargs else args.args
    defaults: Sequence[Optional[ast.expr]] = args.defaults
    missing = len(positional) - len(defaults)
    if missing:
        defaults = [*([None] * missing), *args.defaults]
    params = list(zip(positional, defaults))
    if args.vararg is not None:
        params.append((args.vararg, None))
    if args.kwonlyargs:
        params.extend(zip(args.kwonlyargs, args.kw_defaults))
    if args.kwarg is not None:
        params.append((args.kwarg, None))
    return params
