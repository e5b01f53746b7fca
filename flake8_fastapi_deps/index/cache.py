"""Every table the project index keeps for the life of the process, in one object.

Each table is an answer that depends only on the file system (taken not to
change while flake8 runs) or on a file's bytes, so it is shared by every
project of the process.  :meth:`ProcessCache.clear` forgets all of them at once
(tests do so between fixture projects; ``project.clear_cache`` calls it).

Freshness: a long-lived process (an editor's flake8 server) runs flake8 many
times.  Each run starts a new *generation* (:meth:`ProcessCache.new_run`, called
by the plugin's ``parse_options``); within one generation files are taken as
constant, as flake8 does.  Every file read records its ``(size, mtime_ns)``
stamp in :attr:`ProcessCache.stamps`; the first use of the tables in a new
generation compares those stamps with the disk and drops what depends on a file
that changed (see ``project.project_for``).

Tables are emptied in place, never replaced, so a module may keep a reference
to one.  Tables of modules above the index (the registry of projects) are kept
under typed :class:`~flake8_fastapi_deps.memo.Slot` keys in :attr:`ProcessCache.cache`.
"""

from __future__ import annotations

from typing import Optional

from ..textscan import LocalDeclarations

# What the dependency scan learnt from one file's bytes: (text facts as
# (name, value) pairs, summarised, declares, registers); see ``filetext._FileText``.
FileTextRow = tuple[tuple[tuple[str, object], ...], bool, bool, bool]
# A file's (size, mtime_ns) when it was read or stat'ed; see files.file_stamp
Stamp = tuple[int, int]


class ProcessCache:
    """The process-wide tables of the index, with one :meth:`clear`."""

    __slots__ = (
        "modes", "real", "marked", "roots", "file_text", "file_local", "cache",
        "stamps", "generation", "checked",
    )

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
        # path -> its stamp when its bytes were read (what every per-file answer rests on)
        self.stamps: dict[str, Stamp] = {}
        self.generation = 0  # the current run (see new_run)
        self.checked = 0  # the run whose start the stamps were last checked against the disk

    def new_run(self) -> None:
        """A new flake8 run starts: before any table is trusted again, what it rests
        on is compared with the disk (once, lazily: see ``project.project_for``)."""
        self.generation += 1

    def forget_paths(self) -> None:
        """Forget the answers about paths and roots: stat answers are cheap to redo,
        and a file or root marker may have appeared or gone since they were given."""
        self.modes.clear()
        self.real.clear()
        self.marked.clear()
        self.roots.clear()

    def forget_file(self, path: str) -> None:
        """Forget what was learnt from the bytes of ``path`` (they changed)."""
        self.stamps.pop(path, None)
        self.file_text.pop(path, None)
        self.file_local.pop(path, None)

    def clear(self) -> None:
        """Forget every answer kept for the process."""
        self.modes.clear()
        self.real.clear()
        self.marked.clear()
        self.roots.clear()
        self.file_text.clear()
        self.file_local.clear()
        self.cache.clear()
        self.stamps.clear()


CACHE = ProcessCache()

__all__ = ["CACHE", "FileTextRow", "ProcessCache", "Stamp"]
