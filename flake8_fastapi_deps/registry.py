"""The one registry of codes: every rule's code, name, message and default.

Each rule module declares its ``RULE``;
this module collects them from :data:`~flake8_fastapi_deps.rules.RULE_MODULES`,
the list the engine runs.  Docs, changelog, README and fixtures are checked against
:data:`ALL_RULES` by ``tests/test_consistency.py``.
"""

from __future__ import annotations

from .base import Rule
from .rules import RULE_MODULES


def _collect() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for module in RULE_MODULES:
        rule = module.RULE
        if rule.code in rules:  # pragma: no cover - guarded by tests
            raise RuntimeError(f"duplicate code {rule.code}")
        rules[rule.code] = rule
    return dict(sorted(rules.items()))


ALL_RULES: dict[str, Rule] = _collect()
DEFAULT_OFF: tuple[str, ...] = tuple(c for c, r in ALL_RULES.items() if not r.default_on)
