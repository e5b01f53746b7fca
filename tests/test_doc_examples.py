"""Every rule page's examples work as copied, through real flake8.

Each page ``flake8_fastapi_deps/docs/FADnnn.md`` has an *Example* and a *Use
instead* section holding ``python`` blocks. A block whose first line is a comment
naming a file (``# app/db.py``) is that file of a small project; a block without
one is a module of its own (``example.py``, ``example_2.py``, ...). Each section
is written into its own project folder (with a ``pyproject.toml``, so that the
files of a two-module example see each other) and all of them are linted by one
flake8 run with every code selected (opt-in codes included). Then:

- the Example draws the page's code at least once;
- the Use instead draws none of it;
- neither draws another default-on code (an example shows one mistake, and the
  fix must not show a different one);
- a ``text`` block in a section shows lines flake8 prints for it, exactly;
- every block is a complete module: it parses, and pyflakes finds no undefined
  name, no unused import and no redefinition (E9, F401, F811, F821 in the same run).

FAD301's Example must also fail when imported, as the page says, and its Use
instead must import: that is checked with the real interpreter.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from flake8_fastapi_deps.registry import ALL_RULES

DOCS = Path(__file__).resolve().parent.parent / "flake8_fastapi_deps" / "docs"
PAGES = sorted(p.stem for p in DOCS.glob("FAD*.md"))
SECTIONS = ("Example", "Use instead")

# Examples written for the behaviour rules.md states, which the rule does not have yet
# (another change brings it): (code, section) -> why. Remove an entry once the rule fires
# (or stays silent) as the page says; the test fails on an entry that is no longer needed.
EXPECTED_TO_BE_UPDATED: dict[tuple[str, str], str] = {}

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_SAMPLE_BLOCK = re.compile(r"^```text\n(.*?)^```", re.S | re.M)  # what flake8 prints
_PATH_LINE = re.compile(r"#\s*([\w./-]+\.py)\s*$")
_FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<text>.*)$")
_DEFAULT_ON = frozenset(code for code, rule in ALL_RULES.items() if rule.default_on)
# what makes a block incomplete as a module (pyflakes through flake8; `F` alone would
# select every FAD code too)
_INCOMPLETE = ("E9", "F401", "F811", "F821")


def section_text(page: str, title: str) -> str:
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"{page}.md has no '## {title}' section"
    return match.group(1)


def section_files(page: str, title: str) -> dict[str, str]:
    """The files a section's python blocks make: {relative path: source}."""
    files: dict[str, str] = {}
    unnamed = 0
    for block in _BLOCK.findall(section_text(page, title)):
        first = block.split("\n", 1)[0]
        match = _PATH_LINE.fullmatch(first)
        if match:
            path = match.group(1)
        else:
            unnamed += 1
            path = "example.py" if unnamed == 1 else f"example_{unnamed}.py"
        assert path not in files, f"{page}.md, {title}: {path} shown twice"
        files[path] = block
    assert files, f"{page}.md, {title}: no python block"
    return files


def _folder(page: str, title: str) -> str:
    return f"{page}_{title.replace(' ', '_').lower()}"


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    """{section folder: [(code, "path:line:col: CODE message"), ...]} from one flake8 run.

    A section whose blocks cannot be written has ("error", why) instead.
    """
    root = tmp_path_factory.mktemp("fad-docs")
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for page in PAGES:
        for title in SECTIONS:
            folder = root / _folder(page, title)
            try:
                files = section_files(page, title)
            except AssertionError as exc:
                found[folder.name].append(("error", str(exc)))
                continue
            for rel, source in files.items():
                path = folder / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(source, encoding="utf-8")
            (folder / "pyproject.toml").write_text("", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", ",".join(("FAD", *_INCOMPLETE)), "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    for line in result.stdout.splitlines():
        match = _FINDING.match(line)
        assert match, line
        folder, _, rel = match["path"].removeprefix("./").partition("/")
        where = f"{rel}:{match['line']}:{match['col']}"
        found[folder].append((match["code"], f"{where}: {match['code']} {match['text']}"))
    return found


@pytest.mark.parametrize("title", SECTIONS)
@pytest.mark.parametrize("page", PAGES)
def test_section(page: str, title: str, findings: dict[str, list[tuple[str, str]]]) -> None:
    got = findings.get(_folder(page, title), [])
    errors = [text for code, text in got if code == "error"]
    assert not errors, errors[0]
    own = [text for code, text in got if code == page]
    others = [text for code, text in got if code != page and code in _DEFAULT_ON]
    incomplete = [text for code, text in got if code.startswith(_INCOMPLETE)]
    assert not incomplete, f"{page}.md's {title} is not a complete module: {incomplete}"
    ok = (bool(own) if title == "Example" else not own) and not others
    samples = _SAMPLE_BLOCK.findall(section_text(page, title))
    shown = [line for block in samples for line in block.splitlines()]
    printed = {text for _, text in got}
    assert all(line in printed for line in shown), (
        f"{page}.md's {title} shows output flake8 does not print: {shown} vs {sorted(printed)}"
    )
    reason = EXPECTED_TO_BE_UPDATED.get((page, title))
    if reason is not None:
        assert not ok, f"{page} {title} now works: remove it from EXPECTED_TO_BE_UPDATED"
        pytest.skip(f"to be updated: {reason}")
    if title == "Example":
        assert own, f"{page}.md's Example does not draw {page}: {got}"
    else:
        assert not own, f"{page}.md's Use instead draws {page}: {own}"
    assert not others, f"{page}.md's {title} draws other default-on codes: {others}"


# Where FastAPI is not installed, the little of it these modules use at import time:
# what fails is Python's import of a cycle, not anything of FastAPI's.
_FASTAPI_STUB = """
class APIRouter:
    def __init__(self, *args, **kwargs):
        pass

    def _route(self, *args, **kwargs):
        return lambda func: func

    get = post = put = delete = _route


def Depends(dependency=None, **kwargs):
    return dependency
"""


def _import_each(root: Path, modules: list[str]) -> dict[str, str]:
    """{module: "" or the error} of importing each module first, in a fresh interpreter."""
    env = dict(os.environ)
    if importlib.util.find_spec("fastapi") is None:
        stub = root.parent / f"{root.name}-stub"
        (stub / "fastapi").mkdir(parents=True, exist_ok=True)
        (stub / "fastapi" / "__init__.py").write_text(_FASTAPI_STUB, encoding="utf-8")
        env["PYTHONPATH"] = str(stub)
    script = (
        "import importlib, sys\n"
        "try:\n"
        "    importlib.import_module(sys.argv[1])\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    return {
        module: subprocess.run(
            [sys.executable, "-c", script, module],
            cwd=root, env=env, capture_output=True, text=True, timeout=60,
        ).stdout.strip()
        for module in modules
    }


@pytest.mark.parametrize("title", SECTIONS)
def test_fad301_cycle_fails_on_import(title: str, tmp_path: Path) -> None:
    """The Example's cycle fails whichever router is imported first; the fix imports."""
    files = section_files("FAD301", title)
    root = tmp_path / "project"
    for rel, source in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(source, encoding="utf-8")
    routers = sorted(rel[:-3].replace("/", ".") for rel in files if rel.startswith("app/routers/"))
    assert len(routers) == 2
    errors = _import_each(root, routers)
    if title == "Example":
        for module, error in errors.items():
            assert error.startswith("ImportError") and "partially initialized" in error, (module, error)
    else:
        assert errors == {module: "" for module in routers}
