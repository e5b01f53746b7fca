"""The one registry of codes: every rule's code, name, message and default.

Each rule family module declares its rules in a ``RULES`` tuple; this module
collects them.  Docs, changelog, README and fixtures are checked against
:data:`ALL_RULES` by ``tests/test_consistency.py``.
"""

from __future__ import annotations

from .base import Rule
from .rules import FAMILIES


def _collect() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for family in FAMILIES:
        for rule in family.RULES:
            if rule.code in rules:  # pragma: no cover - guarded by tests
                raise RuntimeError(f"duplicate code {rule.code}")
            rules[rule.code] = rule
    return dict(sorted(rules.items()))


ALL_RULES: dict[str, Rule] = _collect()
DEFAULT_OFF: tuple[str, ...] = tuple(c for c, r in ALL_RULES.items() if not r.default_on)
