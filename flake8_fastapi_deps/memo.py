"""Typed memo slots: derived facts kept on a module or project, one typed key each.

A fact computed once per module (its routes, the calls of each function, ...) is
kept in the holder's ``cache`` dict under a :class:`Slot` declared beside the
code that computes it.  The slot carries the value's type, so readers need no
``isinstance`` checks, and two facts can never collide on a string key::

    _ROUTES: Slot[dict[int, Route]] = Slot("routes")

    def routes(mod: ModuleInfo) -> dict[int, Route]:
        return _ROUTES.of(mod, lambda: compute_routes(mod))
"""

from __future__ import annotations

from typing import Callable, Generic, Optional, Protocol, TypeVar, cast

T = TypeVar("T")


class Holder(Protocol):
    @property
    def cache(self) -> dict[object, object]: ...


class Slot(Generic[T]):
    """One typed entry of a holder's ``cache``; identity is the key."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name  # for debugging only

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"

    def get(self, holder: Holder) -> Optional[T]:
        return cast(Optional[T], holder.cache.get(self))

    def put(self, holder: Holder, value: T) -> T:
        holder.cache[self] = value
        return value

    def of(self, holder: Holder, compute: Callable[[], T]) -> T:
        """The kept value, computed (and kept) on first use."""
        cache = holder.cache
        if self in cache:
            return cast(T, cache[self])
        value = cache[self] = compute()
        return value


__all__ = ["Holder", "Slot"]
