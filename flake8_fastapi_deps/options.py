"""The plugin's options: declared once, parsed into a frozen :class:`Options`.

Every option is a ``--fad-*`` flag and an ``fad-*`` key in ``[flake8]`` config
sections.  The same declarations serve flake8's option manager and a plain
``argparse`` parser (used by the tests and ``python -m flake8_fastapi_deps``).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Optional


class OptionError(ValueError):
    """A bad option value; the message is one line, ready to show the user.

    Raised by :meth:`Options.from_namespace` with ``flag`` (``--fad-...``),
    ``problem`` (what is wrong, without the option's name) and ``value`` set (see
    :func:`_named`), so that the plugin can name the config file the value came from."""

    flag: str = ""
    value: object = None
    _problem: str = ""

    @property
    def problem(self) -> str:
        return self._problem or str(self)


def _named(flag: str, problem: str, value: object) -> OptionError:
    error = OptionError(f"{flag}: {problem}")
    error.flag, error._problem, error.value = flag, problem, value
    return error


_ECHO = 40  # at most this many characters of a bad value are echoed back


def cut(text: str) -> str:
    """``text`` for a message, cut short (a 5,000-digit number is not echoed whole)."""
    return text if len(text) <= _ECHO else f"{text[:_ECHO - 8]}... ({len(text)} characters)"


def echo(value: object) -> str:
    """A bad value quoted for a message, cut short."""
    return repr(cut(value)) if isinstance(value, str) else cut(repr(value))


def _split(value: object) -> list[str]:
    """Comma separated items, one or more a line (flake8's multi-line style:
    ``key =`` then one item a line, each ending in a comma or not); an empty
    item between two commas is an error, a trailing comma is not."""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise OptionError(f"expected a comma-separated list, got {echo(value)}")
    items: list[str] = []
    for line in value.splitlines():
        line = line.strip()
        if line.endswith(","):
            line = line[:-1]  # one trailing comma a line is fine
        if not line:
            continue
        parts = [part.strip() for part in line.split(",")]
        if not all(parts):
            raise OptionError(f"empty name in the list {echo(value.strip())}")
        items.extend(parts)
    return items


def _is_dotted(name: str) -> bool:
    """A dotted name of identifiers (non-ASCII ones too, as Python allows)."""
    return all(part.isidentifier() for part in name.split("."))


def _names(option: str) -> Callable[[object], tuple[str, ...]]:
    def parse(value: object) -> tuple[str, ...]:
        items = _split(value)
        for item in items:
            if not _is_dotted(item):
                raise OptionError(f"{echo(item)} is not a dotted name like pkg.module.name")
        return tuple(items)

    return parse


def _globs(option: str) -> Callable[[object], tuple[str, ...]]:
    def parse(value: object) -> tuple[str, ...]:
        items = _split(value)
        for item in items:
            if "/" in item or "\\" in item:
                raise OptionError(f"{echo(item)} must be a file-name pattern, not a path")
        return tuple(items)

    return parse


_MAX_DIGITS = 9  # no limit needs more; longer is a typo (and int() of 5,000 digits may refuse)


def _positive_int(option: str) -> Callable[[object], int]:
    def parse(value: object) -> int:
        text = str(value).strip()
        if text.isdigit() and len(text.lstrip("0")) > _MAX_DIGITS:
            raise OptionError(f"expected a whole number of at most {_MAX_DIGITS} digits")
        try:
            number = int(text)
        except ValueError:
            raise OptionError(f"expected a whole number, got {echo(value)}") from None
        if number < 1:
            raise OptionError(f"must be at least 1, got {number}")
        return number

    return parse


def _folder(option: str) -> Callable[[object], Optional[str]]:
    def parse(value: object) -> Optional[str]:
        if not isinstance(value, str):
            raise OptionError(f"expected a folder, got {echo(value)}")
        value = value.strip()
        # relative to the folder flake8 runs in, fixed now (the options are a cache key)
        return os.path.abspath(os.path.expanduser(value)) if value else None

    return parse


def _flag(option: str) -> Callable[[object], bool]:
    def parse(value: object) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("", "0", "false", "no", "off"):
            return False
        raise OptionError(f"expected true or false, got {echo(value)}")

    return parse


@dataclass(frozen=True)
class OptionSpec:
    flag: str  # --fad-...
    field: str  # attribute of Options
    default: str  # as a user would write it in a config file
    help: str
    parse: Callable[[object], Any]
    action: str = "store"  # "store_true" for a flag without a value

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
        "5",
        "FAD303: most sub-dependencies (Depends/Security parameters) a dependency may declare "
        "(default: the 99th percentile of real code).",
        _positive_int("--fad-max-dependencies"),
    ),
    OptionSpec(
        "--fad-max-model-method-statements",
        "max_model_method_statements",
        "10",
        "FAD304: most statements a schema method may run while reaching I/O through helpers.",
        _positive_int("--fad-max-model-method-statements"),
    ),
    OptionSpec(
        "--fad-max-routes-per-module",
        "max_routes_per_module",
        "15",
        "FAD307: most routes the module that creates the FastAPI app may define.",
        _positive_int("--fad-max-routes-per-module"),
    ),
    OptionSpec(
        "--fad-cache-dir",
        "cache_dir",
        "",
        "Folder of the persistent index store (default: a per-user cache folder, "
        "$XDG_CACHE_HOME or ~/.cache, /flake8-fastapi-deps/<hash of the project root>).",
        _folder("--fad-cache-dir"),
    ),
    OptionSpec(
        "--fad-no-cache",
        "no_cache",
        "false",
        "Do not read or write the persistent index store.",
        _flag("--fad-no-cache"),
        action="store_true",
    ),
)


# flake8's own default ``--ignore`` (the same in flake8 5, 6 and 7).  flake8 5 and
# 6.0 also had a default ``--select`` of E,F,W,C90; it cannot decide a FAD code
# (a plugin's entry point name, FAD, is always selected too and is longer than
# F), so it is left out.
_FLAKE8_DEFAULT_IGNORE = ("E121", "E123", "E126", "E226", "E24", "E704", "W503", "W504")
# flake8 splits list options on commas and whitespace (``utils.parse_comma_separated_list``)
_CODE_LIST = re.compile(r"[,\s]")
# The opt-in codes (their Rule says default_on=False), which the plugin asks
# flake8 to ignore by default (extend_default_ignore).  Written out here so that
# the options need not import the rules (which import the options);
# tests/test_consistency.py checks it against the registry.
OPT_IN_CODES: tuple[str, ...] = (
    "FAD104", "FAD205", "FAD206", "FAD302", "FAD303", "FAD304", "FAD305", "FAD306", "FAD307",
    "FAD308",
)

# The selection options, as flake8 names them on its namespace.
_SELECTION_FIELDS = ("select", "ignore", "extend_select", "extend_ignore")
_SELECTION_FLAGS = ("--select", "--ignore", "--extend-select", "--extend-ignore")


def _codes(value: object) -> tuple[str, ...]:
    """A list option's codes, as flake8 reads them (also from a plain string)."""
    if isinstance(value, str):
        items: Sequence[object] = _CODE_LIST.split(value)
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise OptionError(f"expected a list of error codes, got {value!r}")
    return tuple(s for s in (str(item).strip() for item in items) if s)


@dataclass(frozen=True)
class Selection:
    """Which codes flake8 shows, decided from its public option values.

    The fields are the values flake8 puts on the namespace every plugin's
    ``parse_options`` receives (flake8 5, 6 and 7 fill them the same way):
    ``select``/``ignore`` are None unless the user set them;
    ``extended_default_select`` holds the installed plugins' entry point names
    and ``extended_default_ignore`` what plugins asked to be off by default.
    None in those two means what flake8 would put there for this plugin alone
    (``FAD``, and the default-off codes), which is what tests and scripts use:
    ``Selection()`` is flake8's default selection.

    :meth:`shows` reimplements flake8's ``DecisionEngine`` (not imported: it is
    private).  Note its traps, which it reproduces: ``select = F`` selects every
    FAD code, opt-in ones included; ``extend-ignore = F`` hides them all; and
    ``ignore = X`` replaces the default ignore list, opt-in codes included.
    """

    select: Optional[tuple[str, ...]] = None
    ignore: Optional[tuple[str, ...]] = None
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    extended_default_select: Optional[tuple[str, ...]] = None
    extended_default_ignore: Optional[tuple[str, ...]] = None
    # answers already given (equal selections give equal answers)
    _shown: dict[str, bool] = field(default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def every_code(cls) -> Selection:
        """The selection that shows every FAD code (``--select FAD``)."""
        return cls(select=("FAD",))

    @classmethod
    def from_namespace(cls, namespace: object) -> Selection:
        """From flake8's namespace, or an argparse one with the same four flags."""

        def given(name: str) -> Optional[tuple[str, ...]]:
            value = getattr(namespace, name, None)
            return None if value is None else _codes(value)

        return cls(
            select=given("select"),
            ignore=given("ignore"),
            extend_select=given("extend_select") or (),
            extend_ignore=given("extend_ignore") or (),
            extended_default_select=given("extended_default_select"),
            extended_default_ignore=given("extended_default_ignore"),
        )

    def shows(self, code: str) -> bool:
        """Will flake8 show ``code``?  (Before ``noqa`` and ``per-file-ignores``.)"""
        shown = self._shown.get(code)
        if shown is None:
            shown = self._shown[code] = self._decide(code)
        return shown

    def _decide(self, code: str) -> bool:
        default_select = self.extended_default_select
        if default_select is None:
            default_select = ("FAD",)
        default_ignore = self.extended_default_ignore
        if default_ignore is None:
            default_ignore = OPT_IN_CODES
        # flake8's lists: the explicit ones, and the effective ones (an explicit
        # select/ignore replaces the defaults; extend-* always adds)
        selected_explicitly = (*(self.select or ()), *self.extend_select)
        ignored_explicitly = (*(self.ignore or ()), *self.extend_ignore)
        selected = (*(default_select if self.select is None else self.select), *self.extend_select)
        ignored = (
            *((*_FLAKE8_DEFAULT_IGNORE, *default_ignore) if self.ignore is None else self.ignore),
            *self.extend_ignore,
        )
        # 2: explicitly, 1: implicitly, 0: not at all
        how_selected = 2 if code.startswith(selected_explicitly) else int(code.startswith(selected))
        how_ignored = 2 if code.startswith(ignored_explicitly) else int(code.startswith(ignored))
        if not how_selected:
            return False
        if not how_ignored:
            return True
        if how_selected != how_ignored:  # explicit beats implicit
            return how_selected > how_ignored
        # in both lists alike: the longest matching prefix wins, a tie is ignored
        return _longest_prefix(code, selected) > _longest_prefix(code, ignored)


def _longest_prefix(code: str, prefixes: tuple[str, ...]) -> int:
    return max(len(p) for p in prefixes if code.startswith(p))


@dataclass(frozen=True)
class Options:
    """Everything the checks read from configuration, already validated."""

    router_classes: tuple[str, ...] = ()
    test_patterns: tuple[str, ...] = ("test_*.py", "*_test.py", "conftest.py")
    pooled_constructors: tuple[str, ...] = ()
    blocking_calls: tuple[str, ...] = ()
    sync_session_types: tuple[str, ...] = ()
    max_dependencies: int = 5
    max_model_method_statements: int = 10
    max_routes_per_module: int = 15
    cache_dir: Optional[str] = None  # the store's folder; None: the per-user default
    no_cache: bool = False
    # flake8's exclude + extend-exclude (public option values): left out of the project listing
    exclude: tuple[str, ...] = ()
    # Which codes flake8 shows: the engine runs only their rules.
    selection: Selection = Selection()

    def reports(self, code: str) -> bool:
        """Will flake8 show ``code``?  The same answer under flake8 and in tests."""
        return self.selection.shows(code)

    @classmethod
    def from_namespace(cls, namespace: object) -> Options:
        """Build from flake8's (or argparse's) namespace; raises :class:`OptionError`."""
        values: dict[str, Any] = {
            "selection": Selection.from_namespace(namespace),
            "exclude": _patterns(namespace, "exclude") + _patterns(namespace, "extend_exclude"),
        }
        known = {f.name for f in fields(cls)}
        for spec in SPECS:
            raw = getattr(namespace, spec.dest, None)
            if raw is None:
                raw = spec.default
            if spec.field in known:
                try:
                    values[spec.field] = spec.parse(raw)
                except OptionError as error:
                    raise _named(spec.flag, error.problem, raw) from None
        return cls(**values)

    @classmethod
    def from_args(cls, argv: Sequence[str]) -> Options:
        """From command-line style arguments: the ``--fad-*`` options and flake8's
        ``--select``, ``--ignore``, ``--extend-select`` and ``--extend-ignore``
        (unset: flake8's defaults, the opt-in codes hidden)."""
        parser = argparse.ArgumentParser(add_help=False)
        register(parser)
        namespace, _ = parser.parse_known_args(list(argv))
        return cls.from_namespace(namespace)


def _patterns(namespace: object, name: str) -> tuple[str, ...]:
    """flake8's list of path patterns ``name`` (already split and normalised by flake8)."""
    value = getattr(namespace, name, None)
    if isinstance(value, str):
        value = _CODE_LIST.split(value)
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def register(manager: Any, *, flake8: bool = False) -> None:
    """Declare every option on flake8's OptionManager or an ArgumentParser."""
    for spec in SPECS:
        kwargs: dict[str, Any] = {"default": None, "help": f"{spec.help} (default: {spec.default!r})"}
        if spec.action != "store":
            kwargs["action"] = spec.action
        if flake8:
            manager.add_option(spec.flag, parse_from_config=True, **kwargs)
        else:
            manager.add_argument(spec.flag, **kwargs)
    if not flake8:  # flake8 has its own
        for flag, dest in zip(_SELECTION_FLAGS, _SELECTION_FIELDS):
            manager.add_argument(flag, dest=dest, default=None)


def error_message(error: OptionError, namespace: object = None, argv: Optional[Sequence[str]] = None) -> str:
    """The one line naming a bad value: where it came from (the command line, or
    the config file flake8 read it from), the key, the value (cut short) and what
    is wrong with it."""
    from .config_files import flake8_config_files, shown_path, value_origin

    flag = error.flag
    if not flag:
        return str(error)
    args = sys.argv[1:] if argv is None else argv
    on_command_line = any(a == flag or a.startswith(flag + "=") for a in args)
    if not on_command_line and namespace is not None:
        origin = value_origin(flake8_config_files(namespace), flag.lstrip("-"))
        if origin is not None:
            path, key, raw = origin
            shown = " ".join(raw.split())  # a multi-line value on one line
            return f"{shown_path(path)}: {key} = {cut(shown)}: {error.problem}"
    return f"{flag}={cut(' '.join(str(error.value).split()))}: {error.problem}"


def parse_error_exit(error: OptionError, namespace: object = None) -> None:
    """Stop flake8 as its own usage errors do: one line on stderr, exit status 2
    (1 means "findings")."""
    print(f"flake8-fastapi-deps: error: {error_message(error, namespace)}", file=sys.stderr)
    raise SystemExit(2)


def warn_unknown_keys(namespace: object) -> list[str]:
    """Warn (once a process, never in a ``-j`` worker) about each ``fad-`` key of the
    config files that no option reads: flake8 ignores unknown keys silently, so a
    typo such as ``fad-max-dependency`` would otherwise do nothing unnoticed."""
    global _WARNED
    if _WARNED or _in_worker():
        return []
    _WARNED = True
    from .config_files import flake8_config_files, shown_path, unknown_fad_keys

    known = [spec.flag.lstrip("-") for spec in SPECS]
    lines = []
    for path, key in unknown_fad_keys(flake8_config_files(namespace), known):
        close = difflib.get_close_matches(key.replace("_", "-"), known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        lines.append(f"flake8-fastapi-deps: warning: {shown_path(path)}: unknown option {key}, ignored{hint}")
    for line in lines:
        print(line, file=sys.stderr)
    return lines


_WARNED = False


def _in_worker() -> bool:
    import multiprocessing

    return multiprocessing.parent_process() is not None


__all__ = [
    "OPT_IN_CODES", "OptionError", "OptionSpec", "Options", "SPECS", "Selection", "register",
    "cut", "echo", "error_message", "parse_error_exit", "warn_unknown_keys",
]
