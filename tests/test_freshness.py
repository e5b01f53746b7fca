"""Freshness in a long-lived process (issue 23, point 3).

The VS Code flake8 extension runs flake8's ``main()`` again and again in one
server process.  Each case here runs flake8 twice in one interpreter, changing
the project between the runs (a file changed, added, renamed or deleted); the
second run must report what a fresh process reports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

FACTORY = "def get_db():\n    return lambda: 1\n"
GENERATOR = "def get_db():\n    yield 1\n"
MAIN = textwrap.dedent(
    """\
    from fastapi import Depends, FastAPI

    from db import get_db

    app = FastAPI()


    @app.get("/")
    def r(x=Depends(get_db())):
        return x
    """
)

# Runs flake8 in this interpreter, applies the case's edit, runs it again.
DRIVER = textwrap.dedent(
    """\
    import os, sys
    from flake8.main.cli import main

    def edit(case):
        if case == "change":
            open("db.py", "w").write({generator!r})
        elif case == "add":
            open("db.py", "w").write({generator!r})
        elif case == "rename":
            os.replace("db_new.py", "db.py")
        elif case == "delete":
            os.remove("db.py")

    argv = ["--select", "FAD001", "main.py"]
    main(argv)
    print("--- edit", flush=True)
    edit(sys.argv[1])
    main(argv)
    """
).format(generator=GENERATOR)

# case -> files before the edit (besides main.py)
CASES = {
    "change": {"db.py": FACTORY},  # a factory becomes a generator: FAD001 appears
    "add": {},  # db.py appears, a generator: FAD001 appears
    "rename": {"db_new.py": GENERATOR},  # renamed to db.py: FAD001 appears
    "delete": {"db.py": GENERATOR},  # the generator goes: FAD001 goes
}


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    return env


def _flake8_output(project: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "FAD001", "main.py"],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )
    assert not done.stderr, done.stderr
    return done.stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_second_run_in_one_process_sees_the_edit(tmp_path: Path, case: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    (project / "main.py").write_text(MAIN)
    for name, text in CASES[case].items():
        (project / name).write_text(text)
    (tmp_path / "driver.py").write_text(DRIVER)
    env = _env(tmp_path)
    before = _flake8_output(project, env)

    done = subprocess.run(
        [sys.executable, str(tmp_path / "driver.py"), case],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )
    assert not done.stderr, done.stderr
    first, second = done.stdout.split("--- edit\n")
    after = _flake8_output(project, env)

    assert first == before
    assert second == after  # what a fresh process reports
    assert ("FAD001" in before) != ("FAD001" in after)  # the edit matters


def test_new_run_is_public_for_direct_check_callers(tmp_path: Path) -> None:
    """A program calling ``check()`` repeatedly calls ``new_run()`` between runs."""
    import ast

    from flake8_fastapi_deps import checker
    from flake8_fastapi_deps.index.cache import CACHE
    from flake8_fastapi_deps.options import Options

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "db.py").write_text(FACTORY)
    main = tmp_path / "main.py"
    main.write_text(MAIN)

    def codes() -> list[str]:
        found = checker.check(ast.parse(MAIN), str(main), MAIN.splitlines(True), Options())
        return [message.split()[0] for _, _, message in found]

    checker.clear_cache()
    try:
        assert "FAD001" not in codes()
        (tmp_path / "db.py").write_text(GENERATOR)
        assert "FAD001" not in codes()  # within one run, files are taken as constant
        checker.new_run()
        assert "FAD001" in codes()
        assert str(tmp_path / "db.py") in CACHE.stamps
    finally:
        checker.clear_cache()
