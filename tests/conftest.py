"""Session-wide settings for the test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Real pytest runs in temporary folders, for the tests of the --venvstacks collector.
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session", autouse=True)
def venvstacks_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One venvstacks cache folder (prepared runtimes, interpreter answers) per session.

    Tests never touch the user's ``~/.cache/venvstacks``; every build of the session
    reuses the runtimes prepared by the first. ``VENVSTACKS_TEST_CACHE_DIR`` names a
    folder to keep between sessions instead.
    """
    kept = os.environ.get("VENVSTACKS_TEST_CACHE_DIR", "").strip()
    folder = kept or str(tmp_path_factory.mktemp("venvstacks-cache"))
    saved = os.environ.get("VENVSTACKS_CACHE_DIR")
    os.environ["VENVSTACKS_CACHE_DIR"] = folder
    yield folder
    if saved is None:
        os.environ.pop("VENVSTACKS_CACHE_DIR", None)
    else:
        os.environ["VENVSTACKS_CACHE_DIR"] = saved
