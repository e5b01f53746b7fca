"""The rules, as the engine and the registry see them: :data:`RULE_MODULES`.

A rule family is a package exposing ``MODULES``, one module per code, each
with a ``RULE``, a ``check(ctx)`` yielding that code's findings and optionally
``wants(project, path, text, options)`` (does it need to see a file that does
not mention FastAPI?).  A family not yet split (a module with ``RULES`` and
one ``check`` for all its codes) is run through one :class:`FamilyAdapter`.

Adding a family means adding it to :data:`FAMILIES`; nothing registers itself
on import.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Optional, Protocol, Union

from ..base import Finding, Rule
from . import async_boundary, declarations, lifecycle, misuse, structure, yield_shape

if TYPE_CHECKING:
    from ..context import FileContext
    from ..options import Options
    from ..project import Project


class RuleModule(Protocol):
    """One code: ``rules/<family>/fadNNN_<name>.py`` (``wants`` is optional)."""

    @property
    def RULE(self) -> Rule: ...

    def check(self, ctx: FileContext) -> Iterable[Finding]: ...


class WantsHook(Protocol):
    def __call__(
        self, project: Project, path: Optional[str], text: str, options: Options
    ) -> bool: ...


class FamilyAdapter:
    """An old family module (``RULES`` and one ``check``) as one unit of rules.

    It runs when any of its codes is shown (the engine drops the findings of
    codes that are not).  Goes once every family has ``MODULES``.
    """

    def __init__(self, family: ModuleType) -> None:
        self.family = family
        self.RULES: tuple[Rule, ...] = family.RULES
        self.wants: Optional[WantsHook] = getattr(family, "wants", None)

    def check(self, ctx: FileContext) -> Iterable[Finding]:
        found: Iterable[Finding] = self.family.check(ctx)
        return found

    def __repr__(self) -> str:
        return f"FamilyAdapter({self.family.__name__})"


Unit = Union[RuleModule, FamilyAdapter]

FAMILIES: tuple[ModuleType, ...] = (
    declarations,
    misuse,
    async_boundary,
    lifecycle,
    yield_shape,
    structure,
)


def _units(families: tuple[ModuleType, ...]) -> tuple[Unit, ...]:
    units: list[Unit] = []
    for family in families:
        modules: Optional[tuple[RuleModule, ...]] = getattr(family, "MODULES", None)
        if modules is not None:
            units.extend(modules)
        else:
            units.append(FamilyAdapter(family))
    return tuple(units)


# What the engine runs (each unit when one of its codes is shown) and the
# registry lists: every family's modules, in family then code order.
RULE_MODULES: tuple[Unit, ...] = _units(FAMILIES)


def rules_of(unit: Unit) -> tuple[Rule, ...]:
    """The rules a unit reports: its ``RULE`` (an adapter: its family's ``RULES``)."""
    if isinstance(unit, FamilyAdapter):
        return unit.RULES
    return (unit.RULE,)


def wants_hook(unit: Unit) -> Optional[WantsHook]:
    """The unit's optional ``wants`` hook."""
    hook: Optional[WantsHook] = getattr(unit, "wants", None)
    return hook
