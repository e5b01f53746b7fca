"""One flow analysis of yield dependencies: FAD201, FAD202 and FAD207-FAD209 query it.

FastAPI runs a generator dependency as a context manager: the code before its
one ``yield`` runs before the route, the code after it at exit, and an
exception the route raises is thrown into the generator *at the* ``yield``.
For a request-scoped dependency (the default) "exit" is after the response has
been sent (FastAPI <= 0.105 and >= 0.118).

What is a yield dependency (:func:`is_yield_dependency`, the one definition):
a generator function (``yield`` or ``yield from`` in its own body,
:func:`~flake8_fastapi_deps.model.is_generator`) used as a dependency anywhere
in the project, unless a decorator makes it something FastAPI does not drive:
``contextlib.contextmanager``/``asynccontextmanager`` (a context-manager
factory) or ``pytest.fixture``/``pytest_asyncio.fixture`` (a fixture).  Any
other decorator keeps it one: ``staticmethod``/``classmethod`` do not change
what is called, and FastAPI unwraps ``functools.wraps`` wrappers
(``inspect.unwrap``) before asking ``inspect.isgeneratorfunction``.

Two views of one such function, each computed once per function
(:func:`yield_flow`):

* where each yield stands (:func:`yield_sites`): the statements around it,
  whether a ``try``/``finally`` or ``with`` guards it (:attr:`YieldSite.guard`),
  the first cleanup that runs after it normally but not when the route raises
  (:func:`first_skipped`, FAD201), the handlers around it (FAD202);
* how many times each path yields (:class:`YieldCounts`, FAD207) and what runs
  after the yield (FAD208, FAD209).  The path analysis follows
  ``if``/``elif``/``else``, ``try`` (``except``, ``else``, ``finally``),
  ``with``, ``for``/``while`` (with ``else``, ``break``, ``continue``),
  ``match``, ``return`` and ``raise``, counting yields per path.  It reports
  only *certain* shapes: a path that is possible whatever the data, assuming
  each branch can be taken.  Paths it cannot vouch for are followed but marked
  unsure and never reported: a loop going round again (except ``while True``),
  a loop running zero times, the implicit ``else`` of an ``if``/``elif`` chain
  or a ``match`` without a catch-all case (often meant to be exhaustive), a
  not-yet-yielded branch ending in a call that may never return (a helper that
  raises), and every ``except`` handler of a ``try`` whose body yields (the
  route's exception thrown in at the ``yield``: FAD202's ground).  Other
  handlers are entered from the states at the body statements that may raise.
  Branches whose tests contradict an earlier test of the same expression are
  pruned.

Both use one answer to "does this always raise?": :func:`always_raises` for a
block, :func:`never_returns` for a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Union

from ..catalogue import (
    BROAD_EXCEPTIONS,
    LOG_METHODS,
    NO_RETURN_CALLS,
    NO_RETURN_TYPES,
    NOT_DEPENDENCY_DECORATORS,
    RELEASE_NAMES,
)
from ..memo import Slot
from ..model import FunctionInfo, FunctionNode, ModuleInfo, Scope, is_generator, nodes_within
from ..names import dotted
from ..nodes import children
from ..project import FuncSym, Project
from ._yield_paths import PathCount

if TYPE_CHECKING:
    from ..context import FileContext

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

# ----------------------------------------------------------------------------- what is one


def is_yield_dependency(project: Project, mod: ModuleInfo, info: FunctionInfo) -> bool:
    """A generator function FastAPI calls as a dependency (also when declared elsewhere).

    See the module docstring for the decorator rule.
    """
    node = info.node
    if not project.is_dependency(mod, info) or not is_generator(node):
        return False
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if project.canonical(mod, target, info.parents) in NOT_DEPENDENCY_DECORATORS:
            return False
    return True


_YIELD_DEPENDENCIES: Slot[list[FunctionInfo]] = Slot("yield_dependencies")


def yield_dependencies(ctx: FileContext) -> list[FunctionInfo]:
    """The yield dependencies defined in the file (in source order)."""
    if not ctx.may_yield:  # most files have no generator to look at
        return []
    mod = ctx.module
    return _YIELD_DEPENDENCIES.of(
        mod, lambda: [info for info in mod.functions if is_yield_dependency(ctx.project, mod, info)]
    )


# ----------------------------------------------------------------------------- one per function


@dataclass
class YieldCounts:
    """The path analysis of one generator: how often each path yields, what runs after."""

    # FAD207: node -> (problem, "stop"/"yield"); first problem per node wins
    problems: dict[Union[ast.stmt, ast.expr], tuple[str, str]]
    # statements (and compound-statement headers) some sure path reaches after a yield
    after_yield: list[ast.AST]


@dataclass
class YieldFlow:
    """Both views of one yield dependency (see the module docstring)."""

    sites: list[YieldSite]
    counted: bool = False
    counts: Optional[YieldCounts] = None  # None: a shape the path analysis does not model

    def handlers(self) -> list[ast.ExceptHandler]:
        """The ``except`` clauses of every ``try`` whose body holds a yield, each once."""
        seen: set[int] = set()
        found: list[ast.ExceptHandler] = []
        for site in self.sites:
            for frame in site.frames:
                owner = frame.owner
                if not (isinstance(owner, TRY_TYPES) and frame.part == "body"):
                    continue
                for handler in getattr(owner, "handlers"):
                    if id(handler) not in seen:
                        seen.add(id(handler))
                        found.append(handler)
        return found


_FLOWS: Slot[dict[int, YieldFlow]] = Slot("yield_flows")


def yield_flow(ctx: FileContext, info: FunctionInfo) -> YieldFlow:
    """The flow of one function of the file, its yield sites found once."""
    flows = _FLOWS.of(ctx.module, dict)
    found = flows.get(id(info.node))
    if found is None:
        found = flows[id(info.node)] = YieldFlow(yield_sites(info.node))
    return found


def yield_counts(ctx: FileContext, info: FunctionInfo) -> Optional[YieldCounts]:
    """The path analysis of one function of the file, run once; None when not modelled."""
    flow = yield_flow(ctx, info)
    if not flow.counted:
        scope: Scope = info.parents + (info.node,)
        counter = PathCount(info.node, lambda stmt: _may_not_return(ctx, stmt, scope))
        if counter.run():
            flow.counts = YieldCounts(counter.problems, counter.after_yield)
        flow.counted = True
    return flow.counts


# ----------------------------------------------------------------------------- where each yield stands


@dataclass(frozen=True)
class Frame:
    """One level on the way from a function body down to a statement.

    ``block[index]`` is the statement on the path; ``owner`` is the compound
    statement whose ``part`` holds ``block`` (None for the function body).
    """

    owner: Optional[ast.stmt]
    part: str  # "body", "orelse", "finalbody", "handler" or "case"
    block: Sequence[ast.stmt]
    index: int
    handler: Optional[ast.ExceptHandler] = None


@dataclass(frozen=True)
class YieldSite:
    """A ``yield`` / ``yield from`` in a function's own body, with its enclosing statements."""

    node: Union[ast.Yield, ast.YieldFrom]
    frames: tuple[Frame, ...]  # outermost first

    @property
    def stmt(self) -> ast.stmt:
        last = self.frames[-1]
        return last.block[last.index]

    @property
    def guard(self) -> Optional[ast.stmt]:
        """The innermost ``try`` with ``finally`` or ``with`` whose exit runs whatever happens."""
        for frame in reversed(self.frames):
            owner = frame.owner
            if isinstance(owner, TRY_TYPES) and frame.part != "finalbody":
                if getattr(owner, "finalbody", None):
                    return owner
            elif isinstance(owner, WITH_TYPES) and frame.part == "body":
                return owner
        return None


def child_blocks(
    stmt: ast.stmt,
) -> list[tuple[str, Sequence[ast.stmt], Optional[ast.ExceptHandler]]]:
    """The statement blocks of a compound statement: (part, block, handler) each."""
    if isinstance(stmt, (ast.If, *LOOP_TYPES)):
        return [("body", stmt.body, None), ("orelse", stmt.orelse, None)]
    if isinstance(stmt, WITH_TYPES):
        return [("body", stmt.body, None)]
    if isinstance(stmt, TRY_TYPES):
        blocks: list[tuple[str, Sequence[ast.stmt], Optional[ast.ExceptHandler]]] = [
            ("body", getattr(stmt, "body"), None)
        ]
        for handler in getattr(stmt, "handlers"):
            blocks.append(("handler", handler.body, handler))
        blocks.append(("orelse", getattr(stmt, "orelse"), None))
        blocks.append(("finalbody", getattr(stmt, "finalbody"), None))
        return blocks
    cases = getattr(stmt, "cases", None)  # match
    if isinstance(cases, list):
        return [("case", case.body, None) for case in cases]
    return []


def header_exprs(stmt: ast.stmt) -> list[ast.AST]:
    """The expressions a statement evaluates itself (not its nested blocks)."""
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.target, stmt.iter]
    if isinstance(stmt, WITH_TYPES):
        return list(stmt.items)
    if isinstance(stmt, TRY_TYPES) or isinstance(stmt, SCOPE_TYPES):
        return []
    if hasattr(stmt, "cases"):
        subject = getattr(stmt, "subject", None)
        return [subject] if isinstance(subject, ast.AST) else []
    return [stmt]


def _yields_in(roots: list[ast.AST]) -> Iterator[Union[ast.Yield, ast.YieldFrom]]:
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            yield node
        if isinstance(node, SCOPE_TYPES):
            continue
        stack.extend(reversed(children(node)))


def yield_sites(func: FunctionNode) -> list[YieldSite]:
    """Every yield of ``func``'s own body, in source order, with its statement path."""
    found: list[YieldSite] = []
    # (block, owner, part, handler, frames above)
    work: list[tuple[Sequence[ast.stmt], Optional[ast.stmt], str, Optional[ast.ExceptHandler],
                     tuple[Frame, ...]]] = [(func.body, None, "body", None, ())]
    while work:
        block, owner, part, handler, above = work.pop()
        nested = []
        for index, stmt in enumerate(block):
            frames = above + (Frame(owner, part, block, index, handler),)
            for node in _yields_in(header_exprs(stmt)):
                found.append(YieldSite(node, frames))
            for child_part, child, child_handler in child_blocks(stmt):
                if child:
                    nested.append((child, stmt, child_part, child_handler, frames))
        work.extend(reversed(nested))
    found.sort(key=lambda s: (s.node.lineno, s.node.col_offset))
    return found


def catches_route_errors(handler: ast.ExceptHandler) -> bool:
    """Does the handler catch whatever a route may raise (bare, Exception, BaseException)?"""
    kind = handler.type
    if kind is None:
        return True
    items = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(isinstance(i, ast.Name) and i.id in BROAD_EXCEPTIONS for i in items)


def _releases(stmt: ast.stmt) -> bool:
    """Does a simple statement release something (``db.close()``, ``del conn``)?"""
    if isinstance(stmt, ast.Delete):
        return True
    for node in nodes_within((stmt,)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else (
                func.id if isinstance(func, ast.Name) else None
            )
            if name is None or name.lower().lstrip("_") not in RELEASE_NAMES:
                continue
            if name == "reset" and len(node.args) == 1 and not node.keywords:
                continue  # ContextVar.reset(token): the request's context is discarded anyway
            return True
    return False


def _classify(stmt: ast.stmt) -> tuple[str, Optional[ast.stmt]]:
    """("stop", None) ends the path, ("cleanup", s) releases something, else ("other", None)."""
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return "stop", None
    if isinstance(stmt, SCOPE_TYPES):
        return "other", None
    blocks = child_blocks(stmt)
    if blocks:
        for _, block, _ in blocks:
            for inner in block:
                kind, work = _classify(inner)
                if kind == "cleanup":
                    return kind, work
        return "other", None
    return ("cleanup", stmt) if _releases(stmt) else ("other", None)


def first_skipped(site: YieldSite) -> Optional[ast.stmt]:
    """The first statement that runs after the yield normally but not when the route raises.

    None when the yield is guarded (``try``/``finally``, ``with``) or nothing of
    substance follows it.  A ``try`` around the yield with a handler for every
    exception (bare, ``Exception``, ``BaseException``) that does some work is
    the error path's cleanup: the rest of that ``try`` counts as protected.
    When such a handler can end without raising, code after the ``try`` runs on
    both paths (FAD202 reports the handler instead).
    """
    if site.guard is not None:
        return None
    for frame in reversed(site.frames):
        owner = frame.owner
        rest: list[ast.stmt] = list(frame.block[frame.index + 1:])
        covered = False
        if isinstance(owner, TRY_TYPES) and frame.part == "body":
            broad = [h for h in getattr(owner, "handlers") if catches_route_errors(h)]
            if broad:
                if not all(always_raises(h.body) for h in broad):
                    return None
                covered = any(
                    _classify(stmt)[0] == "cleanup" for h in broad for stmt in h.body
                )
            rest.extend(getattr(owner, "orelse"))
        elif isinstance(owner, LOOP_TYPES) and frame.part == "body":
            rest.extend(owner.orelse)
        for stmt in rest:
            kind, work = _classify(stmt)
            if kind == "stop":
                return None
            if kind == "cleanup" and not covered:
                return work
    return None


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


def never_returns(project: Project, sym: FuncSym) -> bool:
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


def no_return_test(project: Project, module: ModuleInfo, scope: Scope) -> NoReturnTest:
    """Calls (in ``scope`` of ``module``) that never return: ``sys.exit`` and the like, and
    project functions that :func:`never_returns`."""

    def test(call: ast.Call) -> bool:
        if not isinstance(call.func, (ast.Name, ast.Attribute)):
            return False
        if project.canonical(module, call.func, scope) in NO_RETURN_CALLS:
            return True
        sym = project.resolve(module, call.func, scope)
        return isinstance(sym, FuncSym) and never_returns(project, sym)

    return test


def _may_not_return(ctx: FileContext, stmt: ast.stmt, scope: Scope) -> bool:
    """Is ``stmt`` a bare call to something that may never return (a helper that raises)?"""
    if not isinstance(stmt, ast.Expr):
        return False
    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
        return False
    if isinstance(func, ast.Name) and func.id == "print" and func.id not in ctx.module.toplevel:
        return False
    sym = ctx.resolve(func, scope) if isinstance(func, (ast.Name, ast.Attribute)) else None
    if isinstance(sym, FuncSym):
        return never_returns(ctx.project, sym)
    return True
