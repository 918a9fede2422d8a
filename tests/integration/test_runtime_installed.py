"""Discovery of the real interpreters on this machine, and the providers using it."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from packaging.version import Version

from venvstacks.runtimes import (
    ResolvedRuntime,
    clear_cache,
    discover_installed,
    not_found_error,
)
from venvstacks.runtimes.providers import DownloadRuntimeProvider, LocalRuntimeProvider
from venvstacks.spec.model import RuntimeRequest

pytestmark = pytest.mark.integration


def _pyenv_versions() -> dict[str, Path]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = {}
    for folder in sorted((root / "versions").glob("3.*")):
        match = re.fullmatch(r"3\.(\d+)\.\d+", folder.name)
        if match and int(match[1]) >= 9 and (folder / f"bin/python3.{match[1]}").is_file():
            found[folder.name] = folder.resolve()
    return found


def _system_versions() -> dict[str, Path]:
    found = {}
    for executable in sorted(Path("/usr/bin").glob("python3.*")):
        if re.fullmatch(r"python3\.\d+", executable.name) and not executable.is_symlink():
            version = subprocess.run(
                [
                    executable,
                    "-I",
                    "-S",
                    "-c",
                    "import sys; print('%d.%d.%d' % sys.version_info[:3])",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            found[version] = Path("/usr")
    return found


@pytest.fixture(scope="module")
def installed() -> list:  # type: ignore[type-arg]
    clear_cache()
    return discover_installed()


def test_discovery_finds_pyenv_and_system_pythons(installed: list) -> None:  # type: ignore[type-arg]
    expected = _pyenv_versions()
    system = _system_versions()
    if not expected and not system:
        pytest.skip("no pyenv or system CPython on this machine")
    by_prefix = {p.prefix: p for p in installed}
    for version, prefix in expected.items():
        python = by_prefix[prefix]
        assert (python.version, python.origin, python.implementation) == (
            version,
            "pyenv",
            "cpython",
        )
        assert python.executable == prefix / "bin" / f"python{python.minor}"
        assert (
            python.shared is (prefix / "lib" / f"libpython{python.minor}.so.1.0").exists()
        )
    for version, prefix in system.items():
        python = by_prefix[prefix]
        assert python.version == version
        assert python.origin == "path"
        assert python.executable.parent == Path("/usr/bin")


def test_discovery_keeps_only_adoptable_pythons(installed: list) -> None:  # type: ignore[type-arg]
    assert installed, "nothing found"
    prefixes = [p.prefix for p in installed]
    assert len(prefixes) == len(set(prefixes))
    versions = [Version(p.version) for p in installed]
    assert versions == sorted(versions, reverse=True)
    for python in installed:
        assert python.implementation == "cpython"
        assert Version(python.version) >= Version("3.9")
        assert not python.freethreaded
        assert not (python.prefix / "pyvenv.cfg").exists()
        assert "shims" not in python.executable.parts
        assert python.executable.is_file() and not python.executable.is_symlink()


def test_discovery_is_cached(installed: list) -> None:  # type: ignore[type-arg]
    start = time.perf_counter()
    again = discover_installed()
    assert time.perf_counter() - start < 0.1
    assert again == installed


def test_local_provider_resolves_and_fetches(installed: list) -> None:  # type: ignore[type-arg]
    provider = LocalRuntimeProvider()
    newest = installed[0]
    resolved = provider.venvstacks_resolve_runtime(
        request=RuntimeRequest("cpython", newest.minor), source="auto"
    )
    assert resolved == ResolvedRuntime(
        "cpython", newest.version, "local", str(newest.prefix)
    )
    assert (
        provider.venvstacks_fetch_runtime(runtime=resolved, source="local") == newest.prefix
    )
    assert provider.venvstacks_fetch_runtime(runtime=resolved, source="download") is None

    for python in installed:
        exact = provider.venvstacks_resolve_runtime(
            request=RuntimeRequest("cpython", python.version), source="local"
        )
        assert exact is not None and exact.version == python.version

    gone = ResolvedRuntime("cpython", "3.9.99", "local", "/nowhere")
    assert provider.venvstacks_fetch_runtime(runtime=gone, source="auto") is None


def test_nothing_matches(installed: list) -> None:  # type: ignore[type-arg]
    request = RuntimeRequest("cpython", "3.9.99")
    provider = LocalRuntimeProvider()
    assert provider.venvstacks_resolve_runtime(request=request, source="local") is None
    error = not_found_error(request, "local", installed, "cpython-3.9")
    text = str(error)
    assert "no installed Python matches cpython@3.9.99 (found: " in text
    assert installed[0].describe() in text
    assert "--runtime-source" in text


def test_download_provider_resolves_offline() -> None:
    provider = DownloadRuntimeProvider()
    resolved = provider.venvstacks_resolve_runtime(
        request=RuntimeRequest("cpython", "3.12"), source="download"
    )
    assert resolved is not None
    assert resolved.source == "download"
    assert resolved.version.startswith("3.12.")
    assert resolved.origin.startswith(f"cpython-{resolved.version}-")
    exact = provider.venvstacks_resolve_runtime(
        request=RuntimeRequest("cpython", "3.11.7"), source="auto"
    )
    assert exact is not None and exact.version == "3.11.7"
    assert (
        provider.venvstacks_resolve_runtime(
            request=RuntimeRequest("cpython", "3.12.999"), source="download"
        )
        is None
    )
