"""Does this block always raise; does calling this function never return?

One answer for the yield-flow analysis (FAD201, FAD202, FAD207) and the
per-function facts (:attr:`FunctionFacts.never_returns
<flake8_fastapi_deps.facts.functions.FunctionFacts>`).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Callable, Optional

from ..catalogue import NO_RETURN_CALLS, NO_RETURN_TYPES
from ..names import dotted
from ..nodes import children
from ..project import FuncSym, Project

TRY_TYPES: tuple[type[ast.stmt], ...] = (ast.Try,) + (
    (getattr(ast, "TryStar"),) if hasattr(ast, "TryStar") else ()
)
WITH_TYPES = (ast.With, ast.AsyncWith)
LOOP_TYPES = (ast.For, ast.AsyncFor, ast.While)
SCOPE_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# nodes that hold statements (match_case exists from Python 3.10)
_BLOCK_NODES: tuple[type[ast.AST], ...] = (ast.stmt, ast.excepthandler) + (
    (getattr(ast, "match_case"),) if hasattr(ast, "match_case") else ()
)


# ----------------------------------------------------------------------------- always raises


NoReturnTest = Callable[[ast.Call], bool]


def always_raises(block: Sequence[ast.stmt], no_return: Optional[NoReturnTest] = None) -> bool:
    """Does every path through ``block`` end in a raise?

    ``no_return`` tells whether a call never returns (a project helper that
    always raises, :func:`no_return_test`); without it only ``sys.exit`` and
    the like count.
    """
    for stmt in block:
        if _stmtalways_raises(stmt, no_return):
            return True
        if _can_leave(stmt):
            return False
    return False


def _stmtalways_raises(stmt: ast.stmt, no_return: Optional[NoReturnTest]) -> bool:
    if isinstance(stmt, ast.Raise):
        return True
    if isinstance(stmt, ast.If):
        return bool(stmt.orelse) and always_raises(stmt.body, no_return) and always_raises(
            stmt.orelse, no_return
        )
    if isinstance(stmt, WITH_TYPES):
        return always_raises(stmt.body, no_return)
    if isinstance(stmt, TRY_TYPES):
        if always_raises(getattr(stmt, "finalbody"), no_return):
            return True
        handlers = getattr(stmt, "handlers")
        return always_raises(getattr(stmt, "body"), no_return) and all(
            always_raises(h.body, no_return) for h in handlers
        )
    if isinstance(stmt, ast.Expr):
        value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
        if isinstance(value, ast.Call):
            if dotted(value.func) in NO_RETURN_CALLS:
                return True
            return no_return is not None and no_return(value)
    return False


def _can_leave(stmt: ast.stmt) -> bool:
    """Can ``stmt`` leave the enclosing block early (return, or break/continue out of it)?"""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False)]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
            return True
        if isinstance(node, SCOPE_TYPES):
            continue
        if isinstance(node, LOOP_TYPES):
            stack.extend((child, True) for child in node.body)
            stack.extend((child, in_loop) for child in node.orelse)
            continue
        for child in children(node):
            if isinstance(child, _BLOCK_NODES):
                stack.append((child, in_loop))
    return False


def body_never_returns(project: Project, sym: FuncSym) -> bool:
    """Does calling ``sym`` never return: annotated ``NoReturn``/``Never``, or its body always raises?

    The annotation may be a string (``-> "NoReturn"``).  The body is judged by
    :func:`always_raises` alone (no look into the helpers it calls).
    """
    returns = sym.node.returns
    if returns is not None:
        if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
            if returns.value.rsplit(".", 1)[-1] in ("NoReturn", "Never"):
                return True
        elif project.canonical(sym.module, returns, sym.info.parents) in NO_RETURN_TYPES:
            return True
    return always_raises(sym.node.body)
