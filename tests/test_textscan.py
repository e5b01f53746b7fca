"""The text-only pre-scan (textscan.local_declarations) against the parsed truth.

A file the scan does not parse must tell the rest of the project nothing:
every dependency it declares is its own code, and the names it publishes are
supersets of what the parse would publish.  Checked on hand-written cases, on
every fixture file, and on real packages when the corpus is on disk.
"""

from __future__ import annotations

import ast
import os
import textwrap
import warnings
from pathlib import Path

import pytest

from flake8_fastapi_deps import project as project_mod
from flake8_fastapi_deps.model import is_generator
from flake8_fastapi_deps.options import Options
from flake8_fastapi_deps.textscan import local_declarations

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
CORPUS = Path(os.environ.get("FAD_CORPUS", REPO.parent / "corpus"))
CORPUS_PACKAGES = ("fastapi", "fastapi-users", "fastapi-pagination", "lnbits", "mlflow")


def summary(source: str) -> object:
    return local_declarations(textwrap.dedent(source).encode())


def test_local_functions_and_classes_need_no_parse() -> None:
    found = local_declarations(
        textwrap.dedent(
            """
            from typing import Annotated
            from fastapi import Depends, FastAPI, Security
            from fastapi.security import OAuth2PasswordBearer

            app = FastAPI()
            scheme = OAuth2PasswordBearer("token")  # Depends(scheme) in a comment is fine


            class Params(BaseModel):
                q: str = ""


            def get_db():
                db = object()
                try:
                    yield db
                finally:
                    pass


            get_session = get_db


            async def user(token: str = Security(scheme)):
                return token


            @app.get("/")
            def read(
                db=Depends(get_db),
                p: Params = Depends(),
                form: Annotated[OAuth2PasswordBearer, Depends()] = None,
            ):
                return db
            """
        ).encode()
    )
    assert found is not None
    assert found.gate_names == frozenset({"user", "read"})
    assert found.yield_names == frozenset({"get_db", "get_session"})


@pytest.mark.parametrize(
    "source",
    [
        # imported from the project
        "from fastapi import Depends\nfrom .deps import get_db\ndef r(db=Depends(get_db)): ...\n",
        # through a module
        "from fastapi import Depends\nfrom . import deps\ndef r(db=Depends(deps.get_db)): ...\n",
        # an alias of the marker
        "from fastapi import Depends as D\ndef get_db(): ...\ndef r(db=D(get_db)): ...\n",
        # Depends() on an imported class
        "from fastapi import Depends\nfrom .models import Params\ndef r(p: Params = Depends()): ...\n",
        # a star import
        "from fastapi import Depends\nfrom .deps import *\ndef r(db=Depends(get_db)): ...\n",
        # a local class whose base comes from the project (its __call__ may be there)
        "from fastapi import Depends\nfrom .base import Base\nclass C(Base): ...\n"
        "def r(c=Depends(C())): ...\n",
        # a class that may inherit its methods from another module
        "from fastapi import Depends\nfrom .base import Base\nclass C(Base): ...\n"
        "def r(x=Depends(C.check)): ...\n",
        # a real marker after a closed docstring
        '"""Module doc."""\nfrom fastapi import Depends\nfrom .deps import get_db\n'
        'def r(db=Depends(get_db)):\n    """Uses Depends(get_db)."""\n',
        # a call it cannot read
        "from fastapi import Depends\ndeps = []\ndef r(db=Depends(*deps)): ...\n",
        # a local def that is also imported
        "from fastapi import Depends\nfrom .deps import get_db\ndef t():\n    def get_db(): ...\n"
        "def r(db=Depends(get_db)): ...\n",
    ],
)
def test_needs_parse(source: str) -> None:
    assert local_declarations(source.encode()) is None


@pytest.mark.parametrize(
    "source",
    [
        # prose and Markdown in docstrings, annotations, import lists
        '"""Uses Depends and Security, see `Depends()` and `params.Depends(dep)`."""\n'
        "from fastapi import (\n    Depends,\n    params,\n)\n"
        "def f(deps: list[params.Depends]) -> None: ...\n",
        # examples in docstrings, either quote kind
        'def f():\n    """Example:\n\n        app = FastAPI(dependencies=[Depends(verify)])\n    """\n'
        "from fastapi import Depends\n"
        "X = \'\'\'\nDepends(other.dep)\n\'\'\'\n",
        # the definitions in fastapi's own source
        "from fastapi import params\n\n\ndef Depends(  # noqa: N802\n    dependency=None,\n"
        "):\n    return params.Depends(dependency=dependency)\n",
    ],
)
def test_bare_references_declare_nothing(source: str) -> None:
    assert local_declarations(source.encode()) is not None


@pytest.mark.parametrize(
    "source",
    [
        # a parameter
        "from fastapi import Depends\ndef make(dep):\n    def r(x=Depends(dep)): ...\n",
        # a loop variable
        "from fastapi import Depends\ndef make(deps):\n    for dep in deps:\n"
        "        def r(x=Depends(dep)): ...\n",
        # a constant in a conditional expression
        "from fastapi import Depends\ndef dep(): ...\ndef make(flag):\n"
        "    def r(x=Depends(\n        None if flag else dep\n    )): ...\n",
    ],
)
def test_unbound_names_declare_nothing_elsewhere(source: str) -> None:
    """The index resolves such a name to no function: no other module is named."""
    found = local_declarations(source.encode())
    assert found is not None
    assert found.yield_names == frozenset()


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if p.is_file())


def _check_file(path: Path) -> bool:
    """Compare the text summary of ``path`` with what parsing it gives; True if it was summarised."""
    data = path.read_bytes()
    if b"fastapi" not in data:
        return False
    found = local_declarations(data)
    if found is None:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except (SyntaxError, ValueError):
        return True
    real = os.path.realpath(path)
    project = project_mod.project_for(str(path), Options())
    if project.root is None:
        project = project_mod.Project(os.path.dirname(real), Options())
    mod = project.module_at(real)
    assert mod is not None, path
    gate: set[str] = set()
    yields: set[str] = set()
    for marker in mod.marker_uses:
        for func in project.dependency_functions(marker, mod):
            assert func.module.path == real, (path, marker.call.lineno, func.module.path)
            if is_generator(func.node):
                yields.add(func.info.name)
    for info in mod.functions:
        if not info.parents and info.cls is None and any(
            d.via == "default" for d in project.signature(mod, info)
        ):
            gate.add(info.name)
    assert gate <= found.gate_names, (path, gate - found.gate_names)
    assert yields <= found.yield_names, (path, yields - found.yield_names)
    return True


def test_fixture_files_agree_with_parse() -> None:
    project_mod.clear_cache()
    summarised = sum(_check_file(path) for path in _python_files(FIXTURES))
    assert summarised > 20  # the check must have had something to compare


@pytest.mark.parametrize("package", CORPUS_PACKAGES)
def test_corpus_files_agree_with_parse(package: str) -> None:
    folder = CORPUS / package
    if not folder.is_dir():
        pytest.skip(f"corpus package {package} not cached at {CORPUS}")
    project_mod.clear_cache()
    for path in _python_files(folder):
        _check_file(path)
