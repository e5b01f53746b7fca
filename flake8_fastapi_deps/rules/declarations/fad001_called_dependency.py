"""FAD001 called-dependency: ``Depends(get_db())`` hands FastAPI a value that is not callable.

Also through a module-level name bound once to such a call (``DB = get_db()``
then ``Depends(DB)``), the form bugbear's B008 advice leads to: the call still
runs once, at import, and FastAPI still gets its result."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import CACHE_DECORATORS, NON_CALLABLE_BUILTINS
from ...facts.functions import function_facts
from ...facts.markers import marker_label
from ...model import short_source
from ...module_info import ModuleInfo, Scope
from ...names import dotted
from ...project import ClassSym, FuncSym, Symbol, ValueSym

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD001",
    "called-dependency",
    "{marker}({passed}) {does} ({reason}); pass it uncalled: {marker}({callee})",
    "The dependency is called inside Depends(...) instead of being passed.",
)

_NON_CALLABLE_TYPES = NON_CALLABLE_BUILTINS | {"None"}


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    for use in ctx.module.marker_uses:
        target = use.explicit
        if isinstance(target, (ast.Name, ast.Attribute)):
            yield from _through_name(ctx, use.marker, target, use.scope)
            continue
        if not isinstance(target, ast.Call):
            continue
        callee_name = dotted(target.func)
        if callee_name is None:
            continue
        reason = _not_callable_reason(ctx, ctx.resolve(target.func, use.scope))
        if reason is not None:
            yield finding(
                target, RULE, marker=marker_label(use.marker), passed=f"{callee_name}()",
                does="calls the dependency", callee=callee_name, reason=reason,
            )


def _through_name(
    ctx: FileContext, marker: str, target: ast.expr, scope: Scope
) -> Iterator[Finding]:
    """``Depends(DB)`` where ``DB`` is a module-level name (here or imported) bound
    once, to a call that cannot give a callable: ``DB = get_db()``."""
    sym = ctx.resolve(target, scope)
    if not isinstance(sym, ValueSym) or not isinstance(sym.value, ast.Call):
        return
    call = sym.value
    callee_name = dotted(call.func)
    if callee_name is None:
        return
    reason = _not_callable_reason(ctx, ctx.project.resolve(sym.module, call.func, ()))
    if reason is None or not _bound_once(sym.module, sym.name):
        return
    passed = dotted(target) or sym.name
    yield finding(
        target, RULE, marker=marker_label(marker), passed=passed,
        does=f"passes {sym.name} = {short_source(call)}, the dependency called once at import",
        callee=callee_name, reason=reason,
    )


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _bound_once(mod: ModuleInfo, name: str) -> bool:
    """Is ``name`` bound exactly once in the module (no rebinding at module level,
    in a loop or ``with``, nor through ``global`` in a function)?  Asked only for
    a name a marker passes that is bound to a suspect call, so a walk is fine."""
    count = 0
    stack: list[ast.AST] = list(mod.tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global):
            if name in node.names:
                return False
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            count += node.id == name
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            count += node.name == name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            count += any((a.asname or a.name.split(".")[0]) == name for a in node.names)
        if count > 1:
            return False
        if isinstance(node, _SCOPES):
            # their own names only matter through ``global``
            stack.extend(n for n in ast.walk(node) if isinstance(n, ast.Global))
            continue
        stack.extend(ast.iter_child_nodes(node))
    return count == 1


def _not_callable_reason(ctx: FileContext, sym: Optional[Symbol]) -> Optional[str]:
    """Why calling ``sym`` can never give FastAPI a callable, or None if it might."""
    project = ctx.project
    if isinstance(sym, ClassSym):
        if project.class_method(sym, "__call__") is None and not project.class_has_unknown_base(sym):
            return f"{sym.node.name} instances are not callable"
        return None
    if not isinstance(sym, FuncSym) or sym.info.cls is not None:
        return None
    node = sym.node
    facts = function_facts(sym.module, sym.info)
    if any(name not in CACHE_DECORATORS for name in facts.decorators(project)):
        return None  # an unknown decorator may return anything
    if facts.is_generator:
        kind = "an async generator" if isinstance(node, ast.AsyncFunctionDef) else "a generator"
        return f"{node.name} is {kind} function"
    if isinstance(node, ast.AsyncFunctionDef):
        return f"{node.name} is async, so calling it makes a coroutine"
    if _returns_non_callable(ctx, sym):
        return f"{node.name} returns a value that is not callable"
    return None


def _returns_non_callable(ctx: FileContext, sym: FuncSym) -> bool:
    node = sym.node
    if node.returns is not None:
        return _type_not_callable(ctx, sym, node.returns)
    returns = [n for n in function_facts(sym.module, sym.info).body if isinstance(n, ast.Return)]
    if not returns:
        return False  # falls off the end: FastAPI then uses the annotation; leave it
    return all(n.value is not None and _value_not_callable(ctx, sym, n.value) for n in returns)


def _type_not_callable(ctx: FileContext, sym: FuncSym, ann: ast.expr) -> bool:
    if isinstance(ann, ast.Constant):
        return False  # string annotations: not evaluated here
    base = ann.value if isinstance(ann, ast.Subscript) else ann
    if isinstance(base, ast.Name) and base.id in _NON_CALLABLE_TYPES:
        return base.id not in sym.module.toplevel and base.id not in sym.module.imports.names
    target = ctx.project.resolve(sym.module, base, sym.info.parents)
    if isinstance(target, ClassSym):
        return _reason_for_class(ctx, target)
    return False


def _value_not_callable(ctx: FileContext, sym: FuncSym, value: ast.expr) -> bool:
    if isinstance(value, ast.Constant):
        return value.value is not None
    if isinstance(
        value,
        (ast.JoinedStr, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.ListComp, ast.DictComp,
         ast.SetComp, ast.Compare),
    ):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name) and func.id in NON_CALLABLE_BUILTINS:
            return func.id not in sym.module.toplevel and func.id not in sym.module.imports.names
        made = ctx.project.resolve(sym.module, func, sym.info.parents)
        if isinstance(made, ClassSym):
            return _reason_for_class(ctx, made)
    return False


def _reason_for_class(ctx: FileContext, cls: ClassSym) -> bool:
    return ctx.project.class_method(cls, "__call__") is None and not ctx.project.class_has_unknown_base(
        cls
    )
