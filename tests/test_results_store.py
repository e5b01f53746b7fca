"""A file's findings kept in the store (kind ``findings``): reused only while
everything they rest on holds — the file's text, the options, every file of its
scan base, the listing, the import roots and any other file a rule read."""

from __future__ import annotations

import ast
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Optional, cast

import pytest

from flake8_fastapi_deps import checker
from flake8_fastapi_deps.index import files, results
from flake8_fastapi_deps.index.cache import CACHE
from flake8_fastapi_deps.index.store import Store
from flake8_fastapi_deps.options import Options

PROJECT = {
    "pyproject.toml": "",
    "app/__init__.py": "",
    "app/db.py": "def get_db():\n    return lambda: 1\n",
    "app/main.py": textwrap.dedent(
        """\
        from fastapi import Depends, FastAPI

        from app.db import get_db

        app = FastAPI()


        @app.get("/")
        def index(db=Depends(get_db())):
            return db
        """
    ),
}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "project"
    for name, text in PROJECT.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    checker.clear_cache()
    yield root.resolve()
    checker.clear_cache()


def _lint(path: Path, cache: Path, *args: str, text: Optional[str] = None) -> list[str]:
    """``path`` linted in a new process (only the store on disk remains)."""
    checker.clear_cache()
    options = Options.from_args([f"--fad-cache-dir={cache}", *args])
    text = path.read_text() if text is None else text
    found = checker.check(ast.parse(text), str(path), text.splitlines(True), options)
    return [f"{line}:{col} {message}" for line, col, message in found]


class _Parses:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = files.parse_source

        def parse(data: bytes, path: str) -> Optional[ast.Module]:
            self.count += 1
            return real(data, path)

        monkeypatch.setattr(files, "parse_source", parse)


def _touch(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))  # a new stamp even on a coarse clock


def test_kept_findings_are_reused_and_nothing_is_parsed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    main = project / "app/main.py"
    first = _lint(main, cache)
    parses = _Parses(monkeypatch)
    assert _lint(main, cache) == first
    assert parses.count == 0


def test_an_edit_to_another_file_is_seen(project: Path, tmp_path: Path) -> None:
    """The issue's editor case: get_db turns from a factory into a generator."""
    cache = tmp_path / "cache"
    main = project / "app/main.py"
    assert not any("FAD001" in item for item in _lint(main, cache))
    _touch(project / "app/db.py", "def get_db():\n    yield 1\n")
    assert any("FAD001" in item for item in _lint(main, cache))


def test_other_options_or_other_text_are_not_served_kept_findings(
    project: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    main = project / "app/main.py"
    default = _lint(main, cache)
    opted_in = _lint(main, cache, "--extend-select", "FAD302")
    assert any("FAD302" in item for item in opted_in)
    assert not any("FAD302" in item for item in default)
    assert _lint(main, cache) == default
    # an editor's buffer that differs from the file on disk
    buffer = main.read_text().replace("Depends(get_db())", "Depends(get_db)")
    assert _lint(main, cache, "--extend-select", "FAD302", text=buffer) != opted_in


def test_a_file_added_to_the_project_is_a_miss(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    main = project / "app/main.py"
    first = _lint(main, cache)
    (project / "app/extra.py").write_text("X = 1\n")
    parses = _Parses(monkeypatch)
    assert _lint(main, cache) == first
    assert parses.count > 0  # analysed again, not served


def test_a_file_read_outside_the_scan_base_is_recorded(tmp_path: Path) -> None:
    """Resolution may read a file beyond the scan base (a project over the scan
    budget): its stamp goes with the entry, and a change to it is a miss."""
    root = tmp_path / "root"
    base = root / "pkg"
    base.mkdir(parents=True)
    inside = base / "a.py"
    outside = root / "other.py"
    inside.write_text("A = 1\n")
    outside.write_text("B = 1\n")
    listing = (str(inside), str(outside))
    checker.clear_cache()
    store = Store(str(tmp_path / "cache"), "part")
    kept = _results(store, root, base, listing)
    files.read_source(str(outside))  # a rule read it
    kept.remember(str(inside), "text", "opts", [])
    store.flush()
    assert kept.lookup(str(inside), "text", "opts") == []
    assert kept.lookup(str(inside), "other text", "opts") is None
    assert kept.lookup(str(inside), "text", "other options") is None
    _touch(outside, "B = 2\n")
    CACHE.new_run()
    files.changed_files()
    assert kept.lookup(str(inside), "text", "opts") is None
    store.close()
    checker.clear_cache()


def _results(
    store: Store, root: Path, base: Path, listing: tuple[str, ...]
) -> results.ResultStore:
    """A ResultStore over a fixed listing, every file's scan base ``base``."""
    inner = str(base) + os.sep

    def files_in(folder: str) -> tuple[str, ...]:
        return tuple(p for p in listing if os.path.dirname(p) == folder)

    return results.ResultStore(
        store, str(root), lambda _: [p for p in listing if p.startswith(inner)],
        files_in, lambda _: str(base), lambda: "",
    )


def test_many_files_read_in_other_folders_are_kept_by_folder(tmp_path: Path) -> None:
    """A check whose imports reach far beyond its scan base (FAD301's cycle search
    in a project over the scan budget) reads more files than MAX_EXTRAS: folders
    it read most of are recorded by one digest each, so the entry is still kept,
    and any change in such a folder is a miss."""
    root = tmp_path / "root"
    base = root / "pkg"
    base.mkdir(parents=True)
    inside = base / "a.py"
    inside.write_text("A = 1\n")
    read: list[Path] = []
    for package in range(6):
        folder = root / f"p{package}"
        folder.mkdir()
        for index in range(60):
            path = folder / f"m{index}.py"
            path.write_text(f"M = {index}\n")
            read.append(path)
    unread = root / "p0" / "zz.py"  # in a folder read nearly whole, but not read itself
    unread.write_text("Z = 1\n")
    lone = root / "lone" / "b.py"  # the one file read from its folder: recorded alone
    lone.parent.mkdir()
    lone.write_text("B = 1\n")
    (root / "lone" / "c.py").write_text("C = 1\n")
    listing = tuple(
        str(p) for p in (inside, *read, unread, lone, root / "lone" / "c.py")
    )
    assert len(read) > results.MAX_EXTRAS
    checker.clear_cache()
    store = Store(str(tmp_path / "cache"), "part")
    kept = _results(store, root, base, listing)
    for path in (*read, lone):
        files.read_source(str(path))
    kept.remember(str(inside), "text", "opts", [])
    store.flush()
    assert kept.lookup(str(inside), "text", "opts") == []

    def next_run() -> Optional[list[object]]:
        CACHE.new_run()
        files.changed_files()
        return cast("Optional[list[object]]", kept.lookup(str(inside), "text", "opts"))

    assert next_run() == []  # nothing changed
    _touch(root / "lone" / "c.py", "C = 2\n")  # not read, alone in its folder's record
    assert next_run() == []
    _touch(lone, "B = 2\n")
    assert next_run() is None
    kept.remember(str(inside), "text", "opts", [])
    store.flush()
    assert next_run() == []
    _touch(unread, "Z = 2\n")  # unread, but its folder is recorded whole: a miss
    assert next_run() is None
    kept.remember(str(inside), "text", "opts", [])
    store.flush()
    assert next_run() == []
    _touch(read[-1], "M = -1\n")
    assert next_run() is None
    store.close()
    checker.clear_cache()


def test_new_mtimes_of_the_same_bytes_keep_the_store_valid(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout or a fresh clone with a restored cache folder: every file gets a
    new mtime, same bytes. Each file is read once to compare digests (no parse),
    and the next run reads nothing."""
    cache = tmp_path / "cache"
    main = project / "app/main.py"
    first = _lint(main, cache)
    for path in project.rglob("*.py"):
        _touch(path, path.read_text())
    reads: list[str] = []
    real_read = files.read_source
    monkeypatch.setattr(files, "read_source", lambda path: reads.append(path) or real_read(path))
    parses = _Parses(monkeypatch)
    assert _lint(main, cache) == first
    assert parses.count == 0
    assert len(reads) == len(set(reads))
    reads.clear()
    assert _lint(main, cache) == first
    assert reads == [] and parses.count == 0


def test_new_bytes_of_the_same_size_are_a_miss(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    main = project / "app/main.py"
    db = project / "app/db.py"
    assert not any("FAD001" in item for item in _lint(main, cache))
    # same size, other content: a generator now
    text = db.read_text()
    edited = "def get_db():\n    yield 1\n"
    edited += "#" * (len(text) - len(edited) - 1) + "\n"
    assert len(edited) == len(text)
    _touch(db, edited)
    assert any("FAD001" in item for item in _lint(main, cache))
