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
from .project import new_run
from .index.cache import CACHE
from .index.results import options_key
from .memo import Slot
from .rules import RULE_MODULES, RuleModule, wants_hook

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
    results = project.results
    real = real_path(filename) if results is not None and filename else None
    key = _options_key(options) if real is not None else ""
    try:
        if results is not None and real is not None:
            kept = results.lookup(real, text, key)
            if kept is not None:
                return kept
        gave_up = _GAVE_UP.of(CACHE, lambda: [0])
        before = gave_up[0]
        found = _findings(running, project, tree, filename, text, mentions, options)
        if results is not None and real is not None and gave_up[0] == before:
            results.remember(real, text, key, found)  # (not when a rule gave up on it)
        return found
    finally:
        project.save()  # what this file taught the index, for later runs (one short write)


def _findings(
    running: tuple[RuleModule, ...],
    project: Project,
    tree: ast.Module,
    filename: Optional[str],
    text: str,
    mentions: bool,
    options: Options,
) -> list[Finding]:
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
        for rule in running:
            try:
                found.update(rule.check(ctx))
            except RecursionError:
                # Pathologically deep code: this rule gives up on the file, the others go on.
                _GAVE_UP.of(CACHE, lambda: [0])[0] += 1
                _skipped(filename, rule.RULE.code)
    finally:
        project.release(module)
    return sorted(found)


# selection -> (the RULE_MODULES it was computed for, the rule modules to run)
_RUNNING: Slot[dict[Selection, tuple[tuple[RuleModule, ...], tuple[RuleModule, ...]]]] = Slot(
    "rules to run per selection"
)


def _running(selection: Selection) -> tuple[RuleModule, ...]:
    """The rule modules whose code is shown, in :data:`RULE_MODULES` order (kept per selection)."""
    table = _RUNNING.of(CACHE, dict)
    kept = table.get(selection)
    if kept is not None and kept[0] is RULE_MODULES:
        return kept[1]
    result = tuple(m for m in RULE_MODULES if selection.shows(m.RULE.code))
    table[selection] = (RULE_MODULES, result)
    return result


def _skipped(filename: Optional[str], code: str) -> None:
    """Say once per (file, rule) on stderr that a rule could not analyse a file."""
    name = filename or "-"
    key = (name, code)
    skipped = _SKIPPED.of(CACHE, set)
    if key in skipped:
        return
    skipped.add(key)
    print(
        f"flake8-fastapi-deps: {key[1]} skipped {name}: code nested too deeply to analyse",
        file=sys.stderr,
    )


_SKIPPED: Slot[set[tuple[str, str]]] = Slot("(file, rule) reported as skipped")


def _options_key(options: Options) -> str:
    """The digest of ``options`` kept findings are filed under (kept per options)."""
    keys = _OPTION_KEYS.of(CACHE, dict)
    key = keys.get(options)
    if key is None:
        key = keys[options] = options_key(options)
    return key


_OPTION_KEYS: Slot[dict[Options, str]] = Slot("options digests")
# how many times a rule gave up on a file (its findings are then not kept in the store)
_GAVE_UP: Slot[list[int]] = Slot("rules that gave up")


def _used_elsewhere(project: Project, real: Optional[str], text: str) -> bool:
    """Can this FastAPI-free file still matter?

    It does when another module uses one of its functions as a dependency or
    registers one as a route, or when it names a project function that takes
    ``Depends()`` defaults.
    """
    if real is None or project.root is None:
        return False
    return (
        real in project.project_dependency_targets(real)
        or real in project.project_route_targets(real)
        or project.mentions_project_names(real, text)
    )


def _wanted(
    running: tuple[RuleModule, ...], project: Project, real: Optional[str], text: str, options: Options
) -> bool:
    """Does a rule that runs ask to see this (FastAPI-free) file?  Optional ``wants`` hook."""
    for rule in running:
        wants = wants_hook(rule)
        if wants is not None and wants(project, real, text, options):
            return True
    return False


def _is_test(project: Project, filename: Optional[str], options: Options) -> bool:
    if not filename or filename in ("stdin", "-"):
        return False
    absolute = real_path(filename)
    folder, name = os.path.split(absolute)
    key = (project.root, folder)
    folders = _TEST_FOLDERS.of(CACHE, dict)
    in_tests = folders.get(key)
    if in_tests is None:
        # a folder named tests/test between the root and the file (the answer is
        # a function of the two strings, so it is kept for the process)
        in_tests = folders[key] = bool(
            project.root
            and project.inside(absolute)
            and is_test_path(tuple(os.path.relpath(absolute, project.root).split(os.sep)), ())
        )
    if in_tests:
        return True
    names = _TEST_NAMES.of(CACHE, dict)
    named = names.get((name, options.test_patterns))
    if named is None:
        named = names[(name, options.test_patterns)] = is_test_path((name,), options.test_patterns)
    return named


# (root, folder) -> is the folder a tests folder; (file name, patterns) -> a test file name
_TEST_FOLDERS: Slot[dict[tuple[Optional[str], str], bool]] = Slot("test folders")
_TEST_NAMES: Slot[dict[tuple[str, tuple[str, ...]], bool]] = Slot("test file names")


def clear_cache() -> None:
    """Forget everything kept for the life of the process (the one process cache:
    projects, their index, the engine's tables)."""
    clear_project_cache()


__all__ = ["check", "clear_cache", "new_run"]
