"""FAD304 logic-in-pydantic-model: a Pydantic model method that does I/O or runs long."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import (
    DB_SESSION_METHODS,
    DB_SESSION_TYPES,
    HOOK_PREFIXES,
    HTTP_REQUEST_CALLS,
    MODEL_HELPER_DECORATORS,
    MODEL_WORDS,
    OPEN_CALLS,
    PROPERTY_DECORATORS,
)
from ...facts.bindings import is_builtin
from ...facts.functions import function_facts
from ...model import FunctionInfo, FunctionNode, Scope, own_nodes
from ...options import Options
from ...project import Project
from ._common import PROJECT_TEXT, model_kind

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD304",
    "logic-in-pydantic-model",
    "{cls}.{method} {what} inside a Pydantic model; move it to a service function",
    "A Pydantic model method that does I/O or runs long: business logic in a schema.",
    default_on=False,
)


def wants(project: Project, path: Optional[str], text: str, options: Options) -> bool:
    """When FAD304 is selected: FastAPI-free modules that may define Pydantic models."""
    return any(word in text for word in MODEL_WORDS)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test:
        return
    if not (ctx.module.imports.imports_fastapi() or _fastapi_project(ctx.project)):
        return
    limit = ctx.options.max_model_method_statements
    kinds: dict[int, bool] = {}
    for info in ctx.module.functions:
        cls = info.cls
        if cls is None:
            continue
        if id(cls) not in kinds:
            kinds[id(cls)] = model_kind(ctx.project, ctx.module, cls) == "schema"
        if not kinds[id(cls)] or _is_model_helper(ctx, info):
            continue
        io = _io_in(ctx, info)
        if io is not None:
            yield finding(info.node, RULE, cls=cls.name, method=info.name, what=f"does I/O ({io})")
            continue
        count = _statement_count(info.node)
        if count > limit:
            yield finding(
                info.node,
                RULE,
                cls=cls.name,
                method=info.name,
                what=f"runs {count} statements (limit {limit})",
            )


def _fastapi_project(project: Project) -> bool:
    """Does some file of the project use FastAPI?  (Schema modules often do not import it.)"""
    if project.root is None:
        return False
    return bool(project.import_graph().files_matching("fastapi", PROJECT_TEXT))


def _is_model_helper(ctx: FileContext, info: FunctionInfo) -> bool:
    if info.name.startswith(HOOK_PREFIXES):
        return True
    for deco in info.node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Attribute) and target.attr in ("setter", "getter", "deleter"):
            return True
        if (
            isinstance(target, ast.Name)
            and target.id == "property"
            and "property" not in ctx.module.toplevel
        ):
            return True
        name = ctx.canonical(target, info.parents)
        if name is None:
            continue
        if name in PROPERTY_DECORATORS:
            return True
        head, _, last = name.rpartition(".")
        if last in MODEL_HELPER_DECORATORS and head.split(".", 1)[0] in ("pydantic", "sqlmodel"):
            return True
    return False


def _io_in(ctx: FileContext, info: FunctionInfo) -> Optional[str]:
    """What I/O the method's own body does ("await", "open()", ...), or None."""
    sessions = _session_names(ctx, info)
    scope = (*info.parents, info.node)
    for node in function_facts(ctx.module, info).body:
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return "await"
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open" and is_builtin(ctx.module, "open", scope):
            return "open()"
        if isinstance(func, ast.Attribute):
            receiver = func.value
            if (
                isinstance(receiver, ast.Name)
                and receiver.id in sessions
                and func.attr in DB_SESSION_METHODS
            ):
                return f"{receiver.id}.{func.attr}()"
        name = ctx.canonical(func, scope)
        if name in HTTP_REQUEST_CALLS:
            return f"{name}()"
        if name in OPEN_CALLS:
            return f"{name}()"
    return None


def _session_names(ctx: FileContext, info: FunctionInfo) -> set[str]:
    """Parameters typed as a database session, and names bound by ``with Session(...) as s``."""
    found: set[str] = set()
    scope = (*info.parents, info.node)
    for param, _ in info.params:
        ann = param.annotation
        if ann is not None and _is_session_type(ctx, ann, info.parents):
            found.add(param.arg)
    for node in function_facts(ctx.module, info).body:
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if (
                    isinstance(item.optional_vars, ast.Name)
                    and isinstance(item.context_expr, ast.Call)
                    and _is_session_type(ctx, item.context_expr.func, scope)
                ):
                    found.add(item.optional_vars.id)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if _is_session_type(ctx, node.value.func, scope):
                found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def _is_session_type(ctx: FileContext, expr: ast.expr, scope: Scope) -> bool:
    if isinstance(expr, ast.Subscript):  # Optional[Session]
        expr = expr.slice
    if isinstance(expr, ast.BinOp):  # Session | None
        return _is_session_type(ctx, expr.left, scope) or _is_session_type(ctx, expr.right, scope)
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return False
    return ctx.canonical(expr, scope) in DB_SESSION_TYPES


def _statement_count(node: FunctionNode) -> int:
    """Statements the function runs itself (nested blocks counted, docstring not)."""
    count = sum(1 for n in own_nodes(node) if isinstance(n, ast.stmt))
    if ast.get_docstring(node, clean=False) is not None:
        count -= 1
    return count
