"""Which config file a ``fad-*`` value came from, and ``fad-`` keys nobody reads.

flake8 does not say where an option's value came from (its namespace holds
values only), so a bad value would be named as ``--fad-...`` without the file
the user must edit.  This module finds the files flake8 reads, the same way
flake8 5, 6 and 7 do (``flake8.options.config.load_config``, private, so
reimplemented here from its public behaviour): ``--isolated`` reads none;
``--config FILE`` else the first of ``setup.cfg``, ``tox.ini``, ``.flake8``
holding a ``[flake8]`` section in the current folder or the nearest folder
above it (stopping below the home folder); then each ``--append-config``
file, whose values win.  It is read only to name a file in a message or to
warn about an unknown key, never to decide a value.
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Optional

_CANDIDATES = ("setup.cfg", "tox.ini", ".flake8")


def _read(path: str) -> Optional[configparser.RawConfigParser]:
    parser = configparser.RawConfigParser()
    try:
        if not parser.read(path, encoding="UTF-8"):
            return None
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return parser


def _stat_key(path: str) -> Optional[tuple[int, int]]:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_dev


def _discovered(start: str) -> Optional[str]:
    """flake8's search: the first candidate with a flake8 section, walking up."""
    home = os.path.expanduser("~")
    home_key = _stat_key(home) if home != "~" else None
    path = start
    key = _stat_key(path)
    while True:
        for candidate in _CANDIDATES:
            cfg_path = os.path.join(path, candidate)
            if not os.path.isfile(cfg_path):
                continue
            parser = _read(cfg_path)
            if parser is not None and ("flake8" in parser or "flake8:local-plugins" in parser):
                return cfg_path
        parent = os.path.dirname(path)
        parent_key = _stat_key(parent)
        if parent_key == key or parent_key == home_key or parent_key is None:
            return None
        path, key = parent, parent_key


def _command_line(argv: Sequence[str]) -> argparse.Namespace:
    """flake8's preliminary options (``--config``, ``--append-config``, ``--isolated``).

    flake8 parses them before the others and leaves their defaults on the
    namespace plugins get, so they are read again from the command line."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--config", default=None)
    parser.add_argument("--append-config", action="append", default=[])
    parser.add_argument("--isolated", action="store_true")
    try:
        namespace, _ = parser.parse_known_args(list(argv))
    except SystemExit:  # a malformed command line: flake8 says so itself
        namespace = parser.parse_args([])
    return namespace


def flake8_config_files(
    namespace: object, cwd: Optional[str] = None, argv: Optional[Sequence[str]] = None
) -> list[str]:
    """The config files flake8 read for this run, in the order it read them."""
    given = _command_line(sys.argv[1:] if argv is None else argv)
    if getattr(namespace, "isolated", False) or given.isolated:
        return []
    config = getattr(namespace, "config", None) or given.config
    main = config if isinstance(config, str) else _discovered(os.path.abspath(cwd or os.curdir))
    files = [main] if main else []
    extra = getattr(namespace, "append_config", None) or given.append_config
    files.extend(f for f in extra if isinstance(f, str))
    return files


def _flake8_section(path: str) -> dict[str, str]:
    parser = _read(path)
    if parser is None or "flake8" not in parser:
        return {}
    return dict(parser["flake8"])


def value_origin(files: Iterable[str], key: str) -> Optional[tuple[str, str, str]]:
    """``(file, key as written, raw value)`` of the file whose ``key`` flake8 used
    (the last file giving it; ``-`` and ``_`` spellings alike), or None."""
    wanted = {key, key.replace("-", "_")}
    found: Optional[tuple[str, str, str]] = None
    for path in files:
        for name, value in _flake8_section(path).items():
            if name in wanted:
                found = (path, name, value)
    return found


def unknown_fad_keys(files: Iterable[str], known: Iterable[str]) -> list[tuple[str, str]]:
    """``(file, key)`` of each ``fad-``/``fad_`` key no option of ours reads."""
    names = {k for key in known for k in (key, key.replace("-", "_"))}
    unknown = []
    for path in files:
        for name in _flake8_section(path):
            if name.startswith(("fad-", "fad_")) and name not in names:
                unknown.append((path, name))
    return unknown


def shown_path(path: str, cwd: Optional[str] = None) -> str:
    """``path`` relative to the current folder when inside it (as flake8 prints paths)."""
    try:
        rel = os.path.relpath(path, cwd or os.curdir)
    except ValueError:
        return path
    return path if rel.startswith(os.pardir) else rel


__all__ = ["flake8_config_files", "shown_path", "unknown_fad_keys", "value_origin"]
