"""Bounds of the FAD207-209 path analysis: pathological shapes end quickly and quietly."""

from __future__ import annotations

import ast
import time

from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options

HEADER = "from fastapi import Depends, FastAPI\napp = FastAPI()\n"
ROUTE = "\n@app.get('/')\ndef route(x=Depends(dep)):\n    return x\n"


def run(body: str) -> list[str]:
    source = HEADER + body + ROUTE
    tree = ast.parse(source)
    found = check(tree, None, source.splitlines(True), Options())
    # this file is about FAD207-210; opt-in codes (FAD302, FAD305...) are not asked for
    return [f.message for f in found if f.message.startswith("FAD2")]


def test_many_correlated_tests_give_up_quietly() -> None:
    # every test appears twice, so each is tracked: the states would double per test
    lines = ["def dep(" + ", ".join(f"a{i}=0" for i in range(40)) + "):"]
    for i in range(40):
        lines += [f"    if a{i}:", "        pass", f"    if not a{i}:", "        pass"]
    lines += ["    yield 1", "    yield 2"]
    start = time.perf_counter()
    assert run("\n".join(lines) + "\n") == []
    assert time.perf_counter() - start < 5


def test_deep_nesting_gives_up_quietly() -> None:
    depth = 90
    lines = ["def dep(x=0):"]
    for level in range(depth):
        lines.append("    " * (level + 1) + "if x:")
    lines.append("    " * (depth + 1) + "return")
    lines += ["    yield 1"]
    assert run("\n".join(lines) + "\n") == []


def test_long_straight_line_is_analysed() -> None:
    lines = ["def dep():"] + ["    x = 1"] * 3000 + ["    return", "    yield x"]
    messages = run("\n".join(lines) + "\n")
    assert [m.split()[0] for m in messages] == ["FAD207"]
