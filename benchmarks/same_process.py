"""The plugin's overhead measured inside one interpreter, with and without it alternately.

    python benchmarks/same_process.py PATH [--rounds 7] [--warmup 1] [--select CODES]
                                      [--use-config] [--json [FILE]] [-- EXTRA_FLAKE8_ARGS...]

``bench.py`` starts a new process for every flake8 run.  On a shared virtual
machine two such runs of the same command differ by 10 % and more, so its
paired median needs many rounds to settle to a point.  This script removes
the process-to-process part of that noise: one Python process imports flake8
and the plugin once, then runs flake8 (``flake8.main.cli.main``, ``--jobs=1``)
on PATH again and again, alternating *with* the plugin and *without* it
(``bench.py``'s filter on ``flake8.plugins.finder.find_plugins``, switched on
and off between runs).  Before every run the plugin's per-process caches are
emptied (``project.clear_cache``: the project index is built again, cold, as
in a new process) and a full garbage collection leaves no garbage of the
previous run behind.  Each run is timed in CPU seconds of this process.

Reported: the median CPU time per configuration and the *paired* overhead,
the median over rounds of with / without (the two runs of a round are back
to back, in alternating order).

What this leaves out, by design: interpreter start-up and importing the
plugin (a fixed cost per flake8 process: ``--startup N`` measures it, N
pairs of ``flake8 --version``-sized runs in new processes, and adds the
median difference to the "with" figures), and the effect of the plugin's
import-time objects on "without" runs (they are in memory for both, which
makes each full garbage collection of a "without" run walk about 2,000
objects more than in a process without the plugin).  Quote it beside
``bench.py``'s figure, not instead of it.  Dependencies: the standard library,
flake8, and the plugin installed for this interpreter.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402  (the filter, the argument split and the report output are shared)

_enabled = [True]
_checked = [0]  # files the plugin's check() saw during the current run


def _count_checks() -> None:
    """Count the plugin's check() calls: proof that the toggle works (zero when off)."""
    from flake8_fastapi_deps import plugin

    original = plugin.check

    def counted(*args: Any) -> Any:
        _checked[0] += 1
        return original(*args)

    setattr(plugin, "check", counted)  # noqa: B010 (a module attribute, patched on purpose)


def run_once(args: list[str], with_plugin: bool) -> tuple[float, int]:
    """CPU seconds of one flake8 run in this process, and the files the plugin checked."""
    from flake8.main import cli

    from flake8_fastapi_deps import checker

    _enabled[0] = with_plugin
    checker.clear_cache()  # the project index is built cold, as in a new process
    gc.collect()
    _checked[0] = 0
    start = time.process_time()
    try:
        cli.main(args)
    except SystemExit:
        pass
    return time.process_time() - start, _checked[0]


def startup_cost(pairs: int) -> dict[str, float]:
    """Median CPU of a new flake8 process on a one-line file, with and without the plugin."""
    with tempfile.TemporaryDirectory() as scratch:
        tiny = os.path.join(scratch, "tiny.py")
        with open(tiny, "w", encoding="utf-8") as handle:
            handle.write("x = 1\n")
        args = ["--isolated", "--jobs=1", "--output-file=" + os.devnull, tiny]
        cpu: dict[str, list[float]] = {bench.WITH: [], bench.WITHOUT: []}
        for _ in range(pairs):
            for config in (bench.WITH, bench.WITHOUT):
                cpu[config].append(bench.measure(args, config)["cpu_s"])
    return {config: statistics.median(values) for config, values in cpu.items()}


def render(result: dict[str, Any]) -> str:
    lines = [
        f"flake8 on {result['path']} in one process ({' '.join(result['flake8_args'])}),",
        f"{result['rounds']} rounds, plugin caches emptied before every run; CPU seconds",
        "",
        f"  with plugin     median {result['with_s']:.3f} s",
        f"  without         median {result['without_s']:.3f} s",
        f"  paired overhead median {100 * (result['paired_median'] - 1):+.1f}%"
        f"   rounds: {' '.join(f'{100 * (r - 1):+.1f}%' for r in result['paired_rounds'])}",
    ]
    startup = result.get("startup")
    if startup:
        extra = startup[bench.WITH] - startup[bench.WITHOUT]
        lines += [
            "",
            f"  start-up of a new process: with {1000 * startup[bench.WITH]:.0f} ms, "
            f"without {1000 * startup[bench.WITHOUT]:.0f} ms ({1000 * extra:+.0f} ms)",
            f"  paired overhead with start-up added: {100 * result['with_startup'] :+.1f}%",
        ]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argv, extra = bench.split_extra(argv)
    parser = bench.script_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="measured pairs of runs")
    parser.add_argument("--warmup", type=int, default=1, help="unreported pairs first")
    parser.add_argument("--select", default=bench.DEFAULT_SELECT, help="flake8 --select")
    parser.add_argument("--use-config", action="store_true", help="do not pass --isolated")
    parser.add_argument(
        "--startup", type=int, default=0, metavar="N",
        help="also measure process start-up over N pairs of new processes",
    )
    ns = parser.parse_args(argv)
    if ns.rounds < 1:
        parser.error("--rounds must be at least 1")
    ns.path = os.path.abspath(ns.path)
    ns.jobs = 1  # workers' CPU would not show in this process's clock
    ns.extra = [*extra, "--output-file=" + os.devnull]
    args = bench.flake8_args(ns)
    bench.check_filter(args)
    bench._install_without_filter(lambda: not _enabled[0])  # the toggle
    _count_checks()
    for _ in range(ns.warmup):
        run_once(args, True)
        run_once(args, False)
    runs: dict[bool, list[float]] = {True: [], False: []}
    checked: dict[bool, set[int]] = {True: set(), False: set()}
    for number in range(ns.rounds):
        order = (True, False) if number % 2 == 0 else (False, True)
        for with_plugin in order:
            cpu, files = run_once(args, with_plugin)
            runs[with_plugin].append(cpu)
            checked[with_plugin].add(files)
    if checked[False] != {0} or 0 in checked[True]:
        sys.exit(f"same_process: the plugin toggle failed (files checked: {checked})")
    ratios = [w / wo for w, wo in zip(runs[True], runs[False])]
    result: dict[str, Any] = {
        "path": ns.path,
        "machine": bench.machine_info(),
        "flake8_args": args,
        "rounds": ns.rounds,
        "with_runs_s": runs[True],
        "without_runs_s": runs[False],
        "with_s": statistics.median(runs[True]),
        "without_s": statistics.median(runs[False]),
        "paired_median": statistics.median(ratios),
        "paired_rounds": ratios,
        "files_checked": sorted(checked[True]),
    }
    if ns.startup:
        startup = startup_cost(ns.startup)
        result["startup"] = startup
        extra_s = startup[bench.WITH] - startup[bench.WITHOUT]
        result["with_startup"] = statistics.median(
            (w + extra_s) / wo for w, wo in zip(runs[True], runs[False])
        ) - 1
    text: Callable[[dict[str, Any]], str] = render
    bench.emit(result, ns.json, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
