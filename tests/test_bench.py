"""The benchmark scripts still run (tiny generated project, one round) whatever rules are registered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
try:
    import gen_project
finally:
    sys.path.pop(0)


def _run_json(script: str, *args: str, timeout: int = 300) -> dict[str, Any]:
    """Run a benchmark script with ``--json``; its exit status must be 0; the JSON it printed."""
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generated_project_is_deterministic_and_valid(tmp_path: Path) -> None:
    paths = gen_project.generate(7, str(tmp_path / "a"))
    gen_project.generate(7, str(tmp_path / "b"))
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert len(paths) == 7 and gen_project.sample_module(7) in paths
    files = _tree(tmp_path / "a")
    assert "pyproject.toml" in files
    for rel, text in files.items():
        if rel.endswith(".py"):
            compile(text, rel, "exec")
    sample = files[gen_project.sample_module(7)]
    # a dependency of another module, and a yield dependency
    assert "from app.p000.m00001 import Item1, get_item_1" in sample
    assert "yield buffer" in sample
    with pytest.raises(ValueError):
        gen_project.generate(3, str(tmp_path / "a"))  # not empty


def test_bench_smoke(tmp_path: Path) -> None:
    gen_project.generate(4, str(tmp_path / "proj"))
    result = _run_json(
        "bench.py", str(tmp_path / "proj"), "--gen=3", "--as-project",
        "--rounds=1", "--warmup=0", "--floor", "--keep", str(tmp_path / "scratch"),
    )
    assert result["crashes"] == 0
    stores = ["cold", "warm", "edited"] if result["store_supported"] else ["none"]
    targets = [t["name"] for t in result["targets"]]
    assert targets == [str(tmp_path / "proj"), "generated 3"]
    # --as-project copied the tree beside a root marker; the stdin file was found in it
    copied = Path(result["targets"][0]["root"])
    assert copied.parent == tmp_path / "scratch" and (copied / "pyproject.toml").is_file()
    # the first module with the most ``Depends(`` (module 0 has no dependency on another)
    assert result["targets"][0]["sample"] == gen_project.module_path(1)
    assert result["targets"][1]["sample"] == gen_project.sample_module(3)
    assert result["targets"][0]["files"] == 4 + 4 + 3  # modules, core, package/app files
    cases = [(c["target"], c["scenario"], c["store"]) for c in result["cases"]]
    assert cases == [
        (t, s, store) for t in targets for s in ("stdin", "tree", "jobs") for store in stores
    ]
    for case in result["cases"]:
        assert sorted(r["config"] for r in case["runs"]) == ["floor", "with", "without"]
        assert all(r["cpu_s"] > 0 and r["max_rss_mib"] > 0 for r in case["runs"])
        runs = {r["config"]: r for r in case["runs"]}
        ratio = case["ratios"]["with"]
        assert ratio["cpu"] == runs["with"]["cpu_s"] / runs["without"]["cpu_s"]
        assert ratio["max_rss"] == runs["with"]["max_rss_mib"] / runs["without"]["max_rss_mib"]
        assert "floor" in case["ratios"]
        if case["scenario"] == "stdin":
            assert case["flake8_args"][-1] == "-"
        else:
            assert case["flake8_args"][-2:] == [f"--jobs={1 if case['scenario'] == 'tree' else 2}", "."]


def test_bench_chooses_the_file_with_most_dependencies(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench
    finally:
        sys.path.pop(0)
    (tmp_path / "a.py").write_text("from fastapi import Depends\nDepends(x)\n")
    (tmp_path / "b.py").write_text("r = APIRouter()\ndef f(a=Depends(g)): ...\n")
    (tmp_path / "c.py").write_text("app = FastAPI()\ndef f(a=Depends(g), b=Depends(h)): ...\n")
    files = bench.python_files(str(tmp_path))
    assert files == ["a.py", "b.py", "c.py"]
    assert bench.pick_sample(str(tmp_path), files) == "c.py"


def test_check_only_smoke(tmp_path: Path) -> None:
    gen_project.generate(5, str(tmp_path / "proj"))
    result = _run_json("check_only.py", str(tmp_path / "proj"), "--reps=2")
    assert result["files"] == 5 + 4 + 3
    assert len(result["reps"]) == 2
    assert len(result["findings"]) == 1  # a cold index gives the same findings every time
    assert {"FAD001", "FAD301"} <= set(result["rules_s"])
    assert {"declarations", "structure"} <= set(result["families_s"])
    assert result["adopt_s"] > 0
    parts = sum(result["rules_s"].values()) + result["adopt_s"] + result["index_s"]
    assert parts <= result["median_rep_total_s"] + 1e-9
    assert os.path.isabs(result["path"])
