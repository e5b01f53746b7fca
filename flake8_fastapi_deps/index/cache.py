"""Every table the project index keeps for the life of the process, in one object.

Each table is an answer that depends only on the file system (taken not to
change while flake8 runs) or on a file's bytes, so it is shared by every
project of the process.  :meth:`ProcessCache.clear` forgets all of them at once
(tests do so between fixture projects; ``project.clear_cache`` calls it).

Tables are emptied in place, never replaced, so a module may keep a reference
to one.  Tables of modules above the index (the registry of projects) are kept
under typed :class:`~flake8_fastapi_deps.memo.Slot` keys in :attr:`ProcessCache.cache`.
"""

from __future__ import annotations

from typing import Optional

from ..textscan import LocalDeclarations

# What the dependency scan learnt from one file's bytes: (text facts as
# (name, value) pairs, summarised, declares); see ``scan._FileText``.
FileTextRow = tuple[tuple[tuple[str, object], ...], bool, bool]


class ProcessCache:
    """The process-wide tables of the index, with one :meth:`clear`."""

    __slots__ = ("modes", "real", "marked", "roots", "file_text", "file_local", "cache")

    def __init__(self) -> None:
        # path -> st_mode (following links), 0 if it cannot be stat'ed (files.is_file)
        self.modes: dict[str, int] = {}
        self.real: dict[str, str] = {}  # path -> os.path.realpath(path) (files.real_path)
        # folder -> nearest folder holding a root marker (files.find_root)
        self.marked: dict[str, Optional[str]] = {}
        self.roots: dict[str, Optional[str]] = {}  # folder of a linted file -> its project root
        # path -> what the scan learnt from its bytes, None when unreadable; and the
        # ``local`` summaries apart, so that the big table holds only untracked tuples
        self.file_text: dict[str, Optional[FileTextRow]] = {}
        self.file_local: dict[str, LocalDeclarations] = {}
        # tables of the modules above the index, under typed memo slots
        self.cache: dict[object, object] = {}

    def clear(self) -> None:
        """Forget every answer kept for the process."""
        self.modes.clear()
        self.real.clear()
        self.marked.clear()
        self.roots.clear()
        self.file_text.clear()
        self.file_local.clear()
        self.cache.clear()


CACHE = ProcessCache()

__all__ = ["CACHE", "FileTextRow", "ProcessCache"]
