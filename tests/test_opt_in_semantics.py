"""The opt-in design codes' exemptions, checked against FastAPI itself.

FAD306 skips routes left out of the API docs; which routes those are is asked of the
real ``app.openapi()`` of the fixture, imported in a subprocess (never in this process)
by ``$FAD_FASTAPI_PYTHON`` (a Python with FastAPI installed; default: this one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

_SCHEMA_PATHS = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("fad306_fixture", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
local_app = mod.create_app()
print(json.dumps({
    "app": sorted(mod.app.openapi()["paths"]),
    "docs_off": sorted(mod.docs_off.openapi()["paths"]),
    "private_app": mod.private_app.openapi_url,
    "local_app": local_app.openapi_url,
    "private_docs": mod.private_app.docs_url,
}))
"""


def test_fad306_routes_left_out_of_the_docs_are_those_fastapi_leaves_out() -> None:
    python = os.environ.get("FAD_FASTAPI_PYTHON", sys.executable)
    result = subprocess.run(
        [python, "-c", _SCHEMA_PATHS, str(FIXTURES / "FAD306.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    if "No module named 'fastapi'" in result.stderr:
        pytest.skip("no FastAPI: set FAD_FASTAPI_PYTHON to a Python that has it")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    paths = set(seen["app"])
    # left out: the router made with include_in_schema=False, the router included into a
    # parent included with include_in_schema=False
    assert "/internal" not in paths and "/admin" not in paths
    # a router included twice, once with include_in_schema=False, is still documented
    assert "/v2/twice" in paths and "/v1/twice" not in paths
    # openapi_url=None: no schema and no docs at all; docs_url=None alone keeps the schema
    assert seen["private_app"] is None and seen["local_app"] is None
    assert seen["private_docs"] is None
    assert "/docs-off" in seen["docs_off"]
    # routes of included routers are in it
    assert {"/e", "/f"} <= paths
