"""Routes registered by a call in another file (issue 25, item 3): the project scan keeps
which functions each file registers in its store entry, so a warm run parses nothing more,
and an edit to the registering file is seen."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from flake8_fastapi_deps import checker
from flake8_fastapi_deps.index import results

from .test_scan_store import _codes, _lint, _lint_all, _options, _Parses, _write

PROJECT = {
    "pyproject.toml": "",
    "app/__init__.py": "",
    "app/views.py": textwrap.dedent(
        """\
        import time


        async def page():
            time.sleep(1)


        class Views:
            async def listing(self):
                time.sleep(1)
        """
    ),
    "app/main.py": textwrap.dedent(
        """\
        from fastapi import APIRouter, FastAPI

        from .views import Views, page

        app = FastAPI()
        router = APIRouter()
        views = Views()
        app.get("/page")(page)
        router.add_api_route("/views", views.listing)
        """
    ),
    "app/plain.py": "def helper():\n    return 1\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "project"
    _write(root, PROJECT)
    checker.clear_cache()
    yield root.resolve()
    checker.clear_cache()


def test_registered_elsewhere_is_request_code_cold_warm_and_after_an_edit(
    project: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    disabled = _lint_all(project, None)
    views = [message for _, _, message in disabled["app/views.py"] if message.startswith("FAD102")]
    assert len(views) == 2 and "async route page" in views[0] and "route listing" in views[1]
    assert _lint_all(project, cache) == _lint_all(project, cache) == disabled

    # the registration removed: views.py is no request code any more (the store entry of
    # main.py rests on its stamp)
    main = project / "app/main.py"
    main.write_text(main.read_text().replace('app.get("/page")(page)\n', ""))
    edited = _lint_all(project, cache)
    assert edited == _lint_all(project, None)
    assert [m for _, _, m in edited["app/views.py"] if "page" in m] == []
    assert ("app/views.py", "FAD102") in _codes(edited)


def test_warm_run_parses_no_registering_file(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    options = _options(cache)
    counted = _Parses(monkeypatch)
    app = project / "app"
    # the summaries' part: kept findings of views.py are not served here
    monkeypatch.setattr(results.ResultStore, "lookup", lambda *args: None)
    checker.clear_cache()
    cold = _lint(app / "views.py", options)
    assert str(app / "main.py") in counted.parsed  # the scan read the registrations there
    checker.clear_cache()
    counted.clear()
    assert _lint(app / "views.py", options) == cold
    assert counted.parsed == [] and counted.built == [str(app / "views.py")]
    checker.clear_cache()
    counted.clear()
    _lint(app / "plain.py", options)
    assert counted.parsed == [] and counted.built == []
