"""``python -m flake8_fastapi_deps``: list the codes, or explain one.

    python -m flake8_fastapi_deps --list [--format json]
    python -m flake8_fastapi_deps explain FAD201 [FAD1 ...]   (codes or prefixes)
    python -m flake8_fastapi_deps cache info|clear [--fad-cache-dir DIR]

The rule docs ship inside the package, so ``explain`` works offline from a
wheel install.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Sequence
from importlib import resources
from typing import Optional

from . import __version__
from .registry import ALL_RULES

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # (importlib.abc's name is deprecated from 3.12)
    from importlib.abc import Traversable


def rule_doc(code: str) -> str:
    return _doc_file(code).read_text(encoding="utf-8")


def _doc_file(code: str) -> Traversable:
    docs = resources.files(__package__).joinpath("docs")  # one part per call on Python 3.9
    return docs.joinpath(f"{code}.md")


# flake8 matches codes by prefix, and FAD starts with F (pyflakes' letter)
F_PREFIX_NOTE = """\
Note: flake8 matches codes by prefix and FAD starts with F, pyflakes' letter:
  extend-ignore = F, per-file-ignores = x.py:F and '# noqa: F' hide every FAD code
  (add 'extend-select = FAD' to get the default-on ones back; write '# noqa: F401');
  select = E,W,F,C90 turns on every opt-in code too (write F4,F5,F6,F7,F8,F9 for
  pyflakes and name the default-on FAD codes; see the README);
  VS Code's flake8 extension shows F... as errors unless "flake8.severity" has "FAD".
See the README's Configuration section."""


def codes_for(pattern: str) -> list[str]:
    """The codes ``pattern`` names: one code, or every code it prefixes (FAD1)."""
    pattern = pattern.strip().upper()
    if pattern in ALL_RULES:
        return [pattern]
    return [code for code in ALL_RULES if pattern and code.startswith(pattern)]


def near_codes(pattern: str) -> list[str]:
    """Codes close to an unknown one (a typo, a digit too many)."""
    pattern = pattern.strip().upper()
    return difflib.get_close_matches(pattern, list(ALL_RULES), n=3, cutoff=0.6)


def _explain(patterns: Sequence[str]) -> int:
    codes: list[str] = []
    for pattern in patterns:
        found = codes_for(pattern)
        if not found:
            near = near_codes(pattern)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            print(f"unknown code {pattern!r}{hint} (see --list)", file=sys.stderr)
            return 2
        codes.extend(code for code in found if code not in codes)
    sys.stdout.write("\n".join(rule_doc(code).rstrip("\n") + "\n" for code in codes))
    sys.stdout.write("\n---\n\n" + F_PREFIX_NOTE + "\n")
    return 0


def list_json() -> str:
    """Every code for tools: code, name, default_on, summary, message and its doc page."""
    records = []
    for code, rule in ALL_RULES.items():
        doc = _doc_file(code)
        records.append({
            "code": code,
            "name": rule.name,
            "default_on": rule.default_on,
            "summary": rule.summary,
            "doc_resource": f"{__package__}/docs/{code}.md",
            "doc_path": str(doc) if isinstance(doc, os.PathLike) else None,
            "explain": f"python -m flake8_fastapi_deps explain {code}",
        })
    return json.dumps(records, indent=2)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flake8_fastapi_deps",
        description="flake8-fastapi-deps: FastAPI dependency-injection and async checks for flake8.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--list", action="store_true", help="print every code, its name and default")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="--list as text (one code a line) or JSON for tools")
    sub = parser.add_subparsers(dest="command")
    explain = sub.add_parser(
        "explain", help="print the documentation of codes or of every code a prefix names (FAD1)"
    )
    explain.add_argument("code", nargs="+", help="codes or prefixes such as FAD001 FAD2")
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
        return _explain(args.code)
    if args.list:
        if args.format == "json":
            print(list_json())
            return 0
        width = max(len(rule.name) for rule in ALL_RULES.values())
        for code, rule in ALL_RULES.items():
            default = "on " if rule.default_on else "off"
            print(f"{code}  {rule.name:<{width}}  {default}  {rule.summary}")
        # on stderr: a person sees it, a pipe (awk '$3=="on"') reads only the codes
        print("\n" + F_PREFIX_NOTE, file=sys.stderr)
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
