"""The plugin's options: declared once, parsed into a frozen :class:`Options`.

Every option is a ``--fad-*`` flag and an ``fad-*`` key in ``[flake8]`` config
sections.  The same declarations serve flake8's option manager and a plain
``argparse`` parser (used by the tests and ``python -m flake8_fastapi_deps``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Callable, Optional

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class OptionError(ValueError):
    """A bad option value; the message is one line, ready to show the user."""


def _split(option: str, value: object) -> list[str]:
    """Comma/newline separated items; an empty item between commas is an error."""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise OptionError(f"{option}: expected a comma-separated list, got {value!r}")
    if not value.strip():
        return []
    items = [v.strip() for v in re.split(r"[,\n]", value.strip())]
    if len(items) > 1 and not items[-1]:
        items.pop()  # one trailing comma is fine
    if any(not item for item in items):
        raise OptionError(f"{option}: empty name in the list {value.strip()!r}")
    return items


def _names(option: str) -> Callable[[object], tuple[str, ...]]:
    def parse(value: object) -> tuple[str, ...]:
        items = _split(option, value)
        for item in items:
            if not _DOTTED.match(item):
                raise OptionError(f"{option}: {item!r} is not a dotted name like pkg.module.name")
        return tuple(items)

    return parse


def _globs(option: str) -> Callable[[object], tuple[str, ...]]:
    def parse(value: object) -> tuple[str, ...]:
        items = _split(option, value)
        for item in items:
            if "/" in item or "\\" in item:
                raise OptionError(f"{option}: {item!r} must be a file-name pattern, not a path")
        return tuple(items)

    return parse


def _positive_int(option: str) -> Callable[[object], int]:
    def parse(value: object) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise OptionError(f"{option}: expected a whole number, got {value!r}") from None
        if number < 1:
            raise OptionError(f"{option}: must be at least 1, got {number}")
        return number

    return parse


@dataclass(frozen=True)
class OptionSpec:
    flag: str  # --fad-...
    field: str  # attribute of Options
    default: str  # as a user would write it in a config file
    help: str
    parse: Callable[[object], Any]

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


SPECS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "--fad-router-classes",
        "router_classes",
        "",
        "Extra classes (dotted names) whose instances are FastAPI apps or routers, "
        "e.g. mylib.routing.VersionedRouter.",
        _names("--fad-router-classes"),
    ),
    OptionSpec(
        "--fad-test-patterns",
        "test_patterns",
        "test_*.py,*_test.py,conftest.py",
        "File-name patterns of test modules (files under a tests/ or test/ folder "
        "always count as tests).",
        _globs("--fad-test-patterns"),
    ),
    OptionSpec(
        "--fad-pooled-constructors",
        "pooled_constructors",
        "",
        "Extra constructors (dotted names) of long-lived clients or pools that FAD203 "
        "reports when called per request, e.g. mylib.make_client.",
        _names("--fad-pooled-constructors"),
    ),
    OptionSpec(
        "--fad-blocking-calls",
        "blocking_calls",
        "",
        "Extra functions (dotted names) that block, reported by FAD102 inside async "
        "routes and dependencies, e.g. mylib.client.fetch_sync.",
        _names("--fad-blocking-calls"),
    ),
    OptionSpec(
        "--fad-sync-session-types",
        "sync_session_types",
        "",
        "Extra synchronous database session classes (dotted names) for FAD103, "
        "e.g. mylib.db.SyncSession.",
        _names("--fad-sync-session-types"),
    ),
    OptionSpec(
        "--fad-max-dependencies",
        "max_dependencies",
        "3",
        "FAD303: most sub-dependencies (Depends/Security parameters) a dependency may declare.",
        _positive_int("--fad-max-dependencies"),
    ),
    OptionSpec(
        "--fad-max-model-method-statements",
        "max_model_method_statements",
        "10",
        "FAD304: most statements a Pydantic model method may run.",
        _positive_int("--fad-max-model-method-statements"),
    ),
    OptionSpec(
        "--fad-max-routes-per-module",
        "max_routes_per_module",
        "15",
        "FAD307: most routes the module that creates the FastAPI app may define.",
        _positive_int("--fad-max-routes-per-module"),
    ),
)


@dataclass(frozen=True)
class Options:
    """Everything the checks read from configuration, already validated."""

    router_classes: tuple[str, ...] = ()
    test_patterns: tuple[str, ...] = ("test_*.py", "*_test.py", "conftest.py")
    pooled_constructors: tuple[str, ...] = ()
    blocking_calls: tuple[str, ...] = ()
    sync_session_types: tuple[str, ...] = ()
    max_dependencies: int = 3
    max_model_method_statements: int = 10
    max_routes_per_module: int = 15
    # Off-by-default codes flake8 will show (set by the plugin from flake8's own
    # select/ignore decision); None when not known, e.g. in tests: then all are.
    opt_in_selected: Optional[frozenset[str]] = None

    def reports(self, code: str) -> bool:
        """Will ``code`` be shown?  Lets the core skip work only opt-in codes need."""
        return self.opt_in_selected is None or code in self.opt_in_selected

    @classmethod
    def from_namespace(cls, namespace: object) -> Options:
        """Build from flake8's (or argparse's) namespace; raises :class:`OptionError`."""
        values: dict[str, Any] = {}
        known = {f.name for f in fields(cls)}
        for spec in SPECS:
            raw = getattr(namespace, spec.dest, None)
            if raw is None:
                raw = spec.default
            if spec.field in known:
                values[spec.field] = spec.parse(raw)
        return cls(**values)

    @classmethod
    def from_args(cls, argv: Sequence[str]) -> Options:
        parser = argparse.ArgumentParser(add_help=False)
        register(parser)
        namespace, _ = parser.parse_known_args(list(argv))
        return cls.from_namespace(namespace)


def register(manager: Any, *, flake8: bool = False) -> None:
    """Declare every option on flake8's OptionManager or an ArgumentParser."""
    for spec in SPECS:
        kwargs: dict[str, Any] = {"default": None, "help": f"{spec.help} (default: {spec.default!r})"}
        if flake8:
            manager.add_option(spec.flag, parse_from_config=True, **kwargs)
        else:
            manager.add_argument(spec.flag, **kwargs)


def parse_error_exit(error: OptionError) -> None:
    """Stop flake8 with a one-line message, like flake8's own option errors."""
    raise SystemExit(f"flake8-fastapi-deps: error: {error}")


__all__ = ["OptionError", "OptionSpec", "Options", "SPECS", "register", "parse_error_exit"]
