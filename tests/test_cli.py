"""python -m flake8_fastapi_deps: --list and explain, also from a built wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from flake8_fastapi_deps.__main__ import main
from flake8_fastapi_deps.registry import ALL_RULES

REPO = Path(__file__).resolve().parent.parent


def test_list_prints_every_code_with_default(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(ALL_RULES)
    for line in lines:
        code, name, default = line.split()[:3]
        assert name == ALL_RULES[code].name
        assert default == ("on" if ALL_RULES[code].default_on else "off")


def test_explain_prints_the_doc(capsys) -> None:  # type: ignore[no-untyped-def]
    for code in ALL_RULES:
        assert main(["explain", code.lower()]) == 0
        assert capsys.readouterr().out.startswith(f"# {code} {ALL_RULES[code].name}")


def test_explain_unknown_code(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["explain", "FAD999"]) == 2
    assert "unknown code" in capsys.readouterr().err


def test_explain_works_from_the_wheel(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("flake8_fastapi_deps-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for code in ALL_RULES:
        assert f"flake8_fastapi_deps/docs/{code}.md" in names
    env = dict(os.environ, PYTHONPATH=str(wheel))
    out = subprocess.run(
        [sys.executable, "-m", "flake8_fastapi_deps", "explain", "FAD001"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert out.startswith("# FAD001 called-dependency")
