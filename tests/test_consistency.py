"""Codes, docs, changelog, README and fixtures agree; the docs follow the template."""

from __future__ import annotations

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
