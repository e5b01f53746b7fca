"""The benchmark still runs (tiny tree, one round) whatever rules are registered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_bench_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), str(FIXTURES), "--rounds=1", "--warmup=0", "--floor", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
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
