"""FAD304 logic-in-pydantic-model: a method of an API schema model that does I/O.

Only models used as API schemas count (route parameters, ``response_model=``, route
return annotations, and the fields and bases of those, across the project), and only
methods that do I/O: directly, or, when longer than the statement limit, through the
project functions they call.  Length alone is not business logic.
"""

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
from ...markers import annotated_parts
from ...memo import Slot
from ...model import FunctionInfo, FunctionNode, ModuleInfo, Scope, keyword, own_nodes
from ...nodes import walk
from ...options import Options
from ...project import ClassSym, FuncSym, Project
from ._common import PROJECT_TEXT, model_kind

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD304",
    "logic-in-pydantic-model",
    "{cls}.{method} {what} inside a Pydantic model; move it to a service function",
    "A method of an API schema model that does I/O: business logic in a schema.",
    default_on=False,
)

ClassKey = tuple[Optional[str], int, int]  # (module path, line, column) of a class

# The classes used as API schemas anywhere in the project.
_SCHEMAS: Slot[set[ClassKey]] = Slot("fad304_schemas")
_MAX_FIELD_DEPTH = 4  # models reached through fields of fields of ... a route's model
_MAX_SCHEMAS = 2000
_MAX_HELPER_DEPTH = 2  # helpers of helpers a long method reaches I/O through


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
            kinds[id(cls)] = model_kind(
                ctx.project, ctx.module, cls
            ) == "schema" and _class_key(ctx.module, cls) in schema_classes(ctx.project, ctx.module)
        if not kinds[id(cls)] or _is_model_helper(ctx, info):
            continue
        io = _io_in(ctx.project, ctx.module, info)
        if io is not None:
            yield finding(info.node, RULE, cls=cls.name, method=info.name, what=f"does I/O ({io})")
            continue
        count = _statement_count(info.node)
        if count <= limit:
            continue  # a short method that delegates to a helper is what the rule asks for
        through = _io_through_helpers(ctx.project, ctx.module, info, 0)
        if through is not None:
            yield finding(
                info.node,
                RULE,
                cls=cls.name,
                method=info.name,
                what=f"runs {count} statements (limit {limit}) and does I/O through {through}",
            )


# ----------------------------------------------------------------------------- API schemas


def _class_key(mod: ModuleInfo, node: ast.ClassDef) -> ClassKey:
    return (mod.path, node.lineno, node.col_offset)


def schema_classes(project: Project, current: ModuleInfo) -> set[ClassKey]:
    """Classes used as API schemas: the models of route parameters (bodies, not
    dependencies), ``response_model=`` and route return annotations in every project
    module that imports FastAPI (``current`` alone without a project root), then
    the models of their fields and their project base classes, a few levels deep."""
    if project.root is None:
        return _schemas_of([current], project)
    graph = project.import_graph()
    found = _SCHEMAS.get(project)
    if found is None:
        mods = [m for m in map(project.module, graph.files_matching("fastapi", PROJECT_TEXT)) if m]
        found = _SCHEMAS.put(project, _schemas_of(mods, project))
    return found


def _schemas_of(mods: list[ModuleInfo], project: Project) -> set[ClassKey]:
    found: set[ClassKey] = set()
    level: list[ClassSym] = []
    for mod in mods:
        for route in project.routes(mod).values():
            info = mod.function_info(route.func)
            if info is None:
                continue
            exprs: list[ast.expr] = []
            for decl in project.signature(mod, info):
                if decl.marker is None and decl.param.annotation is not None:
                    exprs.append(decl.param.annotation)
            if route.func.returns is not None:
                exprs.append(route.func.returns)
            if isinstance(route.registration, ast.Call):
                model = keyword(route.registration, "response_model")
                if model is not None:
                    exprs.append(model)
            level.extend(_classes_in(project, mod, exprs, info.parents))
    for _ in range(_MAX_FIELD_DEPTH + 1):
        following: list[ClassSym] = []
        for cls in level:
            key = _class_key(cls.module, cls.node)
            if key in found or len(found) >= _MAX_SCHEMAS:
                continue
            found.add(key)
            fields = [s.annotation for s in cls.node.body if isinstance(s, ast.AnnAssign)]
            following.extend(_classes_in(project, cls.module, fields, ()))
            following.extend(b for b in project.class_bases(cls) if isinstance(b, ClassSym))
        level = following
    return found


def _classes_in(
    project: Project, mod: ModuleInfo, exprs: list[ast.expr], scope: Scope
) -> Iterator[ClassSym]:
    """The project classes named in type expressions: ``Item``, ``list[Item]``,
    ``Optional[models.Item]``, ``Item | None``, ``Annotated[Item, Body()]``, ``"Item"``."""
    for expr in exprs:
        parts = annotated_parts(mod.imports, expr)
        if parts:
            expr = parts[0]
        for node in walk([expr]):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.strip()
                if text.isidentifier():
                    node = ast.Name(id=text)
                else:
                    continue
            if isinstance(node, (ast.Name, ast.Attribute)):
                sym = project.resolve(mod, node, scope)
                if isinstance(sym, ClassSym):
                    yield sym


# ----------------------------------------------------------------------------- I/O


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


def _io_in(project: Project, mod: ModuleInfo, info: FunctionInfo) -> Optional[str]:
    """What I/O the function's own body does ("await", "open()", ...), or None."""
    sessions = _session_names(project, mod, info)
    scope = (*info.parents, info.node)
    for node in function_facts(mod, info).body:
        if isinstance(node, ast.Await):
            if isinstance(node.value, ast.Call) and _project_callee(project, mod, info, node.value):
                continue  # awaiting a project helper: I/O through it, if any
            return "await"
        if isinstance(node, (ast.AsyncFor, ast.AsyncWith)):
            return "await"
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open" and is_builtin(mod, "open", scope):
            return "open()"
        if isinstance(func, ast.Attribute):
            receiver = func.value
            if (
                isinstance(receiver, ast.Name)
                and receiver.id in sessions
                and func.attr in DB_SESSION_METHODS
            ):
                return f"{receiver.id}.{func.attr}()"
        name = project.canonical(mod, func, scope)
        if name in HTTP_REQUEST_CALLS:
            return f"{name}()"
        if name in OPEN_CALLS:
            return f"{name}()"
    return None


def _project_callee(
    project: Project, mod: ModuleInfo, info: FunctionInfo, call: ast.Call
) -> Optional[FuncSym]:
    """The project function or method (``self.helper()``, ``cls.helper()``) a call runs."""
    func = call.func
    if (
        info.cls is not None
        and isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("self", "cls")
    ):
        return project.class_method(ClassSym(mod, info.cls), func.attr)
    sym = project.resolve(mod, func, (*info.parents, info.node))
    return sym if isinstance(sym, FuncSym) else None


def _io_through_helpers(
    project: Project, mod: ModuleInfo, info: FunctionInfo, depth: int
) -> Optional[str]:
    """``helper() -> requests.get()``: the project function or method the function calls
    that does I/O (itself or through its own helpers, a few calls deep), or None."""
    seen: set[int] = set()
    for call in function_facts(mod, info).calls:
        callee = _project_callee(project, mod, info, call)
        if callee is None or id(callee.node) in seen or callee.node is info.node:
            continue
        seen.add(id(callee.node))
        label = f"{callee.info.name}()"
        io = _io_in(project, callee.module, callee.info)
        if io is not None:
            return f"{label} -> {io}"
        if depth + 1 < _MAX_HELPER_DEPTH:
            deeper = _io_through_helpers(project, callee.module, callee.info, depth + 1)
            if deeper is not None:
                return f"{label} -> {deeper}"
    return None


def _session_names(project: Project, mod: ModuleInfo, info: FunctionInfo) -> set[str]:
    """Parameters typed as a database session, and names bound by ``with Session(...) as s``."""
    found: set[str] = set()
    scope = (*info.parents, info.node)
    for param, _ in info.params:
        ann = param.annotation
        if ann is not None and _is_session_type(project, mod, ann, info.parents):
            found.add(param.arg)
    for node in function_facts(mod, info).body:
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if (
                    isinstance(item.optional_vars, ast.Name)
                    and isinstance(item.context_expr, ast.Call)
                    and _is_session_type(project, mod, item.context_expr.func, scope)
                ):
                    found.add(item.optional_vars.id)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if _is_session_type(project, mod, node.value.func, scope):
                found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def _is_session_type(project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope) -> bool:
    if isinstance(expr, ast.Subscript):  # Optional[Session]
        expr = expr.slice
    if isinstance(expr, ast.BinOp):  # Session | None
        return _is_session_type(project, mod, expr.left, scope) or _is_session_type(
            project, mod, expr.right, scope
        )
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return False
    return project.canonical(mod, expr, scope) in DB_SESSION_TYPES


def _statement_count(node: FunctionNode) -> int:
    """Statements the function runs itself (nested blocks counted, docstring not)."""
    count = sum(1 for n in own_nodes(node) if isinstance(n, ast.stmt))
    if ast.get_docstring(node, clean=False) is not None:
        count -= 1
    return count
