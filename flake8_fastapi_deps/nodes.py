"""Fast traversal of syntax trees.

``ast.iter_child_nodes`` asks every node for every field and checks each value;
on a large tree that dominates the cost of a walk.  Here each node class maps,
once, to the fields that can hold child nodes: names, attributes, constants and
``ctx`` markers are leaves.  The walks are iterative (deep code cannot exhaust
the stack), never modify the tree, and yield child nodes in field order, which
is source order, as ``ast.iter_child_nodes`` does.  Expression contexts
(``Load``/``Store``/``Del``) are not yielded: nothing here needs them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import Optional

# Fields whose values are never child nodes (strings, numbers, flags, contexts).
_LEAF_FIELDS = frozenset(
    {
        "ctx",
        "id",
        "attr",
        "arg",
        "name",
        "module",
        "level",
        "type_comment",
        "kind",
        "conversion",
        "is_async",
        "kwd_attrs",  # MatchClass: a list of strings
        "tag",
        "lineno",
    }
)
# Node classes with no child nodes at all (Global/Nonlocal hold lists of strings).
_LEAF_CLASSES: tuple[type, ...] = (
    ast.Constant,
    ast.Name,
    ast.Global,
    ast.Nonlocal,
    ast.expr_context,
) + tuple(getattr(ast, name) for name in ("MatchSingleton",) if hasattr(ast, name))

# fields of a statement or clause that hold statements (or clauses holding them)
BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})

_FIELDS: dict[type, tuple[str, ...]] = {}
_REVERSED: dict[type, tuple[str, ...]] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    """The fields of node class ``cls`` that can hold child nodes, in order."""
    fields = _FIELDS.get(cls)
    if fields is None:
        if issubclass(cls, _LEAF_CLASSES):
            fields = ()
        else:
            fields = tuple(f for f in getattr(cls, "_fields", ()) if f not in _LEAF_FIELDS)
        _FIELDS[cls] = fields
        _REVERSED[cls] = fields[::-1]
    return fields


def reversed_child_fields(cls: type) -> tuple[str, ...]:
    """:func:`child_fields` last to first: push children in this order to pop them in source order."""
    fields = _REVERSED.get(cls)
    if fields is None:
        child_fields(cls)
        fields = _REVERSED[cls]
    return fields


_AST = ast.AST


def children(node: ast.AST) -> list[ast.AST]:
    """The child nodes of ``node`` in source order (``ctx`` markers left out)."""
    fields = _FIELDS.get(node.__class__)
    if fields is None:
        fields = child_fields(node.__class__)
    found: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            found.extend(item for item in value if item is not None)
        elif isinstance(value, _AST):
            found.append(value)
    return found


def walk(roots: Iterable[ast.AST], stop: frozenset[type] = frozenset()) -> Iterator[ast.AST]:
    """``roots`` and every node below them; order unspecified (like ``ast.walk``).

    Nodes whose class is in ``stop`` are yielded but not entered.
    """
    table = _FIELDS
    stack: list[Optional[ast.AST]] = list(roots)  # lists such as Dict.keys hold None
    while stack:
        node = stack.pop()
        if node is None:
            continue
        yield node
        cls = node.__class__
        if cls in stop:
            continue
        fields = table.get(cls)
        if fields is None:
            fields = child_fields(cls)
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                stack.extend(value)
            elif isinstance(value, _AST):
                stack.append(value)


def node_key(node: ast.AST) -> tuple[object, ...]:
    """A hashable fingerprint of ``node``'s structure: equal for equal code, positions ignored.

    Serves where ``ast.dump`` would: ``ast.dump`` builds a recursive closure on
    every call, a reference cycle that only the cyclic garbage collector frees,
    and thousands of those per file made the collector run far more often.
    This walk is iterative and allocates no cycles.  The pre-order sequence of
    class names (each class has a fixed number of fields), list lengths and
    ``repr`` of leaf values is unambiguous; expression contexts are left out.
    """
    out: list[object] = []
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, _AST):
            cls = item.__class__
            out.append(cls.__name__)
            for name in reversed(cls._fields):
                if name != "ctx":
                    stack.append(getattr(item, name, None))
        elif item.__class__ is list:
            out.append(len(item))
            stack.extend(reversed(item))
        else:
            out.append(repr(item))
    return tuple(out)
