"""FAD301's simulation against CPython: each fixture project's modules are imported
first, one by one, in a subprocess; FAD301 fires exactly when CPython fails."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_fastapi_deps import project
from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.project import project_for
from flake8_fastapi_deps.rules.structure._cycles import routers_in

from .harness import PROJECTS

HERE = Path(__file__).parent
_PARTIAL = re.compile(r"cannot import name '(\w+)' from partially initialized module '([\w.]+)'")
_FINDING = re.compile(
    r"FAD301 importing ([\w.]+) first fails here: (\w+) is not yet defined in partially "
    r"initialized module ([\w.]+) \(import cycle ([\w. >-]+)\)"
)
CASES = sorted(p.name for p in PROJECTS.iterdir() if p.name.startswith(("FAD301_", "FAD308_")))


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    project.clear_cache()


def _import_root(root: Path) -> Path:
    return root / "src" if (root / "src").is_dir() else root


def _modules(root: Path) -> dict[str, Path]:
    base = _import_root(root)
    found: dict[str, Path] = {}
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            found[".".join(parts)] = path
    return found


def _cpython(root: Path, modules: list[str]) -> dict[str, str]:
    """{module: ImportError text, "" if importing it first works}."""
    result = subprocess.run(
        [sys.executable, str(HERE / "cpython_first_imports.py"), str(_import_root(root)), *modules],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return {row["module"]: row["error"] for row in map(json.loads, result.stdout.splitlines())}


@pytest.mark.parametrize("name", CASES)
def test_fad301_fires_exactly_when_cpython_fails(name: str) -> None:
    root = PROJECTS / name
    modules = _modules(root)
    errors = _cpython(root, sorted(modules))
    options = Options()
    findings: list[tuple[str, ...]] = []
    for path in modules.values():
        source = path.read_text(encoding="utf-8")
        for f in check(ast.parse(source), str(path), source.splitlines(True), options):
            match = _FINDING.match(f.message)
            if match is not None:
                findings.append(match.groups())
    # every finding: CPython fails importing that module first, on that name and module
    for first, missing, module, _ in findings:
        failed = _PARTIAL.search(errors[first])
        assert failed is not None and failed.groups() == (missing, module), (first, errors[first])
    # every CPython failure in a cycle group with a router module has its finding
    reported = {module for _, _, module, cycle in findings for module in cycle.split(" -> ")}
    proj = project_for(str(next(iter(modules.values()))), options)
    graph = proj.import_graph()
    for first, error in errors.items():
        failed = _PARTIAL.search(error)
        if failed is None:
            assert "partially initialized" not in error, error
            continue
        partial = os.path.realpath(modules[failed.group(2)])
        members = graph.component(partial)
        if len(members) > 1 and routers_in(proj, graph, members):
            assert failed.group(2) in reported, (first, error)
    # once per group
    groups = [frozenset(cycle.split(" -> ")) for *_, cycle in findings]
    assert len(groups) == len(set(groups))
