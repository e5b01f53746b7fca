"""FAD104's list of calls that need the running loop, checked against CPython (and AnyIO).

FastAPI runs a plain ``def`` route or dependency in a worker thread, which has no
event loop: FAD104 must never advise ``def`` for a body making one of these
calls.  Each is made here from a plain thread, in a subprocess, and must raise
RuntimeError; the calls deliberately left out must not.
"""

from __future__ import annotations

import json
import subprocess
import sys

from flake8_fastapi_deps.catalogue import LOOP_METHODS, NEEDS_RUNNING_LOOP

SCRIPT = r"""
import asyncio, importlib, json, sys, threading, warnings
warnings.simplefilter("ignore")
names, kept_out = json.loads(sys.argv[1]), json.loads(sys.argv[2])
WITH_COROUTINE = {"create_task", "ensure_future", "shield", "gather"}
WITH_NUMBER = {"timeout", "move_on_after", "sleep"}
async def work():
    pass
def call(name):
    module, _, attr = name.rpartition(".")
    try:
        func = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return "missing"  # asyncio.timeout before 3.11, AnyIO not installed
    try:
        if attr in WITH_COROUTINE:
            func(work())
        elif attr == "wait_for":
            func(work(), 1)
        elif attr == "as_completed":
            list(func([work()]))
        elif attr in WITH_NUMBER:
            func(1)
        else:
            func()
    except RuntimeError:
        return "RuntimeError"
    except Exception as exc:
        return type(exc).__name__
    return "ok"
out = {}
def run():
    for name in names + kept_out:
        out[name] = call(name)
thread = threading.Thread(target=run)
thread.start()
thread.join()
methods = {}
async def main():
    loop = asyncio.get_running_loop()
    def worker():
        for method in json.loads(sys.argv[3]):
            args = (work(),) if method == "create_task" else (print,)
            if method in ("call_later", "call_at"):
                args = (0, print)
            try:
                getattr(loop, method)(*args)
                methods[method] = "ok"
            except RuntimeError:
                methods[method] = "RuntimeError"
    await asyncio.to_thread(worker)
asyncio.run(main(), debug=True)
print(json.dumps({"calls": out, "methods": methods}))
"""

KEPT_OUT = [
    "asyncio.Event", "asyncio.Lock", "asyncio.Queue", "asyncio.Semaphore", "asyncio.Condition",
    "asyncio.sleep", "asyncio.wait_for", "anyio.Event", "anyio.Lock",
]


def test_each_call_needs_the_running_loop() -> None:
    done = subprocess.run(
        [
            sys.executable, "-c", SCRIPT,
            json.dumps(sorted(NEEDS_RUNNING_LOOP)), json.dumps(KEPT_OUT), json.dumps(sorted(LOOP_METHODS)),
        ],
        capture_output=True, text=True, check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    calls = result["calls"]
    wrong = {
        name: got for name, got in calls.items()
        if name in NEEDS_RUNNING_LOOP and got not in ("RuntimeError", "missing")
    }
    assert not wrong, wrong
    assert sum(got == "RuntimeError" for got in calls.values()) >= 12
    kept = {name: got for name, got in calls.items() if name in KEPT_OUT and got not in ("ok", "missing")}
    if sys.version_info >= (3, 10):
        assert not kept, kept  # these bind lazily: fine in a thread, so no reason to keep async
    else:
        # before 3.10 asyncio's primitives took the loop when built (FAD104.md says so)
        assert set(kept) <= {"asyncio.Event", "asyncio.Lock", "asyncio.Queue",
                             "asyncio.Semaphore", "asyncio.Condition"}, kept
    assert result["methods"] == {method: "RuntimeError" for method in LOOP_METHODS}
