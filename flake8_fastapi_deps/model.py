"""What one module says, syntactically: imports, definitions, bindings, markers.

:class:`ModuleInfo` is built in a single iterative pass over a module's AST (no
recursion, so deeply nested code cannot exhaust the stack) and never modifies
the tree it is given: flake8 hands the same tree to every plugin.  Meaning that
needs other modules (is this decorator a route? is this name a generator?) is
worked out by :mod:`flake8_fastapi_deps.project`, which caches its answers here.

The record itself lives in :mod:`.module_info`, the marker finder in
:mod:`.markers`, the text pre-filter in :mod:`.textlines`, the walk over the
module-level imports in :mod:`.module_imports`; their public names used by the
rules are importable from here too.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Iterable, Iterator
from typing import Optional, Union

from .facts.bindings import bound_in_scope
from .markers import ANNOTATED_CANDIDATES, annotated_parts, find_markers
from .module_imports import ImportStmt, is_type_checking_test, module_level_imports
from .module_info import (
    DEPENDENCIES_CONSTRUCTORS,
    DEPENDENCIES_METHODS,
    HTTP_VERBS,
    ROUTE_DECORATORS,
    ROUTE_REGISTRARS,
    DependenciesList,
    FunctionInfo,
    FunctionNode,
    MarkerUse,
    ModuleInfo,
    RouteRegistration,
    Scope,
    def_key,
    iter_params,
    keyword,
    marker_target,
    on_lines,
    scan_expression,
)
from .nodes import (
    _FIELDS,
    _REVERSED,
    BLOCK_FIELDS,
    child_fields,
    children,
    reversed_child_fields,
    walk,
)
from .textlines import MARKER_WORDS, lines_holding, marker_lines

_AST = ast.AST
_NAME = ast.Name

_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_SCOPE_CLASSES = frozenset(_SCOPE_NODES)
# nodes that hold statements: statements, except clauses, match cases
_STATEMENT_HOLDERS: tuple[type, ...] = (ast.stmt, ast.excepthandler) + tuple(
    getattr(ast, name) for name in ("match_case",) if hasattr(ast, name)
)
# statement classes that hold no statements (every child is an expression)
_SIMPLE_STATEMENTS = frozenset(
    cls
    for cls in vars(ast).values()
    if isinstance(cls, type)
    and issubclass(cls, ast.stmt)
    and cls is not ast.stmt
    and not BLOCK_FIELDS.intersection(getattr(cls, "_fields", ()))
)


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
    # Module-level bindings in source order, bound once the pass is done (an
    # import binds only if it runs, which the module-level walk says):
    # (name, value) pairs and import statements.
    binds: list[_Bind] = []
    # the tests of module-level ``if`` statements that are ``TYPE_CHECKING`` by
    # the imports seen before them (by id)
    type_checking: set[int] = set()

    # Blocks of statements (bodies; the except/case clauses and statements of a
    # compound statement) go on the stack as frames, each with its context;
    # every other child is an expression root, walked at once (eager) or kept
    # for ``calls`` (lazy).  A frame is left at a nested block and resumed after
    # it, and within a statement the expressions come before the nested
    # statements, so both stay in source order.
    # Context: (scope, class, qualname prefix, near); ``near`` is False when the
    # enclosing statement spans no wanted line, so neither does anything inside it.
    frames: list[tuple[Iterator[ast.AST], _Context]] = [
        (iter(tree.body), ((), None, "", bool(wanted)))
    ]
    table = _FIELDS
    holders = _STATEMENT_HOLDERS
    function_classes = (ast.FunctionDef, ast.AsyncFunctionDef)
    simple = _SIMPLE_STATEMENTS

    def take(parts: Iterable[ast.AST], statement: ast.AST, scope: Scope, near: bool) -> None:
        """Expression roots of ``statement``: walked now (eager, or on a wanted line), else kept."""
        for part in parts:
            if eager:
                scan_expression(calls, part, scope, subscripts)
                continue
            roots.append((part, scope, statement))
            if near and on_lines(wanted, part, statement):
                scan_expression(calls, part, scope, subscripts)

    while frames:
        statements, context = frames[-1]
        scope, cls, prefix, near = context
        at_module = not scope and cls is None
        for node in statements:
            kind = node.__class__
            if kind in simple:
                if kind is ast.Assign or kind is ast.AnnAssign:
                    assert isinstance(node, (ast.Assign, ast.AnnAssign))
                    if cls is not None and not scope:
                        if isinstance(node.value, ast.Call) and (
                            eager or (near and on_lines(wanted, node, node))
                        ):
                            pending.append((len(calls), node, scope))
                    else:
                        _assignment(mod, node, scope, binds if at_module else None)
                elif kind is ast.Import or kind is ast.ImportFrom:
                    assert isinstance(node, (ast.Import, ast.ImportFrom))
                    imports.add(node, keep_first=True)
                    if at_module:
                        binds.append(node)
                    continue
                elif kind in _TYPE_ALIAS:
                    name = getattr(node, "name", None)
                    value = getattr(node, "value", None)
                    if at_module and isinstance(name, ast.Name) and isinstance(value, ast.expr):
                        binds.append((name.id, value))
                # no statements inside: the statement itself is the root of its expressions
                if eager:
                    scan_expression(calls, node, scope, subscripts)
                else:
                    roots.append((node, scope, node))
                    if near and on_lines(wanted, node, node):
                        scan_expression(calls, node, scope, subscripts)
                continue
            inner_near = near and on_lines(wanted, node, node)
            if kind in function_classes:
                assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                qual = prefix + node.name
                mod.functions.append(FunctionInfo(node, qual, cls, scope))
                if at_module:
                    binds.append((node.name, node))
                elif scope:
                    _bind(mod, scope, node.name, ())
                if eager or (near and _signature_on_lines(wanted, node)):
                    pending.append((len(calls), node, scope))
                outer_parts: list[ast.AST] = [*node.decorator_list, node.args]
                if node.returns is not None:
                    outer_parts.append(node.returns)
                take(outer_parts, node, scope, near)
                frames.append(
                    (iter(node.body), (scope + (node,), None, qual + ".", inner_near))
                )
                break
            if kind is ast.ClassDef:
                assert isinstance(node, ast.ClassDef)
                mod.classes.append(node)
                if at_module:
                    binds.append((node.name, node))
                take([*node.decorator_list, *node.bases, *node.keywords], node, scope, near)
                qual = prefix + node.name
                frames.append((iter(node.body), (scope, node, qual + ".", inner_near)))
                break
            if kind is ast.If and at_module:
                assert isinstance(node, ast.If)
                if is_type_checking_test(imports, node.test):
                    type_checking.add(id(node.test))
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
                frames.append((iter(nested), (scope, cls, prefix, inner_near)))
                break
        else:
            frames.pop()
    mod.top_imports = list(
        module_level_imports(tree, lambda test: id(test) in type_checking, runtime=False)
    )
    _bind_module_level(mod, binds)
    if eager or wanted:
        ANNOTATED_CANDIDATES.put(mod, subscripts)
        find_markers(mod, pending, calls)
    return mod


# a block's context in ``build_module``: (scope, class, qualname prefix, near a wanted line)
_Context = tuple[Scope, Optional[ast.ClassDef], str, bool]
# a module-level binding: (name, value) or an import statement
_Bind = Union[tuple[str, ast.AST], ImportStmt]


def _bind_module_level(mod: ModuleInfo, binds: list[_Bind]) -> None:
    """Fill ``toplevel`` and ``type_checking_names`` from the bindings, in source order.

    An import under ``if TYPE_CHECKING:`` binds nothing at run time: its names
    are recorded as type-checking names unless already bound.
    """
    under_type_checking = {id(stmt): flag for stmt, flag in mod.top_imports}
    toplevel = mod.toplevel
    type_checking_names = mod.type_checking_names
    for bind in binds:
        if bind.__class__ is tuple:
            assert isinstance(bind, tuple)
            name, value = bind
            toplevel[name] = value
            continue
        assert isinstance(bind, (ast.Import, ast.ImportFrom))
        in_tc = under_type_checking[id(bind)]
        for alias in bind.names:
            local = alias.asname or alias.name.split(".", 1)[0]
            if alias.name == "*":
                continue
            if in_tc:
                if local not in toplevel:
                    type_checking_names.add(local)
            else:
                toplevel[local] = bind
                type_checking_names.discard(local)


def _signature_on_lines(lines: list[int], node: FunctionNode) -> bool:
    """Does the parameter list of ``node`` (from its ``def`` line to its first body
    line) span one of ``lines``?  Its markers can only be written there."""
    index = bisect.bisect_left(lines, node.lineno)
    return index < len(lines) and lines[index] <= node.body[0].lineno


_TYPE_ALIAS: tuple[type[ast.AST], ...] = (
    (getattr(ast, "TypeAlias"),) if hasattr(ast, "TypeAlias") else ()
)


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
    binds: Optional[list[_Bind]],
) -> None:
    """Bind the plain names an assignment targets (every assignment of the
    module, function locals included, comes through here); at module level
    (``binds`` given) also as module-level bindings."""
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
        if binds is not None:
            binds.append((target.id, value))


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


__all__ = [
    "BLOCK_FIELDS",
    "DEPENDENCIES_CONSTRUCTORS",
    "DEPENDENCIES_METHODS",
    "HTTP_VERBS",
    "MARKER_WORDS",
    "ROUTE_DECORATORS",
    "ROUTE_REGISTRARS",
    "DependenciesList",
    "FunctionInfo",
    "FunctionNode",
    "MarkerUse",
    "ModuleInfo",
    "RouteRegistration",
    "Scope",
    "annotated_parts",
    "bound_in_scope",
    "build_module",
    "def_key",
    "is_generator",
    "is_type_checking_test",
    "iter_params",
    "keyword",
    "lines_holding",
    "marker_lines",
    "marker_target",
    "nodes_within",
    "own_node_list",
    "own_nodes",
    "short_source",
]
