"""The path analysis behind :func:`.yield_flow.yield_counts`: yield counting along every path.

Its rules (what is followed, what is "sure") are in :mod:`.yield_flow`'s
docstring; only :mod:`.yield_flow` uses this module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Optional, Union

from ..model import nodes_within
from ..nodes import node_key

TRY_TYPES: tuple[type[ast.stmt], ...] = (ast.Try,) + (
    (getattr(ast, "TryStar"),) if hasattr(ast, "TryStar") else ()
)
_MAX_STATES = 256
_MAX_DEPTH = 60
_MAX_ROUNDS = 8


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


class PathCount:
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
        if any(isinstance(n, ast.YieldFrom) for n in nodes_within(self.func.body)):
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
        if isinstance(stmt, TRY_TYPES):
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
            (n for n in nodes_within([node]) if isinstance(n, ast.Yield)),
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
        if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes_within(exprs)):
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
        if any(isinstance(n, ast.Yield) for n in nodes_within(final)):
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
        if any(isinstance(n, ast.Yield) for n in nodes_within(body_stmts)):
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
            n is node or isinstance(n, _QUIET_NODES) for n in nodes_within([node])
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
    for node in nodes_within(func.body):
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
