"""Slow: the core over every ``.py`` file installed in this interpreter's site-packages.

Runs only with ``FAD_SLOW=1`` (a minute or more per few thousand files);
``FAD_SLOW_DIRS=dir1:dir2`` adds more folders (another interpreter's
site-packages, a checkout).  Each file
is linted where it lies (so the project index meets real package layouts) and
again with a FastAPI header added, so that the rules run on real-world code
shapes rather than stopping at the "no FastAPI here" text check.  Any exception
fails the test with the file and traceback.
"""

from __future__ import annotations

import ast
import os
import site
import sysconfig
import traceback
import warnings
from pathlib import Path

import pytest

from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options, Selection
from flake8_fastapi_deps.project import clear_cache

pytestmark = pytest.mark.skipif(
    os.environ.get("FAD_SLOW") != "1", reason="slow: set FAD_SLOW=1 to run"
)
HEADER = "from fastapi import APIRouter, Depends, FastAPI, Security\napp = FastAPI()\n"


def site_packages() -> list[Path]:
    found: list[Path] = []
    candidates = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    candidates += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    candidates += [d for d in os.environ.get("FAD_SLOW_DIRS", "").split(os.pathsep) if d]
    for name in candidates:
        path = Path(name).resolve()
        if path.is_dir() and path not in found:
            found.append(path)
    return found


def parse(text: str) -> "ast.Module | None":
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None  # flake8's E999: plugins never see it


def test_every_installed_module() -> None:
    options = Options(selection=Selection.every_code())
    errors: list[str] = []
    linted = 0
    for folder in site_packages():
        for path in sorted(folder.rglob("*.py")):
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue
            variants = [text]
            if "from __future__" not in text:
                variants.append(HEADER + text)
            for variant in variants:
                tree = parse(variant)
                if tree is None:
                    continue
                try:
                    check(tree, str(path), variant.splitlines(keepends=True), options)
                except Exception:  # noqa: BLE001 - collected and reported below
                    errors.append(f"{path}\n{traceback.format_exc()}")
                linted += 1
                if linted % 500 == 0:
                    clear_cache()  # bound memory: the index keeps what it parsed
    clear_cache()
    assert linted > 0
    assert errors == [], f"{len(errors)} exceptions in {linted} lints:\n" + "\n".join(errors[:20])
