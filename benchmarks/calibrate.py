"""Compare flake8 across installations: this plugin against a reference plugin.

    python benchmarks/calibrate.py PATH --baseline PYTHON [--compare NAME=PYTHON ...]
                                   [--rounds 7] [--warmup 1] [--json [FILE]]
                                   [-- EXTRA_FLAKE8_ARGS...]

``bench.py`` measures the plugin against flake8 without it in one
installation.  What such a percentage means depends on the machine: how much
an AST plugin costs next to flake8's own work (tokenising, pycodestyle,
pyflakes) moves with the CPU, its caches and the Python build.  This script
gives the figure a scale.  Each interpreter (one virtual environment each)
runs the same command, ``PYTHON -m flake8 --isolated --jobs=1 PATH``, in
rotated order each round, and the CPU time of each run is compared with the
baseline's run of the same round (paired, as in ``bench.py``).  Typical use:
the baseline has flake8 alone, one environment adds this plugin, another a
well-known plugin (flake8-bugbear), all with the same flake8 version; a
published overhead for the reference then tells how this machine compares
with the one it was measured on.

The runs start in an empty temporary folder: ``importlib.metadata`` also
looks at the working directory, and a checkout holding an ``*.egg-info``
folder (what ``pip install -e`` leaves) would otherwise add its plugin to
every interpreter.  Each interpreter's ``flake8 --version`` line is reported,
so the plugins each one loaded are on record.  Standard library only; exit
status 0, or 2 if a run failed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  (argument split, parser, child environment and report output are shared)


def parse_args(argv: list[str]) -> argparse.Namespace:
    argv, extra = bench.split_extra(argv)
    parser = bench.script_parser(__doc__, "the tree flake8 lints")
    parser.add_argument("--baseline", required=True, help="python of the reference installation")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NAME=PYTHON",
        help="another installation to compare with the baseline (repeatable)",
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=1, help="unreported runs of each first")
    ns = parser.parse_args(argv)
    if ns.rounds < 1:
        parser.error("--rounds must be at least 1")
    ns.extra = extra
    configs: dict[str, str] = {"baseline": ns.baseline}
    for item in ns.compare:
        name, sep, python = item.partition("=")
        if not sep or not name or not python or name in configs:
            parser.error(f"--compare {item!r}: expected a new NAME=PYTHON")
        configs[name] = python
    ns.configs = configs
    return ns


def run_once(python: str, args: list[str], cwd: str) -> dict[str, Any]:
    """One flake8 run in a child process: its CPU seconds (user+sys) and exit status."""
    proc = subprocess.Popen(
        [python, "-m", "flake8", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=bench.child_env(bench.WITH),  # as bench.py's runs: bytecode allowed, no filter
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    # flake8 exits 1 when it reports something; anything else is a failure
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "exit": code,
        "failed": code not in (0, 1),
        "stderr": stderr.decode("utf-8", "replace")[-2000:] if code not in (0, 1) else "",
    }


def version_line(python: str, cwd: str) -> str:
    proc = subprocess.run(
        [python, "-m", "flake8", "--version"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return " ".join(proc.stdout.split()) or proc.stderr.strip()[-300:]


def measure(ns: argparse.Namespace) -> dict[str, Any]:
    path = os.path.abspath(ns.path)
    args = ["--isolated", "--jobs=1", *ns.extra, path]
    names = list(ns.configs)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="fad-calibrate-") as cwd:
        versions = {name: version_line(python, cwd) for name, python in ns.configs.items()}
        for _ in range(ns.warmup):
            for python in ns.configs.values():
                run_once(python, args, cwd)
        for number in range(ns.rounds):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                run = run_once(ns.configs[name], args, cwd)
                run["round"] = number + 1
                runs[name].append(run)
                print(f"round {number + 1}/{ns.rounds} {name:<12} {run['cpu_s']:.2f}s CPU",
                      file=sys.stderr, flush=True)
    base = [r["cpu_s"] for r in runs["baseline"]]
    summary: dict[str, Any] = {}
    for name in names:
        cpu = [r["cpu_s"] for r in runs[name]]
        entry: dict[str, Any] = {
            "python": ns.configs[name],
            "version": versions[name],
            "cpu_median_s": statistics.median(cpu) if cpu else None,
        }
        if name != "baseline" and cpu:
            ratios = [c / b - 1 for c, b in zip(cpu, base) if b > 0]
            entry["paired_overhead"] = statistics.median(ratios) if ratios else None
            entry["paired_rounds"] = ratios
        summary[name] = entry
    return {
        "command": " ".join(["python", "-m", "flake8", *args]),
        "rounds": ns.rounds,
        "configs": summary,
        "failures": sum(r["failed"] for rs in runs.values() for r in rs),
        "runs": runs,
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"command: {result['command']}", f"rounds: {result['rounds']} (order rotated)", ""]
    for name, entry in result["configs"].items():
        lines.append(f"{name}: {entry['version']}")
    lines.append("")
    lines.append(f"{'':<12} {'CPU median':>11}  paired over baseline (median; rounds)")
    for name, entry in result["configs"].items():
        median = entry["cpu_median_s"]
        text = f"{name:<12} {median:>10.3f}s" if median is not None else f"{name:<12} {'-':>11}"
        if entry.get("paired_overhead") is not None:
            rounds = " ".join(f"{100 * r:+.1f}%" for r in entry["paired_rounds"])
            text += f"  {100 * entry['paired_overhead']:+.1f}%   {rounds}"
        lines.append(text)
    if result["failures"]:
        lines.append(f"\n{result['failures']} run(s) failed (exit status other than 0 or 1)")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    ns = parse_args(sys.argv[1:] if argv is None else argv)
    result = measure(ns)
    bench.emit(result, ns.json, render)
    return 2 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
