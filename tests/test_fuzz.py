"""Property: the core never raises on source that parses.

Sources come from hypothesmith (``from_grammar()``: text from Python's grammar;
``from_node()``: random libcst trees).  Random code almost never mentions
FastAPI, and the core skips such files after a text check, so each source is
also linted "FastAPI-ised": names and calls rewritten to ``Depends``,
``Security``, ``app.get(...)`` decorators and the like, so the rules
themselves run on odd shapes.

A few dozen examples by default (a few seconds); more with
``FAD_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import ast
import itertools
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from flake8_fastapi_deps.checker import check  # noqa: E402
from flake8_fastapi_deps.options import Options, Selection  # noqa: E402
from flake8_fastapi_deps.project import clear_cache  # noqa: E402

# hypothesmith compiles what it generates; its SyntaxWarnings are not ours.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
EXAMPLES = int(os.environ.get("FAD_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
# libcst-based generation is several times slower per example.
FUZZ_NODES = settings(FUZZ, max_examples=max(1, EXAMPLES // 3))
OPTIONS = Options(selection=Selection.every_code())  # fuzz the opt-in rules too
HEADER = (
    "from typing import Annotated\n"
    "from fastapi import APIRouter, Depends, FastAPI, Security\n"
    "app = FastAPI()\n"
    "router = APIRouter()\n"
)
_NAMES = ("Depends", "Security", "app", "router", "Annotated", "get_db")
_DECORATORS = ('app.get("/")', 'router.post("/")', 'app.websocket("/ws")', "app.get")


@pytest.fixture(scope="module")
def project_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        (root / "pyproject.toml").write_text("[project]\nname = 'fuzz'\n")
        (root / "deps.py").write_text(
            "from fastapi import Depends\n\n\ndef get_db():\n    yield 1\n\n\n"
            "def get_user(db=Depends(get_db)):\n    return db\n"
        )
        yield root


def parses(source: str) -> Optional[ast.Module]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


class _FastAPIise(ast.NodeTransformer):
    """Turn arbitrary code into code full of FastAPI shapes (never the linted tree)."""

    def __init__(self) -> None:
        self.names = itertools.cycle(_NAMES)
        self.decorators = itertools.cycle(_DECORATORS)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Name(id=next(self.names), ctx=ast.Load()), node)
        return node

    def _function(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        deco = ast.parse(next(self.decorators), mode="eval").body
        node.decorator_list.append(deco)
        for arg in node.args.args:
            if arg.annotation is None:
                arg.annotation = ast.parse("Annotated[int, Depends(get_db)]", mode="eval").body
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function


def fastapi_variants(source: str) -> Iterator[str]:
    """The source with a FastAPI header, and a rewritten version, where they parse."""
    for variant in (HEADER + source, source + "\n" + HEADER):
        if parses(variant) is not None:
            yield variant
            break
    tree = parses(source)
    if tree is None:
        return
    try:
        rewritten = ast.unparse(ast.fix_missing_locations(_FastAPIise().visit(tree)))
    except (RecursionError, ValueError, TypeError, AttributeError, AssertionError):
        return
    for variant in (HEADER + rewritten, rewritten + "\n" + HEADER):
        if parses(variant) is not None:
            yield variant
            break


def lint_all(source: str, root: Path) -> None:
    """Lint the source as is and FastAPI-ised, in a project and alone; must not raise."""
    for text in [source, *fastapi_variants(source)]:
        tree = parses(text)
        if tree is None:
            continue
        lines = text.splitlines(keepends=True)
        path = root / "app.py"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        for filename in (str(path), None, "stdin"):
            clear_cache()
            check(tree, filename, lines, OPTIONS)


@FUZZ
@given(source=hypothesmith.from_grammar())
def test_grammar_sources(project_dir: Path, source: str) -> None:
    lint_all(source, project_dir)


@FUZZ_NODES
@given(source=hypothesmith.from_node())
def test_node_sources(project_dir: Path, source: str) -> None:
    lint_all(source, project_dir)
