"""The import graph behind FAD301: edges, components, cycle messages, cost bounds."""

from __future__ import annotations

import ast
import os
import time
from pathlib import Path

import pytest

from flake8_fastapi_deps import project
from flake8_fastapi_deps.index import files
from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.import_scan import scan_imports
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.project import project_for

from .harness import PROJECTS


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    project.clear_cache()


def _write(root: Path, files: dict[str, str]) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _messages(path: Path, code: str = "FAD301") -> list[str]:
    source = path.read_text(encoding="utf-8")
    options = Options.from_args(["--extend-select", "FAD308"])
    found = check(ast.parse(source), str(path), source.splitlines(True), options)
    return [f.message for f in found if f.message.startswith(code)]


def test_message_names_the_failing_order_and_the_whole_cycle() -> None:
    root = PROJECTS / "FAD301_routers"
    assert _messages(root / "app" / "routers" / "auth.py") == []  # not where it fails
    assert _messages(root / "app" / "routers" / "users.py") == [
        "FAD301 importing app.routers.auth first fails here: get_current_user is not yet "
        "defined in partially initialized module app.routers.auth (import cycle "
        "app.routers.auth -> app.routers.users -> app.routers.auth); move the import at "
        "line 4 of app.routers.auth below the definition of get_current_user (line 9), "
        "or into the function that uses it"
    ]
    assert _messages(root / "app" / "services" / "reports.py") == [
        "FAD301 importing app.main first fails here: settings is not yet defined in partially "
        "initialized module app.main (import cycle app.main -> app.routers.admin -> "
        "app.services.reports -> app.main); move the import at line 4 of app.main below the "
        "definition of settings (line 7), or into the function that uses it"
    ]
    assert _messages(root / "app" / "main.py", "FAD308") == [
        "FAD308 import cycle app.main -> app.routers.admin -> app.services.reports -> app.main; "
        "move shared code to a module that imports no router"
    ]


def test_src_layout_names_are_relative_to_src() -> None:
    root = PROJECTS / "FAD301_src_layout"
    assert _messages(root / "src" / "api" / "routes.py") == [
        "FAD301 importing core.deps first fails here: get_db is not yet defined in partially "
        "initialized module core.deps (import cycle core.deps -> api -> api.routes -> core.deps); "
        "move the import at line 3 of core.deps below the definition of get_db (line 7), "
        "or into the function that uses it"
    ]


def test_a_two_thousand_module_cycle(tmp_path: Path) -> None:
    """Iterative walks only: a deep cycle neither recurses nor takes long; the whole
    cycle is named.  Submodule imports never fail: FAD301 is silent, FAD308 reports."""
    count = 2000
    files = {f"pkg/m{i}.py": f"from pkg import m{(i + 1) % count}\n" for i in range(count)}
    files["pkg/__init__.py"] = ""
    files["pkg/m0.py"] = "from fastapi import APIRouter\n\nfrom pkg import m1\n\nrouter = APIRouter()\n"
    _write(tmp_path, files)
    start = time.perf_counter()
    assert _messages(tmp_path / "pkg" / "m1.py", "FAD3") == []
    graph = project_for(str(tmp_path / "pkg" / "m1.py"), Options()).import_graph()
    members = graph.component(os.path.realpath(tmp_path / "pkg" / "m1.py"))
    assert len(members) == count
    found = _messages(tmp_path / "pkg" / "m0.py", "FAD3")
    assert len(found) == 1
    assert found[0].startswith("FAD308 import cycle pkg.m0 -> pkg.m1 -> pkg.m2 -> pkg.m3 -> ")
    assert found[0].count(" -> ") == count
    # every other module of the cycle is answered from the cached component
    for i in (2, 500, 1999):
        assert _messages(tmp_path / "pkg" / f"m{i}.py", "FAD3") == []
    assert time.perf_counter() - start < 30


def test_a_two_thousand_module_cycle_that_fails(tmp_path: Path) -> None:
    """Each module takes a name its successor defines below its import: the first
    order tried fails; one finding, naming all 2,000 modules."""
    count = 2000
    files = {
        f"pkg/m{i}.py": f"from pkg.m{(i + 1) % count} import V\n\nV = {i}\n" for i in range(count)
    }
    files["pkg/__init__.py"] = ""
    files["pkg/m0.py"] = "from fastapi import APIRouter\n\nfrom pkg.m1 import V\n\nrouter = APIRouter()\n"
    _write(tmp_path, files)
    start = time.perf_counter()
    found = _messages(tmp_path / "pkg" / "m1999.py")
    assert len(found) == 1
    assert found[0].startswith("FAD301 importing pkg.m0 first fails here: V is not yet defined")
    assert found[0].count(" -> ") == count
    assert _messages(tmp_path / "pkg" / "m0.py") == []
    assert time.perf_counter() - start < 30


def test_a_group_that_never_fails_is_bounded(tmp_path: Path) -> None:
    """Every order works (names bound above each import): each first import is tried
    until the step budget runs out; then the group is left undecided, quickly."""
    count = 2000
    files = {
        f"pkg/m{i}.py": f"V = {i}\n\nfrom pkg.m{(i + 1) % count} import V as W\n" for i in range(count)
    }
    files["pkg/__init__.py"] = ""
    files["pkg/m0.py"] = (
        "from fastapi import APIRouter\n\nV = 0\nfrom pkg.m1 import V as W\n\nrouter = APIRouter()\n"
    )
    _write(tmp_path, files)
    start = time.perf_counter()
    for i in (0, 1, 1999):
        assert _messages(tmp_path / "pkg" / f"m{i}.py") == []
    assert time.perf_counter() - start < 30


def test_only_files_of_candidate_cycles_are_parsed(tmp_path: Path) -> None:
    files = {f"lib/mod{i}.py": "import os\n" for i in range(50)}
    files["lib/__init__.py"] = "".join(f"from lib import mod{i}\n" for i in range(50))
    files["app/__init__.py"] = ""
    files["app/main.py"] = "from fastapi import FastAPI\n\nimport lib\n\napp = FastAPI()\n"
    _write(tmp_path, files)
    main = tmp_path / "app" / "main.py"
    assert _messages(main) == []
    assert project_for(str(main), Options()).parse_count == 0


def test_each_cycle_member_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tree parsed for a router module's import edges also answers "is it a router?"."""
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/users.py": "from fastapi import APIRouter\n\nfrom app import auth\n\nrouter = APIRouter()\n",
            "app/auth.py": "from fastapi import APIRouter\n\nfrom app import users\n\nrouter = APIRouter()\n",
        },
    )
    parsed: list[str] = []
    original = files.parse_source

    def counting(data: bytes, path: str) -> ast.Module | None:
        parsed.append(os.path.basename(path))
        return original(data, path)

    monkeypatch.setattr(files, "parse_source", counting)
    project.clear_cache()  # a graph built from now on reads through the counter
    found = _messages(tmp_path / "app" / "auth.py", "FAD3")
    assert found == [
        "FAD308 import cycle app.auth -> app.users -> app.auth; "
        "move shared code to a module that imports no router"
    ]
    assert parsed == ["users.py"]  # auth.py is the linted file: flake8's tree is used


def test_text_scan_is_a_superset_of_module_level_imports() -> None:
    text = '''
import a.b, c as d
from .e import (f,
    g as h)
from ..i import *
from j import k, \\
    l
try:
    import m
except ImportError:
    m = None

def func(
    x,
) -> None:
    import lazy_one
    if x:
        import lazy_two

class C:
    import in_class

if TYPE_CHECKING:
    import typing_only
else:
    import runtime_too
if __name__ == "__main__":
    import script_only
'''
    found = [(kind, base, names) for kind, base, names in scan_imports(text)]
    assert found == [
        ("import", "", ["a.b", "c"]),
        ("from", ".e", ["f", "g"]),
        ("from", "..i", ["*"]),
        ("from", "j", ["k", "l"]),
        ("import", "", ["m"]),
        ("import", "", ["runtime_too"]),
    ]
