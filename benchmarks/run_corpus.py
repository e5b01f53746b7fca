"""Run the plugin's core over a source tree without the rest of flake8.

    python benchmarks/run_corpus.py CORPUS_DIR [--select FAD1,FAD2] [--jobs N] [--all-codes]
                                               [--out DIR]

Prints every finding as ``path:line:col: message`` (col 1-based, as flake8
prints it), then the count per code and any exception the plugin raised (with
its traceback).  With ``--out DIR`` the findings are also written one file
per code (``DIR/FAD001.txt``), for triage.  Each top-level folder of CORPUS_DIR (one package of the
corpus) is one work item; files are linted in sorted order.  Exit status 1 if
the plugin raised anywhere.

This is for triage and crash hunting; benchmarks/bench.py measures speed.
"""

from __future__ import annotations

import argparse
import ast
import collections
import multiprocessing
import os
import sys
import traceback
import warnings
from pathlib import Path

from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.registry import ALL_RULES


def lint_tree(args: tuple[str, tuple[str, ...], tuple[str, ...]]) -> tuple[list[str], list[str]]:
    folder, prefixes, option_args = args
    options = Options.from_args(list(option_args))
    findings: list[str] = []
    errors: list[str] = []
    for path in sorted(Path(folder).rglob("*.py")):
        try:
            data = path.read_bytes()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(data, filename=str(path))
            text = data.decode("utf-8")
        except (SyntaxError, ValueError, RecursionError, OSError):  # incl. UnicodeDecodeError
            continue  # flake8's E999 territory
        try:
            results = check(tree, str(path), text.splitlines(keepends=True), options)
        except Exception:  # noqa: BLE001 - reported, that's the point
            errors.append(f"{path}\n{traceback.format_exc()}")
            continue
        for line, col, message in results:
            if message.startswith(prefixes):
                findings.append(f"{path}:{line}:{col + 1}: {message}")
    return findings, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--select", default="", help="comma-separated code prefixes")
    parser.add_argument("--all-codes", action="store_true", help="include opt-in codes")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--option", action="append", default=[], help="e.g. --fad-max-dependencies=2")
    parser.add_argument("--out", type=Path, help="also write findings per code into this folder")
    args = parser.parse_args()
    # the plugin runs only the rules of the codes selected, as under flake8
    option_args = list(args.option)
    if args.select:
        prefixes = tuple(p.strip() for p in args.select.split(",") if p.strip())
        option_args += ["--select", ",".join(prefixes)]
    elif args.all_codes:
        prefixes = ("FAD",)
        option_args += ["--select", "FAD"]
    else:
        prefixes = tuple(code for code, rule in ALL_RULES.items() if rule.default_on)
    folders = sorted(str(p) for p in args.corpus.iterdir() if p.is_dir())
    if not folders:
        folders = [str(args.corpus)]
    work = [(f, prefixes, tuple(option_args)) for f in folders]
    counts: collections.Counter[str] = collections.Counter()
    by_code: dict[str, list[str]] = collections.defaultdict(list)
    all_errors: list[str] = []
    with multiprocessing.Pool(args.jobs) as pool:
        for findings, errors in pool.imap(lint_tree, work):
            for line in findings:
                print(line)
                code = line.split(": ", 1)[1].split(" ", 1)[0]
                counts[code] += 1
                by_code[code].append(line)
            all_errors.extend(errors)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for code, lines in by_code.items():
            (args.out / f"{code}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n# findings per code", file=sys.stderr)
    for code in sorted(counts):
        print(f"{code}: {counts[code]}", file=sys.stderr)
    print(f"# exceptions: {len(all_errors)}", file=sys.stderr)
    for error in all_errors:
        print(error, file=sys.stderr)
    return 1 if all_errors else 0


if __name__ == "__main__":
    sys.exit(main())
