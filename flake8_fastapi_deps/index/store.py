"""The persistent store: per-file answers kept across runs and shared by ``-j`` workers.

What the index learns from one file's bytes alone (the scan's text summary of
the file, kind ``file text``) is written here, keyed by the file's path, size
and ``mtime_ns``, so that a later run whose files did not change reads none of
them again; and what the scan learns from a parsed file (kind ``file scan``,
see :mod:`.filescan`), valid while the files it rests on and the project's
file listing are unchanged.

* stdlib :mod:`sqlite3` in WAL mode: each process (each ``-j`` worker) opens its
  own connection; readers never wait for a writer.  Writes are short
  transactions made between analyses (never held across one), with a small
  busy timeout: a store that stays locked is skipped, not waited for.  A write
  that finds another writer (a ``-j`` worker) still busy is dropped without a
  word: what it held is learnt again, and written, by a later run.
* Entries are partitioned by a fingerprint of the plugin (version, and the
  size and mtime of its own modules: an edited source tree is a new version),
  the Python version and the options that change summaries.
* A file's entries survive a new mtime of the same bytes (a checkout, a fresh
  clone with a restored cache folder): the digest of each file the scan read is
  kept (kind ``content``), and a stamp of the same size but another mtime is
  settled by reading the file once and comparing digests (:meth:`Store.canonical`).
* Values are serialised with :mod:`marshal`: data only (tuples, strings,
  numbers, booleans, None, frozensets); never pickle.  A value that cannot be
  serialised is simply not stored.
* Entries of files no longer listed are pruned, and the store keeps at most
  :data:`MAX_ENTRIES` entries (the oldest written go first).
* An unwritable, locked, corrupt or other-schema store is never an error: the
  run goes on without it (a corrupt or other-schema one is rebuilt when it
  can be) and says so in at most one line on stderr per process.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sqlite3
import sys
import time
from collections.abc import Iterable
from typing import Any, Optional, cast

from .cache import Stamp
from . import files

SCHEMA = 1  # bump when the tables or the meaning of a kind's values change
MAX_ENTRIES = 200_000
BUSY_TIMEOUT_MS = 250  # -j workers writing at once wait this long for each other
MAX_PENDING = 20_000  # rows a process keeps queued while other writers hold the store
_OPEN_ATTEMPTS = 5  # opening a store another worker is creating: tries, 50 ms apart and growing
DB_NAME = "index.sqlite3"
_FILES = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm")

_said: list[str] = []  # the one line said on stderr by this process, if any


def say_once(message: str) -> None:
    """Say ``message`` on stderr unless this process has already said something."""
    if _said:
        return
    _said.append(message)
    # one write of the whole line: -j workers sharing stderr do not interleave it
    sys.stderr.write(f"flake8-fastapi-deps: {message}\n")
    sys.stderr.flush()


def default_folder(root: str) -> str:
    """The per-user store folder of the project at ``root`` (outside any project)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return os.path.join(base, "flake8-fastapi-deps", digest)


def store_folder(root: str, cache_dir: Optional[str]) -> str:
    """Where the store of the project at ``root`` lives (``--fad-cache-dir`` or the default)."""
    return os.path.abspath(cache_dir) if cache_dir else default_folder(root)


def _plugin_fingerprint() -> str:
    """The plugin's version and the stamps of its own modules (an edit is a new version)."""
    from .. import __version__

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = [__version__, sys.version, str(SCHEMA)]
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                try:
                    info = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                parts.append(f"{os.path.relpath(os.path.join(folder, name), package)}"
                             f":{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts)


_FINGERPRINT: list[str] = []


def partition(summary_options: Iterable[object]) -> str:
    """The partition key: plugin fingerprint, Python version, summary options (hashed)."""
    if not _FINGERPRINT:
        _FINGERPRINT.append(_plugin_fingerprint())
    text = _FINGERPRINT[0] + "\n" + repr(tuple(summary_options))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def dumps(value: object) -> Optional[bytes]:
    """``value`` serialised with marshal, or None when it is not plain data."""
    try:
        return marshal.dumps(cast(Any, value))
    except ValueError:
        return None


CONTENT_KIND = "content"  # path -> (digest of its bytes, the stamp its entries are under)


def _content_digest(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def loads(blob: bytes) -> tuple[bool, object]:
    """(True, value) for a blob :func:`dumps` wrote; (False, None) for anything else."""
    try:
        return True, marshal.loads(blob)
    except (ValueError, EOFError, TypeError):
        return False, None


class Store:
    """One store folder, opened by this process; every failure turns it off quietly."""

    def __init__(self, folder: str, part: str, inside: Optional[str] = None) -> None:
        self.folder = folder
        self.part = part
        self.path = os.path.join(folder, DB_NAME)
        self._inside = inside  # the project root, to put a .gitignore in a folder inside it
        self._db: Optional[sqlite3.Connection] = None
        self._off = False
        self._loaded: dict[tuple[str, str], dict[str, tuple[int, int, bytes]]] = {}
        self._pending: list[tuple[str, str, str, int, int, bytes, float]] = []
        # entries in the store at most (counted at the first write of the process, then
        # raised by every row written): the table is counted again, and trimmed, only
        # when this passes MAX_ENTRIES, not at every write (a count walks every entry)
        self._bound: Optional[int] = None
        # path -> (stamp asked, the stamp the entries of that content were written under)
        self._canonical: dict[str, tuple[Stamp, Stamp]] = {}

    # ---------------------------------------------------------------- connection

    def _connect(self) -> Optional[sqlite3.Connection]:
        if self._off:
            return None
        if self._db is not None:
            return self._db
        try:
            self._db = self._open_waiting()
        except (sqlite3.Error, OSError) as error:
            if isinstance(error, sqlite3.DatabaseError) and _corrupt(error):
                self._db = self._rebuild(f"cache {self.path} was unreadable ({error}); rebuilt it")
            else:
                self._fail(error)
        return self._db

    def _open(self) -> sqlite3.Connection:
        os.makedirs(self.folder, exist_ok=True)
        self._write_gitignore()
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()
            if not mode or str(mode[0]).lower() != "wal":
                raise sqlite3.OperationalError("cannot switch the store to WAL mode")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                with _transaction(db):
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS entries (part TEXT, kind TEXT, path TEXT,"
                        " size INTEGER, mtime INTEGER, value BLOB, written REAL,"
                        " PRIMARY KEY (part, kind, path)) WITHOUT ROWID"
                    )
            elif row[0] != str(SCHEMA):
                raise _OtherSchema(row[0])
            db.execute("SELECT count(*) FROM entries WHERE 0").fetchone()  # a usable table
        except BaseException:
            db.close()
            raise
        return db

    def _rebuild(self, message: str) -> Optional[sqlite3.Connection]:
        """Delete the store's files and open it anew; None (store off) if that fails."""
        try:
            for name in _FILES:
                try:
                    os.remove(os.path.join(self.folder, name))
                except FileNotFoundError:
                    pass
            db = self._open()
        except (sqlite3.Error, OSError) as error:
            self._fail(error)
            return None
        say_once(message)
        return db

    def _open_waiting(self) -> sqlite3.Connection:
        """:meth:`_open`, tried again a few times while another process (a -j worker
        creating the same new store, switching it to WAL) holds it."""
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                return self._open()
            except sqlite3.OperationalError as error:
                if not _busy(error) or attempt == _OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _fail(self, error: BaseException) -> None:
        self._off = True
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None
        say_once(f"cache {self.path} not used ({error}); findings are unchanged")

    def _write_gitignore(self) -> None:
        root = self._inside
        if root is None or not (self.folder + os.sep).startswith(root.rstrip(os.sep) + os.sep):
            return
        ignore = os.path.join(self.folder, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w", encoding="utf-8") as out:
                out.write("# Automatically created by flake8-fastapi-deps.\n*\n")

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    # ---------------------------------------------------------------- entries

    def entries(self, kind: str) -> dict[str, tuple[int, int, bytes]]:
        """Every entry of ``kind`` in this partition: path -> (size, mtime_ns, value blob).

        Read once per process (one query); empty when the store is off.
        """
        key = (self.part, kind)
        loaded = self._loaded.get(key)
        if loaded is not None:
            return loaded
        loaded = self._loaded[key] = {}
        db = self._connect()
        if db is None:
            return loaded
        try:
            rows = db.execute(
                "SELECT path, size, mtime, value FROM entries WHERE part = ? AND kind = ?", key
            ).fetchall()
        except sqlite3.Error as error:
            if isinstance(error, sqlite3.DatabaseError) and _corrupt(error):
                self.close()
                self._db = self._rebuild(f"cache {self.path} was unreadable ({error}); rebuilt it")
            else:
                self._fail(error)
            return loaded
        for path, size, mtime, value in rows:
            if isinstance(path, str) and isinstance(value, bytes):
                loaded[path] = (size, mtime, value)
        return loaded

    def get(self, kind: str, path: str, stamp: Stamp) -> tuple[bool, object]:
        """(True, value) when the store holds ``kind`` for ``path`` at ``stamp`` (or at
        an earlier stamp of the same content, see :meth:`canonical`)."""
        row = self.entries(kind).get(path)
        if row is None:
            return False, None
        if (row[0], row[1]) != stamp and (row[0], row[1]) != self.canonical(path, stamp):
            return False, None
        return loads(row[2])

    # ---------------------------------------------------------------- content

    def canonical(self, path: str, stamp: Stamp) -> Stamp:
        """The stamp the entries of ``path``'s present content were written under.

        Entries are keyed by ``(size, mtime_ns)``; a checkout, a fresh clone with a
        restored cache folder or a ``touch`` gives a file a new mtime with the same
        bytes.  For a file whose content was recorded (:meth:`remember_content`),
        a new stamp of the same size makes the store read the file once and compare
        digests: the same bytes answer with the stamp its entries were written
        under, and the new stamp is recorded as equivalent (no read next time).
        """
        known = self._canonical.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        result = stamp
        row = self.entries(CONTENT_KIND).get(path)
        if row is not None and stamp[1] >= 0:
            ok, value = loads(row[2])
            if ok and isinstance(value, tuple) and len(value) == 3:
                digest, size, mtime = value
                if (row[0], row[1]) == stamp:
                    result = (size, mtime)
                elif row[0] == stamp[0] and (size, mtime) != stamp:
                    data = files.read_source(path)
                    if data is not None and _content_digest(data) == digest:
                        result = (size, mtime)
                        self._queue(CONTENT_KIND, path, stamp, value)
        self._canonical[path] = (stamp, result)
        return result

    def remember_content(self, path: str, stamp: Stamp, data: bytes) -> None:
        """Record the digest of ``path``'s bytes at ``stamp`` (see :meth:`canonical`)."""
        if self._off or stamp[1] < 0:
            return
        digest = _content_digest(data)
        row = self.entries(CONTENT_KIND).get(path)
        canonical = stamp
        if row is not None:
            ok, value = loads(row[2])
            if ok and isinstance(value, tuple) and len(value) == 3 and value[0] == digest:
                canonical = (value[1], value[2])  # the same bytes as when recorded
        self._canonical[path] = (stamp, canonical)
        self._queue(CONTENT_KIND, path, stamp, (digest, canonical[0], canonical[1]))

    def _queue(self, kind: str, path: str, stamp: Stamp, value: object) -> None:
        blob = dumps(value)
        if blob is None or self._off:
            return
        known = self.entries(kind).get(path)
        if known is not None and known == (stamp[0], stamp[1], blob):
            return
        self.entries(kind)[path] = (stamp[0], stamp[1], blob)
        self._pending.append((self.part, kind, path, stamp[0], stamp[1], blob, time.time()))

    def put(self, kind: str, path: str, stamp: Stamp, value: object) -> None:
        """Queue ``value`` for ``path`` at ``stamp`` (written by :meth:`flush`)."""
        if self._off or stamp[1] < 0:
            return
        self._queue(kind, path, self.canonical(path, stamp), value)

    def flush(self, kind: str = "", listed: Optional[Iterable[str]] = None,
              root: Optional[str] = None) -> None:
        """Write what was queued, in one short transaction.

        With ``listed`` (every file now below ``root``): entries of ``kind`` for
        files below ``root`` that are no longer listed are deleted too.
        """
        stale: list[str] = []
        if listed is not None and root is not None and kind:
            prefix = root.rstrip(os.sep) + os.sep
            keep = set(listed)
            entries = self.entries(kind)
            stale = [p for p in entries if p.startswith(prefix) and p not in keep]
            for path in stale:
                del entries[path]
        if not self._pending and not stale:
            return
        db = self._connect()
        if db is None:
            self._pending.clear()
            return
        pending, self._pending = self._pending, []
        try:
            with _transaction(db):
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)", pending)
                db.executemany(
                    "DELETE FROM entries WHERE part = ? AND kind = ? AND path = ?",
                    [(self.part, kind, path) for path in stale],
                )
                bound = self._bound
                if bound is None or bound + len(pending) > MAX_ENTRIES:
                    count = db.execute("SELECT count(*) FROM entries").fetchone()[0]
                    if count > MAX_ENTRIES:
                        db.execute(
                            "DELETE FROM entries WHERE (part, kind, path) IN (SELECT part, kind,"
                            " path FROM entries ORDER BY written LIMIT ?)",
                            (count - MAX_ENTRIES,),
                        )
                        count = MAX_ENTRIES
                    self._bound = count
                else:
                    self._bound = bound + len(pending)
        except sqlite3.Error as error:
            if _busy(error):
                # another process (a -j worker) is writing: the rows wait for this
                # process's next write (after its next file), up to a bound; not worth
                # a word. (Dropped, they were learnt again only by a later run: a -j2
                # run under load lost the kept findings of many files.)
                kept = pending + self._pending
                self._pending = kept[-MAX_PENDING:]
                return
            self._fail(error)


def _busy(error: sqlite3.Error) -> bool:
    """The database was locked by another writer beyond the busy timeout."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


class _OtherSchema(sqlite3.DatabaseError):
    """The store was written with another layout (another plugin version)."""

    def __init__(self, found: object) -> None:
        super().__init__(f"schema {found!r}, not {SCHEMA}")


def _corrupt(error: sqlite3.DatabaseError) -> bool:
    """A store to delete and rebuild (not one that is locked or unwritable)."""
    if isinstance(error, _OtherSchema):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return False
    return True


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error), on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self._db.execute("COMMIT")
        else:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass


# --------------------------------------------------------------------------- the CLI's questions


def info(folder: str) -> dict[str, object]:
    """What ``python -m flake8_fastapi_deps cache info`` shows about ``folder``."""
    path = os.path.join(folder, DB_NAME)
    size = sum(
        os.path.getsize(os.path.join(folder, name))
        for name in _FILES
        if os.path.isfile(os.path.join(folder, name))
    )
    found: dict[str, object] = {"path": path, "exists": os.path.isfile(path), "bytes": size}
    if not found["exists"]:
        return found
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            schema = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            found["schema"] = schema[0] if schema else None
            found["entries"] = db.execute("SELECT count(*) FROM entries").fetchone()[0]
            found["partitions"] = db.execute(
                "SELECT part, count(*) FROM entries GROUP BY part ORDER BY part"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error as error:
        found["error"] = str(error)
    return found


def clear(folder: str) -> list[str]:
    """Delete the store in ``folder``; the files removed."""
    removed = []
    for name in (*_FILES, ".gitignore"):
        target = os.path.join(folder, name)
        if os.path.isfile(target):
            os.remove(target)
            removed.append(target)
    try:
        os.rmdir(folder)
    except OSError:
        pass
    return removed


__all__ = [
    "CONTENT_KIND", "MAX_ENTRIES", "SCHEMA", "Store", "clear", "default_folder", "dumps", "info", "loads",
    "partition", "say_once", "store_folder",
]
