"""How many sub-dependencies do real dependencies declare?  (FAD303's default.)

    python benchmarks/dependency_counts.py CORPUS_DIR [--jobs N]

Counts, for every dependency outside test code (a function or class used in
``Depends``/``Security`` anywhere in its project: exactly what FAD303 looks at),
the sub-dependencies it declares, as FAD303 counts them, and prints the
distribution and its percentiles.  ``--fad-max-dependencies`` defaults to the
99th percentile: only the outliers above it are reported.
"""

from __future__ import annotations

import argparse
import ast
import collections
import multiprocessing
import os
import sys
import warnings
from pathlib import Path

from flake8_fastapi_deps.checker import _is_test
from flake8_fastapi_deps.context import FileContext
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.project import project_for, real_path
from flake8_fastapi_deps.rules.structure.fad303_dependency_with_many_dependencies import (
    dependency_counts,
)


def count_tree(folder: str) -> list[tuple[int, str]]:
    """(count, "path:line name") of every dependency of one corpus package."""
    options = Options.from_args(["--select", "FAD303"])
    found: list[tuple[int, str]] = []
    for path in sorted(Path(folder).rglob("*.py")):
        try:
            data = path.read_bytes()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(data, filename=str(path))
            text = data.decode("utf-8")
        except (SyntaxError, ValueError, RecursionError, OSError):
            continue
        if not any(word in text for word in ("fastapi", "Depends", "Security")):
            continue
        project = project_for(str(path), options)
        module = project.adopt(tree, real_path(str(path)), text)
        try:
            ctx = FileContext(project, module, options, _is_test(project, str(path), options), True, text)
            if ctx.is_test:
                continue
            for info, count in dependency_counts(ctx):
                found.append((count, f"{path}:{info.node.lineno} {info.qualname}"))
        finally:
            project.release(module)
    return found


def percentile(values: list[int], pct: float) -> int:
    """The nearest-rank percentile of sorted ``values``."""
    rank = max(1, -(-len(values) * pct // 100))
    return values[int(rank) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--show-above", type=int, default=None, help="list dependencies above N")
    args = parser.parse_args()
    folders = sorted(str(p) for p in args.corpus.iterdir() if p.is_dir()) or [str(args.corpus)]
    rows: list[tuple[int, str]] = []
    with multiprocessing.Pool(args.jobs) as pool:
        for found in pool.imap(count_tree, folders):
            rows.extend(found)
    counts = sorted(count for count, _ in rows)
    if not counts:
        print("no dependencies found")
        return 1
    histogram = collections.Counter(counts)
    print(f"dependencies: {len(counts)}")
    print("sub-dependencies  dependencies  cumulative %")
    running = 0
    for value in sorted(histogram):
        running += histogram[value]
        print(f"{value:>16}  {histogram[value]:>12}  {100 * running / len(counts):>11.1f}")
    for pct in (50, 75, 90, 95, 98, 99, 99.5):
        print(f"p{pct}: {percentile(counts, pct)}")
    if args.show_above is not None:
        for count, where in sorted(rows, reverse=True):
            if count > args.show_above:
                print(f"{count} {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
