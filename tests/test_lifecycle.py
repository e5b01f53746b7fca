"""The yield-shape helpers of the lifecycle family, and its option."""

from __future__ import annotations

import ast
import textwrap

import pytest

from flake8_fastapi_deps.options import OptionError, Options
from flake8_fastapi_deps.facts.yield_flow import first_skipped, yield_sites


def _func(source: str) -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _skipped(source: str) -> list[str | None]:
    return [
        None if (s := first_skipped(site)) is None else ast.unparse(s)
        for site in yield_sites(_func(source))
    ]


def test_sites_in_source_order_with_their_path() -> None:
    func = _func(
        """
        def dep(flag):
            if flag:
                yield 1
                return
            with open("x") as fh:
                try:
                    yield fh
                finally:
                    pass
        """
    )
    sites = yield_sites(func)
    assert [s.node.lineno for s in sites] == [4, 8]
    assert sites[0].guard is None
    assert isinstance(sites[1].guard, ast.Try)  # the innermost guard
    assert [type(f.owner).__name__ for f in sites[1].frames] == ["NoneType", "With", "Try"]


def test_nested_functions_are_not_entered() -> None:
    func = _func(
        """
        def outer():
            def inner():
                yield 1
            return inner
        """
    )
    assert yield_sites(func) == []


def test_first_skipped() -> None:
    assert _skipped(
        """
        def dep():
            db = open("x")
            yield db
            print("done")
            db.close()
        """
    ) == ["db.close()"]
    assert _skipped(
        """
        def dep(flag):
            if flag:
                yield None
                return
            db = open("x")
            yield db
            db.close()
        """
    ) == [None, "db.close()"]
    assert _skipped(
        """
        def dep():
            db = open("x")
            try:
                yield db
            except Exception:
                db.close()
            db.flush()
            db.close()
        """
    ) == [None]  # the handler swallows: code after the try runs either way


def test_deep_nesting_does_not_crash() -> None:
    depth = 90
    body = "".join("    " * (i + 1) + "if x:\n" for i in range(depth))
    body += "    " * (depth + 1) + "yield x\n" + "    " * (depth + 1) + "x.close()\n"
    func = _func("def dep(x):\n" + body)
    assert [ast.unparse(s) for s in map(first_skipped, yield_sites(func)) if s] == ["x.close()"]


def test_pooled_constructors_option() -> None:
    options = Options.from_args(["--fad-pooled-constructors=mylib.Client, other.make_pool"])
    assert options.pooled_constructors == ("mylib.Client", "other.make_pool")
    with pytest.raises(OptionError, match="fad-pooled-constructors"):
        Options.from_args(["--fad-pooled-constructors=not a-name"])
