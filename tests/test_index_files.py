"""The index reads project files as Python does: PEP 263 coding lines honoured."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from flake8_fastapi_deps import project
from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.index.files import (
    FolderTable,
    ProjectFiles,
    decode_source,
    list_folders,
    parse_source,
)
from flake8_fastapi_deps.options import Options

LATIN1_DEPS = (
    "# -*- coding: latin-1 -*-\n"
    "from contextlib import contextmanager\n"
    "\n"
    "GREETING = 'h\xe9llo, caf\xe9'  # not UTF-8 on disk\n"
    "\n"
    "\n"
    "@contextmanager\n"
    "def get_db():\n"
    "    yield 'd\xe9j\xe0 vu'\n"
)
MAIN = (
    "from fastapi import Depends, FastAPI\n"
    "\n"
    "from .deps import get_db\n"
    "\n"
    "app = FastAPI()\n"
    "\n"
    "\n"
    "@app.get('/')\n"
    "def root(db=Depends(get_db)):\n"
    "    return db\n"
)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    project.clear_cache()


def test_latin1_sibling_module_is_read_for_a_dependency_across_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app/deps.py").write_bytes(LATIN1_DEPS.encode("latin-1"))
    main = tmp_path / "app/main.py"
    main.write_text(MAIN, encoding="utf-8")
    found = check(ast.parse(MAIN), str(main), MAIN.splitlines(True), Options())
    # FAD013 needs get_db's decorator, read from the latin-1 module
    assert [(f.line, f.col) for f in found if f.message.startswith("FAD013")] == [(9, 20)]
    indexed = project.project_for(str(main), Options()).module_at(str(tmp_path / "app/deps.py"))
    assert indexed is not None and "get_db" in indexed.toplevel


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"x = 1\n", "x = 1\n"),
        (b"\xef\xbb\xbfx = 1\n", "x = 1\n"),  # UTF-8 BOM
        (b"# coding: latin-1\nx = '\xe9'\n", "# coding: latin-1\nx = '\xe9'\n"),
        (b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n",
         "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\u20ac'\n"),
        (b"# coding: utf-8\nx = '\xc3\xa9'\n", "# coding: utf-8\nx = '\xe9'\n"),
        (b"x = 1\n# coding: latin-1\ny = '\xe9'\n", None),  # third line: not a coding line
        (b"x = '\xe9'\n", None),  # no coding line and not UTF-8
        (b"# coding: no-such-codec\nx = 1\n", None),
        (b"# coding: rot13\nx = 1\n", None),  # a codec, but not a text encoding
        (b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", None),  # BOM against the coding line
        (b"# coding: ascii\nx = '\xe9'\n", None),  # undecodable in the declared codec
    ],
)
def test_decode_source_follows_pep_263(data: bytes, text: str | None) -> None:
    assert decode_source(data) == text
    tree = parse_source(data, "m.py")
    assert (tree is None) == (text is None)


def test_listing_kept_across_runs_sees_added_removed_and_nested(tmp_path: Path) -> None:
    """A folder whose mtime holds is not listed again; any entry added, removed or
    renamed changes its folder's mtime (the table is what the store keeps)."""
    root = tmp_path / "proj"
    for name in ("a.py", "pkg/b.py", "pkg/sub/c.py", "other/d.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n")
    old = 1_000_000_000_000_000_000  # settled long ago: the kept table is trusted
    for folder in (root, root / "pkg", root / "pkg/sub", root / "other"):
        os.utime(folder, ns=(old, old))
    kept: dict[str, FolderTable] = {}

    def listing() -> tuple[str, ...]:
        table = (lambda: kept.get("t", {}), lambda t: kept.__setitem__("t", t))
        return ProjectFiles(str(root), (), table).files()

    def plain() -> tuple[str, ...]:
        listed = list_folders(str(root.resolve()))
        return tuple(os.path.join(folder, name) for folder, names in listed for name in names)

    assert listing() == plain() and len(plain()) == 4
    # a kept folder is reused: prove it by a stale entry in the table
    table = kept["t"]
    sub = str((root / "pkg/sub").resolve())
    table[sub] = (table[sub][0], ("ghost.py",), (), False)
    assert any(path.endswith("ghost.py") for path in listing())
    # an added file changes the folder's mtime: listed again
    (root / "pkg/sub/e.py").write_text("y = 2\n")
    assert listing() == plain() and not any("ghost" in p for p in listing())
    (root / "other/d.py").rename(root / "other/f.py")
    assert listing() == plain()
    (root / "pkg/pyproject.toml").write_text("")  # pkg is a project of its own now
    assert listing() == plain() and not any("/pkg/" in p for p in listing())
