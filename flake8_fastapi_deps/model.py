"""What one module says, syntactically: imports, definitions, bindings, markers.

:class:`ModuleInfo` is built in a single iterative pass over a module's AST (no
recursion, so deeply nested code cannot exhaust the stack) and never modifies
the tree it is given: flake8 hands the same tree to every plugin.  Meaning that
needs other modules (is this decorator a route? is this name a generator?) is
worked out by :mod:`flake8_fastapi_deps.project`, which caches its answers here.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

from .names import ANNOTATED, MARKERS, Imports
from .nodes import _FIELDS, _REVERSED, child_fields, children, reversed_child_fields, walk

_AST = ast.AST
_NAME = ast.Name

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
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_SCOPE_CLASSES = frozenset(_SCOPE_NODES)
# nodes that hold statements: statements, except clauses, match cases
_STATEMENT_HOLDERS: tuple[type, ...] = (ast.stmt, ast.excepthandler) + tuple(
    getattr(ast, name) for name in ("match_case",) if hasattr(ast, name)
)

# fields of a statement or clause that hold statements
BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
# statement classes that hold no statements (every child is an expression)
_SIMPLE_STATEMENTS = frozenset(
    cls
    for cls in vars(ast).values()
    if isinstance(cls, type)
    and issubclass(cls, ast.stmt)
    and cls is not ast.stmt
    and not BLOCK_FIELDS.intersection(getattr(cls, "_fields", ()))
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
    """``obj.add_api_route(path, endpoint)`` / ``add_api_websocket_route``."""

    call: ast.Call
    obj: ast.expr
    endpoint: ast.expr
    scope: Scope


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
    # every module-level import statement, with "is it under `if TYPE_CHECKING:`"
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
                _scan_expression(calls, root, scope, subscripts)
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
                if _on_lines(lines, root, statement):
                    _scan_expression(calls, root, scope, subscripts)
        return calls

    def function_info(self, node: FunctionNode) -> Optional[FunctionInfo]:
        table = self.cache.get("_finfo")
        if not isinstance(table, dict):
            table = {id(f.node): f for f in self.functions}
            self.cache["_finfo"] = table
        info = table.get(id(node))
        return info if isinstance(info, FunctionInfo) else None


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


def annotated_parts(imports: Imports, expr: Optional[ast.expr]) -> Optional[list[ast.expr]]:
    """``[T, meta1, meta2]`` for ``Annotated[T, meta1, meta2]``, else None."""
    if not isinstance(expr, ast.Subscript) or imports.canonical(expr.value) != ANNOTATED:
        return None
    inner = expr.slice
    if isinstance(inner, ast.Index):  # pragma: no cover - Python 3.8 shape
        inner = inner.value  # type: ignore[attr-defined]
    if isinstance(inner, ast.Tuple):
        return list(inner.elts)
    return [inner]


def is_type_checking_test(imports: Imports, test: ast.expr) -> bool:
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    return imports.canonical(test) == "typing.TYPE_CHECKING"


def own_nodes(root: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``root`` that runs as part of ``root``'s own body.

    Nested functions, lambdas and classes are yielded themselves but not
    entered.  For a function, its decorators, defaults and annotations are
    skipped: they belong to the enclosing scope.  Iterative, in source order.
    """
    return iter(own_node_list(root))


def own_node_list(root: ast.AST) -> list[ast.AST]:
    """:func:`own_nodes` as a list, built in one loop (no generator)."""
    if isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
        stack: list[Optional[ast.AST]] = list(reversed(root.body))
    elif isinstance(root, ast.Lambda):
        stack = [root.body]
    else:
        stack = list(reversed(children(root)))
    found: list[ast.AST] = []
    append = found.append
    table = _REVERSED
    scopes = _SCOPE_CLASSES
    while stack:
        node = stack.pop()
        if node is None:  # lists such as Dict.keys hold None
            continue
        append(node)
        cls = node.__class__
        if cls in scopes:
            continue
        fields = table.get(cls)
        if fields is None:
            fields = reversed_child_fields(cls)
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                stack.extend(reversed(value))
            elif isinstance(value, _AST):
                stack.append(value)
    return found


def is_generator(func: FunctionNode) -> bool:
    """Does ``func``'s own body contain ``yield`` or ``yield from``?"""
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes_within(func.body))


def nodes_within(roots: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """``roots`` and every node below them, without entering nested functions,
    lambdas or classes (which are yielded themselves).  Iterative; order unspecified."""
    return walk(roots, _SCOPE_CLASSES)


# Without one of these words a module can hold no marker, ``dependencies=``
# list or ``add_api_route`` registration (aliases are imports, which name them).
MARKER_WORDS = ("Depends", "Security", "dependencies", "add_api_")


_ALIAS_AFTER = re.compile(r"[ \t]+as[ \t]+(\w+)")


def marker_lines(text: Union[str, bytes]) -> list[int]:
    """Sorted numbers of the lines holding a marker word or a local alias of one.

    A marker call, a ``dependencies=`` list or an ``add_api_route`` call is
    written with one of these words (an alias is named in its import), so only
    expressions spanning such a line can hold one.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    positions: list[int] = []
    aliases: list[str] = []
    for word in MARKER_WORDS:
        found = text.find(word)
        while found >= 0:
            positions.append(found)
            end = found + len(word)
            if word[0] in "DS":
                # an import alias (``Depends as D``): its calls are markers too
                alias = _ALIAS_AFTER.match(text, end)
                if alias is not None:
                    aliases.append(alias.group(1))
            found = text.find(word, end)
    positions.extend(_occurrences(text, aliases))
    return _line_numbers(text, positions)


def lines_holding(text: str, words: Iterable[str]) -> list[int]:
    """Sorted numbers of the lines of ``text`` on which one of ``words`` occurs."""
    return _line_numbers(text, _occurrences(text, words))


def _occurrences(text: str, words: Iterable[str]) -> list[int]:
    """Offsets of every (non-overlapping) occurrence of each of ``words`` in ``text``."""
    positions: list[int] = []
    for word in words:
        found = text.find(word)
        while found >= 0:
            positions.append(found)
            found = text.find(word, found + len(word))
    return positions


def _line_numbers(text: str, positions: list[int]) -> list[int]:
    positions.sort()
    lines: list[int] = []
    line, last = 1, 0
    for position in positions:
        line += text.count("\n", last, position)
        last = position
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def build_module(
    tree: ast.Module, path: Optional[str], text: Union[str, bytes, None] = None
) -> ModuleInfo:
    """Collect the syntactic facts of one module in one iterative pass.

    Markers (``Depends``/``Security``) can only be recognised with the whole
    import table (imports may come after their use inside functions), so the
    pass records every call, signature and class attribute in source order,
    and markers are picked out afterwards, cheaply filtered by name first.

    Given the source ``text``, the full call list is left for ``calls`` to
    walk on first use (many modules are never asked), and only expressions
    spanning a line with a marker word (:func:`marker_lines`) are walked here.
    """
    mod = ModuleInfo(path=path, tree=tree)
    imports = mod.imports
    # Without the text every expression is walked now (eager); with it, the
    # call list is left for ``calls`` and only expressions on lines holding a
    # marker word are walked here, into ``calls`` of their own for the markers.
    eager = text is None
    wanted = marker_lines(text) if text is not None else []
    calls: list[tuple[ast.Call, Scope]] = []
    roots = mod._roots
    if eager:
        mod._calls = calls
    # Signatures and class attributes that may hold markers, by the number of
    # calls recorded before them (so they are handled in source order).
    pending: list[tuple[int, ast.AST, Scope]] = []
    subscripts: list[ast.Subscript] = []

    # Blocks of statements (bodies; the except/case clauses and statements of a
    # compound statement) go on the stack as frames, each with its context;
    # every other child is an expression root, walked at once (eager) or kept
    # for ``calls`` (lazy).  A frame is left at a nested block and resumed after
    # it, and within a statement the expressions come before the nested
    # statements, so both stay in source order.
    # Context: (scope, class, qualname prefix, under TYPE_CHECKING, near); ``near``
    # is False when the enclosing statement spans no wanted line, so neither
    # does anything inside it.
    frames: list[tuple[Iterator[ast.AST], _Context]] = [
        (iter(tree.body), ((), None, "", False, bool(wanted)))
    ]
    table = _FIELDS
    holders = _STATEMENT_HOLDERS
    function_classes = (ast.FunctionDef, ast.AsyncFunctionDef)
    simple = _SIMPLE_STATEMENTS

    def take(parts: Iterable[ast.AST], statement: ast.AST, scope: Scope, near: bool) -> None:
        """Expression roots of ``statement``: walked now (eager, or on a wanted line), else kept."""
        for part in parts:
            if eager:
                _scan_expression(calls, part, scope, subscripts)
                continue
            roots.append((part, scope, statement))
            if near and _on_lines(wanted, part, statement):
                _scan_expression(calls, part, scope, subscripts)

    while frames:
        statements, context = frames[-1]
        scope, cls, prefix, in_tc, near = context
        at_module = not scope and cls is None
        for node in statements:
            kind = node.__class__
            if kind in simple:
                if kind is ast.Assign or kind is ast.AnnAssign:
                    assert isinstance(node, (ast.Assign, ast.AnnAssign))
                    if cls is not None and not scope:
                        if isinstance(node.value, ast.Call) and (
                            eager or (near and _on_lines(wanted, node, node))
                        ):
                            pending.append((len(calls), node, scope))
                    else:
                        _assignment(mod, node, scope, at_module)
                elif kind is ast.Import or kind is ast.ImportFrom:
                    assert isinstance(node, (ast.Import, ast.ImportFrom))
                    _import(mod, node, at_module, in_tc)
                    continue
                elif kind in _TYPE_ALIAS:
                    name = getattr(node, "name", None)
                    value = getattr(node, "value", None)
                    if at_module and isinstance(name, ast.Name) and isinstance(value, ast.expr):
                        mod.toplevel[name.id] = value
                # no statements inside: the statement itself is the root of its expressions
                if eager:
                    _scan_expression(calls, node, scope, subscripts)
                else:
                    roots.append((node, scope, node))
                    if near and _on_lines(wanted, node, node):
                        _scan_expression(calls, node, scope, subscripts)
                continue
            inner_near = near and _on_lines(wanted, node, node)
            if kind in function_classes:
                assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                qual = prefix + node.name
                mod.functions.append(FunctionInfo(node, qual, cls, scope))
                if at_module:
                    mod.toplevel[node.name] = node
                elif scope:
                    _bind(mod, scope, node.name, ())
                if eager or (near and _signature_on_lines(wanted, node)):
                    pending.append((len(calls), node, scope))
                outer_parts: list[ast.AST] = [*node.decorator_list, node.args]
                if node.returns is not None:
                    outer_parts.append(node.returns)
                take(outer_parts, node, scope, near)
                frames.append(
                    (iter(node.body), (scope + (node,), None, qual + ".", False, inner_near))
                )
                break
            if kind is ast.ClassDef:
                assert isinstance(node, ast.ClassDef)
                mod.classes.append(node)
                if at_module:
                    mod.toplevel[node.name] = node
                take([*node.decorator_list, *node.bases, *node.keywords], node, scope, near)
                qual = prefix + node.name
                frames.append((iter(node.body), (scope, node, qual + ".", in_tc, inner_near)))
                break
            if kind is ast.If:
                assert isinstance(node, ast.If)
                if is_type_checking_test(imports, node.test):
                    # the else branch, then the body under TYPE_CHECKING (popped first)
                    frames.append((iter(node.orelse), (scope, cls, prefix, in_tc, inner_near)))
                    frames.append((iter(node.body), (scope, cls, prefix, True, inner_near)))
                    break
            fields = table.get(kind)
            if fields is None:
                fields = child_fields(kind)
            nested: list[ast.AST] = []
            parts: list[ast.AST] = []
            for field_name in fields:
                value = getattr(node, field_name, None)
                for child in value if value.__class__ is list else (value,):
                    if child is None or not isinstance(child, _AST):
                        continue
                    (nested if isinstance(child, holders) else parts).append(child)
            take(parts, node, scope, near)
            if nested:
                frames.append((iter(nested), (scope, cls, prefix, in_tc, inner_near)))
                break
        else:
            frames.pop()
    if eager or wanted:
        mod.cache["_annotated_candidates"] = subscripts
        _find_markers(mod, pending, calls)
    return mod


# a block's context in ``build_module``: (scope, class, qualname prefix,
# under TYPE_CHECKING, near a wanted line)
_Context = tuple[Scope, Optional[ast.ClassDef], str, bool, bool]


def _import(
    mod: ModuleInfo, node: Union[ast.Import, ast.ImportFrom], at_module: bool, in_tc: bool
) -> None:
    mod.imports.add(node, keep_first=True)
    if not at_module:
        return
    mod.top_imports.append((node, in_tc))
    for alias in node.names:
        local = alias.asname or alias.name.split(".", 1)[0]
        if alias.name == "*":
            continue
        if in_tc:
            if local not in mod.toplevel:
                mod.type_checking_names.add(local)
        else:
            mod.toplevel[local] = node
            mod.type_checking_names.discard(local)


def _signature_on_lines(lines: list[int], node: FunctionNode) -> bool:
    """Does the parameter list of ``node`` (from its ``def`` line to its first body
    line) span one of ``lines``?  Its markers can only be written there."""
    index = bisect.bisect_left(lines, node.lineno)
    return index < len(lines) and lines[index] <= node.body[0].lineno


def _on_lines(lines: list[int], node: ast.AST, statement: ast.AST) -> bool:
    """Does ``node`` (or, if it has no position, its ``statement``) span one of ``lines``?"""
    first: Optional[int] = getattr(node, "lineno", None)
    if first is None:
        first = int(getattr(statement, "lineno", 1))
        last: Optional[int] = getattr(statement, "end_lineno", None)
    else:
        last = getattr(node, "end_lineno", None)
    index = bisect.bisect_left(lines, first)
    return index < len(lines) and (last is None or lines[index] <= last)


def _find_markers(
    mod: ModuleInfo, pending: list[tuple[int, ast.AST, Scope]], calls: list[tuple[ast.Call, Scope]]
) -> None:
    """Markers, ``dependencies=[...]`` lists and route registrations, in source order."""
    imports = mod.imports
    marker_words = {"Depends", "Security"}
    marker_words.update(
        local for local, target in imports.names.items() if target.rsplit(".", 1)[-1] in marker_words
    )
    claimed: set[int] = set()  # marker calls already recorded with context
    fastapi = imports.imports_fastapi()
    position = 0
    for index, (call, scope) in enumerate(calls):
        while position < len(pending) and pending[position][0] <= index:
            _pending_markers(mod, pending[position], claimed, marker_words)
            position += 1
        _call(mod, call, scope, claimed, marker_words, fastapi)
    for item in pending[position:]:
        _pending_markers(mod, item, claimed, marker_words)


def _pending_markers(
    mod: ModuleInfo, item: tuple[int, ast.AST, Scope], claimed: set[int], marker_words: set[str]
) -> None:
    _, node, scope = item
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        _signature_markers(mod, node, scope, claimed, marker_words)
        return
    assert isinstance(node, (ast.Assign, ast.AnnAssign))
    # class attribute ``x: T = Depends(f)`` (class-based views, models)
    value = node.value
    if isinstance(value, ast.Call) and _is_marker(mod, value, marker_words):
        claimed.add(id(value))
        ann = node.annotation if isinstance(node, ast.AnnAssign) else None
        mod.marker_uses.append(
            MarkerUse(value, str(mod.imports.canonical(value.func)), scope, implicit=ann)
        )


def _last_word(func: ast.expr) -> Optional[str]:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_marker(mod: ModuleInfo, call: ast.Call, marker_words: set[str]) -> bool:
    return _last_word(call.func) in marker_words and mod.imports.canonical(call.func) in MARKERS


_TYPE_ALIAS: tuple[type[ast.AST], ...] = (
    (getattr(ast, "TypeAlias"),) if hasattr(ast, "TypeAlias") else ()
)


def _scan_expression(
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


def _bind(mod: ModuleInfo, scope: Scope, name: str, values: tuple[ast.expr, ...]) -> None:
    """Record ``name`` as bound in the innermost function of ``scope`` (0: the module),
    to each of ``values`` (none for a ``def``)."""
    key = id(scope[-1]) if scope else 0
    table = mod.assignments.setdefault(key, {})
    table.setdefault(name, []).extend(values)


def _assignment(
    mod: ModuleInfo,
    node: ast.Assign | ast.AnnAssign,
    scope: Scope,
    at_module: bool,
) -> None:
    """Bind the plain names an assignment targets (every assignment of the
    module, function locals included, comes through here)."""
    value = node.value
    if value is None:
        return  # ``x: T`` binds nothing
    if node.__class__ is ast.Assign:
        assert isinstance(node, ast.Assign)
        targets: list[ast.expr] = node.targets
        bound: tuple[ast.expr, ...] = (value,)
    else:
        assert isinstance(node, ast.AnnAssign)
        targets = [node.target]
        # remember the declared type too: `app: FastAPI = make_app()`
        bound = (node.annotation, value)
    for target in targets:
        if target.__class__ is not _NAME:
            continue
        assert isinstance(target, ast.Name)
        _bind(mod, scope, target.id, bound)
        if at_module:
            mod.toplevel[target.id] = value


def _signature_markers(
    mod: ModuleInfo, node: FunctionNode, scope: Scope, claimed: set[int], marker_words: set[str]
) -> None:
    """Record markers in defaults and ``Annotated`` metadata with their implicit target."""
    imports = mod.imports
    for param, default in iter_params(node):
        ann = param.annotation
        parts = annotated_parts(imports, ann) if isinstance(ann, ast.Subscript) else None
        if isinstance(default, ast.Call) and _is_marker(mod, default, marker_words):
            claimed.add(id(default))
            implicit = parts[0] if parts else ann
            mod.marker_uses.append(
                MarkerUse(default, str(imports.canonical(default.func)), scope, implicit)
            )
        if parts:
            for meta in parts[1:]:
                if isinstance(meta, ast.Call) and _is_marker(mod, meta, marker_words):
                    claimed.add(id(meta))
                    mod.marker_uses.append(
                        MarkerUse(meta, str(imports.canonical(meta.func)), scope, parts[0])
                    )


def bound_in_scope(mod: ModuleInfo, name: str, scope: Scope) -> bool:
    """Is ``name`` a parameter, local or nested def of one of the enclosing functions?"""
    for func in scope:
        if name in mod.assignments.get(id(func), ()):
            return True
        if any(param.arg == name for param, _ in iter_params(func)):
            return True
    return False


def _shadowed(mod: ModuleInfo, expr: ast.expr, scope: Scope) -> bool:
    """Is the head name of ``expr`` rebound inside an enclosing function?"""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name) and bound_in_scope(mod, expr.id, scope)


def _call(
    mod: ModuleInfo,
    node: ast.Call,
    scope: Scope,
    claimed: set[int],
    marker_words: set[str],
    fastapi: bool,
) -> None:
    imports = mod.imports
    func = node.func
    word = _last_word(func)
    canonical: Optional[str] = None
    if word in marker_words:
        canonical = imports.canonical(func)
        if canonical in MARKERS and _shadowed(mod, func, scope):
            canonical = None
        if canonical in MARKERS and id(node) not in claimed:
            claimed.add(id(node))
            mod.marker_uses.append(MarkerUse(node, str(canonical), scope, _alias_implicit(mod, node)))
            return
    method = func.attr if isinstance(func, ast.Attribute) else None
    if node.keywords and any(kw.arg == "dependencies" for kw in node.keywords):
        if canonical is None:
            canonical = imports.canonical(func)
        takes_deps = canonical in DEPENDENCIES_CONSTRUCTORS or (
            method in DEPENDENCIES_METHODS and fastapi
        )
        if takes_deps:
            for kw in node.keywords:
                if kw.arg == "dependencies":
                    mod.dependencies_lists.append(DependenciesList(kw, node, scope))
                    if isinstance(kw.value, (ast.List, ast.Tuple, ast.Set)):
                        for item in kw.value.elts:
                            if isinstance(item, ast.Call) and _is_marker(mod, item, marker_words):
                                claimed.add(id(item))
                                mod.marker_uses.append(
                                    MarkerUse(
                                        item,
                                        str(imports.canonical(item.func)),
                                        scope,
                                        in_dependencies_list=True,
                                    )
                                )
    if method in ROUTE_REGISTRARS and isinstance(func, ast.Attribute):
        endpoint = node.args[1] if len(node.args) > 1 else keyword(node, "endpoint")
        if endpoint is not None:
            mod.registrations.append(RouteRegistration(node, func.value, endpoint, scope))


def _alias_implicit(mod: ModuleInfo, call: ast.Call) -> Optional[ast.expr]:
    """For ``X = Annotated[T, Depends()]`` at any level, the ``T`` of the enclosing Annotated."""
    # A marker outside a signature is usually inside an Annotated alias.  We
    # cannot walk up the tree, so aliases are matched by identity.
    for value in _annotated_values(mod):
        parts = annotated_parts(mod.imports, value)
        if parts and any(meta is call for meta in parts[1:]):
            return parts[0]
    return None


def _annotated_values(mod: ModuleInfo) -> list[ast.expr]:
    cached = mod.cache.get("_annotated_values")
    if isinstance(cached, list):
        return cached
    candidates = mod.cache.get("_annotated_candidates")
    found: list[ast.expr] = [
        node
        for node in (candidates if isinstance(candidates, list) else walk([mod.tree]))
        if isinstance(node, ast.Subscript) and mod.imports.canonical(node.value) == ANNOTATED
    ]
    mod.cache["_annotated_values"] = found
    return found


def short_source(node: ast.AST, limit: int = 40, fallback: Optional[str] = None) -> str:
    """The source text of ``node`` for a message, cut at ``limit`` characters.

    ``ast.unparse`` recurses; on pathologically deep code the fallback (or the
    node type) is used instead of letting a RecursionError drop the file.
    """
    try:
        text = ast.unparse(node).splitlines()[0]
    except (RecursionError, IndexError):
        return fallback if fallback is not None else type(node).__name__
    if len(text) <= limit:
        return text
    return fallback if fallback is not None else text[: limit - 3] + "..."


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
