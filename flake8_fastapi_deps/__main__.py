"""``python -m flake8_fastapi_deps``: list the codes, or explain one.

    python -m flake8_fastapi_deps --list
    python -m flake8_fastapi_deps explain FAD201

The rule docs ship inside the package, so ``explain`` works offline from a
wheel install.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import resources
from typing import Optional

from . import __version__
from .registry import ALL_RULES


def rule_doc(code: str) -> str:
    docs = resources.files(__package__).joinpath("docs")  # one part per call on Python 3.9
    return docs.joinpath(f"{code}.md").read_text(encoding="utf-8")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flake8_fastapi_deps",
        description="flake8-fastapi-deps: FastAPI dependency-injection and async checks for flake8.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--list", action="store_true", help="print every code, its name and default")
    sub = parser.add_subparsers(dest="command")
    explain = sub.add_parser("explain", help="print the documentation of one code")
    explain.add_argument("code", help="a code such as FAD001")
    args = parser.parse_args(argv)

    if args.command == "explain":
        code = args.code.strip().upper()
        if code not in ALL_RULES:
            print(f"unknown code {args.code!r}; see --list", file=sys.stderr)
            return 2
        sys.stdout.write(rule_doc(code))
        return 0
    if args.list:
        width = max(len(rule.name) for rule in ALL_RULES.values())
        for code, rule in ALL_RULES.items():
            default = "on " if rule.default_on else "off"
            print(f"{code}  {rule.name:<{width}}  {default}  {rule.summary}")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
