"""The core: one linted file in, its findings out.

:func:`check` is what flake8's plugin object calls; tests call it directly.  It
takes a frozen :class:`~flake8_fastapi_deps.options.Options` and holds no
state of its own beyond the per-process project caches.

Only the rules whose code flake8 shows run (``options.selection``, the same
decision under flake8 and in tests), and only their findings come out.
"""

from __future__ import annotations

import ast
import gc
import os
import sys
from collections.abc import Sequence
from typing import Optional

from .base import Finding
from .context import FileContext
from .options import Options, Selection
from .project import Project, is_test_path, project_for, real_path
from .project import clear_cache as clear_project_cache
from .rules import RULE_MODULES, FamilyAdapter, Unit, rules_of, wants_hook

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
    running = _running(options.selection)
    if not running:
        return []
    text = "".join(lines)
    mentions = any(trigger in text for trigger in _TRIGGERS)
    project = project_for(filename, options)
    real = real_path(filename) if project.root and filename else None
    if (
        not mentions
        and not _used_elsewhere(project, real, text)
        and not _wanted(running, project, real, text, options)
    ):
        return []
    module = project.adopt(tree, real, text)
    try:
        ctx = FileContext(
            project, module, options, _is_test(project, filename, options), mentions, text
        )
        found: set[Finding] = set()
        for run in running:
            try:
                findings = list(run.unit.check(ctx))
            except RecursionError:
                # Pathologically deep code: this rule gives up on the file, the others go on.
                _skipped(filename, run.codes)
                continue
            if run.only is not None:  # a family not yet split: keep the shown codes
                findings = [f for f in findings if f.message.split(" ", 1)[0] in run.only]
            found.update(findings)
    finally:
        project.release(module)
    return sorted(found)


class _Run:
    """A unit of rules to run, and the codes of it that are shown."""

    __slots__ = ("unit", "codes", "only")

    def __init__(self, unit: Unit, codes: tuple[str, ...], only: Optional[frozenset[str]]) -> None:
        self.unit = unit
        self.codes = codes
        self.only = only  # findings to keep, when the unit also reports codes not shown


# selection -> (the RULE_MODULES it was computed for, the units to run)
_RUNNING: dict[Selection, tuple[tuple[Unit, ...], tuple[_Run, ...]]] = {}


def _running(selection: Selection) -> tuple[_Run, ...]:
    """The units with a shown code, in :data:`RULE_MODULES` order (kept per selection)."""
    kept = _RUNNING.get(selection)
    if kept is not None and kept[0] is RULE_MODULES:
        return kept[1]
    runs: list[_Run] = []
    for unit in RULE_MODULES:
        codes = tuple(r.code for r in rules_of(unit) if selection.shows(r.code))
        if not codes:
            continue
        every = len(codes) == len(rules_of(unit)) or not isinstance(unit, FamilyAdapter)
        runs.append(_Run(unit, codes, None if every else frozenset(codes)))
    result = tuple(runs)
    _RUNNING[selection] = (RULE_MODULES, result)
    return result


def _skipped(filename: Optional[str], codes: tuple[str, ...]) -> None:
    """Say once per (file, rule) on stderr that a rule could not analyse a file."""
    name = filename or "-"
    key = (name, ",".join(codes))
    if key in _SKIPPED:
        return
    _SKIPPED.add(key)
    print(
        f"flake8-fastapi-deps: {key[1]} skipped {name}: code nested too deeply to analyse",
        file=sys.stderr,
    )


_SKIPPED: set[tuple[str, str]] = set()


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


def _wanted(
    running: tuple[_Run, ...], project: Project, real: Optional[str], text: str, options: Options
) -> bool:
    """Does a rule that runs ask to see this (FastAPI-free) file?  Optional ``wants`` hook."""
    for run in running:
        wants = wants_hook(run.unit)
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
    index (``project.clear_cache``), the test-file answers, the units to run per
    selection and the (file, rule) pairs already reported as skipped."""
    clear_project_cache()
    _TEST_FOLDERS.clear()
    _TEST_NAMES.clear()
    _RUNNING.clear()
    _SKIPPED.clear()
