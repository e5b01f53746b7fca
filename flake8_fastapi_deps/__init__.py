"""flake8-fastapi-deps: a flake8 plugin for FastAPI dependency-injection and async pitfalls."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flake8-fastapi-deps")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
