"""FAD010: ``Depends`` as the default of a Pydantic model field (never resolved in a body)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

from ...base import Finding, Rule, finding
from ...catalogue import FIELD_MODEL_BASES
from ...facts.markers import marker_label
from ...memo import Slot
from ...model import ModuleInfo, def_key
from ...project import ClassSym, ExternalSym, FactKey, Project, declare_text_fact
from ._common import is_marker

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD010",
    "depends-in-model-field",
    "{model}.{field} defaults to {marker}(...), never resolved in a request body; "
    "inject it in the route",
    "Depends as the default of a Pydantic model field.",
)


ClassKey = tuple[Optional[str], tuple[int, int]]  # (file, def key)

# per module: the classes it uses as dependencies; per project: those of every file
_DEPENDENCY_CLASSES: Slot[set[ClassKey]] = Slot("fad010_classes")
_PROJECT_DEPENDENCY_CLASSES: Slot[set[ClassKey]] = Slot("fad010")


def check(ctx: FileContext) -> Iterator[Finding]:
    if not ctx.mentions_fastapi:
        return
    mod = ctx.module
    project = ctx.project
    for cls in mod.classes:
        fields: list[tuple[str, ast.Call]] = []
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign):
                value, targets = stmt.value, list(stmt.targets)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                value, targets = stmt.value, [stmt.target]
            else:
                continue
            # a class's own scope is not known here: read at module level (a
            # model class inside a function that rebinds Depends is not seen)
            if not isinstance(value, ast.Call) or not is_marker(mod, value, ()):
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    fields.append((target.id, value))
        if not fields:
            continue
        sym = ClassSym(mod, cls)
        if not any(
            isinstance(b, ExternalSym) and b.name in FIELD_MODEL_BASES for b in project.class_bases(sym)
        ):
            continue
        if _used_as_dependency(ctx, sym):
            continue
        for field_name, value in fields:
            yield finding(
                value,
                RULE,
                model=cls.name,
                field=field_name,
                marker=marker_label(mod.imports.canonical(value.func)),
            )


def _class_key(sym: ClassSym) -> ClassKey:
    return (sym.module.path, def_key(sym.node))


def _dependency_classes(project: Project, mod: ModuleInfo) -> set[ClassKey]:
    """Classes ``mod`` uses as ``Depends(Cls)`` / ``Annotated[Cls, Depends()]``, with their bases."""
    cached = _DEPENDENCY_CLASSES.get(mod)
    if cached is not None:
        return cached
    found = _DEPENDENCY_CLASSES.put(mod, set())
    for use in mod.marker_uses:
        target = use.target
        if not isinstance(target, (ast.Name, ast.Attribute)):
            continue
        sym = project.resolve(mod, target, use.scope)
        if isinstance(sym, ClassSym):
            found.add(_class_key(sym))
            for base in project.class_bases(sym):
                if isinstance(base, ClassSym):
                    found.add(_class_key(base))
    return found


def _names_marker(data: bytes) -> Optional[bool]:
    return True if b"Depends" in data or b"Security" in data else None


# The project's files that may name a marker: a whole-project fact, computed in the
# scan's one read of every file.
_MARKER_FILES: FactKey[bool] = declare_text_fact("fad010", _names_marker)


def _project_dependency_classes(project: Project) -> set[ClassKey]:
    """:func:`_dependency_classes` of every project file that may name a marker."""
    index: set[ClassKey] = set()
    for file in project.facts(_MARKER_FILES):
        other = project.module(file)
        if other is not None:
            index |= _dependency_classes(project, other)
    return index


def _used_as_dependency(ctx: FileContext, sym: ClassSym) -> bool:
    """Is ``sym`` (or a subclass) used as a dependency class anywhere in the project?"""
    project = ctx.project
    key = _class_key(sym)
    if key in _dependency_classes(project, ctx.module):
        return True
    if project.root is None:
        return False
    return key in _PROJECT_DEPENDENCY_CLASSES.of(project, lambda: _project_dependency_classes(project))
