"""python-build-standalone downloads through uv (listing is offline; installing is not)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from venvstacks.errors import RuntimeNotFoundError
from venvstacks.runtimes import available_downloads, install_download
from venvstacks.runtimes.model import ResolvedRuntime
from venvstacks.runtimes.providers import DOWNLOADS_FOLDER, DownloadRuntimeProvider

pytestmark = pytest.mark.integration


def _newest(minor: str) -> str:
    return next(v for v, _ in available_downloads() if v.startswith(minor + "."))


def test_available_downloads() -> None:
    downloads = available_downloads()
    assert downloads, "uv lists no downloads"
    versions = [Version(v) for v, _ in downloads]
    assert versions == sorted(versions, reverse=True)
    assert len(set(versions)) == len(versions)
    for version, key in downloads:
        assert Version(version) >= Version("3.9")
        assert key.startswith(f"cpython-{version}-")
        assert "+" not in key, "only the default variant"
    assert any(v.startswith("3.12.") for v, _ in downloads)


def _check_error(error: RuntimeNotFoundError, version: str, work_dir: Path) -> None:
    text = str(error)
    assert text.startswith(f"runtime error: cannot download CPython {version}: ")
    assert "\n" not in text
    assert "--runtime-source local" in text
    assert not list(work_dir.glob(f"cpython-{version}-*"))


def test_install_download_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No GitHub access here: the error names the version and gives uv's reason."""
    monkeypatch.setenv("UV_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    version = _newest("3.12")
    try:
        prefix = install_download(version, tmp_path)
    except RuntimeNotFoundError as error:
        _check_error(error, version, tmp_path)
    else:  # pragma: no cover - only with network access
        assert (prefix / "bin" / "python3.12").is_file()


def test_install_download_from_unreachable_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_PYTHON_INSTALL_MIRROR", "http://127.0.0.1:9/mirror")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    version = _newest("3.11")
    with pytest.raises(RuntimeNotFoundError) as caught:
        install_download(version, tmp_path)
    _check_error(caught.value, version, tmp_path)
    assert "127.0.0.1" in str(caught.value)


def test_download_provider_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_PYTHON_INSTALL_MIRROR", "http://127.0.0.1:9/mirror")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    provider = DownloadRuntimeProvider()
    version = _newest("3.13")
    runtime = ResolvedRuntime("cpython", version, "download", f"cpython-{version}")
    assert (
        provider.venvstacks_fetch_runtime(
            runtime=runtime, source="local", work_dir=tmp_path
        )
        is None
    )
    unknown = ResolvedRuntime("cpython", "3.13.999", "download", "x")
    assert (
        provider.venvstacks_fetch_runtime(runtime=unknown, source="auto", work_dir=tmp_path)
        is None
    )
    with pytest.raises(RuntimeNotFoundError, match=f"CPython {version}"):
        provider.venvstacks_fetch_runtime(
            runtime=runtime, source="download", work_dir=tmp_path
        )
    # An install already in the work folder is used without downloading.
    prefix = tmp_path / DOWNLOADS_FOLDER / f"cpython-{version}-linux-x86_64-gnu"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / f"python{'.'.join(version.split('.')[:2])}").touch()
    assert (
        provider.venvstacks_fetch_runtime(runtime=runtime, source="auto", work_dir=tmp_path)
        == prefix
    )
