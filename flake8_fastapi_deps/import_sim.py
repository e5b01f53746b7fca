"""Module-level import execution, simulated over one import cycle group (FAD301).

A cycle in the import graph fails only if some import order makes a
``from m import x`` run while ``m`` is partially initialised and has not bound
``x`` yet.  :class:`GroupSimulation` decides that the way CPython does it, from
each module's :data:`~.module_imports.ExecSummary` (its module-level statements
in order: the names each binds, the imports that run), for every module of the
group imported *first* (``python -c "import <module>"``):

* statements run in order; a module being imported is in ``sys.modules`` from
  its first statement on, so importing it again returns it as it is;
* ``import a.b.c`` runs ``a/__init__.py``, ``a/b/__init__.py`` and ``a/b/c.py``
  (those not started yet) and never fails on a partial module;
* ``from m import x`` runs ``m`` (and the packages above it), then needs ``x``
  bound in ``m``, unless ``m`` is a package and ``m.x`` a submodule: that is
  imported (or found in ``sys.modules``, even half-run) and never fails;
* ``from m import *`` binds what ``m`` has bound so far;
* modules outside the project, and project modules that cannot reach the
  group (by the text import graph, a superset of the real one), run to the end
  as soon as they are imported: every name taken from them is there;
* a module whose names the summary cannot see (``globals()``, a module
  ``__getattr__``, ...) has every name;
* a failure taking a name from a module outside the group belongs to another
  group (reported there): the simulation goes on as if that name were bound;
* a failure under ``try: ... except ImportError`` (or any ``try`` that catches
  it), or under an ``if``/loop/handler that may not run, anywhere along the
  chain of imports being run, is not counted (the order is *unsure*).

Bounded: at most :data:`MAX_STEPS` statements and import steps are simulated
for a group over all its trials (then the group is left undecided: no
finding), and a reachability walk looks at :data:`MAX_REACH` modules at most.
A trial is skipped when an earlier one already ran the same order (a module
whose package ``__init__`` is in the group and imports it).
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple, Optional

from .import_graph import ImportGraph
from .module_imports import ExecEvent

MAX_STEPS = 1_000_000  # statements and import steps, per group, over all trials
MAX_REACH = 5_000  # modules looked at by one reachability walk

_RUNNING = 1
_DONE = 2

# an import step: (op, file, name, submodule file): op "load", "need" or "star"
Step = tuple[str, str, str, str]


class Failure(NamedTuple):
    """The first import order of a group that fails, and where."""

    first: str  # the module imported first (its path)
    path: str  # the file holding the import statement that fails
    line: int
    col: int
    module: str  # the partially initialised module the name is taken from
    name: str  # the name it has not bound yet
    cycle: tuple[str, ...]  # module -> ... -> path: the imports running (path imports module)
    module_line: int  # the line of module's import statement that is running
    defined_at: int  # where module binds the name later (def, class, assignment), else 0


class _Frame:
    """A module body being run: the next event, and the steps of its current import."""

    __slots__ = ("path", "events", "idx", "steps", "si", "flags", "line", "col", "binds")

    def __init__(self, path: str, events: tuple[ExecEvent, ...], steps: tuple[Step, ...] = ()):
        self.path = path
        self.events = events
        self.idx = 0
        self.steps = steps
        self.si = 0
        self.flags = 0
        self.line = 0
        self.col = 0
        self.binds: tuple[str, ...] = ()


class GroupSimulation:
    """Every first-import order of one import cycle group, simulated (see the module doc)."""

    def __init__(self, graph: ImportGraph, members: tuple[str, ...]) -> None:
        self.graph = graph
        self.members = frozenset(members)
        self._order = sorted(members, key=graph.module_name)
        self._steps: dict[tuple[str, int], tuple[Step, ...]] = {}
        self._reach: dict[str, bool] = {}
        self.budget = MAX_STEPS
        self.trials = 0

    # ------------------------------------------------------------------ answer

    def first_failure(self) -> Optional[Failure]:
        """The failure of the first module (by dotted name) whose first import fails;
        None when every order works, is unsure, or the budget ran out."""
        if not self._risky():
            return None
        covered: dict[str, frozenset[str]] = {}  # package entry -> modules its trial finished
        for entry in self._order:
            if self._same_as_earlier(entry, covered):
                continue
            self.trials += 1
            outcome, failure, done = self._trial(entry)
            if failure is not None:
                return failure
            if outcome == "budget":
                return None
            if outcome == "ok" and entry.endswith("__init__.py"):
                covered[entry] = done
        return None

    def _risky(self) -> bool:
        """Can any order fail at all?  Only a ``from m import x`` taking a plain name
        (no submodule) out of a module that is simulated can."""
        for member in self._order:
            summary = self.graph.exec_summary(member)
            if summary is None:
                continue
            for index, event in enumerate(summary[1]):
                if event[0] != "f":
                    continue
                for op, target, _, sub in self._resolve(member, index, event):
                    if op == "need" and not sub and self._wanted(target):
                        return True
        return False

    def _same_as_earlier(self, entry: str, covered: dict[str, frozenset[str]]) -> bool:
        """Did an earlier trial run this order?  Importing ``entry`` runs its packages
        first; from the first of them in the group on, the order is that package's."""
        chain = [p for p in self.graph.package_chain(entry) if p != entry]
        for at, package in enumerate(chain):
            if package in self.members:
                done = covered.get(package)
                return done is not None and entry in done and all(p in done for p in chain[at:])
        return False

    # ------------------------------------------------------------------ one trial

    def _trial(self, entry: str) -> tuple[str, Optional[Failure], frozenset[str]]:
        """("ok" | "unsure" | "budget" | "fail", the failure, the modules finished)."""
        graph = self.graph
        status: dict[str, int] = {}
        bound: dict[str, Optional[set[str]]] = {}  # None: every name
        chain = [p for p in graph.package_chain(entry) if p != entry]
        start_steps = tuple(("load", p, "", "") for p in (*chain, entry))
        frames: list[_Frame] = [_Frame("", (), start_steps)]

        def start(target: str) -> None:
            if target in status:
                return
            summary = graph.exec_summary(target)
            if summary is None or not self._wanted(target):
                status[target] = _DONE
                bound[target] = None
                return
            status[target] = _RUNNING
            bound[target] = None if summary[0] else set()
            frames.append(_Frame(target, summary[1]))

        while frames:
            self.budget -= 1
            if self.budget < 0:
                return "budget", None, frozenset()
            frame = frames[-1]
            if frame.si < len(frame.steps):
                op, target, name, sub = frame.steps[frame.si]
                frame.si += 1
                if op == "load":
                    start(target)
                elif op == "need":
                    if sub:
                        # a submodule: imported (if not yet), or found half-run; never fails
                        start(sub)
                        continue
                    if status.get(target) != _RUNNING:
                        continue
                    names = bound[target]
                    if names is None or name in names:
                        continue
                    if target not in self.members:
                        continue  # another group's failure: reported there; go on as if fixed
                    if target == frame.path or any(f.flags for f in frames):
                        # (a module taking a name from itself is no cycle)
                        return "unsure", None, frozenset()
                    return "fail", self._failure(entry, frames, target, name), frozenset()
                else:  # star
                    own = bound[frame.path]
                    theirs = bound.get(target)
                    if own is not None:
                        if theirs is None:
                            bound[frame.path] = None
                        else:
                            own.update(theirs)
                continue
            if frame.binds:
                own = bound.get(frame.path)
                if own is not None:
                    own.update(frame.binds)
                frame.binds = ()
            if frame.idx >= len(frame.events):
                if frame.path:
                    status[frame.path] = _DONE
                frames.pop()
                continue
            event = frame.events[frame.idx]
            frame.idx += 1
            kind, line, col, flags, _, names_, binds = event
            if kind == "b":
                own = bound.get(frame.path)
                if own is not None:
                    own.update(names_)
                continue
            frame.steps = self._resolve(frame.path, frame.idx - 1, event)
            frame.si = 0
            frame.flags, frame.line, frame.col, frame.binds = flags, line, col, binds
        done = frozenset(p for p, s in status.items() if s == _DONE)
        return "ok", None, done

    def _failure(self, entry: str, frames: list[_Frame], module: str, name: str) -> Failure:
        top = frames[-1]
        at = next(i for i, f in enumerate(frames) if f.path == module)
        holder = frames[at]
        defined_at = 0
        for event in holder.events[holder.idx:]:
            if event[0] == "b" and name in event[5]:
                defined_at = event[1]
                break
            if event[0] != "b" and name in event[6]:
                break  # bound later by an import: no definition to move above
        return Failure(
            entry,
            top.path,
            top.line,
            top.col,
            module,
            name,
            tuple(f.path for f in frames[at:]),
            holder.line,
            defined_at,
        )

    # ------------------------------------------------------------------ statements

    def _resolve(self, path: str, index: int, event: ExecEvent) -> tuple[Step, ...]:
        """The steps of import statement ``event`` (the ``index``-th of ``path``), cached."""
        key = (path, index)
        found = self._steps.get(key)
        if found is not None:
            return found
        module_file = self.graph.project.module_file
        steps: list[Step] = []
        kind, _, _, _, base, names, _ = event

        def load_prefixes(dotted: str) -> None:
            stripped = dotted.lstrip(".")
            dots = dotted[: len(dotted) - len(stripped)]
            parts = stripped.split(".") if stripped else []
            candidates = [dots + ".".join(parts[:cut]) for cut in range(1, len(parts) + 1)]
            if dots and not parts:
                candidates = [dots]
            for candidate in candidates:
                target = module_file(path, candidate)
                if target is not None and target != path:
                    steps.append(("load", target, "", ""))

        if kind == "i":
            for name in names:
                load_prefixes(name)
        else:
            load_prefixes(base)
            base_file = module_file(path, base)
            if base_file is not None:
                package = base_file.endswith("__init__.py")
                sep = "" if base.endswith(".") else "."
                for name in names:
                    if name == "*":
                        steps.append(("star", base_file, "", ""))
                        continue
                    sub = module_file(path, base + sep + name) if package else None
                    if sub == base_file:
                        sub = None
                    steps.append(("need", base_file, name, sub or ""))
            elif base.lstrip("."):
                # a namespace package (a folder without __init__.py): nothing of its
                # own to bind, but a submodule named here is imported
                sep = "" if base.endswith(".") else "."
                for name in names:
                    sub = module_file(path, base + sep + name) if name != "*" else None
                    if sub is not None and sub != path:
                        steps.append(("load", sub, "", ""))
        result = self._steps[key] = tuple(steps)
        return result

    def _wanted(self, path: str) -> bool:
        """Must ``path`` be simulated (a member, or a module that may import one)?"""
        if path in self.members:
            return True
        known = self._reach.get(path)
        if known is not None:
            return known
        seen = {path}
        queue = deque([path])
        while queue:
            node = queue.popleft()
            for succ in self.graph.text_imports(node):
                if succ in seen:
                    continue
                if succ in self.members or self._reach.get(succ):
                    self._reach[path] = True
                    return True
                if self._reach.get(succ) is False:
                    continue
                seen.add(succ)
                if len(seen) > MAX_REACH:
                    self._reach[path] = True
                    return True
                queue.append(succ)
        for node in seen:
            self._reach[node] = False
        return False


__all__ = ["Failure", "GroupSimulation", "MAX_REACH", "MAX_STEPS"]
