"""What the dependency scan can learn from a file's text, without parsing it.

The project index must know which functions are used as dependencies by
*other* files.  Most files that write ``Depends(...)`` only name functions and
classes they define themselves (every tutorial, most test modules): such a
file tells the rest of the project nothing that its own lint does not, so
parsing it during the scan is wasted work.  :func:`local_declarations` decides
that from the text alone, and is conservative: whenever a marker's target is
not plainly local (imported, dotted through a module, an alias of ``Depends``,
a class whose bases are not known to be harmless, anything it cannot read) it
answers None and the file is parsed as before.

For a file it does not parse, it also gives supersets of the two name sets the
scan publishes (see ``project._Scan``): functions with ``Depends()`` defaults
and generator dependencies.  Those only gate a cheap walk of other files or
pre-select candidate calls that are then resolved properly, so a superset
costs a little time and never a finding.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Optional

_MARKER = re.compile(rb"\b(?:Depends|Security)\b")
# ``(``, optional ``dependency=``, then the start of the first argument
_ARGUMENT = re.compile(
    rb"[ \t]*\([ \t\r\n]*(?:dependency[ \t]*=[ \t]*)?(\)|lambda\b|[A-Za-z_]\w*)"
)
# a bare ``Depends`` in an import list: followed by ``,``, ``)``, end of line or a comment
_IMPORT_TAIL = re.compile(rb"[ \t]*(?:,|\)|\r?\n|#|$)")
# ``Annotated[Head, Depends()`` or ``name: Head = Depends()`` before an empty marker
_IMPLICIT = re.compile(
    rb"(?:Annotated\[[ \t]*[\"']?([A-Za-z_]\w*)[^\[\],\n]*,[ \t]*"
    rb"|:[ \t]*[\"']?([A-Za-z_]\w*)[\"']?[ \t]*=[ \t]*)(?:[A-Za-z_]\w*\.)*$"
)
_DEF = re.compile(rb"^([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)", re.M)
_CLASS = re.compile(rb"^[ \t]*class[ \t]+(\w+)[ \t]*(?:\(([^)]*)\))?[ \t]*:", re.M)
_ASSIGN = re.compile(rb"^[ \t]*(\w+)[ \t]*(?::[^=\n]*)?=(?!=)", re.M)
_ALIAS = re.compile(rb"^(\w+)[ \t]*=[ \t]*(\w+)[ \t]*(?:#.*)?$", re.M)
_FROM_IMPORT = re.compile(
    rb"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M
)
_IMPORT = re.compile(rb"^[ \t]*import[ \t]+([^\n]*)", re.M)
_YIELD = re.compile(rb"\byield\b")
_STAR_IMPORT = re.compile(rb"^[ \t]*from[ \t]+(?!(?:fastapi|starlette|typing|typing_extensions|pydantic)\b)[\w.]+[ \t]+import[ \t]+\*", re.M)
_WORD = re.compile(rb"[A-Za-z_]\w*")
# Imports from these never bring project functions.
_EXTERNAL = ("fastapi", "starlette", "typing", "typing_extensions", "pydantic")
_HARMLESS_BASES = frozenset({b"object", b"BaseModel", b"Generic", b"Protocol", b"ABC"})


@dataclass(frozen=True)
class LocalDeclarations:
    """A file whose dependency declarations all name its own functions."""

    gate_names: frozenset[str]  # superset: module-level functions with markers in the signature
    yield_names: frozenset[str]  # superset: generator functions it uses as dependencies, and aliases


def local_declarations(data: bytes) -> Optional[LocalDeclarations]:
    """Summary of a file whose markers all target its own code, else None (parse it)."""
    if _STAR_IMPORT.search(data):
        return None  # names from a star import could be anything
    external, imported = _imported_names(data)
    classes = _harmless_classes(data, external)
    defs = [(m.start(), len(m.group(1)), m.group(2)) for m in _DEF.finditer(data)]
    local = {name for _, _, name in defs}
    local.update(m.group(1) for m in _ASSIGN.finditer(data))
    local -= imported  # a name also imported from the project may mean that import
    local |= classes | external
    heads: set[bytes] = set()
    for match in _MARKER.finditer(data):
        line_start = data.rfind(b"\n", 0, match.start()) + 1
        if data[line_start : match.start()].lstrip().startswith(b"#"):
            continue
        argument = _ARGUMENT.match(data, match.end())
        if argument is None:
            if _IMPORT_TAIL.match(data, match.end()) and not _in_assignment(data, line_start, match):
                continue
            return None
        head = argument.group(1)
        if head == b")":
            implicit = _IMPLICIT.search(data, line_start, match.start())
            if implicit is None:
                return None
            head = implicit.group(1) or implicit.group(2)
        if head == b"lambda":
            continue
        if head not in local:
            return None
        heads.add(head)
    return LocalDeclarations(
        _gate_names(data, defs),
        _yield_names(data, defs, heads, bool(heads & classes)),
    )


def _in_assignment(data: bytes, line_start: int, match: re.Match[bytes]) -> bool:
    """``x = Depends`` (an alias of the marker): not an import list."""
    before = data[line_start : match.start()]
    return b"=" in before and b"import" not in before


def _imported_names(data: bytes) -> tuple[set[bytes], set[bytes]]:
    """Local names bound by imports: (from framework packages, from anywhere else)."""
    external: set[bytes] = set()
    imported: set[bytes] = set()
    for match in _FROM_IMPORT.finditer(data):
        module = match.group(1)
        target = external if module.split(b".", 1)[0].decode("ascii", "replace") in _EXTERNAL else imported
        target.update(_bound_names(match.group(2)))
    for match in _IMPORT.finditer(data):
        imported.update(_bound_names(match.group(1), dotted=True))
    return external, imported


def _bound_names(text: bytes, dotted: bool = False) -> set[bytes]:
    names: set[bytes] = set()
    for part in text.split(b"#", 1)[0].strip(b" \t\r\n()\\").split(b","):
        words = part.split()
        if not words:
            continue
        if len(words) >= 3 and words[-2] == b"as":
            names.add(words[-1])
        else:
            first = words[0].split(b".", 1)[0] if dotted else words[0]
            names.add(first)
    return names


def _harmless_classes(data: bytes, external: set[bytes]) -> set[bytes]:
    """Classes whose methods are all their own: no bases other than framework ones."""
    found: set[bytes] = set()
    for match in _CLASS.finditer(data):
        bases = match.group(2) or b""
        ok = True
        for base in bases.split(b","):
            base = base.strip()
            if not base:
                continue
            head = base.split(b".", 1)[0].split(b"[", 1)[0].strip()
            if b"=" in base or (head not in external and head not in _HARMLESS_BASES):
                ok = False
                break
        if ok:
            found.add(match.group(1))
    return found


def _signature_end(data: bytes, start: int) -> int:
    """Offset of the ``)`` closing the parenthesis at or after ``start`` (end of data if none)."""
    open_at = data.find(b"(", start)
    if open_at < 0:
        return len(data)
    depth = 0
    for index in range(open_at, len(data)):
        char = data[index]
        if char in b"([{":
            depth += 1
        elif char in b")]}":
            depth -= 1
            if depth == 0:
                return index
    return len(data)


def _gate_names(data: bytes, defs: list[tuple[int, int, bytes]]) -> frozenset[str]:
    names: set[str] = set()
    for start, indent, name in defs:
        if indent:
            continue
        end = _signature_end(data, start)
        if _MARKER.search(data, start, end):
            names.add(name.decode("ascii", "replace"))
    return frozenset(names)


def _yield_names(
    data: bytes, defs: list[tuple[int, int, bytes]], heads: set[bytes], class_heads: bool
) -> frozenset[str]:
    """Dependency heads whose def contains ``yield``, plus module-level aliases of them.

    A class used as a dependency makes its methods candidates: every generator counts.
    """
    if not heads or not _YIELD.search(data):
        return frozenset()
    offsets = [start for start, _, _ in defs]
    generators: set[bytes] = set()
    for match in _YIELD.finditer(data):
        line_start = data.rfind(b"\n", 0, match.start()) + 1
        line = data[line_start : match.start()]
        indent = len(line) - len(line.lstrip(b" \t"))
        index = bisect.bisect_right(offsets, match.start()) - 1
        while index >= 0:
            _, def_indent, name = defs[index]
            if def_indent < indent:
                generators.add(name)
                break
            index -= 1
    found = set(generators) if class_heads else heads & generators
    for match in _ALIAS.finditer(data):
        if match.group(2) in found:
            found.add(match.group(1))
    return frozenset(name.decode("ascii", "replace") for name in found)


__all__ = ["LocalDeclarations", "local_declarations"]
