"""Types shared by every rule family: a rule's identity and a finding."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import NamedTuple, Union


@dataclass(frozen=True)
class Rule:
    """One code.  ``message`` is a ``str.format`` template without the code."""

    code: str
    name: str  # kebab-case, reads as "allow <name>"
    message: str
    summary: str  # one line, for ``--list`` and the README table
    default_on: bool = True

    def format(self, **fields: object) -> str:
        return f"{self.code} {self.message.format(**fields)}"


class Finding(NamedTuple):
    line: int
    col: int  # 0-based, as ast gives it; flake8 adds 1 when printing
    message: str  # starts with the code


Located = Union[ast.expr, ast.stmt, ast.arg, ast.excepthandler, ast.keyword, ast.alias]


def finding(node: Located, rule: Rule, **fields: object) -> Finding:
    return Finding(node.lineno, node.col_offset, rule.format(**fields))
