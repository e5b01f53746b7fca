"""Profile the plugin's ``check()`` alone over a tree, outside flake8: time per rule.

    python benchmarks/check_only.py PATH [--reps 5] [--warm] [--all-codes]
                                    [--profile FILE] [--json [FILE]]

``bench.py`` answers "what does flake8 cost with the plugin?"; this script
answers "which rule costs what?".  It reads and parses every ``.py`` file
under PATH once (not timed), then calls ``checker.check`` on each in path
order, as flake8 ``-j1`` would, ``--reps`` times.  Before each repetition
the plugin's per-process caches are emptied (the project index is built
cold, as in a new flake8 process); ``--warm`` keeps them after the first
repetition, which leaves only the per-file work.

Reported for the median repetition, in CPU seconds of exclusive time (a
part nested in another is counted once, in the innermost): each rule module
(``FADnnn``) and each family's total, ``adopt`` (modelling the linted file),
``index`` (other project files read, parsed and modelled, dependency
targets and project facts, whichever rule asked first), and the per-file
glue of ``checker``.  Timers wrap the functions from here; the plugin has
none.  ``--all-codes`` runs the opt-in codes too (default: flake8's default
selection).  ``--profile FILE`` runs one more repetition under cProfile and
writes its stats (``python -m pstats FILE``).  Standard library and the
plugin only.
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import sys
import time
import types
import warnings
from collections import defaultdict
from typing import Any, Callable, Iterator, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  (file listing and report output are shared)

_clock = time.process_time

# Project methods whose outermost calls are the project index's work.
INDEX_METHODS = ("module_at", "project_dependency_targets", "facts", "import_graph")


class Exclusive:
    """Exclusive CPU time per label: time inside a nested label counts for that label only."""

    def __init__(self) -> None:
        self.spent: defaultdict[str, float] = defaultdict(float)
        self._stack: list[str] = []
        self._mark = 0.0

    def _switch(self) -> None:
        now = _clock()
        if self._stack:
            self.spent[self._stack[-1]] += now - self._mark
        self._mark = now

    def wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._switch()
            self._stack.append(label)
            try:
                return func(*args, **kwargs)
            finally:
                self._switch()
                self._stack.pop()

        return wrapper


def load(root: str) -> list[tuple[ast.Module, str, list[str]]]:
    """(tree, path, lines) of every file under ``root`` that reads as UTF-8 and parses."""
    paths = [root] if os.path.isfile(root) else [
        os.path.join(root, rel) for rel in bench.python_files(root)
    ]
    loaded = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, filename=path)
        except (OSError, SyntaxError, ValueError, RecursionError):  # E999 territory
            continue
        loaded.append((tree, os.path.abspath(path), text.splitlines(keepends=True)))
    return loaded


def family_of(code: str, units: tuple[Any, ...]) -> str:
    for unit in units:
        if unit.RULE.code == code:
            return str(unit.__name__).split(".")[2]
    return "?"


def _listed(check: Callable[[Any], Any]) -> Callable[[Any], Iterator[Any]]:
    def run(ctx: Any) -> Iterator[Any]:
        return iter(list(check(ctx)))  # the rule's generator runs inside the timer

    return run


def instrument(timer: Exclusive) -> Callable[[], None]:
    """Wrap the rule modules, ``adopt`` and the index methods; the function that undoes it."""
    from flake8_fastapi_deps import checker as checker_module, project

    checker: Any = checker_module  # its table of rule modules is replaced while measuring
    units = checker.RULE_MODULES
    wrapped = []
    for unit in units:
        copy: Any = types.SimpleNamespace(
            __name__=unit.__name__, RULE=unit.RULE, wants=getattr(unit, "wants", None)
        )
        copy.check = timer.wrap(unit.RULE.code, _listed(unit.check))
        wrapped.append(copy)
    saved = {name: getattr(project.Project, name) for name in ("adopt", *INDEX_METHODS)
             if hasattr(project.Project, name)}
    for name, func in saved.items():
        setattr(project.Project, name, timer.wrap("adopt" if name == "adopt" else "index", func))
    checker.RULE_MODULES = tuple(wrapped)

    def undo() -> None:
        checker.RULE_MODULES = units
        for name, func in saved.items():
            setattr(project.Project, name, func)

    return undo


def measure(ns: argparse.Namespace) -> dict[str, Any]:
    from flake8_fastapi_deps import checker as checker_module
    from flake8_fastapi_deps.options import Options, Selection

    checker: Any = checker_module
    files = load(ns.path)
    options = Options(selection=Selection.every_code()) if ns.all_codes else Options()
    units = checker.RULE_MODULES
    timer = Exclusive()

    def one_pass() -> int:
        findings = 0
        for tree, path, lines in files:
            findings += len(checker.check(tree, path, lines, options))
        return findings

    undo = instrument(timer)
    if not ns.kept_findings:
        # a profile of the analysis: findings kept in the store by an earlier
        # run are not served (the per-file summaries still are)
        from flake8_fastapi_deps.index import results

        lookup = results.ResultStore.lookup
        results.ResultStore.lookup = lambda *args: None  # type: ignore[method-assign]
        undo_rules = undo

        def undo() -> None:
            results.ResultStore.lookup = lookup  # type: ignore[method-assign]
            undo_rules()

    reps: list[dict[str, Any]] = []
    try:
        for number in range(ns.reps):
            if number == 0 or not ns.warm:
                checker.clear_cache()
            timer.spent.clear()
            start = _clock()
            findings = one_pass()
            total = _clock() - start
            reps.append({"total_s": total, "findings": findings, "parts_s": dict(timer.spent)})
    finally:
        undo()
    if ns.profile:
        import cProfile

        if not ns.warm:
            checker.clear_cache()
        profiler = cProfile.Profile()
        profiler.runcall(one_pass)
        profiler.dump_stats(ns.profile)
    checker.clear_cache()
    measured = reps[1:] if ns.warm and len(reps) > 1 else reps
    middle = sorted(measured, key=lambda r: r["total_s"])[(len(measured) - 1) // 2]
    parts = middle["parts_s"]
    rules = {code: s for code, s in parts.items() if code.startswith("FAD")}
    families: defaultdict[str, float] = defaultdict(float)
    for code, seconds in rules.items():
        families[family_of(code, units)] += seconds
    return {
        "path": ns.path,
        "files": len(files),
        "warm": ns.warm,
        "all_codes": ns.all_codes,
        "reps": reps,
        "min_s": min(r["total_s"] for r in measured),
        "median_s": statistics.median(r["total_s"] for r in measured),
        "findings": sorted({r["findings"] for r in reps}),
        "median_rep_total_s": middle["total_s"],
        "rules_s": rules,
        "families_s": dict(families),
        "adopt_s": parts.get("adopt", 0.0),
        "index_s": parts.get("index", 0.0),
        "glue_s": middle["total_s"] - sum(parts.values()),
    }


def render(result: dict[str, Any]) -> str:
    cache = "warm caches" if result["warm"] else "caches emptied before each repetition"
    total = result["median_rep_total_s"] or 1e-9
    lines = [
        f"checker.check on {result['files']} files under {result['path']} ({cache})",
        f"  total CPU  min {result['min_s']:.3f} s  median {result['median_s']:.3f} s"
        f"   findings per run: {', '.join(map(str, result['findings']))}",
        f"  median repetition ({result['median_rep_total_s']:.3f} s), exclusive time:",
    ]
    for name, key in (("index", "index_s"), ("adopt", "adopt_s"), ("(per-file glue)", "glue_s")):
        lines.append(f"    {name:22} {result[key]:7.3f} s {result[key] / total:6.1%}")
    for family, seconds in sorted(result["families_s"].items(), key=lambda kv: -kv[1]):
        lines.append(f"    {family:22} {seconds:7.3f} s {seconds / total:6.1%}")
    lines.append("  per rule:")
    for code, seconds in sorted(result["rules_s"].items(), key=lambda kv: -kv[1]):
        lines.append(f"    {code:22} {seconds:7.3f} s {seconds / total:6.1%}")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", help="source tree (or file)")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions")
    parser.add_argument("--warm", action="store_true", help="keep the caches after the first")
    parser.add_argument(
        "--kept-findings", action="store_true",
        help="serve findings kept in the store by an earlier run (default: analyse every file)",
    )
    parser.add_argument("--all-codes", action="store_true", help="run the opt-in codes too")
    parser.add_argument("--profile", metavar="FILE", help="one more repetition under cProfile")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="JSON to stdout, or to FILE")
    ns = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if ns.reps < 1:
        parser.error("--reps must be at least 1")
    ns.path = os.path.abspath(ns.path)
    bench.emit(measure(ns), ns.json, render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
