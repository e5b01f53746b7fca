"""The one walker over module-level imports, in its two modes (model / import graph)."""

from __future__ import annotations

import ast

from flake8_fastapi_deps.model import build_module
from flake8_fastapi_deps.module_imports import is_type_checking_test, module_level_imports
from flake8_fastapi_deps.names import Imports

SOURCE = '''
import typing as t
import a
if t.TYPE_CHECKING:
    import tc_only
    if x:
        import tc_nested
else:
    import tc_else
if not TYPE_CHECKING:
    import not_tc
else:
    import not_tc_else
if __name__ == "__main__":
    import script
try:
    import b
except ImportError:
    import c
def f():
    import in_function
class C:
    import in_class
'''


def _names(found: list[tuple[ast.Import | ast.ImportFrom, bool]]) -> list[tuple[str, bool]]:
    return [(stmt.names[0].name, flag) for stmt, flag in found]


def test_model_mode_tags_type_checking_bodies() -> None:
    tree = ast.parse(SOURCE)
    mod = build_module(tree, None)
    assert _names(mod.top_imports) == [
        ("typing", False),
        ("a", False),
        ("tc_only", True),
        ("tc_nested", True),
        ("tc_else", False),
        ("not_tc", False),
        ("not_tc_else", False),
        ("script", False),
        ("b", False),
        ("c", False),
    ]
    assert {"tc_only", "tc_nested"} <= mod.type_checking_names
    assert "tc_else" in mod.toplevel and "tc_only" not in mod.toplevel


def test_runtime_mode_keeps_what_runs_on_import() -> None:
    tree = ast.parse(SOURCE)
    found = module_level_imports(tree, lambda test: is_type_checking_test(None, test), runtime=True)
    assert _names(list(found)) == [
        ("typing", False),
        ("a", False),
        ("tc_else", False),
        ("not_tc", False),
        ("b", False),
        ("c", False),
    ]


def test_type_checking_by_imports_or_by_spelling() -> None:
    imports = Imports()
    imports.add(ast.parse("from typing import TYPE_CHECKING as TC").body[0])  # type: ignore[arg-type]
    alias, other = ast.parse("TC").body[0], ast.parse("mod.TYPE_CHECKING").body[0]
    assert isinstance(alias, ast.Expr) and isinstance(other, ast.Expr)
    assert is_type_checking_test(imports, alias.value)
    assert not is_type_checking_test(None, alias.value)
    assert not is_type_checking_test(imports, other.value)
    assert is_type_checking_test(None, other.value)


def test_model_judges_type_checking_by_the_imports_seen_so_far() -> None:
    # the alias is bound only after the ``if``: not TYPE_CHECKING there (as before the walker)
    mod = build_module(ast.parse("if TC:\n    import x\nfrom typing import TYPE_CHECKING as TC\n"), None)
    assert _names(mod.top_imports) == [("x", False), ("TYPE_CHECKING", False)]
    assert "x" in mod.toplevel
