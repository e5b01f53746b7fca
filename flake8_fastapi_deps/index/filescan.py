"""What the project scan learns from one parsed file, kept in the persistent store.

The dependency scan (:mod:`.scan`) parses a file that declares dependencies
its text alone does not settle, or that may register routes by a call,
resolves each ``Depends``/``Security`` marker and registration, and keeps
four things: the names of generator dependencies, the names that gate
FastAPI-free files, the functions of *other* files it declares as
dependencies, and those it registers as routes (``add_api_route(path, fn)``,
``app.get(path)(fn)``).  :class:`FileScan` is that contribution as plain data,
written to the store under the kind :data:`KIND`, so that a later run takes it from
there without parsing the file.

The answer rests on more than the file's bytes: resolving a marker reads
other modules, and which file an import names depends on the files present.
So each entry holds

* ``consulted``: every project file whose model was asked for while the file
  was processed (the file itself included), with its ``(size, mtime_ns)``;
* ``context``: a digest of the project's file listing and import roots
  (:func:`context_digest`): a file added, removed or renamed anywhere in the
  project, which may change what an import resolves to, invalidates every
  entry at once.

An entry is used only when the file's own stamp, every consulted file's stamp
and the context are unchanged.  A declaration is kept as the index of its
marker in the declaring module (``ModuleInfo.marker_uses``): the module is
parsed again only when a rule asks for the declarations naming one function
(``declarations_elsewhere``), and then no marker needs resolving.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable
from typing import NamedTuple, Optional

from .files import Listed

KIND = "file scan"  # the store's kind for FileScan rows

# (target path, def line, def col, marker index): in the order the scan met them
Target = tuple[str, int, int, int]
# (real path, size, mtime_ns)
Consulted = tuple[str, int, int]
# (target path, def line, def col, websocket 0/1): a function of another file
# registered as a route by a call in this one (``add_api_route``, ``app.get(p)(fn)``)
RouteTarget = tuple[str, int, int, int]


class FileScan(NamedTuple):
    """One parsed file's contribution to the project scan (see the module doc)."""

    context: str
    yield_names: frozenset[str]
    gate_names: frozenset[str]
    targets: tuple[Target, ...]
    consulted: tuple[Consulted, ...]
    routes: tuple[RouteTarget, ...] = ()


def context_digest(import_roots: Iterable[str], listing: Listed) -> str:
    """A digest of the import roots and the project's file listing (in order; one
    serialisation of the per-folder listing, not a pass over every path)."""
    digest = hashlib.sha1(usedforsecurity=False)
    for root in import_roots:
        digest.update(root.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(b"\1")
    digest.update(marshal.dumps(listing))
    return digest.hexdigest()


def encode(summary: FileScan) -> object:
    """``summary`` as plain data for the store (marshal)."""
    return tuple(summary)


def decode(value: object) -> Optional[FileScan]:
    """The :class:`FileScan` :func:`encode` stored, or None when ``value`` is not one."""
    if not (isinstance(value, tuple) and len(value) == 6):
        return None
    context, yields, gates, targets, consulted, routes = value
    if not (
        isinstance(context, str)
        and isinstance(yields, frozenset)
        and isinstance(gates, frozenset)
        and isinstance(targets, tuple)
        and isinstance(consulted, tuple)
        and isinstance(routes, tuple)
    ):
        return None
    for target in (*targets, *routes):
        if not (
            isinstance(target, tuple)
            and len(target) == 4
            and isinstance(target[0], str)
            and all(isinstance(n, int) for n in target[1:])
        ):
            return None
    for entry in consulted:
        if not (
            isinstance(entry, tuple)
            and len(entry) == 3
            and isinstance(entry[0], str)
            and isinstance(entry[1], int)
            and isinstance(entry[2], int)
        ):
            return None
    return FileScan(context, yields, gates, targets, consulted, routes)


__all__ = [
    "KIND", "Consulted", "FileScan", "RouteTarget", "Target", "context_digest", "decode", "encode",
]
