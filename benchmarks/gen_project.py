"""Write a synthetic FastAPI project of N modules, for benchmarks at scale.

    python benchmarks/gen_project.py N DIR

DIR (created; must be empty or absent) gets a ``pyproject.toml`` (the
project root marker) and a package ``app``:

* ``app/core/``: ``db.py`` (a yield dependency opening and closing a
  session), ``security.py`` (a current-user dependency depending on it),
  ``settings.py`` (a cached settings dependency);
* ``app/pNNN/``: packages of up to 100 router modules ``mNNNNN.py`` each,
  and an ``__init__.py`` gathering their routers; ``app/main.py`` builds the
  ``FastAPI`` app from every package router.

Module K has an ``APIRouter``, a model class, a plain dependency, a yield
dependency with ``try``/``finally``, a dependency on the session and the
settings, three routes (``Depends`` defaults and ``Annotated`` markers), and
depends on a dependency of module K // 2 (another module, often another
package: the index has to resolve it); every third module also imports a
class from module K - 1.  The import graph has no cycle.  The output depends
only on N (no randomness), so two runs give the same files.  Standard library
only.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

PER_PACKAGE = 100

_PYPROJECT = """\
[project]
name = "genapp"
version = "0.0.0"
"""

_DB = '''\
"""Database session (generated)."""

from __future__ import annotations

from collections.abc import Iterator


class Session:
    def __init__(self) -> None:
        self.open = True

    def close(self) -> None:
        self.open = False


def get_session() -> Iterator[Session]:
    session = Session()
    try:
        yield session
    finally:
        session.close()
'''

_SECURITY = '''\
"""Current user (generated)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException

from app.core.db import Session, get_session


class User:
    def __init__(self, name: str) -> None:
        self.name = name


def get_current_user(
    session: Annotated[Session, Depends(get_session)],
) -> User:
    if not session.open:
        raise HTTPException(status_code=401)
    return User("someone")
'''

_SETTINGS = '''\
"""Settings (generated)."""

from __future__ import annotations

from functools import lru_cache


class Settings:
    def __init__(self) -> None:
        self.page_size = 50


@lru_cache
def get_settings() -> Settings:
    return Settings()
'''

_MODULE = '''\
"""Router module {k} (generated)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from app.core.db import Session, get_session
from app.core.security import User, get_current_user
from app.core.settings import Settings, get_settings
{imports}
router = APIRouter(prefix="/m{k}", tags=["m{k}"])


class Item{k}:
    def __init__(self, item_id: int, name: str) -> None:
        self.item_id = item_id
        self.name = name


def get_limit_{k}(settings: Annotated[Settings, Depends(get_settings)]) -> int:
    return settings.page_size


async def get_stream_{k}() -> AsyncIterator[list[str]]:
    buffer: list[str] = []
    try:
        yield buffer
    finally:
        buffer.clear()


def get_item_{k}(
    item_id: int,
    session: Annotated[Session, Depends(get_session)],
    user: Annotated[User, Depends(get_current_user)],
) -> Item{k}:
    if not session.open:
        raise HTTPException(status_code=503)
    return Item{k}(item_id, user.name)


@router.get("/items/{{item_id}}")
async def read_item_{k}(
    item: Annotated[Item{k}, Depends(get_item_{k})],
    stream: Annotated[list[str], Depends(get_stream_{k})],{other_param}
) -> dict[str, object]:
    stream.append(item.name)
    result: dict[str, object] = {{"id": item.item_id, "name": item.name}}{other_value}
    return result


@router.get("/items")
def list_items_{k}(limit: int = Depends(get_limit_{k})) -> list[int]:
    return list(range(limit))


@router.delete("/items/{{item_id}}", dependencies=[Depends(get_current_user)])
def delete_item_{k}(item_id: int) -> None:
    if item_id < 0:
        raise HTTPException(status_code=404)
'''


def module_path(k: int) -> str:
    """Module K's path, relative to the project root."""
    return f"app/p{k // PER_PACKAGE:03d}/m{k:05d}.py"


def _dotted(k: int) -> str:
    return module_path(k)[:-3].replace("/", ".")


def module_source(k: int) -> str:
    imports = ""
    other_param = other_value = ""
    if k:
        j = k // 2
        imports += f"from {_dotted(j)} import Item{j}, get_item_{j}\n"
        other_param = f"\n    other: Annotated[Item{j}, Depends(get_item_{j})],"
        other_value = '\n    result["other"] = other.name'
    if k % 3 == 2 and k - 1 != k // 2:
        imports += f"from {_dotted(k - 1)} import Item{k - 1}\n"
        other_value += f'\n    result["kind"] = Item{k - 1}.__name__'
    return _MODULE.format(
        k=k, imports=imports, other_param=other_param, other_value=other_value
    )


def _write(root: str, rel: str, text: str) -> None:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def generate(n: int, root: str) -> list[str]:
    """Write the project of ``n`` modules under ``root``; the router modules' paths (relative)."""
    if n < 1:
        raise ValueError("N must be at least 1")
    if os.path.isdir(root) and os.listdir(root):
        raise ValueError(f"{root} is not empty")
    _write(root, "pyproject.toml", _PYPROJECT)
    _write(root, "app/__init__.py", "")
    _write(root, "app/core/__init__.py", "")
    _write(root, "app/core/db.py", _DB)
    _write(root, "app/core/security.py", _SECURITY)
    _write(root, "app/core/settings.py", _SETTINGS)
    packages = (n + PER_PACKAGE - 1) // PER_PACKAGE
    for p in range(packages):
        members = range(p * PER_PACKAGE, min(n, (p + 1) * PER_PACKAGE))
        lines = ['"""Routers of package {} (generated)."""\n'.format(p), "from fastapi import APIRouter\n"]
        lines += [f"from .m{k:05d} import router as router_{k}\n" for k in members]
        lines.append("\nrouter = APIRouter()\n")
        lines += [f"router.include_router(router_{k})\n" for k in members]
        _write(root, f"app/p{p:03d}/__init__.py", "".join(lines))
    main = ['"""The application (generated)."""\n', "from fastapi import FastAPI\n\n"]
    main += [f"from app.p{p:03d} import router as p{p:03d}\n" for p in range(packages)]
    main.append('\napp = FastAPI(title="genapp")\n')
    main += [f"app.include_router(p{p:03d})\n" for p in range(packages)]
    _write(root, "app/main.py", "".join(main))
    paths = []
    for k in range(n):
        _write(root, module_path(k), module_source(k))
        paths.append(module_path(k))
    return paths


def sample_module(n: int) -> str:
    """The module a one-file benchmark lints: the middle one (it depends on another package)."""
    return module_path(n // 2)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of router modules")
    parser.add_argument("dir", help="output folder (empty or absent)")
    ns = parser.parse_args(argv)
    try:
        generate(ns.n, ns.dir)
    except ValueError as error:
        parser.error(str(error))
    print(f"{ns.dir}: {ns.n} modules; one-file sample: {sample_module(ns.n)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
