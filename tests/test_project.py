"""The project index: roots, import resolution, caching, boundaries."""

from __future__ import annotations

import ast
import gc
import os
from pathlib import Path
from typing import Optional

import pytest

from flake8_fastapi_deps import project
from flake8_fastapi_deps.index import files, filetext, scan
from flake8_fastapi_deps.index.cache import CACHE
from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.registry import ALL_RULES
from flake8_fastapi_deps.project import ClassSym, ExternalSym, FuncSym, find_root, project_for


@pytest.fixture(autouse=True)
def _fresh() -> None:
    project.clear_cache()


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def lint(path: Path, options: Optional[Options] = None) -> list[str]:
    source = path.read_text()
    found = check(ast.parse(source), str(path), source.splitlines(True), options or Options())
    return [f"{f.line}:{f.message.split()[0]}" for f in found if ALL_RULES[f.message[:6]].default_on]


def test_root_is_nearest_marker(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"repo/pyproject.toml": "", "repo/src/app/__init__.py": "", "repo/src/app/x.py": ""},
    )
    assert find_root(str(tmp_path / "repo/src/app/x.py")) == str(tmp_path / "repo")


def test_real_path_agrees_with_os_realpath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-folder shortcut gives what ``os.path.realpath`` gives, symlinks and loops included."""
    write(tmp_path, {"a/b/f.py": ""})
    os.symlink(tmp_path / "a/b", tmp_path / "link")
    os.symlink(tmp_path / "a/b/f.py", tmp_path / "a/g.py")
    os.symlink(tmp_path / "loop1", tmp_path / "loop2")
    os.symlink(tmp_path / "loop2", tmp_path / "loop1")
    monkeypatch.chdir(tmp_path / "a")
    cases = [
        f"{tmp_path}/link/f.py", f"{tmp_path}/a/g.py", f"{tmp_path}/a/b/../b/f.py",
        f"{tmp_path}/link/../x.py", f"{tmp_path}/a/./b/f.py", f"{tmp_path}/a/b/",
        f"{tmp_path}//a//b//f.py", f"{tmp_path}/loop1/x.py", f"{tmp_path}/missing/x.py",
        "b/f.py", "g.py", "../link/f.py", ".", "..", "/",
    ]
    for warm in (False, True):  # alone, then with every parent folder already known
        for case in cases:
            if not warm:
                project.clear_cache()
            assert project.real_path(case) == os.path.realpath(case), case


def test_root_of_sibling_folders_is_shared(tmp_path: Path) -> None:
    write(tmp_path, {"repo/setup.cfg": "", "repo/one/x.py": "", "repo/two/deep/y.py": ""})
    assert find_root(str(tmp_path / "repo/one/x.py")) == str(tmp_path / "repo")
    assert find_root(str(tmp_path / "repo/two/deep/y.py")) == str(tmp_path / "repo")
    (tmp_path / "repo/two/setup.py").write_text("")
    project.clear_cache()  # a marker added mid-run is seen after the cache is cleared
    assert find_root(str(tmp_path / "repo/two/deep/y.py")) == str(tmp_path / "repo/two")


def test_root_falls_back_to_package_chain(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"lib/pkg/__init__.py": "", "lib/pkg/sub/__init__.py": "", "lib/pkg/sub/m.py": ""},
    )
    if find_root(str(tmp_path / "lib/pkg/sub/m.py")) != str(tmp_path / "lib"):
        pytest.skip("a marker above the temporary folder")  # e.g. a .git in / on some machines


def test_absolute_relative_and_src_layout_resolution(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "src/app/__init__.py": "from .db import get_db\n",
            "src/app/db.py": "def get_db():\n    yield 1\nclass C:\n    pass\n",
            "src/app/routers/__init__.py": "",
            "src/app/routers/r.py": (
                "from app import get_db as a\nfrom ..db import C\nimport app.db\nimport fastapi\n"
            ),
        },
    )
    path = tmp_path / "src/app/routers/r.py"
    proj = project_for(str(path), Options())
    mod = proj.adopt(ast.parse(path.read_text()), str(path))
    names = {
        alias: ast.parse(alias, mode="eval").body
        for alias in ("a", "C", "app.db.get_db", "fastapi.Depends")
    }
    assert isinstance(proj.resolve(mod, names["a"]), FuncSym)  # through the package's re-export
    assert isinstance(proj.resolve(mod, names["C"]), ClassSym)
    assert isinstance(proj.resolve(mod, names["app.db.get_db"]), FuncSym)
    assert proj.resolve(mod, names["fastapi.Depends"]) == ExternalSym("fastapi.Depends")


def test_project_files_skip_nested_projects_venvs_hidden_and_linked_folders(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "b.py": "",
            "a.py": "",
            "notes.txt": "",
            "pkg/__init__.py": "",
            "pkg/sub/z.py": "",
            "pkg/m.py": "",
            "other/setup.py": "",  # a project of its own
            "other/x.py": "",
            "gitted/.git": "",  # a .git file (a worktree) marks a project too
            "gitted/y.py": "",
            "venv/pyvenv.cfg": "",
            "venv/lib/site.py": "",
            ".hidden/h.py": "",
            "node_modules/n.py": "",
            "build/g.py": "",
        },
    )
    (tmp_path / "linked").symlink_to(tmp_path / "pkg", target_is_directory=True)
    (tmp_path / "alias.py").symlink_to(tmp_path / "a.py")
    rel = [
        os.path.relpath(f, tmp_path)
        for f in project.Project(str(tmp_path), Options()).files()
    ]
    # folders in sorted pre-order: a folder's files, then its subfolders
    assert rel == [
        "a.py", "alias.py", "b.py", "pkg/__init__.py", "pkg/m.py", "pkg/sub/z.py",
    ]


def test_each_file_parsed_once_per_process(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "",
        "app/__init__.py": "",
        "app/db.py": "def get_db():\n    yield 1\n",
        "app/a.py": "from fastapi import Depends\nfrom .db import get_db\nx = Depends(get_db())\n",
        "app/b.py": "from fastapi import Depends\nfrom .db import get_db\ny = Depends(get_db())\n",
    }
    write(tmp_path, files)
    for _ in range(2):
        for rel in ("app/db.py", "app/a.py", "app/b.py"):
            lint(tmp_path / rel)
    proj = project_for(str(tmp_path / "app/a.py"), Options())
    assert proj.parse_count <= 3


def test_project_files_are_read_once_for_the_scan_and_fad009(monkeypatch: pytest.MonkeyPatch) -> None:
    """FAD009 asks which files register handlers; the dependency scan's read answers it."""
    root = Path(__file__).resolve().parent / "fixtures/projects/FAD009_handlers_elsewhere"
    reads: list[str] = []
    real_read = files.read_source

    def counting(path: str) -> Optional[bytes]:
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(files, "read_source", counting)
    found = lint(root / "app/handlers.py")
    assert any(":FAD009" in f for f in found), found  # FAD009 did look at the other files
    assert reads and len(reads) == len(set(reads)), sorted(reads)


def test_text_facts_without_a_scan_read_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {"pyproject.toml": "", "a.py": "x = 'needle'\n", "b.py": "y = 1\n", "c/d.py": "needle\n"},
    )
    monkeypatch.setitem(scan.TEXT_FACTS, "test", lambda data: len(data) if b"needle" in data else None)
    monkeypatch.setitem(scan.TEXT_FACTS, "other", lambda data: True)
    reads: list[str] = []
    real_read = files.read_source
    monkeypatch.setattr(files, "read_source", lambda path: reads.append(path) or real_read(path))
    proj = project_for(str(tmp_path / "a.py"), Options())
    found = proj.text_fact("test")
    assert found == {str(tmp_path / "a.py"): 13, str(tmp_path / "c/d.py"): 7}
    assert len(proj.text_fact("other")) == 3  # answered by the same read
    assert proj.text_fact("unknown") == {}
    assert sorted(reads) == sorted(str(tmp_path / f) for f in ("a.py", "b.py", "c/d.py"))


def test_file_below_two_roots_is_summarised_once_for_both_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No root marker: ``tests/`` is a package (root: tmp_path), ``docs/`` is not, so its
    tutorial packages get a root of their own, inside the first project.  Both scans
    cover the tutorial files; the second must not read and summarise them again."""
    write(
        tmp_path,
        {
            "tests/__init__.py": "",
            "tests/test_a.py": "from docs.tut.a import app\n",
            "docs/tut/__init__.py": "",
            "docs/tut/a.py": (
                "from fastapi import Depends, FastAPI\napp = FastAPI()\n"
                "def get_db():\n    yield 1\n@app.get('/')\ndef r(db=Depends(get_db)):\n    pass\n"
            ),
        },
    )
    summaries: list[bytes] = []
    facts: list[bytes] = []
    real_summary = filetext.local_declarations
    monkeypatch.setattr(
        filetext, "local_declarations", lambda data: summaries.append(data) or real_summary(data)
    )
    monkeypatch.setitem(scan.TEXT_FACTS, "test", lambda data: facts.append(data))
    lint(tmp_path / "tests/test_a.py")
    lint(tmp_path / "docs/tut/a.py")
    inner = project_for(str(tmp_path / "docs/tut/a.py"), Options())
    outer = project_for(str(tmp_path / "tests/test_a.py"), Options())
    assert inner is not outer and inner.root == str(tmp_path / "docs")
    assert inner.gate_names(str(tmp_path / "docs/tut/a.py")) == outer.gate_names(
        str(tmp_path / "tests/test_a.py")
    ) == frozenset({"get_db", "r"})
    assert len(summaries) == 1  # docs/tut/a.py, the one file declaring a dependency
    assert len(facts) == 4  # every file once, though two scans cover docs/


def test_text_facts_alone_do_not_summarise_for_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text fact asked before any scan (a project over the scan budget) reads each
    file for its facts only; the scan's summary is made when a scan asks for it."""
    source = "from fastapi import Depends\ndef get_db():\n    yield 1\ndef r(db=Depends(get_db)):\n    pass\n"
    write(tmp_path, {"pyproject.toml": "", "a.py": source})
    summaries: list[bytes] = []
    real_summary = filetext.local_declarations
    monkeypatch.setattr(
        filetext, "local_declarations", lambda data: summaries.append(data) or real_summary(data)
    )
    monkeypatch.setitem(scan.TEXT_FACTS, "test", lambda data: True)
    proj = project_for(str(tmp_path / "a.py"), Options())
    assert proj.text_fact("test") == {str(tmp_path / "a.py"): True}
    assert summaries == []
    assert proj.gate_names(str(tmp_path / "a.py")) == frozenset({"get_db", "r"})
    assert len(summaries) == 1


def test_nothing_outside_the_root_is_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "outside.py": "def get_db():\n    yield 1\n",
            "proj/pyproject.toml": "",
            "proj/app.py": (
                "from fastapi import Depends\nfrom ..outside import get_db\n"
                "def f(d=Depends(get_db())):\n    pass\n"
            ),
        },
    )
    assert lint(tmp_path / "proj/app.py") == []


def test_symlinked_module_outside_root_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {"elsewhere/db.py": "def get_db():\n    yield 1\n", "proj/pyproject.toml": ""})
    os.symlink(tmp_path / "elsewhere/db.py", tmp_path / "proj/db.py")
    source = "from fastapi import Depends\nfrom db import get_db\ndef f(d=Depends(get_db())):\n    pass\n"
    write(tmp_path, {"proj/app.py": source})
    assert lint(tmp_path / "proj/app.py") == []


def test_fastapi_free_module_with_a_dependency_is_analysed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/deps.py": "from fastapi import Depends\n\ndef user(db=Depends(lambda: 1)):\n    return db\n",
            "app/jobs.py": "from .deps import user\n\n\ndef run():\n    return user()\n",
            "app/plain.py": "def run():\n    return 1\n",
        },
    )
    assert lint(tmp_path / "app/jobs.py") == ["5:FAD003"]
    assert lint(tmp_path / "app/plain.py") == []


def test_adopt_reuses_the_index_model_only_for_identical_text(tmp_path: Path) -> None:
    source = "from fastapi import Depends\n\ndef dep():\n    yield 1\n\nx = Depends(dep)\n"
    write(tmp_path, {"pyproject.toml": "", "app.py": source})
    path = str(tmp_path / "app.py")
    proj = project_for(path, Options())
    indexed = proj.module_at(path)
    assert indexed is not None
    assert proj.adopt(ast.parse(source), path, source) is indexed
    edited = source + "y = 2\n"  # an editor's unsaved buffer differs from the disk
    assert proj.adopt(ast.parse(edited), path, edited) is not indexed


def test_checker_clear_cache_forgets_every_per_process_answer(tmp_path: Path) -> None:
    from flake8_fastapi_deps import checker

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    path = tmp_path / "test_app.py"  # a test by its name: both test caches are consulted
    source = "from fastapi import FastAPI\n\napp = FastAPI()\n"
    path.write_text(source, encoding="utf-8")
    check(ast.parse(source), str(path), source.splitlines(True), Options())
    assert project.known_projects() and CACHE.cache
    assert checker._TEST_FOLDERS.get(CACHE) and checker._TEST_NAMES.get(CACHE)
    checker.clear_cache()
    assert not project.known_projects() and not CACHE.roots and not CACHE.real
    assert not CACHE.cache and not CACHE.modes and not CACHE.marked and not CACHE.file_text
    assert checker._TEST_FOLDERS.get(CACHE) is None and checker._TEST_NAMES.get(CACHE) is None


def test_relative_paths_find_the_project_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # project_for keeps its answer per folder as written: "app/x.py" names a
    # different folder after a change of directory, so it must not be reused.
    write(tmp_path, {"one/pyproject.toml": "", "one/app/x.py": "", "two/setup.cfg": "", "two/app/x.py": ""})
    monkeypatch.chdir(tmp_path / "one")
    first = project_for("app/x.py", Options())
    assert project_for("app/y.py", Options()) is first  # same folder: the kept answer
    monkeypatch.chdir(tmp_path / "two")
    second = project_for("app/x.py", Options())
    assert first.root == os.path.realpath(tmp_path / "one")
    assert second.root == os.path.realpath(tmp_path / "two")
    assert project_for(str(tmp_path / "one/app/x.py"), Options()) is first


def test_kept_file_summaries_are_not_tracked_by_the_garbage_collector(tmp_path: Path) -> None:
    """The per-file table lives for the process and holds one entry per project file:
    plain tuples of atoms, so full collections skip it (an object per file was visited
    by every one of them).  Only files that declare dependencies keep a tracked summary."""
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/db.py": "def get_db():\n    yield 1\n",
            "app/main.py": (
                "from fastapi import Depends, FastAPI\nfrom .db import get_db\napp = FastAPI()\n"
                "@app.get('/')\ndef root(db=Depends(get_db)):\n    return db\n"
            ),
            **{f"app/plain{i}.py": f"X = {i}\n" for i in range(20)},
        },
    )
    lint(tmp_path / "app/main.py")
    for _ in range(4):  # each collection untracks a tuple once what it holds is untracked:
        gc.collect()  # nested tuples may take one per level; the dict goes in a full one
    assert len(CACHE.file_text) == 22
    tracked = [entry for entry in CACHE.file_text.values() if gc.is_tracked(entry)]
    assert not tracked, tracked
    assert not gc.is_tracked(CACHE.file_text)
    assert set(CACHE.file_local) <= {str(tmp_path / "app/main.py")}


def test_text_facts_near_a_file_of_a_big_project_read_its_scan_base_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the scan budget, a fact asked for one file reads the files of that
    file's scan base, not the whole monorepo (what the dependency scan reads)."""
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "one/a.py": "needle\n", "one/b.py": "x\n",
            "two/c.py": "needle\n", "two/d.py": "y\n",
        },
    )
    monkeypatch.setattr(scan, "SCAN_BUDGET", 2)
    monkeypatch.setitem(scan.TEXT_FACTS, "test", lambda data: True if b"needle" in data else None)
    reads: list[str] = []
    real_read = files.read_source
    monkeypatch.setattr(files, "read_source", lambda path: reads.append(path) or real_read(path))
    proj = project_for(str(tmp_path / "one/a.py"), Options(no_cache=True))
    assert proj.text_fact("test", str(tmp_path / "one/a.py")) == {str(tmp_path / "one/a.py"): True}
    assert sorted(reads) == [str(tmp_path / "one/a.py"), str(tmp_path / "one/b.py")]
    # the whole project when no file is named
    assert set(proj.text_fact("test")) == {str(tmp_path / "one/a.py"), str(tmp_path / "two/c.py")}


def test_a_file_topping_a_tree_over_the_budget_scans_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``app/main.py`` of a monorepo: no folder above it stays within the scan
    budget, and its own folder's tree does not either. Its scan base is its folder,
    and the scan reads the files directly in it, not the whole tree below (it read
    all 10,106 files of a generated project: 14 s and 532 MiB for one file)."""
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "app/__init__.py": "", "app/main.py": "from fastapi import Depends\n",
            "app/one/a.py": "from fastapi import Depends\n",
            "app/one/b.py": "from fastapi import Depends\n",
            "app/two/c.py": "from fastapi import Depends\n",
        },
    )
    monkeypatch.setattr(scan, "SCAN_BUDGET", 2)
    main = str((tmp_path / "app/main.py").resolve())
    proj = project_for(main, Options(no_cache=True))
    base = proj.scan_base(main)
    assert base == os.path.dirname(main)
    assert sorted(proj._scanner.base_files(base)) == sorted(
        [main, str((tmp_path / "app/__init__.py").resolve())]
    )
    one = str((tmp_path / "app/one/a.py").resolve())
    assert proj.scan_base(one) == os.path.dirname(one)
    assert len(proj._scanner.base_files(os.path.dirname(one))) == 2  # within the budget: all below
    init = str((tmp_path / "app/__init__.py").resolve())
    assert proj.in_scan(main, init) and not proj.in_scan(main, one)  # what FAD003 asks
    assert proj.in_scan(one, str((tmp_path / "app/one/b.py").resolve()))
    reads: list[str] = []
    real_read = files.read_source
    monkeypatch.setattr(files, "read_source", lambda path: reads.append(path) or real_read(path))
    lint(tmp_path / "app/main.py", Options(no_cache=True))
    assert not any("/one/" in path or "/two/" in path for path in reads)


def test_a_root_file_of_a_project_over_the_budget_leaves_whole_project_facts_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file directly in the root of a project over the budget: its scan reads the
    root's own files only, and must not record them as the whole project's facts."""
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "manage.py": "from fastapi import Depends\nneedle\n",
            "one/a.py": "needle\n", "one/b.py": "x\n", "two/c.py": "needle\n",
        },
    )
    monkeypatch.setattr(scan, "SCAN_BUDGET", 2)
    monkeypatch.setitem(scan.TEXT_FACTS, "test", lambda data: True if b"needle" in data else None)
    options = Options(no_cache=True)
    manage = str((tmp_path / "manage.py").resolve())
    proj = project_for(manage, options)
    assert proj.scan_base(manage) == proj.root
    assert list(proj._scanner.base_files(proj.root)) == [manage]
    lint(tmp_path / "manage.py", options)
    assert set(proj.text_fact("test")) == {
        manage, str((tmp_path / "one/a.py").resolve()), str((tmp_path / "two/c.py").resolve())
    }


def test_large_modules_kept_between_files_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large modules other files' resolution parsed are kept between linted files up
    to a bound of source bytes (least recently used go first); small ones are all
    kept; a module dropped is parsed again when asked, with the same findings."""
    from flake8_fastapi_deps.index import modules

    filler = "".join(f"def helper_{i}():\n    return {i}\n" for i in range(700))
    sources = {"pyproject.toml": "", "app/__init__.py": ""}
    for i in range(4):
        sources[f"app/big{i}.py"] = (
            "def get_db():\n    return object()\n\n\n" + filler  # not a generator: FAD001 stays quiet
        )
        sources[f"app/r{i}.py"] = (
            "from fastapi import APIRouter, Depends\n"
            f"from app.big{i} import get_db\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/')\n"
            "def read(db=Depends(get_db())):\n"
            "    return db\n"
        )
    sources["app/small.py"] = "def get_user():\n    yield 1\n"
    sources["app/user.py"] = (
        "from fastapi import APIRouter, Depends\n"
        "from app.small import get_user\n"
        "router = APIRouter()\n\n\n"
        "@router.get('/u')\n"
        "def read(user=Depends(get_user())):\n"
        "    return user\n"
    )
    write(tmp_path, sources)
    size = len(sources["app/big0.py"])
    assert size >= modules.LARGE_MODULE

    uncached = Options(no_cache=True)  # (kept findings would spare the parses)

    def run(bound: int) -> tuple[list[list[str]], int, int]:
        project.clear_cache()
        monkeypatch.setattr(modules, "MAX_KEPT_BYTES", bound)
        order = ["r0", "r1", "r2", "r3", "user", "r0"]
        found = [lint(tmp_path / f"app/{name}.py", uncached) for name in order]
        store = project_for(str(tmp_path / "app/r0.py"), uncached)._modules
        kept_small = store.has(str((tmp_path / "app/small.py").resolve()))
        return found, store._kept_bytes, int(kept_small)

    unbounded, kept_all, _ = run(10**9)
    bounded, kept, small = run(2 * size)
    assert bounded == unbounded
    assert unbounded[-1] == unbounded[0] and any("FAD001" in f for f in unbounded[-2])
    assert kept_all == 4 * size  # every large module still held without a bound
    assert kept <= 2 * size and small == 1
