"""FAD102's awaited helpers and FAD003's typed receivers, checked against FastAPI itself.

Run in a subprocess with an interpreter that has fastapi and httpx installed
(``FAD_FASTAPI_PYTHON``, else the test interpreter); skipped when there is none.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "projects"


def _python() -> str:
    python = os.environ.get("FAD_FASTAPI_PYTHON", sys.executable)
    probe = subprocess.run([python, "-c", "import fastapi, httpx"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("needs an interpreter with fastapi and httpx (FAD_FASTAPI_PYTHON)")
    return python


def _run(code: str, cwd: Path) -> str:
    result = subprocess.run(
        [_python(), "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_method_called_by_hand_gets_the_marker(tmp_path: Path) -> None:
    """FAD003_methods: items.load(key) by hand leaves db a Depends marker; FastAPI fills it."""
    out = _run(
        """
        from fastapi import FastAPI, params
        from fastapi.testclient import TestClient
        from app.routes import router
        from app.services import get_items

        db, key = get_items().load("k")
        print(isinstance(db, params.Depends))
        app = FastAPI()
        app.include_router(router)
        response = TestClient(app).get("/ok/k")
        print(response.status_code, response.json() == ["session", "k"])
        """,
        FIXTURES / "FAD003_methods",
    )
    assert out.split() == ["True", "200", "True"]


def test_awaited_helper_blocks_the_loop_and_to_thread_does_not(tmp_path: Path) -> None:
    """Three concurrent requests: an awaited (or gathered) helper that sleeps serialises
    them; the same helper handing the sleep to a thread does not."""
    out = _run(
        """
        import asyncio, time
        import httpx
        from fastapi import FastAPI

        app = FastAPI()

        async def blocking_helper():
            time.sleep(0.3)

        async def offloaded_helper():
            await asyncio.to_thread(time.sleep, 0.3)

        @app.get("/awaited")
        async def awaited():
            await blocking_helper()

        @app.get("/gathered")
        async def gathered():
            await asyncio.gather(blocking_helper())

        @app.get("/offloaded")
        async def offloaded():
            await offloaded_helper()

        async def elapsed(path):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                start = time.perf_counter()
                await asyncio.gather(*(client.get(path) for _ in range(3)))
                return time.perf_counter() - start

        for path in ("/awaited", "/gathered", "/offloaded"):
            print(round(asyncio.run(elapsed(path)), 2))
        """,
        tmp_path,
    )
    awaited, gathered, offloaded = (float(x) for x in out.split())
    assert awaited >= 0.85 and gathered >= 0.85  # one request at a time
    assert offloaded < 0.75  # concurrent
