"""The text pre-scan of the import graph: import statements and router hints, without parsing.

:func:`scan_imports` reads the import statements of a file's text with regular
expressions (a superset of its module-level imports); :func:`router_hint_words`
and :data:`ROUTE_DECORATOR_TEXT` say whether a file might create an app/router
or define routes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from typing import Optional

from .module_info import ROUTE_DECORATORS

# an import statement at the start of a line: indentation, from-base, "(" after import
_IMPORT_TEXT = re.compile(
    r"^([ \t]*)(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b[ \t]*(\(?)|import[ \t]+(?=[\w\\]))",
    re.M,
)
_LINE_REST = re.compile(r"(?:[^\n\\;#]|\\\n|\\.)*")
_PAREN_REST = re.compile(r"[^)]*")
_NAME = re.compile(r"[\w.]+")
# the start of every line of code that begins in column 0
_TOP_LINE = re.compile(r"^[^\s#].{0,60}", re.M)
# a newline followed by such a line (found with a fast search for the newline)
_NEWLINE_CODE = re.compile(r"\n[^\s#]")
# column-0 lines that open a block (an indented import follows one of these)
_BLOCK_HEADER = re.compile(
    r"(?:async[ \t]+)?(?:def|class|if|elif|else|try|except|finally|with|for|while|match|case)\b|@"
)
_MAX_WALK_BACK = 200
# column-0 lines whose indented block never runs at import time as module code
_NOT_MODULE_BLOCK = re.compile(
    r"(?:async[ \t]+)?def\b|class\b|@"
    r"|if[ \t]+(?:\w+\.)?TYPE_CHECKING[ \t]*:"
    r"|if[ \t]+__name__[ \t]*==[ \t]*['\"]__main__['\"][ \t]*:"
)


def _import_matches(text: str) -> Iterator[re.Match[str]]:
    """``_IMPORT_TEXT.finditer(text)``, without trying the pattern at every line.

    A match lies within one line, starts at its beginning and contains
    ``import``: so only lines holding that word are tried (``str.find`` skips
    the rest far faster than the regular expression engine would).
    """
    find = text.find
    match_at = _IMPORT_TEXT.match
    pos = find("import")
    while pos >= 0:
        match = match_at(text, text.rfind("\n", 0, pos) + 1)
        if match is not None:
            yield match
        end = find("\n", pos)
        if end < 0:
            return
        pos = find("import", end + 1)


def _top_line_starts(text: str) -> list[int]:
    """Where ``_TOP_LINE`` matches: lines that begin with code in column 0."""
    starts = [m.start() + 1 for m in _NEWLINE_CODE.finditer(text)]
    if _TOP_LINE.match(text, 0):
        starts.insert(0, 0)
    return starts


def scan_imports(text: str) -> Iterator[tuple[str, str, list[str]]]:
    """("from", base, names) / ("import", "", modules) for import statements in ``text``.

    A superset of the module-level imports: every import statement that starts
    a line, except indented ones whose enclosing column-0 block header is a
    ``def``/``class``/decorator, ``if TYPE_CHECKING:`` or
    ``if __name__ == "__main__":``.  (An indented line can only follow a block
    header or a continuation line, so column-0 lines that are no header, such
    as the ``) -> T:`` of a long signature, are stepped over.)  Text inside
    strings may add imports that do not exist; that only makes the candidate
    graph larger.
    """
    top_starts: Optional[list[int]] = None
    top_lines: dict[int, str] = {}
    for match in _import_matches(text):
        if match.group(1):
            if top_starts is None:
                top_starts = _top_line_starts(text)
            at = bisect.bisect_right(top_starts, match.start()) - 1
            # step back over continuation lines (closing brackets, string text)
            stop = max(at - _MAX_WALK_BACK, -1)
            line = ""
            while at > stop:
                line = top_lines.get(at, "")
                if not line:
                    found = _TOP_LINE.match(text, top_starts[at])
                    line = top_lines[at] = found.group(0) if found is not None else ""
                if _BLOCK_HEADER.match(line):
                    break
                at -= 1
            if at > stop and _NOT_MODULE_BLOCK.match(line):
                continue
        end = match.end()
        rest = (_PAREN_REST if match.group(3) else _LINE_REST).match(text, end)
        body = rest.group(0) if rest is not None else ""
        names: list[str] = []
        for item in body.replace("\\\n", " ").split(","):
            item = item.strip()
            name = _NAME.match(item)
            if name is not None:
                names.append(name.group(0))
            elif item.startswith("*"):
                names.append("*")
        if match.group(2) is not None:
            yield "from", match.group(2), names
        else:
            yield "import", "", [n for n in names if not n.startswith(".")]


def router_hint_words(router_classes: Iterable[str]) -> tuple[str, ...]:
    """Words that (nearly) every module creating an app/router contains."""
    words = {"FastAPI", "APIRouter", "add_api_route", "add_api_websocket_route"}
    words.update(name.rsplit(".", 1)[-1] for name in router_classes)
    return tuple(sorted(words))


# a route decorator, e.g. ``@router.get(`` (for modules using a router made elsewhere)
ROUTE_DECORATOR_TEXT = re.compile(
    r"@[\w.]+\.(?:%s)\s*\(" % "|".join(sorted(ROUTE_DECORATORS))
)


__all__ = ["ROUTE_DECORATOR_TEXT", "router_hint_words", "scan_imports"]
