"""FAD003 direct-call-with-depends-defaults: calling a dependency-style function by hand
without the arguments whose defaults are ``Depends()`` markers."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...facts.bindings import head_bound_in_scope, is_builtin_name
from ...facts.functions import function_facts, may_name_plain_function
from ...facts.receivers import is_plain_method, method_of, receivers
from ...memo import Slot
from ...model import iter_params, lines_holding
from ...names import dotted
from ...project import FactKey, FuncSym, ParamDecl, Project, Symbol, declare_text_fact

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD003",
    "direct-call-with-depends-defaults",
    "{callee}() is called without {param}, which then {holds}; pass {them}",
    "A function with Depends() defaults is called directly, omitting those arguments.",
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test:
        return
    project = ctx.project
    names = _callee_names(ctx)
    inside_markers = {id(use.explicit) for use in ctx.module.marker_uses}
    if names is not None and not names:
        # no function with Depends() defaults can be reached from here
        yield from _method_calls(ctx, inside_markers)
        return
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
        omitted = [
            name
            for name in _omitted_marker_params(project.signature(sym.module, sym.info), sym, call)
            if not _replaces_marker(project, sym, name)
        ]
        if omitted:
            yield finding(call, RULE, callee=dotted(call.func), **_omitted_fields(omitted))
    yield from _method_calls(ctx, inside_markers)


def _omitted_fields(omitted: list[str]) -> dict[str, str]:
    """The message's words for the omitted parameters: all named, up to a length."""
    if len(omitted) == 1:
        return {"param": omitted[0], "holds": "holds a Depends marker", "them": omitted[0]}
    shown: list[str] = []
    for name in omitted:
        if shown and sum(len(n) + 2 for n in shown) + len(name) > 40:
            break
        shown.append(name)
    rest = len(omitted) - len(shown)
    if rest == 1:  # "and 1 more" would be as long as the name
        shown, rest = omitted, 0
    if rest:
        names = f"{', '.join(shown)} and {rest} more"
    else:
        names = f"{', '.join(shown[:-1])} and {shown[-1]}"
    return {"param": names, "holds": "hold Depends markers", "them": "them"}


# An indented ``def`` whose first parameter is ``self`` (a method), and where its
# parameter list ends.
_METHOD_DEF = re.compile(
    rb"^[ \t]+(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\([ \t\r\n]*self\b", re.M
)
_SIGNATURE_END = re.compile(rb"\)[ \t]*(?:->[^:\n]*)?:")


def _method_marker_names(data: bytes) -> Optional[frozenset[str]]:
    """Names of the methods (indented defs taking ``self``) of a file with
    ``Depends(``/``Security(`` in their parameter list (a superset of the methods
    with marker defaults), or None."""
    if b"Depends(" not in data and b"Security(" not in data:
        return None
    names: set[str] = set()
    for match in _METHOD_DEF.finditer(data):
        end = _SIGNATURE_END.search(data, match.end())
        stop = end.start() if end else len(data)
        signature = data[match.end():stop]
        if b"Depends(" in signature or b"Security(" in signature:
            name = match.group(1).decode("ascii", "replace")
            if not name.startswith("__"):
                names.add(name)
    return frozenset(names) or None


_METHOD_MARKERS: FactKey[frozenset[str]] = declare_text_fact("fad003.methods", _method_marker_names)
# per project: (the facts dict it was built from, the union of its names)
_METHOD_NAMES: Slot[tuple[dict[str, frozenset[str]], frozenset[str]]] = Slot("fad003.method_names")


def _method_calls(ctx: FileContext, inside_markers: set[int]) -> Iterator[Finding]:
    """``obj.method()`` where ``obj``'s class is known (facts.receivers) and the method
    has ``Depends`` defaults the call omits."""
    mod = ctx.module
    project = ctx.project
    if project.root is not None and mod.path is not None:
        facts = project.facts(_METHOD_MARKERS, near=mod.path)
        kept = _METHOD_NAMES.get(project)
        if kept is None or kept[0] is not facts:
            union: set[str] = set()
            for found in facts.values():
                union |= found
            kept = _METHOD_NAMES.put(project, (facts, frozenset(union)))
        names = set(kept[1])
    elif ctx.text:
        names = set(_method_marker_names(ctx.text.encode("utf-8", "replace")) or ())
    else:
        return
    if ctx.text:
        words = [f".{name}(" for name in names if f".{name}(" in ctx.text]
        if not words:
            return
        calls = mod.calls_near(lines_holding(ctx.text, words))  # the name is on the call's line
    else:
        calls = mod.calls
    for call, scope in calls:
        func = call.func
        if not scope or not isinstance(func, ast.Attribute) or func.attr not in names:
            continue
        if id(call) in inside_markers:
            continue
        info = mod.function_info(scope[-1])
        if info is None:
            continue
        kind = receivers(project, mod, info).of(func.value)
        if kind is None or kind.cls is None:
            continue
        sym = method_of(project, kind, func.attr)
        if sym is None or not is_plain_method(sym.info) or sym.node.decorator_list:
            continue
        if project.is_route(sym.module, sym.node):
            continue
        decls = project.signature(sym.module, sym.info)
        omitted = [
            name
            for name in _omitted_marker_params(decls, sym, call, bound=1)
            if not _replaces_marker(project, sym, name)
        ]
        if omitted:
            callee = dotted(func) or f"….{func.attr}"
            yield finding(call, RULE, callee=callee, **_omitted_fields(omitted))


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
    for stmt, _ in mod.top_imports:
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            if stmt.level or not project.is_external_module(mod, stmt.module or ""):
                return None
    for local, qualified in mod.imports.names.items():
        if project.is_external_module(mod, qualified):
            continue
        target = project.import_file(mod, qualified)
        if target is not None and not project.in_scan(mod.path, target):
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


def _omitted_marker_params(
    decls: list[ParamDecl], sym: FuncSym, call: ast.Call, bound: int = 0
) -> list[str]:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        kw.arg is None for kw in call.keywords
    ):
        return []  # *args / **kwargs may pass anything
    args = sym.node.args
    positional = [*args.posonlyargs, *args.args][bound:]  # bound: `self` of a method call
    passed_positionally = {p.arg for p in positional[: len(call.args)]}
    passed = passed_positionally | {kw.arg for kw in call.keywords if kw.arg}
    return [decl.param.arg for decl in decls if decl.via == "default" and decl.param.arg not in passed]


# FastAPI's marker classes (``Depends()`` builds a ``params.Depends``; ``Security``
# subclasses it), as imports spell them: ``fastapi.Depends`` is a function, so
# ``isinstance(x, fastapi.Depends)`` raises and is no check.
_MARKER_CLASSES = frozenset({"fastapi.params.Depends", "fastapi.params.Security"})


def _replaces_marker(project: Project, sym: FuncSym, param: str) -> bool:
    """Is ``sym`` built to be called by hand: does its body check ``param`` with
    ``isinstance(param, params.Depends)``, or hand ``param`` to a project function
    that checks its own parameter so (one level: a helper of a helper is not
    followed), to replace the marker?"""
    if _checks_marker(sym, param):
        return True
    scope = sym.info.parents + (sym.node,)
    for call in function_facts(sym.module, sym.info).calls:
        positions = [i for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id == param]
        keywords = [
            kw.arg for kw in call.keywords
            if kw.arg is not None and isinstance(kw.value, ast.Name) and kw.value.id == param
        ]
        if not (positions or keywords) or not isinstance(call.func, (ast.Name, ast.Attribute)):
            continue
        helper = project.resolve(sym.module, call.func, scope)
        if not isinstance(helper, FuncSym) or helper.node is sym.node:
            continue
        names = [p.arg for p, _ in iter_params(helper.node)]
        positional = [p.arg for p in (*helper.node.args.posonlyargs, *helper.node.args.args)]
        if helper.info.cls is not None and positional:
            positional = positional[1:]  # a method: ``self`` is not among the call's arguments
        received = [positional[i] for i in positions if i < len(positional)]
        received += [k for k in keywords if k in names]
        if any(_checks_marker(helper, name) for name in received):
            return True
    return False


def _checks_marker(sym: FuncSym, param: str) -> bool:
    """Does ``sym``'s own body call ``isinstance(param, <FastAPI marker class>)``?"""
    mod = sym.module
    scope = sym.info.parents + (sym.node,)
    for call in function_facts(mod, sym.info).calls:
        if len(call.args) != 2 or not is_builtin_name(mod, call.func, "isinstance", scope):
            continue
        subject, classes = call.args
        if not (isinstance(subject, ast.Name) and subject.id == param):
            continue
        options = classes.elts if isinstance(classes, ast.Tuple) else [classes]
        for option in options:
            if mod.imports.qualified(option) in _MARKER_CLASSES and not head_bound_in_scope(
                mod, option, scope
            ):
                return True
    return False
