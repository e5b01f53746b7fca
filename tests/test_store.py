"""The persistent store (issue 23, point 2): same findings cold, warm, disabled,
with -j1/-j2, after edits; a bad store is never an error; the cache CLI."""

from __future__ import annotations

import ast
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flake8_fastapi_deps import checker
from flake8_fastapi_deps.index import files, store
from flake8_fastapi_deps.options import Options

REPO = Path(__file__).resolve().parents[1]

PROJECT = {
    "pyproject.toml": "",
    "app/__init__.py": "",
    "app/db.py": "def get_db():\n    db = 1\n    yield db\n",
    "app/factory.py": "def make():\n    return lambda: 1\n",
    "app/main.py": textwrap.dedent(
        """\
        from fastapi import Depends, FastAPI

        from app.db import get_db
        from app.factory import make

        app = FastAPI()


        @app.get("/a")
        def a(x=Depends(get_db()), y=Depends(make())):
            return x, y
        """
    ),
    "app/users.py": textwrap.dedent(
        """\
        from fastapi import APIRouter, Depends

        router = APIRouter()


        def current_user():
            return 1


        @router.get("/me")
        async def me(user=Depends(current_user)):
            return user
        """
    ),
    "app/helpers.py": "import time\n\n\ndef slow():\n    time.sleep(1)\n",
    "tests/test_main.py": "from app.db import get_db\n\n\ndef test_db():\n    next(get_db())\n",
}


def _write(root: Path, tree: dict[str, str]) -> None:
    for name, text in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _flake8(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "FAD", *args, "."],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )


def _entries(folder: Path) -> int:
    db = sqlite3.connect(folder / store.DB_NAME)
    try:
        return int(db.execute("SELECT count(*) FROM entries").fetchone()[0])
    finally:
        db.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    _write(root, PROJECT)
    return root


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_same_findings_cold_warm_and_disabled(project: Path, tmp_path: Path, jobs: str) -> None:
    cache = tmp_path / "cache"
    disabled = _flake8(project, "-j", jobs, "--fad-no-cache")
    assert "FAD001" in disabled.stdout and not disabled.stderr
    cold = _flake8(project, "-j", jobs, f"--fad-cache-dir={cache}")
    assert _entries(cache) >= len(PROJECT) - 1  # every Python file summarised
    warm = _flake8(project, "-j", jobs, f"--fad-cache-dir={cache}")
    assert cold.stdout == warm.stdout == disabled.stdout
    assert not cold.stderr and not warm.stderr
    assert not (cache / ".gitignore").exists()  # outside the project


def test_edit_between_runs_with_a_warm_store(project: Path, tmp_path: Path) -> None:
    cache = f"--fad-cache-dir={tmp_path / 'cache'}"
    _flake8(project, cache)
    (project / "app/factory.py").write_text("def make():\n    yield 1\n")  # now a generator
    (project / "app/db.py").unlink()
    (project / "app/db.py").write_text("def get_db():\n    return 1\n")
    warm = _flake8(project, cache)
    fresh = _flake8(project, "--fad-no-cache")
    assert warm.stdout == fresh.stdout and "make()" in warm.stdout


def test_folder_inside_the_project_gets_a_gitignore(project: Path) -> None:
    result = _flake8(project, "--fad-cache-dir=.fad_cache")
    assert not result.stderr
    assert (project / ".fad_cache/.gitignore").read_text().splitlines()[-1] == "*"


def _bad_store_runs(project: Path, cache: Path) -> None:
    expected = _flake8(project, "--fad-no-cache").stdout
    for jobs in ("1", "2"):
        result = _flake8(project, "-j", jobs, f"--fad-cache-dir={cache}")
        assert result.stdout == expected
        lines = result.stderr.splitlines()
        assert len(lines) <= int(jobs), lines  # at most one line per process
        assert all(line.startswith("flake8-fastapi-deps: cache") for line in lines), lines


def test_unwritable_store_is_not_an_error(project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    _bad_store_runs(project, blocker / "cache")  # cannot be created below a file
    if hasattr(os, "geteuid") and os.geteuid() != 0:  # root ignores permissions
        readonly = tmp_path / "readonly"
        readonly.mkdir(mode=0o500)
        _bad_store_runs(project, readonly / "cache")


def test_corrupt_store_is_rebuilt(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / store.DB_NAME).write_bytes(b"garbage, not a database" * 100)
    _bad_store_runs(project, cache)
    assert _entries(cache) > 0  # rebuilt


def test_other_schema_is_rebuilt(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    db = sqlite3.connect(cache / store.DB_NAME)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('schema', '999')")
    db.commit()
    db.close()
    _bad_store_runs(project, cache)
    assert _entries(cache) > 0


def test_locked_store_is_skipped(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _flake8(project, f"--fad-cache-dir={cache}")
    (project / "app/helpers.py").write_text("def slow():\n    return 2\n")  # something to write
    holder = sqlite3.connect(cache / store.DB_NAME, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("DELETE FROM entries WHERE 0")
        _bad_store_runs(project, cache)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_rows_wait_while_another_writer_holds_the_store(tmp_path: Path) -> None:
    """A -j worker's write that finds the other worker writing keeps its rows for its
    next write, instead of dropping them until a later run."""
    folder = tmp_path / "cache"
    handle = store.Store(str(folder), "part")
    handle.put("kind", "/x/a.py", (1, 1), "first")
    handle.flush()  # creates the store
    holder = sqlite3.connect(folder / store.DB_NAME, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        handle.put("kind", "/x/b.py", (1, 2), "second")
        handle.flush()  # busy: kept
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _paths(folder) == {"/x/a.py"}
    handle.put("kind", "/x/c.py", (1, 3), "third")
    handle.flush()
    handle.close()
    assert _paths(folder) == {"/x/a.py", "/x/b.py", "/x/c.py"}


def _paths(folder: Path) -> set[str]:
    db = sqlite3.connect(folder / store.DB_NAME)
    try:
        return {str(row[0]) for row in db.execute("SELECT path FROM entries")}
    finally:
        db.close()


def test_entries_of_deleted_files_are_pruned(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _flake8(project, f"--fad-cache-dir={cache}")
    helpers = str((project / "app/helpers.py").resolve())
    assert helpers in _paths(cache)
    (project / "app/helpers.py").unlink()
    _flake8(project, f"--fad-cache-dir={cache}")
    assert helpers not in _paths(cache)
    assert _entries(cache) > 0


def test_store_size_is_bounded(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MAX_ENTRIES", 3)
    handle = store.Store(str(tmp_path / "cache"), "part")
    for number in range(6):
        handle.put("kind", f"/x/{number}.py", (1, number), ("value", number))
    handle.flush()
    handle.close()
    assert _entries(tmp_path / "cache") == 3


def test_size_bound_holds_over_many_small_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table is not counted at every write (a count walks every entry): the
    bound still holds when each write adds one entry (a whole-tree run)."""
    monkeypatch.setattr(store, "MAX_ENTRIES", 3)
    handle = store.Store(str(tmp_path / "cache"), "part")
    for number in range(7):
        handle.put("kind", f"/x/{number}.py", (1, number), ("value", number))
        handle.flush()
        assert _entries(tmp_path / "cache") == min(number + 1, 3)
    handle.close()


def test_cache_cli_info_and_clear(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _flake8(project, f"--fad-cache-dir={cache}")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flake8_fastapi_deps", "cache", *args],
            cwd=project / "app", env=env, capture_output=True, text=True, check=True,
        )
        return done.stdout

    shown = cli("info", f"--fad-cache-dir={cache}")
    assert str(cache / store.DB_NAME) in shown and f"entries: {_entries(cache)}" in shown
    assert str(project.resolve()) in shown  # the project of the current folder
    assert "removed" in cli("clear", f"--fad-cache-dir={cache}")
    assert not (cache / store.DB_NAME).exists()
    # the default folder: per user, keyed by the project root
    default = Path(store.default_folder(str(project.resolve())))
    assert str(default) in cli("info")


def test_warm_one_file_run_reads_no_other_file(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a warm store, linting one file reads no other project file but those
    that changed: main.py declares dependencies defined in other files, and its
    contribution to the scan (resolved in db.py and factory.py when cold) is
    taken from the store while none of the three changes."""
    options = Options(cache_dir=str(tmp_path / "cache"))
    target = project / "app/users.py"
    text = target.read_text()

    def lint() -> list[tuple[int, int, str]]:
        checker.clear_cache()  # a new process: only the store remains
        return checker.check(ast.parse(text), str(target), text.splitlines(True), options)

    reads: list[str] = []
    real_read = files.read_source

    def counting(path: str) -> bytes | None:
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(files, "read_source", counting)
    try:
        cold = lint()
        assert len(reads) >= 5
        reads.clear()
        assert lint() == cold
        app = project.resolve() / "app"
        assert reads == []
        (app / "helpers.py").write_text("import time\n\n\ndef slow():\n    time.sleep(2)\n")
        assert lint() == cold
        # (read twice: the new text has the old size, so its digest is compared first)
        assert set(reads) == {str(app / "helpers.py")}
        reads.clear()
        # db.py changed: main.py's summary rests on it (it resolved get_db there)
        (app / "db.py").write_text("def get_db():\n    db = 2\n    yield db\n")
        assert lint() == cold
        assert set(reads) == {str(app / "main.py"), str(app / "db.py"), str(app / "factory.py")}
    finally:
        checker.clear_cache()
