"""Time the plugin's ``check()`` alone over a tree, outside flake8, per rule family.

    python benchmarks/check_only.py PATH [--reps 7] [--warm] [--all-codes] [--json [FILE]]

``bench.py`` answers "what does flake8 cost with the plugin?", but one flake8
run over a large tree takes seconds and moves by several percent on a shared
machine.  When working on the plugin's own speed, a faster and steadier
figure helps: this script reads and parses every ``.py`` file under PATH
once (not timed), then calls ``checker.check`` on each, in path order, as
flake8 ``-j1`` would, ``--reps`` times.  Before each repetition the plugin's
per-process caches are emptied (the project index is built cold, as in a new
flake8 process); ``--warm`` keeps them after the first repetition, which
leaves only the per-file work.

Reported: the minimum and median total CPU seconds, findings per run, and
for the median repetition the time in ``Project.adopt`` (modelling the linted
file) and in each rule family, the rest being the per-file glue of
``checker``.  Timers wrap the functions from here; the plugin has none.
``--all-codes`` runs the opt-in codes too (default: flake8's default
selection).

``--instructions`` counts instead of timing: the script runs itself once
under valgrind's callgrind with collection switched on only around one
repetition of the ``check()`` loop (cold, or the second with ``--warm``), and
reports the instructions executed there.  The count does not move with the
machine's load; hash randomisation is fixed (``PYTHONHASHSEED=0``) because
set and dict orders change it by about 0.2 %.  Needs ``valgrind`` and
``callgrind_control``; about half a minute on the FastAPI repository.
Dependencies: the standard library and the plugin.
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import time
import types
import warnings
from collections import Counter
from typing import Any, Callable, Iterator, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  (the argument split and the report output are shared)
import instructions  # noqa: E402  (callgrind's count, read from its output)

_clock = time.process_time


def python_files(path: str) -> list[str]:
    """``.py`` files under ``path`` in sorted walk order (hidden folders and caches skipped)."""
    if os.path.isfile(path):
        return [path]
    found: list[str] = []
    for folder, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        found.extend(os.path.join(folder, n) for n in sorted(names) if n.endswith(".py"))
    return found


def load(paths: list[str]) -> list[tuple[ast.Module, str, list[str]]]:
    """(tree, path, lines) of every file that reads as UTF-8 and parses."""
    loaded = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, filename=path)
        except (OSError, SyntaxError, ValueError):  # (UnicodeDecodeError is a ValueError)
            continue
        loaded.append((tree, path, text.splitlines(keepends=True)))
    return loaded


def family_name(unit: Any) -> str:
    """The rule family a unit of ``rules.RULE_MODULES`` belongs to (``rules.<family>...``)."""
    return str(unit.__name__).split(".")[2]


def timed(units: tuple[Any, ...], spent: Counter[str]) -> tuple[Any, ...]:
    """The same units, each adding the time of its ``check`` to its family's counter."""
    wrapped: list[Any] = []
    for unit in units:
        name = family_name(unit)
        copy: Any = types.SimpleNamespace(RULE=unit.RULE, wants=getattr(unit, "wants", None))
        copy.check = _timer(unit.check, name, spent)
        wrapped.append(copy)
    return tuple(wrapped)


def _timer(check: Callable[[Any], Any], name: str, spent: Counter[str]) -> Callable[[Any], Any]:
    def timed_check(ctx: Any) -> Iterator[Any]:
        start = _clock()
        try:
            return iter(list(check(ctx)))
        finally:
            spent[name] += _clock() - start

    return timed_check


def _collect(on: bool) -> None:
    """Switch callgrind's instrumentation for this process on or off."""
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        check=True,
    )


def count_instructions(ns: argparse.Namespace) -> dict[str, Any]:
    """Run this script under callgrind (see ``--instructions``) and read the count."""
    command = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
        sys.executable, os.path.abspath(__file__), ns.path, "--collect-child",
        f"--reps={2 if ns.warm else 1}",
    ]
    command += ["--warm"] if ns.warm else []
    command += ["--all-codes"] if ns.all_codes else []
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    found = instructions.collected(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return {"path": ns.path, "warm": ns.warm, "all_codes": ns.all_codes, "instructions": found}


def measure(ns: argparse.Namespace) -> dict[str, Any]:
    from flake8_fastapi_deps import checker, project
    from flake8_fastapi_deps.options import Options, Selection

    files = load(python_files(ns.path))
    options = Options(selection=Selection.every_code()) if ns.all_codes else Options()
    spent: Counter[str] = Counter()
    units = checker.RULE_MODULES
    adopt = project.Project.adopt

    def timed_adopt(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = _clock()
        try:
            return adopt(self, *args, **kwargs)
        finally:
            spent["adopt"] += _clock() - start

    if not ns.collect_child:  # counted instructions are the plugin's own: no timers
        checker.RULE_MODULES = timed(units, spent)  # type: ignore[misc]
        setattr(project.Project, "adopt", timed_adopt)  # noqa: B010
    reps: list[dict[str, Any]] = []
    try:
        for number in range(ns.reps):
            if number == 0 or not ns.warm:
                checker.clear_cache()
            spent.clear()
            findings = 0
            counted = ns.collect_child and number == ns.reps - 1
            if counted:
                _collect(True)
            start = _clock()
            for tree, path, lines in files:
                findings += len(checker.check(tree, path, lines, options))
            total = _clock() - start
            if counted:
                _collect(False)
            reps.append({"total_s": total, "findings": findings, "parts_s": dict(spent)})
    finally:
        checker.RULE_MODULES = units  # type: ignore[misc]
        setattr(project.Project, "adopt", adopt)  # noqa: B010
    measured = reps[1:] if ns.warm and len(reps) > 1 else reps
    ordered = sorted(measured, key=lambda r: r["total_s"])
    middle = ordered[(len(ordered) - 1) // 2]
    return {
        "path": ns.path,
        "files": len(files),
        "warm": ns.warm,
        "all_codes": ns.all_codes,
        "reps": reps,
        "min_s": ordered[0]["total_s"],
        "median_s": statistics.median(r["total_s"] for r in measured),
        "findings": sorted({r["findings"] for r in reps}),
        "median_parts_s": middle["parts_s"],
        "median_rep_total_s": middle["total_s"],
    }


def render(result: dict[str, Any]) -> str:
    cache = "warm caches" if result["warm"] else "caches emptied before each repetition"
    lines = [
        f"checker.check on {result['files']} files under {result['path']} ({cache})",
        f"  total CPU  min {result['min_s']:.3f} s  median {result['median_s']:.3f} s"
        f"   findings per run: {', '.join(map(str, result['findings']))}",
        f"  median repetition ({result['median_rep_total_s']:.3f} s):",
    ]
    parts = result["median_parts_s"]
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {name:18} {seconds:.3f} s")
    rest = result["median_rep_total_s"] - sum(parts.values())
    lines.append(f"    {'(per-file glue)':18} {rest:.3f} s")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argv, _ = bench.split_extra(argv)
    parser = bench.script_parser(__doc__, "source tree (or file)")
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions")
    parser.add_argument("--warm", action="store_true", help="keep the caches after the first")
    parser.add_argument("--all-codes", action="store_true", help="run the opt-in codes too")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under callgrind instead"
    )
    parser.add_argument("--collect-child", action="store_true", help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)
    if ns.reps < 1:
        parser.error("--reps must be at least 1")
    ns.path = os.path.abspath(ns.path)
    if ns.instructions:
        counted = count_instructions(ns)
        cache = "warm caches" if ns.warm else "cold caches"
        bench.emit(
            counted,
            ns.json,
            lambda r: f"checker.check over {r['path']} ({cache}): {r['instructions']:,} instructions",
        )
        return 0
    text: Callable[[dict[str, Any]], str] = render
    bench.emit(measure(ns), ns.json, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
