"""The engine: it runs the rules of the shown codes only, and one rule's
RecursionError costs that rule, not the file."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any, Callable

import pytest

from flake8_fastapi_deps import checker
from flake8_fastapi_deps.base import Finding
from flake8_fastapi_deps.options import Options, Selection
from flake8_fastapi_deps.registry import ALL_RULES
from flake8_fastapi_deps.rules import RULE_MODULES

from .test_e2e import parsed

REPO = Path(__file__).resolve().parent.parent

SOURCE = textwrap.dedent(
    """\
    from fastapi import Depends, FastAPI

    app = FastAPI()


    class SessionLocal:
        def close(self) -> None: ...


    def get_db():
        db = SessionLocal()
        yield db
        db.close()


    def get_user():
        return "user"


    @app.get("/")
    def route(db=Depends(get_db), user=Depends(get_user())):
        return db, user
    """
)


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    checker.clear_cache()
    yield
    checker.clear_cache()


def _check(tmp_path: Path, options: Options, name: str = "app.py") -> list[Finding]:
    path = tmp_path / name
    path.write_text(SOURCE)
    return checker.check(ast.parse(SOURCE), str(path), SOURCE.splitlines(True), options)


def _codes(found: list[Finding]) -> set[str]:
    return {f.message.split(" ", 1)[0] for f in found}


def _replaced(unit: Any, check: Callable[[Any], Any]) -> Any:
    """``unit`` with another ``check`` (same codes, same ``wants``)."""
    copy: Any = types.SimpleNamespace(RULE=unit.RULE, wants=getattr(unit, "wants", None))
    copy.check = check
    return copy


def _unit_of(code: str) -> Any:
    return next(u for u in RULE_MODULES if u.RULE.code == code)


def test_every_code_is_in_one_unit() -> None:
    codes = [u.RULE.code for u in RULE_MODULES]
    assert sorted(codes) == list(ALL_RULES)


@pytest.mark.parametrize(
    "args", [[], ["--extend-ignore", "FAD3"], ["--select", "FAD1,FAD207"], ["--extend-select", "FAD"]]
)
def test_only_units_with_a_shown_code_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    options = Options.from_args(args)
    ran: list[Any] = []

    def spy(unit: Any) -> Any:
        def check(ctx: Any) -> Any:
            ran.append(unit)
            return unit.check(ctx)

        return _replaced(unit, check)

    monkeypatch.setattr(checker, "RULE_MODULES", tuple(spy(u) for u in RULE_MODULES))
    _check(tmp_path, options)
    expected = [u for u in RULE_MODULES if options.reports(u.RULE.code)]
    assert ran == expected


def test_only_shown_codes_come_out(tmp_path: Path) -> None:
    everything = _codes(_check(tmp_path, Options(selection=Selection.every_code())))
    assert {"FAD001", "FAD201"} <= everything
    for args in ([], ["--extend-ignore", "FAD001"], ["--select", "FAD2"], ["--extend-select", "FAD3"]):
        options = Options.from_args(args)
        assert _codes(_check(tmp_path, options)) == {c for c in everything if options.reports(c)}


def test_nothing_shown_nothing_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_project(*args: object) -> None:
        raise AssertionError("the project was looked up")

    monkeypatch.setattr(checker, "project_for", no_project)
    assert _check(tmp_path, Options.from_args(["--select", "E,W"])) == []


def _raise_recursion(ctx: Any) -> Any:
    raise RecursionError("maximum recursion depth exceeded")


def test_recursion_error_skips_one_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = _unit_of("FAD201")
    lost = {failing.RULE.code}
    units = tuple(_replaced(u, _raise_recursion) if u is failing else u for u in RULE_MODULES)
    monkeypatch.setattr(checker, "RULE_MODULES", units)
    found = _codes(_check(tmp_path, Options()))
    assert "FAD001" in found and not found & lost  # the other rules ran
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("flake8-fastapi-deps: FAD201")
    assert err[0].endswith(f" skipped {tmp_path / 'app.py'}: code nested too deeply to analyse")
    # once per (file, rule): not again for the same file, but for another one
    _check(tmp_path, Options())
    assert capsys.readouterr().err == ""
    _check(tmp_path, Options(), name="other.py")
    assert "other.py" in capsys.readouterr().err


def test_recursion_error_through_flake8(tmp_path: Path) -> None:
    """Real flake8: the line appears once on stderr and the other findings still come out."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "x.py").write_text(SOURCE)
    script = textwrap.dedent(
        """\
        import sys, types
        from flake8_fastapi_deps import checker

        def boom(ctx):
            raise RecursionError("maximum recursion depth exceeded")

        units = []
        for unit in checker.RULE_MODULES:
            if unit.RULE.code == "FAD201":
                unit = types.SimpleNamespace(RULE=unit.RULE, wants=getattr(unit, "wants", None))
                unit.check = boom
            units.append(unit)
        checker.RULE_MODULES = tuple(units)

        from flake8.main.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-c", script, "-j1", "--isolated", "--select", "FAD", "app/x.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("flake8-fastapi-deps: FAD201")
    assert lines[0].endswith(" skipped app/x.py: code nested too deeply to analyse")
    codes = {code for *_, code in parsed(result.stdout)}
    assert "FAD001" in codes and "FAD201" not in codes, result.stdout
