"""Declaration errors, FAD001-FAD005: a dependency declared so that it cannot work."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ..base import Finding, Rule, finding
from ..model import FunctionInfo, annotated_parts, keyword, own_nodes
from ..names import MARKERS, dotted
from ..nodes import node_key
from ..project import ClassSym, ExternalSym, FuncSym, ParamDecl, Symbol, ValueSym
from ._shared import marker_functions, may_name_plain_function

if TYPE_CHECKING:
    from ..context import FileContext

FAD001 = Rule(
    "FAD001",
    "called-dependency",
    "{marker}({callee}()) calls the dependency ({reason}); pass it uncalled: {marker}({callee})",
    "The dependency is called inside Depends(...) instead of being passed.",
)
FAD002 = Rule(
    "FAD002",
    "unwired-dependency",
    "{what}; {fix}",
    "Depends/Security used without calling it, or a function used as a plain default.",
)
FAD003 = Rule(
    "FAD003",
    "direct-call-with-depends-defaults",
    "{callee}() is called without {param}, which then holds a Depends marker; pass {param}",
    "A function with Depends() defaults is called directly, omitting those arguments.",
)
FAD004 = Rule(
    "FAD004",
    "callable-class-as-dependency",
    "{marker}({cls}) builds a new {cls} per request and never runs __call__; "
    "pass an instance: {marker}({cls}(...))",
    "A class with __call__ is passed as a class, so __call__ never runs.",
)
FAD005 = Rule(
    "FAD005",
    "duplicate-dependency",
    "{param} declares {dep} again (as {other} does); both get the same cached value",
    "The same dependency is declared twice in one signature.",
)
RULES = (FAD001, FAD002, FAD003, FAD004, FAD005)

# Decorators that leave a function's call/return behaviour as written.
_TRANSPARENT_DECORATORS = frozenset({"functools.lru_cache", "functools.cache"})
# Builtins whose instances are never callable.
_NON_CALLABLE_BUILTINS = frozenset(
    {"str", "int", "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset",
     "complex", "bytearray"}
)
_NON_CALLABLE_TYPES = _NON_CALLABLE_BUILTINS | {"None"}


def _marker_label(name: Optional[str]) -> str:
    return "Security" if name == "fastapi.Security" else "Depends"


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.mentions_fastapi:
        yield from _called_dependencies(ctx)
        yield from _callable_classes(ctx)
        yield from _unwired(ctx)
        yield from _duplicates(ctx)
    if not ctx.is_test:
        yield from _direct_calls(ctx)


# ----------------------------------------------------------------------------- FAD001


def _called_dependencies(ctx: FileContext) -> Iterator[Finding]:
    for use in ctx.module.marker_uses:
        target = use.explicit
        if not isinstance(target, ast.Call):
            continue
        callee_name = dotted(target.func)
        if callee_name is None:
            continue
        reason = _not_callable_reason(ctx, ctx.resolve(target.func, use.scope))
        if reason is not None:
            yield finding(
                target, FAD001, marker=_marker_label(use.marker), callee=callee_name, reason=reason
            )


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
    for deco in node.decorator_list:
        name = project.canonical(sym.module, deco.func if isinstance(deco, ast.Call) else deco)
        if name not in _TRANSPARENT_DECORATORS:
            return None  # an unknown decorator may return anything
    if _is_generator(node):
        kind = "an async generator" if isinstance(node, ast.AsyncFunctionDef) else "a generator"
        return f"{node.name} is {kind} function"
    if isinstance(node, ast.AsyncFunctionDef):
        return f"{node.name} is async, so calling it makes a coroutine"
    if _returns_non_callable(ctx, sym):
        return f"{node.name} returns a value that is not callable"
    return None


def _is_generator(node: ast.AST) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own_nodes(node))


def _returns_non_callable(ctx: FileContext, sym: FuncSym) -> bool:
    node = sym.node
    if node.returns is not None:
        return _type_not_callable(ctx, sym, node.returns)
    returns = [n for n in own_nodes(node) if isinstance(n, ast.Return)]
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
        if isinstance(func, ast.Name) and func.id in _NON_CALLABLE_BUILTINS:
            return func.id not in sym.module.toplevel and func.id not in sym.module.imports.names
        made = ctx.project.resolve(sym.module, func, sym.info.parents)
        if isinstance(made, ClassSym):
            return _reason_for_class(ctx, made)
    return False


def _reason_for_class(ctx: FileContext, cls: ClassSym) -> bool:
    return ctx.project.class_method(cls, "__call__") is None and not ctx.project.class_has_unknown_base(
        cls
    )


# ----------------------------------------------------------------------------- FAD004


def _callable_classes(ctx: FileContext) -> Iterator[Finding]:
    for use in ctx.module.marker_uses:
        target = use.explicit
        if not isinstance(target, (ast.Name, ast.Attribute)):
            continue
        sym = ctx.resolve(target, use.scope)
        if isinstance(sym, ClassSym) and ctx.project.class_method(sym, "__call__") is not None:
            yield finding(
                target, FAD004, marker=_marker_label(use.marker), cls=dotted(target) or sym.node.name
            )


# ----------------------------------------------------------------------------- FAD002


def _injected_functions(ctx: FileContext) -> list[FunctionInfo]:
    """Request code, plus any function that declares a marker in its signature (cached)."""
    cached = ctx.module.cache.get("fad0_injected")
    if isinstance(cached, list):
        return cached
    wanted = {id(f.node) for f in ctx.request_functions()}
    wanted.update(id(f.node) for f in marker_functions(ctx.project, ctx.module))
    found = [info for info in ctx.module.functions if id(info.node) in wanted]
    ctx.module.cache["fad0_injected"] = found
    return found


def _unwired(ctx: FileContext) -> Iterator[Finding]:
    imports = ctx.module.imports
    routes = ctx.routes
    for info in _injected_functions(ctx):
        for param, default in info.params:
            if default is not None and imports.canonical(default) in MARKERS:
                label = _marker_label(imports.canonical(default))
                yield finding(
                    default,
                    FAD002,
                    what=f"{param.arg}={dotted(default)} is not called, so nothing is injected",
                    fix=f"write {label}(dependency)",
                )
                continue
            parts = annotated_parts(imports, param.annotation)
            for meta in (parts or [])[1:]:
                if imports.canonical(meta) in MARKERS:
                    label = _marker_label(imports.canonical(meta))
                    yield finding(
                        meta,
                        FAD002,
                        what=f"{param.arg}: Annotated[..., {dotted(meta)}] is not called",
                        fix=f"write {label}(dependency)",
                    )
            if id(info.node) in routes and isinstance(default, (ast.Name, ast.Attribute)):
                sym = ctx.resolve(default, info.parents)
                if isinstance(sym, FuncSym):
                    name = dotted(default)
                    yield finding(
                        default,
                        FAD002,
                        what=f"{param.arg}={name} makes a query parameter defaulting to a function",
                        fix=f"write Depends({name})",
                    )
    for name, value in ctx.module.toplevel.items():
        if isinstance(value, ast.Subscript):
            parts = annotated_parts(imports, value)
            for meta in (parts or [])[1:]:
                if imports.canonical(meta) in MARKERS:
                    label = _marker_label(imports.canonical(meta))
                    yield finding(
                        meta,
                        FAD002,
                        what=f"alias {name} uses {dotted(meta)} without calling it",
                        fix=f"write {label}(dependency)",
                    )


# ----------------------------------------------------------------------------- FAD005


def _duplicates(ctx: FileContext) -> Iterator[Finding]:
    for info in _injected_functions(ctx):
        decls = [
            d for d in ctx.project.signature(ctx.module, info)
            if d.marker is not None and d.target is not None
        ]
        if len(decls) < 2:
            continue  # (only these have a cache key: resolve nothing for one)
        seen: dict[tuple[object, ...], ParamDecl] = {}
        for decl in decls:
            key = _cache_key(ctx, decl)
            if key is None:
                continue
            first = seen.get(key)
            if first is None:
                seen[key] = decl
                continue
            label = _marker_label(decl.marker_name)
            dep = f"{label}({dotted(decl.target) if decl.target is not None else ''})"
            yield finding(decl.param, FAD005, param=decl.param.arg, dep=dep, other=first.param.arg)


def _cache_key(ctx: FileContext, decl: ParamDecl) -> Optional[tuple[object, ...]]:
    """FastAPI's per-request cache key for a declaration, when it is knowable."""
    marker = decl.marker
    if marker is None or decl.target is None:
        return None
    use_cache = keyword(marker, "use_cache")
    if use_cache is not None and not (isinstance(use_cache, ast.Constant) and use_cache.value is True):
        return None
    if not isinstance(decl.target, (ast.Name, ast.Attribute)):
        return None  # a call makes a new object each time: a separate cache entry
    sym = ctx.project.resolve(decl.module, decl.target, decl.scope)
    identity: object
    if isinstance(sym, (FuncSym, ClassSym)):
        identity = (sym.module.path, sym.node.lineno, sym.node.col_offset)
    elif isinstance(sym, ExternalSym):
        identity = sym.name
    elif sym is None or isinstance(sym, ValueSym):
        identity = ("text", decl.module.path, dotted(decl.target))
    else:
        return None
    scopes = keyword(marker, "scopes")
    scopes_key = () if scopes is None or _empty(scopes) else node_key(scopes)
    scope = keyword(marker, "scope")
    return (identity, scopes_key, node_key(scope) if scope is not None else ())


def _empty(expr: ast.expr) -> bool:
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return not expr.elts
    return isinstance(expr, ast.Constant) and expr.value is None


# ----------------------------------------------------------------------------- FAD003


def _direct_calls(ctx: FileContext) -> Iterator[Finding]:
    project = ctx.project
    names = _callee_names(ctx)
    if names is not None and not names:
        return  # no function with Depends() defaults can be reached from here
    inside_markers = {id(use.explicit) for use in ctx.module.marker_uses}
    # the same spelling in the same function means the same thing: resolve it once
    meanings: dict[tuple[int, str], Optional[Symbol]] = {}
    for call, scope in ctx.module.calls:
        func = call.func
        if id(call) in inside_markers or not isinstance(func, (ast.Name, ast.Attribute)):
            continue
        if names is not None and (func.id if isinstance(func, ast.Name) else func.attr) not in names:
            continue
        if not may_name_plain_function(ctx.module, func, scope):
            continue  # answered without resolving (which may parse other modules)
        text = dotted(func)
        if text is None:
            continue  # resolves to nothing: not a plain name chain
        key = (id(scope[-1]) if scope else 0, text)
        if key in meanings:
            sym = meanings[key]
        else:
            sym = meanings[key] = ctx.resolve(func, scope)
        if not isinstance(sym, FuncSym) or sym.info.cls is not None or sym.node.decorator_list:
            continue
        if project.is_route(sym.module, sym.node):
            continue
        omitted = _omitted_marker_param(project.signature(sym.module, sym.info), sym, call)
        if omitted is not None:
            yield finding(call, FAD003, callee=dotted(call.func), param=omitted)


def _callee_names(ctx: FileContext) -> Optional[set[str]]:
    """The last names a call can end with to reach a function with marker defaults.

    Such a function is either defined here (undecorated, outside a class, with a
    marker call among its defaults) or in a module the dependency scan saw, which
    publishes those functions' names; it is reached through an import of the
    name itself or of a project module (``deps.get_user()``).  None when a star
    import from the project makes any name possible, or when a whole module is
    imported from outside the folder the scan covered (a project over its budget).
    """
    mod = ctx.module
    markers = {id(use.call) for use in mod.marker_uses}
    names = {
        info.name
        for info in mod.functions
        if info.cls is None
        and not info.node.decorator_list
        and any(default is not None and id(default) in markers for _, default in info.params)
    }
    project = ctx.project
    if project.root is None or mod.path is None:
        return names  # a lone file: calls resolve to its own functions only
    published = project.gate_names(mod.path)
    base = project.scan_base(mod.path).rstrip(os.sep) + os.sep
    for stmt, _ in mod.top_imports:
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            if stmt.level or not project.is_external_module(mod, stmt.module or ""):
                return None
    for local, qualified in mod.imports.names.items():
        if project.is_external_module(mod, qualified):
            continue
        target = project.import_file(mod, qualified)
        if target is not None and not target.startswith(base):
            # Outside the folder the scan covered (a project over its budget):
            # nothing is published about it, so keep the name, or give up on
            # filtering when a whole module is imported.
            if target.endswith(qualified.rsplit(".", 1)[-1] + ".py") or target.endswith(
                os.sep + "__init__.py"
            ):
                return None
            names.add(local)
        elif qualified.rsplit(".", 1)[-1] in published:
            names.add(local)  # from app.deps import get_user [as alias]
        else:
            names |= published  # a project module or package: deps.get_user()
    return names


def _omitted_marker_param(decls: list[ParamDecl], sym: FuncSym, call: ast.Call) -> Optional[str]:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        kw.arg is None for kw in call.keywords
    ):
        return None  # *args / **kwargs may pass anything
    args = sym.node.args
    positional = [*args.posonlyargs, *args.args]
    passed_positionally = {p.arg for p in positional[: len(call.args)]}
    passed = passed_positionally | {kw.arg for kw in call.keywords if kw.arg}
    for decl in decls:
        if decl.via == "default" and decl.param.arg not in passed:
            return decl.param.arg
    return None
