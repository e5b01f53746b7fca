"""Measure what flake8-fastapi-deps costs on top of plain flake8.

    python benchmarks/bench.py [PATH ...] [--gen N[,N...]] [--as-project]
                               [--scenarios stdin,tree,jobs] [--store cold,warm] [-j N]
                               [--rounds 3] [--warmup 1] [--file REL] [--floor]
                               [--select CODES] [--use-config] [--json [FILE]]
                               [-- EXTRA_FLAKE8_ARGS...]

Each target (a PATH, or a project of N modules written by ``gen_project.py``
for each N of ``--gen``) is one project root: flake8 runs with the target as
its working directory, as an editor or CI would.  ``--as-project`` first
copies the ``.py`` files of each PATH into a temporary folder with an empty
``pyproject.toml`` (a root marker), so that a corpus folder without one (the
plugin otherwise takes the top of each ``__init__.py`` package chain as a
root, and files outside any package alone) is indexed as one project.

Scenarios (``--scenarios``, all by default):

* ``stdin``: one file through stdin, as editors call flake8:
  ``flake8 - --stdin-display-name REL < REL``.  REL is ``--file``, else for a
  generated project its middle module, else the file with the most
  ``Depends(`` among those creating an ``APIRouter``/``FastAPI`` (the name is
  printed);
* ``tree``: the whole tree, ``flake8 --jobs=1 .``;
* ``jobs``: the whole tree, ``flake8 --jobs=N .`` (``-j``, default 2).

Each scenario runs with the plugin's persistent store COLD (a fresh, empty
``--fad-cache-dir`` for every run), WARM (one directory filled by one
unmeasured run first) and EDITED (warm, but the stdin file's text, or for a
tree the sample file's mtime, changes before each round, so the findings kept
for it are not served: an editor's save), ``--store`` to pick.  If the installed plugin has no
``--fad-cache-dir`` option (``flake8 --help``), each scenario runs once, as
"no store", and the report says so.

Every measurement runs real flake8 *with* the plugin and *without* it,
``--rounds`` times each, after ``--warmup`` unreported runs, in turns: the
order alternates from round to round.  Each run is a child process measured
with ``os.wait4``: wall time, CPU time (user+sys of the child and of the
processes it waited for, so ``-j`` workers count) and peak RSS (the largest
single process).  Reported per configuration: the medians; and the ratios
with/without: wall and CPU as the median of the per-round ratios (the two
runs of a round are back to back, so a slow spell of a shared machine hits
both), peak RSS as the ratio of the medians.  A ratio within 5 % of 1.00 is
marked ``~`` (within noise).  ``--floor`` adds a third configuration: our
entry point loaded, but each file costs one bare ``ast.NodeVisitor`` walk
(the least any AST plugin visiting every node pays).

"Without the plugin" is the same interpreter, the same flake8 and the same
command line (minus the store option, which flake8 would not know), started
through this file as a launcher that removes our entry point (``FAD``) from
what ``flake8.plugins.finder.find_plugins`` returns; the filter is installed
at import time from an environment variable, so ``-j`` workers inherit it.
The "with" run goes through the same launcher.  Both are checked once with
``--version``.  flake8 runs with ``--isolated`` (no config files; ``--use-config``
keeps them) and flake8's default selection (``--select``); anything after
``--`` is passed on.  To measure a checkout rather than the installed
plugin, run with ``PYTHONPATH=CHECKOUT`` (the children inherit it).

``--json`` prints (or writes to FILE) every run and figure as JSON.  Exit
status 0, or 2 if a flake8 run crashed (exit code other than 0/1, or a
traceback on stderr).  Standard library and flake8 only.
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


def _install_without_filter() -> None:
    """Make flake8 (>= 5) blind to our entry point in this process."""
    from flake8.plugins import finder

    original = finder.find_plugins
    if getattr(original, "_fad_filtered", False):
        return

    def find_plugins(*args: object, **kwargs: object) -> list[object]:
        return [p for p in original(*args, **kwargs) if not _is_ours(p)]

    setattr(find_plugins, "_fad_filtered", True)
    finder.find_plugins = find_plugins


def _install_floor() -> None:
    """Keep our entry point, options and imports, but make each file cost one bare walk."""
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
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any, Callable, Optional  # noqa: E402

_LAUNCH = "--launch-flake8"
WITH, WITHOUT, FLOOR = "with", "without", "floor"
SCENARIOS = ("stdin", "tree", "jobs")
STORES = ("cold", "warm", "edited")
NO_STORE = "none"
NOISE = 0.05  # paired ratios of identical runs on a shared 2-core machine stay within this


def _launch(argv: list[str]) -> int:
    from flake8.main import cli

    return int(cli.main(argv) or 0)


def child_command(args: list[str]) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), _LAUNCH, *args]


def child_env(config: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(_WITHOUT_ENV, None)
    env.pop(_FLOOR_ENV, None)
    # An editable checkout of the plugin gets its bytecode on first import,
    # unless this is set; without it every run would compile the plugin again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if config == WITHOUT:
        env[_WITHOUT_ENV] = "1"
    elif config == FLOOR:
        env[_FLOOR_ENV] = "1"
    return env


def _child_output(args: list[str], config: str) -> str:
    done = subprocess.run(
        child_command(args), capture_output=True, text=True, env=child_env(config), check=False
    )
    return done.stdout


def check_filter() -> None:
    """Prove that the 'without' run really lacks the plugin (and 'with' has it)."""
    if _OUR_DIST not in _child_output(["--version"], WITH):
        sys.exit(f"bench: {_OUR_DIST} is not installed for {sys.executable}")
    if _OUR_DIST in _child_output(["--version"], WITHOUT):
        sys.exit("bench: could not remove the plugin from flake8's plugin list")


def store_supported() -> bool:
    """Does the plugin flake8 loads have the persistent store (``--fad-cache-dir``)?"""
    return "--fad-cache-dir" in _child_output(["--help"], WITH)


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
        "cpu_model": cpu or platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import importlib.metadata as md

        import flake8_fastapi_deps

        info["flake8"] = md.version("flake8")
        info["plugin_path"] = os.path.dirname(os.path.abspath(flake8_fastapi_deps.__file__))
    except Exception:  # noqa: BLE001 - informative only
        pass
    return info


# ----------------------------------------------------------------------------- targets


@dataclass
class Target:
    name: str  # as reported: the PATH given, or "generated N"
    root: str  # flake8's working directory
    sample: str  # the file of the stdin scenario, relative to root
    files: int  # .py files under root
    copy: bool = False  # root is a copy or generated (bench may touch its files)


def python_files(root: str) -> list[str]:
    """``.py`` files under ``root``, relative, sorted (hidden folders and caches skipped)."""
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        rel = os.path.relpath(folder, root)
        found += [os.path.normpath(os.path.join(rel, n)) for n in sorted(names) if n.endswith(".py")]
    return found


def pick_sample(root: str, files: list[str]) -> str:
    """The file with the most ``Depends(`` among those that create a router or an app."""
    best: tuple[int, str] = (-1, files[0] if files else "")
    for rel in files:
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        if "APIRouter(" in text or "FastAPI(" in text:
            score = text.count("Depends(")
            if score > best[0]:
                best = (score, rel)
    return best[1]


def copy_as_project(path: str, into: str) -> str:
    """The ``.py`` files of ``path`` under ``into/<name>``, with an empty ``pyproject.toml``."""
    dest = os.path.join(into, os.path.basename(os.path.normpath(path)))

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [
            n
            for n in names
            if n.startswith(".")
            or n == "__pycache__"
            or (not n.endswith(".py") and not os.path.isdir(os.path.join(folder, n)))
        ]

    shutil.copytree(path, dest, ignore=ignore, symlinks=True)
    with open(os.path.join(dest, "pyproject.toml"), "w", encoding="utf-8"):
        pass
    return dest


def make_targets(ns: argparse.Namespace, scratch: str) -> list[Target]:
    targets: list[Target] = []
    for path in ns.paths:
        root = os.path.abspath(path)
        if not os.path.isdir(root):
            sys.exit(f"bench: {path} is not a folder")
        if ns.as_project:
            root = copy_as_project(root, scratch)
        files = python_files(root)
        if not files:
            sys.exit(f"bench: no .py file under {path}")
        sample = ns.file or pick_sample(root, files)
        targets.append(Target(path, root, sample, len(files), copy=ns.as_project))
    if ns.gen:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import gen_project

        for n in ns.gen:
            root = os.path.join(scratch, f"gen{n}")
            print(f"bench: generating {n} modules in {root}", file=sys.stderr, flush=True)
            gen_project.generate(n, root)
            files = python_files(root)
            targets.append(
                Target(f"generated {n}", root, gen_project.sample_module(n), len(files), copy=True)
            )
    for target in targets:
        if not os.path.isfile(os.path.join(target.root, target.sample)):
            sys.exit(f"bench: {target.sample} is not a file under {target.root}")
    return targets


# ----------------------------------------------------------------------------- runs


def base_args(ns: argparse.Namespace) -> list[str]:
    args = [] if ns.use_config else ["--isolated"]
    if ns.select:
        args.append(f"--select={ns.select}")
    return args + list(ns.extra)


def scenario_args(ns: argparse.Namespace, scenario: str, target: Target) -> list[str]:
    if scenario == "stdin":
        return [*base_args(ns), "--jobs=1", "--stdin-display-name", target.sample, "-"]
    jobs = 1 if scenario == "tree" else ns.jobs
    return [*base_args(ns), f"--jobs={jobs}", "."]


def measure(args: list[str], config: str, cwd: str, stdin: Optional[str]) -> dict[str, Any]:
    """Run flake8 once in a child process; wall, CPU and peak RSS of the child."""
    with tempfile.TemporaryFile() as err:
        source = open(stdin, "rb") if stdin else None
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                child_command(args),
                cwd=cwd,
                stdin=source if source else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=child_env(config),
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        finally:
            if source:
                source.close()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {
        "config": config,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        # Linux reports KiB, macOS bytes
        "max_rss_mib": usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024),
        "exit_code": proc.returncode,
        "stderr": stderr[-4000:],
    }


def crashed(run: dict[str, Any]) -> bool:
    text = run["stderr"]
    return run["exit_code"] not in (0, 1) or "Traceback" in text or "failed during" in text


def median_ratio(runs: list[dict[str, Any]], config: str, key: str) -> dict[str, Any]:
    """``config`` over "without", round by round, and the median of those ratios."""
    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["config"]] = run[key]
    ratios = [r[config] / r[WITHOUT] for r in by_round.values() if config in r and r.get(WITHOUT)]
    return {"median": statistics.median(ratios) if ratios else float("nan"), "rounds": ratios}


def run_case(
    ns: argparse.Namespace, target: Target, scenario: str, store: str, scratch: str
) -> dict[str, Any]:
    """One scenario on one target with one store state: warm-up, then the paired rounds."""
    args = scenario_args(ns, scenario, target)
    stdin = os.path.join(target.root, target.sample) if scenario == "stdin" else None
    configs = [WITH, WITHOUT, FLOOR] if ns.floor else [WITH, WITHOUT]
    warm_dir = tempfile.mkdtemp(prefix="warm-", dir=scratch)

    def command(config: str) -> tuple[list[str], Optional[str]]:
        """The flake8 arguments of one run, and the cache folder it made (to delete)."""
        if config != WITH or store == NO_STORE:
            return args, None
        if store in ("warm", "edited"):
            return ["--fad-cache-dir", warm_dir, *args], None
        cold = tempfile.mkdtemp(prefix="cold-", dir=scratch)
        return ["--fad-cache-dir", cold, *args], cold

    edits = [0]

    def edit() -> Optional[str]:
        """``edited``: a new version of the sample before each round (the stdin text for
        ``stdin``, the file's mtime for a tree), so that its kept findings never serve."""
        edits[0] += 1
        if scenario == "stdin":
            assert stdin is not None
            with open(stdin, "rb") as original:
                data = original.read()
            edited = os.path.join(scratch, "edited.py")
            with open(edited, "wb") as out:
                out.write(data + f"\n# edited {edits[0]}\n".encode())
            return edited
        path = os.path.join(target.root, target.sample)
        now = os.stat(path).st_mtime_ns + 10**9
        os.utime(path, ns=(now, now))
        return None

    source = [stdin]

    def one(config: str) -> dict[str, Any]:
        run_args, made = command(config)
        try:
            return measure(run_args, config, target.root, source[0])
        finally:
            if made:
                shutil.rmtree(made, ignore_errors=True)

    if store in ("warm", "edited"):
        one(WITH)  # fills the store
    for i in range(ns.warmup):
        one(configs[i % len(configs)])
    runs: list[dict[str, Any]] = []
    for rnd in range(ns.rounds):
        shift = (rnd // 2) % len(configs)
        order = configs[shift:] + configs[:shift]
        if rnd % 2:
            order.reverse()
        if store == "edited":
            source[0] = edit() or stdin  # both runs of the round see the same new version
        for config in order:
            run = one(config)
            run["round"] = rnd + 1
            runs.append(run)
            print(
                f"  {target.name} {scenario}/{store} round {rnd + 1}/{ns.rounds} {config:7s} "
                f"{run['wall_s']:.2f}s wall {run['cpu_s']:.2f}s CPU",
                file=sys.stderr,
                flush=True,
            )
    shutil.rmtree(warm_dir, ignore_errors=True)
    medians = {
        config: {
            key: statistics.median(r[key] for r in runs if r["config"] == config)
            for key in ("wall_s", "cpu_s", "max_rss_mib")
        }
        for config in configs
    }
    ratios: dict[str, Any] = {}
    for config in configs[:1] + configs[2:]:
        wall = median_ratio(runs, config, "wall_s")
        cpu = median_ratio(runs, config, "cpu_s")
        ratios[config] = {
            "wall": wall["median"],
            "cpu": cpu["median"],
            "max_rss": medians[config]["max_rss_mib"] / medians[WITHOUT]["max_rss_mib"],
            "wall_rounds": wall["rounds"],
            "cpu_rounds": cpu["rounds"],
        }
        ratios[config]["within_noise"] = {
            key: abs(ratios[config][key] - 1) < NOISE for key in ("wall", "cpu", "max_rss")
        }
    return {
        "target": target.name,
        "scenario": scenario,
        "store": store,
        "flake8_args": args,
        "cwd": target.root,
        "runs": runs,
        "medians": medians,
        "ratios": ratios,
        "crashes": sum(crashed(r) for r in runs),
    }


# ----------------------------------------------------------------------------- report


def _ratio(value: float, noise: bool) -> str:
    return f"{'~' if noise else ' '}{value:.2f}x"


def render(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"machine: {m['nproc']} CPUs ({m['cpu_model']}), Python {m['python']}, "
        f"flake8 {m.get('flake8', '?')}, plugin from {m.get('plugin_path', '?')}",
        f"rounds: {result['rounds']} per configuration (order alternating), "
        f"warm-up runs: {result['warmup']}",
    ]
    if not result["store_supported"]:
        lines.append("store: this plugin has no --fad-cache-dir; scenarios run as 'no store'")
    for target in result["targets"]:
        lines.append(f"target {target['name']}: {target['files']} files, root {target['root']}, "
                     f"stdin file {target['sample']}")
    lines += [
        "",
        "medians; ratio = with/without (wall, CPU: median of per-round ratios; RSS: of medians);"
        " ~ = within noise (5 %)",
        f"{'target':20} {'scenario':10} {'store':5} {'wall w/o':>9} {'with':>8} {'ratio':>7}"
        f" {'CPU w/o':>9} {'with':>8} {'ratio':>7} {'RSS w/o':>8} {'with':>7} {'ratio':>7}",
    ]
    for case in result["cases"]:
        med, ratio = case["medians"], case["ratios"][WITH]
        noise = ratio["within_noise"]
        scenario = case["scenario"] if case["scenario"] != "jobs" else f"-j{result['jobs']}"
        lines.append(
            f"{case['target'][:20]:20} {scenario:10} {case['store']:5}"
            f" {med[WITHOUT]['wall_s']:8.2f}s {med[WITH]['wall_s']:7.2f}s"
            f" {_ratio(ratio['wall'], noise['wall'])}"
            f" {med[WITHOUT]['cpu_s']:8.2f}s {med[WITH]['cpu_s']:7.2f}s"
            f" {_ratio(ratio['cpu'], noise['cpu'])}"
            f" {med[WITHOUT]['max_rss_mib']:5.0f}MiB {med[WITH]['max_rss_mib']:4.0f}MiB"
            f" {_ratio(ratio['max_rss'], noise['max_rss'])}"
        )
        if FLOOR in case["ratios"]:
            floor = case["ratios"][FLOOR]
            lines.append(
                f"{'':37}floor: wall {_ratio(floor['wall'], floor['within_noise']['wall'])}"
                f"   CPU {_ratio(floor['cpu'], floor['within_noise']['cpu'])}"
            )
    if result["crashes"]:
        lines += ["", f"WARNING: {result['crashes']} run(s) crashed; see stderr in --json output"]
    return "\n".join(lines)


def split_extra(argv: list[str]) -> tuple[list[str], list[str]]:
    """Our arguments, and those after ``--`` (passed to flake8 as they are)."""
    if "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def emit(
    result: dict[str, Any], json_target: Optional[str], text: Callable[[dict[str, Any]], str]
) -> None:
    """``--json`` handling: JSON to stdout (``-``), else the text report and, with FILE, JSON there."""
    if json_target == "-":
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    print(text(result))
    if json_target:
        with open(json_target, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)


def _csv(kind: Callable[[str], Any], allowed: Optional[tuple[str, ...]] = None) -> Callable[[str], list[Any]]:
    def parse(text: str) -> list[Any]:
        items = [kind(part.strip()) for part in text.split(",") if part.strip()]
        if allowed is not None and (not items or set(items) - set(allowed)):
            raise argparse.ArgumentTypeError(f"expected some of {','.join(allowed)}")
        return items

    return parse


def parse_args(argv: list[str]) -> argparse.Namespace:
    argv, extra = split_extra(argv)
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="project folders to lint")
    parser.add_argument("--gen", type=_csv(int), default=[], metavar="N[,N...]",
                        help="also generate projects of N modules (gen_project.py) and measure them")
    parser.add_argument("--as-project", action="store_true",
                        help="copy each PATH's .py files into a temporary folder with a pyproject.toml")
    parser.add_argument("--scenarios", type=_csv(str, SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--store", type=_csv(str, STORES), default=list(STORES),
                        help="store states to measure (when the plugin has a store)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="flake8 --jobs of the 'jobs' scenario")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs per configuration")
    parser.add_argument("--warmup", type=int, default=1, help="unreported runs first (file cache)")
    parser.add_argument("--file", help="the stdin scenario's file, relative to each target")
    parser.add_argument("--floor", action="store_true",
                        help="also run our entry point doing only a bare NodeVisitor walk per file")
    parser.add_argument("--select", default="", help="codes to select (default: flake8's defaults)")
    parser.add_argument("--use-config", action="store_true", help="do not pass --isolated")
    parser.add_argument("--keep", metavar="DIR",
                        help="put copies and generated projects in DIR and keep them")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE", help="JSON to stdout, or to FILE")
    ns = parser.parse_args(argv)
    ns.extra = extra
    if ns.rounds < 1:
        parser.error("--rounds must be >= 1")
    if not ns.paths and not ns.gen:
        parser.error("give a PATH or --gen N")
    return ns


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [_LAUNCH]:
        return _launch(argv[1:])
    ns = parse_args(argv)
    check_filter()
    has_store = store_supported()
    stores = ns.store if has_store else [NO_STORE]
    if ns.keep:
        os.makedirs(ns.keep, exist_ok=True)
    scratch = os.path.abspath(ns.keep) if ns.keep else tempfile.mkdtemp(prefix="fad-bench-")
    try:
        targets = make_targets(ns, scratch)
        cases = []
        for target in targets:
            for scenario in SCENARIOS:
                if scenario in ns.scenarios:
                    for store in stores:
                        if store == "edited" and scenario != "stdin" and not target.copy:
                            print(f"bench: {target.name} {scenario}/edited skipped: it would touch"
                                  " a file of the folder given (use --as-project)", file=sys.stderr)
                            continue
                        cases.append(run_case(ns, target, scenario, store, scratch))
    finally:
        if not ns.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    result: dict[str, Any] = {
        "machine": machine_info(),
        "command": " ".join(["python", "benchmarks/bench.py", *argv]),
        "rounds": ns.rounds,
        "warmup": ns.warmup,
        "jobs": ns.jobs,
        "store_supported": has_store,
        "targets": [vars(t) for t in targets],
        "cases": cases,
        "crashes": sum(c["crashes"] for c in cases),
    }
    emit(result, ns.json, render)
    for case in cases:
        for run in case["runs"]:
            if crashed(run):
                print(f"--- crashed run (exit {run['exit_code']}):\n{run['stderr']}", file=sys.stderr)
    return 2 if result["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
