"""The benchmark still runs (tiny tree, one round) whatever rules are registered."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _run_json(script: str, *args: str, timeout: int = 300) -> dict[str, Any]:
    """Run a benchmark script with ``--json``; its exit status must be 0; the JSON it printed."""
    proc = subprocess.run(
        [sys.executable, str(BENCH.parent / script), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_bench_smoke() -> None:
    result = _run_json("bench.py", str(FIXTURES), "--rounds=1", "--warmup=0", "--floor")
    assert result["crashes"] == 0
    assert [r["config"] for r in result["runs"]] == ["with", "without", "floor"]
    assert {r["with_plugin"] for r in result["runs"]} == {True, False}
    runs = {r["config"]: r["cpu_s"] for r in result["runs"]}
    for config in ("with", "floor"):
        pair = result["paired_cpu"][config]
        assert pair["rounds"] == [runs[config] / runs["without"]]
        assert pair["median"] == pair["rounds"][0]
    assert all(r["cpu_s"] > 0 and r["max_rss_mib"] > 0 for r in result["runs"])
    inproc = result["inprocess"]
    assert inproc["files_linted"] >= 1
    assert inproc["files_analysed"] >= 1  # the fixtures are FastAPI code
    assert 0 <= inproc["index_s"] <= inproc["plugin_s"]


def _parses(path: Path) -> bool:
    try:
        ast.parse(path.read_bytes())
    except SyntaxError:
        return False
    return True


def test_same_process_smoke() -> None:
    result = _run_json("same_process.py", str(FIXTURES), "--rounds=2", "--warmup=0", "--startup=1")
    assert len(result["with_runs_s"]) == len(result["without_runs_s"]) == 2
    assert result["paired_rounds"] == [
        w / wo for w, wo in zip(result["with_runs_s"], result["without_runs_s"])
    ]
    # the plugin saw every fixture file this Python can parse in the "with" runs (and none
    # in the others: the script checks that)
    assert result["files_checked"] == [sum(_parses(path) for path in FIXTURES.rglob("*.py"))]
    assert set(result["startup"]) == {"with", "without"}


def test_check_only_smoke() -> None:
    result = _run_json("check_only.py", str(FIXTURES), "--reps=2")
    assert result["files"] == sum(_parses(path) for path in FIXTURES.rglob("*.py"))
    assert len(result["reps"]) == 2
    # a cold index gives the same findings every time, and the fixtures have some
    assert len(result["findings"]) == 1 and result["findings"][0] > 0
    parts = result["median_parts_s"]
    assert {"adopt", "declarations", "structure"} <= set(parts)
    assert sum(parts.values()) <= result["median_rep_total_s"]


def test_instruction_counts_are_read_from_callgrind_output() -> None:
    sys.path.insert(0, str(BENCH.parent))
    try:
        import instructions
    finally:
        sys.path.pop(0)
    stderr = (
        "==77== Callgrind, a call-graph generating cache profiler\n==77== Events    : Ir\n"
        "==77== Collected : 915446438\n==77== \n==77== I   refs:      915,446,438\n"
    )
    assert instructions.collected(stderr) == 915446438
    assert instructions.collected("valgrind: command not found\n") is None


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_counts_with_and_without_the_plugin() -> None:
    result = _run_json("instructions.py", str(FIXTURES / "FAD001.py"), timeout=600)
    counts = {r["config"]: r["instructions"] for r in result["runs"]}
    assert set(counts) == {"with", "without"}
    # the plugin is imported and finds FAD001 cases: more work than flake8 alone
    assert counts["with"] > counts["without"] > 0
    assert result["overhead"]["with"] == counts["with"] / counts["without"] - 1


@pytest.mark.skipif(
    shutil.which("valgrind") is None or shutil.which("callgrind_control") is None,
    reason="needs valgrind's callgrind",
)
def test_check_only_counts_instructions_of_the_check_loop_alone() -> None:
    one = FIXTURES / "FAD001.py"
    cold = _run_json("check_only.py", str(one), "--instructions")
    warm = _run_json("check_only.py", str(one), "--instructions", "--warm")
    # collection covers one check() loop: a warm index costs less than building it
    # (which scans this repository), and neither count holds the interpreter's start-up
    # and imports (well over 50 million instructions)
    assert 0 < warm["instructions"] < min(cold["instructions"], 50_000_000)


def test_calibrate_smoke() -> None:
    """Two installations (here: the same interpreter twice), paired round by round."""
    result = _run_json(
        "calibrate.py",
        str(FIXTURES),
        f"--baseline={sys.executable}",
        f"--compare=again={sys.executable}",
        "--rounds=2",
        "--warmup=0",
    )
    assert result["failures"] == 0
    assert list(result["configs"]) == ["baseline", "again"]
    again = result["configs"]["again"]
    # runs start outside the checkout, yet the installed plugin is found and listed
    assert "flake8-fastapi-deps" in again["version"]
    assert len(again["paired_rounds"]) == 2 and isinstance(again["paired_overhead"], float)
    assert [r["round"] for r in result["runs"]["baseline"]] == [1, 2]
    assert all(r["exit"] == 1 and r["cpu_s"] > 0 for r in result["runs"]["again"])  # findings
