"""Yield dependencies, FAD207-FAD210: shape, work after the ``yield``, hand-driving.

FastAPI runs a generator dependency as a context manager: the code before its
one ``yield`` runs before the route, the code after it at exit.  For a
request-scoped dependency (the default) "exit" is after the response has been
sent (FastAPI <= 0.105 and >= 0.118).  So the generator must yield exactly once
(FAD207), and what it does after the ``yield`` can no longer change the
response (FAD208) or schedule background work (FAD209).  Driving such a
generator by hand outside FastAPI skips that protocol (FAD210).

FAD207-FAD209 share one small path analysis over a function's own statements
(:class:`_Flow`).  It follows ``if``/``elif``/``else``, ``try`` (``except``,
``else``, ``finally``), ``with``, ``for``/``while`` (with ``else``, ``break``,
``continue``), ``match``, ``return`` and ``raise``, counting yields per path.
It reports only *certain* shapes: a path that is possible whatever the data,
assuming each branch can be taken.  Paths it cannot vouch for are followed but
marked unsure and never reported: a loop going round again (except
``while True``), a loop running zero times, the implicit ``else`` of an
``if``/``elif`` chain or a ``match`` without a catch-all case (often meant to be
exhaustive), a not-yet-yielded branch ending in a call that may never return (a
helper that raises), and every ``except`` handler of a ``try`` whose body yields
(the route's exception thrown in at the ``yield``: FAD202's ground).  Other
handlers are entered from the states at the body statements that may raise.
Branches whose tests contradict an earlier test of the same expression are
pruned.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, NamedTuple, Optional, Union

from ..base import Finding, Rule, finding
from ..model import (
    BLOCK_FIELDS,
    FunctionInfo,
    ModuleInfo,
    Scope,
    annotated_parts,
    is_generator,
    iter_params,
    keyword,
    lines_holding,
    nodes_within,
)
from ..names import dotted
from ..nodes import node_key
from ..project import ClassSym, ExternalSym, FuncSym, Symbol, ValueSym

if TYPE_CHECKING:
    from ..context import FileContext

FAD207 = Rule(
    "FAD207",
    "malformed-yield-dependency",
    "{func} {problem}; yield exactly once (generator didn't {what})",
    "A yield dependency that can yield twice, or finish without yielding.",
)
FAD208 = Rule(
    "FAD208",
    "http-exception-after-yield",
    "{exc} after {func}'s yield: the response is already sent; raise it before the yield",
    "HTTPException raised after the yield of a request-scoped yield dependency.",
)
FAD209 = Rule(
    "FAD209",
    "background-task-after-yield",
    "{call}() after {func}'s yield is silently dropped; add the task before the yield",
    "A yield dependency adds a background task after its yield.",
)
FAD210 = Rule(
    "FAD210",
    "hand-driven-yield-dependency",
    "{form} drives a yield dependency by hand: {why}; open the resource directly",
    "A yield dependency driven by hand: next(dep()), for x in dep(), with dep().",
)
RULES = (FAD207, FAD208, FAD209, FAD210)

HTTP_EXCEPTION = "fastapi.HTTPException"
BACKGROUND_TASKS = "fastapi.BackgroundTasks"
# The only decorators a checked yield dependency may carry; any other (contextmanager,
# pytest.fixture, an unknown wrapper) may make it something FastAPI does not drive.
_PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod"})
# Calls known to return: a branch ending in one of these really falls through.
_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"}
)
_NO_RETURN_TYPES = frozenset({"NoReturn", "Never"})
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_MAX_STATES = 256
_MAX_DEPTH = 60
_MAX_ROUNDS = 8


def check(ctx: FileContext) -> Iterator[Finding]:
    mod = ctx.module
    local: set[str] = set()  # names of this module's yield dependencies
    if ctx.may_yield:  # most files have no generator to look at
        for info in mod.functions:
            if ctx.is_dependency(info) and is_yield_dependency(ctx, mod, info):
                local.add(info.name)
                yield from _check_dependency(ctx, info)
    if not ctx.is_test:
        yield from _hand_driven(ctx, local)


def is_yield_dependency(ctx: FileContext, mod: ModuleInfo, info: FunctionInfo) -> bool:
    """A generator function FastAPI calls as a dependency (also when declared elsewhere).

    ``@contextmanager``/``@asynccontextmanager`` helpers, pytest fixtures and
    generators behind any other decorator (which may turn them into something
    else) are not.
    """
    node = info.node
    if not ctx.project.is_dependency(mod, info) or not is_generator(node):
        return False
    for deco in node.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in _PLAIN_DECORATORS:
            if deco.id not in mod.toplevel and deco.id not in mod.imports.names:
                continue
        return False
    return True


# ----------------------------------------------------------------------------- FAD207-209


def _check_dependency(ctx: FileContext, info: FunctionInfo) -> Iterator[Finding]:
    scope: Scope = info.parents + (info.node,)
    flow = _Flow(info.node, lambda stmt: _may_not_return(ctx, stmt, scope))
    if not flow.run():
        return
    name = info.name
    for node, (problem, what) in flow.problems.items():
        yield finding(node, FAD207, func=name, problem=problem, what=what)
    if not flow.after_yield or _function_scoped(ctx, info):
        return
    tasks = _background_task_params(ctx, info)
    for root in flow.after_yield:
        if isinstance(root, ast.Raise) and root.exc is not None:
            if _is_http_exception(ctx, root.exc, scope):
                target = root.exc.func if isinstance(root.exc, ast.Call) else root.exc
                yield finding(root, FAD208, exc=dotted(target) or "HTTPException", func=name)
        if not tasks:
            continue
        for sub in _own_expr_nodes(root):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and sub.func.attr == "add_task"
                and isinstance(sub.func.value, ast.Name)
                and sub.func.value.id in tasks
            ):
                yield finding(sub, FAD209, call=dotted(sub.func), func=name)


def _function_scoped(ctx: FileContext, info: FunctionInfo) -> bool:
    """Does some visible declaration run this dependency with ``scope="function"``?

    Such a dependency exits before the response is sent, so work after its
    ``yield`` still counts.  A declaration whose ``scope=`` is not a literal
    counts too: when in doubt, say nothing.
    """
    for use, _ in ctx.project.declarations_of(ctx.module, info):
        value = keyword(use.call, "scope")
        if value is None or (isinstance(value, ast.Constant) and value.value == "request"):
            continue
        return True
    return False


def _background_task_params(ctx: FileContext, info: FunctionInfo) -> set[str]:
    """Parameters of ``info`` annotated ``BackgroundTasks`` (also in ``Annotated``), not rebound."""
    mod = ctx.module
    rebound = mod.assignments.get(id(info.node), {})
    found: set[str] = set()
    for param, _ in info.params:
        ann = param.annotation
        if ann is None or param.arg in rebound:
            continue
        parts = annotated_parts(mod.imports, ann)
        if parts:
            ann = parts[0]
        if ctx.canonical(ann, info.parents) == BACKGROUND_TASKS:
            found.add(param.arg)
    return found


def _is_http_exception(ctx: FileContext, exc: ast.expr, scope: Scope) -> bool:
    target = exc.func if isinstance(exc, ast.Call) else exc
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return False
    sym = ctx.resolve(target, scope)
    if isinstance(sym, ExternalSym):
        return sym.name == HTTP_EXCEPTION
    if isinstance(sym, ClassSym):
        return any(
            isinstance(base, ExternalSym) and base.name == HTTP_EXCEPTION
            for base in ctx.project.class_bases(sym)
        )
    return False


def _may_not_return(ctx: FileContext, stmt: ast.stmt, scope: Scope) -> bool:
    """Is ``stmt`` a bare call to something that may never return (a helper that raises)?"""
    if not isinstance(stmt, ast.Expr):
        return False
    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS:
        return False
    if isinstance(func, ast.Name) and func.id == "print" and func.id not in ctx.module.toplevel:
        return False
    sym = ctx.resolve(func, scope) if isinstance(func, (ast.Name, ast.Attribute)) else None
    if isinstance(sym, FuncSym):
        return _always_raises(sym)
    return True


def _always_raises(sym: FuncSym) -> bool:
    node = sym.node
    returns = node.returns
    if returns is not None:
        name = dotted(returns) if not isinstance(returns, ast.Constant) else str(returns.value)
        if name is not None and name.rsplit(".", 1)[-1] in _NO_RETURN_TYPES:
            return True
    return bool(node.body) and isinstance(node.body[-1], ast.Raise)


# ----------------------------------------------------------------------------- path analysis


class _State(NamedTuple):
    n: int  # yields on this path so far (a path stops at the second)
    first: tuple[int, int]  # (line, col) of the first yield, (0, 0) before it
    conds: frozenset[tuple[tuple[object, ...], bool]]  # outcomes of repeated tests taken so far
    sure: bool  # the path is possible whatever the data (see the module docstring)


@dataclass
class _Out:
    """What running a block does to the incoming states, by way of leaving it."""

    normal: set[_State] = field(default_factory=set)
    returns: set[tuple[_State, ast.Return]] = field(default_factory=set)
    breaks: set[_State] = field(default_factory=set)
    continues: set[_State] = field(default_factory=set)

    def add_jumps(self, other: _Out) -> None:
        self.returns |= other.returns
        self.breaks |= other.breaks
        self.continues |= other.continues


class _GiveUp(Exception):
    """The function has a shape the analysis does not model: report nothing."""


_Node = Union[ast.stmt, ast.expr]


def _unsure(states: Iterable[_State]) -> set[_State]:
    return {s._replace(sure=False) for s in states}


class _Flow:
    """Yield counting along the paths of one generator function."""

    def __init__(
        self,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        may_not_return: Callable[[ast.stmt], bool],
    ) -> None:
        self.func = func
        self.may_not_return = may_not_return
        self.tracked = _repeated_tests(func)
        # FAD207: node -> (problem, "stop"/"yield"); first problem per node wins
        self.problems: dict[_Node, tuple[str, str]] = {}
        # statements (and compound-statement headers) some sure path reaches after a yield
        self.after_yield: list[ast.AST] = []
        self._marked: set[int] = set()
        self._depth = 0
        # per enclosing try with handlers: states at the points where its body may raise
        self._sinks: list[set[_State]] = []

    def run(self) -> bool:
        """Analyse; False when the function is outside what the analysis models."""
        if any(isinstance(n, ast.YieldFrom) for n in _own_nodes(self.func.body)):
            return False  # delegation: how often it yields is unknown
        start = _State(0, (0, 0), frozenset(), True)
        try:
            out = self.block(self.func.body, {start}, branch=True)
        except _GiveUp:
            self.problems.clear()
            self.after_yield.clear()
            return False
        returns = sorted(out.returns, key=lambda item: (item[1].lineno, item[1].col_offset))
        for state, node in returns:
            if state.sure and state.n == 0:
                self.problems.setdefault(node, ("returns before yielding", "yield"))
        if any(s.sure and s.n == 0 for s in out.normal):
            self.problems.setdefault(self.func, ("can end without yielding", "yield"))
        return True

    # ---------------------------------------------------------------- blocks

    def block(self, stmts: list[ast.stmt], states: set[_State], branch: bool = False) -> _Out:
        out = _Out()
        current = states
        for stmt in stmts:
            if not current:
                break
            result = self.stmt(stmt, current)
            out.add_jumps(result)
            current = result.normal
        if branch and current and stmts and self.may_not_return(stmts[-1]):
            # maybe a helper that always raises: not a certain way to end unyielded
            current = {s._replace(sure=False) if s.n == 0 else s for s in current}
        out.normal = _normalize(current)
        return out

    def stmt(self, stmt: ast.stmt, states: set[_State]) -> _Out:
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            raise _GiveUp
        try:
            return self._stmt(stmt, states)
        finally:
            self._depth -= 1

    def _stmt(self, stmt: ast.stmt, states: set[_State]) -> _Out:
        if isinstance(stmt, ast.If):
            return self.if_(stmt, states, chained=False)
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            return self.loop(stmt, [stmt.target, stmt.iter], states, forever=False)
        if isinstance(stmt, ast.While):
            test = stmt.test
            if isinstance(test, ast.Constant) and not test.value:
                self.header(stmt, [test], states)
                return self.block(stmt.orelse, states)
            forever = isinstance(test, ast.Constant) and bool(test.value)
            return self.loop(stmt, [test], states, forever=forever)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            exprs: list[ast.expr] = []
            for item in stmt.items:
                exprs.append(item.context_expr)
                if item.optional_vars is not None:
                    exprs.append(item.optional_vars)
            self.header(stmt, exprs, states)
            return self.block(stmt.body, states)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            return self.try_(stmt, states)
        if type(stmt).__name__ == "Match":
            return self.match(stmt, states)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return _Out(normal=set(states))  # its body runs elsewhere
        if isinstance(stmt, ast.Break):
            return _Out(breaks=set(states))
        if isinstance(stmt, ast.Continue):
            return _Out(continues=set(states))
        # a simple statement: it may yield, then return, raise or go on
        self.mark(stmt, states)
        if self._sinks and _may_raise(stmt):
            self._sinks[-1].update(states)
        after = self.yields(stmt, states)
        if isinstance(stmt, ast.Return):
            return _Out(returns={(s, stmt) for s in after})
        if isinstance(stmt, ast.Raise):
            return _Out()
        return _Out(normal=after)

    # ---------------------------------------------------------------- yields

    def yields(self, node: ast.AST, states: set[_State]) -> set[_State]:
        found = sorted(
            (n for n in _own_nodes([node]) if isinstance(n, ast.Yield)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        for y in found:
            here = (y.lineno, y.col_offset)
            nxt: set[_State] = set()
            for s in states:
                if s.n == 0:
                    nxt.add(s._replace(n=1, first=here))
                    continue
                if s.sure:
                    problem = (
                        "yields again on the next loop round"
                        if s.first == here
                        else f"yields a second time (first on line {s.first[0]})"
                    )
                    self.problems.setdefault(y, (problem, "stop"))
                # the path is broken from here on: stop following it
            states = nxt
        return _normalize(states)

    def header(self, stmt: ast.stmt, exprs: list[ast.expr], states: set[_State]) -> None:
        """Expressions a compound statement evaluates itself: marked, never yielding."""
        if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(exprs)):
            raise _GiveUp
        for expr in exprs:
            self.mark(expr, states)
        if self._sinks and any(_may_raise(expr) for expr in exprs):
            self._sinks[-1].update(states)

    def mark(self, root: ast.AST, states: set[_State]) -> None:
        if id(root) not in self._marked and any(s.sure and s.n >= 1 for s in states):
            self._marked.add(id(root))
            self.after_yield.append(root)

    # ---------------------------------------------------------------- branches

    def assume(self, states: set[_State], test: ast.expr, outcome: bool) -> set[_State]:
        key = _test_key(test)
        if key is None or key[0] not in self.tracked:
            return set(states)
        name, polarity = key
        value = polarity == outcome
        return {
            s._replace(conds=s.conds | {(name, value)})
            for s in states
            if (name, not value) not in s.conds
        }

    def if_(self, stmt: ast.If, states: set[_State], chained: bool) -> _Out:
        self.header(stmt, [stmt.test], states)
        test = stmt.test
        if isinstance(test, ast.Constant):
            taken = stmt.body if test.value else stmt.orelse
            return self.block(taken, states, branch=True)
        body = self.block(stmt.body, self.assume(states, test, True), branch=True)
        rest = self.assume(states, test, False)
        if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If):
            self._depth += 1
            if self._depth > _MAX_DEPTH:
                raise _GiveUp
            try:
                other = self.if_(stmt.orelse[0], rest, chained=True)
            finally:
                self._depth -= 1
        elif stmt.orelse:
            other = self.block(stmt.orelse, rest, branch=True)
        else:
            # no else: the implicit one of an if/elif chain is often believed unreachable
            other = _Out(normal=_unsure(rest) if chained else rest)
        out = _Out(normal=_normalize(body.normal | other.normal))
        out.add_jumps(body)
        out.add_jumps(other)
        return out

    def match(self, stmt: ast.stmt, states: set[_State]) -> _Out:
        subject: ast.expr = getattr(stmt, "subject")
        cases: list[ast.AST] = getattr(stmt, "cases")
        self.header(stmt, [subject], states)
        out = _Out()
        catch_all = False
        for case in cases:
            guard = getattr(case, "guard", None)
            if guard is not None:
                self.header(stmt, [guard], states)
            result = self.block(getattr(case, "body"), states, branch=True)
            out.normal |= result.normal
            out.add_jumps(result)
            if guard is None and _irrefutable(getattr(case, "pattern")):
                catch_all = True
                break
        if not catch_all:
            out.normal |= _unsure(states)  # usually meant to be exhaustive
        out.normal = _normalize(out.normal)
        return out

    # ---------------------------------------------------------------- loops

    def loop(
        self,
        stmt: ast.For | ast.AsyncFor | ast.While,
        exprs: list[ast.expr],
        states: set[_State],
        forever: bool,
    ) -> _Out:
        self.header(stmt, exprs, states)
        out = _Out()
        ends: set[_State] = set()  # states finishing an iteration
        seen: set[_State] = set()
        pending = set(states)
        rounds = 0
        while pending:
            rounds += 1
            if rounds > _MAX_ROUNDS:
                raise _GiveUp
            seen |= pending
            body = self.block(stmt.body, pending)
            out.returns |= body.returns
            out.breaks |= body.breaks
            finished = body.normal | body.continues
            ends |= finished
            # another round is certain only for `while True`
            again = finished if forever else _unsure(finished)
            pending = {s for s in _normalize(again) if s not in seen and s._replace(sure=True) not in seen}
            _check_size(seen)
        if forever:
            exits: set[_State] = set()
        else:
            exits = _normalize(ends | _unsure(states))  # zero rounds: unsure
        orelse = self.block(stmt.orelse, exits) if stmt.orelse else _Out(normal=exits)
        result = _Out(normal=_normalize(orelse.normal | out.breaks))
        result.returns = out.returns | orelse.returns
        result.breaks = orelse.breaks  # break/continue in the else belong to an outer loop
        result.continues = orelse.continues
        return result

    # ---------------------------------------------------------------- try

    def try_(self, stmt: ast.stmt, states: set[_State]) -> _Out:
        body_stmts: list[ast.stmt] = getattr(stmt, "body")
        handlers: list[ast.ExceptHandler] = getattr(stmt, "handlers")
        orelse_stmts: list[ast.stmt] = getattr(stmt, "orelse")
        final: list[ast.stmt] = getattr(stmt, "finalbody")
        if any(isinstance(n, ast.Yield) for n in _own_nodes(final)):
            raise _GiveUp  # a yield in finally: runs on every exit, too tangled to vouch for
        if handlers:
            self._sinks.append(set())
            try:
                body = self.block(body_stmts, states)
            finally:
                raised = self._sinks.pop()
        else:
            body = self.block(body_stmts, states)
            raised = set()
        if any(isinstance(n, ast.Yield) for n in _own_nodes(body_stmts)):
            # entered before or after the yield, or with the route's exception
            # thrown in at the yield: FAD202's ground, never reported here
            entry = _unsure(
                states | body.normal | body.breaks | body.continues | {s for s, _ in body.returns}
            )
        else:
            # the states at each statement of the body that may raise
            entry = _normalize(raised)
        out = _Out()
        out.returns = set(body.returns)
        out.breaks = set(body.breaks)
        out.continues = set(body.continues)
        if orelse_stmts:
            orelse = self.block(orelse_stmts, body.normal)
            out.normal |= orelse.normal
            out.add_jumps(orelse)
        else:
            out.normal |= body.normal
        for handler in handlers:
            result = self.block(handler.body, entry, branch=True)
            out.normal |= result.normal
            out.add_jumps(result)
        out.normal = _normalize(out.normal)
        if not final:
            return out
        # every way out runs the finally block (which, having no yield, keeps the counts)
        done = _Out()
        normal = self.block(final, out.normal)
        done.normal = normal.normal
        done.add_jumps(normal)
        for kind in ("breaks", "continues"):
            leaving: set[_State] = getattr(out, kind)
            if leaving:
                passed = self.block(final, leaving)
                getattr(done, kind).update(passed.normal)
                done.add_jumps(passed)
        if out.returns:
            passed = self.block(final, {s for s, _ in out.returns})
            done.add_jumps(passed)
            if passed.normal:
                done.returns |= out.returns
        return done


_QUIET_STMTS = (ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)
_QUIET_NODES = (ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del)


def _may_raise(node: ast.AST) -> bool:
    """Can evaluating this simple statement or expression raise? (Name lookups assumed bound.)"""
    if isinstance(node, _QUIET_STMTS):
        return False
    if isinstance(node, (ast.Return, ast.Expr, ast.Assign)):
        return not all(
            n is node or isinstance(n, _QUIET_NODES) for n in _own_nodes([node])
        )
    return True


def _normalize(states: set[_State]) -> set[_State]:
    """Drop an unsure state whose sure twin is present; bound the number of states."""
    kept = {s for s in states if s.sure or s._replace(sure=True) not in states}
    _check_size(kept)
    return kept


def _check_size(states: set[_State]) -> None:
    if len(states) > _MAX_STATES:
        raise _GiveUp


_own_nodes = nodes_within


def _own_expr_nodes(root: ast.AST) -> Iterator[ast.AST]:
    """Like :func:`_own_nodes` for one statement or expression, without entering sub-statements.

    A compound statement's body is marked on its own; only simple statements
    and compound headers are ever passed here.
    """
    return _own_nodes([root])


def _test_key(test: ast.expr) -> Optional[tuple[tuple[object, ...], bool]]:
    """A test as (fingerprint of its positive form, polarity): ``not x`` is (key of x, False)."""
    polarity = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
        polarity = not polarity
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op = test.ops[0]
        negated = {ast.IsNot: ast.Is, ast.NotEq: ast.Eq, ast.NotIn: ast.In}
        positive = negated.get(type(op))
        if positive is not None:
            polarity = not polarity
            op = positive()
        return (type(op).__name__, node_key(test.left), node_key(test.comparators[0])), polarity
    return node_key(test), polarity


def _repeated_tests(func: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[tuple[object, ...]]:
    """Tests (positive form) of two or more ``if`` statements in the function."""
    counts: dict[tuple[object, ...], int] = {}
    for node in _own_nodes(func.body):
        if isinstance(node, ast.If):
            key = _test_key(node.test)
            if key is not None:
                counts[key[0]] = counts.get(key[0], 0) + 1
    return frozenset(k for k, n in counts.items() if n > 1)


def _irrefutable(pattern: ast.AST) -> bool:
    kind = type(pattern).__name__
    if kind == "MatchAs":
        inner = getattr(pattern, "pattern", None)
        return inner is None or _irrefutable(inner)
    if kind == "MatchOr":
        return any(_irrefutable(p) for p in getattr(pattern, "patterns", []))
    return False


# ----------------------------------------------------------------------------- FAD210

_BUILTIN_NEXT = frozenset({"next", "anext"})
_DUNDER_NEXT = frozenset({"__next__", "__anext__"})


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
        if isinstance(func, ast.Name) and func.id in _BUILTIN_NEXT and call.args:
            if _is_builtin(mod, func.id, scope):
                inner = call.args[0]
        elif isinstance(func, ast.Attribute) and func.attr in _DUNDER_NEXT:
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
        yield finding(call, FAD210, form=form, func=dep, why=why)
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
            yield finding(expr, FAD210, form=form, func=dep, why=why)


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
    if isinstance(sym, FuncSym) and is_yield_dependency(ctx, sym.module, sym.info):
        return sym.info.name
    return None


def _is_builtin(mod: ModuleInfo, name: str, scope: Scope) -> bool:
    if name in mod.toplevel or name in mod.imports.names or name in mod.assignments.get(0, {}):
        return False
    for func in scope:
        if name in mod.assignments.get(id(func), {}):
            return False
        if any(param.arg == name for param, _ in iter_params(func)):
            return False
    return True
