"""Measure what flake8-fastapi-deps costs on top of plain flake8.

    python benchmarks/bench.py PATH [--rounds 3] [-j 1] [--select CODES] [--floor]
                               [--warmup 1] [--no-inprocess] [--profile FILE] [--use-config]
                               [--json [FILE]] [-- EXTRA_FLAKE8_ARGS...]

What it does, in one invocation:

1. Runs real flake8 on PATH *with* the plugin and *without* it, ``--rounds``
   times each, changing which goes first from round to round (after
   ``--warmup`` unreported runs that warm the file cache).  Each run is a child
   process measured with ``os.wait4``: wall time, CPU time (user+sys of the
   child and of the processes it waited for, so ``-j N`` workers are included)
   and peak memory (max RSS; with ``-j N`` that is the largest single process).
   Reported: median and minimum per configuration and the ratio with/without,
   and the *paired* CPU overhead: the ratio of the two runs of each round and
   the median of those ratios.  On a shared machine single runs drift by 10 %
   and more; the runs of one round are back to back, so the paired median is
   the figure to quote.

   ``--floor`` adds a third configuration to every round: our entry point
   loaded as usual, but each file costs only a bare ``ast.NodeVisitor`` walk
   of flake8's tree.  That is the least any AST plugin that looks at every
   node pays, measured the same way, so the plugin's figure can be read
   against it on the same machine in the same minutes.

   "Without the plugin" is the same interpreter, the same flake8 and the same
   command line, started through this file as a launcher that removes our
   entry point (``FAD``, package ``flake8_fastapi_deps``) from the list
   ``flake8.plugins.finder.find_plugins`` returns (flake8 >= 5 discovers every
   plugin through that function; the filter is installed at import time from
   an environment variable, so ``-j`` workers inherit it whatever the
   multiprocessing start method).  The "with" run goes through the same
   launcher without the filter, so start-up work is identical.  Both runs are
   checked once with ``--version`` to prove the filter works.

   Default flake8 arguments: ``--isolated`` (no config files, so both runs do
   the same work; ``--use-config`` to keep them), flake8's default selection
   (``--select`` to change it), ``-j 1`` (a stable measure; use ``-j 2`` etc. to see the parallel case),
   output discarded.  Anything after ``--`` is passed to flake8 as well.

2. One extra run in-process (``--no-inprocess`` skips it), flake8 ``-j 1`` with
   the plugin, that splits the plugin's own time:

   * *project index*: time inside ``Project.module_at`` and
     ``Project.project_dependency_targets`` (other modules read, parsed and
     modelled; dependency targets resolved), outermost calls only;
   * *linted files*: time in the plugin's ``check()`` calls minus the index,
     and of that the time modelling them (``Project.adopt``);
   * files linted, files that passed the plugin's text filter (reached
     ``Project.adopt``), files parsed by the index (``Project.parse_count``);
   * a *floor*: a bare ``ast.NodeVisitor`` walk (``generic_visit`` everywhere)
     over each linted file's tree, the tree flake8 already parsed, i.e. the
     least any AST plugin visiting every node pays.

   Also the CPU time of Python's cyclic garbage collector during that run (all
   code: what the plugin keeps alive makes every full collection slower).
   All these are CPU seconds of this process, so a busy machine distorts
   them less than wall time.  The timers wrap the plugin's functions from
   here; the plugin has no timing code of its own.  They work for whatever
   rule families are registered.  ``--profile FILE`` runs this pass under
   cProfile and writes the stats (``python -m pstats FILE``).

``--json`` prints (or writes to FILE) the same figures as JSON.  Exit status:
0, or 2 if a flake8 run crashed (exit code other than 0/1, or a traceback on
stderr).  Dependencies: the standard library and flake8 (and the plugin,
installed in the interpreter running this file).
"""

from __future__ import annotations

import os
import sys

_WITHOUT_ENV = "FAD_BENCH_WITHOUT_PLUGIN"
_FLOOR_ENV = "FAD_BENCH_FLOOR"
_OUR_PACKAGE = "flake8_fastapi_deps"
_OUR_DIST = "flake8-fastapi-deps"
_OUR_ENTRY = "FAD"


def _is_ours(plugin: object) -> bool:
    """Is this ``flake8.plugins.finder.Plugin`` our entry point?"""
    entry = getattr(plugin, "entry_point", None)
    value = str(getattr(entry, "value", ""))
    package = str(getattr(plugin, "package", "")).lower().replace("_", "-")
    return (
        getattr(entry, "name", None) == _OUR_ENTRY
        or value.split(":", 1)[0].split(".", 1)[0] == _OUR_PACKAGE
        or package == _OUR_DIST
    )


def _install_without_filter(active: Callable[[], bool] = lambda: True) -> None:
    """Make flake8 (>= 5) blind to our entry point in this process (while ``active()``)."""
    from flake8.plugins import finder

    original = finder.find_plugins
    if getattr(original, "_fad_filtered", False):
        return

    def find_plugins(*args: object, **kwargs: object) -> list[object]:
        found = original(*args, **kwargs)
        return [p for p in found if not _is_ours(p)] if active() else found

    setattr(find_plugins, "_fad_filtered", True)
    finder.find_plugins = find_plugins


def _install_floor() -> None:
    """Keep our entry point, options and imports, but make each file cost one bare walk.

    The "floor" configuration: what any AST plugin that visits every node pays
    on top of flake8, measured end to end like the plugin itself (start-up,
    option handling and flake8's per-plugin work included).
    """
    import ast

    from flake8_fastapi_deps import plugin

    class _Walk(ast.NodeVisitor):
        pass

    def floor_check(tree: ast.Module, *args: object) -> tuple[()]:
        try:
            _Walk().visit(tree)
        except RecursionError:
            pass
        return ()

    setattr(plugin, "check", floor_check)


# At import time, so that spawned/forkserver -j workers (which re-import the
# main module) filter too; forked workers inherit the patched function.
if os.environ.get(_WITHOUT_ENV) == "1":
    _install_without_filter()
elif os.environ.get(_FLOOR_ENV) == "1":
    _install_floor()


# ----------------------------------------------------------------------------- the parent

import argparse  # noqa: E402
import ast  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable, Optional  # noqa: E402

_LAUNCH = "--launch-flake8"
DEFAULT_SELECT = ""  # flake8's own default: every code but the opt-in ones


def _launch(argv: list[str]) -> int:
    from flake8.main import cli

    return int(cli.main(argv) or 0)


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 0
    info: dict[str, Any] = {
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu or platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }
    try:
        import importlib.metadata as md

        info["flake8"] = md.version("flake8")
        info["plugin"] = md.version(_OUR_DIST)
    except Exception:  # noqa: BLE001 - informative only
        pass
    try:
        from flake8_fastapi_deps.registry import ALL_RULES

        info["codes"] = len(ALL_RULES)
    except Exception:  # noqa: BLE001
        pass
    return info


def flake8_args(ns: argparse.Namespace) -> list[str]:
    args = [] if ns.use_config else ["--isolated"]
    if ns.select:
        args.append(f"--select={ns.select}")
    args.append(f"--jobs={ns.jobs}")
    args += list(ns.extra)
    args.append(ns.path)
    return args


def child_command(args: list[str]) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), _LAUNCH, *args]


# The configurations a round may run: the plugin, no plugin, the floor plugin.
WITH, WITHOUT, FLOOR = "with", "without", "floor"


def child_env(config: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(_WITHOUT_ENV, None)
    env.pop(_FLOOR_ENV, None)
    # Installed packages (flake8, pyflakes, ...) come with bytecode; an editable
    # checkout of the plugin gets its own on first import, unless this is set
    # (some sandboxes do).  Without it every "with" run would compile the
    # plugin's sources again (~60 ms), a cost no installed copy has.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if config == WITHOUT:
        env[_WITHOUT_ENV] = "1"
    elif config == FLOOR:
        env[_FLOOR_ENV] = "1"
    return env


def measure(args: list[str], config: str) -> dict[str, Any]:
    """Run flake8 once in a child process; wall, CPU and peak RSS of the child."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            child_command(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=child_env(config),
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {
        "config": config,
        "with_plugin": config == WITH,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        # Linux reports KiB, macOS bytes
        "max_rss_mib": usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024),
        "exit_code": proc.returncode,
        "stderr": stderr[-4000:],
    }


def crashed(run: dict[str, Any]) -> bool:
    text = run["stderr"]
    return run["exit_code"] not in (0, 1) or "Traceback" in text or "failed during" in text


def check_filter(args: list[str]) -> None:
    """Prove that the 'without' run really lacks the plugin (and 'with' has it)."""
    seen = {}
    for with_plugin in (True, False):
        out = subprocess.run(
            child_command(["--version"]),
            capture_output=True,
            text=True,
            env=child_env(WITH if with_plugin else WITHOUT),
            check=False,
        )
        seen[with_plugin] = _OUR_DIST in out.stdout
    if not seen[True]:
        sys.exit(f"bench: {_OUR_DIST} is not installed for {sys.executable}")
    if seen[False]:
        sys.exit("bench: could not remove the plugin from flake8's plugin list")


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("wall_s", "cpu_s", "max_rss_mib"):
        values = [r[key] for r in runs]
        out[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return out


def paired(runs: list[dict[str, Any]], config: str, key: str = "cpu_s") -> dict[str, Any]:
    """``config`` over "without", round by round, and the median of those ratios.

    The two runs of a round are back to back, so a slow spell of a shared
    machine (which moves single runs by 10 % and more) mostly hits both; the
    median of the per-round ratios is the steadiest figure this script gives.
    """
    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["config"]] = run[key]
    ratios = [r[config] / r[WITHOUT] for r in by_round.values() if config in r and r.get(WITHOUT)]
    if not ratios:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "rounds": []}
    return {
        "median": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
        "rounds": ratios,
    }


# ----------------------------------------------------------------------------- in-process


# CPU time of this process: the breakdown stays meaningful on a busy machine.
_clock = time.process_time


class _Floor(ast.NodeVisitor):
    """Visits every node and does nothing: the floor of an AST plugin."""


class _Timer:
    """Accumulates time spent in wrapped functions, outermost calls only."""

    def __init__(self) -> None:
        self.total = 0.0
        self.calls = 0
        self._depth = 0

    def wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                self._depth += 1
                try:
                    return func(*args, **kwargs)
                finally:
                    self._depth -= 1
            self._depth += 1
            self.calls += 1
            start = _clock()
            try:
                return func(*args, **kwargs)
            finally:
                self.total += _clock() - start
                self._depth -= 1

        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper


def inprocess(ns: argparse.Namespace) -> dict[str, Any]:
    """One flake8 -j1 run in this process, with timers around the plugin's parts."""
    from flake8.main import cli

    from flake8_fastapi_deps import checker, plugin, project

    index = _Timer()
    adopt_timer = _Timer()
    stats = {"check_s": 0.0, "floor_s": 0.0, "linted": 0, "analysed": 0, "floor_failed": 0}
    gc_stats = {"s": 0.0, "full": 0, "start": 0.0}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_stats["start"] = _clock()
        else:
            gc_stats["s"] += _clock() - gc_stats["start"]
            gc_stats["full"] += info.get("generation") == 2
    original_check = getattr(plugin, "check")
    original_adopt = project.Project.adopt
    saved = {
        name: getattr(project.Project, name) for name in ("module_at", "project_dependency_targets")
    }

    def timed_check(tree: ast.Module, filename: Any, lines: Any, options: Any) -> Any:
        start = _clock()
        result = original_check(tree, filename, lines, options)
        stats["check_s"] += _clock() - start
        stats["linted"] += 1
        start = _clock()
        try:
            _Floor().visit(tree)
        except RecursionError:
            stats["floor_failed"] += 1
        stats["floor_s"] += _clock() - start
        return result

    timed_adopt = adopt_timer.wrap(original_adopt)

    def counting_adopt(self: Any, tree: ast.Module, path: Any, *args: Any) -> Any:
        stats["analysed"] += 1
        return timed_adopt(self, tree, path, *args)

    args = flake8_args(ns)
    args = [a for a in args if not a.startswith("--jobs=")] + ["--jobs=1"]
    args = [*args[:-1], f"--output-file={os.devnull}", args[-1]]
    project.clear_cache()
    for name, func in saved.items():
        setattr(project.Project, name, index.wrap(func))
    project.Project.adopt = counting_adopt  # type: ignore[method-assign]
    # plugin.py calls the name it imported; patch both spellings.
    setattr(plugin, "check", timed_check)
    checker_check = checker.check
    setattr(checker, "check", timed_check)
    gc.collect()
    gc.callbacks.append(on_gc)
    try:
        start = time.perf_counter()
        cpu_start = time.process_time()
        if ns.profile:
            import cProfile

            profiler = cProfile.Profile()
            code = profiler.runcall(cli.main, args)
            profiler.dump_stats(ns.profile)
        else:
            code = cli.main(args)
        total = time.perf_counter() - start
        cpu_total = time.process_time() - cpu_start
    finally:
        gc.callbacks.remove(on_gc)
        setattr(plugin, "check", original_check)
        setattr(checker, "check", checker_check)
        project.Project.adopt = original_adopt  # type: ignore[method-assign]
        for name, func in saved.items():
            setattr(project.Project, name, func)
    projects = project.known_projects()
    parsed = sum(p.parse_count for p in projects)
    project.clear_cache()
    walk = stats["check_s"] - index.total
    return {
        "flake8_exit_code": code,
        "total_wall_s": total,
        "total_cpu_s": cpu_total,
        "plugin_s": stats["check_s"],
        "index_s": index.total,
        "index_calls": index.calls,
        "linted_files_s": walk,
        "adopt_s": adopt_timer.total,
        "gc_s": gc_stats["s"],
        "gc_full_collections": int(gc_stats["full"]),
        "floor_s": stats["floor_s"],
        "floor_recursion_errors": stats["floor_failed"],
        "files_linted": stats["linted"],
        "files_analysed": stats["analysed"],
        "files_parsed_by_index": parsed,
        "projects": len(projects),
        "plugin_share_of_rest": stats["check_s"] / max(cpu_total - stats["check_s"], 1e-9),
    }


# ----------------------------------------------------------------------------- report


def _pct(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f}%"


def render(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"flake8-fastapi-deps benchmark: {result['path']}",
        f"machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['implementation']} {m['python']}, "
        f"flake8 {m.get('flake8', '?')}, "
        f"plugin {m.get('plugin', '?')} ({m.get('codes', '?')} codes)",
        f"flake8 args: {' '.join(result['flake8_args'])}",
        f"rounds: {result['rounds']} (order rotated each round), warm-up runs: {result['warmup']}",
        "",
        f"{'':22}{'without plugin':>16}{'with plugin':>16}{'ratio':>9}{'overhead':>10}",
    ]
    s = result["summary"]
    labels = {
        "wall_s": ("wall", "s"),
        "cpu_s": ("CPU (user+sys)", "s"),
        "max_rss_mib": ("peak RSS", "MiB"),
    }
    for key, (label, unit) in labels.items():
        for stat in ("median", "min"):
            a = s["without"][key][stat]
            b = s["with"][key][stat]
            ratio = b / a if a else float("nan")
            lines.append(
                f"{label + ' ' + stat:22}{a:>13.3f} {unit:<3}{b:>12.3f} {unit:<3}"
                f"{ratio:>8.3f}x{_pct(ratio):>10}"
            )
    floor = s.get(FLOOR)
    if floor:
        for stat in ("median", "min"):
            a = s["without"]["cpu_s"][stat]
            b = floor["cpu_s"][stat]
            ratio = b / a if a else float("nan")
            lines.append(
                f"{'floor CPU ' + stat:22}{'':16}{b:>12.3f} s  {ratio:>8.3f}x{_pct(ratio):>10}"
            )
    lines.append("")
    lines.append("CPU over 'without', round by round (the two runs of a round are back to back):")
    for config, pair in result["paired_cpu"].items():
        label = "with plugin" if config == WITH else "floor (bare walk)"
        rounds = " ".join(_pct(r) for r in pair["rounds"])
        lines.append(f"  {label:18} median {_pct(pair['median']):>7}   rounds: {rounds}")
    lines.append("")
    lines.append("runs (order as run):")
    for run in result["runs"]:
        lines.append(
            f"  round {run['round']}: {run['config']:7s}  "
            f"wall {run['wall_s']:.3f}s  cpu {run['cpu_s']:.3f}s  rss {run['max_rss_mib']:.1f} MiB"
            f"  exit {run['exit_code']}"
        )
    ip = result.get("inprocess")
    if ip:
        total = ip["total_wall_s"]
        lines += [
            "",
            "in-process breakdown (one flake8 -j1 run with the plugin; CPU seconds):",
            f"  flake8 total (all plugins)           {ip['total_cpu_s']:9.3f} s"
            f" ({total:.3f} s wall)",
            f"  plugin check() total                 {ip['plugin_s']:9.3f} s "
            f"({ip['plugin_share_of_rest'] * 100:.1f}% of the rest of flake8)",
            f"    project index (other modules)      {ip['index_s']:9.3f} s "
            f"({ip['index_calls']} outermost calls)",
            f"    linted files (check minus index)   {ip['linted_files_s']:9.3f} s",
            f"      of which modelling them (adopt)  {ip['adopt_s']:9.3f} s",
            f"  cyclic GC during the run (all code)  {ip['gc_s']:9.3f} s"
            f" ({ip['gc_full_collections']} full collections)",
            f"  floor: bare NodeVisitor walk         {ip['floor_s']:9.3f} s"
            + (
                f" ({ip['floor_recursion_errors']} RecursionError)"
                if ip["floor_recursion_errors"]
                else ""
            ),
            f"  files linted                         {ip['files_linted']:9d}",
            f"  files past the plugin's text filter  {ip['files_analysed']:9d}",
            f"  files parsed by the project index    {ip['files_parsed_by_index']:9d}"
            f" ({ip['projects']} project roots)",
        ]
    if result["crashes"]:
        lines += ["", f"WARNING: {result['crashes']} run(s) crashed; see stderr in --json output"]
    return "\n".join(lines)


def script_parser(
    doc: Optional[str], path_help: str = "source tree (or file) to lint"
) -> argparse.ArgumentParser:
    """The parser every benchmark script starts from: its docstring's first line, PATH, ``--json``."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0] if doc else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", help=path_help)
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="JSON to stdout, or to FILE"
    )
    return parser


def split_extra(argv: list[str]) -> tuple[list[str], list[str]]:
    """Our arguments, and those after ``--`` (passed to flake8 as they are)."""
    if "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def emit(result: dict[str, Any], json_target: Optional[str], text: Callable[[dict[str, Any]], str]) -> None:
    """``--json`` handling: JSON to stdout (``-``), else the text report and, with FILE, JSON there."""
    if json_target == "-":
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    print(text(result))
    if json_target:
        with open(json_target, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [_LAUNCH]:
        return _launch(argv[1:])
    argv, extra = split_extra(argv)
    parser = script_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="measured runs per configuration")
    parser.add_argument("--warmup", type=int, default=1, help="unreported runs first (file cache)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="flake8 --jobs (default 1)")
    parser.add_argument(
        "--select", default=DEFAULT_SELECT, help="codes to select (default: flake8's defaults)"
    )
    parser.add_argument("--use-config", action="store_true", help="do not pass --isolated")
    parser.add_argument("--no-inprocess", action="store_true", help="skip the breakdown run")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run a third configuration: our entry point doing only a bare "
        "NodeVisitor walk per file (the least any AST plugin costs)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the in-process pass under cProfile and write pstats to FILE "
        "(its timings are then inflated by the profiler)",
    )
    ns = parser.parse_args(argv)
    ns.extra = extra
    if ns.rounds < 1:
        parser.error("--rounds must be >= 1")
    ns.path = os.path.abspath(ns.path)
    args = flake8_args(ns)
    check_filter(args)

    configs = [WITH, WITHOUT, FLOOR] if ns.floor else [WITH, WITHOUT]
    for i in range(ns.warmup):
        measure(args, configs[i % len(configs)])
    runs: list[dict[str, Any]] = []
    for rnd in range(ns.rounds):
        # rotate, then reverse every other round: each configuration runs first,
        # last and (with the floor) in the middle equally often
        shift = (rnd // 2) % len(configs)
        order = configs[shift:] + configs[:shift]
        if rnd % 2:
            order.reverse()
        for config in order:
            run = measure(args, config)
            run["round"] = rnd + 1
            runs.append(run)
            print(
                f"round {rnd + 1}/{ns.rounds} {config:7s} {run['cpu_s']:.2f}s CPU",
                file=sys.stderr,
                flush=True,
            )
    result: dict[str, Any] = {
        "path": ns.path,
        "machine": machine_info(),
        "command": " ".join(["python", "benchmarks/bench.py", *sys.argv[1:]]),
        "flake8_args": args,
        "rounds": ns.rounds,
        "warmup": ns.warmup,
        "runs": runs,
        "summary": {
            config: summarize([r for r in runs if r["config"] == config]) for config in configs
        },
        "paired_cpu": {config: paired(runs, config) for config in configs if config != WITHOUT},
        "crashes": sum(crashed(r) for r in runs),
    }
    w, wo = result["summary"]["with"], result["summary"]["without"]
    result["ratios"] = {
        key: {stat: w[key][stat] / wo[key][stat] for stat in ("median", "min")}
        for key in ("wall_s", "cpu_s", "max_rss_mib")
    }
    if not ns.no_inprocess:
        result["inprocess"] = inprocess(ns)
    emit(result, ns.json, render)
    for run in runs:
        if crashed(run):
            print(f"--- crashed run (exit {run['exit_code']}):\n{run['stderr']}", file=sys.stderr)
    return 2 if result["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
