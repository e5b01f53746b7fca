"""Lines of a module's text that can hold a marker, found without parsing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Union

# Without one of these words a module can hold no marker, ``dependencies=``
# list or route registration by a call (``add_api_route``, or a route decorator
# applied by hand, ``app.get("/p")(page)``; aliases are imports, which name them).
MARKER_WORDS = ("Depends", "Security", "dependencies", "add_api_", ")(")


_ALIAS_AFTER = re.compile(r"[ \t]+as[ \t]+(\w+)")


def marker_lines(text: Union[str, bytes]) -> list[int]:
    """Sorted numbers of the lines holding a marker word or a local alias of one.

    A marker call, a ``dependencies=`` list or an ``add_api_route`` call is
    written with one of these words (an alias is named in its import), so only
    expressions spanning such a line can hold one.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    positions: list[int] = []
    aliases: list[str] = []
    for word in MARKER_WORDS:
        found = text.find(word)
        while found >= 0:
            positions.append(found)
            end = found + len(word)
            if word[0] in "DS":
                # an import alias (``Depends as D``): its calls are markers too
                alias = _ALIAS_AFTER.match(text, end)
                if alias is not None:
                    aliases.append(alias.group(1))
            found = text.find(word, end)
    positions.extend(_occurrences(text, aliases))
    return _line_numbers(text, positions)


def lines_holding(text: str, words: Iterable[str]) -> list[int]:
    """Sorted numbers of the lines of ``text`` on which one of ``words`` occurs."""
    return _line_numbers(text, _occurrences(text, words))


def _occurrences(text: str, words: Iterable[str]) -> list[int]:
    """Offsets of every (non-overlapping) occurrence of each of ``words`` in ``text``."""
    positions: list[int] = []
    for word in words:
        found = text.find(word)
        while found >= 0:
            positions.append(found)
            found = text.find(word, found + len(word))
    return positions


def _line_numbers(text: str, positions: list[int]) -> list[int]:
    positions.sort()
    lines: list[int] = []
    line, last = 1, 0
    for position in positions:
        line += text.count("\n", last, position)
        last = position
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines
