"""Hostile inputs: the plugin must neither raise, hang, nor make noise.

Each test builds its input in ``tmp_path`` at run time, lints with the core
(:func:`flake8_fastapi_deps.checker.check`) or with real flake8 in a
subprocess, and expects a quiet outcome: no exception, nothing printed, no
warning, and the plugin still reporting a known finding in the same file (a
``Depends(get_db())`` sentinel), which proves it did not give up on the file
either.  The whole module runs in a few seconds.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Optional, Union

import pytest

from flake8_fastapi_deps.base import Finding
from flake8_fastapi_deps.checker import check
from flake8_fastapi_deps.options import Options, Selection
from flake8_fastapi_deps.project import MAX_FILE_BYTES, clear_cache, project_for

OPTIONS = Options(selection=Selection.every_code())  # crash-test the opt-in rules too

# A route whose dependency is called: FAD001 at ``get_db()``, line 7 of SENTINEL, column 31.
SENTINEL = '''
def get_db():
    yield 1


@app.get("/sentinel")
def sentinel_route(db=Depends(get_db())):
    return db
'''
HEADER = "from fastapi import Depends, FastAPI\n\napp = FastAPI()\n"


@pytest.fixture(autouse=True)
def _fresh_projects() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def lint(path: Path, source: Optional[str] = None) -> list[Finding]:
    """Run the core on ``path`` as flake8 would; fail on any warning it emits."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = check(tree, str(path), text.splitlines(keepends=True), OPTIONS)
    assert [str(w.message) for w in caught] == []
    return found


def codes(found: list[Finding]) -> list[str]:
    return [f.message.split(" ", 1)[0] for f in found]


SENTINEL_LINE = "def sentinel_route(db=Depends(get_db())):"
SENTINEL_COL = SENTINEL_LINE.index("get_db()")  # 0-based, as the core reports it


def sentinel_at(source: str) -> tuple[int, int]:
    return source.splitlines().index(SENTINEL_LINE) + 1, SENTINEL_COL


def assert_sentinel(found: list[Finding], source: str) -> None:
    """The plugin still reports the sentinel: it did not give up on the file."""
    assert sentinel_at(source) in {(f.line, f.col) for f in found if f.message.startswith("FAD001")}


def make_project(root: Path, files: dict[str, Union[str, bytes]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'hostile'\n")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def run_flake8(
    args: list[str], cwd: Path, stdin: Optional[str] = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "flake8_fastapi_deps" not in proc.stderr, proc.stderr
    return proc


def quiet(capfd: pytest.CaptureFixture[str]) -> None:
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


# --------------------------------------------------------------------------- deep code


def deep_module(n: int) -> str:
    parens = min(n, 190)  # the tokenizer allows 200 nested parentheses
    binop = "+".join(["a"] * n)
    unary = "-" * n + "a"
    attr = "a" + ".b" * n
    chain = "f" + "()" * n
    subscript = "a" + "[0]" * n
    ifexp = "a if b else " * n + "c"
    lam = "lambda: " * n + "a"
    call = "f(" * parens + "a" + ")" * parens
    lst = "[" * parens + "]" * parens
    nested_blocks = "".join("    " * (i + 1) + "if a:\n" for i in range(90))
    nested_blocks += "    " * 91 + f"x = Depends({attr})\n"
    return (
        "from typing import Annotated\n"
        + HEADER
        + f"\nDeepAlias = Annotated[{binop}, Depends({chain})]\n"
        + f'\n\n@app.get("/attr")\ndef r1(x=Depends({attr})):\n    return x\n'
        + f'\n\n@app.get("/chain")\ndef r2(x=Depends({chain}), y=Depends({call})):\n    return y\n'
        + f'\n\n@app.get("/ann")\ndef r3(x: Annotated[{binop}, Depends({unary})], y: DeepAlias):\n'
        + f"    return {ifexp}\n"
        + f'\n\n@app.get("/d" + {binop}, dependencies=[Depends({subscript}), Depends({lst})])\n'
        + f"def r4(x=Depends({lam}), y=Depends({call}())):\n    return {binop}\n"
        + f'\n\n@{attr}.get("/")\n@app.get("/blocks")\ndef r5():\n{nested_blocks}'
        + f"\n\nrouter = {call}\n\n\n@router.get({unary})\nasync def r6(z=Depends({subscript})):\n"
        + f"    yield {unary}\n"
        + SENTINEL
    )


def test_deeply_nested_expressions(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # The deepest nesting, from a few hundred levels up, that this interpreter parses.
    for depth in (1000, 600, 400, 300, 200):
        source = deep_module(depth)
        try:
            ast.parse(source)
        except (SyntaxError, RecursionError, MemoryError):
            continue
        break
    else:
        pytest.skip("this interpreter cannot parse nesting 200 deep")
    root = make_project(tmp_path / "deep", {"app.py": source})
    found = lint(root / "app.py")
    assert_sentinel(found, source)
    quiet(capfd)


def test_deeply_nested_functions(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # The tokenizer allows 100 indentation levels: 95 nested defs, each a dependency.
    lines = [HEADER]
    for i in range(95):
        pad = "    " * i
        lines.append(f"{pad}def f{i}(x=Depends(get_db), y=Depends(f{i})):\n")
        lines.append(f"{pad}    @app.get('/{i}')\n")
        lines.append(f"{pad}    async def route{i}(z=Depends(f{i}())):\n")
        lines.append(f"{pad}        return z\n")
    lines.append("    " * 95 + "return x\n")
    source = "".join(lines) + SENTINEL
    path = tmp_path / "nested.py"
    path.write_text(source)
    found = lint(path)
    assert_sentinel(found, source)
    quiet(capfd)


# --------------------------------------------------------------------------- big code


def test_oversized_sibling_is_skipped(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    head = "from fastapi import Depends\n\n\ndef big_dep(x=Depends(object)):\n    return 1\n"
    padding = ("# " + "x" * 97 + "\n") * (10 * 1024 * 1024 // 100)
    app = HEADER + "from big import big_dep\n\n\n@app.get('/')\ndef r(x=Depends(big_dep)):\n"
    app += "    return x\n" + SENTINEL
    root = make_project(tmp_path / "proj", {"big.py": head + padding, "app.py": app})
    assert (root / "big.py").stat().st_size > 10 * 1024 * 1024
    found = lint(root / "app.py")
    assert_sentinel(found, app)
    project = project_for(str(root / "app.py"), OPTIONS)
    assert project.module_at(str(root / "big.py")) is None
    assert project.parse_count == 0  # app.py came from flake8's tree; big.py was never parsed
    quiet(capfd)


def test_large_linted_module(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A module over the index's size limit, linted directly, with routes among the data."""
    parts = [HEADER, SENTINEL]
    row = '    {"id": %d, "name": "item-%d", "tags": ["a", "b", "c"], "v": 1.5},\n'
    for chunk in range(20):
        parts.append("DATA_%d = [\n" % chunk)
        parts.extend(row % (i, i) for i in range(1600))
        parts.append("]\n\n\n")
        parts.append(f"@app.get('/c{chunk}')\ndef c{chunk}(db=Depends(get_db)):\n")
        parts.append(f"    return DATA_{chunk}\n")
        parts.append("\n\n")
    source = "".join(parts)
    assert len(source) > MAX_FILE_BYTES
    path = make_project(tmp_path / "proj", {"app.py": source}) / "app.py"
    found = lint(path)
    assert_sentinel(found, source)
    quiet(capfd)


def test_twenty_thousand_functions(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    parts = [HEADER, SENTINEL]
    for i in range(20_000):
        if i % 2:
            parts.append(
                f"\n\n@app.get('/r{i}')\nasync def r{i}(db=Depends(get_db), u=Depends(d{i - 1})):\n"
                f"    return helper{i}()\n"
            )
        else:
            parts.append(f"\n\ndef d{i}(db=Depends(get_db)):\n    return db\n")
    source = "".join(parts)
    path = make_project(tmp_path / "proj", {"app.py": source}) / "app.py"
    found = lint(path)
    assert_sentinel(found, source)
    quiet(capfd)


# --------------------------------------------------------------------------- project shapes


def test_two_thousand_module_import_cycle(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """m0 imports m1 ... m1999 imports m0; names re-exported around the whole ring."""
    count = 2000
    files: dict[str, Union[str, bytes]] = {"pkg/__init__.py": "from pkg.m0 import thing\n"}
    for i in range(count):
        j = (i + 1) % count
        files[f"pkg/m{i}.py"] = (
            HEADER
            + f"from pkg.m{j} import dep{j}, thing\nfrom . import m{j} as nxt\nimport pkg\n\n\n"
            + f"def dep{i}(x=Depends(dep{j}), y=Depends(nxt.nxt.nxt.thing)):\n    return x\n\n\n"
            + f"@app.get('/{i}')\ndef route{i}(a=Depends(thing), b=Depends(pkg.thing),"
            + f" c=Depends(nxt.dep{(j + 1) % count})):\n    return a\n"
            + (SENTINEL if i % 400 == 0 else "")
        )
    root = make_project(tmp_path / "ring", files)
    # The first check builds the index over the whole ring; a sample of the
    # rest keeps the test fast while every lint still walks the cycle.
    for i in [*range(0, count, 25), count - 1]:
        path = root / "pkg" / f"m{i}.py"
        found = lint(path, str(files[f"pkg/m{i}.py"]))
        if i % 400 == 0:
            assert_sentinel(found, str(files[f"pkg/m{i}.py"]))
    # Each module parsed once, but the scan does not keep a file it parsed for its
    # own markers: one parsed before another file's resolution needs it is parsed
    # again (here the first few in listing order), never more than twice.
    assert project_for(str(root / "pkg" / "m0.py"), OPTIONS).parse_count <= count + count // 100
    quiet(capfd)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loops(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    app = (
        HEADER
        + "import pkg.again.again as deep\nfrom loop_a import dep_a\nfrom selfref import dep_s\n"
        + "from pkg.again.again.again.mod import dep_p\n\n\n"
        + "@app.get('/')\ndef r(a=Depends(dep_a), s=Depends(dep_s), p=Depends(dep_p),"
        + " d=Depends(deep.mod.dep_p)):\n    return a\n"
        + SENTINEL
    )
    mod = "from fastapi import Depends\n\n\ndef dep_p(x=Depends(object)):\n    return x\n"
    root = make_project(
        tmp_path / "proj", {"app.py": app, "pkg/__init__.py": "", "pkg/mod.py": mod}
    )
    os.symlink("loop_b", root / "loop_a")  # a -> b -> a
    os.symlink("loop_a", root / "loop_b")
    os.symlink("selfref.py", root / "selfref.py")  # a .py symlink to itself
    os.symlink(".", root / "pkg" / "again")  # pkg/again -> pkg: endless paths
    os.symlink("..", root / "pkg" / "up")  # pkg/up -> the project root

    assert_sentinel(lint(root / "app.py"), app)
    lint(root / "pkg" / "again" / "again" / "mod.py")  # linted through the loop
    lint(root / "pkg" / "up" / "pkg" / "mod.py")
    quiet(capfd)

    proc = run_flake8(["--select=FAD", "--exclude=selfref.py", "."], cwd=root)
    assert "app.py:" in proc.stdout and "FAD001" in proc.stdout


# --------------------------------------------------------------------------- bad siblings

LATIN1 = "# caf\xe9\nfrom fastapi import Depends\n\n\ndef dep(x=Depends(object)):\n    return x\n"
HOSTILE: dict[str, Optional[bytes]] = {
    "binary": b"from fastapi import Depends\n\x00\x01\x02\xff\xfe\ndef dep(): pass\n" * 10,
    "latin1": LATIN1.encode("latin-1"),
    "syntax_error": b"from fastapi import Depends\n\n\ndef dep(x=Depends(:\n    return\n",
    "null_in_string": b"from fastapi import Depends\nx = '\x00'\ndef dep(): pass\n",
    "lone_surrogate": b"from fastapi import Depends\nx = '\xed\xa0\x80'\ndef dep(): pass\n",
    "unreadable": b"from fastapi import Depends\n\n\ndef dep(x=Depends(object)):\n    return x\n",
    "directory": None,  # a folder named hostile.py
    "fifo": None,  # a named pipe: opening it for reading would block forever
}
# Valid Python the index may or may not use; it must not complain about it either.
ODD_BUT_VALID: dict[str, bytes] = {
    "latin1_cookie": b"# -*- coding: latin-1 -*-\n" + LATIN1.encode("latin-1"),
    "bom": b"\xef\xbb\xbf" + LATIN1.replace("\xe9", "e").encode(),
    "invalid_escape": b"from fastapi import Depends\nPATTERN = '\\d+'\n\n\n"
    b"def dep(x=Depends(object)):\n    return x\n",
    "empty": b"",
}
APP = HEADER + "from hostile import dep\n\n\n@app.get('/')\ndef r(x=Depends(dep)):\n    return x\n"
APP += SENTINEL


def _hostile_project(root: Path, kind: str, content: Optional[bytes]) -> Path:
    make_project(root, {"app.py": APP, "other.py": "from fastapi import Depends\n"})
    target = root / "hostile.py"
    if kind == "directory":
        target.mkdir()
        (target / "__init__.py").write_text("from fastapi import Depends\n")
    elif kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes here")
        os.mkfifo(target)
    else:
        assert content is not None
        target.write_bytes(content)
        if kind == "unreadable":
            target.chmod(0)
    return target


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_unusable_sibling_is_skipped_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], kind: str
) -> None:
    root = tmp_path / "proj"
    target = _hostile_project(root, kind, HOSTILE[kind])
    try:
        # Run in a child with a timeout: a hang (e.g. on the pipe) must fail, not stall CI.
        code = (
            "import sys, ast, warnings\n"
            "warnings.simplefilter('error')\n"
            "from flake8_fastapi_deps.checker import check\n"
            "from flake8_fastapi_deps.options import Options\n"
            "from flake8_fastapi_deps.project import project_for\n"
            "path = sys.argv[1]\n"
            "from pathlib import Path\n"
            "text = Path(path).read_text(encoding='utf-8')\n"
            "found = check(ast.parse(text), path, text.splitlines(True), Options())\n"
            "print(sorted({f.message.split()[0] for f in found}))\n"
            "print(project_for(path, Options()).module_at(sys.argv[2]) is None)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code, str(root / "app.py"), str(target)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.stderr == ""
        found_codes, skipped = proc.stdout.splitlines()
        assert "FAD001" in found_codes
        if kind != "unreadable" or os.geteuid() != 0:  # root can read a chmod 000 file
            assert skipped == "True"
        quiet(capfd)
        # Real flake8 on the good files; the plugin's index still meets the bad one.
        # (flake8 itself is not asked to lint it: on Python < 3.11.4 flake8 crashes
        # on null bytes, and it would block on the pipe.)
        proc2 = run_flake8(["--select=FAD", "app.py", "other.py"], cwd=root)
        assert "app.py:" in proc2.stdout and "FAD001" in proc2.stdout
    finally:
        if target.exists() and not target.is_dir():
            target.chmod(0o644)


@pytest.mark.parametrize("kind", sorted(ODD_BUT_VALID))
def test_odd_but_valid_sibling(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], kind: str
) -> None:
    root = tmp_path / "proj"
    _hostile_project(root, kind, ODD_BUT_VALID[kind])
    assert_sentinel(lint(root / "app.py"), APP)
    quiet(capfd)


def test_unreadable_folder(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path / "proj", {"app.py": APP, "hostile.py": "def dep(): pass\n"})
    private = root / "private"
    private.mkdir()
    (private / "mod.py").write_text("from fastapi import Depends\nx = Depends(object)\n")
    private.chmod(0)
    try:
        assert_sentinel(lint(root / "app.py"), APP)
    finally:
        private.chmod(0o755)
    quiet(capfd)


# --------------------------------------------------------------------------- stdin


@pytest.mark.parametrize(
    "display",
    [
        None,  # flake8's default name "stdin"
        "/nonexistent/far/away/app.py",
        "relative/app.py",
        "/",
        "app.py",  # an existing project's file name, the text coming from stdin
    ],
)
def test_stdin_display_name(tmp_path: Path, display: Optional[str]) -> None:
    source = HEADER + SENTINEL
    cwd = tmp_path
    if display == "app.py":
        cwd = make_project(tmp_path / "proj", {"app.py": APP, "hostile.py": b"\x00"})
    args = ["--select=FAD"] + ([f"--stdin-display-name={display}"] if display else []) + ["-"]
    proc = run_flake8(args, cwd=cwd, stdin=source)
    line, col = sentinel_at(source)
    assert f":{line}:{col + 1}: FAD001 " in proc.stdout
