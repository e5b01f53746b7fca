"""Real flake8, in a subprocess: what users run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_fastapi_deps import __version__
from flake8_fastapi_deps.registry import ALL_RULES

from .harness import FIXTURES, PROJECTS, expectations, header_values, supported

# what `flake8` reports with no configuration: the default-on codes
DEFAULT = ",".join(code for code, rule in ALL_RULES.items() if rule.default_on)
_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) ")


def flake8(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def parsed(output: str) -> list[tuple[str, int, int, str]]:
    found = []
    for line in output.splitlines():
        match = _LINE.match(line)
        if match:
            found.append(
                (match["path"], int(match["line"]), int(match["col"]), match["code"])
            )
    return sorted(found)


def test_version_lists_plugin(tmp_path: Path) -> None:
    result = flake8("--version", cwd=tmp_path)
    assert f"flake8-fastapi-deps: {__version__}" in result.stdout


def test_fixture_project_through_flake8(tmp_path: Path) -> None:
    """flake8 prints exactly the inline expectations, 1-based columns included."""
    root = tmp_path / "proj"
    shutil.copytree(PROJECTS / "FAD001_crossfile", root)
    result = flake8("--isolated", "--select", DEFAULT, ".", cwd=root)
    got = [(Path(p).as_posix().lstrip("./"), line, col, code) for p, line, col, code in parsed(result.stdout)]
    want = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        want += [(rel, line, col, code) for line, col, code in expectations(path.read_text())]
    assert sorted(got) == sorted(want), result.stdout + result.stderr


def test_stdin_with_display_name_sees_the_project(tmp_path: Path) -> None:
    """Editors send the unsaved buffer on stdin; imports still resolve from its path."""
    root = tmp_path / "proj"
    shutil.copytree(PROJECTS / "FAD001_crossfile", root)
    buffer = (
        "from fastapi import APIRouter, Depends\n"
        "from ..db import get_db\n"
        "router = APIRouter()\n"
        "@router.get('/new')\n"
        "def new(db=Depends(get_db())):\n"
        "    return db\n"
    )
    result = flake8(
        "--isolated", "--select", DEFAULT, "--stdin-display-name", "app/routers/items.py", "-",
        cwd=root, stdin=buffer,
    )
    assert parsed(result.stdout) == [("app/routers/items.py", 5, 20, "FAD001")], result.stderr


def test_stdin_without_a_project_degrades_to_one_file(tmp_path: Path) -> None:
    buffer = "from fastapi import Depends\nfrom .db import get_db\ndef f(db=Depends(get_db())):\n    pass\n"
    result = flake8(
        "--isolated", "--select", DEFAULT, "--stdin-display-name", "/nonexistent/dir/x.py", "-",
        cwd=tmp_path, stdin=buffer,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_options_from_setup_cfg(tmp_path: Path) -> None:
    source = (
        "from fastapi import Depends\n"
        "from mylib.routing import Router\n"
        "router = Router()\n"
        "@router.get('/')\n"
        "def f(x=Depends):\n"
        "    return x\n"
    )
    (tmp_path / "app.py").write_text(source)
    (tmp_path / "setup.cfg").write_text(f"[flake8]\nselect = {DEFAULT}\n")
    assert parsed(flake8("app.py", cwd=tmp_path).stdout) == []
    (tmp_path / "setup.cfg").write_text(
        f"[flake8]\nselect = {DEFAULT}\nfad-router-classes = mylib.routing.Router\n"
    )
    assert parsed(flake8("app.py", cwd=tmp_path).stdout) == [("app.py", 5, 9, "FAD002")]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--fad-router-classes", ",,"),
        ("--fad-router-classes", "not a name"),
        ("--fad-blocking-calls", "pkg..mod"),
        ("--fad-sync-session-types", "a,,b"),
        ("--fad-max-dependencies", "abc"),
        ("--fad-max-routes-per-module", "0"),
        ("--fad-test-patterns", "tests/*.py"),
    ],
)
def test_bad_option_value_is_one_line(tmp_path: Path, option: str, value: str) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    result = flake8(f"{option}={value}", "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and option in lines[0], result.stderr


def test_bad_option_in_config_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "setup.cfg").write_text("[flake8]\nfad-max-dependencies = many\n")
    result = flake8("app.py", cwd=tmp_path)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr  # 2: flake8's usage errors
    assert "setup.cfg: fad-max-dependencies = many" in lines[0] and "Traceback" not in result.stderr


def test_parallel_equals_serial(tmp_path: Path) -> None:
    tree = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, tree)
    serial = flake8("--isolated", "--select", "FAD", "-j1", ".", cwd=tree)
    parallel = flake8("--isolated", "--select", "FAD", "-j2", ".", cwd=tree)
    # explicit --select FAD shows the opt-in codes too: compare everything
    assert parsed(serial.stdout), serial.stderr
    assert parsed(parallel.stdout) == parsed(serial.stdout)


OPT_IN = sorted(code for code, rule in ALL_RULES.items() if not rule.default_on)


@pytest.mark.parametrize("code", OPT_IN or ["none"])
def test_opt_in_codes_need_extend_select(tmp_path: Path, code: str) -> None:
    if code == "none":
        pytest.skip("no opt-in codes registered")
    fixture = FIXTURES / f"{code}.py"
    shutil.copy(fixture, tmp_path / fixture.name)
    peer = FIXTURES / f"{code.lower()}_peer"  # the other half of a cross-module fixture
    if peer.is_dir():
        shutil.copytree(peer, tmp_path / peer.name)
    (tmp_path / "pyproject.toml").write_text("")
    default = flake8("--isolated", fixture.name, cwd=tmp_path)
    assert code not in {c for *_, c in parsed(default.stdout)}
    selected = flake8("--isolated", "--extend-select", code, fixture.name, cwd=tmp_path)
    assert code in {c for *_, c in parsed(selected.stdout)}, selected.stdout


def test_demo_app_findings() -> None:
    """The README's Quickstart lints docs/demo: it shows exactly the marked findings."""
    repo = Path(__file__).resolve().parent.parent
    demo = repo / "docs" / "demo"
    result = flake8("docs/demo", cwd=repo)  # the README's Quickstart command
    got = [
        (Path(p).as_posix(), line, col, code)
        for p, line, col, code in parsed(result.stdout)
        if code.startswith("FAD")
    ]
    want = []
    for path in sorted(demo.rglob("*.py")):
        rel = path.relative_to(repo).as_posix()
        want += [(rel, line, col, code) for line, col, code in expectations(path.read_text())]
    assert want and sorted(got) == sorted(want), result.stdout + result.stderr


def test_loads_with_flake8_bugbear_without_option_clash(tmp_path: Path) -> None:
    pytest.importorskip("bugbear")
    source = (
        "from fastapi import Depends, FastAPI, Query\n"
        "app = FastAPI()\n"
        "def get_db():\n"
        "    yield 1\n"
        "@app.get('/')\n"
        "def f(db=Depends(get_db()), q: str = Query(None)):\n"
        "    return db\n"
    )
    (tmp_path / "app.py").write_text(source)
    (tmp_path / "setup.cfg").write_text(
        f"[flake8]\nselect = B,{DEFAULT}\n"
        "extend-immutable-calls = Depends, fastapi.Depends, Query, fastapi.Query\n"
    )
    result = flake8("app.py", cwd=tmp_path)
    version = flake8("--version", cwd=tmp_path).stdout
    assert "flake8-bugbear" in version and "flake8-fastapi-deps" in version
    assert "Traceback" not in result.stderr, result.stderr
    # with Depends and Query declared immutable, bugbear reports only the inner call
    assert parsed(result.stdout) == [("app.py", 6, 18, "B008"), ("app.py", 6, 18, "FAD001")]


def test_noqa_on_the_reported_line_silences_it(tmp_path: Path) -> None:
    """Every expected finding lands on a line where `# noqa: FADxxx` works."""
    tree = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, tree)
    expected: set[tuple[str, int, str]] = set()
    for path in tree.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(tree).as_posix()
        if supported(path) and not header_values(text, "fad-options"):
            expected |= {(rel, line, code) for line, _, code in expectations(text)}
        swapped = re.sub(
            r"#[ \t]*((?:FAD\d{3}:\d+[ \t]*)+)(.*)$",
            lambda m: "# noqa: " + ",".join(re.findall(r"FAD\d{3}", m.group(1))),
            text,
            flags=re.M,
        )
        path.write_text(swapped, encoding="utf-8")

    def found(result: subprocess.CompletedProcess[str]) -> set[tuple[str, int, str]]:
        return {(Path(p).as_posix(), line, code) for p, line, _, code in parsed(result.stdout)}

    codes = ",".join(sorted(ALL_RULES))
    before = found(flake8("--isolated", "--select", codes, "--disable-noqa", ".", cwd=tree))
    after = found(flake8("--isolated", "--select", codes, ".", cwd=tree))
    assert expected and expected <= before
    assert not (after & expected), sorted(after & expected)
