"""Issue 26, every surface a new user meets, through real flake8 in a subprocess.

The suite runs on flake8 5, 6 and 7 (.ci/run's smoke runs), so each claim the
README makes about flake8's behaviour is checked on all three.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_fastapi_deps.__main__ import main
from flake8_fastapi_deps.options import OptionError, Options
from flake8_fastapi_deps.registry import ALL_RULES

from .test_e2e import parsed

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
DEFAULT_ON = frozenset(c for c, r in ALL_RULES.items() if r.default_on)


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--fad-no-cache", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


def codes(result: subprocess.CompletedProcess[str]) -> set[tuple[str, str]]:
    """(file name, code) of every finding printed."""
    assert "Traceback" not in result.stderr, result.stderr
    return {(Path(path).name, code) for path, _, _, code in parsed(result.stdout)}


# ------------------------------------------------------------ 1. the F prefix

_APP = '''\
import os

from fastapi import APIRouter, Depends

router = APIRouter()


def get_db():
    yield 1


@router.get("/a")
def a(db=Depends(get_db())):
    return db


@router.get("/b")
def b(db=Depends(get_db())):  # noqa: F
    return db


@router.get("/c")
def c(db=Depends(get_db())):  # noqa: F401
    return db
'''

# in app.py: F401 on line 1; FAD001 (default-on) and FAD302 (opt-in) on lines 13, 18, 23;
# line 18 has "# noqa: F", which hides both
_README_SELECT = re.search(r"`select = (E,W,C90,F4[^`]*)`", README)


@pytest.fixture(scope="module")
def f_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fprefix")
    (root / "pyproject.toml").write_text("")
    (root / "app.py").write_text(_APP)
    return root


def _lines(result: subprocess.CompletedProcess[str]) -> set[tuple[int, str]]:
    assert "Traceback" not in result.stderr, result.stderr
    return {(line, code) for _, line, _, code in parsed(result.stdout) if code[0] == "F"}


F_CASES = [
    # (setup.cfg, the (line, code) pairs shown among F401/FAD001/FAD302)
    ("", {(1, "F401"), (13, "FAD001"), (23, "FAD001")}),
    ("extend-ignore = F", set()),
    ("extend-ignore = F\nextend-select = FAD", {(13, "FAD001"), (23, "FAD001")}),
    ("per-file-ignores = app.py:F", set()),
    ("per-file-ignores = app.py:F\nextend-select = FAD", {(13, "FAD001"), (23, "FAD001")}),
    ("per-file-ignores = app.py:F4,F5,F6,F7,F8,F9", {(13, "FAD001"), (23, "FAD001")}),
    # the trap: an explicit F selects every FAD code, the opt-in FAD302 included
    ("select = E,W,F,C90", {(1, "F401"), (13, "FAD001"), (23, "FAD001"),
                            (13, "FAD302"), (23, "FAD302")}),
]


@pytest.mark.parametrize(("config", "expected"), F_CASES, ids=lambda v: str(v)[:40])
def test_f_prefix_and_its_remedies(f_project: Path, config: str, expected: set[tuple[int, str]]) -> None:
    (f_project / "setup.cfg").write_text(f"[flake8]\n{config}\n")
    try:
        shown = _lines(flake8("app.py", cwd=f_project))
    finally:
        (f_project / "setup.cfg").unlink()
    assert {s for s in shown if s[1] in ("F401", "FAD001", "FAD302")} == expected


def test_readme_select_list_is_pyflakes_and_the_default_on_codes(f_project: Path) -> None:
    assert _README_SELECT, "README's F-prefix table lost its select remedy"
    select = _README_SELECT.group(1)
    fad = [c for c in select.split(",") if c.startswith("FAD")]
    assert {c for c in ALL_RULES if c.startswith(tuple(fad))} == DEFAULT_ON
    assert frozenset(c for c in ALL_RULES if Options.from_args(["--select", select]).reports(c)) == DEFAULT_ON
    (f_project / "setup.cfg").write_text(f"[flake8]\nselect = {select}\n")
    try:
        shown = _lines(flake8("app.py", cwd=f_project))
    finally:
        (f_project / "setup.cfg").unlink()
    assert shown == {(1, "F401"), (13, "FAD001"), (23, "FAD001")}


def test_readme_ci_selects_the_default_on_codes() -> None:
    ci = README[README.index("## In CI"):README.index("## Editors")]
    assert "--select FAD " not in ci and "--select FAD\n" not in ci
    select = re.search(r"flake8 --select (\S+) app/", ci)
    assert select, ci
    options = Options.from_args(["--select", select.group(1)])
    assert frozenset(c for c in ALL_RULES if options.reports(c)) == DEFAULT_ON


def test_readme_vscode_severity_entry() -> None:
    """The settings.json block is valid JSON, keeps the extension's defaults and
    gives FAD its own entry (the extension takes the longest matching prefix)."""
    block = re.search(r"```json\n(.*?)\n```", README, re.S)
    assert block
    severity = json.loads(block.group(1))["flake8.severity"]
    assert {"E": "Error", "F": "Error", "I": "Information", "W": "Warning"}.items() <= severity.items()

    def lookup(code: str) -> str:  # bundled/tool/lsp_server.py's _get_severity
        while code:
            if code in severity:
                return str(severity[code])
            code = code[:-1]
        return "Error"

    assert lookup("FAD001") == "Warning" and lookup("F401") == "Error"
    assert lookup("FAD305") == "Information"


def test_list_and_explain_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    out, err = capsys.readouterr()
    assert "FAD starts with F" in err and "extend-select = FAD" in err
    assert all(line.split()[0] in ALL_RULES for line in out.splitlines())  # pipes read codes only
    assert main(["explain", "FAD001"]) == 0
    assert "FAD starts with F" in capsys.readouterr().out


# ------------------------------------------------------------ 4. README truths


def test_readme_truths() -> None:
    assert "exits with status 1" in README  # the demo has findings
    assert "pip wheel --no-deps" in README and "from a checkout" in README
    assert "[tool.flake8]" in README and "Flake8-pyproject" in README
    assert "--all-files" in README
    editors = README[README.index("## Editors"):]
    assert "saved" in editors and "unsaved buffers on stdin" not in editors


def test_demo_exits_1_because_it_has_findings() -> None:
    result = flake8("docs/demo", cwd=REPO)
    assert result.returncode == 1 and {c for _, c in codes(result)} & DEFAULT_ON


def test_flake8_ignores_tool_flake8_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.flake8]\nextend-select = "FAD302"\n')
    (tmp_path / "app.py").write_text(_APP)
    shown = {code for _, code in codes(flake8("app.py", cwd=tmp_path))}
    assert "FAD001" in shown and "FAD302" not in shown
    (tmp_path / "setup.cfg").write_text("[flake8]\nextend-select = FAD302\n")
    assert "FAD302" in {code for _, code in codes(flake8("app.py", cwd=tmp_path))}


# ------------------------------------------------------------ 5. options


def test_option_values_accepted() -> None:
    options = Options.from_args([
        "--fad-test-patterns", "\ntest_*.py,\n*_spec.py",
        "--fad-router-classes", "módulo.Enrutador, pkg.Router,",
        "--fad-blocking-calls", ",",
    ])
    assert options.test_patterns == ("test_*.py", "*_spec.py")
    assert options.router_classes == ("módulo.Enrutador", "pkg.Router")
    assert options.blocking_calls == ()
    for bad in ("a,,b", ",,", "1abc", "a-b.c"):
        with pytest.raises(OptionError):
            Options.from_args(["--fad-router-classes", bad])


def test_multi_line_list_through_flake8(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nfad-test-patterns =\n    test_*.py,\n    *_spec.py\n"
        "fad-router-classes = módulo.Enrutador,\n"
    )
    result = flake8("app.py", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize(
    ("where", "args"),
    [("setup.cfg", ()), ("tox.ini", ()), (".flake8", ()), ("other.cfg", ("--config", "other.cfg")),
     ("extra.cfg", ("--append-config", "extra.cfg"))],
)
def test_bad_value_from_a_config_file_exits_2_naming_it(
    tmp_path: Path, where: str, args: tuple[str, ...]
) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    if where == "extra.cfg":
        (tmp_path / "setup.cfg").write_text("[flake8]\nfad-max-dependencies = 4\n")
    (tmp_path / where).write_text("[flake8]\nfad-max-dependencies = many\n")
    result = flake8(*args, "app.py", cwd=tmp_path)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert lines == [f"flake8-fastapi-deps: error: {where}: fad-max-dependencies = many: "
                     "expected a whole number, got 'many'"]


def test_bad_value_on_the_command_line_names_the_flag(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "setup.cfg").write_text("[flake8]\nfad-max-dependencies = 4\n")
    result = flake8("--fad-max-dependencies=0", "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "flake8-fastapi-deps: error: --fad-max-dependencies=0: must be at least 1, got 0"
    )


def test_a_huge_number_is_not_echoed_whole(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "setup.cfg").write_text(f"[flake8]\nfad-max-routes-per-module = {'9' * 5000}\n")
    result = flake8("app.py", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr) < 200, result.stderr
    assert "setup.cfg: fad-max-routes-per-module = 9999" in result.stderr
    assert "(5000 characters)" in result.stderr


def test_unknown_fad_key_is_warned_once(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 1\n")
    (tmp_path / "setup.cfg").write_text("[flake8]\nfad-max-dependency = 2\nfad-test-patterns = x_*.py\n")
    result = flake8("-j2", "a.py", "b.py", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "flake8-fastapi-deps: warning: setup.cfg: unknown option fad-max-dependency, ignored "
        "(did you mean fad-max-dependencies?)"
    ]


# ------------------------------------------------------------ 6. reading the project

_CONN = '''\
class Conn:
    def close(self) -> None: ...


def get_conn():
    conn = Conn()
    yield conn
    conn.close()
'''
# get_conn is a dependency only because another module declares it
_DECLARES = '''from fastapi import APIRouter, Depends

from app.conn import get_conn

router = APIRouter()


@router.get("/{name}")
def {name}(conn=Depends(get_conn)):
    return conn
'''


def _project(root: Path) -> Path:
    (root / "app").mkdir()
    (root / "pyproject.toml").write_text("")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "conn.py").write_text(_CONN)
    return root


def test_a_dependency_declared_in_a_latin1_module(tmp_path: Path) -> None:
    root = _project(tmp_path)
    source = "# -*- coding: latin-1 -*-\n# Itinéraires du café\n" + _DECLARES.replace("{name}", "cafe")
    (root / "app" / "routes.py").write_bytes(source.encode("latin-1"))
    assert b"\xe9" in (root / "app" / "routes.py").read_bytes()
    assert ("conn.py", "FAD201") in codes(flake8("--select", "FAD201", "app/conn.py", cwd=root))


def test_a_dependency_defined_in_a_latin1_module(tmp_path: Path) -> None:
    root = _project(tmp_path)
    conn = "# -*- coding: latin-1 -*-\n# Connexion à la base\n" + _CONN.replace(
        "def get_conn():", "def get_conn():\n    \"\"\"Ouvre une connexion (réseau).\"\"\""
    )
    (root / "app" / "conn.py").write_bytes(conn.encode("latin-1"))
    (root / "app" / "routes.py").write_text(_DECLARES.replace("{name}", "r").replace(
        "Depends(get_conn)", "Depends(get_conn())"
    ))
    shown = codes(flake8("--select", "FAD001", "app/routes.py", cwd=root))
    assert ("routes.py", "FAD001") in shown


@pytest.mark.parametrize(
    "config", ["extend-exclude = legacy", "exclude = ./legacy/old.py", "extend-exclude = old.py"]
)
def test_excluded_files_are_not_read(tmp_path: Path, config: str) -> None:
    root = _project(tmp_path)
    (root / "legacy").mkdir()
    (root / "legacy" / "old.py").write_text(_DECLARES.replace("{name}", "old"))
    assert ("conn.py", "FAD201") in codes(flake8("--select", "FAD201", "app/conn.py", cwd=root))
    (root / "setup.cfg").write_text(f"[flake8]\n{config}\n")
    assert codes(flake8("--select", "FAD201", "app/conn.py", cwd=root)) == set()


def test_a_sibling_that_does_not_parse_is_named_under_verbose(tmp_path: Path) -> None:
    root = _project(tmp_path)
    broken = _DECLARES.replace("{name}", "broken") + "\ndef newer(:\n    pass\n"
    (root / "app" / "broken.py").write_text(broken)
    quiet = flake8("--select", "FAD201", "app/conn.py", cwd=root)
    assert codes(quiet) == set() and "broken.py" not in quiet.stderr
    verbose = flake8("-v", "--select", "FAD201", "app/conn.py", cwd=root)
    said = [line for line in verbose.stderr.splitlines() if "flake8-fastapi-deps: skipping" in line]
    assert len(said) == 1 and "broken.py" in said[0]
    assert f"does not parse on Python {sys.version_info[0]}.{sys.version_info[1]}" in said[0]


# ------------------------------------------------------------ 7. explain and --list


def test_explain_several_codes_and_prefixes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "FAD1"]) == 0
    titles = re.findall(r"^# (FAD\d+) ", capsys.readouterr().out, re.M)
    assert titles == [c for c in ALL_RULES if c.startswith("FAD1")]
    assert main(["explain", "FAD001", "fad203"]) == 0
    assert re.findall(r"^# (FAD\d+) ", capsys.readouterr().out, re.M) == ["FAD001", "FAD203"]


def test_explain_unknown_code_suggests_near_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "FAD0011"]) == 2
    err = capsys.readouterr().err
    assert "unknown code 'FAD0011'" in err and "FAD001" in err and "FAD011" in err


def test_list_json_for_tools() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flake8_fastapi_deps", "--list", "--format", "json"],
        cwd=REPO, capture_output=True, text=True, check=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    records = json.loads(result.stdout)
    assert [r["code"] for r in records] == list(ALL_RULES)
    for record in records:
        rule = ALL_RULES[record["code"]]
        assert (record["name"], record["default_on"], record["summary"]) == (
            rule.name, rule.default_on, rule.summary
        )
        assert Path(record["doc_path"]).read_text(encoding="utf-8").startswith(f"# {rule.code} ")
        assert record["doc_resource"] == f"flake8_fastapi_deps/docs/{rule.code}.md"


# ------------------------------------------------------------ 8. next to other linters


def test_overlaps_with_flake8_async_are_documented() -> None:
    section = README[README.index("## Next to other linters"):README.index("## Using it with flake8-bugbear")]
    for code in ("FAD102", "ASYNC210", "ASYNC230", "ASYNC251", "FAD104", "ASYNC124", "FAD001"):
        assert code in section
    docs = REPO / "flake8_fastapi_deps" / "docs"
    assert "Which to keep when both run" in (docs / "FAD102.md").read_text(encoding="utf-8")
    assert "ASYNC124" in (docs / "FAD104.md").read_text(encoding="utf-8")
    assert "Depends(DB)" in (docs / "FAD001.md").read_text(encoding="utf-8")
