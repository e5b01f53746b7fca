"""No crash over a few small real-world packages, when a corpus is on disk.

The corpus is not part of the repository. Point ``FAD_CORPUS`` at a folder holding one
sub-folder per package (``fastapi-filter/``, ``fastapi-limiter/`` ...), or keep it at
``../corpus`` beside the checkout; without it this test is skipped. The full run is
``python benchmarks/run_corpus.py CORPUS --all-codes`` (see docs/real-world.md).
"""

from __future__ import annotations

import ast
import os
import warnings
from pathlib import Path

import pytest

from flake8_fastapi_deps import project
from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options, Selection

EVERY_CODE = Options(selection=Selection.every_code())  # crash-test the opt-in rules too

SMALL = ("fastapi-filter", "fastapi-limiter", "fastapi-pagination", "fastapi-users", "mcpo")
REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("FAD_CORPUS", REPO.parent / "corpus"))


@pytest.mark.parametrize("package", SMALL)
def test_no_crash_on_real_package(package: str) -> None:
    folder = CORPUS / package
    if not folder.is_dir():
        pytest.skip(f"corpus package {package} not cached at {CORPUS}")
    project.clear_cache()
    linted = 0
    for path in sorted(folder.rglob("*.py")):
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        check(tree, str(path), source.splitlines(True), EVERY_CODE)  # must not raise
        linted += 1
    assert linted
