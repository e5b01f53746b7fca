"""Fixture harness: inline expectations, exact comparison.

A fixture line that must produce a warning carries a comment naming the code
and the 1-based column flake8 prints, e.g. ``x = Depends(get_db())  # FAD001:13``
(several: ``# FAD001:13 FAD005:40``).  Every other line must stay silent.

The codes reported are the default-on codes, plus the codes in the fixture's
file (or project folder) name, plus any listed in a ``# fad-select: FAD302``
line: those are passed as ``--extend-select``, as a user would tell flake8,
and the plugin runs exactly the rules flake8 would show (nothing is filtered
here).  ``# fad-options: --fad-max-dependencies=2`` lines set options.

Messages are compared too, against a snapshot per fixture in ``tests/snapshots/``
(``<fixture>.txt``: one ``line:col: message`` per finding, col as flake8 prints
it), so that a change of wording shows in review.  Regenerate after a deliberate
change with ``FAD_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_fixtures.py``.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from pathlib import Path

from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.registry import ALL_RULES

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOTS = Path(__file__).parent / "snapshots"
PROJECTS = FIXTURES / "projects"
_EXPECT = re.compile(r"\b(FAD\d{3}):(\d+)\b")
_CODE = re.compile(r"FAD\d{3}")
_MIN_VERSION = re.compile(r"_py3(\d+)$")

Expectation = tuple[int, int, str]  # line, 1-based column, code
Reported = tuple[int, int, str]  # line, 1-based column, whole message (code first)


def comments(source: str) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.COMMENT]


def expectations(source: str) -> list[Expectation]:
    found = []
    for line, text in comments(source):
        if text.lstrip("# ").startswith(("fad-options", "fad-select")):
            continue
        for code, col in _EXPECT.findall(text):
            found.append((line, int(col), code))
    return sorted(found)


def header_values(source: str, key: str) -> list[str]:
    values: list[str] = []
    for _, text in comments(source):
        body = text.lstrip("# ")
        if body.startswith(key + ":"):
            values.extend(body[len(key) + 1:].split())
    return values


def selected_codes(name: str, sources: list[str]) -> set[str]:
    codes = {c for c, r in ALL_RULES.items() if r.default_on}
    codes.update(_CODE.findall(name))
    for source in sources:
        codes.update(header_values(source, "fad-select"))
    return codes


def fixture_options(name: str, sources: list[str]) -> Options:
    """The fixture's ``fad-options``, and its extra codes as ``--extend-select``."""
    args = [value for source in sources for value in header_values(source, "fad-options")]
    extra = sorted(selected_codes(name, sources) - {c for c, r in ALL_RULES.items() if r.default_on})
    if extra:
        args += ["--extend-select", ",".join(extra)]
    return Options.from_args(args)


def supported(path: Path) -> bool:
    match = _MIN_VERSION.search(path.stem)
    return match is None or sys.version_info >= (3, int(match.group(1)))


def run_file(path: Path, source: str, options: Options) -> list[Expectation]:
    """What the plugin reports for ``path``, as (line, flake8 column, code)."""
    found = report(path, source, options)
    return sorted((line, col, message.split(" ", 1)[0]) for line, col, message in found)


def report(path: Path, source: str, options: Options) -> list[Reported]:
    """What the plugin reports for ``path``, as (line, flake8 column, message)."""
    tree = ast.parse(source, filename=str(path))
    lines = source.splitlines(keepends=True)
    return sorted((f.line, f.col + 1, f.message) for f in check(tree, str(path), lines, options))


def snapshot_text(found: list[Reported]) -> str:
    return "".join(f"{line}:{col}: {message}\n" for line, col, message in found)


def compare_snapshot(name: str, found: list[Reported]) -> None:
    """Assert ``found`` equals the stored snapshot ``name`` (or rewrite it when asked)."""
    import os

    path = SNAPSHOTS / f"{name}.txt"
    text = snapshot_text(found)
    if os.environ.get("FAD_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no snapshot {path.name}: run with FAD_UPDATE_SNAPSHOTS=1"
    assert text.splitlines() == path.read_text(encoding="utf-8").splitlines()


def single_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*.py"))


def project_fixtures() -> list[Path]:
    return sorted(p for p in PROJECTS.iterdir() if p.is_dir()) if PROJECTS.is_dir() else []
