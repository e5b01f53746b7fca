"""Absolute module lookups cost what the name needs, and answer the same whatever
was linted before.

A file finds absolute imports in its own package chain's folder (for a file of
a namespace package, as in sglang, its own folder), then under the project root
(and ``src/``); only the roots holding the name's first part are looked at.
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
    asked: list[str] = []
    real_is_file = resolver_module.is_file

    def counting(path: str) -> bool:
        asked.append(path)
        return real_is_file(path)

    monkeypatch.setattr(resolver_module, "is_file", counting)
    importer = str(files[7].resolve())
    assert proj.module_file(importer, "numpy.linalg") is None  # no root holds "numpy"
    assert not [p for p in asked if "numpy" in p]
    asked.clear()
    # the importer's own folder (a namespace package: no __init__.py) holds "mod7"
    found = proj.module_file(importer, "mod7")
    assert found is not None and found.endswith("mod7.py")
    assert len(asked) <= 2


def test_resolution_does_not_depend_on_what_was_linted_before(tmp_path: Path) -> None:
    """Each file finds absolute imports from its own package chain's folder, then the
    root: what other files were linted first (another -j worker's share) changes
    nothing, so kept findings stay valid whichever worker lints a file."""
    files = [str(f.resolve()) for f in _namespace_project(tmp_path, 3)]

    def answers() -> list[object]:
        proj = project.project_for(files[0], Options())
        return [
            proj.module_file(files[2], "mod2"),  # its own folder
            proj.module_file(files[0], "mod2"),  # not on mod0's path
            proj.module_file(files[0], "pkg.part2.mod2"),  # through the root
        ]

    first = answers()
    assert first[0] is not None and first[0].endswith("mod2.py")
    assert first[1] is None
    assert first[2] == first[0]
    project.clear_cache()
    proj = project.project_for(files[2], Options())
    for path in reversed(files):
        proj.add_import_root_for(path)  # what linting each file does
    assert answers() == first
