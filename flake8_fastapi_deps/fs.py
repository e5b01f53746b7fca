"""Answers about the file system, remembered for the process.

The tree is taken not to change while flake8 runs (as every cache of the
project index does); each path is stat'ed at most once.
"""

from __future__ import annotations

import os
import stat

_MODES: dict[str, int] = {}  # path -> st_mode (following links), 0 if it cannot be stat'ed


def _mode(path: str) -> int:
    mode = _MODES.get(path)
    if mode is None:
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            mode = 0
        _MODES[path] = mode
    return mode


def is_file(path: str) -> bool:
    """``os.path.isfile``, remembered."""
    return stat.S_ISREG(_mode(path))


def exists(path: str) -> bool:
    """``os.path.exists``, remembered."""
    return _mode(path) != 0


def clear() -> None:
    _MODES.clear()


__all__ = ["clear", "exists", "is_file"]
