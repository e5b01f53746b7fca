"""Every fixture produces exactly the warnings written beside its code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flake8_fastapi_deps import project
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.registry import ALL_RULES

from .harness import (
    compare_snapshot,
    expectations,
    fixture_options,
    project_fixtures,
    report,
    run_file,
    selected_codes,
    single_fixtures,
    supported,
)


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    project.clear_cache()


@pytest.mark.parametrize("path", single_fixtures(), ids=lambda p: p.name)
def test_fixture(path: Path) -> None:
    if not supported(path):
        pytest.skip("needs a newer Python")
    source = path.read_text(encoding="utf-8")
    options = fixture_options(path.name, [source])
    assert {c for c in ALL_RULES if options.reports(c)} == selected_codes(path.name, [source])
    found = report(path, source, options)
    got = [(line, col, message.split(" ", 1)[0]) for line, col, message in found]
    assert got == expectations(source)
    compare_snapshot(path.stem, found)


@pytest.mark.parametrize("root", project_fixtures(), ids=lambda p: p.name)
def test_project_fixture(root: Path) -> None:
    files = sorted(p for p in root.rglob("*.py") if supported(p))
    sources = {p: p.read_text(encoding="utf-8") for p in files}
    codes = selected_codes(root.name, list(sources.values()))
    options = fixture_options(root.name, list(sources.values()))
    assert {c for c in ALL_RULES if options.reports(c)} == codes
    got: dict[str, list[tuple[int, int, str]]] = {}
    want: dict[str, list[tuple[int, int, str]]] = {}
    messages: list[tuple[int, int, str]] = []
    for path, source in sources.items():
        rel = str(path.relative_to(root))
        found = report(path, source, options)
        got[rel] = [(line, col, message.split(" ", 1)[0]) for line, col, message in found]
        want[rel] = expectations(source)
        messages.extend((line, col, f"{rel}: {message}") for line, col, message in found)
    assert got == want
    compare_snapshot(f"projects/{root.name}", messages)


@pytest.mark.parametrize("path", single_fixtures(), ids=lambda p: p.name)
def test_fixture_compiles(path: Path) -> None:
    if not supported(path):
        pytest.skip("needs a newer Python")
    compile(path.read_text(encoding="utf-8"), str(path), "exec")


@pytest.mark.parametrize("path", single_fixtures(), ids=lambda p: p.name)
def test_without_fastapi_nothing_fires(path: Path, tmp_path: Path) -> None:
    """Metamorphic: the same code importing a look-alike module is not FastAPI code."""
    if not supported(path):
        pytest.skip("needs a newer Python")
    source = path.read_text(encoding="utf-8")
    if not expectations(source):
        pytest.skip("nothing fires here anyway")
    changed = re.sub(r"\b(fastapi|starlette)\b", r"\1_lookalike", source)
    copy = tmp_path / path.name
    copy.write_text(changed, encoding="utf-8")
    options = fixture_options(path.name, [source])
    assert run_file(copy, changed, options) == []


def test_every_fixture_has_expectations_and_ok_section() -> None:
    for path in single_fixtures():
        source = path.read_text(encoding="utf-8")
        assert expectations(source), f"{path.name} has no firing case"
        assert "# OK" in source, f"{path.name} has no '# OK' section of near-misses"


def test_checking_leaves_no_cyclic_garbage() -> None:
    """Reference cycles made per check would make flake8's garbage collector run often.

    ``ast.dump`` was one source: its recursive closure is a cycle on every call,
    and thousands per file cost more than the rules themselves.
    """
    import gc

    paths = [p for p in single_fixtures() if supported(p)]
    sources = {p: p.read_text(encoding="utf-8") for p in paths}
    options = Options.from_args(["--extend-select", "FAD"])
    # garbage of earlier tests first (SQLAlchemy's class registries from the FAD211
    # premise tests free more of it on a later pass, through weak-reference callbacks)
    for _ in range(5):
        if not gc.collect():
            break
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for path, source in sources.items():
            run_file(path, source, options)
        gc.collect()
        kinds = sorted({type(o).__qualname__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert kinds == []
