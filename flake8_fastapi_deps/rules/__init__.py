"""The rules, as the engine and the registry see them: :data:`RULE_MODULES`.

A rule family is a package ``rules/<family>/`` exposing ``MODULES``, one module
per code (``fadNNN_<name>.py``), each with a ``RULE``, a ``check(ctx)`` yielding
that code's findings and optionally ``wants(project, path, text, options)``
(does it need to see a file that does not mention FastAPI?).

Adding a rule means adding its module to its family's ``MODULES``; adding a
family, adding it to :data:`FAMILIES`.  The only thing a rule module does on
import besides defining itself is to declare the whole-project text facts it
reads (``declare_text_fact``, computed by the project scan in its one read of
every file).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Optional, Protocol

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


FAMILIES: tuple[ModuleType, ...] = (
    declarations,
    misuse,
    async_boundary,
    lifecycle,
    yield_shape,
    structure,
)


# What the engine runs (each module when its code is shown) and the registry
# lists: every family's modules, in family then code order.
RULE_MODULES: tuple[RuleModule, ...] = tuple(
    module for family in FAMILIES for module in family.MODULES
)


def wants_hook(module: RuleModule) -> Optional[WantsHook]:
    """The rule module's optional ``wants`` hook."""
    hook: Optional[WantsHook] = getattr(module, "wants", None)
    return hook
