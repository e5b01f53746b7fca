"""Per-file scan summaries in the persistent store (issue 23, point 1).

A warm run takes each file's contribution to the project scan from the store
and parses only what a rule needs; its findings and the declarations it
answers are those of a cold run, of a run without the store, and of a fresh
run after an edit to a file a summary rests on or a file added that changes
where an import leads.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from flake8_fastapi_deps import checker
from flake8_fastapi_deps.index import files, modules, results
from flake8_fastapi_deps.model import ModuleInfo
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.project import project_for

PROJECT = {
    "pyproject.toml": "",
    "app/__init__.py": "",
    "app/sessions/__init__.py": "def get_session():\n    return 1\n",
    "app/deps.py": textwrap.dedent(
        """\
        from fastapi import HTTPException


        class Session:
            dirty = False


        def get_db():
            db = Session()
            yield db
            if db.dirty:
                raise HTTPException(status_code=409)


        def get_scoped_db():
            db = Session()
            yield db
            if db.dirty:
                raise HTTPException(status_code=409)
        """
    ),
    "app/routes.py": textwrap.dedent(
        """\
        from typing import Annotated

        from fastapi import APIRouter, Depends

        from app.sessions import get_session

        from .deps import Session, get_db, get_scoped_db

        router = APIRouter(dependencies=[Depends(get_db)])

        ScopedDB = Annotated[Session, Depends(get_scoped_db, scope="function")]


        @router.get("/items")
        def items(db: ScopedDB, s=Depends(get_session)):
            return db, s
        """
    ),
    "app/users.py": textwrap.dedent(
        """\
        from fastapi import APIRouter, Depends

        from app.deps import get_db

        router = APIRouter()


        @router.get("/users")
        def users(db=Depends(get_db)):
            return db
        """
    ),
    "app/plain.py": "import time\n\n\nasync def helper():\n    time.sleep(1)\n",
    "app/script.py": "from app.sessions import get_session\n\n\ndef main():\n    next(get_session())\n",
}

Findings = dict[str, list[tuple[int, int, str]]]


def _write(root: Path, tree: dict[str, str]) -> None:
    for name, text in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "project"
    _write(root, PROJECT)
    checker.clear_cache()
    yield root.resolve()
    checker.clear_cache()


def _options(cache: Optional[Path]) -> Options:
    if cache is None:
        return Options.from_args(["--select", "FAD", "--fad-no-cache"])
    return Options.from_args(["--select", "FAD", f"--fad-cache-dir={cache}"])


def _lint(path: Path, options: Options) -> list[tuple[int, int, str]]:
    text = path.read_text()
    return checker.check(ast.parse(text), str(path), text.splitlines(True), options)


def _lint_all(root: Path, cache: Optional[Path]) -> Findings:
    """Every file linted in one new process (only the store on disk remains)."""
    checker.clear_cache()
    options = _options(cache)
    return {
        str(path.relative_to(root)): _lint(path, options)
        for path in sorted(root.rglob("*.py"))
    }


def _codes(found: Findings) -> set[tuple[str, str]]:
    return {(name, message.split()[0]) for name, items in found.items() for _, _, message in items}


class _Parses:
    """The files parsed (``parse_source``) and modelled (``build_module``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: list[str] = []
        self.built: list[str] = []
        real_parse = files.parse_source
        real_build = modules.build_module

        def parse(data: bytes, path: str) -> Optional[ast.Module]:
            self.parsed.append(path)
            return real_parse(data, path)

        def build(tree: ast.Module, path: Optional[str], text: object = None) -> ModuleInfo:
            self.built.append(str(path))
            return real_build(tree, path, text)  # type: ignore[arg-type]

        monkeypatch.setattr(files, "parse_source", parse)
        monkeypatch.setattr(modules, "build_module", build)

    def clear(self) -> None:
        self.parsed.clear()
        self.built.clear()


def test_warm_one_file_run_parses_only_what_rules_need(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    options = _options(cache)
    counted = _Parses(monkeypatch)
    app = project / "app"
    # what the summaries spare when the file's own findings cannot be reused (it was
    # just edited, or the options changed): the kept findings are left out here
    monkeypatch.setattr(results.ResultStore, "lookup", lambda *args: None)

    checker.clear_cache()
    cold = _lint(app / "deps.py", options)
    # the scan parsed the two files whose declarations name other files' code
    assert {str(app / "routes.py"), str(app / "users.py")} <= set(counted.parsed)
    assert any("FAD208" in message for _, _, message in cold)

    # deps.py: FAD208 asks which declarations name get_db and get_scoped_db:
    # the two files declaring them are parsed for that, nothing else
    checker.clear_cache()
    counted.clear()
    assert _lint(app / "deps.py", options) == cold
    assert sorted(counted.parsed) == [str(app / "routes.py"), str(app / "users.py")]
    assert sorted(counted.built) == [str(app / "deps.py"), str(app / "routes.py"), str(app / "users.py")]

    # a FastAPI-free file nobody uses: nothing but the linted file is modelled
    checker.clear_cache()
    counted.clear()
    _lint(app / "plain.py", options)
    assert counted.parsed == [] and counted.built == []

    # users.py: its own markers resolve into deps.py (the rules read it)
    checker.clear_cache()
    counted.clear()
    _lint(app / "users.py", options)
    assert counted.parsed == [str(app / "deps.py")]
    assert sorted(counted.built) == [str(app / "deps.py"), str(app / "users.py")]


def test_findings_identical_cold_warm_disabled_and_after_changes(
    project: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    disabled = _lint_all(project, None)
    assert ("app/deps.py", "FAD208") in _codes(disabled)
    cold = _lint_all(project, cache)
    warm = _lint_all(project, cache)
    assert cold == warm == disabled

    # an edit to a file the summary of routes.py rests on (it resolved
    # get_session there): get_session becomes a yield dependency, and the
    # FastAPI-free script driving it by hand is now reported (FAD210)
    (project / "app/sessions/__init__.py").write_text("def get_session():\n    yield 1\n")
    edited = _lint_all(project, cache)
    assert edited == _lint_all(project, None)
    assert ("app/script.py", "FAD210") in _codes(edited)
    assert ("app/script.py", "FAD210") not in _codes(warm)

    # a file added that changes where `from app.sessions import get_session`
    # leads (a module beats a package of the same name), though no file a
    # summary consulted changed: the new get_session is the dependency now
    # (FAD102: a blocking call in an async dependency), and no generator
    (project / "app/sessions.py").write_text(
        "import time\n\n\nasync def get_session():\n    time.sleep(1)\n    return 2\n"
    )
    added = _lint_all(project, cache)
    assert added == _lint_all(project, None)
    assert ("app/sessions.py", "FAD102") in _codes(added)
    assert ("app/script.py", "FAD210") not in _codes(added)
    assert added == _lint_all(project, cache)  # and warm again


def _declarations(root: Path, cache: Path) -> list[tuple[str, int, int, str, int, int]]:
    """Every answer of declarations_elsewhere for the functions of the project."""
    checker.clear_cache()
    options = _options(cache)
    found = []
    for path in sorted(root.rglob("*.py")):
        project = project_for(str(path), options)
        mod = project.module(str(path))
        if mod is None:
            continue
        for info in mod.functions:
            for use, other in project.declarations_elsewhere(str(path), info.key):
                found.append(
                    (str(path), *info.key, str(other.path), use.call.lineno, use.call.col_offset)
                )
    return found


def test_declarations_elsewhere_identical_cold_and_warm(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _declarations(project, cache)
    app = str(project / "app")
    # get_db is declared in routes.py and users.py (scan order), get_scoped_db in routes.py
    assert [(f[0], f[3]) for f in cold] == [
        (f"{app}/deps.py", f"{app}/routes.py"),
        (f"{app}/deps.py", f"{app}/users.py"),
        (f"{app}/deps.py", f"{app}/routes.py"),
        (f"{app}/sessions/__init__.py", f"{app}/routes.py"),
    ]
    assert _declarations(project, cache) == cold
    assert _declarations(project, cache) == cold


def test_unsaved_text_of_the_linted_file_is_not_stored(project: Path, tmp_path: Path) -> None:
    """An editor lints its buffer (stdin), which differs from the file on disk:
    what the scan learns from that text is not stored under the file's stamp,
    and a summary resting on the file on disk is not used for it."""
    cache = tmp_path / "cache"
    disabled = _lint_all(project, None)
    _lint_all(project, cache)
    routes = project / "app/routes.py"
    # the buffer makes plain.py's helper a dependency (FAD102 there, if it were saved)
    buffer = routes.read_text().replace("Depends(get_session)", "Depends(helper)")
    buffer = buffer.replace("from app.sessions import get_session", "from app.plain import helper")

    def lint_buffer(cache: Optional[Path]) -> tuple[object, ...]:
        checker.clear_cache()
        options = _options(cache)
        found = checker.check(ast.parse(buffer), str(routes), buffer.splitlines(True), options)
        # what the scan made of the buffer: plain.py's helper is a dependency
        targets = project_for(str(routes), options).project_dependency_targets(str(routes))
        return found, sorted(targets)

    first = lint_buffer(cache)
    assert first == lint_buffer(None)
    assert str(project / "app/plain.py") in first[1]
    # the buffer's findings are kept under its text: linted again, the same
    assert lint_buffer(cache)[0] == first[0]
    assert _lint_all(project, cache) == disabled
    assert not any(name == "app/plain.py" for name, _ in _codes(disabled))
