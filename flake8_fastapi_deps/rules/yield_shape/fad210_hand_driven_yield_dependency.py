"""FAD210: a yield dependency driven by hand: ``next(dep())``, ``for x in dep()``, ``with dep()``.

Outside FastAPI nothing drives the generator's exit protocol: its cleanup runs
at once, at garbage collection, or never.  Test files are not checked.

A yield dependency is one declared in a ``Depends`` anywhere in the project
(:func:`~flake8_fastapi_deps.facts.yield_flow.is_yield_dependency`), one reached
only through a wrapper dependency that delegates to it (``yield from dep()``,
``with contextmanager(dep)() as x: yield x``, :func:`_delegated`), and, for
``next(dep())``/``anext(dep())``/``dep().__next__()`` alone, a generator that is
one by shape: it yields a session or connection it opened and closes it after
the ``yield`` (:func:`_by_shape`, the opener list in
:mod:`~flake8_fastapi_deps.facts.sessions`).  A ``next(name())`` makes a
FastAPI-free file worth reading (:func:`wants`).
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
from ...catalogue import CONTEXT_MANAGER_DECORATORS, NOT_DEPENDENCY_DECORATORS
from ...facts.functions import function_facts
from ...facts.sessions import yielded_resource, yields_managed_resource
from ...facts.yield_flow import is_yield_dependency, yield_dependencies
from ...index.scan import FactKey, declare_text_fact
from ...memo import Slot
from ...model import BLOCK_FIELDS, FunctionInfo, ModuleInfo, Scope, lines_holding
from ...names import dotted
from ...options import Options
from ...project import FuncSym, Project, Symbol, ValueSym
from ..structure._common import PROJECT_TEXT

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD210",
    "hand-driven-yield-dependency",
    "{form} drives a yield dependency by hand: {why}; open the resource directly",
    "A yield dependency driven by hand: next(dep()), for x in dep(), with dep().",
)


# ``next(get_db())``: a FastAPI-free file holding one is worth reading (a by-shape generator)
_NEXT_OF_CALL = re.compile(r"\ba?next\(\s*[\w.]+\(\s*\)\s*\)")
_DUNDER_NEXT_CALL = ("().__next__(", "().__anext__(")
# a wrapper's delegation written out: ``yield from name(``, ``contextmanager(name)``
_DELEGATION = re.compile(rb"yield\s+from\s+([\w.]+)\s*\(|contextmanager\(\s*([\w.]+)\s*\)")
_DEFINED = re.compile(rb"\bdef\s+(\w+)")
# how many files naming a delegation are looked at for one generator
_MAX_WRAPPER_FILES = 16


def _mentions_next_of_call(text: str) -> bool:
    """Does the text hold ``next(name())``, ``anext(name())`` or ``name().__next__(``?"""
    if "next(" not in text and "next__(" not in text:
        return False
    return _NEXT_OF_CALL.search(text) is not None or any(w in text for w in _DUNDER_NEXT_CALL)


def wants(project: Project, path: Optional[str], text: str, options: Options) -> bool:
    """FastAPI-free files that may drive a by-shape yield dependency: ``next(get_db())``."""
    return _mentions_next_of_call(text)


# (names the file delegates to, names of the functions it defines)
_Delegations = tuple[frozenset[str], frozenset[str]]


def _delegations(data: bytes) -> Optional[_Delegations]:
    """The last names a file's code delegates to (``yield from get_db()``), if any, and the
    functions it defines (one of which must be a yield dependency for it to count)."""
    if b"yield from" not in data and b"contextmanager(" not in data:
        return None
    found = frozenset(
        (m.group(1) or m.group(2)).rsplit(b".", 1)[-1].decode("ascii", "replace")
        for m in _DELEGATION.finditer(data)
    )
    if not found:
        return None
    defined = frozenset(m.group(1).decode("ascii", "replace") for m in _DEFINED.finditer(data))
    return found, defined


_DELEGATION_FILES: FactKey[_Delegations] = declare_text_fact("fad210-wrappers", _delegations)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test:
        return
    local = {info.name for info in yield_dependencies(ctx)}
    delegated = _delegated_names(ctx)
    yield from _hand_driven(ctx, local | delegated)
    yield from _next_by_shape(ctx)


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
    if not isinstance(sym, FuncSym):
        return None
    if is_yield_dependency(ctx.project, sym.module, sym.info) or _delegated(ctx, sym):
        return sym.info.name
    return None


# ----------------------------------------------------------------------------- by shape


def _next_by_shape(ctx: FileContext) -> Iterator[Finding]:
    """``next(dep())`` / ``anext(dep())`` / ``dep().__next__()`` where ``dep`` is no declared
    or delegated yield dependency but one by shape, in a FastAPI project."""
    text = ctx.text
    mod = ctx.module
    if text and not _mentions_next_of_call(text):
        return
    if not (mod.imports.imports_fastapi() or _fastapi_project(ctx.project)):
        return  # a generator is a yield dependency by shape only where FastAPI runs
    if text:
        calls = mod.calls_near(lines_holding(text, ["next(", "next__("]))
    else:
        calls = mod.calls
    for call, scope in calls:
        func = call.func
        inner: Optional[ast.expr] = None
        if isinstance(func, ast.Name) and func.id in BUILTIN_NEXT and len(call.args) == 1:
            if is_builtin(mod, func.id, scope):
                inner = call.args[0]
        elif isinstance(func, ast.Attribute) and func.attr in DUNDER_NEXT:
            inner = func.value
        if not isinstance(inner, ast.Call) or not isinstance(inner.func, (ast.Name, ast.Attribute)):
            continue
        sym: Optional[Symbol] = ctx.resolve(inner.func, scope)
        if not isinstance(sym, FuncSym) or not _by_shape(ctx.project, sym):
            continue
        if is_yield_dependency(ctx.project, sym.module, sym.info) or _delegated(ctx, sym):
            continue  # reported by _hand_driven
        if isinstance(func, ast.Attribute):
            form = f"{dotted(inner.func)}().{func.attr}()"
        else:
            form = f"{dotted(func)}({dotted(inner.func)}())"
        is_async = _last_name(func) in ("anext", "__anext__")
        why = (
            "the loop runs its cleanup once it is collected"
            if is_async
            else "its cleanup runs at once"
        )
        yield finding(call, RULE, form=form, func=sym.info.name, why=why)


def _fastapi_project(project: Project) -> bool:
    """Does some file of the project import FastAPI?"""
    if project.root is None:
        return False
    return bool(project.import_graph().files_matching("fastapi", PROJECT_TEXT))


_SHAPES: Slot[dict[int, bool]] = Slot("fad210.by_shape")


def _by_shape(project: Project, sym: FuncSym) -> bool:
    """A generator that yields a session or connection it opened and closes it after the
    ``yield``, not decorated into something else (a context manager, a fixture)."""
    memo = _SHAPES.of(sym.module, dict)
    found = memo.get(id(sym.node))
    if found is None:
        facts = function_facts(sym.module, sym.info)
        found = memo[id(sym.node)] = (
            facts.is_generator
            and not any(name in NOT_DEPENDENCY_DECORATORS for name in facts.decorators(project))
            and yields_managed_resource(project, sym)
            and yielded_resource(project, sym) is not None
        )
    return found


# ----------------------------------------------------------------------------- through a wrapper


def _delegated_names(ctx: FileContext) -> frozenset[str]:
    """Last names a possible wrapper dependency delegates to (``yield from x()``,
    ``contextmanager(x)``): in this file, or in a project file that defines a function
    named like one of the project's generator dependencies."""
    text = ctx.text
    mod = ctx.module
    names: frozenset[str] = frozenset()
    if text and ("yield from" in text or "contextmanager(" in text):
        own = _delegations(text.encode("utf-8", "replace"))
        if own is not None:
            names = own[0]
    if mod.path is None or ctx.project.root is None:
        return names
    facts = ctx.project.facts(_DELEGATION_FILES, near=mod.path)
    if not facts:
        return names
    yield_names = ctx.project.yield_dependency_names(mod.path)
    if not yield_names:
        return names
    memo = _UNIONS.of(ctx.project, dict)
    key = (id(facts), id(yield_names))
    union = memo.get(key)
    if union is None or union[0] is not facts or union[1] is not yield_names:
        if len(memo) > 8:
            memo.clear()
        found: set[str] = set()
        for delegated, defined in facts.values():
            if not defined.isdisjoint(yield_names):
                found.update(delegated)
        union = memo[key] = (facts, yield_names, frozenset(found))
    return names | union[2]


# the delegations of files that may hold a wrapper, per (facts table, generator names)
_UNIONS: Slot[
    dict[tuple[int, int], tuple[dict[str, _Delegations], frozenset[str], frozenset[str]]]
] = Slot("fad210.unions")


_WRAPPED: Slot[dict[int, bool]] = Slot("fad210.delegated")


def _delegated(ctx: FileContext, sym: FuncSym) -> bool:
    """Is the generator reached through a yield dependency that delegates to it?

    The wrapper is a declared yield dependency whose own body holds
    ``yield from sym(...)`` or ``contextmanager(sym)`` / ``asynccontextmanager(sym)``;
    only files whose text names such a delegation to ``sym``'s name are read
    (at most :data:`_MAX_WRAPPER_FILES`).
    """
    memo = _WRAPPED.of(sym.module, dict)
    found = memo.get(id(sym.node))
    if found is not None:
        return found
    memo[id(sym.node)] = False  # (a cycle of wrappers)
    project = ctx.project
    if not function_facts(sym.module, sym.info).is_generator:
        return False
    name = sym.info.name
    modules: list[Optional[ModuleInfo]] = [ctx.module]
    if sym.module is not ctx.module:
        modules.append(sym.module)
    if project.root is not None:
        delegations = project.facts(_DELEGATION_FILES, near=ctx.module.path)
        paths = [path for path, found in delegations.items() if name in found[0]]
        modules.extend(
            project.module(path)
            for path in sorted(paths)[:_MAX_WRAPPER_FILES]
            if path not in (ctx.module.path, sym.module.path)
        )
    result = False
    for mod in modules:
        if mod is None:
            continue
        for info in mod.functions:
            if not function_facts(mod, info).is_generator:
                continue
            if _delegates_to(project, mod, info, sym) and is_yield_dependency(project, mod, info):
                result = True
                break
        if result:
            break
    memo[id(sym.node)] = result
    return result


def _delegates_to(project: Project, mod: ModuleInfo, info: FunctionInfo, sym: FuncSym) -> bool:
    scope = info.parents + (info.node,)
    for node in function_facts(mod, info).body:
        target: Optional[ast.expr] = None
        if isinstance(node, ast.YieldFrom) and isinstance(node.value, ast.Call):
            target = node.value.func
        elif isinstance(node, ast.Call) and len(node.args) == 1:
            if project.canonical(mod, node.func, scope) in CONTEXT_MANAGER_DECORATORS:
                target = node.args[0]
        if isinstance(target, (ast.Name, ast.Attribute)) and _last_name(target) == sym.info.name:
            found = project.resolve(mod, target, scope)
            if isinstance(found, FuncSym) and found.node is sym.node:
                return True
    return False
