import os
from collections.abc import Iterator

import pytest

# Fixture files are inputs for the plugin, not tests to run.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(autouse=True)
def _cache_home_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The persistent store's default folder is per user (~/.cache): point it at a
    temporary folder, for this process and the flake8 subprocesses tests start.

    One folder per test: a store keeps findings, so a test sharing one with an
    earlier test could be served that test's findings instead of analysing.
    """
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved
