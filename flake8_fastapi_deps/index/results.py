"""A linted file's findings, kept in the persistent store (kind ``findings``).

The answer for one file is a function of its text, the options, the plugin
(the store's partition), and the project around it: the files the scan reads
(every listed file below the file's scan base), the project's listing and
import roots, and any other file a rule read (resolution may leave the scan
base).  All of that is recorded with the findings, so a later run that finds it
all unchanged gives the same findings without analysing anything: an editor
opening a file, or a whole-tree run after an edit elsewhere that does not
reach the file's scan base... conservatively, *any* change below the scan base
(a file's size or ``mtime_ns``), in the listing or in a file read is a miss,
and the file is analysed as usual.

Files read outside the scan base are recorded one by one, or, where a check
read many files of one folder (a module whose imports reach a thousand modules
of a dozen packages, as FAD301's cycle search does), as one digest of the
stamps of every file listed in that folder: an entry stays small, and valid
while those folders hold.

What a hit costs: one lookup, a stat of each file of the scan base and of the
folders recorded (taken once per run and shared by every file that needs
them), and the per-folder listing (no pass over every file of the project).
Entries are pruned with the file, and count towards the store's size bound
like any other.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from itertools import islice
from typing import Callable, Optional

from ..base import Finding
from .cache import CACHE
from .files import MISSING, run_stamp
from .store import Store

KIND = "findings"
# What an entry may record of the files read outside its scan base (beyond: not kept).
# A folder of the listing where the check read at least GROUP_MIN files, and at
# least a quarter of its files, is recorded as one digest of all its files' stamps
# (so a module whose imports reach a thousand files of a dozen packages records
# a dozen rows); other files one by one.
MAX_EXTRAS = 256  # files recorded one by one
MAX_FOLDERS = 256  # folders recorded by digest
MAX_OUTSIDE = 4_096  # files read outside the scan base in all
GROUP_MIN = 8

_Extras = tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns)
_FolderExtras = tuple[tuple[str, str], ...]  # (folder, digest of its files' stamps)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


class ResultStore:
    """Findings per file over a :class:`Store`, valid while what they rest on holds."""

    def __init__(
        self,
        store: Store,
        root: str,
        base_files: Callable[[str], Sequence[str]],
        files_in: Callable[[str], tuple[str, ...]],
        scan_base: Callable[[str], str],
        listing_context: Callable[[], str],
    ) -> None:
        self._store = store
        self._root = root
        self._base_files = base_files
        self._files_in = files_in
        self._scan_base = scan_base
        self._listing_context = listing_context
        # scan base -> (generation, digest of its files' stamps, those files)
        self._bases: dict[str, tuple[int, str, frozenset[str]]] = {}
        # folder -> (generation, digest of the stamps of the files listed in it)
        self._folders: dict[str, tuple[int, str]] = {}
        # scan base -> (generation, stamps seen, the files read below the root but
        # outside the base): CACHE.stamps only grows within a run, so each
        # check looks only at the stamps taken since the last one
        self._outside: dict[str, tuple[int, int, list[str]]] = {}

    def _stamps_digest(self, paths: Sequence[str]) -> str:
        canonical = self._store.canonical
        parts = []
        for path in paths:
            size, mtime = canonical(path, run_stamp(path))
            parts.append(f"{path}\0{size}\0{mtime}")
        return _digest("\n".join(parts))

    def _base(self, base: str) -> tuple[str, frozenset[str]]:
        """Digest of the stamps of the listed files below ``base`` (once per run)."""
        known = self._bases.get(base)
        if known is not None and known[0] == CACHE.generation:
            return known[1], known[2]
        inside = self._base_files(base)
        digest = self._stamps_digest(inside)
        members = frozenset(inside)
        self._bases[base] = (CACHE.generation, digest, members)
        return digest, members

    def _folder(self, folder: str) -> str:
        """Digest of the stamps of the files listed directly in ``folder`` (once per run)."""
        known = self._folders.get(folder)
        if known is not None and known[0] == CACHE.generation:
            return known[1]
        digest = self._stamps_digest(self._files_in(folder))
        self._folders[folder] = (CACHE.generation, digest)
        return digest

    def _context(self, path: str) -> tuple[str, frozenset[str]]:
        base = self._scan_base(path)
        stamps, members = self._base(base)
        return _digest(f"{self._listing_context()}\n{base}\n{stamps}"), members

    def lookup(self, path: str, text: str, options_key: str) -> Optional[list[Finding]]:
        """The findings kept for ``path`` with this text and options, if still valid."""
        stamp = run_stamp(path)
        if stamp == MISSING:
            return None
        hit, value = self._store.get(KIND, path, stamp)
        if not hit or not isinstance(value, tuple) or len(value) != 6:
            return None
        text_digest, options_digest, context, extras, folders, found = value
        if text_digest != _digest(text) or options_digest != options_key:
            return None
        if context != self._context(path)[0]:
            return None
        if not (isinstance(extras, tuple) and isinstance(folders, tuple)
                and isinstance(found, tuple)):
            return None
        for item in extras:
            if not (isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], str)):
                return None
            if self._store.canonical(item[0], run_stamp(item[0])) != (item[1], item[2]):
                return None
        for item in folders:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                return None
            if self._folder(item[0]) != item[1]:
                return None
        result = []
        for item in found:
            if not (
                isinstance(item, tuple)
                and len(item) == 3
                and isinstance(item[0], int)
                and isinstance(item[1], int)
                and isinstance(item[2], str)
            ):
                return None
            result.append(Finding(*item))
        return result

    def remember(
        self, path: str, text: str, options_key: str, findings: Sequence[Finding]
    ) -> None:
        """Keep ``findings`` for ``path`` (call after analysing it)."""
        stamp = run_stamp(path)
        if stamp == MISSING:
            return
        context, members = self._context(path)
        extras = self._extras(path, members)
        if extras is None:
            return
        value = (
            _digest(text),
            options_key,
            context,
            extras[0],
            extras[1],
            tuple((f.line, f.col, f.message) for f in findings),
        )
        self._store.put(KIND, path, stamp, value)

    def _extras(
        self, path: str, members: frozenset[str]
    ) -> Optional[tuple[_Extras, _FolderExtras]]:
        """What stands for the files read so far in this run below the root but
        outside ``path``'s scan base: their stamps one by one, and folders of them
        by digest; None when there are too many, or one changed while read."""
        base = self._scan_base(path)
        stamps = CACHE.stamps
        generation, seen, outside = self._outside.get(base, (-1, 0, []))
        if generation != CACHE.generation or seen > len(stamps):
            seen, outside = 0, []
        if seen < len(stamps):
            prefix = self._root.rstrip(os.sep) + os.sep
            for other in islice(stamps, seen, None):
                if other not in members and other.startswith(prefix):
                    outside.append(other)
            seen = len(stamps)
        self._outside[base] = (CACHE.generation, seen, outside)
        if len(outside) > MAX_OUTSIDE:
            return None
        by_folder: dict[str, list[str]] = {}
        for other in outside:
            stamp = stamps.get(other, MISSING)
            if stamp[0] == -2 or stamp[1] == -2:
                return None  # changing while read: look again next run
            by_folder.setdefault(os.path.dirname(other), []).append(other)
        single: list[str] = []
        folders = []
        for folder, read in by_folder.items():
            listed = frozenset(self._files_in(folder))
            grouped = [p for p in read if p in listed]
            if len(grouped) >= GROUP_MIN and 4 * len(grouped) >= len(listed):
                folders.append((folder, self._folder(folder)))
                single.extend(p for p in read if p not in listed)
            else:
                single.extend(read)
        if len(single) > MAX_EXTRAS or len(folders) > MAX_FOLDERS:
            return None
        extras = []
        for other in single:
            size, mtime = self._store.canonical(other, stamps.get(other, MISSING))
            extras.append((other, size, mtime))
        return tuple(extras), tuple(folders)


def options_key(options: object) -> str:
    """A digest of every option value (the options are a frozen dataclass of plain values)."""
    return _digest(repr(options))


__all__ = ["KIND", "MAX_EXTRAS", "MAX_FOLDERS", "MAX_OUTSIDE", "ResultStore", "options_key"]
