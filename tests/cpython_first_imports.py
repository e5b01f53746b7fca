"""Run in a subprocess by tests/test_import_sim.py: import each module of a project
first, in a fresh interpreter state, and print one JSON line per module.

Usage: python cpython_first_imports.py ROOT MODULE...  (ROOT is put on sys.path).
Project modules are dropped from ``sys.modules`` before each import, so each one
is imported first as in a new interpreter (third-party modules such as fastapi
stay loaded: they do not import the project).
"""

from __future__ import annotations

import importlib
import json
import sys
import types


class _Router:
    """Enough of FastAPI's ``APIRouter``/``FastAPI`` for the fixtures to import."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.routes: list = []

    def include_router(self, *args: object, **kwargs: object) -> None:
        self.routes.append(args)

    def _route(self, *args: object, **kwargs: object):
        def register(func):
            self.routes.append(func)
            return func

        return register

    get = post = put = delete = patch = websocket = api_route = _route


def _stub_fastapi() -> None:
    """Stand-ins for ``fastapi`` and ``pydantic`` when they are not installed
    (the fixtures need no more of them)."""
    try:
        import fastapi  # noqa: F401
    except ImportError:
        stub = types.ModuleType("fastapi")
        stub.FastAPI = type("FastAPI", (_Router,), {})  # type: ignore[attr-defined]
        stub.APIRouter = type("APIRouter", (_Router,), {})  # type: ignore[attr-defined]
        stub.Depends = lambda dependency=None, **kw: dependency  # type: ignore[attr-defined]
        stub.HTTPException = type("HTTPException", (Exception,), {})  # type: ignore[attr-defined]
        stub.status = types.SimpleNamespace(HTTP_404_NOT_FOUND=404)  # type: ignore[attr-defined]
        sys.modules["fastapi"] = stub
    try:
        import pydantic  # noqa: F401
    except ImportError:
        models = types.ModuleType("pydantic")
        models.BaseModel = type("BaseModel", (), {})  # type: ignore[attr-defined]
        sys.modules["pydantic"] = models


def main() -> None:
    root, modules = sys.argv[1], sys.argv[2:]
    sys.path.insert(0, root)
    _stub_fastapi()
    tops = {m.split(".")[0] for m in modules}
    for module in modules:
        for name in [n for n in sys.modules if n.split(".")[0] in tops]:
            del sys.modules[name]
        try:
            importlib.import_module(module)
            error = ""
        except ImportError as exc:
            error = str(exc)
        print(json.dumps({"module": module, "error": error}))


if __name__ == "__main__":
    main()
