"""Nothing grows worse than linearly with the input (issue 23, "Quadratic corners").

Each test measures growth, not absolute time: the CPU time of one lint for an
input 8 times larger must grow less than 12 times (a quadratic cost would grow
64 times).  Both sizes are timed after a fresh project cache, the best of a few
runs, so one slow moment of a busy machine does not decide.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flake8_fastapi_deps import project
from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options

SMALL, LARGE = 2000, 16000
MAX_GROWTH = 12.0  # for 8 times the input; quadratic would be 64
REPEATS = 3

Files = Callable[[int], dict[str, str]]


def _write(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _lint_time(path: Path, code: str) -> tuple[float, list[str]]:
    """CPU seconds of checking ``path`` with a fresh project cache and no store (kept
    findings would time a lookup, not the analysis), and ``code``'s messages."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines(True)
    best = float("inf")
    messages: list[str] = []
    for _ in range(REPEATS):
        project.clear_cache()
        start = time.process_time()
        options = Options.from_args(["--extend-select", "FAD308", "--fad-no-cache"])
        found = check(tree, str(path), lines, options)
        elapsed = time.process_time() - start
        best = min(best, elapsed)
        messages = [f.message for f in found if f.message.startswith(code)]
        if elapsed > 1.0:
            break  # long enough for noise not to matter
    return best, messages


def _growth(
    tmp_path: Path, files: Files, linted: str, small: int, large: int, code: str = "FAD"
) -> float:
    times = []
    for size in (small, large):
        root = tmp_path / str(size)
        _write(root, files(size))
        times.append(_lint_time(root / linted, code)[0])
    growth = times[1] / max(times[0], 1e-3)
    print(f"sizes {small}/{large}: {times[0]:.3f}/{times[1]:.3f} CPU-s, growth {growth:.1f}")
    return growth


_MAIN = (
    "from fastapi import Depends\n\n\ndef get_db():\n    return 1\n\n\n"
    "def read(db=Depends(get_db)):\n    return db\n"
)

# A sibling module whose one long line holds k markers: the project index reads it
# for any file linted in the project.
_SIBLINGS: dict[str, Callable[[int], str]] = {
    # bare words: a text scan of the line before each marker
    "words": lambda k: "import fastapi\n\nx = " + "Depends( " * k + "\n",
    # ``name: Head = Depends()``: the implicit target read from the text before
    "implicit": lambda k: (
        "from fastapi import Depends\n\n\nclass A:\n    pass\n\n\ndef f("
        + ", ".join(f"a{i}: A = Depends()" for i in range(k))
        + "):\n    pass\n"
    ),
    # heads bound nowhere (parameters, say): each looked up in the file
    "unbound": lambda k: (
        "from fastapi import Depends\n\n\ndef f("
        + ", ".join(f"a{i}=Depends(p{i})" for i in range(k))
        + "):\n    pass\n"
    ),
    # a parsed sibling (it imports a dependency): markers in Annotated aliases
    "parsed-annotated": lambda k: (
        "from typing import Annotated\n\nfrom fastapi import Depends\n\nfrom main import get_db\n\nX = ["
        + ", ".join("Annotated[int, Depends(get_db)]" for _ in range(k))
        + "]\n"
    ),
}


@pytest.mark.parametrize("kind", sorted(_SIBLINGS))
def test_a_sibling_with_markers_on_one_line(tmp_path: Path, kind: str) -> None:
    growth = _growth(
        tmp_path, lambda k: {"main.py": _MAIN, "sibling.py": _SIBLINGS[kind](k)}, "main.py", SMALL, LARGE
    )
    assert growth < MAX_GROWTH, f"{kind}: {growth:.1f} times the time for 8 times the markers"


def _route(k: int) -> dict[str, str]:
    params = ", ".join(f"a{i}: int = Depends(get_db)" for i in range(k))
    return {
        "routes.py": "from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n\n\n"
        "def get_db():\n    return 1\n\n\n"
        f"@router.get('/')\ndef read({params}):\n    return 1\n"
    }


def test_a_route_with_its_parameters_on_one_line(tmp_path: Path) -> None:
    growth = _growth(tmp_path, _route, "routes.py", SMALL // 2, LARGE // 2)
    assert growth < MAX_GROWTH, f"{growth:.1f} times the time for 8 times the parameters"


def _ring(n: int) -> dict[str, str]:
    """m0 -> m1 -> ... -> m(n-1) -> m0, where m0 creates a router and imports every module."""
    files = {f"pkg/m{i}.py": f"from pkg import m{(i + 1) % n}\n" for i in range(1, n)}
    files["pkg/__init__.py"] = ""
    imports = "".join(f"from pkg import m{i}\n" for i in range(1, n))
    files["pkg/m0.py"] = f"from fastapi import APIRouter\n\n{imports}\nrouter = APIRouter()\n"
    return files


def _failing_ring(n: int) -> dict[str, str]:
    """A ring where each module takes a name its successor defines below its own import."""
    files = {
        f"pkg/m{i}.py": f"from pkg.m{(i + 1) % n} import VALUE{(i + 1) % n}\n\nVALUE{i} = {i}\n"
        for i in range(1, n)
    }
    files["pkg/__init__.py"] = ""
    files["pkg/m0.py"] = (
        "from fastapi import APIRouter\n\nfrom pkg.m1 import VALUE1\n\nVALUE0 = 0\nrouter = APIRouter()\n"
    )
    return files


def test_a_ring_of_modules_imported_by_one(tmp_path: Path) -> None:
    """One FAD308 finding naming the whole ring (n modules): linear, not n²."""
    growth = _growth(tmp_path, _ring, "pkg/m0.py", 100, 800, "FAD308")
    assert growth < MAX_GROWTH, f"{growth:.1f} times the time for 8 times the modules"


def test_a_failing_ring(tmp_path: Path) -> None:
    """FAD301 simulates the ring's first imports: the first trial fails, linear in n."""
    growth = _growth(tmp_path, _failing_ring, "pkg/m0.py", 100, 800, "FAD")
    assert growth < MAX_GROWTH, f"{growth:.1f} times the time for 8 times the modules"


def test_ring_messages_name_the_whole_cycle(tmp_path: Path) -> None:
    _write(tmp_path, _ring(20))
    _, messages = _lint_time(tmp_path / "pkg" / "m0.py", "FAD3")
    assert messages == [
        "FAD308 import cycle " + " -> ".join(f"pkg.m{i}" for i in range(20)) + " -> pkg.m0; "
        "move shared code to a module that imports no router"
    ]
