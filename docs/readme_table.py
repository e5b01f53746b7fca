"""Regenerate the code and option tables in README.md from the registry.

    python docs/readme_table.py          # rewrite README.md in place
    python docs/readme_table.py --check  # exit 1 if README.md is stale (used by the tests)
"""

from __future__ import annotations

import sys
from pathlib import Path

from flake8_fastapi_deps.options import SPECS
from flake8_fastapi_deps.registry import ALL_RULES

README = Path(__file__).resolve().parent.parent / "README.md"

# Where another tool reports something close (and what it misses).
OVERLAP = {
    "FAD001": "bugbear B008 / ruff B008: the default-argument form only",
    "FAD102": "flake8-async / ruff ASYNC210-251: not FastAPI-aware, no call chains",
    "FAD104": "ruff RUF029 (preview), which exempts routes",
    "FAD302": "ruff FAST002 (routes only)",
    "FAD306": "flake8-fastapi CF009 (`responses=` part)",
}


def table() -> str:
    rows = ["| code | name | what | default | overlap |", "|---|---|---|---|---|"]
    for code, rule in ALL_RULES.items():
        summary = rule.summary.rstrip(".").replace("|", "\\|").replace("__call__", "`__call__`")
        default = "on" if rule.default_on else "off"
        rows.append(f"| {code} | {rule.name} | {summary} | {default} | {OVERLAP.get(code, '—')} |")
    return "\n".join(rows)


def options_table() -> str:
    rows = ["| option (config key without `--`) | default | meaning |", "|---|---|---|"]
    for spec in SPECS:
        default = f"`{spec.default}`" if spec.default else "(none)"
        rows.append(f"| `{spec.flag}` | {default} | {spec.help} |")
    return "\n".join(rows)


def _replace(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def render(text: str) -> str:
    return _replace(_replace(text, "codes", table()), "options", options_table())


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv:
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
