"""The module model built lazily (from the text) against the model built eagerly.

``build_module(tree, path, text)`` walks only the expressions on lines that
hold a marker word and leaves the full call list for ``ModuleInfo.calls``;
without ``text`` everything is walked at once.  Both must describe the module
identically.  Checked on every fixture file, and on real packages when the
corpus is on disk.
"""

from __future__ import annotations

import ast
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from flake8_fastapi_deps.model import ModuleInfo, build_module, own_node_list, own_nodes

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
CORPUS = Path(os.environ.get("FAD_CORPUS", REPO.parent / "corpus"))
CORPUS_PACKAGES = ("fastapi", "fastapi-users", "lnbits")


def _pos(node: ast.AST) -> tuple[object, ...]:
    return (type(node).__name__, getattr(node, "lineno", None), getattr(node, "col_offset", None))


def describe(mod: ModuleInfo) -> dict[str, object]:
    """Everything build_module records, as positions (comparable across two builds)."""
    return {
        "calls": [(_pos(c), tuple(_pos(f) for f in s)) for c, s in mod.calls],
        "markers": [
            (_pos(m.call), m.marker, tuple(_pos(f) for f in m.scope), m.implicit is None)
            for m in mod.marker_uses
        ],
        "dependencies_lists": [
            (_pos(d.owner), _pos(d.keyword.value), tuple(_pos(f) for f in d.scope))
            for d in mod.dependencies_lists
        ],
        "registrations": [(_pos(r.call), _pos(r.endpoint)) for r in mod.registrations],
        "functions": [(f.qualname, _pos(f.node), len(f.parents)) for f in mod.functions],
        "classes": [_pos(c) for c in mod.classes],
        "toplevel": {k: _pos(v) for k, v in mod.toplevel.items()},
        "imports": dict(mod.imports.names),
        "top_imports": [(_pos(i), tc) for i, tc in mod.top_imports],
        "type_checking_names": sorted(mod.type_checking_names),
        "assignments": sorted(
            (k != 0, name, tuple(_pos(v) for v in values))
            for k, table in mod.assignments.items()
            for name, values in table.items()
        ),
    }


def sources(root: Path, limit: int = 100_000) -> Iterator[tuple[Path, str, ast.Module]]:
    count = 0
    for path in sorted(root.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (OSError, SyntaxError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            continue
        yield path, text, tree
        count += 1
        if count >= limit:
            return


def assert_same(root: Path, limit: int = 100_000) -> int:
    checked = 0
    for path, text, tree in sources(root, limit):
        eager = describe(build_module(tree, str(path)))
        lazy = describe(build_module(tree, str(path), text))
        assert lazy == eager, path
        checked += 1
    return checked


def test_lazy_model_equals_eager_model_on_fixtures() -> None:
    assert assert_same(FIXTURES) > 50


def test_lazy_model_sees_markers_in_every_statement_kind() -> None:
    text = (
        "from fastapi import Depends as D, APIRouter\n"
        "r = APIRouter(dependencies=[D(a)])\n"
        "x: int = D(b)\n"
        "y += [D(c)]\n"
        "assert D(d)\n"
        "del z[D(e)]\n"
        "def f(q=D(g)):\n"
        "    return D(h)\n"
        "for i in D(k):\n"
        "    raise E(D(m))\n"
        "r.add_api_route('/', f, dependencies=[D(n)])\n"
    )
    tree = ast.parse(text)
    lazy = build_module(tree, "m.py", text)
    assert describe(lazy) == describe(build_module(tree, "m.py"))
    assert len(lazy.marker_uses) == 10
    assert len(lazy.registrations) == 1


@pytest.mark.parametrize("package", CORPUS_PACKAGES)
def test_lazy_model_equals_eager_model_on_corpus(package: str) -> None:
    root = CORPUS / package
    if not root.is_dir():
        pytest.skip(f"corpus package {package} not on disk (set FAD_CORPUS)")
    assert assert_same(root, limit=1500) > 0


def _callee_line(call: ast.Call) -> int:
    func = call.func
    return func.end_lineno if isinstance(func, ast.Attribute) and func.end_lineno else func.lineno


def test_calls_near_finds_every_call_written_on_the_lines() -> None:
    """``calls_near(lines)`` holds every call whose callee is written on one of ``lines``
    (what FAD210 relies on), in the order of the full call list."""
    checked = 0
    for path, text, tree in sources(FIXTURES):
        full = build_module(tree, str(path)).calls
        for line in sorted({_callee_line(call) for call, _ in full})[:40]:
            near = build_module(tree, str(path), text).calls_near([line])
            near_pos = [(_pos(c), tuple(_pos(f) for f in s)) for c, s in near]
            wanted = [
                (_pos(c), tuple(_pos(f) for f in s)) for c, s in full if _callee_line(c) == line
            ]
            assert all(item in near_pos for item in wanted), (path, line)
            full_pos = [(_pos(c), tuple(_pos(f) for f in s)) for c, s in full]
            assert near_pos == [item for item in full_pos if item in near_pos], (path, line)
            checked += 1
    assert checked > 200


def _own_nodes_reference(root: ast.AST) -> list[ast.AST]:
    """The definition of ``own_nodes``, written recursively with the ast module's own walk."""
    found: list[ast.AST] = []

    def visit(node: ast.AST) -> None:
        found.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, ast.expr_context):
                    visit(child)

    if isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
        tops: list[ast.AST] = list(root.body)
    elif isinstance(root, ast.Lambda):
        tops = [root.body]
    else:
        tops = [c for c in ast.iter_child_nodes(root) if not isinstance(c, ast.expr_context)]
    for top in tops:
        visit(top)
    return found


def test_own_nodes_walks_a_scope_in_source_order() -> None:
    checked = 0
    for _, _, tree in sources(FIXTURES):
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.If)):
                expected = _own_nodes_reference(node)
                assert own_node_list(node) == expected
                assert list(own_nodes(node)) == expected
                checked += 1
    assert checked > 500


def test_node_key_matches_structure_not_position() -> None:
    from flake8_fastapi_deps.nodes import node_key

    def key(code: str) -> tuple[object, ...]:
        return node_key(ast.parse(code, mode="eval").body)

    assert key("a.b == 1") == key("(a . b)  ==  1")
    assert key("f(x, y=[1, 2])") == key("f( x , y = [1,2] )")
    distinct = ["1", "True", "1.0", "'1'", "a.b", "a_b", "f(a, b)", "f(a)(b)", "[a, [b]]", "[[a], b]"]
    assert len({key(code) for code in distinct}) == len(distinct)
    deep: ast.expr = ast.Name(id="x", ctx=ast.Load())
    for _ in range(5000):  # deeper than the parser allows: the walk must not recurse
        deep = ast.BinOp(left=deep, op=ast.Add(), right=ast.Name(id="x", ctx=ast.Load()))
    assert node_key(deep)[:2] == ("BinOp", "BinOp")
