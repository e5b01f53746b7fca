"""FAD009: Depends/Security in a function that FastAPI or Starlette calls without injection.

Exception handlers, middleware, event handlers, lifespans and Starlette routes
are called with fixed arguments; a marker default there is never resolved.
The registration may be in another file: the project's files that may
register anything are known from the whole-project text fact
:data:`_REGISTRATION_FILES`, declared with the project scan.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

from ...base import Finding, Rule, finding
from ...catalogue import (
    BASE_HTTP_MIDDLEWARE,
    CONTEXT_MANAGER_DECORATORS,
    HANDLER_HOST_CLASSES,
    MIDDLEWARE_CLASSES,
    STARLETTE_ROUTES,
    TRANSPARENT_DECORATORS,
)
from ...facts.functions import marker_functions
from ...memo import Slot
from ...model import FunctionInfo, ModuleInfo, Scope
from ...names import dotted
from ...project import ClassSym, ExternalSym, FactKey, FuncSym, Project, declare_text_fact

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD009",
    "depends-where-never-injected",
    "{param} of {func} is never injected by {api}; obtain it in the body instead",
    "Depends/Security in a function that FastAPI calls without dependency injection.",
)


# ----------------------------------------------------------------------------- text fact
# Self-contained (bytes in, bytes or None out; nothing else of this module used),
# so that it can move to wherever whole-project facts are declared.

# Text of a file that may register a function with a non-DI API (``in`` tests:
# each is a fast substring search, far cheaper than one regex of alternatives).
_REGISTRATION_WORDS = (
    b".middleware(", b"add_middleware", b"Middleware(", b"exception_handler", b".on_event(",
    b"add_event_handler", b"lifespan=", b"on_startup=", b"on_shutdown=", b"add_route",
    b"websocket_route", b".route(", b"Route(",
)
# Each word above contains one of these: a file with none of them has none of the words
# (8 substring searches instead of 13 for the many files that register nothing).  A word
# added above without a piece here becomes its own piece.
_PIECES = (
    b"iddleware", b"_handler", b"on_event(", b"lifespan=", b"on_startup=", b"on_shutdown=",
    b"_route", b"oute(",
)
_REGISTRATION_PIECES = _PIECES + tuple(
    word for word in _REGISTRATION_WORDS if not any(piece in word for piece in _PIECES)
)


def registration_text(data: bytes) -> Optional[bytes]:
    """The bytes of a file that may register functions with a non-DI API, else None."""
    if (
        (b"fastapi" in data or b"starlette" in data)
        and any(piece in data for piece in _REGISTRATION_PIECES)
        and any(word in data for word in _REGISTRATION_WORDS)
    ):
        return data
    return None


# Project files that may register functions with a non-DI API, with their text: a
# whole-project fact, computed in the scan's one read of every file.
_REGISTRATION_FILES: FactKey[bytes] = declare_text_fact("fad009", registration_text)


# ----------------------------------------------------------------------------- the check


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    mod = ctx.module
    project = ctx.project
    for info in marker_functions(project, mod):
        decls = [
            d for d in project.signature(mod, info)
            if d.marker is not None and not isinstance(d.target, ast.Subscript)
        ]
        if not decls or ctx.is_route(info) or ctx.is_dependency(info):
            continue
        caller = _caller_of(ctx, info)
        if caller is None or caller.keywords is None:
            continue
        skip_self = 1 if info.cls is not None else 0
        positional = [*info.node.args.posonlyargs, *info.node.args.args][skip_self:]
        passed = {p.arg for p in positional[: caller.positional]} | caller.keywords
        for decl in decls:
            if decl.param.arg in passed:
                continue
            node: Union[ast.expr, ast.arg]
            if decl.via == "default" and decl.default is not None:
                node = decl.default
            elif decl.via == "annotated" and decl.marker is not None:
                node = decl.marker
            elif decl.param.annotation is not None:
                node = decl.param.annotation
            else:
                continue
            yield finding(node, RULE, func=info.qualname, api=caller.api, param=decl.param.arg)


# ----------------------------------------------------------------------------- registrations


@dataclass(frozen=True)
class _Caller:
    """How a non-DI API calls a function: positional arguments and keyword names."""

    api: str
    positional: int
    keywords: Optional[frozenset[str]] = frozenset()  # None: **kwargs passed


@dataclass(eq=False)
class _Raw:
    """A registration with a non-DI API, as written (resolved only when needed).

    ``target`` names the registered function or middleware class (or is the
    decorated function itself); ``obj`` is the app/router whose method
    registers it, ``ctor`` the app constructor taking it as a keyword.
    """

    module: ModuleInfo
    target: Union[ast.expr, FunctionInfo]
    scope: Scope
    caller: _Caller
    obj: Optional[ast.expr] = None
    ctor: Optional[ast.Call] = None
    middleware_call: Optional[ast.Call] = None  # add_middleware(...) / Middleware(...)
    inner_decorators: tuple[ast.expr, ...] = ()

    @property
    def name(self) -> Optional[str]:
        if isinstance(self.target, FunctionInfo):
            return self.target.name
        if isinstance(self.target, ast.Attribute):
            return self.target.attr
        return self.target.id if isinstance(self.target, ast.Name) else None


_HANDLER_DECORATORS = {
    "middleware": ("@{obj}.middleware", 2),
    "exception_handler": ("@{obj}.exception_handler", 2),
    "on_event": ("@{obj}.on_event", 0),
    "route": ("@{obj}.route", 1),
    "websocket_route": ("@{obj}.websocket_route", 1),
}
# method -> (label, index of the function argument, its keyword names, positional args it gets)
_HANDLER_METHODS = {
    "add_exception_handler": ("{obj}.add_exception_handler", 1, ("handler",), 2),
    "add_event_handler": ("{obj}.add_event_handler", 1, ("func",), 0),
    "add_route": ("{obj}.add_route", 1, ("route", "endpoint"), 1),
    "add_websocket_route": ("{obj}.add_websocket_route", 1, ("route",), 1),
}
_APP_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown", "exception_handlers"})
_METHODS_CALLED = frozenset({"__init__", "__call__", "dispatch"})

_RAW: Slot[list[_Raw]] = Slot("fad009_raw")  # per module


def _raw_registrations(mod: ModuleInfo) -> list[_Raw]:
    """Every non-DI registration in ``mod``, found syntactically (no other file read)."""
    cached = _RAW.get(mod)
    if cached is not None:
        return cached
    found = _RAW.put(mod, [])
    imports = mod.imports
    if not (imports.imports_fastapi() or any(m.startswith("starlette") for m in imports.modules)):
        return found
    for info in mod.functions:
        decos = info.node.decorator_list
        for index, deco in enumerate(decos):
            if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)):
                continue
            spec = _HANDLER_DECORATORS.get(deco.func.attr)
            if spec is None:
                continue
            obj = deco.func.value
            label = spec[0].format(obj=dotted(obj) or "app")
            found.append(
                _Raw(mod, info, info.parents, _Caller(label, spec[1]), obj=obj,
                     inner_decorators=tuple(decos[index + 1:]))
            )
            break
    for call, scope in mod.calls:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _HANDLER_METHODS:
            label, index, names, positional = _HANDLER_METHODS[func.attr]
            arg = _argument(call, index, names)
            if arg is not None:
                api = label.format(obj=dotted(func.value) or "app")
                found.append(_Raw(mod, arg, scope, _Caller(api, positional), obj=func.value))
        elif isinstance(func, ast.Attribute) and func.attr == "add_middleware":
            if call.args:
                api = f"{dotted(func.value) or 'app'}.add_middleware"
                found.append(
                    _Raw(mod, call.args[0], scope, _Caller(api, 1), obj=func.value, middleware_call=call)
                )
        elif any(kw.arg in _APP_KEYWORDS for kw in call.keywords):
            owner = dotted(func) or "FastAPI"
            for kw in call.keywords:
                if kw.arg == "lifespan":
                    items, positional = [kw.value], 1
                elif kw.arg in ("on_startup", "on_shutdown") and isinstance(kw.value, (ast.List, ast.Tuple)):
                    items, positional = list(kw.value.elts), 0
                elif kw.arg == "exception_handlers" and isinstance(kw.value, ast.Dict):
                    items, positional = list(kw.value.values), 2
                else:
                    continue
                caller = _Caller(f"{owner}({kw.arg}=...)", positional)
                found.extend(_Raw(mod, item, scope, caller, ctor=call) for item in items)
        else:
            name = imports.canonical(func)
            if name in MIDDLEWARE_CLASSES and call.args:
                found.append(
                    _Raw(mod, call.args[0], scope, _Caller("Middleware(...)", 1), middleware_call=call)
                )
            elif name in STARLETTE_ROUTES:
                arg = _argument(call, 1, ("endpoint",))
                if arg is not None:
                    label = f"{name.rsplit('.', 1)[1]}(...)"
                    found.append(_Raw(mod, arg, scope, _Caller(label, 1)))
    return found


def _argument(call: ast.Call, index: int, names: tuple[str, ...]) -> Optional[ast.expr]:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def _transparent(project: Project, mod: ModuleInfo, deco: ast.expr) -> bool:
    name = project.canonical(mod, deco.func if isinstance(deco, ast.Call) else deco)
    return name in CONTEXT_MANAGER_DECORATORS or name in TRANSPARENT_DECORATORS


def _resolve_raw(project: Project, raw: _Raw) -> Optional[Union[FuncSym, ClassSym]]:
    """The registered function or middleware class, once the API is proven FastAPI's/Starlette's."""
    mod = raw.module
    if raw.obj is not None and not project.is_router_expr(mod, raw.obj, raw.scope, strict=True):
        return None
    if raw.ctor is not None:
        sym = project.resolve(mod, raw.ctor.func, raw.scope)
        if isinstance(sym, ExternalSym):
            known = sym.name in HANDLER_HOST_CLASSES
        else:
            known = project.is_router_class(sym)
        if not known:
            return None
    if isinstance(raw.target, FunctionInfo):
        # inner decorators run first: one that is not transparent may inject (``@inject``)
        if not all(_transparent(project, mod, d) for d in raw.inner_decorators):
            return None
        return FuncSym(mod, raw.target)
    if not isinstance(raw.target, (ast.Name, ast.Attribute)):
        return None
    sym = project.resolve(mod, raw.target, raw.scope)
    if raw.middleware_call is not None:
        return sym if isinstance(sym, ClassSym) else None
    if isinstance(sym, FuncSym) and sym.info.cls is None:  # methods: binding not visible here
        if all(_transparent(project, sym.module, d) for d in sym.node.decorator_list):
            return sym
    return None


def _registrations_named(ctx: FileContext, name: str, local_only: bool = False) -> Iterator[_Raw]:
    """Registrations naming ``name``, in this file or (parsed on demand) elsewhere.

    ``local_only``: the name belongs to a definition nested in a function, which
    no other file can name; the project's files are then not searched.
    """
    yield from (raw for raw in _raw_registrations(ctx.module) if raw.name == name)
    project = ctx.project
    if local_only or project.root is None or ctx.module.path is None:
        return
    # elsewhere only calls can register it (a decorator sits on the def itself), with
    # the name as an argument: ``(name``, ``, name``, ``=name``, ``[name``, ``mod.name``
    raw_name = name.encode()
    needle = re.compile(rb"[(,=\[.]\s*" + re.escape(raw_name) + rb"\b")
    for file, data in project.facts(_REGISTRATION_FILES).items():
        if file == ctx.module.path or raw_name not in data or not needle.search(data):
            continue
        other = project.module(file, data)
        if other is not None and other is not ctx.module:
            yield from (
                raw for raw in _raw_registrations(other)
                if raw.name == name and not isinstance(raw.target, FunctionInfo)
            )


def _caller_of(ctx: FileContext, info: FunctionInfo) -> Optional[_Caller]:
    """How a non-DI API calls ``info`` (a function of this file), if one does."""
    project = ctx.project
    path = ctx.module.path
    # a function or class nested in a function can be registered only in this file
    local_only = bool(info.parents)
    if info.cls is None:
        for raw in _registrations_named(ctx, info.name, local_only):
            sym = _resolve_raw(project, raw)
            if isinstance(sym, FuncSym) and raw.middleware_call is None and _same(sym, info, path):
                return raw.caller
        return None
    if info.name not in _METHODS_CALLED or info.node.decorator_list:
        return None
    # a method of a middleware class registered under its own name
    for raw in _registrations_named(ctx, info.cls.name, local_only):
        if raw.middleware_call is None:
            continue
        cls = _resolve_raw(project, raw)
        if not isinstance(cls, ClassSym):
            continue
        for method, caller in _middleware_methods(project, cls, raw):
            if _same(method, info, path):
                return caller
    return None


def _same(sym: FuncSym, info: FunctionInfo, path: Optional[str]) -> bool:
    return sym.info is info or (sym.module.path == path and sym.info.key == info.key)


def _middleware_methods(
    project: Project, cls: ClassSym, raw: _Raw
) -> Iterator[tuple[FuncSym, _Caller]]:
    """Starlette builds a middleware with (app, *args, **kwargs), calls it with
    (scope, receive, send); BaseHTTPMiddleware calls dispatch(request, call_next)."""
    call = raw.middleware_call
    keywords: Optional[frozenset[str]] = frozenset()
    positional = 1
    if call is not None:
        args = call.args[1:]
        if any(isinstance(a, ast.Starred) for a in args) or any(kw.arg is None for kw in call.keywords):
            keywords = None
        else:
            positional += len(args)
            keywords = frozenset(kw.arg for kw in call.keywords if kw.arg)
    base_http = any(
        isinstance(b, ExternalSym) and b.name in BASE_HTTP_MIDDLEWARE for b in project.class_bases(cls)
    )
    methods: list[tuple[str, int, Optional[frozenset[str]]]] = [("__init__", positional, keywords)]
    if base_http:
        methods.append(("dispatch", 2, frozenset()))
    else:
        methods.append(("__call__", 3, frozenset()))
    for name, count, kws in methods:
        method = project.class_method(cls, name)
        if method is None or method.node.decorator_list or kws is None:
            continue
        yield method, _Caller(raw.caller.api, count, kws)
