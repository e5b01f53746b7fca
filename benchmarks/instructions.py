"""Count the instructions flake8 executes with and without the plugin.

    python benchmarks/instructions.py PATH [--floor] [-j PARALLEL] [--json [FILE]]
                                      [-- EXTRA_FLAKE8_ARGS...]

``bench.py`` measures CPU seconds, which on a shared virtual machine move by
10 % and more between two runs of the same command: a 1-point difference
needs many rounds to show.  This script runs the same flake8 command line
once per configuration (*with* the plugin, *without* it and, with
``--floor``, the bare ``ast.NodeVisitor`` walk; see ``bench.py``) under
valgrind's callgrind tool, which counts the instructions the process
executes.  The count does not depend on what else the machine is doing, so
one run per configuration gives a figure that repeats to a few hundredths of
a percent.  It is a proxy: instructions are not seconds (cache misses and
the garbage collector's memory traffic cost more than their count), so quote
it beside ``bench.py``'s paired CPU ratio, not instead of it.

The runs are about 50 times slower than normal ones (the FastAPI tree, 1,233
files: about 12 minutes each); ``-j`` (default: the number of CPUs) runs that
many configurations at once, which does not change their counts.  flake8
itself runs with ``--jobs=1``.  Needs ``valgrind`` on ``PATH``; the plugin
and flake8 installed for the interpreter running this file.  Exit status 0,
or 2 if a run failed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  (the launcher and configurations are shared)

_COLLECTED = re.compile(r"^==\d+== Collected : (\d+)\s*$", re.MULTILINE)


def collected(stderr: str) -> Optional[int]:
    """The instruction count callgrind reports on stderr, or None."""
    found = _COLLECTED.findall(stderr)
    return int(found[-1]) if found else None


def count(args: list[str], config: str) -> dict[str, Any]:
    """Run flake8 once under callgrind in ``config``; its instruction count."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={os.path.join(scratch, 'callgrind.out')}",
            *bench.child_command(args),
        ]
        proc = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=bench.child_env(config),
            check=False,
        )
    return {
        "config": config,
        "instructions": collected(proc.stderr),
        "exit_code": proc.returncode,
        "stderr": proc.stderr[-4000:],
    }


def render(result: dict[str, Any]) -> str:
    runs = {r["config"]: r for r in result["runs"]}
    base = runs[bench.WITHOUT]["instructions"]
    lines = [
        f"instructions executed by flake8 on {result['path']} ({' '.join(result['flake8_args'])})",
        "",
    ]
    for config in result["configs"]:
        value = runs[config]["instructions"]
        if value is None:
            lines.append(f"  {config:8} FAILED (exit {runs[config]['exit_code']})")
            continue
        ratio = f"{value / base:8.4f}x {100 * (value / base - 1):+7.2f}%" if base else ""
        lines.append(f"  {config:8} {value:>16,}  {ratio}")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argv, extra = bench.split_extra(argv)
    parser = bench.script_parser(__doc__)
    parser.add_argument("--floor", action="store_true", help="also count the bare-walk floor")
    parser.add_argument(
        "-j", "--parallel", type=int, default=os.cpu_count() or 1, help="configurations at once"
    )
    parser.add_argument("--select", default=bench.DEFAULT_SELECT, help="flake8 --select")
    parser.add_argument("--use-config", action="store_true", help="do not pass --isolated")
    ns = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on PATH")
    ns.path = os.path.abspath(ns.path)
    ns.jobs = 1
    ns.extra = [*extra, "--output-file=" + os.devnull]
    args = bench.flake8_args(ns)
    bench.check_filter(args)
    configs = [bench.WITH, bench.WITHOUT] + ([bench.FLOOR] if ns.floor else [])
    with ThreadPoolExecutor(max_workers=max(1, ns.parallel)) as pool:
        runs = list(pool.map(lambda config: count(args, config), configs))
    result: dict[str, Any] = {
        "path": ns.path,
        "machine": bench.machine_info(),
        "flake8_args": args,
        "configs": configs,
        "runs": runs,
    }
    base = next(r["instructions"] for r in runs if r["config"] == bench.WITHOUT)
    result["overhead"] = {
        r["config"]: (r["instructions"] / base - 1 if base and r["instructions"] else None)
        for r in runs
        if r["config"] != bench.WITHOUT
    }
    failed = [r for r in runs if r["instructions"] is None or r["exit_code"] not in (0, 1)]
    bench.emit(result, ns.json, render)
    for run in failed:
        print(f"--- {run['config']} failed (exit {run['exit_code']}):\n{run['stderr']}", file=sys.stderr)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
