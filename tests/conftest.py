"""Every test runs isolated from the machine's user settings, but shares warm caches.

- ``HOME`` and the XDG folders point into a fresh temporary folder for each test, so
  no user configuration (uv's ``~/.config/uv/uv.toml``, pip's, a user site-packages)
  leaks in, and nothing a test writes "at home" survives it.
- Colour is off (``NO_COLOR``; ``FORCE_COLOR``/``CLICOLOR_FORCE`` removed), so output
  assertions see plain text.
- uv's environment variables are removed, except the few in :data:`KEEP_UV_VARS`.
  uv's *user* and *system* configuration is isolated through ``XDG_CONFIG_HOME`` /
  ``XDG_CONFIG_DIRS``; ``UV_NO_CONFIG`` is deliberately not set, because it also
  makes uv ignore the ``[tool.uv]`` table of the projects venvstacks writes to lock.
- The uv cache is *shared* and persistent: ``--venvstacks-uv-cache`` /
  ``$VENVSTACKS_TEST_UV_CACHE``, else ``$UV_CACHE_DIR``, else
  ``<repo>/.pytest_cache/venvstacks-uv`` (kept between runs, so CI stays warm).

Other session-wide settings belong in :data:`SESSION_ENV`, :func:`pytest_configure`
or a session fixture like :func:`venvstacks_cache_dir` (one venvstacks cache of
prepared runtimes per session).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: uv variables tests may inherit (everything else ``UV_*`` is removed).
KEEP_UV_VARS = frozenset({"UV_CACHE_DIR"})

#: Environment every test gets (on top of the isolation below).
SESSION_ENV: dict[str, str] = {"NO_COLOR": "1", "UV_PYTHON_DOWNLOADS": "never"}

#: Variables removed for every test.
REMOVED_VARS = ("FORCE_COLOR", "CLICOLOR_FORCE", "PYTHONUSERBASE", "PIP_CONFIG_FILE")


def pytest_configure(config: pytest.Config) -> None:
    """Choose the shared uv cache when none was given."""
    if config.getoption("venvstacks_uv_cache", default=None):
        cache = Path(config.getoption("venvstacks_uv_cache")).absolute()
    elif os.environ.get("UV_CACHE_DIR"):
        cache = Path(os.environ["UV_CACHE_DIR"]).absolute()
    else:
        cache = ROOT / ".pytest_cache" / "venvstacks-uv"
    config.option.venvstacks_uv_cache = str(cache)
    SESSION_ENV["VENVSTACKS_TEST_UV_CACHE"] = str(cache)
    SESSION_ENV["UV_CACHE_DIR"] = str(cache)
    config.addinivalue_line(
        "markers", "no_isolation: run without the HOME/XDG/uv isolation of conftest.py"
    )


@pytest.fixture(autouse=True)
def _isolated_environment(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """A private HOME and XDG folders, no colour, no inherited uv settings."""
    if request.node.get_closest_marker("no_isolation"):
        yield
        return
    home = tmp_path_factory.mktemp("home", numbered=True)
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(home / "etc-xdg"))
    for name in list(os.environ):
        if name.startswith("UV_") and name not in KEEP_UV_VARS:
            monkeypatch.delenv(name)
    for name in REMOVED_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in SESSION_ENV.items():
        monkeypatch.setenv(name, value)
    yield


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
