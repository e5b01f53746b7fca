"""Strongly connected components of a directed graph, found incrementally (iterative Tarjan)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Callable, Optional


class Components:
    """Strongly connected components, found incrementally by an iterative Tarjan walk.

    A walk from a new start assigns a component to every node it reaches, and
    those components are final: later walks treat them as done and stop there.
    ``allowed`` confines a walk to a set of nodes (edges leaving it are ignored).
    """

    def __init__(self) -> None:
        self._number: dict[str, int] = {}
        # number -> members: a dict of string tuples, which the garbage
        # collector stops tracking (a list would be visited by every collection)
        self._members: dict[int, tuple[str, ...]] = {}

    def known(self, node: str) -> Optional[tuple[str, ...]]:
        number = self._number.get(node)
        return None if number is None else self._members[number]

    def number(self, node: str) -> int:
        return self._number[node]

    def single(self, node: str) -> tuple[str, ...]:
        self._number[node] = len(self._members)
        self._members[len(self._members)] = (node,)
        return (node,)

    def component(
        self,
        start: str,
        successors: Callable[[str], Sequence[str]],
        allowed: Optional[frozenset[str]],
    ) -> tuple[str, ...]:
        known = self.known(start)
        if known is not None:
            return known
        done = self._number
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()

        def enter(node: str) -> tuple[str, Iterator[str]]:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            return node, iter(successors(node))

        work = [enter(start)]
        while work:
            node, pending = work[-1]
            descended = False
            for succ in pending:
                if succ in done or (allowed is not None and succ not in allowed):
                    continue  # a finished component, or outside the walk
                if succ not in index:
                    work.append(enter(succ))
                    descended = True
                    break
                if succ in on_stack and index[succ] < low[node]:
                    low[node] = index[succ]
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                if low[node] < low[parent]:
                    low[parent] = low[node]
            if low[node] == index[node]:
                number = len(self._members)
                members: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    done[member] = number
                    members.append(member)
                    if member == node:
                        break
                self._members[number] = tuple(sorted(members))
        return self._members[done[start]]


__all__ = ["Components"]
