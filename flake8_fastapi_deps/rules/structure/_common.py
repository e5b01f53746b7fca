"""Analyses several FAD3xx rules share, computed once per module (or project)."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Optional

from ...catalogue import (
    APP_CLASSES,
    DECLARATIVE_BASES,
    DECLARATIVE_FACTORIES,
    PYDANTIC_BASES,
    ROUTER_CALL_NAMES,
    SQLMODEL_BASES,
)
from ...memo import Slot
from ...model import ModuleInfo, Scope, iter_params, keyword
from ...project import ClassSym, ExternalSym, Project, Symbol, ValueSym

if TYPE_CHECKING:
    from ...context import FileContext

# Whole-project text searches (FAD304, FAD305, FAD306), done together in one pass
# over the files: ``ImportGraph.files_matching`` wants this one shared dict.
PROJECT_TEXT = {
    "fastapi": re.compile(r"^[ \t]*(?:from|import)[ \t]+fastapi\b", re.M),
    "middleware": re.compile(r"add_middleware|\.middleware\s*\("),
    "include_router": re.compile(r"include_router"),
    "mount": re.compile(r"\.mount\s*\(|\bMount\s*\("),
}

# (module path, name) of a module-level app or router; one local to a function is
# named "<function qualname>.<name>"
RouterKey = tuple[Optional[str], str]

Creation = tuple[ast.Call, Scope, bool]  # a FastAPI(...)/APIRouter(...) call, its scope, is_app

_CREATIONS: Slot[list[Creation]] = Slot("fad3_creations")
# class position -> "orm", "schema" or None
_KINDS: Slot[dict[tuple[int, int], Optional[str]]] = Slot("fad3_kinds")


# ----------------------------------------------------------------------------- apps and routers


def creations(ctx: FileContext) -> list[Creation]:
    """Every ``FastAPI(...)``/``APIRouter(...)`` call in the module: (call, scope, is_app)."""
    return _CREATIONS.of(ctx.module, lambda: router_creations(ctx.project, ctx.module))


def router_creations(project: Project, mod: ModuleInfo) -> list[Creation]:
    """:func:`creations` of any module, not kept."""
    names = ROUTER_CALL_NAMES | {c.rsplit(".", 1)[-1] for c in project.options.router_classes}
    found: list[Creation] = []
    for call, scope in mod.calls:
        func = call.func
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if last is None:
            continue
        if last not in names and not _local_class(mod, func):
            continue
        sym = project.resolve(mod, func, scope)
        if project.is_router_class(sym):
            found.append((call, scope, _is_app_class(project, sym)))
    return found


def _local_class(mod: ModuleInfo, func: ast.expr) -> bool:
    """Calls a class of this module (which may subclass APIRouter/FastAPI)."""
    return isinstance(func, ast.Name) and isinstance(mod.toplevel.get(func.id), ast.ClassDef)


def _is_app_class(project: Project, sym: Optional[Symbol]) -> bool:
    if isinstance(sym, ExternalSym):
        return sym.name in APP_CLASSES
    if isinstance(sym, ClassSym):
        return any(
            isinstance(b, ExternalSym) and b.name in APP_CLASSES for b in project.class_bases(sym)
        )
    return False


def made_by(
    project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope
) -> Optional[tuple[RouterKey, ast.Call]]:
    """The key and the making call of the router (or app) ``expr`` names, when it is
    assigned once from a call: a module-level name (also imported from another project
    module) or a local of an enclosing function.  ``app.router`` is the app's."""
    if isinstance(expr, ast.Attribute):
        sym = project.resolve(mod, expr, scope)  # module.router
        if isinstance(sym, ValueSym) and isinstance(sym.value, ast.Call):
            return (sym.module.path, sym.name), sym.value
        if expr.attr != "router":
            return None
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    for func in reversed(scope):
        if any(p.arg == expr.id for p, _ in iter_params(func)):
            return None
        values = mod.assignments.get(id(func), {}).get(expr.id)
        if values is not None:
            owner = mod.function_info(func)
            if len(values) != 1 or not isinstance(values[0], ast.Call) or owner is None:
                return None
            return (mod.path, f"{owner.qualname}.{expr.id}"), values[0]
    sym = project.resolve(mod, expr)
    if isinstance(sym, ValueSym) and isinstance(sym.value, ast.Call):
        return (sym.module.path, sym.name), sym.value
    return None


# ----------------------------------------------------------------------------- models


def model_kind(project: Project, mod: ModuleInfo, node: ast.ClassDef) -> Optional[str]:
    """"orm" (SQLAlchemy declarative / SQLModel table), "schema" (Pydantic model) or None."""
    kinds = _KINDS.of(mod, dict)
    key = (node.lineno, node.col_offset)
    if key in kinds:
        return kinds[key]
    kind = kinds[key] = _compute_kind(project, mod, node)
    return kind


def _compute_kind(project: Project, mod: ModuleInfo, node: ast.ClassDef) -> Optional[str]:
    externals: set[str] = set()
    orm = False
    for base in project.class_bases(ClassSym(mod, node)):
        if isinstance(base, ExternalSym):
            externals.add(base.name)
        elif isinstance(base, ValueSym) and _is_declarative_factory(project, base):
            orm = True
    if externals & SQLMODEL_BASES:
        table = keyword(node, "table")
        if isinstance(table, ast.Constant) and table.value is True:
            return "orm"
        if table is not None:
            return None  # table=<expression>: cannot tell
        return "schema"
    if orm or externals & DECLARATIVE_BASES:
        return "orm" if _is_mapped(project, mod, node) else None
    if externals & PYDANTIC_BASES:
        return "schema"
    return None


def _is_mapped(project: Project, mod: ModuleInfo, node: ast.ClassDef) -> bool:
    """A declarative class that maps a table: not the ``Base`` itself, not ``__abstract__``."""
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__abstract__" for t in stmt.targets
        ):
            return not (isinstance(stmt.value, ast.Constant) and stmt.value.value is True)
    for base in node.bases:
        sym = project.resolve(mod, base)
        if isinstance(sym, ExternalSym) and sym.name in DECLARATIVE_BASES:
            return False  # class Base(DeclarativeBase): the base, not a model
    return True


def _is_declarative_factory(project: Project, value: ValueSym) -> bool:
    """``Base = declarative_base()`` (or ``registry().generate_base()``)."""
    expr = value.value
    if not isinstance(expr, ast.Call):
        return False
    if isinstance(expr.func, ast.Attribute) and expr.func.attr == "generate_base":
        return True
    return project.canonical(value.module, expr.func) in DECLARATIVE_FACTORIES
