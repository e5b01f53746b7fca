"""What an object in a function body is an instance of: the receiver of a method call.

:func:`receivers` gives, for one function, a :class:`FunctionReceivers` whose
:meth:`~FunctionReceivers.of` types an expression read in that function's own
body (``handler`` of ``handler.get_all()``, ``self.client`` of
``self.client.get()``) as a :class:`Receiver`: a project class
(:attr:`Receiver.cls`, whose methods :func:`method_of` finds through the class
hierarchy), or a library type or factory the catalogue knows
(:attr:`Receiver.external`, one of :data:`~flake8_fastapi_deps.catalogue.RECEIVER_TYPES`).

Where a type comes from (each answer is bounded and memoised per function):

* ``self`` (the first parameter of a method that is neither static nor a
  classmethod): the class that defines the method;
* a parameter: its annotation (``handler: Handler``, ``Annotated[Handler, ...]``,
  ``Optional[Handler]``, ``Handler | None``, a quoted annotation, a module-level
  alias); else the dependency that provides it: the return annotation of the
  function in ``Depends(get_handler)`` (``-> Handler``, ``-> Iterator[Handler]``),
  or the class in ``Depends(Handler)`` / ``Depends()``;
* a local or module-level name: every binding makes the same type (``x =
  Handler(...)``, ``with httpx.Client() as c``, ``x: Handler = make()``); a name
  also bound by a loop, an unpacking or a walrus is unknown;
* ``self.attr``: every ``self.attr = ...`` in the methods of the class and its
  project bases makes the same type, or the class body declares it
  (``attr: T`` / ``attr = T(...)``);
* a call: a project class (``Handler()``), a known library constructor or factory
  (``requests.Session()``, ``boto3.client("s3")``), a factory method of a known
  receiver (``session.client("s3")``, see ``FACTORY_METHODS``);
* paths: ``Path(...)`` and everything derived from a path (``p / "x"``,
  ``p.parent``, ``p.resolve()``).

Anything else is unknown (None): rules stay silent on unknown receivers.
Nothing is imported or executed; project classes are resolved through the
index (``project.resolve``), class bases through ``project.class_bases``
(bounded there).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..catalogue import (
    BOTO3_RESOURCE,
    FACTORY_METHODS,
    ITERATOR_TYPES,
    PATH_DERIVING,
    PATH_TYPES,
    RECEIVER_TYPES,
    UNION_TYPES,
)
from ..memo import Slot
from ..model import FunctionInfo, ModuleInfo, Scope, annotated_parts, bound_in_scope
from ..project import ClassSym, ExternalSym, FuncSym, ValueSym
from .functions import function_facts

if TYPE_CHECKING:
    from ..project import Project

# How many alias / annotation / assignment steps one answer may take.
MAX_STEPS = 6
# How many project base classes are searched for a method or an attribute.
MAX_BASES = 8


@dataclass(frozen=True, eq=False)
class Receiver:
    """The type of an object: a project class, or a library type the catalogue knows."""

    cls: Optional[ClassSym] = None
    external: Optional[str] = None  # canonical, one of RECEIVER_TYPES

    def same(self, other: Receiver) -> bool:
        if self.cls is not None or other.cls is not None:
            return (
                self.cls is not None and other.cls is not None and self.cls.node is other.cls.node
            )
        return self.external == other.external

    @property
    def name(self) -> str:
        """How messages name the type."""
        return self.cls.node.name if self.cls is not None else str(self.external)


def method_of(project: Project, receiver: Receiver, name: str) -> Optional[FuncSym]:
    """Method ``name`` of a project-class receiver, searched through its project bases."""
    if receiver.cls is None:
        return None
    return project.class_method(receiver.cls, name)


def is_plain_method(info: FunctionInfo) -> bool:
    """Is ``info`` a method whose first parameter is the instance (not static/class)?"""
    if info.cls is None or info.parents:
        return False
    for deco in info.node.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod"):
            return False
    args = info.node.args
    return bool(args.posonlyargs or args.args)


def self_name(info: FunctionInfo) -> Optional[str]:
    """The name of the instance parameter of a plain method, else None."""
    if not is_plain_method(info):
        return None
    args = info.node.args
    return (args.posonlyargs or args.args)[0].arg


# per module: id of a function node -> its receivers
_RECEIVERS: Slot[dict[int, FunctionReceivers]] = Slot("receivers")
# per module: (id of a class node, attribute) -> its type (None: unknown)
_ATTRIBUTES: Slot[dict[tuple[int, str], Optional[Receiver]]] = Slot("receivers.attributes")
# per module: (id of a def node) -> the type its return annotation names
_RETURNS: Slot[dict[int, Optional[Receiver]]] = Slot("receivers.returns")


def receivers(project: Project, mod: ModuleInfo, info: FunctionInfo) -> FunctionReceivers:
    """The receiver typing of ``info``'s own body (kept on the module)."""
    table = _RECEIVERS.of(mod, dict)
    found = table.get(id(info.node))
    if found is None:
        found = table[id(info.node)] = FunctionReceivers(project, mod, info)
    return found


class FunctionReceivers:
    """Types of the objects one function's body calls methods on."""

    def __init__(self, project: Project, mod: ModuleInfo, info: FunctionInfo) -> None:
        self.project = project
        self.mod = mod
        self.info = info
        self.scope: Scope = info.parents + (info.node,)
        self._names: dict[str, Optional[Receiver]] = {}
        self._scanned = False
        self._with: dict[str, list[ast.expr]] = {}  # name -> values of `with v as name`
        self._annotations: set[int] = set()  # ids of the annotations of `x: T = v`
        self._other: set[str] = set()  # names bound otherwise than by `=` or `with`

    # ------------------------------------------------------------------ public

    def of(self, expr: ast.expr) -> Optional[Receiver]:
        """The type of ``expr`` read in the body, or None when unknown."""
        return self._expr(expr, 0)

    def name(self, name: str) -> Optional[Receiver]:
        """The type of the bare name ``name`` read in the body."""
        if name not in self._names:
            self._names[name] = None  # a cycle through the name's own bindings: unknown
            self._names[name] = self._name(name)
        return self._names[name]

    # ------------------------------------------------------------------ expressions

    def _expr(self, expr: ast.expr, steps: int) -> Optional[Receiver]:
        if steps > MAX_STEPS:
            return None
        kind = expr.__class__
        if kind is ast.Name:
            assert isinstance(expr, ast.Name)
            return self.name(expr.id)
        if kind is ast.Call:
            assert isinstance(expr, ast.Call)
            return self._call(expr, steps)
        if kind is ast.Attribute:
            assert isinstance(expr, ast.Attribute)
            base = expr.value
            if isinstance(base, ast.Name):
                me = self_name(self.info)
                if me is not None and base.id == me and self._names_self(me):
                    assert self.info.cls is not None
                    return attribute_type(
                        self.project, ClassSym(self.mod, self.info.cls), expr.attr
                    )
            if expr.attr in PATH_DERIVING:
                inner = self._expr(base, steps + 1)
                if inner is not None and inner.external in PATH_TYPES:
                    return inner
            return None
        if kind is ast.BinOp:
            assert isinstance(expr, ast.BinOp)
            if isinstance(expr.op, ast.Div):
                left = self._expr(expr.left, steps + 1)
                if left is not None and left.external in PATH_TYPES:
                    return left
            return None
        return None

    def _names_self(self, me: str) -> bool:
        """Is ``me`` still the instance (never rebound in the body)?"""
        self._scan()
        rebound = self.mod.assignments.get(id(self.info.node), {})
        return me not in rebound and me not in self._other and me not in self._with

    def _call(self, call: ast.Call, steps: int) -> Optional[Receiver]:
        func = call.func
        if isinstance(func, ast.Attribute):
            base = self._expr(func.value, steps + 1)
            if base is not None:
                return _method_result(base, func.attr)
        return type_named(self.project, self.mod, func, self.scope, constructor=True)

    # ------------------------------------------------------------------ names

    def _name(self, name: str) -> Optional[Receiver]:
        mod, info = self.mod, self.info
        for index, (param, default) in enumerate(info.params):
            if param.arg != name:
                continue
            self._scan()
            if name in mod.assignments.get(id(info.node), {}) or name in self._other or (
                name in self._with
            ):
                return None  # rebound in the body
            if index == 0 and self_name(info) == name:
                assert info.cls is not None
                return Receiver(cls=ClassSym(mod, info.cls))
            return param_type(self.project, mod, info, param, default)
        self._scan()
        local = mod.assignments.get(id(info.node), {})
        if name in local or name in self._with or name in self._other:
            if name in self._other:
                return None  # bound by a loop, an unpacking, a walrus, an import...
            values = [*local.get(name, ()), *self._with.get(name, ())]
            if not values:
                return None  # a nested def
            return _same([self._value(value) for value in values])
        if bound_in_scope(mod, name, info.parents):
            return None  # a closure variable: not followed
        if isinstance(mod.toplevel.get(name), ast.expr):
            return module_value_type(self.project, mod, name)
        return None

    def _value(self, value: ast.expr) -> Optional[Receiver]:
        if id(value) in self._annotations:
            return annotation_type(self.project, self.mod, value, self.scope)
        return self._expr(value, 1)

    def _scan(self) -> None:
        """Note the names bound by ``with ... as name``, the annotations of annotated
        assignments, and every name bound otherwise (a loop, an unpacking, ...)."""
        if self._scanned:
            return
        self._scanned = True
        plain: set[int] = set()
        for node in function_facts(self.mod, self.info).body:
            kind = node.__class__
            if kind is ast.withitem:
                assert isinstance(node, ast.withitem)
                if isinstance(node.optional_vars, ast.Name):
                    self._with.setdefault(node.optional_vars.id, []).append(node.context_expr)
                    plain.add(id(node.optional_vars))
            elif kind is ast.Assign:
                assert isinstance(node, ast.Assign)
                plain.update(id(t) for t in node.targets if t.__class__ is ast.Name)
            elif kind is ast.AnnAssign:
                assert isinstance(node, ast.AnnAssign)
                plain.add(id(node.target))
                self._annotations.add(id(node.annotation))
            elif kind is ast.Name:
                assert isinstance(node, ast.Name)
                if node.ctx.__class__ is not ast.Load and id(node) not in plain:
                    self._other.add(node.id)
            elif kind is ast.arg:
                assert isinstance(node, ast.arg)
                self._other.add(node.arg)  # a lambda's parameter (the own body holds lambdas)
            elif kind in (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal):
                assert isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal))
                if isinstance(node, (ast.Global, ast.Nonlocal)):
                    self._other.update(node.names)
                else:
                    self._other.update(
                        (a.asname or a.name).split(".", 1)[0] for a in node.names
                    )


def _same(kinds: list[Optional[Receiver]]) -> Optional[Receiver]:
    """The one type every binding makes, or None (an unknown one, or two types)."""
    found: Optional[Receiver] = None
    for kind in kinds:
        if kind is None or (found is not None and not found.same(kind)):
            return None
        found = kind
    return found


def _value_type(project: Project, mod: ModuleInfo, value: ast.expr, steps: int = 0
                ) -> Optional[Receiver]:
    """The type a value outside any function makes (module level, class body)."""
    if steps > MAX_STEPS:
        return None
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute):
            base = _value_type(project, mod, func.value, steps + 1)
            if base is not None:
                return _method_result(base, func.attr)
        return type_named(project, mod, func, (), constructor=True)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
        left = _value_type(project, mod, value.left, steps + 1)
        return left if left is not None and left.external in PATH_TYPES else None
    if isinstance(value, ast.Attribute) and value.attr in PATH_DERIVING:
        inner = _value_type(project, mod, value.value, steps + 1)
        return inner if inner is not None and inner.external in PATH_TYPES else None
    if isinstance(value, ast.Name) and isinstance(mod.toplevel.get(value.id), ast.expr):
        return module_value_type(project, mod, value.id)
    return None


def _method_result(base: Receiver, method: str) -> Optional[Receiver]:
    """The type of ``<base>.method(...)``, when the catalogue knows it."""
    if base.external is None:
        return None  # a method of a project class: its result is unknown
    made = FACTORY_METHODS.get((base.external, method))
    if made is not None:
        return Receiver(external=made)
    if base.external in PATH_TYPES and method in PATH_DERIVING:
        return base
    if base.external == BOTO3_RESOURCE and method[:1].isupper():
        return base  # a sub-resource (Table, Bucket, Object): a resource too
    return None


_MODULE_VALUES: Slot[dict[str, Optional[Receiver]]] = Slot("receivers.module_values")
_MODULE_ANNOTATIONS: Slot[frozenset[int]] = Slot("receivers.module_annotations")


def module_value_type(project: Project, mod: ModuleInfo, name: str) -> Optional[Receiver]:
    """The type of module-level name ``name`` of ``mod`` (every binding the same type)."""
    table = _MODULE_VALUES.of(mod, dict)
    if name in table:
        return table[name]
    table[name] = None  # a cycle (x = y; y = x): unknown
    values = mod.assignments.get(0, {}).get(name)
    if not values:
        return None
    annotations = _MODULE_ANNOTATIONS.of(mod, lambda: _annotations_of(mod.tree.body))
    found = table[name] = _same(
        [
            annotation_type(project, mod, v, ()) if id(v) in annotations
            else _value_type(project, mod, v)
            for v in values
        ]
    )
    return found


def _annotations_of(body: list[ast.stmt]) -> frozenset[int]:
    """``id`` of the annotation of every annotated assignment among module-level
    statements (in ``if``/``try``/``with`` blocks too, not in defs or classes)."""
    found: set[int] = set()
    stack: list[ast.stmt] = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.AnnAssign):
            found.add(id(stmt.annotation))
        elif isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.AsyncFor, ast.AsyncWith)):
            stack.extend(stmt.body)
            stack.extend(getattr(stmt, "orelse", ()))
        elif isinstance(stmt, ast.Try):
            stack.extend(stmt.body)
            stack.extend(stmt.orelse)
            stack.extend(stmt.finalbody)
            for handler in stmt.handlers:
                stack.extend(handler.body)
    return frozenset(found)


# ---------------------------------------------------------------------- types of names


def type_named(
    project: Project, mod: ModuleInfo, expr: ast.expr, scope: Scope, constructor: bool = False
) -> Optional[Receiver]:
    """The type a name chain names: a project class or a known library type.

    With ``constructor``, ``expr`` is called: a known library factory
    (``boto3.client``) counts as the type it makes.
    """
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return None
    head: ast.expr = expr
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name):
        return None
    first = head.id
    if not bound_in_scope(mod, first, scope) and first not in mod.toplevel and (
        first not in mod.imports.names
    ):
        return None  # a builtin or an unknown global
    sym = project.resolve(mod, expr, scope)
    if isinstance(sym, ClassSym):
        return Receiver(cls=sym)
    if isinstance(sym, ExternalSym):
        return Receiver(external=sym.name) if sym.name in RECEIVER_TYPES else None
    if isinstance(sym, ValueSym) and not constructor:
        return annotation_type(project, sym.module, sym.value, (), 1)  # a type alias
    return None


def annotation_type(
    project: Project, mod: ModuleInfo, expr: Optional[ast.expr], scope: Scope, steps: int = 0
) -> Optional[Receiver]:
    """The type an annotation names (``Annotated``, ``Optional``, ``X | None``, quoted)."""
    if expr is None or steps > MAX_STEPS:
        return None
    if isinstance(expr, ast.Constant):
        if not isinstance(expr.value, str):
            return None  # None of `X | None`
        try:
            parsed = ast.parse(expr.value.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return None
        return annotation_type(project, mod, parsed, scope, steps + 1)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        return _one_member(project, mod, [expr.left, expr.right], scope, steps)
    if isinstance(expr, ast.Subscript):
        parts = annotated_parts(mod.imports, expr)
        if parts:
            return annotation_type(project, mod, parts[0], scope, steps + 1)
        if project.canonical(mod, expr.value, scope) in UNION_TYPES:
            inner = expr.slice
            members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return _one_member(project, mod, members, scope, steps)
        return None
    return type_named(project, mod, expr, scope)


def _one_member(
    project: Project, mod: ModuleInfo, members: list[ast.expr], scope: Scope, steps: int
) -> Optional[Receiver]:
    """The type of the one member of a union that is not None."""
    real = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
    if len(real) != 1:
        return None
    return annotation_type(project, mod, real[0], scope, steps + 1)


def param_type(
    project: Project,
    mod: ModuleInfo,
    info: FunctionInfo,
    param: ast.arg,
    default: Optional[ast.expr],
) -> Optional[Receiver]:
    """A parameter's type: its annotation, else what the dependency providing it returns."""
    if isinstance(default, ast.Constant) and default.value is None:
        return None  # a caller may leave it out: the body must test it first
    found = annotation_type(project, mod, param.annotation, info.parents)
    if found is not None:
        return found
    if param.annotation is None and default is None:
        return None
    for decl in project.signature(mod, info):
        if decl.param is not param or decl.target is None:
            continue
        dep = project.resolve(decl.module, decl.target, decl.scope)
        if isinstance(dep, ClassSym):
            return Receiver(cls=dep)  # Depends(Handler) / Depends() gives an instance
        if isinstance(dep, FuncSym):
            return provided_type(project, dep)
    return None


def provided_type(project: Project, dep: FuncSym) -> Optional[Receiver]:
    """What a dependency function returns or yields, by its return annotation."""
    table = _RETURNS.of(dep.module, dict)
    key = id(dep.node)
    if key in table:
        return table[key]
    table[key] = None
    returns = dep.node.returns
    mod, scope = dep.module, dep.info.parents
    if (
        isinstance(returns, ast.Subscript)
        and project.canonical(mod, returns.value, scope) in ITERATOR_TYPES
    ):
        inner = returns.slice
        returns = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
    found = table[key] = annotation_type(project, mod, returns, scope)
    return found


def attribute_type(project: Project, cls: ClassSym, attr: str) -> Optional[Receiver]:
    """The type of ``self.<attr>`` for instances of ``cls``.

    Every ``self.<attr> = value`` in the methods of ``cls`` and of its project
    bases must make the same type; a class-body ``attr: T`` or ``attr = T(...)``
    (in ``cls`` or a base) counts too.  An attribute assigned nowhere is unknown.
    """
    table = _ATTRIBUTES.of(cls.module, dict)
    key = (id(cls.node), attr)
    if key in table:
        return table[key]
    table[key] = None
    classes: list[ClassSym] = [cls]
    for index, base in enumerate(project.class_bases(cls)):
        if index >= MAX_BASES:
            break
        if isinstance(base, ClassSym):
            classes.append(base)
    found: Optional[Receiver] = None
    for owner in classes:
        for kind in _attribute_bindings(project, owner, attr):
            if kind is None or (found is not None and not found.same(kind)):
                return None
            found = kind
    table[key] = found
    return found


def _attribute_bindings(project: Project, cls: ClassSym, attr: str) -> list[Optional[Receiver]]:
    """The type of each binding of ``attr`` in one class (None for an unknown one)."""
    mod = cls.module
    found: list[Optional[Receiver]] = []
    for stmt in cls.node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if stmt.target.id == attr:
                found.append(annotation_type(project, mod, stmt.annotation, ()))
        elif isinstance(stmt, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == attr for t in stmt.targets):
                found.append(_value_type(project, mod, stmt.value))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info = mod.function_info(stmt)
            if info is None:
                continue
            me = self_name(info)
            if me is None:
                continue
            for node in function_facts(mod, info).body:
                if isinstance(node, ast.Assign):
                    targets = node.targets
                    value: Optional[ast.expr] = node.value
                    annotation = None
                elif isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                    value = node.value
                    annotation = node.annotation
                elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.withitem)):
                    target = node.optional_vars if isinstance(node, ast.withitem) else node.target
                    if _is_self_attr(target, me, attr):
                        found.append(None)  # bound in a way we do not type
                    continue
                else:
                    continue
                for target in targets:
                    if isinstance(target, (ast.Tuple, ast.List)) and any(
                        _is_self_attr(t, me, attr) for t in target.elts
                    ):
                        found.append(None)
                    elif _is_self_attr(target, me, attr):
                        if annotation is not None:
                            found.append(annotation_type(project, mod, annotation, info.parents))
                        elif value is not None:
                            found.append(receivers(project, mod, info).of(value))
    return found


def _is_self_attr(target: Optional[ast.expr], me: str, attr: str) -> bool:
    return (
        isinstance(target, ast.Attribute)
        and target.attr == attr
        and isinstance(target.value, ast.Name)
        and target.value.id == me
    )


__all__ = [
    "FunctionReceivers",
    "Receiver",
    "annotation_type",
    "attribute_type",
    "is_plain_method",
    "method_of",
    "module_value_type",
    "param_type",
    "provided_type",
    "receivers",
    "self_name",
    "type_named",
]
