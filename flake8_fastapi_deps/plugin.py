"""flake8's entry point ``FAD``: a thin adapter around :func:`checker.check`."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from . import __version__
from .checker import check, new_run
from .options import OptionError, Options, parse_error_exit, register, warn_unknown_keys
from .registry import DEFAULT_OFF


class Plugin:
    name = "flake8-fastapi-deps"
    version = __version__

    # Set by flake8's documented ``parse_options`` hook (also in each -j worker)
    # and handed, frozen, to the core; the core never reads class state.
    _options: ClassVar[Options] = Options()

    def __init__(self, tree: ast.Module, filename: str, lines: Sequence[str]) -> None:
        self._tree = tree
        self._filename = filename
        self._lines = lines

    @staticmethod
    def add_options(manager: Any) -> None:
        register(manager, flake8=True)
        # opt-in codes: reported only with --extend-select / --select
        manager.extend_default_ignore(list(DEFAULT_OFF))

    @classmethod
    def parse_options(cls, options: Any) -> None:
        """Keep our options and flake8's select/ignore values (its public option
        values; :class:`~.options.Selection` decides from them as flake8 does).

        flake8 calls this once per run (in each ``-j`` worker too): a new run of
        a long-lived process (an editor's flake8 server) trusts nothing it kept
        from an earlier run without checking the files it rests on."""
        new_run()
        try:
            cls._options = Options.from_namespace(options)
        except OptionError as error:
            parse_error_exit(error, options)  # exit 2, naming the config file
        warn_unknown_keys(options)

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        for line, col, message in check(self._tree, self._filename, self._lines, self._options):
            yield line, col, message, type(self)
