"""flake8's entry point ``FAD``: a thin adapter around :func:`checker.check`."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Optional

from . import __version__
from .checker import check
from .options import OptionError, Options, parse_error_exit, register
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
        try:
            parsed = Options.from_namespace(options)
        except OptionError as error:
            parse_error_exit(error)
        cls._options = replace(parsed, opt_in_selected=_selected_opt_in(options))

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        for line, col, message in check(self._tree, self._filename, self._lines, self._options):
            yield line, col, message, type(self)


def _selected_opt_in(options: Any) -> Optional[frozenset[str]]:
    """The off-by-default codes flake8 will report, decided as flake8 decides; None if unknown."""
    try:
        style_guide: Any = importlib.import_module("flake8.style_guide")
        engine = style_guide.DecisionEngine(options)
        selected = style_guide.Decision.Selected
        return frozenset(c for c in DEFAULT_OFF if engine.decision_for(c) is selected)
    except Exception:  # noqa: BLE001 - an older/newer flake8: assume every code is shown
        return None
