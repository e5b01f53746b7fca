"""The file system side of the index: project roots, listing, reading, parsing.

Answers about paths are kept in :data:`~.cache.CACHE` for the process (the tree
is taken not to change while flake8 runs).  Reading never blocks and refuses
whatever is not a regular, reasonably sized, NUL-free file; decoding follows
PEP 263 (a ``coding`` line, else UTF-8); whatever cannot be used is skipped
quietly (None).
"""

from __future__ import annotations

import ast
import fnmatch
import io
import logging
import os
import re
import stat
import sys
import time
import tokenize
import warnings
from collections.abc import Iterable, Sequence
from typing import Callable, Optional

from .cache import CACHE, Stamp

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_PROJECT_FILES = 100_000  # listed; at most scan.SCAN_BUDGET of them are read for one file
SKIP_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "dist-packages", "build", "dist"}
)
_NESTED_MARKERS = frozenset((*ROOT_MARKERS, "pyvenv.cfg"))
# flake8 configures its "flake8" logger under -v (INFO) and -vv (DEBUG): ours is its child
LOG = logging.getLogger("flake8.fastapi_deps")


# --------------------------------------------------------------------------- stat

MISSING: Stamp = (-1, -1)  # the stamp of a path that cannot be stat'ed


def file_stamp(path: str) -> Stamp:
    """``(size, mtime_ns)`` of ``path`` now (following links), :data:`MISSING` if none."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return MISSING
    return (info.st_size, info.st_mtime_ns)


def run_stamp(path: str) -> Stamp:
    """The stamp of ``path`` this run rests on: as read (or as a kept answer recorded
    it), else stat'ed now and kept.  Within one run files are taken as constant, and a
    new run checks every kept stamp first (:func:`changed_files`)."""
    stamp = CACHE.stamps.get(path)
    if stamp is None:
        stamp = CACHE.stamps[path] = file_stamp(path)
    return stamp


def changed_files() -> list[str]:
    """The files read so far whose stamp on disk is no longer the one read.

    Their per-file answers are forgotten here (see :meth:`~.cache.ProcessCache.forget_file`).
    """
    stamps = CACHE.stamps
    changed = [path for path, stamp in stamps.items() if file_stamp(path) != stamp]
    for path in changed:
        CACHE.forget_file(path)
    return changed


def _mode(path: str) -> int:
    modes = CACHE.modes
    mode = modes.get(path)
    if mode is None:
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            mode = 0
        modes[path] = mode
    return mode


def is_file(path: str) -> bool:
    """``os.path.isfile``, remembered."""
    return stat.S_ISREG(_mode(path))


def exists(path: str) -> bool:
    """``os.path.exists``, remembered."""
    return _mode(path) != 0


def real_path(path: str) -> str:
    """``os.path.realpath``, remembered for the process.

    ``os.path.realpath`` costs a stat per part of the path; files of one folder
    share the folder's answer, so a new file costs one ``lstat`` (is it a
    symlink itself?).  A symlink, or ``.``/``..`` as the last part, takes the
    full route.
    """
    known = CACHE.real
    real = known.get(path)
    if real is not None:
        return real
    pending: list[tuple[str, str]] = []  # (path, last part): parent's answer + part
    current = path
    while True:
        real = known.get(current)
        if real is not None:
            break
        head, tail = os.path.split(current)
        if head and tail and tail not in (os.curdir, os.pardir) and not os.path.islink(current):
            pending.append((current, tail))
            current = head
            continue
        real = known[current] = os.path.realpath(current)
        break
    for item, tail in reversed(pending):
        real = known[item] = os.path.join(real, tail)
    return real


# --------------------------------------------------------------------------- roots


def find_root(path: str) -> Optional[str]:
    """The project root for ``path`` (absolute), or None when there is none.

    The nearest ancestor holding a root marker; else the parent of the top of
    the package chain (directories with ``__init__.py``); else None, which means
    the file is alone and only it is analysed.
    """
    directory = os.path.dirname(path)
    marked = _marked_ancestor(directory)
    if marked is not None:
        return marked
    top = None
    current = directory
    while is_file(os.path.join(current, "__init__.py")):
        top = current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return os.path.dirname(top) if top is not None else None


def project_root(folder: str, path: str) -> Optional[str]:
    """:func:`find_root` of ``path`` (absolute), kept per ``folder`` (its folder)."""
    roots = CACHE.roots
    if folder in roots:
        return roots[folder]
    root = roots[folder] = find_root(path)
    return root


def _marked_ancestor(directory: str) -> Optional[str]:
    """The nearest of ``directory`` and its ancestors holding a root marker (cached per folder)."""
    marked = CACHE.marked
    walked: list[str] = []
    current = directory
    found: Optional[str] = None
    while True:
        if current in marked:
            found = marked[current]
            break
        walked.append(current)
        if any(exists(os.path.join(current, m)) for m in ROOT_MARKERS):
            found = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in walked:
        marked[folder] = found
    return found


def is_test_path(rel_parts: tuple[str, ...], patterns: Iterable[str]) -> bool:
    if not rel_parts:
        return False
    name = rel_parts[-1]
    if any(part in ("tests", "test") for part in rel_parts[:-1]):
        return True
    return any(fnmatch.fnmatch(name, pat) for pat in patterns)


# --------------------------------------------------------------------------- listing


# A folder as listed: (mtime_ns, its .py file names, its subfolder names (both
# sorted, less what ``exclude`` skips), does it hold a root marker or
# pyvenv.cfg of its own).  An mtime of -1 marks a folder listed within a second
# of changing (not to be trusted later).
Folder = tuple[int, tuple[str, ...], tuple[str, ...], bool]
FolderTable = dict[str, Folder]
_SETTLED_NS = 1_000_000_000  # a folder changed more recently than this is listed again next time


def exclusion(patterns: Iterable[str]) -> Optional[re.Pattern[str]]:
    """flake8's ``exclude``/``extend-exclude`` patterns as one regular expression
    (None: no pattern).  flake8 tests a path's basename, then its absolute path,
    against each pattern with ``fnmatch`` (``utils.matches_filename``); patterns
    holding a ``/`` were made absolute by flake8 already."""
    parts = [fnmatch.translate(os.path.normcase(p)) for p in patterns if p]
    return re.compile("|".join(f"(?:{part})" for part in parts)) if parts else None


def excluded(path: str, pattern: Optional[re.Pattern[str]]) -> bool:
    """Would flake8's ``exclude`` skip ``path`` (absolute)?"""
    if pattern is None:
        return False
    base = os.path.basename(path)
    if base not in (".", "..") and pattern.match(os.path.normcase(base)):
        return True
    return pattern.match(os.path.normcase(path)) is not None


# The listing: each folder holding listed files, with their names, in listing order.
Listed = tuple[tuple[str, tuple[str, ...]], ...]


class ProjectFiles:
    """The files of one project root (or none, for a lone file: ``root`` None),
    less those flake8's ``exclude``/``extend-exclude`` patterns skip.

    ``folders``: a place to keep the listing across runs, ``(get, put)`` of a
    :data:`FolderTable` (the persistent store; its partition holds the exclude
    patterns): a folder whose mtime is unchanged is not listed again (adding,
    removing or renaming an entry changes its folder's mtime), so listing a
    large project costs a ``stat`` per folder instead of a look at every entry.

    The listing is kept per folder (:meth:`listed`); the flat tuple of paths
    (:meth:`files`) is made only when a question needs every file, so that
    questions about one part of a large project (:meth:`files_below`,
    :meth:`count`, :meth:`folder_counts`) cost what that part costs.
    """

    def __init__(
        self,
        root: Optional[str],
        exclude: Iterable[str] = (),
        folders: Optional[tuple[Callable[[], FolderTable], Callable[[FolderTable], None]]] = None,
    ) -> None:
        self.root = real_path(root) if root else None
        self._exclude = exclusion(exclude)
        self._listed: Optional[Listed] = None
        self._files: Optional[tuple[str, ...]] = None
        self._names: Optional[dict[str, tuple[str, ...]]] = None  # folder -> its listed names
        self._paths: dict[str, tuple[str, ...]] = {}  # folder -> its listed files (asked for)
        self._count = -1
        self._folders = folders

    def inside(self, path: str) -> bool:
        if self.root is None:
            return False
        real = real_path(path)
        return real == self.root or real.startswith(self.root + os.sep)

    def listed(self) -> Listed:
        """Every folder holding Python files below the root, with their names, in
        listing order (bounded; no symlinked directories).

        Folders are skipped when hidden, in :data:`SKIP_DIRS`, or holding a
        root marker or ``pyvenv.cfg`` of their own (another project, a virtual
        environment).  One directory listing per folder answers all of it.
        """
        if self._listed is None:
            self._listed = self._list()
        return self._listed

    def files(self) -> tuple[str, ...]:
        """Every Python file below the root, in listing order (see :meth:`listed`).
        A tuple of strings, which the garbage collector stops tracking."""
        if self._files is None:
            self._files = tuple(
                prefix + name
                for folder, names in self.listed()
                for prefix in (_slash(folder),)
                for name in names
            )
        return self._files

    def count(self) -> int:
        """How many files :meth:`files` holds (without making it)."""
        if self._count < 0:
            self._count = sum(len(names) for _, names in self.listed())
        return self._count

    def folder_counts(self) -> dict[str, int]:
        """For each folder holding listed files, how many (directly in it)."""
        return {folder: len(names) for folder, names in self.listed()}

    def files_in(self, folder: str) -> tuple[str, ...]:
        """The files listed directly in ``folder`` (empty: none), in listing order."""
        paths = self._paths.get(folder)
        if paths is None:
            if self._names is None:
                self._names = dict(self.listed())
            prefix = _slash(folder)
            paths = self._paths[folder] = tuple(prefix + name for name in self._names.get(folder, ()))
        return paths

    def files_below(self, base: str) -> Sequence[str]:
        """The listed files below folder ``base``, in listing order."""
        if base == self.root:
            return self.files()
        inner = _slash(base)
        return [
            prefix + name
            for folder, names in self.listed()
            if folder == base or folder.startswith(inner)
            for prefix in (_slash(folder),)
            for name in names
        ]

    def same_listing(self) -> bool:
        """Does listing the root again give the files listed before?  (False when
        they were never listed: answers may rest on the absence of a file.)"""
        if self._listed is None:
            return False
        return self._list() == self._listed

    def _list(self) -> Listed:
        if self.root is None:
            return ()
        if self._folders is None:
            return list_folders(self.root, self._exclude)
        get, put = self._folders
        known = get()
        seen: FolderTable = {}
        listed = list_folders(self.root, self._exclude, known, seen)
        if seen != known:
            put(seen)
        return listed


def _slash(folder: str) -> str:
    """``folder`` with one trailing separator (``os.path.join(folder, name)`` is this + name)."""
    return folder if folder.endswith(os.sep) else folder + os.sep


def list_folders(
    root: str,
    exclude: Optional[re.Pattern[str]] = None,
    known: Optional[FolderTable] = None,
    seen: Optional[FolderTable] = None,
) -> Listed:
    """The folders below ``root`` holding ``.py`` files, with those files' names,
    in sorted pre-order (files of a folder, then its subfolders), as ``os.walk``
    would; files and folders matching ``exclude`` (see :func:`exclusion`) are
    left out, as flake8 leaves them out.  ``.gitignore`` is not read.  At most
    :data:`MAX_PROJECT_FILES` names in all.

    ``known``: folders listed before with the same ``exclude`` (reused while
    their mtime holds); every folder visited is recorded in ``seen``.
    """
    listed: list[tuple[str, tuple[str, ...]]] = []
    total = 0
    stack = [root]
    while stack and total < MAX_PROJECT_FILES:
        directory = stack.pop()
        folder = _folder(directory, exclude, known)
        if folder is None:
            continue
        if seen is not None:
            seen[directory] = folder
        _, names, folders, nested = folder
        if directory != root and nested:
            continue  # a project of its own, or a virtual environment
        if names:
            names = names[: MAX_PROJECT_FILES - total]
            listed.append((directory, names))
            total += len(names)
        stack.extend(os.path.join(directory, name) for name in reversed(folders))
    return tuple(listed)


def _folder(
    directory: str, exclude: Optional[re.Pattern[str]], known: Optional[FolderTable]
) -> Optional[Folder]:
    """``directory`` as listed now (from ``known`` while its mtime holds), or None."""
    try:
        mtime = os.stat(directory).st_mtime_ns
    except (OSError, ValueError):
        return None
    if known is not None:
        kept = known.get(directory)
        if kept is not None and kept[0] == mtime:
            return kept
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
    except OSError:
        return None
    nested = any(e.name in _NESTED_MARKERS for e in entries)
    names: list[str] = []
    folders: list[str] = []
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            if name.endswith(".py") and not excluded(os.path.join(directory, name), exclude):
                names.append(name)
        elif (
            not name.startswith(".") and name not in SKIP_DIRS and not entry.is_symlink()
            and not excluded(os.path.join(directory, name), exclude)
        ):
            folders.append(name)
    if time.time_ns() - mtime < _SETTLED_NS:
        mtime = -1  # may change again within the clock's resolution: list it next time
    return (mtime, tuple(sorted(names)), tuple(sorted(folders)), nested)


# --------------------------------------------------------------------------- reading


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_source(path: str) -> Optional[bytes]:
    """The bytes of a Python file we may parse, or None (quietly) if we may not.

    One ``open`` and one ``fstat`` on the descriptor: non-blocking, so a named
    pipe cannot hang the run, and anything but a regular file is refused, as is
    a file over :data:`MAX_FILE_BYTES` or holding a NUL byte.
    The file's stamp is recorded (:attr:`~.cache.ProcessCache.stamps`): what is
    learnt from these bytes is trusted in a later run only while it holds.
    """
    stamps = CACHE.stamps
    try:
        fd = os.open(path, _READ_FLAGS)
    except (OSError, ValueError):
        stamps[path] = file_stamp(path)
        return None
    try:
        info = os.fstat(fd)
        stamps[path] = (info.st_size, info.st_mtime_ns)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        chunks = [os.read(fd, info.st_size + 1)]
        size = len(chunks[0])
        # The size read is the size stated: done.  Otherwise the file changed
        # (or a read came up short): read on to the end, up to the limit.
        while size != info.st_size and chunks[-1] and size <= MAX_FILE_BYTES:
            chunks.append(os.read(fd, MAX_FILE_BYTES + 1 - size))
            size += len(chunks[-1])
        if size != info.st_size:
            stamps[path] = (size, -2)  # changing while read: read again next run
    except OSError:
        stamps[path] = (-2, -2)
        return None
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > MAX_FILE_BYTES or b"\x00" in data:
        return None
    return data


def decode_source(data: bytes) -> Optional[str]:
    """The text of Python source ``data`` as Python would decode it (PEP 263).

    A ``coding`` line in the first two lines names the codec, a UTF-8 BOM means
    UTF-8, else UTF-8.  None for an unknown codec, a BOM contradicting the
    coding line, or bytes the codec cannot decode.
    """
    if b"coding" not in data:  # the common case: no coding line can be there
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def parse_source(data: bytes, path: str) -> Optional[ast.Module]:
    """The syntax tree of the source ``data`` of ``path``, or None: quietly, but
    said under ``flake8 -v`` (a sibling written for a newer Python takes its
    dependencies and routes with it)."""
    text = decode_source(data)
    if text is None:
        _skipped(path, "cannot be decoded (its coding line or bytes)")
        return None
    try:
        with warnings.catch_warnings():
            # e.g. SyntaxWarning for "\d": not ours to report, and never printed
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path)
    except SyntaxError as error:
        _skipped(path, f"does not parse on Python {sys.version_info[0]}.{sys.version_info[1]} "
                       f"(line {error.lineno}: {error.msg})")
        return None
    except (ValueError, RecursionError, MemoryError, OverflowError) as error:
        _skipped(path, f"cannot be parsed ({type(error).__name__})")
        return None


_SAID: set[str] = set()  # the paths already reported, once a process


def _skipped(path: str, why: str) -> None:
    if path in _SAID or not LOG.isEnabledFor(logging.INFO):
        return
    _SAID.add(path)
    LOG.info("flake8-fastapi-deps: skipping %s: it %s; the routes, dependencies and "
             "declarations in it are not seen by cross-file checks", path, why)


__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PROJECT_FILES",
    "MISSING",
    "Listed",
    "ROOT_MARKERS",
    "SKIP_DIRS",
    "ProjectFiles",
    "decode_source",
    "excluded",
    "exclusion",
    "changed_files",
    "run_stamp",
    "exists",
    "file_stamp",
    "find_root",
    "is_file",
    "is_test_path",
    "list_folders",
    "parse_source",
    "project_root",
    "read_source",
    "real_path",
]
