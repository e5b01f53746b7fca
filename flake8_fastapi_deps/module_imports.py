"""Module-level import statements of a syntax tree, and the tests of the blocks they sit in.

One walker serves both readers of module-level imports:

* the module model (:func:`flake8_fastapi_deps.model.build_module`) wants every
  import outside functions and classes, each tagged "only under
  ``if TYPE_CHECKING:``";
* the import graph wants only the imports that *run* when the module is
  imported: ``if TYPE_CHECKING:`` bodies and ``if __name__ == "__main__":``
  bodies are skipped, and so is the ``else`` of ``if not TYPE_CHECKING:``.

Which ``if`` tests count as ``TYPE_CHECKING`` is the caller's to say: the
model resolves the test through the module's imports, the graph (which has no
import table for a file it only parses) recognises it by spelling.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Callable, Optional, Union

from .names import Imports
from .nodes import BLOCK_FIELDS, walk

ImportStmt = Union[ast.Import, ast.ImportFrom]


def is_type_checking_test(imports: Optional[Imports], test: ast.expr) -> bool:
    """Is ``test`` (an ``if`` test) ``TYPE_CHECKING``?

    With ``imports`` (the module's import table): the name ``TYPE_CHECKING``, or
    anything the imports make ``typing.TYPE_CHECKING`` (``typing.TYPE_CHECKING``,
    ``t.TYPE_CHECKING`` after ``import typing as t``, an alias of the name, the
    ``typing_extensions`` spelling).  Without (by spelling only): the name
    ``TYPE_CHECKING`` or ``<name>.TYPE_CHECKING`` for any plain name.
    """
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    if imports is not None:
        return imports.canonical(test) == "typing.TYPE_CHECKING"
    return (
        isinstance(test, ast.Attribute)
        and test.attr == "TYPE_CHECKING"
        and isinstance(test.value, ast.Name)
    )


def is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names) and bool(consts)


def module_level_imports(
    tree: ast.Module, type_checking: Callable[[ast.expr], bool], *, runtime: bool
) -> Iterator[tuple[ImportStmt, bool]]:
    """``(statement, under TYPE_CHECKING)`` for the module-level imports, in source order.

    Module-level statements, also inside module-level ``if``/``try``/``with``/
    loops/``match``; never inside functions or classes.  ``type_checking``
    says whether an ``if`` test is ``TYPE_CHECKING`` (it is asked about the
    tests of module-level ``if`` statements, in source order).

    With ``runtime`` only the imports that run on import: not under
    ``if TYPE_CHECKING:`` (its ``else`` does run), not under
    ``if __name__ == "__main__":``, and for ``if not TYPE_CHECKING:`` only its
    body (the flag is then always False).  Without, every such import, with
    the flag set for those in the body of an ``if TYPE_CHECKING:``.
    """
    pending: list[tuple[ast.stmt, bool]] = [(node, False) for node in reversed(tree.body)]
    while pending:
        node, in_tc = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_tc
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.If):
            if type_checking(node.test):
                pending.extend((child, in_tc) for child in reversed(node.orelse))
                if not runtime:
                    pending.extend((child, True) for child in reversed(node.body))
                continue
            if runtime:
                if is_main_test(node.test):
                    pending.extend((child, in_tc) for child in reversed(node.orelse))
                    continue
                test = node.test
                if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                    if type_checking(test.operand):
                        pending.extend((child, in_tc) for child in reversed(node.body))
                        continue
        children: list[ast.stmt] = []
        for name in _statement_fields(node.__class__):
            for child in getattr(node, name, None) or ():
                if isinstance(child, ast.stmt):
                    children.append(child)
                elif isinstance(child, ast.excepthandler) or type(child).__name__ == "match_case":
                    children.extend(getattr(child, "body", ()))
        if children:
            pending.extend((child, in_tc) for child in reversed(children))


# --------------------------------------------------------------------------- execution summary
# What the import simulation (FAD301) needs of a module, in statement order, as
# plain tuples (kept in the persistent store): ``(dynamic, events)``.
#
# * ``dynamic``: the module may bind names the summary cannot see (``globals()``,
#   ``vars()``, ``locals()``, ``exec``, ``setattr``, ``sys.modules[...]``, a module
#   ``__getattr__``): every name is taken as bound.
# * an event is ``(kind, line, col, flags, base, names, binds)``:
#   ``"b"``: the statement at ``line`` binds ``names`` (a def, class, assignment, ...);
#   ``"i"``: ``import names`` (dotted modules); ``"f"``: ``from base import names``.
#   ``binds`` are the names an import binds in the module once it has run.
#   ``flags``: :data:`GUARDED` (inside a ``try`` whose handlers catch
#   ``ImportError``), :data:`CONDITIONAL` (may not run: ``if``/loop/handler bodies).
# Imports that never run on import (functions, classes, ``if TYPE_CHECKING:``,
# ``if __name__ == "__main__":``) are left out, exactly as
# :func:`module_level_imports` leaves them out with ``runtime=True``.
ExecEvent = tuple[str, int, int, int, str, tuple[str, ...], tuple[str, ...]]
ExecSummary = tuple[bool, tuple[ExecEvent, ...]]
GUARDED = 1
CONDITIONAL = 2

_CATCHES_IMPORT_ERROR = frozenset({"ImportError", "Exception", "BaseException"})
# match-statement patterns that bind a name (Python 3.10+; none before)
_CAPTURE_PATTERNS: tuple[type, ...] = tuple(
    getattr(ast, name) for name in ("MatchAs", "MatchStar") if hasattr(ast, name)
)
_MAPPING_PATTERNS: tuple[type, ...] = tuple(
    getattr(ast, name) for name in ("MatchMapping",) if hasattr(ast, name)
)
_DYNAMIC_CALLS = frozenset({"globals", "vars", "locals", "exec", "setattr"})


def execution_summary(
    tree: ast.Module, type_checking: Callable[[ast.expr], bool]
) -> ExecSummary:
    """The module's :data:`ExecSummary` (see above), in one pass over its statements."""
    events: list[ExecEvent] = []
    dynamic = False
    pending: list[tuple[ast.stmt, int]] = [(node, 0) for node in reversed(tree.body)]
    while pending:
        node, flags = pending.pop()
        if isinstance(node, ast.Import):
            names = tuple(a.name for a in node.names)
            binds = tuple(a.asname or a.name.split(".", 1)[0] for a in node.names)
            events.append(("i", node.lineno, node.col_offset, flags, "", names, binds))
            continue
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = tuple(a.name for a in node.names)
            binds = tuple(a.asname or a.name for a in node.names if a.name != "*")
            events.append(("f", node.lineno, node.col_offset, flags, base, names, binds))
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == "__getattr__" and not isinstance(node, ast.ClassDef):
                dynamic = True
            events.append(("b", node.lineno, node.col_offset, flags, "", (node.name,), ()))
            continue
        children: list[tuple[ast.stmt, int]] = []
        heads: list[ast.AST] = []
        if isinstance(node, ast.If):
            if type_checking(node.test):
                children = [(c, flags) for c in node.orelse]
            elif is_main_test(node.test):
                children = [(c, flags) for c in node.orelse]
            elif (
                isinstance(node.test, ast.UnaryOp)
                and isinstance(node.test.op, ast.Not)
                and type_checking(node.test.operand)
            ):
                children = [(c, flags) for c in node.body]
            else:
                heads.append(node.test)
                inner = flags | CONDITIONAL
                children = [(c, inner) for c in (*node.body, *node.orelse)]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            heads.extend(
                [node.target, node.iter] if not isinstance(node, ast.While) else [node.test]
            )
            inner = flags | CONDITIONAL
            children = [(c, inner) for c in (*node.body, *node.orelse)]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            heads.extend(node.items)
            children = [(c, flags) for c in node.body]
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            handlers: list[ast.excepthandler] = getattr(node, "handlers", [])
            body_flags = flags | (GUARDED if any(_catches_import_error(h) for h in handlers) else 0)
            inner = flags | CONDITIONAL
            children = [(c, body_flags) for c in getattr(node, "body", [])]
            for handler in handlers:
                if not isinstance(handler, ast.ExceptHandler):
                    continue
                if handler.name:
                    events.append(
                        ("b", handler.lineno, handler.col_offset, inner, "", (handler.name,), ())
                    )
                children.extend((c, inner) for c in handler.body)
            children.extend((c, inner) for c in getattr(node, "orelse", []))
            children.extend((c, flags) for c in getattr(node, "finalbody", []))
        elif type(node).__name__ == "Match":
            heads.append(getattr(node, "subject"))
            inner = flags | CONDITIONAL
            for case in getattr(node, "cases", []):
                heads.append(case.pattern)
                children.extend((c, inner) for c in case.body)
        else:
            heads.append(node)
        bound: dict[str, None] = {}
        for head in walk(heads):
            if isinstance(head, ast.Name):
                if isinstance(head.ctx, ast.Store):
                    bound.setdefault(head.id, None)
            elif isinstance(head, ast.Call):
                func = head.func
                if isinstance(func, ast.Name) and func.id in _DYNAMIC_CALLS:
                    dynamic = True
            elif isinstance(head, ast.Attribute):
                if head.attr == "modules" and isinstance(head.value, ast.Name) and head.value.id == "sys":
                    dynamic = True
            elif isinstance(head, _CAPTURE_PATTERNS) and getattr(head, "name", None):
                bound.setdefault(getattr(head, "name"), None)
            elif isinstance(head, _MAPPING_PATTERNS) and getattr(head, "rest", None):
                bound.setdefault(getattr(head, "rest"), None)
        if bound:
            events.append(("b", node.lineno, node.col_offset, flags, "", tuple(bound), ()))
        pending.extend(reversed(children))
    if not dynamic:
        dynamic, declared = _dynamic_anywhere(tree)
        if declared:
            events.insert(0, ("b", 0, 0, 0, "", declared, ()))
    return dynamic, tuple(events)


def _catches_import_error(handler: ast.excepthandler) -> bool:
    """Does the handler catch ``ImportError`` (bare, ``Exception``, a tuple holding one)?"""
    kind = getattr(handler, "type", None)
    if kind is None:
        return True
    items = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    for item in items:
        name = item.attr if isinstance(item, ast.Attribute) else getattr(item, "id", None)
        if name in _CATCHES_IMPORT_ERROR:
            return True
    return False


def _dynamic_anywhere(tree: ast.Module) -> tuple[bool, tuple[str, ...]]:
    """What function bodies (which may run on import) bind behind the summary's back:
    whether one calls ``globals()``/``exec``/``setattr(sys.modules...)``, and the
    names declared ``global`` (taken as bound from the start)."""
    names: dict[str, None] = {}
    for node in walk(tree.body):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("globals", "exec"):
                return True, ()
            if (
                isinstance(func, ast.Name)
                and func.id == "setattr"
                and node.args
                and "modules" in ast.dump(node.args[0])
            ):
                return True, ()
        elif isinstance(node, ast.Global):
            names.update(dict.fromkeys(node.names))
    return False, tuple(names)


# Fields of a statement that hold statements (or handlers/cases holding them), in field order.
_STATEMENT_FIELDS: dict[type, tuple[str, ...]] = {}


def _statement_fields(cls: type) -> tuple[str, ...]:
    fields = _STATEMENT_FIELDS.get(cls)
    if fields is None:
        fields = _STATEMENT_FIELDS[cls] = tuple(
            f for f in getattr(cls, "_fields", ()) if f in BLOCK_FIELDS
        )
    return fields


__all__ = [
    "CONDITIONAL", "GUARDED", "ExecEvent", "ExecSummary", "ImportStmt", "execution_summary",
    "is_main_test", "is_type_checking_test", "module_level_imports",
]
