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
from typing import TYPE_CHECKING, Optional, Union

from ..catalogue import (
    BROAD_EXCEPTIONS,
    LOG_METHODS,
    NO_RETURN_CALLS,
    NOT_DEPENDENCY_DECORATORS,
    RELEASE_NAMES,
)
from ..memo import Slot
from ..model import FunctionInfo, FunctionNode, ModuleInfo, Scope, nodes_within
from ..nodes import children
from ..project import FuncSym, Project
from ._yield_paths import PathCount
from .functions import function_facts
from .raises import LOOP_TYPES, SCOPE_TYPES, TRY_TYPES, WITH_TYPES, NoReturnTest, always_raises

if TYPE_CHECKING:
    from ..context import FileContext

# ----------------------------------------------------------------------------- what is one


def is_yield_dependency(project: Project, mod: ModuleInfo, info: FunctionInfo) -> bool:
    """A generator function FastAPI calls as a dependency (also when declared elsewhere).

    See the module docstring for the decorator rule.
    """
    if not project.is_dependency(mod, info):
        return False
    facts = function_facts(mod, info)
    return facts.is_generator and not any(
        name in NOT_DEPENDENCY_DECORATORS for name in facts.decorators(project)
    )


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


def never_returns(project: Project, sym: FuncSym) -> bool:
    """Does calling ``sym`` never return (:func:`~.raises.body_never_returns`, kept per function)?"""
    return function_facts(sym.module, sym.info).never_returns(project)


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
