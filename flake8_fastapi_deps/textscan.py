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
scan publishes (see ``index.scan._Scan``): functions with ``Depends()`` defaults
and generator dependencies.  Those only gate a cheap walk of other files or
pre-select candidate calls that are then resolved properly, so a superset
costs a little time and never a finding.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Optional

from .names import FRAMEWORK_PACKAGES

# Every pattern starts with a literal, so the regex engine jumps between
# candidates instead of trying each position (``^[ \t]*...`` patterns with
# re.M were most of the cost); line starts are checked by hand.
_MARKERS = (re.compile(rb"Depends\b"), re.compile(rb"Security\b"))
# ``(``, optional ``dependency=``, then the start of the first argument
_ARGUMENT = re.compile(
    rb"[ \t]*\([ \t\r\n]*(?:dependency[ \t]*=[ \t]*)?(\)|lambda\b|[A-Za-z_]\w*)"
)
_QUALIFIER = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."
_ALIASED = re.compile(rb"[ \t]+as[ \t]")
_OPEN_PAREN = re.compile(rb"[ \t]*\(")
# ``Annotated[Head, Depends()`` or ``name: Head = Depends()`` before an empty marker
_IMPLICIT = re.compile(
    rb"(?:Annotated\[[ \t]*[\"']?([A-Za-z_]\w*)[^\[\],\n]*,[ \t]*"
    rb"|:[ \t]*[\"']?([A-Za-z_]\w*)[\"']?[ \t]*=[ \t]*)(?:[A-Za-z_]\w*\.)*$"
)
_DEF = re.compile(rb"def[ \t]+(\w+)")
_CLASS = re.compile(rb"class[ \t]+(\w+)[ \t]*(?:\(([^)]*)\))?[ \t]*:")
_IMPORT = re.compile(rb"import\b")
_DEFINES = re.compile(rb"(?:^|[ \t])(?:def|class)[ \t]+$")
_YIELD = re.compile(rb"yield\b")
_IDENTIFIER = re.compile(rb"\w")
_ASSIGNMENT_TAIL = re.compile(rb"[ \t]*(?::[^=\n]*)?=(?!=)")
_ALIAS = re.compile(rb"\n(\w+)[ \t]*=[ \t]*(\w+)[ \t]*(?:#[^\n]*)?(?=\r?\n|$)")
_CALLED = re.compile(rb"(?:\.\w+)*[ \t]*\(")
# Imports from these never bring project functions.
_EXTERNAL = frozenset(name.encode() for name in FRAMEWORK_PACKAGES) | {b"pydantic"}
_HARMLESS_BASES = frozenset({b"object", b"BaseModel", b"Generic", b"Protocol", b"ABC"})


def _line_prefix(data: bytes, position: int) -> bytes:
    """The text between the start of ``position``'s line and ``position``."""
    return data[data.rfind(b"\n", 0, position) + 1:position]


def _word_start(data: bytes, position: int) -> bool:
    return position == 0 or _IDENTIFIER.match(data, position - 1) is None


@dataclass(frozen=True)
class LocalDeclarations:
    """A file whose dependency declarations all name its own functions."""

    gate_names: frozenset[str]  # superset: functions with markers in the signature
    yield_names: frozenset[str]  # superset: generator functions it uses as dependencies, and aliases


def local_declarations(data: bytes) -> Optional[LocalDeclarations]:
    """Summary of a file whose markers all target its own code, else None (parse it)."""
    imports = _imports(data)
    if imports is None:
        return None  # a star import: its names could be anything
    external, imported = imports
    markers = sorted(
        m.start() for pattern in _MARKERS for m in pattern.finditer(data) if _word_start(data, m.start())
    )
    heads: set[bytes] = set()
    definitions: set[int] = set()
    indirect = False
    strings = _triple_quoted(data) if markers else []
    for position in markers:
        end = position + (7 if data.startswith(b"Depends", position) else 8)
        prefix = _line_prefix(data, position)
        if prefix.lstrip().startswith(b"#") or prefix.rstrip(_QUALIFIER).endswith(b"`"):
            continue  # a comment, or Markdown in a docstring (a backtick is never code)
        if bisect.bisect_right(strings, position) % 2:
            continue  # inside a triple-quoted string: a docstring's example
        if _DEFINES.search(prefix):
            definitions.add(position)
            continue  # ``def Depends(...)``: a definition (fastapi's own source) calls nothing
        argument = _ARGUMENT.match(data, end)
        if argument is None:
            if _ALIASED.match(data, end):
                return None  # ``import Depends as D``: its calls are markers we cannot see
            if data[end:end + 1] == b"(" or _OPEN_PAREN.match(data, end):
                return None  # a call we cannot read (``Depends(*args)``, a comment, ...)
            # A bare reference (import list, annotation, prose) declares nothing:
            # the parse recognises markers only in calls through an import.
            continue
        head = argument.group(1)
        if head == b")":
            implicit = _IMPLICIT.search(prefix)
            if implicit is None:
                return None
            head = implicit.group(1) or implicit.group(2)
        elif _CALLED.match(data, argument.end()):
            indirect = True  # Depends(factory(...)): the functions it returns are the dependencies
        if head != b"lambda":
            heads.add(head)
    defs = _defs(data)
    classes = _harmless_classes(data, external)
    def_names = {name for _, _, name in defs}
    for head in heads:
        if head in external or head in classes:
            continue
        if head in imported:
            return None  # imported from the project: the parse resolves it
        if head in def_names or _assigned(data, head):
            continue
        if _class_named(data, head):
            return None  # a class whose methods may come from another module
        # Bound by none of the statements the index resolves (a def, a class, an
        # import, ``name = ...``): a parameter, a loop variable, a builtin or a
        # constant (``Depends(None if ... else dep)``).  The parse resolves such a
        # name to no function at all, so it names nothing in another module.
    if definitions:
        markers = [m for m in markers if m not in definitions]
    return LocalDeclarations(
        _gate_names(data, defs, markers),
        _yield_names(data, defs, heads, indirect or bool(heads & classes)),
    )


def _class_named(data: bytes, name: bytes) -> bool:
    """Is there a ``class name`` statement in ``data``?"""
    return any(match.group(1) == name for match in _CLASS.finditer(data))


def _triple_quoted(data: bytes) -> list[int]:
    """Offsets where triple-quoted strings open and close, alternately.

    A position is inside such a string when an odd number of these offsets
    precede it.  Quotes pair by kind (three double quotes end at the next three
    double quotes, not at three single ones).  Escapes, and triple quotes inside
    one-line strings or comments, are not modelled: such a misreading could
    hide a real marker from :func:`local_declarations`, so tests/test_textscan.py
    compares its answers with the parse over the corpus.
    """
    bounds: list[int] = []
    double = data.find(_DOUBLE)
    single = data.find(_SINGLE)
    while double >= 0 or single >= 0:
        start, quote = (double, _DOUBLE) if single < 0 or 0 <= double < single else (single, _SINGLE)
        close = data.find(quote, start + 3)
        if close < 0:
            return bounds  # unterminated: leave the rest as code
        bounds.extend((start, close + 3))
        position = close + 3
        # look again only for a kind whose next occurrence was passed (a kind
        # that does not occur is never searched again: no quadratic scans)
        if 0 <= double < position:
            double = data.find(_DOUBLE, position)
        if 0 <= single < position:
            single = data.find(_SINGLE, position)
    return bounds


_DOUBLE = b'"' * 3
_SINGLE = b"'" * 3


def _assigned(data: bytes, name: bytes) -> bool:
    """Is ``name = ...`` / ``name: T = ...`` a statement somewhere in ``data``?"""
    position = data.find(name)
    while position >= 0:
        end = position + len(name)
        if (
            _ASSIGNMENT_TAIL.match(data, end)
            and _line_prefix(data, position).strip(b" \t") == b""
        ):
            return True
        position = data.find(name, end)
    return False


def _defs(data: bytes) -> list[tuple[int, int, bytes]]:
    """(offset, indentation, name) of every ``def`` statement."""
    found: list[tuple[int, int, bytes]] = []
    for match in _DEF.finditer(data):
        start = match.start()
        prefix = _line_prefix(data, start)
        body = prefix.lstrip(b" \t")
        if body and body.rstrip(b" \t") != b"async":
            continue
        found.append((start, len(prefix) - len(body), match.group(1)))
    return found


def _imports(data: bytes) -> Optional[tuple[set[bytes], set[bytes]]]:
    """Local names bound by imports: (from framework packages, from anywhere else).

    None when the file star-imports from outside the framework.
    """
    external: set[bytes] = set()
    imported: set[bytes] = set()
    for match in _IMPORT.finditer(data):
        position = match.start()
        if not _word_start(data, position):
            continue
        prefix = _line_prefix(data, position).strip(b" \t")
        if prefix.startswith(b"from") and prefix[4:5] in (b" ", b"\t"):
            module = prefix[4:].strip()
            if not module or b" " in module:
                continue
            names = _import_list(data, match.end())
            top = module.split(b".", 1)[0]
            if names == {b"*"}:
                if top in _EXTERNAL:
                    continue
                return None
            (external if top in _EXTERNAL else imported).update(names)
        elif prefix == b"":
            line_end = data.find(b"\n", match.end())
            line = data[match.end():line_end if line_end >= 0 else len(data)]
            imported.update(_bound_names(line, dotted=True))
    return external, imported


def _import_list(data: bytes, start: int) -> set[bytes]:
    """The names after ``from x import``: one line, or a parenthesised list."""
    rest = data[start:start + 4096].lstrip(b" \t")
    if rest.startswith(b"("):
        close = rest.find(b")")
        return _bound_names(rest[1:close if close >= 0 else len(rest)])
    line_end = rest.find(b"\n")
    return _bound_names(rest[: line_end if line_end >= 0 else len(rest)])


def _bound_names(text: bytes, dotted: bool = False) -> set[bytes]:
    names: set[bytes] = set()
    for line in text.splitlines():
        for part in line.split(b"#", 1)[0].strip(b" \t\r()\\;").split(b","):
            words = part.split()
            if not words:
                continue
            if len(words) >= 3 and words[-2] == b"as":
                names.add(words[-1])
            else:
                names.add(words[0].split(b".", 1)[0] if dotted else words[0])
    return names


def _harmless_classes(data: bytes, external: set[bytes]) -> set[bytes]:
    """Classes whose methods are all their own: no bases other than framework ones."""
    found: set[bytes] = set()
    for match in _CLASS.finditer(data):
        if _line_prefix(data, match.start()).strip(b" \t") != b"":
            continue
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
    """Where the parameter list of the ``def`` at ``start`` ends, roughly: the first
    ``)`` followed by ``:`` or a return annotation (end of data if none)."""
    match = _SIGNATURE_END.search(data, start)
    return match.start() if match else len(data)


_SIGNATURE_END = re.compile(rb"\)[ \t]*(?:->[^:\n]*)?:")


def _gate_names(data: bytes, defs: list[tuple[int, int, bytes]], markers: list[int]) -> frozenset[str]:
    """Functions with a marker inside their parameter list (at any depth: a def under a
    module-level ``if`` is module-level too)."""
    names: set[str] = set()
    for start, _, name in defs:
        first = bisect.bisect_left(markers, start)
        if first == len(markers):
            continue
        if markers[first] < _signature_end(data, start):
            names.add(name.decode("ascii", "replace"))
    return frozenset(names)


def _yield_names(
    data: bytes, defs: list[tuple[int, int, bytes]], heads: set[bytes], indirect: bool
) -> frozenset[str]:
    """Dependency heads whose def contains ``yield``, plus module-level aliases of them.

    ``indirect``: a class or a factory call is used as a dependency, so its
    methods or the closures it returns are too: every generator counts.
    """
    if not heads:
        return frozenset()
    offsets = [start for start, _, _ in defs]
    generators: set[bytes] = set()
    for match in _YIELD.finditer(data):
        if not _word_start(data, match.start()):
            continue
        line = _line_prefix(data, match.start())
        indent = len(line) - len(line.lstrip(b" \t"))
        index = bisect.bisect_right(offsets, match.start()) - 1
        while index >= 0:
            _, def_indent, name = defs[index]
            if def_indent < indent:
                generators.add(name)
                break
            index -= 1
    found = set(generators) if indirect else heads & generators
    for match in _ALIAS.finditer(data):
        # module-level aliases: ``get_session = get_db``
        if match.group(2) in found:
            found.add(match.group(1))
    return frozenset(name.decode("ascii", "replace") for name in found)


__all__ = ["LocalDeclarations", "local_declarations"]
