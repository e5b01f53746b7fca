"""The project index, in parts (after astroid's manager / module utilities / context).

* :mod:`.cache`: :data:`~.cache.CACHE`, the one object holding every table kept
  for the life of the process, and its one ``clear()``.
* :mod:`.files`: the file system: project roots, listing, reading and parsing.
* :mod:`.modules`: the per-project store of parsed modules (the manager).
* :mod:`.resolver`: symbols, module files, name resolution, class hierarchy.
* :mod:`.semantics`: routes and dependency semantics.
* :mod:`.scan`: the project scan and the whole-project facts built in its pass.
* :mod:`.store`: the persistent store of per-file answers (sqlite3), shared by
  runs and ``-j`` workers; the scan keeps its per-file text summaries there,
  and (:mod:`.filescan`) what it learnt from each file it parsed.

:class:`flake8_fastapi_deps.project.Project` is the façade over these parts.
Nothing here imports that façade, and the parts import each other in the order
above only (no cycles, type-only imports included).
"""
