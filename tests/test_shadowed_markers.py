"""The `# OK` shapes of FAD302_shadowed_markers.py, checked against CPython and FastAPI.

A ``Depends``/``Security`` that an enclosing function rebinds is that local where
the ``def`` line runs: the plugin reads none of them as a marker.  This imports
the fixture in a subprocess (never in the test process) and asks FastAPI's own
``params.Depends`` (a stand-in of the same shape where FastAPI is not installed:
what is tested is where Python evaluates a default) whether each default and
``Annotated`` item is a marker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "FAD302_shadowed_markers.py"

SCRIPT = r"""
import importlib.util, inspect, json, sys, types, typing
try:
    from fastapi import params  # FastAPI's own marker class, when installed
except ImportError:  # a stand-in with FastAPI's shape: Depends()/Security() build params.* objects
    params = types.ModuleType("fastapi.params")
    class Depends:
        def __init__(self, dependency=None, *, use_cache=True, scope=None):
            self.dependency = dependency
    class Security(Depends):
        def __init__(self, dependency=None, *, scopes=None, use_cache=True):
            super().__init__(dependency, use_cache=use_cache)
    params.Depends, params.Security = Depends, Security
    fastapi = types.ModuleType("fastapi")
    fastapi.params = params
    fastapi.Depends = lambda dependency=None, **kw: params.Depends(dependency, **kw)
    fastapi.Security = lambda dependency=None, **kw: params.Security(dependency, **kw)
    fastapi.FastAPI = type("FastAPI", (), {})
    sys.modules["fastapi"], sys.modules["fastapi.params"] = fastapi, params

class Recorder:  # registers nothing: only Python's evaluation of the def lines is tested
    def get(self, path, **kw):
        return lambda func: func

spec = importlib.util.spec_from_file_location("shadowed", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
mod.app = Recorder()

def markers(func):
    found = {}
    for name, p in inspect.signature(func).parameters.items():
        items = [p.default]
        if typing.get_origin(p.annotation) is typing.Annotated:
            items += list(p.annotation.__metadata__)
        found[f"{func.__qualname__}.{name}"] = any(isinstance(i, params.Depends) for i in items)
    return found

ok = {}
for factory in ("with_param", "with_assignment", "with_nested_def", "with_security_param"):
    made = getattr(mod, factory)()
    for func in made if isinstance(made, tuple) else (made,):
        if callable(func):
            ok.update(markers(func))
real = {}
for func in mod.make_routes():  # the firing section: FastAPI's Depends in reach
    real.update(markers(func))
    for name, p in inspect.signature(func).parameters.items():  # FAD002: the function itself
        if p.default is sys.modules["fastapi"].Depends:
            real[f"{func.__qualname__}.{name}"] = True
print(json.dumps({"ok": ok, "real": real}))
"""


def test_shadowed_markers_are_not_fastapi_markers() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(FIXTURE)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    ok = result["ok"]
    assert len(ok) >= 6
    assert not any(ok.values()), ok
    # the same spelling with FastAPI's Depends in reach is a marker (the firing section)
    assert result["real"] and all(result["real"].values()), result["real"]
