"""Fixture harness: inline expectations, exact comparison.

A fixture line that must produce a warning carries a comment naming the code
and the 1-based column flake8 prints, e.g. ``x = Depends(get_db())  # FAD001:13``
(several: ``# FAD001:13 FAD005:40``).  Every other line must stay silent.

The codes compared are the default-on codes, plus the codes in the fixture's
file (or project folder) name, plus any listed in a ``# fad-select: FAD302``
line.  ``# fad-options: --fad-max-dependencies=2`` lines set options.
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
PROJECTS = FIXTURES / "projects"
_EXPECT = re.compile(r"\b(FAD\d{3}):(\d+)\b")
_CODE = re.compile(r"FAD\d{3}")
_MIN_VERSION = re.compile(r"_py3(\d+)$")

Expectation = tuple[int, int, str]  # line, 1-based column, code


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


def supported(path: Path) -> bool:
    match = _MIN_VERSION.search(path.stem)
    return match is None or sys.version_info >= (3, int(match.group(1)))


def run_file(path: Path, source: str, options: Options) -> list[Expectation]:
    """What the plugin reports for ``path``, as (line, flake8 column, code)."""
    tree = ast.parse(source, filename=str(path))
    lines = source.splitlines(keepends=True)
    return sorted(
        (f.line, f.col + 1, f.message.split(" ", 1)[0])
        for f in check(tree, str(path), lines, options)
    )


def single_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*.py"))


def project_fixtures() -> list[Path]:
    return sorted(p for p in PROJECTS.iterdir() if p.is_dir()) if PROJECTS.is_dir() else []
