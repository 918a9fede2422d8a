"""python-build-standalone downloads, through uv.

uv embeds the list of downloadable CPython builds, so :func:`available_downloads`
works offline. :func:`install_download` needs the network (or a mirror configured with
``UV_PYTHON_INSTALL_MIRROR``).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

from packaging.version import InvalidVersion, Version

from venvstacks.errors import RuntimeNotFoundError
from venvstacks.spec.runtime_version import minor_version
from venvstacks.uvtool import UvSettings, run_uv

#: Oldest Python version offered for download.
MINIMUM_VERSION = (3, 9)

_OS_NAMES = {"linux": "linux", "darwin": "macos", "win32": "windows"}
_JSON = ("--output-format", "json")
_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}


def current_platform() -> tuple[str, str]:
    """Return this machine's (os, arch) as uv spells them (``("linux", "x86_64")``)."""
    machine = platform.machine().lower()
    return _OS_NAMES.get(sys.platform, sys.platform), _ARCH_ALIASES.get(machine, machine)


def parse_download_list(
    output: str, os_name: str | None = None, arch: str | None = None
) -> list[tuple[str, str]]:
    """Pick default-variant CPython downloads from ``uv python list`` JSON output.

    :param output: the JSON printed by ``uv python list --output-format json``.
    :param os_name: keep entries for this OS (default: this machine's).
    :param arch: keep entries for this architecture (default: this machine's).
    :return: ``(version, key)`` pairs, newest first, one per version.
    """
    default_os, default_arch = current_platform()
    os_name, arch = os_name or default_os, arch or default_arch
    try:
        entries = json.loads(output)
    except ValueError:
        return []
    found: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        version = entry.get("version")
        key = entry.get("key")
        if (
            entry.get("implementation") != "cpython"
            or entry.get("variant", "default") != "default"
            or entry.get("os") != os_name
            or entry.get("arch") != arch
            or not entry.get("url")
            or not isinstance(version, str)
            or not isinstance(key, str)
        ):
            continue
        try:
            parsed = Version(version)
        except InvalidVersion:
            continue
        if parsed.release[:2] < MINIMUM_VERSION:
            continue
        found.setdefault(version, key)
    return sorted(found.items(), key=lambda item: Version(item[0]), reverse=True)


def available_downloads(settings: UvSettings | None = None) -> list[tuple[str, str]]:
    """List the CPython versions uv can download for this machine, newest first.

    :return: ``(version, key)`` pairs such as ``("3.12.7",
        "cpython-3.12.7-linux-x86_64-gnu")``; empty when uv cannot list them.
    """
    try:
        result = run_uv(
            [*("python", "list", "--only-downloads", "--all-versions"), *_JSON],
            settings or UvSettings(),
            # uv hides its (embedded, offline) download list unless downloads are on.
            extra_env={"UV_PYTHON_DOWNLOADS": "automatic"},
        )
    except OSError:
        return []
    if not result.ok:
        return []
    return parse_download_list(result.stdout)


def find_installed_download(version: str, install_dir: Path) -> Path | None:
    """Return the prefix of a default-variant ``version`` already installed by uv.

    :param version: the full ``X.Y.Z`` version.
    :param install_dir: the folder given to uv as ``UV_PYTHON_INSTALL_DIR``.
    """
    minor = minor_version(version)
    if not install_dir.is_dir():
        return None
    for folder in sorted(install_dir.glob(f"cpython-{version}-*")):
        if "+" in folder.name or folder.is_symlink():
            continue  # +freethreaded, +debug variants; minor-version links
        if (folder / "bin" / f"python{minor}").is_file():
            return folder
    return None


def install_download(
    version: str, work_dir: Path, settings: UvSettings | None = None
) -> Path:
    """Install a python-build-standalone CPython with uv; return its prefix.

    Installs are kept in ``work_dir``; a version already there is not downloaded again.

    :param version: the full ``X.Y.Z`` version.
    :param work_dir: the folder uv installs into (``UV_PYTHON_INSTALL_DIR``).
    :param settings: how to run uv.
    :raises RuntimeNotFoundError: when uv cannot install it (with uv's reason).
    """
    existing = find_installed_download(version, work_dir)
    if existing is not None:
        return existing
    work_dir.mkdir(parents=True, exist_ok=True)
    environment = {
        "UV_PYTHON_INSTALL_DIR": os.fspath(work_dir),
        "UV_PYTHON_DOWNLOADS": "automatic",
    }
    try:
        result = run_uv(
            ["python", "install", "--no-bin", f"cpython-{version}"],
            settings or UvSettings(),
            cwd=work_dir,
            extra_env=environment,
        )
    except OSError as exc:
        raise RuntimeNotFoundError(
            f"cannot download CPython {version}: uv could not be run: {exc}"
        ) from exc
    installed = find_installed_download(version, work_dir)
    if not result.ok or installed is None:
        if result.ok:
            reason = f"uv reported success but installed no cpython-{version} in {work_dir}"
        else:
            reason = _short_reason(result.stderr) or result.reason()
        raise RuntimeNotFoundError(
            f"cannot download CPython {version}: {reason}",
            hint="Check network access to the python-build-standalone releases (or set "
            "UV_PYTHON_INSTALL_MIRROR), or use an installed Python with "
            "--runtime-source local.",
        )
    return installed


def _short_reason(stderr: str) -> str:
    """Condense uv's ``error:``/``cause:`` chain: the error, the URL, the root cause."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [
        line.removeprefix("error:").strip() for line in lines if line.startswith("error:")
    ]
    causes = [
        line.removeprefix("cause:").strip() for line in lines if line.startswith("cause:")
    ]
    if not errors:
        return ""
    details = [c for c in causes if c.startswith("Failed to download")][:1]
    if causes and causes[-1] not in details:
        details.append(causes[-1])
    return errors[0] + (f" ({': '.join(details)})" if details else "")
