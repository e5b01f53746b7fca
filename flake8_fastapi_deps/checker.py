"""The core: one linted file in, its findings out.

:func:`check` is what flake8's plugin object calls; tests call it directly.  It
takes a frozen :class:`~flake8_fastapi_deps.options.Options` and holds no
state of its own beyond the per-process project caches.
"""

from __future__ import annotations

import ast
import gc
import os
from collections.abc import Sequence
from typing import Optional

from .base import Finding
from .context import FileContext
from .options import Options
from .project import Project, is_test_path, project_for, real_path
from .project import clear_cache as clear_project_cache
from .rules import FAMILIES

# Text that any FastAPI-related module contains.  A file without it can only
# matter if another module uses one of its functions as a dependency.
_TRIGGERS = ("fastapi", "Depends", "Security")


def check(
    tree: ast.Module,
    filename: Optional[str],
    lines: Sequence[str],
    options: Options,
) -> list[Finding]:
    """All findings for one file, sorted and without duplicates.

    Python's cyclic garbage collector is paused while the file is analysed.
    Nearly everything allocated here (the module's model, resolution results)
    is freed by reference counting when the call returns, yet each allocation
    counts towards the next collection, and a full collection walks every
    object flake8 holds: letting them run inside this call cost as much CPU
    as the analysis itself.  Cycles made here are still collected later.
    """
    if not gc.isenabled():  # the host switched it off: leave it so
        return _check(tree, filename, lines, options)
    gc.disable()
    try:
        return _check(tree, filename, lines, options)
    finally:
        gc.enable()


def _check(
    tree: ast.Module,
    filename: Optional[str],
    lines: Sequence[str],
    options: Options,
) -> list[Finding]:
    text = "".join(lines)
    mentions = any(trigger in text for trigger in _TRIGGERS)
    project = project_for(filename, options)
    real = real_path(filename) if project.root and filename else None
    if (
        not mentions
        and not _used_elsewhere(project, real, text)
        and not _wanted(project, real, text, options)
    ):
        return []
    module = project.adopt(tree, real, text)
    try:
        ctx = FileContext(
            project, module, options, _is_test(project, filename, options), mentions, text
        )
        found: set[Finding] = set()
        for family in FAMILIES:
            found.update(family.check(ctx))
    except RecursionError:
        # Pathologically deep code: give no findings rather than a traceback.
        return []
    finally:
        project.release(module)
    return sorted(found)


def _used_elsewhere(project: Project, real: Optional[str], text: str) -> bool:
    """Can this FastAPI-free file still matter?

    It does when another module uses one of its functions as a dependency, or
    when it names a project function that takes ``Depends()`` defaults.
    """
    if real is None or project.root is None:
        return False
    return real in project.project_dependency_targets(real) or project.mentions_project_names(
        real, text
    )


def _wanted(project: Project, real: Optional[str], text: str, options: Options) -> bool:
    """Does a rule family ask to see this (FastAPI-free) file?  Optional ``wants`` hook."""
    for family in FAMILIES:
        wants = getattr(family, "wants", None)
        if wants is not None and wants(project, real, text, options):
            return True
    return False


def _is_test(project: Project, filename: Optional[str], options: Options) -> bool:
    if not filename or filename in ("stdin", "-"):
        return False
    absolute = real_path(filename)
    folder, name = os.path.split(absolute)
    key = (project.root, folder)
    in_tests = _TEST_FOLDERS.get(key)
    if in_tests is None:
        # a folder named tests/test between the root and the file (the answer is
        # a function of the two strings, so it is kept for the process)
        in_tests = _TEST_FOLDERS[key] = bool(
            project.root
            and project.inside(absolute)
            and is_test_path(tuple(os.path.relpath(absolute, project.root).split(os.sep)), ())
        )
    if in_tests:
        return True
    named = _TEST_NAMES.get((name, options.test_patterns))
    if named is None:
        named = _TEST_NAMES[(name, options.test_patterns)] = is_test_path((name,), options.test_patterns)
    return named


_TEST_FOLDERS: dict[tuple[Optional[str], str], bool] = {}
_TEST_NAMES: dict[tuple[str, tuple[str, ...]], bool] = {}


def clear_cache() -> None:
    """Forget everything kept for the life of the process: the projects and their
    index (``project.clear_cache``) and the test-file answers kept here."""
    clear_project_cache()
    _TEST_FOLDERS.clear()
    _TEST_NAMES.clear()
