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
from .nodes import BLOCK_FIELDS

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


# Fields of a statement that hold statements (or handlers/cases holding them), in field order.
_STATEMENT_FIELDS: dict[type, tuple[str, ...]] = {}


def _statement_fields(cls: type) -> tuple[str, ...]:
    fields = _STATEMENT_FIELDS.get(cls)
    if fields is None:
        fields = _STATEMENT_FIELDS[cls] = tuple(
            f for f in getattr(cls, "_fields", ()) if f in BLOCK_FIELDS
        )
    return fields


__all__ = ["ImportStmt", "is_main_test", "is_type_checking_test", "module_level_imports"]
