"""What the project scan learns from one file's bytes alone, and the text facts.

Split from :mod:`.scan` (which re-exports the public names): the declared
whole-project text facts, the per-file text summary (``_FileText``) with its
encoding for the store (kind ``file text``), and :func:`_file_text`, the one
place a file's bytes are read for the scan and the facts.
"""

from __future__ import annotations

import re
from typing import Callable, Generic, NamedTuple, Optional, TypeVar

from ..textscan import LocalDeclarations, local_declarations
from . import files
from .cache import CACHE
from .files import MISSING, file_stamp
from .store import Store

T = TypeVar("T")

_DEP_TEXT = re.compile(rb"\bDepends\b|\bSecurity\b")
# a route registered by a call: ``add_api_route(``, or (in a file that mentions
# fastapi) a route decorator applied by hand to a name, ``app.get("/p")(page)``, on
# one line, one level of parentheses inside (tested after cheap substring tests:
# ``f(x)(y)`` alone is common in other code, and each file matched is parsed)
_ADD_ROUTE_TEXT = re.compile(rb"\badd_api_(?:websocket_)?route\b")
_APPLIED_ROUTE_TEXT = re.compile(
    rb"\.(?:get|post|put|patch|delete|options|head|trace|api_route|websocket)"
    rb"\((?:[^()\n]|\([^()\n]*\))*\)\(\s*[A-Za-z_][\w.]*\s*\)"
)


# --------------------------------------------------------------------------- text facts

# Whole-project text questions ("which files may register a middleware?"),
# answered from the bytes of every project file in the same read as the
# dependency scan, so that no rule reads the project's files again.  A fact
# maps a file's bytes to a value worth keeping, or None (most files).
TextFact = Callable[[bytes], object]
TEXT_FACTS: dict[str, TextFact] = {}  # every declared fact, by name


class FactKey(Generic[T]):
    """The typed handle of a declared text fact (see :func:`declare_text_fact`)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"FactKey({self.name!r})"


def declare_text_fact(name: str, compute: Callable[[bytes], Optional[T]]) -> FactKey[T]:
    """Declare a whole-project fact: ``compute(data)`` for the bytes of every project
    file, read once in the scan's pass; ``Project.facts(key)`` gives ``{path: value}``
    for the files where the value is not None."""
    TEXT_FACTS[name] = compute
    return FactKey(name)


def register_text_fact(name: str, compute: TextFact) -> None:
    """Have ``Project.text_fact(name)`` answer ``compute(data)`` for every project file."""
    TEXT_FACTS[name] = compute


class _FileText(NamedTuple):
    """What the dependency scan learns from one file's bytes alone.

    Nothing here depends on the project, so it is kept for the process: a file
    below two project roots (a root found as the top of a package chain inside
    another project, such as a ``docs_src`` folder of tutorial packages) is
    read and summarised once, not once per project.

    Kept in ``CACHE.file_text`` as a plain tuple (``local`` apart, in
    ``CACHE.file_local``), replaced rather than changed: for most files it
    holds only booleans, strings and None, and the garbage collector stops
    tracking such a tuple (not a subclass), so the table of every project file
    costs the run's full collections nothing (an object per file was visited
    by each of them).
    """

    facts: tuple[tuple[str, object], ...] = ()  # (name, value) of the text facts so far
    # the dependency scan's part, filled when a scan first asks (text_fact alone does not)
    summarised: bool = False
    declares: bool = False  # may declare a dependency: mentions fastapi and a marker word
    # may register a route by a call, possibly of another file's function
    registers: bool = False
    local: Optional[LocalDeclarations] = None  # the text summary, when it settles the file

    def has_fact(self, name: str) -> bool:
        return any(known == name for known, _ in self.facts)

    def fact(self, name: str) -> object:
        for known, value in self.facts:
            if known == name:
                return value
        return None


_KIND = "file text"  # the store's kind for _FileText rows


def _encode(text: Optional[_FileText]) -> object:
    """``text`` as plain data for the store (marshal)."""
    if text is None:
        return None
    local = text.local
    return (
        text.facts,
        text.summarised,
        text.declares,
        text.registers,
        None if local is None else (local.gate_names, local.yield_names),
    )


def _decode(value: object) -> tuple[bool, Optional[_FileText]]:
    """(True, summary) from what :func:`_encode` stored; (False, None) if it is not that."""
    if value is None:
        return True, None
    if not (isinstance(value, tuple) and len(value) == 5 and isinstance(value[0], tuple)):
        return False, None
    facts, summarised, declares, registers, local = value
    if not all(isinstance(f, tuple) and len(f) == 2 and isinstance(f[0], str) for f in facts):
        return False, None
    if local is not None:
        if not (isinstance(local, tuple) and len(local) == 2
                and all(isinstance(names, frozenset) for names in local)):
            return False, None
        local = LocalDeclarations(local[0], local[1])
    return True, _FileText(facts, bool(summarised), bool(declares), bool(registers), local)


def _keep(path: str, text: Optional[_FileText]) -> None:
    """Keep ``text`` for the process (see _FileText: the plain tuple, ``local`` apart)."""
    if text is None:
        CACHE.file_text[path] = None
        CACHE.file_local.pop(path, None)  # (the two tables describe the same files)
        return
    CACHE.file_text[path] = (text.facts, text.summarised, text.declares, text.registers)
    if text.local is not None:
        CACHE.file_local[path] = text.local
    else:
        CACHE.file_local.pop(path, None)


def _stored(path: str, store: Store) -> tuple[bool, Optional[_FileText]]:
    """(True, summary) when the persistent store holds one for ``path`` as it is now."""
    stamp = file_stamp(path)
    if stamp == MISSING:
        return False, None
    hit, value = store.get(_KIND, path, stamp)
    if not hit:
        return False, None
    valid, text = _decode(value)
    if valid:
        CACHE.stamps[path] = stamp  # what the kept answer rests on (freshness)
        _keep(path, text)
    return valid, text


def _file_text(
    path: str, facts: dict[str, TextFact], summarise: bool = True, store: Optional[Store] = None
) -> tuple[Optional[_FileText], Optional[bytes]]:
    """The kept summary of ``path`` with ``facts`` computed (and the scan's part if
    ``summarise``), and the file's bytes if they were read just now.

    Kept for the process, and in the persistent ``store`` when there is one: a
    later run reads the file again only if its size or mtime changed.
    """
    table = CACHE.file_text
    raw = table.get(path)
    if raw is None and path not in table and store is not None:
        found, text = _stored(path, store)
        if found and text is None:
            return None, None  # unreadable, as it was
        if found:
            raw = table[path]
    if raw is None and path in table:
        return None, None  # unreadable
    known = _FileText(*raw, CACHE.file_local.get(path)) if raw is not None else None
    if (
        known is not None
        and (known.summarised or not summarise)
        and all(known.has_fact(name) for name in facts)
    ):
        return known, None
    data = files.read_source(path)
    if data is None:
        _keep(path, None)
        if store is not None:
            store.put(_KIND, path, CACHE.stamps.get(path, MISSING), None)
        return None, None
    if known is None:
        known = _FileText()
    if summarise and not known.summarised:
        # declaring a dependency needs an import of fastapi in the same file
        # (substring tests first: the regex alone costs several times more)
        declares = (
            b"fastapi" in data
            and (b"Depends" in data or b"Security" in data)
            and _DEP_TEXT.search(data) is not None
        )
        registers = (b"add_api_" in data and _ADD_ROUTE_TEXT.search(data) is not None) or (
            b")(" in data and b"fastapi" in data and _APPLIED_ROUTE_TEXT.search(data) is not None
        )
        known = known._replace(
            summarised=True,
            declares=declares,
            registers=registers,
            local=local_declarations(data) if declares else None,
        )
    added = tuple(
        (name, compute(data)) for name, compute in facts.items() if not known.has_fact(name)
    )
    if added:
        known = known._replace(facts=known.facts + added)
    _keep(path, known)
    if store is not None:
        stamp = CACHE.stamps.get(path, MISSING)
        store.remember_content(path, stamp, data)  # (a new mtime of the same bytes: still valid)
        store.put(_KIND, path, stamp, _encode(known))
    return known, data
