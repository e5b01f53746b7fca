"""``python -m flake8_fastapi_deps``: list the codes, or explain one.

    python -m flake8_fastapi_deps --list
    python -m flake8_fastapi_deps explain FAD201
    python -m flake8_fastapi_deps cache info|clear [--fad-cache-dir DIR]

The rule docs ship inside the package, so ``explain`` works offline from a
wheel install.
"""

from __future__ import annotations

import argparse
import os
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
    cache = sub.add_parser(
        "cache", help="show or delete the persistent index store of the current folder's project"
    )
    cache.add_argument("action", choices=("info", "clear"))
    cache.add_argument("--fad-cache-dir", dest="cache_dir", default=None,
                       help="the store's folder, as given to flake8")
    args = parser.parse_args(argv)

    if args.command == "cache":
        return _cache(args.action, args.cache_dir)

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


def _cache(action: str, cache_dir: Optional[str]) -> int:
    from .index import store
    from .index.files import find_root, real_path

    here = os.getcwd()
    root = real_path(find_root(os.path.join(here, "__probe__.py")) or here)
    folder = store.store_folder(root, cache_dir)
    if action == "clear":
        removed = store.clear(folder)
        print(f"removed {len(removed)} file(s) of {folder}" if removed else f"no store in {folder}")
        return 0
    found = store.info(folder)
    print(f"project: {root}")
    print(f"path: {found['path']}")
    print(f"size: {found['bytes']} bytes")
    if not found["exists"]:
        print("entries: 0 (no store yet)")
        return 0
    if "error" in found:
        print(f"unreadable: {found['error']}")
        return 0
    print(f"schema: {found.get('schema')} (this plugin writes {store.SCHEMA})")
    print(f"entries: {found.get('entries')}")
    parts = found.get("partitions") or []
    assert isinstance(parts, list)
    current = store.partition(())
    for part, count in parts:
        mark = " (this plugin and Python, default options)" if part == current else ""
        print(f"  version {part}: {count} entries{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
