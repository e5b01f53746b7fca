"""Codes, docs, changelog, README and fixtures agree; the docs follow the template."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from flake8_fastapi_deps.registry import ALL_RULES

from .harness import FIXTURES, PROJECTS, expectations

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "flake8_fastapi_deps" / "docs"
CODE = re.compile(r"\bFAD\d{3}\b")
SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Options", "References")


def test_registry_codes_are_well_formed() -> None:
    names = [rule.name for rule in ALL_RULES.values()]
    assert len(set(names)) == len(names)
    for code, rule in ALL_RULES.items():
        assert re.fullmatch(r"FAD\d{3}", code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert rule.summary.endswith(".")


def test_docs_match_registry() -> None:
    assert {p.stem for p in DOCS.glob("FAD*.md")} == set(ALL_RULES)


@pytest.mark.parametrize("code", sorted(ALL_RULES))
def test_doc_follows_template(code: str) -> None:
    text = (DOCS / f"{code}.md").read_text(encoding="utf-8")
    rule = ALL_RULES[code]
    assert text.startswith(f"# {code} {rule.name}\n")
    assert ("*On by default" in text) == rule.default_on, "doc must say whether it is on"
    positions = [text.find(f"\n## {section}\n") for section in SECTIONS]
    assert -1 not in positions, f"missing sections in {code}.md"
    assert positions == sorted(positions), f"sections out of order in {code}.md"


def test_changelog_lists_every_code() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert set(CODE.findall(text)) == set(ALL_RULES)


def test_readme_table_lists_every_code_with_its_name_and_default() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (FAD\d{3}) \| ([a-z0-9-]+) \|[^|]+\| (on|off) \|", text, re.M)
    assert {code for code, _, _ in rows} == set(ALL_RULES)
    for code, name, default in rows:
        assert ALL_RULES[code].name == name
        assert (default == "on") == ALL_RULES[code].default_on, code


def test_every_code_has_a_fixture_that_fires_it() -> None:
    fired: set[str] = set()
    for path in FIXTURES.glob("*.py"):
        fired.update(code for _, _, code in expectations(path.read_text(encoding="utf-8")))
    for path in PROJECTS.rglob("*.py"):
        fired.update(code for _, _, code in expectations(path.read_text(encoding="utf-8")))
    assert {p.stem.split("_")[0] for p in FIXTURES.glob("FAD*.py")} == set(ALL_RULES)
    assert fired == set(ALL_RULES)


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    test_command = next(b for b in blocks if "pytest" in b).strip()
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_readme_tables_are_generated_from_the_registry() -> None:
    import subprocess
    import sys

    script = REPO / "docs" / "readme_table.py"
    result = subprocess.run([sys.executable, str(script), "--check"], cwd=REPO)
    assert result.returncode == 0, "README tables are stale: run python docs/readme_table.py"


def test_opt_in_codes_written_in_options_match_the_registry() -> None:
    from flake8_fastapi_deps.options import OPT_IN_CODES
    from flake8_fastapi_deps.registry import DEFAULT_OFF

    assert OPT_IN_CODES == DEFAULT_OFF


PACKAGE = Path(__file__).resolve().parent.parent / "flake8_fastapi_deps"


def _package_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package that ``name`` imports, type-only imports included."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    found.add(f"{target}.{alias.name}")
                elif target in modules:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
    found.discard(name)
    return found


def test_no_import_cycle_between_modules_of_the_package() -> None:
    """Type-only imports count: a cycle of them still ties the modules' designs together.

    A package's ``__init__`` importing its own submodules is not counted as an
    edge back from them (Python runs the parent first, but that is not a design
    dependency), so each strongly connected component must be a single module.
    """
    modules = _package_modules()
    graph = {name: _imports_of(name, path, modules) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for start in graph:  # iterative Tarjan
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    assert cycles == []


def test_no_module_of_the_package_is_over_700_lines() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in _package_modules().values()
    }
    assert {name: n for name, n in sizes.items() if n > 700} == {}


def test_every_code_is_a_rule_module_of_its_own_named_after_it() -> None:
    from flake8_fastapi_deps.rules import RULE_MODULES

    for module in RULE_MODULES:
        rule = module.RULE
        expected = f"{rule.code.lower()}_{rule.name.replace('-', '_')}"
        assert module.__name__.rsplit(".", 1)[1] == expected  # type: ignore[attr-defined]
    assert len({m.RULE.code for m in RULE_MODULES}) == len(RULE_MODULES)
