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
_YIELD = re.compile(rb"yield\b")
_IDENTIFIER = re.compile(rb"\w")
_ASSIGNMENT_TAIL = re.compile(rb"[ \t]*(?::[^=\n]*)?=(?!=)")
_ALIAS = re.compile(rb"\n(\w+)[ \t]*=[ \t]*(\w+)[ \t]*(?:#[^\n]*)?(?=\r?\n|$)")
_CALLED = re.compile(rb"(?:\.\w+)*[ \t]*\(")
# Imports from these never bring project functions.
_EXTERNAL = frozenset(name.encode() for name in FRAMEWORK_PACKAGES) | {b"pydantic"}
_HARMLESS_BASES = frozenset({b"object", b"BaseModel", b"Generic", b"Protocol", b"ABC"})


# ``.*[X]`` matched from ``lo`` up to ``hi`` runs to ``hi`` at once and backs up to
# the last character of X: a backward search that costs only the distance it
# goes back (see _last).
_LAST_NOT_BLANK = re.compile(rb".*[^ \t]", re.S)
_LAST_NOT_QUALIFIER = re.compile(rb".*[^A-Za-z0-9_.]", re.S)
_LAST_NOT_SPACE = re.compile(rb".*[^ \t\r\x0b\x0c]", re.S)
# characters outside the ``: Head = `` form of _IMPLICIT, and outside its tail
_LAST_OUTSIDE_ANNOTATION = re.compile(rb".*[^:\t \"'\w=.]", re.S)
_LAST_OUTSIDE_TAIL = re.compile(rb".*[^ \t\w.]", re.S)
_LAST_BRACKET_OR_COMMA = re.compile(rb".*[\[\],]", re.S)
_BLANKS = re.compile(rb"[ \t]*")
_SPACES = re.compile(rb"[ \t\r\x0b\x0c]*")  # what bytes.strip() strips, but a newline
# a name first on its line, then _ASSIGNMENT_TAIL
_STATEMENT_START = re.compile(rb"^[ \t]*([A-Za-z_]\w*)(?=" + _ASSIGNMENT_TAIL.pattern + rb")", re.M)


def _last(pattern: re.Pattern[bytes], data: bytes, lo: int, hi: int) -> int:
    """Offset of the last character of ``pattern``'s class in ``data[lo:hi]``, else -1."""
    match = pattern.match(data, lo, hi)
    return match.end() - 1 if match is not None else -1


def _skip(pattern: re.Pattern[bytes], data: bytes, start: int, end: int = -1) -> int:
    """Where the run of ``pattern`` (a ``[...]*`` class: it always matches) at ``start`` ends."""
    match = pattern.match(data, start, len(data) if end < 0 else end)
    return match.end() if match is not None else start


class _Lines:
    """Facts about the line holding a position, for positions asked in increasing order.

    Nothing here copies a line or searches it again for each position on it: a
    line holding thousands of markers costs no more than thousands of lines.
    """

    __slots__ = ("data", "_searched", "_start", "_first")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._searched = 0  # every newline before this offset is known
        self._start = 0
        self._first = -1  # first non-blank offset of the line at _start, once asked

    def start(self, position: int) -> int:
        """Where ``position``'s line starts."""
        if position < self._searched:  # pragma: no cover - callers ask in order
            return self.data.rfind(b"\n", 0, position) + 1
        newline = self.data.rfind(b"\n", self._searched, position)
        if newline >= 0:
            self._start = newline + 1
            self._first = -1
        self._searched = position
        return self._start

    def first(self, position: int) -> int:
        """The first offset of ``position``'s line that is not a space or tab (at most
        ``position``, which must not be a space or tab)."""
        start = self.start(position)
        if self._first < 0:
            self._first = _skip(_BLANKS, self.data, start)
        return min(self._first, position)


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
    lines = _Lines(data)
    # Each question below about the text before a marker on its line looks back
    # no further than the previous marker, or answers once per line: a line
    # holding thousands of markers costs linear time.
    comment_line, comment = -1, False
    previous, previous_qualified = -1, -1
    for position in markers:
        end = position + (7 if data.startswith(b"Depends", position) else 8)
        line_start = lines.start(position)
        if line_start != comment_line:
            comment_line = line_start
            first = _skip(_SPACES, data, line_start)
            comment = first < position and data[first] == _HASH
        # the last character before the marker that is not a letter, digit, ``_`` or ``.``
        qualified = _last(_LAST_NOT_QUALIFIER, data, max(line_start, previous), position)
        if qualified < 0 and previous >= line_start:
            qualified = previous_qualified  # the marker before is part of the same run
        previous, previous_qualified = position, qualified
        if comment or (qualified >= 0 and data[qualified] == _BACKTICK):
            continue  # a comment, or Markdown in a docstring (a backtick is never code)
        if bisect.bisect_right(strings, position) % 2:
            continue  # inside a triple-quoted string: a docstring's example
        if _defines(data, line_start, position):
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
            implicit = _implicit(data, line_start, position)
            if implicit is None:
                return None
            head = implicit.group(1) or implicit.group(2)
        elif _CALLED.match(data, argument.end()):
            indirect = True  # Depends(factory(...)): the functions it returns are the dependencies
        if head != b"lambda":
            heads.add(head)
    defs = _defs(data)
    class_statements = list(_CLASS.finditer(data))
    classes = _harmless_classes(data, class_statements, external)
    def_names = {name for _, _, name in defs}
    assigned: Optional[set[bytes]] = None  # built once, if a head needs it
    for head in heads:
        if head in external or head in classes:
            continue
        if head in imported:
            return None  # imported from the project: the parse resolves it
        if head in def_names:
            continue
        if assigned is None:
            assigned = _assigned_names(data)
        if head in assigned:
            continue
        if any(match.group(1) == head for match in class_statements):
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


_HASH = ord("#")
_BACKTICK = ord("`")
_OPEN_BRACKET = ord("[")
_COMMA = ord(",")


def _defines(data: bytes, line_start: int, position: int) -> bool:
    """Does the line before ``position`` end in ``def`` or ``class`` and blanks,
    the word first on the line or after a blank?  Looks back over those words only."""
    last = _last(_LAST_NOT_BLANK, data, line_start, position)
    if last < 0 or last == position - 1:
        return False
    for word in (b"def", b"class"):
        start = last + 1 - len(word)
        if (
            start >= line_start
            and data.startswith(word, start)
            and (start == line_start or data[start - 1] in b" \t")
        ):
            return True
    return False


def _implicit(data: bytes, line_start: int, position: int) -> Optional[re.Match[bytes]]:
    """``_IMPLICIT.search`` of the line before ``position``, over the part a match can hold.

    A ``: Head = ...`` match holds only the characters of that form, so it
    starts after the last other one; an ``Annotated[Head, ...`` match needs that
    character to be its comma, and starts 9 characters before the last bracket
    before it.  Searching from there finds the same first match, without going
    over the whole line for each of its markers.
    """
    start = _last(_LAST_OUTSIDE_ANNOTATION, data, line_start, position) + 1
    start = max(start, line_start)
    comma = _last(_LAST_OUTSIDE_TAIL, data, line_start, position)
    if comma >= 0 and data[comma] == _COMMA:
        bracket = _last(_LAST_BRACKET_OR_COMMA, data, line_start, comma)
        if bracket >= 0 and data[bracket] == _OPEN_BRACKET and bracket - 9 >= line_start:
            start = min(start, bracket - 9)
    return _IMPLICIT.search(data, start, position)


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


def _assigned_names(data: bytes) -> set[bytes]:
    """Every ``name`` of a ``name = ...`` / ``name: T = ...`` statement in ``data``.

    (Names that start a line, after blanks, and are followed by _ASSIGNMENT_TAIL:
    one pass, however many names are asked about.)
    """
    return {match.group(1) for match in _STATEMENT_START.finditer(data)}


def _defs(data: bytes) -> list[tuple[int, int, bytes]]:
    """(offset, indentation, name) of every ``def`` statement."""
    found: list[tuple[int, int, bytes]] = []
    lines = _Lines(data)
    for match in _DEF.finditer(data):
        start = match.start()
        first = lines.first(start)
        if first < start and not (
            data.startswith(b"async", first)
            and _skip(_BLANKS, data, first + 5, start) == start
        ):
            continue  # not the first word of its line, nor after ``async``
        found.append((start, first - lines.start(start), match.group(1)))
    return found


def _imports(data: bytes) -> Optional[tuple[set[bytes], set[bytes]]]:
    """Local names bound by imports: (from framework packages, from anywhere else).

    None when the file star-imports from outside the framework.
    """
    external: set[bytes] = set()
    imported: set[bytes] = set()
    lines = _Lines(data)
    module_line = -1
    module_start = space = 0
    for match in _IMPORT.finditer(data):
        position = match.start()
        if not _word_start(data, position):
            continue
        # the line before ``import``, without blanks at either end, is data[first:last]
        first = lines.first(position)
        last = _last(_LAST_NOT_BLANK, data, first, position) + 1 if first < position else first
        if last - first > 4 and data.startswith(b"from", first) and data[first + 4] in b" \t":
            if module_line != first:
                # where the module name starts, and the first space after it:
                # the same for every ``import`` word of the line
                module_line = first
                module_start = _skip(_SPACES, data, first + 4)
                line_end = data.find(b"\n", module_start)
                space = data.find(b" ", module_start, line_end if line_end >= 0 else len(data))
            # ``data[first + 4:last].strip()``, if not empty and free of spaces
            start = min(module_start, last)
            end = _last(_LAST_NOT_SPACE, data, start, last) + 1
            if end <= start or 0 <= space < end:
                continue
            module = data[start:end]
            names = _import_list(data, match.end())
            top = module.split(b".", 1)[0]
            if names == {b"*"}:
                if top in _EXTERNAL:
                    continue
                return None
            (external if top in _EXTERNAL else imported).update(names)
        elif first == position:
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


def _harmless_classes(
    data: bytes, statements: list[re.Match[bytes]], external: set[bytes]
) -> set[bytes]:
    """Classes whose methods are all their own: no bases other than framework ones."""
    found: set[bytes] = set()
    lines = _Lines(data)
    for match in statements:
        if lines.first(match.start()) < match.start():
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


_SIGNATURE_END = re.compile(rb"\)[ \t]*(?:->[^:\n]*)?:")


def _gate_names(data: bytes, defs: list[tuple[int, int, bytes]], markers: list[int]) -> frozenset[str]:
    """Functions with a marker inside their parameter list (at any depth: a def under a
    module-level ``if`` is module-level too)."""
    names: set[str] = set()
    # Where the parameter list of a def ends, roughly: the first ``)`` followed
    # by ``:`` or a return annotation at or after its start (end of data if
    # none).  Defs come in order, so one found end answers every def before it:
    # the text is searched once, not once per def.
    end = -1
    for start, _, name in defs:
        first = bisect.bisect_left(markers, start)
        if first == len(markers):
            continue
        if end < start:
            match = _SIGNATURE_END.search(data, start)
            end = match.start() if match else len(data)
        if markers[first] < end:
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
    # outer[i]: the last def before defs[i] indented less than it (-1 if none).
    # The def holding a ``yield`` is the last one before it indented less than
    # the ``yield``; following ``outer`` skips every def in between, which is
    # indented at least as much: a few steps per ``yield``, not one per def.
    outer: list[int] = []
    for index, (_, indent, _) in enumerate(defs):
        before = index - 1
        while before >= 0 and defs[before][1] >= indent:
            before = outer[before]
        outer.append(before)
    generators: set[bytes] = set()
    lines = _Lines(data)
    for match in _YIELD.finditer(data):
        position = match.start()
        if not _word_start(data, position):
            continue
        indent = lines.first(position) - lines.start(position)
        index = bisect.bisect_right(offsets, position) - 1
        while index >= 0 and defs[index][1] >= indent:
            index = outer[index]
        if index >= 0:
            generators.add(defs[index][2])
    found = set(generators) if indirect else heads & generators
    for match in _ALIAS.finditer(data):
        # module-level aliases: ``get_session = get_db``
        if match.group(2) in found:
            found.add(match.group(1))
    return frozenset(name.decode("ascii", "replace") for name in found)


__all__ = ["LocalDeclarations", "local_declarations"]
