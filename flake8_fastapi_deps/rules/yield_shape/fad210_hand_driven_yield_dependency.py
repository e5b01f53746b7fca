"""FAD210: a yield dependency driven by hand: ``next(dep())``, ``for x in dep()``, ``with dep()``.

Outside FastAPI nothing drives the generator's exit protocol: its cleanup runs
at once, at garbage collection, or never.  Test files are not checked.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import BUILTIN_NEXT, DUNDER_NEXT
from ...facts.bindings import is_builtin
from ...facts.yield_flow import is_yield_dependency, yield_dependencies
from ...model import BLOCK_FIELDS, Scope, lines_holding
from ...names import dotted
from ...project import FuncSym, Symbol, ValueSym

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD210",
    "hand-driven-yield-dependency",
    "{form} drives a yield dependency by hand: {why}; open the resource directly",
    "A yield dependency driven by hand: next(dep()), for x in dep(), with dep().",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test:
        return
    yield from _hand_driven(ctx, {info.name for info in yield_dependencies(ctx)})


def _hand_driven(ctx: FileContext, local: set[str]) -> Iterator[Finding]:
    mod = ctx.module
    names = set(local)
    elsewhere: frozenset[str] = frozenset()
    if mod.path is not None:
        elsewhere = ctx.project.yield_dependency_names(mod.path)
        names |= elsewhere
    names.update(
        alias
        for alias, value in mod.toplevel.items()
        if isinstance(value, (ast.Name, ast.Attribute)) and _last_name(value) in names
    )
    if not names:
        return
    text = ctx.text
    if text:
        # only calls written on a line naming one of them can call one (and the
        # rest of the module's call list need not be built)
        # A plain name can only be called if it is bound at module level or by a
        # def in a function (methods are not plain names); an attribute call
        # needs ``.name`` written (whitespace after the dot is not looked for).
        bound = set(mod.toplevel)
        bound.update(mod.imports.names)
        bound.update(f.name for f in mod.functions if f.parents and f.cls is None)
        present = [name for name in names if name in bound and name in text]
        unbound = names.difference(bound)
        if unbound:
            # ``.name``: one regex pass for the project's names (the same set for
            # every file of the folder), a text search for the rest (this file's methods)
            written = (
                {m.group(1) for m in _attribute_pattern(elsewhere).finditer(text)}
                if not unbound.isdisjoint(elsewhere)
                else set()
            )
            present.extend(
                name
                for name in unbound
                if (name in written if name in elsewhere else "." + name in text)
            )
        if not present:
            return
        calls = mod.calls_near(lines_holding(text, present))
    else:
        calls = mod.calls
    candidates: dict[int, Scope] = {}
    candidates_nodes: list[ast.Call] = []
    for call, scope in calls:
        if _last_name(call.func) in names:
            candidates[id(call)] = scope
            candidates_nodes.append(call)
    if not candidates:
        return
    # next(dep()) / anext(dep()) / dep().__next__(): in the same expression
    for call, scope in calls:
        func = call.func
        inner: Optional[ast.expr] = None
        if isinstance(func, ast.Name) and func.id in BUILTIN_NEXT and call.args:
            if is_builtin(mod, func.id, scope):
                inner = call.args[0]
        elif isinstance(func, ast.Attribute) and func.attr in DUNDER_NEXT:
            inner = func.value
        if not isinstance(inner, ast.Call) or id(inner) not in candidates:
            continue
        dep = _yield_dependency_called(ctx, inner, scope)
        if dep is None:
            continue
        if isinstance(func, ast.Attribute):
            form = f"{dotted(inner.func)}().{func.attr}()"
        else:
            form = f"{dotted(func)}({dotted(inner.func)}())"
        is_async = _last_name(func) in ("anext", "__anext__")
        why = "the loop runs its cleanup once it is collected" if is_async else "its cleanup runs at once"
        yield finding(call, RULE, form=form, func=dep, why=why)
    # for x in dep() / async for / with dep() / async with
    lines = sorted({node.lineno for node in candidates_nodes})
    for node in _statements_spanning(mod.tree, lines):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            exprs = [node.iter]
            loop = True
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            exprs = [item.context_expr for item in node.items]
            loop = False
        else:
            continue
        for expr in exprs:
            if not isinstance(expr, ast.Call) or id(expr) not in candidates:
                continue
            dep = _yield_dependency_called(ctx, expr, candidates[id(expr)])
            if dep is None:
                continue
            prefix = "async " if isinstance(node, (ast.AsyncFor, ast.AsyncWith)) else ""
            if loop:
                form = f"{prefix}for ... in {dotted(expr.func)}()"
                why = (
                    "a break or error leaves its cleanup to GC"
                    if prefix
                    else "a break or error skips its exit code"
                )
            else:
                form = f"{prefix}with {dotted(expr.func)}()"
                why = "a generator is not a context manager"
            yield finding(expr, RULE, form=form, func=dep, why=why)


_ATTRIBUTE_PATTERNS: dict[frozenset[str], re.Pattern[str]] = {}


def _attribute_pattern(names: frozenset[str]) -> re.Pattern[str]:
    """``.name`` for any of ``names`` (a whole word), compiled once per name set."""
    found = _ATTRIBUTE_PATTERNS.get(names)
    if found is None:
        if len(_ATTRIBUTE_PATTERNS) > 64:  # one set per project folder: never many
            _ATTRIBUTE_PATTERNS.clear()
        words = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
        found = _ATTRIBUTE_PATTERNS[names] = re.compile(r"\.(%s)\b" % words)
    return found


def _statements_spanning(tree: ast.Module, lines: list[int]) -> Iterator[ast.AST]:
    """Every statement (or clause) of ``tree`` spanning one of the sorted ``lines``.

    Only statement blocks are entered, and only those spanning such a line.
    """
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        first = getattr(node, "lineno", None)
        if first is not None:  # (match_case has no position: look inside)
            index = bisect.bisect_left(lines, first)
            last = getattr(node, "end_lineno", None)
            if index == len(lines) or (last is not None and lines[index] > last):
                continue
        yield node
        for name in BLOCK_FIELDS:
            block = getattr(node, name, None)
            if block.__class__ is list:
                stack.extend(block)


def _last_name(expr: ast.expr) -> Optional[str]:
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return expr.id if isinstance(expr, ast.Name) else None


def _yield_dependency_called(ctx: FileContext, call: ast.Call, scope: Scope) -> Optional[str]:
    """The name of the yield dependency ``call`` calls, if it is one."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    sym: Optional[Symbol] = ctx.resolve(call.func, scope)
    for _ in range(4):  # module-level aliases: get_session = get_db
        if isinstance(sym, ValueSym) and isinstance(sym.value, (ast.Name, ast.Attribute)):
            sym = ctx.project.resolve(sym.module, sym.value)
        else:
            break
    if isinstance(sym, FuncSym) and is_yield_dependency(ctx.project, sym.module, sym.info):
        return sym.info.name
    return None
