"""Answers about the file system, remembered for the process.

Moved to :mod:`flake8_fastapi_deps.index.files` (the table is in the index's
process cache, emptied by its one ``clear``); this module keeps the old import
path working.
"""

from __future__ import annotations

from .index.files import exists, is_file

__all__ = ["exists", "is_file"]
