"""The import graph's per-file text summaries come from the store on a warm run."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional

import pytest

from flake8_fastapi_deps import checker
from flake8_fastapi_deps.index import files
from flake8_fastapi_deps.options import Options


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text("")
    app = root / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "a.py").write_text("from app import b\n\nX = 1\n")
    (app / "b.py").write_text("from app import c\n\nY = 2\n")
    (app / "c.py").write_text("import os\n\nZ = 3\n")
    router = app / "router.py"
    router.write_text(
        "from fastapi import APIRouter\n\nfrom app import a\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/')\ndef index() -> int:\n    return a.X\n"
    )
    return router


def test_warm_run_takes_the_import_walk_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAD301 walks the text imports of every module the linted one may reach
    (router -> a -> b -> c); a warm run reads none of them."""
    target = _project(tmp_path / "proj")
    text = target.read_text()
    options = Options(cache_dir=str(tmp_path / "cache"))

    def lint() -> list[tuple[int, int, str]]:
        checker.clear_cache()  # a new process: only the store remains
        return checker.check(ast.parse(text), str(target), text.splitlines(True), options)

    reads: list[str] = []
    real_read = files.read_source

    def counting(path: str) -> Optional[bytes]:
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(files, "read_source", counting)
    app = (tmp_path / "proj" / "app").resolve()
    try:
        cold = lint()
        assert {str(app / n) for n in ("a.py", "b.py", "c.py")} <= set(reads)
        reads.clear()
        assert lint() == cold
        assert reads == []
        (app / "b.py").write_text("import json\n\nY = 2\n")  # changed: read again, alone
        assert lint() == cold
        assert set(reads) == {str(app / "b.py")}  # (by the scan and by the graph)
    finally:
        checker.clear_cache()


def test_without_a_store_every_run_reads_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _project(tmp_path / "proj")
    text = target.read_text()
    options = Options(no_cache=True)
    reads: list[str] = []
    real_read = files.read_source
    monkeypatch.setattr(files, "read_source", lambda path: reads.append(path) or real_read(path))
    try:
        for _ in range(2):
            reads.clear()
            checker.clear_cache()
            checker.check(ast.parse(text), str(target), text.splitlines(True), options)
            assert any(path.endswith("b.py") for path in reads)
    finally:
        checker.clear_cache()
