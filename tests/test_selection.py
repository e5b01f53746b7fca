"""Which codes are shown: ``Selection`` decides as flake8 does, under flake8 and in tests.

The matrix at the end runs real flake8 in a subprocess on a project that
triggers default-on and opt-in codes of every family, for several configs,
and compares the codes it prints with what ``Options.from_args`` says for the
same settings.  That is what makes tests and flake8 run the same rules.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from flake8_fastapi_deps.options import Options, Selection
from flake8_fastapi_deps.registry import ALL_RULES, DEFAULT_OFF

from .harness import FIXTURES
from .test_e2e import parsed

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ON = frozenset(c for c, r in ALL_RULES.items() if r.default_on)
OPT_IN = frozenset(DEFAULT_OFF)
EVERY = frozenset(ALL_RULES)


def shown(options: Options) -> frozenset[str]:
    return frozenset(c for c in ALL_RULES if options.reports(c))


def of(*prefixes: str) -> frozenset[str]:
    return frozenset(c for c in ALL_RULES if c.startswith(prefixes))


def test_defaults_show_the_default_on_codes() -> None:
    assert DEFAULT_ON and OPT_IN
    assert shown(Options()) == DEFAULT_ON
    assert shown(Options.from_args([])) == DEFAULT_ON
    assert Options.from_args([]) == Options()


def test_every_code() -> None:
    assert shown(Options(selection=Selection.every_code())) == EVERY


# (flake8 settings, the codes shown), the traps included
DECISIONS = [
    ({"extend-select": "FAD3"}, DEFAULT_ON | of("FAD3")),
    ({"extend-select": "FAD104,FAD205"}, DEFAULT_ON | {"FAD104", "FAD205"}),
    # F prefixes FAD: an explicit F selects every code, opt-in ones included ...
    ({"select": "E,W,F,C90"}, EVERY),
    ({"select": "E,W"}, frozenset()),
    ({"select": "FAD"}, EVERY),
    ({"select": "FAD0,FAD1"}, of("FAD0", "FAD1")),
    # ... and an extend-ignore of F hides them all
    ({"extend-ignore": "F"}, frozenset()),
    ({"extend-ignore": "FAD1", "extend-select": "FAD102"}, (DEFAULT_ON - of("FAD1")) | {"FAD102"}),
    # both explicit: the longest prefix in the whole lists wins, the default-off
    # entries (FAD104 ...) included, and a tie is ignored
    ({"extend-ignore": "FAD1", "extend-select": "FAD10"}, DEFAULT_ON),
    ({"extend-ignore": "FAD1", "extend-select": "FAD104"}, DEFAULT_ON - of("FAD1")),
    # ignore replaces flake8's default ignore list, and with it the opt-in codes' defaults
    ({"ignore": "FAD001"}, EVERY - {"FAD001"}),
    ({"ignore": "E501"}, EVERY),
    ({"select": "FAD0", "ignore": "FAD00"}, of("FAD01")),
    ({"select": "FAD0", "ignore": "FAD0"}, frozenset()),  # a tie is ignored
    ({"extend-select": "FAD3", "extend-ignore": "FAD3"}, DEFAULT_ON - of("FAD3")),
    ({"extend-select": "FAD30", "extend-ignore": "FAD3"}, DEFAULT_ON),
]


@pytest.mark.parametrize(("settings", "expected"), DECISIONS, ids=lambda v: repr(v)[:60])
def test_decisions(settings: dict[str, str], expected: frozenset[str]) -> None:
    assert shown(Options.from_args(_args(settings))) == expected


def test_from_flake8_namespace() -> None:
    """flake8 hands lists, and its plugins' defaults in extended_default_*."""
    namespace = SimpleNamespace(
        select=None,
        ignore=None,
        extend_select=["FAD104"],
        extend_ignore=["E501"],
        extended_default_select=["C90", "F", "E", "W", "B", "FAD"],
        extended_default_ignore=["B9", *DEFAULT_OFF],
    )
    assert shown(Options.from_namespace(namespace)) == DEFAULT_ON | {"FAD104"}
    namespace.extended_default_select = ["C90", "F", "E", "W"]  # the plugin not loaded: F still selects
    assert shown(Options.from_namespace(namespace)) == DEFAULT_ON | {"FAD104"}


def test_list_values_split_like_flake8() -> None:
    options = Options.from_args(["--extend-select", " FAD104,\n FAD205  FAD302,"])
    assert shown(options) == DEFAULT_ON | {"FAD104", "FAD205", "FAD302"}


def test_selection_is_a_cache_key() -> None:
    """Options key the project caches: equal settings, equal and hashable options."""
    a = Options.from_args(["--extend-select", "FAD3"])
    b = Options.from_args(["--extend-select=FAD3"])
    a.reports("FAD301")  # answers kept inside do not change equality
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Options()
    copy = pickle.loads(pickle.dumps(a))
    assert copy == a and shown(copy) == shown(a)
    # a changed copy does not share the answers kept
    changed = replace(a.selection, extend_ignore=("FAD301",))
    assert changed.shows("FAD302") and not changed.shows("FAD301")


# ------------------------------------------------------------------ real flake8

# fixtures of every family, default-on and opt-in codes (FAD102.py's fad-options
# only add blocking calls: it still triggers FAD102 without them)
_MATRIX_FIXTURES = (
    "FAD001.py", "FAD005.py", "FAD010.py", "FAD012.py", "FAD101.py", "FAD102.py", "FAD104.py",
    "FAD201.py", "FAD205.py", "FAD207.py", "FAD302.py", "FAD306.py",
)

MATRIX = [
    {},
    {"extend-select": "FAD3"},
    {"select": "E,W,F,C90"},
    {"select": "FAD"},
    {"extend-ignore": "F"},
    {"extend-ignore": "FAD1", "extend-select": "FAD102"},
    {"ignore": "FAD001"},
    {"select": "FAD0", "ignore": "FAD00"},
    # the subtle ones of DECISIONS
    {"extend-ignore": "FAD1", "extend-select": "FAD104"},
    {"extend-ignore": "FAD1", "extend-select": "FAD10"},
    {"extend-select": "FAD30", "extend-ignore": "FAD3"},
]


def _args(settings: dict[str, str]) -> list[str]:
    return [part for key, value in settings.items() for part in (f"--{key}", value)]


def _flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def matrix_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, frozenset[str]]:
    """A project triggering codes of every family, and the FAD codes it triggers."""
    root = tmp_path_factory.mktemp("matrix")
    shutil.copy(FIXTURES / "pyproject.toml", root / "pyproject.toml")
    for name in _MATRIX_FIXTURES:
        shutil.copy(FIXTURES / name, root / name)
    result = _flake8("--isolated", "--select", "FAD", ".", cwd=root)
    triggered = frozenset(code for *_, code in parsed(result.stdout))
    assert triggered & DEFAULT_ON and triggered & OPT_IN, result.stdout + result.stderr
    assert {c[:4] for c in triggered} == {"FAD0", "FAD1", "FAD2", "FAD3"}
    assert {"FAD001", "FAD010", "FAD101", "FAD102", "FAD104", "FAD205", "FAD302"} <= triggered
    return root, triggered


def _name(settings: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in settings.items()) or "none"


@pytest.mark.parametrize("settings", MATRIX, ids=_name)
def test_flake8_shows_what_selection_says(
    matrix_project: tuple[Path, frozenset[str]], settings: dict[str, str]
) -> None:
    root, triggered = matrix_project
    config = root / "setup.cfg"
    config.write_text("[flake8]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    try:
        result = _flake8(".", cwd=root)
    finally:
        config.unlink()
    printed = frozenset(code for *_, code in parsed(result.stdout) if code.startswith("FAD"))
    assert "Traceback" not in result.stderr, result.stderr
    expected = triggered & shown(Options.from_args(_args(settings)))
    assert printed == expected, (sorted(printed - expected), sorted(expected - printed))
