"""Absolute module lookups cost what the name needs, not one stat per import root.

A project of namespace packages (folders without ``__init__.py``, as in sglang)
adds an import root per linted folder; each absolute lookup used to stat a
candidate under every root, and every new root emptied the lookup cache, so a
whole-tree run grew with files x folders.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flake8_fastapi_deps import project
from flake8_fastapi_deps.index import resolver as resolver_module
from flake8_fastapi_deps.options import Options


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    project.clear_cache()


def _namespace_project(tmp_path: Path, folders: int) -> list[Path]:
    (tmp_path / "pyproject.toml").write_text("")
    files = []
    for n in range(folders):
        folder = tmp_path / "pkg" / f"part{n}"
        folder.mkdir(parents=True)
        path = folder / f"mod{n}.py"
        path.write_text("import numpy\nfrom pkg.part0 import mod0\n")
        files.append(path)
    return files


def test_lookups_stat_only_under_roots_holding_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _namespace_project(tmp_path, 60)
    proj = project.project_for(str(files[0]), Options())
    for path in files:
        proj.add_import_root_for(str(path))  # what linting each file does
    asked: list[str] = []
    real_is_file = resolver_module.is_file

    def counting(path: str) -> bool:
        asked.append(path)
        return real_is_file(path)

    monkeypatch.setattr(resolver_module, "is_file", counting)
    assert proj.module_file(None, "numpy.linalg") is None  # no root holds "numpy"
    assert asked == []
    # every folder of the namespace package is a root, but only one holds "mod7"
    found = proj.module_file(None, "mod7")
    assert found is not None and found.endswith("mod7.py")
    assert len(asked) <= 2


def test_a_new_root_keeps_found_names_and_retries_missing_ones(tmp_path: Path) -> None:
    files = _namespace_project(tmp_path, 3)
    proj = project.project_for(str(files[0]), Options())
    proj.add_import_root_for(str(files[0]))
    assert proj.module_file(None, "mod2") is None  # its folder is no root yet
    found = proj.module_file(None, "mod0")
    proj.add_import_root_for(str(files[2]))
    assert proj.module_file(None, "mod2") is not None  # asked again under the new root
    assert proj.module_file(None, "mod0") == found
